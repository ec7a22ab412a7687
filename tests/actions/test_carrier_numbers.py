"""Issue 8, classes 1 and 2: every carrier's numbers are looked up in the store (format
rules only name the carrier), numbers that are not there get an honest "no record", and
things that cannot be numbers get an explanation of what a number looks like.
A real SQLite store holding tests/fixtures/carrier_formats.jsonl."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from actions import db
from tests.actions.conftest import ROOT, Conversation, _build_database, _open_store

FORMATS_FIXTURE = ROOT / "tests" / "fixtures" / "carrier_formats.jsonl"


@pytest.fixture(autouse=True)
def formats_store(store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    path = tmp_path / "formats.db"
    _build_database(path, FORMATS_FIXTURE)
    yield _open_store(path, monkeypatch)
    db.reset_for_tests()


@pytest.mark.parametrize(
    ("message", "number", "fact"),
    [
        ("中通的 7391 0284 7561 02 到哪了", "73910284756102", "合肥转运中心"),  # ZTO 14 digits, grouped
        ("极兔 jt4401928375610 今天能送吗", "JT4401928375610", "岳麓麓山网点"),
        ("德邦DPK201938475610怎么样了", "DPK201938475610", "已下单"),
        ("韵达 431029384756102", "431029384756102", "退回"),  # Yunda 15 digits
        ("JDX029384756120-1-1- 这个到哪了", "JDX029384756120", "门牌号"),  # JD with package suffix
    ],
)
def test_every_carriers_current_format_is_looked_up(conv: Conversation, message: str, number: str, fact: str) -> None:
    turn = conv.say(message, "track_parcel")
    assert number in turn.text and fact in turn.text, turn.text
    assert turn.slot_sets()["tracking_numbers"] == [number]
    assert "麻烦您发一下运单号" not in turn.text


def test_a_phone_number_next_to_the_tracking_number_is_not_looked_up(conv: Conversation) -> None:
    turn = conv.say("73910284756102 收件人电话13705512846 帮我看看", "track_parcel")
    assert "合肥转运中心" in turn.text
    assert turn.slot_sets()["tracking_numbers"] == ["73910284756102"]
    assert "没有查到" not in turn.text


def test_a_shops_order_number_finds_its_parcel(conv: Conversation) -> None:
    turn = conv.say("订单号 4150029374615502871 物流到哪了", "track_parcel")
    assert "73910284756102" in turn.text and "合肥转运中心" in turn.text
    assert turn.slot_sets()["tracking_numbers"] == ["73910284756102"]
    follow_up = conv.say("什么时候到", "ask_eta")
    assert "73910284756102" in follow_up.text


def test_a_well_formed_number_not_in_the_store_is_no_record_of_that_carrier(conv: Conversation) -> None:
    turn = conv.say("JT9900112233445 到哪里了", "track_parcel")
    assert "JT9900112233445 暂时没有查到记录" in turn.text
    assert "极兔" in turn.text and "核对" in turn.text and "录入系统" in turn.text
    assert "状态" not in turn.text
    assert conv.slots["pending_topic"] == "track"
    corrected = conv.say("不好意思 是 JT4401928375610", "provide_tracking_number")
    assert "岳麓麓山网点" in corrected.text


def test_a_carrier_prefix_with_a_digit_too_many_is_pointed_out(conv: Conversation) -> None:
    turn = conv.say("SF14023456789012 查不到啊", "track_parcel")
    assert "没有查到 SF14023456789012 的记录" in turn.text
    assert "SF 加 12–13 位数字" in turn.text and "14 位" in turn.text and "多打" in turn.text


def test_a_plausible_number_of_no_known_format_is_looked_up_and_reported(conv: Conversation) -> None:
    turn = conv.say("单号 88001122334455667 帮我查查", "track_parcel")
    assert "没有查到 88001122334455667 的记录" in turn.text
    assert "运单号一般是" in turn.text


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("13912345678 这个单号帮我查下", "手机号"),
        ("运单号 ABCDEFG 查一下", "数字"),
        ("单号好像是20394", "只有 5 位"),
    ],
)
def test_something_that_cannot_be_a_number_is_explained(conv: Conversation, message: str, expected: str) -> None:
    turn = conv.say(message, "track_parcel")
    assert expected in turn.text
    assert "运单号一般是 10–15 位数字" in turn.text
    assert conv.slots["pending_topic"] == "track"


def test_a_bare_invalid_number_is_explained(conv: Conversation) -> None:
    conv.say("帮我查快递", "track_parcel")
    turn = conv.say("123456", "provide_tracking_number")
    assert "只有 6 位" in turn.text
    assert conv.slots["pending_topic"] == "track"


def test_the_fallback_looks_up_a_number_the_nlu_did_not_understand(conv: Conversation) -> None:
    turn = conv.say("7391-0284-7561-02 ？？", "nlu_fallback", action="action_fallback")
    assert "合肥转运中心" in turn.text
    assert not turn.buttons


def test_the_fallback_explains_an_invalid_number(conv: Conversation) -> None:
    turn = conv.say("我的单号 9981 不对吗", "nlu_fallback", action="action_fallback")
    assert "不像完整的运单号" in turn.text


def test_english_not_found_and_explanation(conv: Conversation) -> None:
    turn = conv.say("where is JT9900112233445", "track_parcel")
    assert "no record" in turn.text.lower() or "couldn't find any record" in turn.text
    assert "J&T" in turn.text
    turn = conv.say("my tracking number is 12345", "track_parcel")
    assert "too short" in turn.text


def test_a_corrected_number_in_a_no_is_looked_up(conv: Conversation) -> None:
    conv.say("JT9900112233445 到哪里了", "track_parcel")
    turn = conv.say("不对不对 是 JT4401928375610", "deny")
    assert "岳麓麓山网点" in turn.text


def test_short_digits_read_as_phone_digits_are_explained_as_a_number(conv: Conversation) -> None:
    turn = conv.say("单号好像是20394", "provide_phone_last4")
    assert "只有 5 位" in turn.text
