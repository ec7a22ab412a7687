"""The message catalogue, plain-word labels and human dates."""

from __future__ import annotations

import re
import string
from datetime import datetime, timedelta, timezone

from actions import texts
from bot.store.models import CUSTOMS_STATUSES, EXCEPTION_TYPES, SHIPMENT_STATUSES

CST = timezone(timedelta(hours=8))
CJK = re.compile(r"[\u4e00-\u9fff]")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_exists_in_both_languages_with_the_same_placeholders() -> None:
    for key, entry in texts.MESSAGES.items():
        assert set(entry) == {"zh", "en"}, key
        assert _fields(entry["zh"]) == _fields(entry["en"]), key
        assert CJK.search(entry["zh"]), f"{key}: the Chinese text has no Chinese"
        assert not CJK.search(entry["en"]), f"{key}: the English text has Chinese in it"


def test_every_stored_code_has_plain_words_in_both_languages() -> None:
    for table, codes in [
        (texts.STATUS_LABELS, SHIPMENT_STATUSES),
        (texts.EXCEPTION_LABELS, EXCEPTION_TYPES),
        (texts.CUSTOMS_LABELS, CUSTOMS_STATUSES),
    ]:
        assert set(codes) <= set(table)
    assert texts.status_label("zh", "in_transit") == "运输中"
    assert texts.status_label("en", "out_for_delivery") == "Out for delivery"
    assert texts.exception_label("zh", "out_of_area") == "超出派送范围"
    assert texts.customs_label("en", "duty_unpaid") == "waiting for duties to be paid"
    assert texts.status_label("zh", "some_new_status") == "some_new_status"  # unknown: shown as is


def test_t_falls_back_to_chinese_for_an_unknown_language() -> None:
    assert texts.t("fr", "track_intro_one") == texts.t("zh", "track_intro_one")
    assert texts.t("en", "track_intro_many", count=2) == "Here's the latest on your 2 parcels:"


def test_dates_are_human_relative_and_in_shanghai_time() -> None:
    # the clock is frozen at Monday 2026-11-23 10:00 Asia/Shanghai (conftest)
    tomorrow_6pm = datetime(2026, 11, 24, 18, 0, tzinfo=CST)
    assert texts.deadline_text("zh", tomorrow_6pm) == "明天 11月24日（周二） 18:00前"
    assert texts.deadline_text("en", tomorrow_6pm) == "tomorrow (Tue, Nov 24), by 18:00"
    friday = datetime(2026, 11, 27, 0, 0, tzinfo=CST)  # a whole day: no time shown
    assert texts.deadline_text("zh", friday) == "11月27日（周五）"
    assert texts.deadline_text("en", friday) == "Fri, Nov 27"
    assert texts.day_text("zh", datetime(2027, 1, 3, 12, 0, tzinfo=CST)) == "2027年1月3日（周日）"
    assert texts.day_text("en", datetime(2027, 1, 3, 12, 0, tzinfo=CST)) == "Sun, Jan 3, 2027"
    # a UTC instant is shown at its Shanghai time: 22:30 UTC on the 23rd is 06:30 on the 24th
    late_utc = datetime(2026, 11, 23, 22, 30, tzinfo=timezone.utc)
    assert texts.moment_text("zh", late_utc) == "11月24日（周二） 06:30"
    assert texts.moment_text("zh", datetime(2026, 11, 23, 6, 40, tzinfo=CST)) == "今天 06:40"
    assert texts.moment_text("en", datetime(2026, 11, 22, 20, 30, tzinfo=CST)) == "yesterday at 20:30"
    assert texts.moment_text("en", datetime(2026, 11, 21, 16, 5, tzinfo=CST)) == "Sat, Nov 21 at 16:05"
    start, end = datetime(2026, 11, 24, 9, tzinfo=CST), datetime(2026, 11, 24, 12, tzinfo=CST)
    assert texts.window_text("zh", start, end) == "明天 11月24日（周二） 09:00–12:00"


def test_signers_are_shown_as_categories_never_as_the_raw_text() -> None:
    assert texts.signed_by_category("快递柜") == "locker"
    assert texts.signed_by_category("菜鸟驿站") == "station"
    assert texts.signed_by_category("家人代收") == "family"
    assert texts.signed_by_category("公司前台") == "reception"
    assert texts.signed_by_category("本人") == "self"
    assert texts.signed_by_category("张三") == "other"
    assert "张三" not in texts.signed_by_label("zh", "张三")
    assert texts.signed_by_label("en", "丰巢快递柜") == "parcel locker"


def test_money_is_shown_without_useless_decimals() -> None:
    assert texts.money_text(236.5, "CNY") == "236.5 CNY"
    assert texts.money_text(12000, None) == "12,000 CNY"
