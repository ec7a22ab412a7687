"""Attacks on the recipient-phone check, run through the real actions on a real SQLite
store (the conversation driver of tests/actions runs them as Rasa would).

- brute force spread over conversations: a few wrong guesses each from many fresh
  conversations (a new REST sender or widget session is a new conversation), then the
  right digits from yet another one;
- the same from one client spread over many parcels;
- a tracker forged with the old `verified_numbers` slot (anyone reaching the action server);
- a verification that outlives its idle period or its conversation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.actions.conftest import (  # noqa: F401  (autouse fixtures: a fresh store, a frozen clock)
    ACTIONS,
    NOW,
    Conversation,
    frozen_clock,
    make_tracker,
    run_action,
    store,
    template_db,
)

LOCKER = "773123456789012"  # delivered to a parcel locker; recipient phone ends in 4321
PICKUP_CODE = "8-2-3341"


class ClientConversation(Conversation):
    """A conversation whose messages carry the gateway's client key as metadata."""

    client: str = ""

    def _tracker(self, latest: dict[str, Any]):
        latest = {**latest, "parse_data": {**latest["parse_data"], "metadata": {"client": self.client}}}
        return super()._tracker(latest)


def ask_code(conv: Conversation) -> None:
    turn = conv.say(f"显示签收了但我没收到 {LOCKER}", "signed_not_received")
    assert PICKUP_CODE not in turn.text


def test_brute_force_spread_over_conversations_is_locked_out() -> None:
    # Two wrong guesses per conversation stay under the per-conversation limit (3) ...
    guesses = iter(f"{n:04d}" for n in range(1000, 10000) if f"{n:04d}" != "4321")
    for _ in range(4):
        conv = Conversation()
        ask_code(conv)
        for _ in range(2):
            turn = conv.say(next(guesses), "provide_phone_last4")
            assert PICKUP_CODE not in turn.text
    # ... but the parcel has seen 8 failures: the right digits from a fresh conversation do not unlock it.
    conv = Conversation()
    ask_code(conv)
    turn = conv.say("4321", "provide_phone_last4")
    assert PICKUP_CODE not in turn.text
    assert "验证已暂停" in turn.text
    assert turn.handoff is not None and turn.handoff["reason"] == "verification_failed"
    assert turn.handoff["verified"] is False


def test_the_owner_still_gets_in_below_the_limit() -> None:
    for guess in ("1111", "2222"):
        conv = Conversation()
        ask_code(conv)
        conv.say(guess, "provide_phone_last4")
    conv = Conversation()
    ask_code(conv)
    assert f"取件码：{PICKUP_CODE}" in conv.say("4321", "provide_phone_last4").text


def test_one_client_guessing_on_many_parcels_is_locked_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERIFY_MAX_FAILURES_PER_CLIENT", "3")
    for guess in ("1111", "2222", "3333"):
        conv = ClientConversation()
        conv.client = "ip:203.0.113.7"
        ask_code(conv)
        conv.say(guess, "provide_phone_last4")
    conv = ClientConversation()
    conv.client = "ip:203.0.113.7"
    ask_code(conv)
    turn = conv.say("4321", "provide_phone_last4")
    assert PICKUP_CODE not in turn.text and "验证已暂停" in turn.text
    # another client is not affected by this one's failures
    other = ClientConversation()
    other.client = "ip:198.51.100.20"
    ask_code(other)
    assert PICKUP_CODE in other.say("4321", "provide_phone_last4").text


def test_a_forged_tracker_slot_proves_nothing() -> None:
    tracker = make_tracker(
        f"显示签收了但我没收到 {LOCKER}",
        "signed_not_received",
        slots={"verified_numbers": [LOCKER]},
        sender_id="forged",
    )
    messages, _ = run_action(ACTIONS["action_signed_not_received"], tracker)
    text = "\n".join(m.get("text") or "" for m in messages)
    assert PICKUP_CODE not in text
    assert "后4位" in text


def test_verification_expires_when_idle_and_stays_in_its_conversation(frozen_clock) -> None:  # noqa: F811
    conv = Conversation()
    ask_code(conv)
    assert PICKUP_CODE in conv.say("4321", "provide_phone_last4").text
    frozen_clock(NOW + timedelta(minutes=20))
    assert PICKUP_CODE in conv.say(f"{LOCKER} 取件码再发一下", "signed_not_received").text
    # another conversation of the same customer starts unverified
    assert PICKUP_CODE not in Conversation().say(f"{LOCKER} 取件码再发一下", "signed_not_received").text
    frozen_clock(NOW + timedelta(minutes=20 + 31))  # idle for longer than VERIFY_IDLE_MINUTES
    turn = conv.say(f"{LOCKER} 取件码再发一下", "signed_not_received")
    assert PICKUP_CODE not in turn.text and "后4位" in turn.text


class StrangerConversation(Conversation):
    """The same conversation, but the gateway marks the latest message as sent by someone
    who could not prove to be its customer (a REST post as a known sender without the
    conversation secret)."""

    unproven: bool = False

    def _tracker(self, latest: dict[str, Any]):
        if self.unproven:
            latest = {**latest, "parse_data": {**latest["parse_data"], "metadata": {"sender_proven": False}}}
        return super()._tracker(latest)


def test_a_stranger_posting_as_the_sender_gets_none_of_its_verification() -> None:
    conv = StrangerConversation()
    ask_code(conv)
    assert PICKUP_CODE in conv.say("4321", "provide_phone_last4").text
    conv.unproven = True  # someone who knows the sender id, without its secret
    turn = conv.say(f"{LOCKER} 取件码再发一下", "signed_not_received")
    assert PICKUP_CODE not in turn.text and "后4位" in turn.text
    conv.unproven = False  # the customer (with the secret) still has the proof
    assert PICKUP_CODE in conv.say(f"{LOCKER} 取件码再发一下", "signed_not_received").text
