"""Issue 8, class 4: generic questions about a parcel whose own state answers them get
that parcel's record (refusal/return, pickup status, cancellation), not generic steps.
A real SQLite store holding tests/fixtures/carrier_formats.jsonl."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from actions import db
from tests.actions.conftest import NOW, ROOT, Conversation, _build_database, _open_store

FORMATS_FIXTURE = ROOT / "tests" / "fixtures" / "carrier_formats.jsonl"
RETURNING = "431029384756102"  # refused (packaging damaged), on its way back
RETURNED = "SF1298374650123"  # refused (not ordered), back with the sender
NOT_COLLECTED = "DPK201938475610"  # ordered 2026-11-22 16:00, no courier yet
CANCELLED = "SF1487263501928"


@pytest.fixture(autouse=True)
def formats_store(store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    path = tmp_path / "formats.db"
    _build_database(path, FORMATS_FIXTURE)
    yield _open_store(path, monkeypatch)
    db.reset_for_tests()


@pytest.mark.parametrize("intent", ["return_goods", "delivery_failed", "ask_delay", "ask_eta", "lost_parcel"])
def test_why_did_it_come_back_gets_the_refusal_record(conv: Conversation, intent: str) -> None:
    turn = conv.say(f"{RETURNING} 怎么退回去了", intent)
    assert "被拒收" in turn.text and "包装破损、茶叶受潮" in turn.text
    assert "正在退回杭州的途中" in turn.text
    assert "转人工" in turn.text  # nobody refused it: a colleague checks the record
    assert "退货流程" not in turn.text and "预计送达" not in turn.text
    assert turn.slot_sets()["tracking_numbers"] == [RETURNING]


def test_a_parcel_back_with_the_sender_is_not_called_delivered(conv: Conversation) -> None:
    turn = conv.say(f"{RETURNED} 为啥退回来了", "return_goods")
    assert "表示未订购此商品" in turn.text
    assert "已经退回寄件人（苏州市姑苏区）" in turn.text
    assert "签收人" not in turn.text and "已签收，签收" not in turn.text


def test_english_return_record(conv: Conversation) -> None:
    turn = conv.say(f"why was {RETURNED} sent back to me", "return_goods")
    assert "was refused at delivery" in turn.text and "back with the sender" in turn.text


def test_nobody_collected_it_gets_the_pickup_status(conv: Conversation) -> None:
    turn = conv.say(f"{NOT_COLLECTED} 怎么还没人来取件", "ask_delay")
    assert "等待揽收" in turn.text and "还没有上门揽收" in turn.text
    assert "24 小时内" in turn.text  # ordered 18 hours ago: the usual wait
    assert "延误" not in turn.text


def test_a_pickup_overdue_offers_a_colleague(conv: Conversation, frozen_clock: Callable[[Any], None]) -> None:
    frozen_clock(NOW + timedelta(days=1))
    turn = conv.say(f"{NOT_COLLECTED} 下单两天了没人来拿", "ask_delay")
    assert "下单已经 42 小时了" in turn.text
    assert "转人工" in turn.text and "久等" in turn.text


def test_a_cancelled_shipment_says_so(conv: Conversation) -> None:
    turn = conv.say(f"{CANCELLED} 是不是丢了 物流不动了", "lost_parcel")
    assert "已经取消了" in turn.text and "不会再有新的物流信息" in turn.text
    assert "排查" not in turn.text  # no loss investigation for a cancelled shipment


def test_failed_delivery_with_a_number_gives_the_reason_and_options(conv: Conversation) -> None:
    turn = conv.say("JDX029384756120 送不到怎么办", "delivery_failed")
    assert "缺少门牌号" in turn.text
    assert turn.buttons  # self pickup / redeliver / forward


def test_tracking_still_shows_the_whole_block(conv: Conversation) -> None:
    turn = conv.say(f"{RETURNING} 到哪了", "track_parcel")
    assert "状态：退回中" in turn.text and "包装破损、茶叶受潮" in turn.text


def test_where_is_a_parcel_whose_delivery_failed_gives_the_reason_and_options(conv: Conversation) -> None:
    turn = conv.say("JDX029384756120 送不到怎么办", "track_parcel")
    assert "缺少门牌号" in turn.text and turn.buttons
    assert conv.slots["awaiting"] == "delivery_option"
    choice = conv.say("那我自己去网点拿吧", "choose_delivery_option")
    assert "CS" in choice.text  # a self-pickup case with its reference


def test_is_it_lost_about_a_failed_delivery_gives_the_reason_not_a_loss_answer(conv: Conversation) -> None:
    turn = conv.say("JDX029384756120 送不到了是不是丢了", "lost_parcel")
    assert "缺少门牌号" in turn.text and turn.buttons
    assert "丢失" not in turn.text
