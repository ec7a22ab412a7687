"""Formatting what the assistant says: `t(lang, key, **values)` fills a phrase of the
catalogue (`actions/catalogue.py`) in Simplified Chinese ("zh") or English ("en");
labels of stored codes; human dates, times, money and lists. All times are shown in
China time (bot.clock).
"""

from __future__ import annotations

from datetime import date, datetime

from actions.catalogue import (
    CUSTOMS_LABELS,
    EXCEPTION_LABELS,
    MESSAGES,
    SIGNED_BY_CUES,
    SIGNED_BY_LABELS,
    STATUS_LABELS,
)
from bot import clock

LANGUAGES = ("zh", "en")


def norm_lang(lang: str | None) -> str:
    return lang if lang in LANGUAGES else "zh"


def pick(lang: str, pair: tuple[str, str]) -> str:
    """The `lang` one of a (zh, en) pair."""
    return pair[1] if norm_lang(lang) == "en" else pair[0]


def label(table: dict[str, tuple[str, str]], lang: str, code: str | None) -> str:
    """The plain-word label of `code`; an unknown code is shown as it is."""
    if not code:
        return ""
    pair = table.get(code)
    return code if pair is None else pick(lang, pair)


def status_label(lang: str, status: str | None) -> str:
    return label(STATUS_LABELS, lang, status)


def exception_label(lang: str, exception_type: str | None) -> str:
    return label(EXCEPTION_LABELS, lang, exception_type)


def customs_label(lang: str, status: str | None) -> str:
    return label(CUSTOMS_LABELS, lang, status)


def signed_by_category(signed_by: str | None) -> str:
    """The category of whoever signed (never the raw text, which may be a name)."""
    text = (signed_by or "").lower()
    for category, cues in SIGNED_BY_CUES:
        if any(cue in text for cue in cues):
            return category
    return "other"


def signed_by_label(lang: str, signed_by: str | None) -> str:
    return label(SIGNED_BY_LABELS, lang, signed_by_category(signed_by))


# --------------------------------------------------------------------------- dates

_WEEKDAYS_ZH = "一二三四五六日"
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _relative(lang: str, day: date, today: date) -> str | None:
    delta = (day - today).days
    if norm_lang(lang) == "en":
        return {0: "today", 1: "tomorrow", -1: "yesterday"}.get(delta)
    return {0: "今天", 1: "明天", 2: "后天", -1: "昨天"}.get(delta)


def _plain_day(lang: str, day: date, today: date) -> str:
    if norm_lang(lang) == "en":
        text = f"{_WEEKDAYS_EN[day.weekday()]}, {_MONTHS_EN[day.month - 1]} {day.day}"
        return text if day.year == today.year else f"{text}, {day.year}"
    text = f"{day.month}月{day.day}日（周{_WEEKDAYS_ZH[day.weekday()]}）"
    return text if day.year == today.year else f"{day.year}年{text}"


def day_text(lang: str, moment: datetime) -> str:
    """zh "明天 11月24日（周二）" / "11月27日（周五）"; en "tomorrow (Tue, Nov 24)" / "Fri, Nov 27"."""
    local = clock.local(moment)
    today = clock.local_now().date()
    plain = _plain_day(lang, local.date(), today)
    rel = _relative(lang, local.date(), today)
    if rel is None:
        return plain
    return f"{rel} ({plain})" if norm_lang(lang) == "en" else f"{rel} {plain}"


def _clock_time(moment: datetime) -> str:
    return clock.local(moment).strftime("%H:%M")


def _whole_day(moment: datetime) -> bool:
    local = clock.local(moment)
    return (local.hour, local.minute) in ((0, 0), (23, 59))


def deadline_text(lang: str, moment: datetime) -> str:
    """A time something happens by: zh "11月24日（周二）18:00前", en "Tue, Nov 24, by 18:00"."""
    day = day_text(lang, moment)
    if _whole_day(moment):
        return day
    if norm_lang(lang) == "en":
        return f"{day}, by {_clock_time(moment)}"
    return f"{day} {_clock_time(moment)}前"


def moment_text(lang: str, moment: datetime) -> str:
    """When something happened: zh "今天 08:15" / "11月21日（周六）16:05",
    en "today at 08:15" / "Sat, Nov 21 at 16:05"."""
    local = clock.local(moment)
    today = clock.local_now().date()
    rel = _relative(lang, local.date(), today)
    if rel in ("明天", "后天", "tomorrow"):  # a future moment reads better with its date
        rel = None
    day = rel or _plain_day(lang, local.date(), today)
    if norm_lang(lang) == "en":
        return f"{day} at {_clock_time(moment)}"
    return f"{day} {_clock_time(moment)}"


def window_text(lang: str, start: datetime, end: datetime) -> str:
    """zh "明天 11月24日（周二）09:00–12:00", en "tomorrow (Tue, Nov 24), 09:00–12:00"."""
    span = f"{_clock_time(start)}–{_clock_time(end)}"
    day = day_text(lang, start)
    return f"{day}, {span}" if norm_lang(lang) == "en" else f"{day} {span}"


def money_text(amount: float, currency: str | None) -> str:
    value = f"{amount:,.2f}".rstrip("0").rstrip(".") if amount % 1 else f"{amount:,.0f}"
    return f"{value} {currency or 'CNY'}"


def join_list(lang: str, items: list[str]) -> str:
    return ", ".join(items) if norm_lang(lang) == "en" else "、".join(items)


def t(lang: str | None, key: str, **values: object) -> str:
    """The phrase `key` in `lang` ("zh" or "en"), with `values` filled in."""
    entry = MESSAGES[key]
    template = entry.get(norm_lang(lang)) or entry["zh"]
    return template.format(**values) if values else template


def paragraph(lang: str, parts: list[str]) -> str:
    """Sentences into one paragraph (no space between Chinese sentences)."""
    return (" " if norm_lang(lang) == "en" else "").join(part for part in parts if part)


def sep(lang: str) -> str:
    """Joins sentence fragments: "，" in Chinese, ", " in English."""
    return ", " if norm_lang(lang) == "en" else "，"
