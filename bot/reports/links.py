"""Recomputing the contact links of conversations from the whole history, with window
functions: the same links bot/gateway/stats.py records as conversations happen (the
latest end of an earlier contact about the same thing, when the next one started, when
the next one about one of its parcels started). For histories written in bulk (the demo
history) and for conversations recorded before the links existed:
`python -m bot reports relink`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from bot.db import UTCDateTime
from bot.gateway.models import Conversation, ConversationParcel, ConversationStats


def _links(partition: Any, nearby: Any) -> tuple[Any, Any]:
    order = (nearby.c.created_at, nearby.c.id)
    following = func.lead(nearby.c.created_at, type_=UTCDateTime()).over(partition_by=partition, order_by=order)
    before = func.max(nearby.c.ended_at).over(partition_by=partition, order_by=order, rows=(None, -1))
    return following.label("next_at"), before.label("previous_end")


def recompute_contact_links(session: Session) -> int:
    """Set previous_contact_end_at, next_contact_at and next_parcel_contact_at of every
    conversation's stats from the history. Returns the number of conversations."""
    stats = ConversationStats
    nearby = (
        select(
            stats.conversation_id.label("id"),
            stats.channel.label("channel"),
            Conversation.channel_user_id.label("user_id"),
            stats.created_at.label("created_at"),
            func.coalesce(stats.last_message_at, stats.created_at).label("ended_at"),
        ).join(Conversation, Conversation.id == stats.conversation_id)
    ).subquery("nearby")
    by_user = select(nearby.c.id, *_links((nearby.c.channel, nearby.c.user_id), nearby)).subquery("by_user")
    parcel_rows = (
        select(nearby.c.id, *_links(ConversationParcel.tracking_key, nearby)).join_from(
            nearby, ConversationParcel, ConversationParcel.conversation_id == nearby.c.id
        )
    ).subquery("parcel_rows")
    by_parcel = (
        select(
            parcel_rows.c.id,
            func.min(parcel_rows.c.next_at).label("next_at"),
            func.max(parcel_rows.c.previous_end).label("previous_end"),
        ).group_by(parcel_rows.c.id)
    ).subquery("by_parcel")
    rows = session.execute(
        select(
            by_user.c.id, by_user.c.next_at, by_user.c.previous_end, by_parcel.c.next_at, by_parcel.c.previous_end
        ).outerjoin(by_parcel, by_parcel.c.id == by_user.c.id)
    ).all()
    changes = []
    for conversation_id, user_next, user_previous, parcel_next, parcel_previous in rows:
        nexts = [t for t in (user_next, parcel_next) if t is not None]
        previous = [t for t in (user_previous, parcel_previous) if t is not None]
        changes.append(
            {
                "key": conversation_id,
                "previous": max(previous) if previous else None,
                "next": min(nexts) if nexts else None,
                "next_parcel": parcel_next,
            }
        )
    if changes:
        session.execute(
            update(stats)
            .where(stats.conversation_id == bindparam("key"))
            .values(
                previous_contact_end_at=bindparam("previous"),
                next_contact_at=bindparam("next"),
                next_parcel_contact_at=bindparam("next_parcel"),
            )
            .execution_options(synchronize_session=False),
            changes,
        )
    return len(changes)
