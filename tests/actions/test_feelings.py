"""Feelings and urgency on every turn (actions/feelings.py, bot/signals.py) against the real
SQLite store: the feeling acknowledged before the answer, a person offered or handed the
conversation, the green channel for urgent goods, calm questions left alone."""

from __future__ import annotations

from typing import Any

import pytest

from actions.catalogue import MESSAGES
from tests.actions import conftest
from tests.actions.conftest import Conversation

ON_TIME = "SF1402345678901"  # in transit, expected tomorrow
DELAYED = "JDVA01234567890"  # delay exception, past its promise
DELIVERED = "773123456789012"
OUT_OF_AREA = "YT1230000000002"


def zh(key: str) -> str:
    return MESSAGES[key]["zh"]


def en(key: str) -> str:
    return MESSAGES[key]["en"]


def test_a_calm_question_gets_no_acknowledgement_no_offer_and_no_handoff() -> None:
    turn = Conversation().say(f"{ON_TIME} 什么时候能到", "ask_eta")
    assert ON_TIME in turn.text
    for key in ("feel_upset", "feel_angry", "feel_urgent", "feel_offer_person"):
        assert zh(key) not in turn.text
    assert turn.handoff is None
    assert turn.slot_sets().get("awaiting") is None


def test_an_upset_customer_hears_the_feeling_first_then_the_answer_then_the_offer() -> None:
    conv = Conversation()
    turn = conv.say(f"等了好久了 {ON_TIME} 到底什么时候到!!", "ask_eta")
    texts = [m.get("text") or "" for m in turn.messages]
    assert texts[0] == zh("feel_upset")
    assert ON_TIME in texts[1]  # the answer itself
    assert texts[-1] == zh("feel_offer_person")
    assert turn.handoff is None
    assert conv.slots["awaiting"] == "person_offer"
    accepted = conv.say("好的 麻烦帮我转人工", "affirm")
    assert accepted.handoff["reason"] == "customer_upset"
    assert accepted.handoff["tracking_numbers"] == [ON_TIME]


def test_an_acknowledgement_of_the_answer_is_not_taken_for_a_yes_to_the_offer() -> None:
    conv = Conversation()
    conv.say(f"急急急 {ON_TIME} 今天能到吗", "ask_eta")
    assert conv.slots["awaiting"] == "person_offer"
    turn = conv.say("ok 那就好", "affirm")
    assert turn.handoff is None
    assert conv.slots["awaiting"] is None


def test_an_upset_customer_may_decline_the_offer() -> None:
    conv = Conversation()
    conv.say(f"{ON_TIME} 怎么这么慢", "ask_eta")
    turn = conv.say("算了 不用", "deny")
    assert zh("deny_escalate") in turn.text
    assert turn.handoff is None
    assert conv.slots["awaiting"] is None


def test_strong_anger_is_acknowledged_answered_and_handed_to_a_person() -> None:
    turn = Conversation().say(f"你们到底怎么做事的 {DELAYED} 还不到", "ask_delay")
    texts = [m.get("text") or "" for m in turn.messages]
    assert texts[0] == zh("feel_angry")
    assert any(DELAYED in t for t in texts[1:])  # the delay is still explained
    handoff = turn.handoff
    assert handoff["reason"] == "customer_upset"
    assert handoff["priority"] == "high"
    assert zh("handoff_lead_customer_upset") in turn.text


def test_a_threat_to_go_to_the_regulator_makes_the_handoff_urgent() -> None:
    turn = Conversation().say(f"{DELAYED} 再不给说法我就打12305", "ask_delay")
    assert turn.handoff["reason"] == "customer_upset"
    assert turn.handoff["priority"] == "urgent"


def test_a_customer_upset_again_after_the_acknowledgement_goes_to_a_person() -> None:
    conv = Conversation()
    first = conv.say(f"{ON_TIME} 怎么这么慢", "ask_eta")
    assert first.handoff is None
    second = conv.say("物流一直不动 真的好烦", "ask_delay")
    assert second.handoff["reason"] == "customer_upset"


def test_english_feelings_are_acknowledged_in_english() -> None:
    turn = Conversation().say(f"I'm really frustrated, where is {ON_TIME}?", "track_parcel")
    assert turn.messages[0]["text"] == en("feel_upset")
    assert en("feel_offer_person") in turn.text


def test_an_answer_that_waits_for_a_choice_keeps_it_and_tells_how_to_reach_a_person() -> None:
    conv = Conversation()
    turn = conv.say(f"😤 {OUT_OF_AREA} 为什么不送到家", "delivery_failed")
    assert turn.messages[0]["text"] == zh("feel_upset")
    assert zh("feel_offer_person_later") in turn.text
    assert conv.slots["awaiting"] not in (None, "person_offer")  # still waiting for the delivery option


def test_perishables_held_up_open_the_green_channel() -> None:
    turn = Conversation().say(f"寄的是海鲜 {DELAYED} 怎么还没到", "ask_delay")
    handoff = turn.handoff
    assert handoff["reason"] == "urgent_goods"
    assert handoff["priority"] == "urgent"
    assert zh("handoff_lead_urgent_goods") in turn.text


def test_documents_for_a_deadline_on_time_are_offered_the_green_channel() -> None:
    conv = Conversation()
    turn = conv.say(f"{ON_TIME} 里面是明天面试要用的材料 什么时候到", "ask_eta")
    assert turn.handoff is None
    assert zh("green_channel_offer") in turn.text
    assert turn.messages[0]["text"] == zh("feel_urgent")
    accepted = conv.say("需要", "affirm")
    assert accepted.handoff["reason"] == "urgent_goods"
    assert accepted.handoff["priority"] == "urgent"


def test_impatience_without_urgent_goods_is_no_green_channel() -> None:
    turn = Conversation().say(f"急急急 {ON_TIME} 今天能到吗", "ask_eta")
    assert turn.handoff is None
    assert zh("green_channel_offer") not in turn.text


def test_urgent_goods_already_delivered_need_no_handoff() -> None:
    turn = Conversation().say(f"寄的是生鲜 {DELIVERED} 送到了吗", "track_parcel")
    assert turn.handoff is None


def test_urgent_goods_named_before_the_number_still_count() -> None:
    conv = Conversation()
    conv.say("冷链的水果三天了还没到 会不会坏掉", "ask_delay")
    turn = conv.say(DELAYED, "provide_tracking_number")
    assert turn.handoff["reason"] == "urgent_goods"


def test_a_complaint_is_not_acknowledged_twice() -> None:
    turn = Conversation().say(f"你们到底怎么做事的 我要投诉 {DELAYED}", "complain")
    assert turn.handoff["reason"] == "complaint"
    assert zh("feel_angry") not in turn.text


def test_the_signals_of_the_parse_result_are_used_when_present(monkeypatch: pytest.MonkeyPatch) -> None:
    """A calm text whose parse result (the NLU's SignalReader) says upset: the parse result wins."""
    real_user_event = conftest.user_event

    def user_event(text: str, intent: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        event = real_user_event(text, intent, *args, **kwargs)
        event["parse_data"]["signals"] = {"emotion": "upset", "score": 2.0, "urgent": False, "cues": []}
        return event

    monkeypatch.setattr(conftest, "user_event", user_event)
    turn = Conversation().say(f"{ON_TIME} 什么时候到", "ask_eta")
    assert turn.messages[0]["text"] == zh("feel_upset")
