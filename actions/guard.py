"""The actions' door to bot.security: who is trying (the client key the gateway passes
as message metadata), the lockout of the recipient-phone check, and the grants a passed
check gives this conversation (renewed on use, expired when idle, never carried into
another conversation or Rasa session). The tracker's slots prove nothing."""

from __future__ import annotations

from datetime import datetime, timezone

from rasa_sdk import Tracker
from sqlalchemy.exc import SQLAlchemyError

from actions import db
from actions.db import StoreError
from bot import clock
from bot.cases.models import Case
from bot.config import Settings
from bot.security import (
    CASE_REFERENCE,
    PARCEL,
    SENDER_PROVEN,
    Grants,
    Lockout,
    Subject,
    reference_lockout,
    verification_grants,
    verification_lockout,
)


def client_key(tracker: Tracker) -> str:
    """Who is trying: the client key the gateway puts in the message metadata (an address
    or a WeChat user), else the conversation itself."""
    metadata = tracker.latest_message.get("metadata") or {}
    client = metadata.get("client") if isinstance(metadata, dict) else None
    if isinstance(client, str) and client:
        return client[:200]
    return f"sender:{tracker.sender_id}"


def sender_proven(tracker: Tracker) -> bool:
    """False when the gateway says this message's sender could not prove to be the
    conversation's customer: nothing the conversation proved serves it."""
    metadata = tracker.latest_message.get("metadata") or {}
    return not (isinstance(metadata, dict) and metadata.get(SENDER_PROVEN) is False)


def session_start(tracker: Tracker) -> datetime | None:
    """When the current Rasa session started (grants made before it do not count)."""
    for event in reversed(tracker.events):
        if event.get("event") == "session_started" and isinstance(event.get("timestamp"), (int, float)):
            return datetime.fromtimestamp(event["timestamp"], tz=timezone.utc)
    return None


def lockout(settings: Settings) -> Lockout:
    return verification_lockout(db.session_factory(), settings, clock=lambda: clock.utcnow())


def reference_guesses(settings: Settings) -> Lockout:
    """Case references asked about that this asker may not see, counted like guesses."""
    return reference_lockout(db.session_factory(), settings, clock=lambda: clock.utcnow())


def reference_subjects(tracker: Tracker) -> list[Subject]:
    """Who asks about a case reference: the client and the conversation."""
    return [
        Subject(CASE_REFERENCE, f"client:{client_key(tracker)}"),
        Subject(CASE_REFERENCE, f"conversation:{tracker.sender_id}"),
    ]


def may_see_case(tracker: Tracker, settings: Settings, case: Case) -> bool:
    """A case's reference and progress are told to the customer of the conversation that
    registered it, or to a conversation that proved the recipient's phone of one of its parcels."""
    if not sender_proven(tracker):
        return False
    if str(tracker.sender_id) in case.conversation_ids:
        return True
    return any(is_verified(tracker, settings, parcel.tracking_key) for parcel in case.parcels)


def grants(settings: Settings) -> Grants:
    return verification_grants(db.session_factory(), settings, clock=lambda: clock.utcnow())


def is_verified(tracker: Tracker, settings: Settings, key: str) -> bool:
    """Whether this conversation proved the recipient's phone for parcel `key` (recently,
    in this session). Renews the proof. Never for a message whose sender is not proven."""
    if not sender_proven(tracker):
        return False
    try:
        return grants(settings).check(str(tracker.sender_id), Subject(PARCEL, key), since=session_start(tracker))
    except SQLAlchemyError as exc:
        raise StoreError(f"verification store error: {type(exc).__name__}") from exc


def holds_any(tracker: Tracker, settings: Settings) -> bool:
    """Whether the conversation holds any live proof (the console then shows its transcript unmasked)."""
    if not sender_proven(tracker):
        return False
    try:
        return grants(settings).holds_any(str(tracker.sender_id), since=session_start(tracker))
    except SQLAlchemyError:
        return False
