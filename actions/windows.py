"""Time windows for a return pickup or a redelivery, in Asia/Shanghai."""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta

from rasa_sdk import Tracker

from actions import conversation, texts
from bot import clock

# code -> (days from today, start hour, end hour)
WINDOWS: dict[str, tuple[int, int, int]] = {
    "today_pm": (0, 14, 18),
    "today_evening": (0, 18, 21),
    "tomorrow_am": (1, 9, 12),
    "tomorrow_pm": (1, 14, 18),
    "day_after_am": (2, 9, 12),
    "day_after_pm": (2, 14, 18),
}
# Words a customer may type instead of pressing a button (checked in order).
_WINDOW_WORDS: tuple[tuple[str, str], ...] = (
    ("today_evening", r"今晚|今天晚上|tonight|this evening"),
    ("today_pm", r"今天下午|this afternoon|today afternoon"),
    ("day_after_am", r"后天上午|day after tomorrow (?:morning|am)"),
    ("day_after_pm", r"后天下午|day after tomorrow (?:afternoon|pm)"),
    ("tomorrow_am", r"明天上午|明早|明天早上|tomorrow (?:morning|am)"),
    ("tomorrow_pm", r"明天下午|tomorrow (?:afternoon|pm)"),
)


def bounds(code: str) -> tuple[datetime, datetime]:
    """Start and end of a window (aware, Asia/Shanghai) counted from today."""
    days, start_hour, end_hour = WINDOWS[code]
    day = clock.local_now().date() + timedelta(days=days)
    start = datetime.combine(day, time(start_hour), tzinfo=clock.CHINA_TZ)
    end = datetime.combine(day, time(end_hour), tzinfo=clock.CHINA_TZ)
    return start, end


def is_past(code: str) -> bool:
    """A window that has already started can no longer be booked."""
    return clock.utcnow() >= bounds(code)[0]


def available() -> list[str]:
    return [code for code in WINDOWS if not is_past(code)]


def describe(lang: str, code: str) -> str:
    start, end = bounds(code)
    return texts.window_text(lang, start, end)


def buttons(lang: str) -> list[dict[str, str]]:
    return [
        {
            "title": describe(lang, code),
            "payload": "/choose_time_window" + json.dumps({"time_window": code}, separators=(",", ":")),
        }
        for code in available()
    ]


def chosen(tracker: Tracker) -> str | None:
    """The window the customer picked: the time_window entity, else words in the text."""
    for value in tracker.get_latest_entity_values("time_window"):
        if value in WINDOWS:
            return str(value)
    text = conversation.latest_text(tracker).lower()
    for code, pattern in _WINDOW_WORDS:
        if re.search(pattern, text):
            return code
    return None
