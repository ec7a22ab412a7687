"""Handoff to a human, yes/no without context, fallback, and store failures."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.exc import OperationalError

from actions.handoff import build_handoff, threatens_escalation
from bot.store import repository
from tests.actions.conftest import Conversation, cases_in_store, make_tracker

# docs/gateway-contract.md
HANDOFF_KEYS = {
    "reason",
    "category",
    "priority",
    "tracking_numbers",
    "summary",
    "language",
    "customer_tier",
    "sla_minutes",
    "verified",
}


def test_asking_for_a_person_hands_off_with_the_facts(conv: Conversation) -> None:
    conv.say("JDVA01234567890 怎么还没到", "ask_delay")
    turn = conv.say("转人工", "request_human")
    handoff = turn.handoff
    assert set(handoff) == HANDOFF_KEYS
    assert handoff["reason"] == "customer_request"
    assert handoff["category"] == "delay"  # from the topic being discussed
    assert handoff["priority"] == "normal"
    assert handoff["tracking_numbers"] == ["JDVA01234567890"]
    assert handoff["language"] == "zh"
    assert handoff["customer_tier"] == "regular"
    assert handoff["sla_minutes"] == 15
    assert handoff["verified"] is False
    summary = handoff["summary"]
    assert "“JDVA01234567890 怎么还没到”" in summary  # what the customer asked
    assert "运单 JDVA01234567890（京东物流）" in summary
    assert "异常 运输延误（当地暴雨导致道路中断，车辆无法按时发出）" in summary
    assert "机器人已处理：解释延误情况" in summary  # what the bot already did
    assert "转人工原因：客户要求人工服务" in summary
    assert "已为您转接人工客服" in turn.text
    assert "分钟" not in turn.text  # the wait estimate comes from the gateway's queue, not the bot
    assert turn.slot_sets() == {"handed_off": True}
    json.dumps(turn.messages)  # the payload travels as JSON


def test_a_consultation_without_a_parcel_has_the_longer_sla(conv: Conversation) -> None:
    turn = conv.say("我要找人工客服", "request_human")
    handoff = turn.handoff
    assert handoff["category"] == "consultation"
    assert handoff["sla_minutes"] == 30
    assert handoff["tracking_numbers"] == []
    assert handoff["customer_tier"] == "unknown"
    assert "客户尚未提供运单号" in handoff["summary"]


def test_no_second_handoff_only_reassurance(conv: Conversation) -> None:
    conv.say("转人工", "request_human")
    turn = conv.say("人呢？快点", "request_human")
    assert turn.handoff is None
    assert "已经转给人工同事" in turn.text
    complaint = conv.say("你们太慢了，我要投诉", "complain")
    assert complaint.handoff is None
    fallback = conv.say("???", "nlu_fallback")
    fallback2 = conv.say("!!!", "nlu_fallback")
    assert fallback2.handoff is None and fallback.handoff is None


def test_a_verified_customer_is_flagged_for_the_console(conv: Conversation) -> None:
    conv.say("签收了没收到 773123456789012", "signed_not_received")
    conv.say("4321", "provide_phone_last4")
    handoff = conv.say("还是找不到，转人工吧", "request_human").handoff
    assert handoff["verified"] is True
    assert handoff["category"] == "loss"


def test_sla_minutes_come_from_the_settings(conv: Conversation, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLA_MINUTES", "delay=5,consultation=45")
    conv.say("JDVA01234567890 怎么还没到", "ask_delay")
    turn = conv.say("转人工", "request_human")
    assert turn.handoff["sla_minutes"] == 5
    assert Conversation().say("人工", "request_human").handoff["sla_minutes"] == 45


def test_a_complaint_is_high_priority(conv: Conversation) -> None:
    turn = conv.say("你们服务太差了，我要投诉 SF1402345678901", "complain")
    handoff = turn.handoff
    assert handoff["reason"] == "complaint"
    assert handoff["category"] == "complaint"
    assert handoff["priority"] == "high"
    assert "非常抱歉给您带来了不好的体验" in turn.text


@pytest.mark.parametrize(
    "text",
    [
        "再不处理我就打12305投诉你们",
        "我要去消协告你们",
        "我已经联系了律师，准备起诉",
        "信不信我找媒体曝光",
        "I'm going to call my lawyer about this",
    ],
)
def test_threats_to_go_to_regulators_media_or_court_are_urgent(text: str) -> None:
    turn = Conversation().say(text, "complain")
    assert turn.handoff["priority"] == "urgent"


def test_numbers_are_not_mistaken_for_hotlines() -> None:
    assert not threatens_escalation("单号 SF1402345315901 还没到，太慢了")
    assert not threatens_escalation("电话13153151234")
    assert not threatens_escalation("the courier was not courteous")
    assert threatens_escalation("打12305")


def test_vip_customers_with_an_exception_are_at_least_high(conv: Conversation) -> None:
    turn = conv.say("SF1400000000018", "request_human")
    assert turn.handoff["priority"] == "high"
    assert turn.handoff["customer_tier"] == "vip"


def test_a_request_for_a_person_about_medicine_is_urgent(conv: Conversation) -> None:
    turn = conv.say("里面是疫苗，快给我转人工 SF1402345678901", "request_human")
    assert turn.handoff["priority"] == "urgent"


def test_english_handoff_has_an_english_summary(conv: Conversation) -> None:
    conv.say("where is YT2290112345678", "track_parcel")
    turn = conv.say("I want to talk to a human agent", "request_human")
    handoff = turn.handoff
    assert handoff["language"] == "en"
    assert handoff["summary"].startswith('Customer said: "where is YT2290112345678"')
    assert "The bot already looked up the tracking status" in handoff["summary"]
    assert "colleague" in turn.text and "分钟" not in turn.text


def test_the_summary_masks_personal_data_the_customer_typed(conv: Conversation) -> None:
    turn = conv.say("收件人张伟，电话13812345678，快转人工", "request_human")
    summary = turn.handoff["summary"]
    assert "13812345678" not in summary and "138****5678" in summary
    assert "张伟" not in summary


def test_the_summary_lists_the_requests_created_in_the_conversation(conv: Conversation, store) -> None:
    conv.say("751234567890 好几天没动静了", "lost_parcel")
    turn = conv.say("转人工", "request_human")
    reference = cases_in_store(store, type="loss_claim")[0].reference
    assert f"已创建工单：{reference}（丢件调查，已受理，待处理）" in turn.handoff["summary"]
    assert turn.handoff["category"] == "loss"


def test_build_handoff_rejects_unknown_reasons() -> None:
    with pytest.raises(ValueError):
        build_handoff(make_tracker("hi", "greet"), "zh", "bored")


# --------------------------------------------------------------------------- fallback


def test_first_misunderstanding_asks_to_rephrase_with_topics(conv: Conversation) -> None:
    turn = conv.say("啊这个那个", "nlu_fallback")
    assert "换个说法" in turn.text
    assert "/track_parcel" in [b["payload"] for b in turn.buttons]
    assert "/request_human" in [b["payload"] for b in turn.buttons]
    assert turn.handoff is None


def test_two_misunderstandings_in_a_row_hand_off(conv: Conversation) -> None:
    conv.say("SF1402345678901", "track_parcel")
    conv.say("啊这个那个", "nlu_fallback")
    turn = conv.say("嗯嗯就是那个", "nlu_fallback")
    handoff = turn.handoff
    assert handoff["reason"] == "repeated_misunderstanding"
    assert handoff["tracking_numbers"] == ["SF1402345678901"]
    assert "“啊这个那个” / “嗯嗯就是那个”" in handoff["summary"]


def test_core_fallbacks_count_as_misunderstandings_too(conv: Conversation) -> None:
    # config.yml's RulePolicy also answers low-confidence predictions with action_fallback
    first = conv.say("那个那个", "track_parcel", action="action_fallback")
    assert first.handoff is None
    second = conv.say("就是那个嘛", "ask_eta", action="action_fallback")
    assert second.handoff["reason"] == "repeated_misunderstanding"


def test_misunderstandings_that_are_not_consecutive_do_not_hand_off(conv: Conversation) -> None:
    conv.say("啊这个那个", "nlu_fallback")
    conv.say("SF1402345678901", "track_parcel")
    turn = conv.say("嗯嗯就是那个", "nlu_fallback")
    assert turn.handoff is None and "换个说法" in turn.text


# --------------------------------------------------------------------------- yes / no


def test_yes_and_no_without_context(conv: Conversation) -> None:
    assert "请问有什么可以帮您" in conv.say("好的", "affirm").text
    assert "还有其他可以帮您的吗" in conv.say("不用", "deny").text
    assert "What can I help you with?" in Conversation().say("yes please", "affirm").text


def test_a_new_question_clears_a_pending_yes_no(conv: Conversation, store) -> None:
    conv.say("773123456789012 退货", "return_goods")
    assert conv.slots["awaiting"] == "return_pickup_confirm"
    conv.say("SF1402345678901 到哪了", "track_parcel")
    conv.say("好的", "affirm")
    assert conv.turns[-1].buttons == []  # no pickup windows offered out of the blue


# --------------------------------------------------------------------------- store failures


@pytest.fixture
def broken_store(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args, **kwargs):
        raise OperationalError("SELECT ...", {}, Exception("database is locked"))

    monkeypatch.setattr(repository, "get_shipments", fail)


@pytest.mark.parametrize(
    "intent",
    [
        "track_parcel",
        "ask_eta",
        "ask_delay",
        "signed_not_received",
        "lost_parcel",
        "delivery_failed",
        "customs_duties",
        "return_goods",
    ],
)
def test_a_store_failure_gets_a_polite_answer(broken_store, intent: str) -> None:
    turn = Conversation().say("SF1402345678901", intent)
    assert turn.text.startswith("非常抱歉，系统查询暂时有点繁忙")
    assert "Error" not in turn.text and "database" not in turn.text and "Traceback" not in turn.text
    assert len(turn.messages) == 1  # nothing half-said before the failure


def test_a_store_failure_in_english(broken_store) -> None:
    turn = Conversation().say("where is SF1402345678901", "track_parcel")
    assert turn.text.startswith("Sorry, our system is a little busy")


def test_handoff_still_works_when_the_store_is_down(broken_store) -> None:
    turn = Conversation().say("SF1402345678901 转人工", "request_human")
    handoff = turn.handoff
    assert handoff["tracking_numbers"] == ["SF1402345678901"]
    assert "系统暂时无法查询详情" in handoff["summary"]
    assert "未查到" not in handoff["summary"]  # unknown is not the same as not found


def test_an_unexpected_error_is_not_shown_to_the_customer(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from actions import parcels

    def boom(*args, **kwargs):
        raise KeyError("recipient_phone=13812345678")

    monkeypatch.setattr(parcels, "tracking_block", boom)
    turn = Conversation().say("SF1402345678901", "track_parcel")
    assert "出了点小问题" in turn.text
    assert "KeyError" not in turn.text and "13812345678" not in turn.text
    assert "KeyError" in caplog.text and "13812345678" not in caplog.text  # logged, masked
