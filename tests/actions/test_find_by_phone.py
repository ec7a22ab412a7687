"""Finding parcels without a tracking number (actions/lookup.py) against the real SQLite
store: the recipient's phone plus a last name or an order id, a masked list to choose
from, nothing about anybody else, failures counted by bot.security's lockout."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from actions import lookup
from actions.catalogue import MESSAGES
from bot.store.importer import import_jsonl
from tests.actions.conftest import Conversation

PHONE = "15900001111"
HOUSEHOLD = [
    # Two parcels of 何小红 (one written with +86 and spaces), one of her husband 王刚 on the same phone.
    ("SF1500000000011", "何小红", "15900001111", "DD20261120000001", "in_transit", "杭州", "上海市浦东新区张江路1号"),
    ("JT5000000000022", "何小红", "+86 159 0000 1111", None, "out_for_delivery", "揭阳", "上海市浦东新区张江路1号"),
    ("YT2300000000033", "王刚", "15900001111", "DD20261120000099", "delivered", "温州", "上海市浦东新区张江路1号"),
    ("SF1500000000044", "欧阳静", "18800002222", None, "in_transit", "广州", "广州市天河区体育西路2号"),
    ("SF1500000000055", "Alice Turner", "+44 7700 900412", None, "in_transit", "Shenzhen", "Edinburgh, UK"),
]  # fmt: skip


def zh(key: str, **values: Any) -> str:
    return MESSAGES[key]["zh"].format(**values) if values else MESSAGES[key]["zh"]


@pytest.fixture(autouse=True)
def household(store: Any, tmp_path: Path) -> None:
    lines = []
    for number, name, phone, order_id, status, origin, address in HOUSEHOLD:
        record: dict[str, Any] = {
            "tracking_number": number,
            "carrier": number[:2] if number[:2] in ("SF", "JT") else "YTO",
            "status": status,
            "origin": origin,
            "destination": address.split("张江路")[0].split("体育西路")[0],
            "recipient": {"name": name, "phone": phone, "address": address},
            "shipped_at": "2026-11-21T10:00:00+08:00",
            "events": [
                {
                    "time": "2026-11-21T10:00:00+08:00",
                    "location": origin,
                    "status": "picked_up",
                    "description": "已揽收",
                }
            ],
        }
        if order_id:
            record["order_id"] = order_id
        lines.append(json.dumps(record, ensure_ascii=False))
    path = tmp_path / "household.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = import_jsonl(str(path), store, progress=False)
    assert summary.rejected == 0, summary.errors


def test_no_number_asks_for_the_phone_and_a_check_then_lists_only_the_named_recipients_parcels() -> None:
    conv = Conversation()
    first = conv.say("我没有运单号 能用手机号查吗", "track_parcel")
    assert first.text == zh("lookup_ask_phone")
    second = conv.say(f"收件手机 {PHONE}", "track_parcel")
    assert "159****1111" in second.text and PHONE not in second.text
    listed = conv.say("收件人姓何", "track_parcel")
    assert "SF15*******0011" in listed.text  # masked: first 4 and last 4 only
    assert "JT50*******0022" in listed.text  # the +86 spaced form of the same phone
    assert "SF1500000000011" not in listed.text
    assert "0033" not in listed.text  # 王刚's parcel on the same phone is not shown
    assert "上海市" in listed.text and "浦东" not in listed.text and "张江路" not in listed.text  # city only
    assert conv.slots["awaiting"] == lookup.LOOKUP_CHOICE
    position = next(line.split(".")[0] for line in listed.text.splitlines() if "JT50*******0022" in line)
    chosen = conv.say(position, "nlu_fallback")
    assert "JT5000000000022" in chosen.text  # the full tracking answer of the chosen parcel
    assert conv.slots["tracking_numbers"] == ["JT5000000000022"]


def test_a_wrong_last_name_and_an_unknown_phone_get_the_same_answer() -> None:
    wrong = Conversation().say(f"手机号{PHONE} 姓张", "track_parcel")
    unknown = Conversation().say("手机号13000009999 姓张", "track_parcel")
    assert wrong.text.replace("159****1111", "X") == unknown.text.replace("130****9999", "X")
    assert "0011" not in wrong.text and "0022" not in wrong.text


def test_the_right_name_after_a_wrong_one_keeps_the_phone() -> None:
    conv = Conversation()
    conv.say(f"{PHONE} 姓李", "track_parcel")
    turn = conv.say("哦 收件人是我老婆 她姓何", "track_parcel")
    assert "SF15*******0011" in turn.text


def test_the_order_id_is_a_check_of_its_own_and_one_match_becomes_the_parcel_talked_about() -> None:
    conv = Conversation()
    turn = conv.say(f"没单号 手机号{PHONE} 订单号DD20261120000099", "track_parcel")
    assert "YT23*******0033" in turn.text
    assert "0011" not in turn.text and "0022" not in turn.text
    eta = conv.say("那它什么时候到", "ask_eta")
    assert "YT2300000000033" in eta.text


def test_compound_surnames_latin_names_and_english_requests() -> None:
    turn = Conversation().say("帮我用手机号查下件 18800002222 欧阳", "track_parcel")
    assert "SF15*******0044" in turn.text
    english = Conversation()
    english.say("I lost my tracking number, can you find my parcel with my phone?", "track_parcel")
    found = english.say("+44 7700 900412, surname Turner", "track_parcel")
    assert "SF15*******0055" in found.text and "Edinburgh" in found.text
    pinyin = Conversation().say(f"phone {PHONE}, surname He", "track_parcel")
    assert "SF15*******0011" in pinyin.text


def test_repeated_wrong_checks_go_to_a_person_and_never_reveal_anything() -> None:
    conv = Conversation()
    turns = [conv.say(f"{PHONE} 姓{name}", "track_parcel") for name in ("李", "赵", "陈")]
    assert all("0011" not in t.text and "0022" not in t.text for t in turns)
    assert turns[0].handoff is None and turns[1].handoff is None
    assert turns[2].handoff["reason"] == "verification_failed"


def test_failures_are_counted_per_phone_across_conversations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERIFY_MAX_FAILURES_PER_PARCEL", "2")
    for name in ("李", "赵"):
        Conversation().say(f"{PHONE} 姓{name}", "track_parcel")
    # A third conversation (another client) with the right name: the phone is locked.
    locked = Conversation().say(f"{PHONE} 姓何", "track_parcel")
    assert "0011" not in locked.text
    assert locked.handoff["reason"] == "verification_failed"


def test_failures_are_counted_per_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERIFY_MAX_FAILURES_PER_CLIENT", "2")
    conv = Conversation()
    conv.say("13000000001 姓李", "track_parcel")
    conv.say("13000000002 姓李", "track_parcel")
    # Farming other phones from the same client is stopped even with a right check.
    other = Conversation(sender_id=conv.sender_id)
    turn = other.say(f"{PHONE} 姓何", "track_parcel")
    assert "0011" not in turn.text and turn.handoff is not None


def test_the_phone_number_is_masked_in_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    conv = Conversation()
    conv.say(f"{PHONE} 姓何", "track_parcel")
    conv.say(f"{PHONE} 姓李", "track_parcel")
    assert PHONE not in caplog.text
    assert "159****1111" in caplog.text


@pytest.mark.parametrize(
    ("text", "phone", "surname", "orders"),
    [
        ("罗 13607551234", "13607551234", "罗", ()),
        ("电话159 2134 8876 我姓何", "15921348876", "何", ()),
        ("+86-139-1822-0473 收件人是何志明", "13918220473", "何", ()),
        ("手机13600001111 订单号JJ20261115-88231", "13600001111", None, ("JJ2026111588231",)),
        ("surname He, +86 159 2134 8876", "15921348876", "He", ()),
        ("姓欧阳 18817346620", "18817346620", "欧阳", ()),
        ("我没有单号", None, None, ()),
    ],
)
def test_the_request_is_read_from_free_text(text: str, phone: str | None, surname: str | None, orders: tuple) -> None:
    request = lookup.request_in(text, None)
    assert (request.phone, request.surname, request.order_ids) == (phone, surname, orders)


def test_choices_by_position_ordinal_or_last_digits() -> None:
    keys = ["SF1500000000011", "JT5000000000022"]
    assert lookup.chosen_key("1", keys) == keys[0]
    assert lookup.chosen_key("第二个", keys) == keys[1]
    assert lookup.chosen_key("the second one", keys) == keys[1]
    assert lookup.chosen_key("尾号0022的那个", keys) == keys[1]
    assert lookup.chosen_key("3", keys) is None
    assert lookup.chosen_key("好的谢谢", keys) is None


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("我没有运单号 能用手机号查吗", "track_parcel"),
        ("单号找不着了 只知道收件人电话", "lost_parcel"),
        ("I lost my tracking number, can you find my parcel by phone?", "nlu_fallback"),
    ],
)
def test_no_number_and_a_phone_offered_start_the_lookup_whatever_the_intent(text: str, intent: str) -> None:
    turn = Conversation().say(text, intent)
    assert turn.slot_sets().get("awaiting") == lookup.LOOKUP_DETAILS


def test_a_phone_with_a_last_name_is_a_lookup_whatever_the_intent() -> None:
    turn = Conversation().say(f"{PHONE} 姓何", "provide_tracking_number")
    assert "SF15*******0011" in turn.text


def test_a_tracking_question_is_not_taken_for_a_lookup() -> None:
    turn = Conversation().say("SF1402345678901 到哪了 我的电话是13812345678", "track_parcel")
    assert turn.slot_sets().get("awaiting") != lookup.LOOKUP_DETAILS
    assert "SF1402345678901" in turn.text
