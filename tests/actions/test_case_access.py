"""Case references are sequential (CS<date>-<n>): naming one must not reveal someone
else's case. Its progress is told to the conversation that registered it, or to one that
proved the recipient's phone of its parcel (bot/security grants); anything else gets
one answer, whether the case exists or not, and counts as a guess (bot/security
lockout, per client and per conversation)."""

from __future__ import annotations

from typing import Any

from actions import db
from bot.config import load_settings
from bot.security import PARCEL, SENDER_PROVEN, Subject, verification_grants
from tests.actions.conftest import Conversation, cases_in_store

PARCEL_KEY = "SF1409876543210"
STATUS_WORDS = ("已受理", "待处理", "处理中", PARCEL_KEY)


def _owner_case(conv: Conversation, store: Any, monkeypatch: Any) -> Any:
    monkeypatch.setenv("CLAIM_HANDOFF_VALUE", "100000")
    conv.say(f"{PARCEL_KEY} 收到的东西摔坏了", "damaged_goods")
    (case,) = cases_in_store(store, type="damage_claim")
    return case


def _shows_progress(text: str) -> bool:
    return any(word in text for word in STATUS_WORDS)


def test_someone_elses_reference_reveals_nothing(conv: Conversation, store: Any, monkeypatch: Any) -> None:
    case = _owner_case(conv, store, monkeypatch)
    assert _shows_progress(conv.say(f"{case.reference} 进度", "track_parcel").text)  # the owner

    stranger = Conversation().say(f"{case.reference} 进度", "track_parcel").text
    assert not _shows_progress(stranger)
    # The next reference (not issued yet) gets the very same answer: existence is not revealed either.
    day, number = case.reference.rsplit("-", 1)
    unknown = f"{day}-{int(number) + 1:04d}"
    other = Conversation().say(f"{unknown} 进度", "track_parcel").text
    assert other.replace(unknown, case.reference) == stranger


def test_a_verified_recipient_may_follow_the_case(conv: Conversation, store: Any, monkeypatch: Any) -> None:
    case = _owner_case(conv, store, monkeypatch)
    returning = Conversation()
    assert not _shows_progress(returning.say(f"{case.reference} 进度", "track_parcel").text)
    # The customer proves the recipient's phone of the case's parcel (what the last-4 check grants).
    verification_grants(db.session_factory(), load_settings()).grant(returning.sender_id, [Subject(PARCEL, PARCEL_KEY)])
    assert _shows_progress(returning.say(f"{case.reference} 进度", "track_parcel").text)


def test_reference_guesses_are_limited_per_client_across_conversations(
    conv: Conversation, store: Any, monkeypatch: Any
) -> None:
    case = _owner_case(conv, store, monkeypatch)
    limit = load_settings().verify_max_failures_per_parcel
    attacker = {"client": "ip:203.0.113.7", "channel": "rest"}
    day, number = case.reference.rsplit("-", 1)
    # One guess per fresh conversation, all from one address.
    for offset in range(1, limit + 1):
        guess = f"{day}-{int(number) + offset:04d}"
        text = Conversation().say(f"{guess} 进度", "track_parcel", metadata=attacker).text
        assert guess in text and "次数较多" not in text
    # Locked now: even the real reference, from yet another conversation, shows nothing.
    text = Conversation().say(f"{case.reference} 进度", "track_parcel", metadata=attacker).text
    assert "次数较多" in text and not _shows_progress(text)
    # The owner is not affected (their own case is no guess), nor another client.
    assert _shows_progress(conv.say(f"{case.reference} 进度", "track_parcel").text)
    text = Conversation().say(f"{case.reference} 进度", "track_parcel", metadata={"client": "ip:198.51.100.1"}).text
    assert "次数较多" not in text


def test_guesses_are_limited_per_conversation_too(conv: Conversation, store: Any, monkeypatch: Any) -> None:
    case = _owner_case(conv, store, monkeypatch)
    limit = load_settings().verify_max_failures_per_parcel
    day, number = case.reference.rsplit("-", 1)
    guesser = Conversation()
    for offset in range(1, limit + 1):  # a new address for every guess (rotating proxies)
        rotating = {"client": f"ip:10.0.0.{offset}"}
        guesser.say(f"{day}-{int(number) + offset:04d} 进度", "track_parcel", metadata=rotating)
    text = guesser.say(f"{case.reference} 进度", "track_parcel", metadata={"client": "ip:10.0.1.1"}).text
    assert "次数较多" in text and not _shows_progress(text)


def test_a_sender_without_the_conversations_secret_is_told_nothing(
    conv: Conversation, store: Any, monkeypatch: Any
) -> None:
    """The gateway marks a message sent as a known customer without their secret
    (sender_proven false): it speaks in the conversation but proves nothing."""
    case = _owner_case(conv, store, monkeypatch)
    intruder = {SENDER_PROVEN: False, "client": "ip:203.0.113.9"}
    for question in ("进度呢", f"{case.reference} 进度", "上传链接过期了，再发一个"):
        turn = conv.say(question, "track_parcel", metadata=intruder)
        assert not _shows_progress(turn.text), question
        assert "/upload/" not in str(turn.messages), question
    assert _shows_progress(conv.say("进度呢", "track_parcel").text)  # the customer still is


def test_reporting_the_same_problem_elsewhere_does_not_reveal_the_case(
    conv: Conversation, store: Any, monkeypatch: Any
) -> None:
    """Anyone who knows a tracking number can say it arrived damaged: they hear that a claim
    is open (so it is not filed twice), not its reference or progress."""
    case = _owner_case(conv, store, monkeypatch)
    again = conv.say(f"{PARCEL_KEY} 收到的东西摔坏了", "damaged_goods").text
    assert case.reference in again  # the customer who filed it
    text = Conversation().say(f"{PARCEL_KEY} 收到的东西摔坏了", "damaged_goods").text
    assert case.reference not in text and "已受理" not in text and "不用重复提交" in text
    assert len(cases_in_store(store, type="damage_claim")) == 1
