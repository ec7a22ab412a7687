"""Keeping a conversation's report facts current as it happens: message counters, the
customer waiting for an answer, the first handoff request, the parcels it is about, and
its links to earlier and later contacts about the same thing (gw_conversation_stats,
gw_conversation_parcels; read by bot/reports).

Counters change with one atomic UPDATE per message, so concurrent writers (the router,
agents, several gateway processes) never lose a count. Contacts are linked when they
happen: a new conversation with the customer's previous one on the channel, a parcel
with the other conversations about it (`bot.reports.links` recomputes the same links
from the whole history, e.g. for conversations recorded before this module existed)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select, update
from sqlalchemy.orm import Session

from bot.db import UTCDateTime
from bot.gateway.models import Conversation, ConversationParcel, ConversationStats
from bot.reports.vocabulary import COMPLAINT_REASON, EXCEPTION_CATEGORY
from bot.store.models import Shipment, ShipmentException
from bot.store.tracking_numbers import find_tracking_numbers, looks_like_tracking_number, normalize

# Messages that answer the customer (system notices such as the queue position do not).
REPLY_ROLES = ("bot", "agent")
_COUNTER = {"customer": "customer_messages", "bot": "bot_messages", "agent": "agent_messages"}
MAX_PARCELS_PER_CONVERSATION = 20
# Other conversations about a parcel that are linked to a new one (the most recent).
MAX_PARCEL_LINKS = 50


def _at(moment: datetime) -> Any:
    return literal(moment, UTCDateTime())


def _earliest(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate < current else current


def _latest(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current


def _new_stats(conversation: Conversation) -> ConversationStats:
    return ConversationStats(
        conversation_id=conversation.id,
        created_at=conversation.created_at,
        channel=conversation.channel,
        language=conversation.language or "zh",
        customer_messages=0,
        bot_messages=0,
        agent_messages=0,
    )


def _stats(session: Session, conversation_id: str) -> ConversationStats:
    stats = session.get(ConversationStats, conversation_id)
    if stats is None:  # a conversation from before the stats existed
        stats = _new_stats(session.get(Conversation, conversation_id))
        session.add(stats)
        session.flush()
    return stats


def open_conversation(session: Session, conversation: Conversation) -> ConversationStats:
    """A conversation has just started (flushed): its stats row, linked with the customer's
    previous conversation on the channel."""
    stats = _new_stats(conversation)
    session.add(stats)
    previous = session.execute(
        select(ConversationStats)
        .join(Conversation, Conversation.id == ConversationStats.conversation_id)
        .where(
            Conversation.channel == conversation.channel,
            Conversation.channel_user_id == conversation.channel_user_id,
            Conversation.id != conversation.id,
            Conversation.created_at <= conversation.created_at,
        )
        .order_by(Conversation.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    if previous is not None:
        stats.previous_contact_end_at = previous.last_message_at or previous.created_at
        previous.next_contact_at = _earliest(previous.next_contact_at, conversation.created_at)
    session.flush()
    return stats


def count_message(session: Session, conversation: Conversation, role: str, now: datetime) -> None:
    """A message of `role` was stored in the conversation at `now`."""
    column = _COUNTER.get(role)
    if column is None:
        return  # system notices are neither questions nor answers
    table = ConversationStats
    values: dict[str, Any] = {
        column: getattr(table, column) + 1,
        "last_message_at": _at(now),
        "language": conversation.language or "zh",
    }
    if role == "customer":
        values.update(
            first_customer_at=func.coalesce(table.first_customer_at, _at(now)),
            last_customer_at=_at(now),
            unanswered_since=func.coalesce(table.unanswered_since, _at(now)),
        )
    else:
        values["unanswered_since"] = None
    result = session.execute(
        update(table)
        .where(table.conversation_id == conversation.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:
        return
    stats = _new_stats(conversation)
    stats.last_message_at = now
    setattr(stats, column, 1)
    if role == "customer":
        stats.first_customer_at = stats.last_customer_at = stats.unanswered_since = now
    session.add(stats)
    session.flush()


def mark_answered(session: Session, conversation_id: str) -> None:
    """The customer's last message got its answer from the system itself (the thanks
    for a satisfaction rating)."""
    session.execute(
        update(ConversationStats)
        .where(ConversationStats.conversation_id == conversation_id)
        .values(unanswered_since=None)
        .execution_options(synchronize_session=False)
    )


def move_customer_message(session: Session, old_id: str, new: Conversation, now: datetime) -> None:
    """A customer message counted in conversation `old_id` opened conversation `new` instead."""
    table = ConversationStats
    session.execute(
        update(table)
        .where(table.conversation_id == old_id, table.customer_messages > 0)
        .values(customer_messages=table.customer_messages - 1, unanswered_since=None)
        .execution_options(synchronize_session=False)
    )
    count_message(session, new, "customer", now)


def note_handoff(session: Session, conversation_id: str, reason: str, category: str, now: datetime) -> None:
    """The bot (or the gateway, when Rasa is down) asked for a human. The first request
    sets the conversation's handoff reason and category; any complaint marks it."""
    stats = _stats(session, conversation_id)
    if stats.handoff_at is None:
        stats.handoff_at = now
        stats.handoff_reason = reason
        stats.category = category
    if reason == COMPLAINT_REASON and stats.complained_at is None:
        stats.complained_at = now


def note_parcels_in_text(session: Session, conversation_id: str, text: str, now: datetime) -> None:
    note_parcels(session, conversation_id, [found.key for found in find_tracking_numbers(text)], now)


def note_parcels(session: Session, conversation_id: str, numbers: Iterable[str], now: datetime) -> None:
    """Record the tracking numbers a conversation is about and link it with the other
    conversations about them; the first of them with an open exception gives the
    conversation its exception (and, before any handoff, its category)."""
    keys: list[str] = []
    for number in numbers:
        key = normalize(str(number))[:40]
        if key and key not in keys and looks_like_tracking_number(key):
            keys.append(key)
    if not keys:
        return
    known = set(
        session.execute(
            select(ConversationParcel.tracking_key).where(ConversationParcel.conversation_id == conversation_id)
        ).scalars()
    )
    new = [key for key in keys if key not in known][: max(0, MAX_PARCELS_PER_CONVERSATION - len(known))]
    if not new:
        return
    stats = _stats(session, conversation_id)
    for key in new:
        _link_parcel(session, stats, key)
        session.add(ConversationParcel(conversation_id=conversation_id, tracking_key=key, created_at=now))
    if stats.exception_type is None:
        found = _first_exception(session, new)
        if found is not None:
            key, exception_type, reason = found
            stats.exception_tracking_key = key
            stats.exception_type = exception_type
            stats.exception_reason = (reason or "")[:200] or None
            if stats.handoff_at is None and stats.category is None:
                category = EXCEPTION_CATEGORY.get(exception_type)  # type: ignore[call-overload]
                stats.category = category.value if category is not None else None
    session.flush()


def _link_parcel(session: Session, stats: ConversationStats, key: str) -> None:
    """Link `stats`' conversation with the (most recent) other conversations about `key`:
    the earlier ones learn their next contact, the later ones their previous contact."""
    others = (
        session.execute(
            select(ConversationStats)
            .join(ConversationParcel, ConversationParcel.conversation_id == ConversationStats.conversation_id)
            .where(ConversationParcel.tracking_key == key, ConversationStats.conversation_id != stats.conversation_id)
            .order_by(ConversationStats.created_at.desc())
            .limit(MAX_PARCEL_LINKS)
        )
        .scalars()
        .all()
    )
    for other in others:
        earlier, later = (
            (other, stats)
            if (other.created_at, other.conversation_id) < (stats.created_at, stats.conversation_id)
            else (stats, other)
        )
        later.previous_contact_end_at = _latest(
            later.previous_contact_end_at, earlier.last_message_at or earlier.created_at
        )
        earlier.next_contact_at = _earliest(earlier.next_contact_at, later.created_at)
        earlier.next_parcel_contact_at = _earliest(earlier.next_parcel_contact_at, later.created_at)


def _first_exception(session: Session, keys: list[str]) -> tuple[str, str, str | None] | None:
    rows = session.execute(
        select(Shipment.tracking_key, ShipmentException.type, ShipmentException.reason)
        .join(ShipmentException, ShipmentException.shipment_id == Shipment.id)
        .where(Shipment.tracking_key.in_(keys))
    ).all()
    by_key = {key: (key, kind, reason) for key, kind, reason in rows}
    return next((by_key[key] for key in keys if key in by_key), None)


def mark_csat_asked(session: Session, conversation_id: str, now: datetime) -> None:
    _stats(session, conversation_id).csat_asked_at = now
