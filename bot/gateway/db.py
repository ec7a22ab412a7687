"""Database access of the gateway: engine, sessions and the common queries.

The gateway runs its (short) SQLAlchemy calls directly on the event loop: with
SQLite they take well under a millisecond or two, and a single thread of database
work keeps the ordering guarantees of the router simple."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import utcnow
from bot.contract import ConversationState, HandoffStatus, MessageRole, Priority
from bot.db import init_db, make_engine, make_session_factory, session_scope
from bot.gateway import stats
from bot.gateway.models import Agent, Conversation, CsatAnswer, Handoff, Message

PRIORITY_RANK = {priority.value: priority.rank for priority in Priority}
UNKNOWN_PRIORITY_RANK = len(PRIORITY_RANK)


def priority_order() -> Any:
    """SQL expression ordering handoffs by `Priority` (most urgent first)."""
    return case(PRIORITY_RANK, value=Handoff.priority, else_=UNKNOWN_PRIORITY_RANK)


class Database:
    def __init__(self, url: str, engine: Engine | None = None) -> None:
        # Connects lazily. SQL parameters (customer text) stay out of error messages and logs.
        self.engine = engine or make_engine(url, hide_parameters=True)
        self.factory: sessionmaker = make_session_factory(self.engine)

    def init(self) -> None:
        """Create missing tables."""
        init_db(self.engine)

    def session(self) -> AbstractContextManager[Session]:
        """A transaction: commit on success, roll back on error."""
        return session_scope(self.factory)

    def dispose(self) -> None:
        self.engine.dispose()


# --- conversations ---------------------------------------------------------


def open_conversation(session: Session, channel: str, channel_user_id: str) -> Conversation | None:
    """The customer's current (not closed) conversation on this channel."""
    return session.execute(
        select(Conversation)
        .where(
            Conversation.channel == channel,
            Conversation.channel_user_id == channel_user_id,
            Conversation.state != ConversationState.CLOSED,
        )
        .order_by(Conversation.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def current_handoff(session: Session, conversation_id: str) -> Handoff | None:
    """The conversation's latest handoff."""
    return session.execute(
        select(Handoff).where(Handoff.conversation_id == conversation_id).order_by(Handoff.id.desc()).limit(1)
    ).scalar_one_or_none()


def active_handoff(session: Session, conversation_id: str) -> Handoff | None:
    """The conversation's waiting or assigned handoff, if any."""
    return session.execute(
        select(Handoff)
        .where(
            Handoff.conversation_id == conversation_id,
            Handoff.status.in_((HandoffStatus.WAITING, HandoffStatus.ASSIGNED)),
        )
        .order_by(Handoff.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def resolved_handoff(session: Session, conversation_id: str) -> Handoff | None:
    """The conversation's latest resolved handoff (whose agent awaits the rating)."""
    return session.execute(
        select(Handoff)
        .where(Handoff.conversation_id == conversation_id, Handoff.status == HandoffStatus.RESOLVED)
        .order_by(Handoff.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def latest_csat(session: Session, conversation_id: str) -> int | None:
    """The customer's satisfaction score for the conversation, if they answered."""
    return session.execute(
        select(CsatAnswer.score)
        .where(CsatAnswer.conversation_id == conversation_id)
        .order_by(CsatAnswer.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def add_message(
    session: Session,
    conversation: Conversation,
    role: str,
    text: str | None,
    payload: dict[str, Any] | None = None,
    agent_id: int | None = None,
    pushed: bool = False,
    now: datetime | None = None,
) -> Message:
    row = Message(
        conversation_id=conversation.id,
        role=role,
        text=text,
        payload=payload,
        channel=conversation.channel,
        agent_id=agent_id,
        pushed=pushed,
        created_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    stats.count_message(session, conversation, role, row.created_at)
    return row


# --- queue -----------------------------------------------------------------


def waiting_handoffs(session: Session, max_tier: int | None = None) -> Sequence[Handoff]:
    query = select(Handoff).where(Handoff.status == HandoffStatus.WAITING)
    if max_tier is not None:
        query = query.where(Handoff.tier <= max_tier)
    return session.execute(query.order_by(priority_order(), Handoff.waiting_since, Handoff.id)).scalars().all()


def queue_position(session: Session, handoff: Handoff) -> int:
    """1-based place of a waiting handoff: items of higher priority or waiting longer come first."""
    rank = PRIORITY_RANK.get(handoff.priority, UNKNOWN_PRIORITY_RANK)
    ahead = session.execute(
        select(func.count(Handoff.id)).where(
            Handoff.status == HandoffStatus.WAITING,
            Handoff.id != handoff.id,
            (priority_order() < rank)
            | (
                and_(
                    priority_order() == rank,
                    (Handoff.waiting_since < handoff.waiting_since)
                    | and_(Handoff.waiting_since == handoff.waiting_since, Handoff.id < handoff.id),
                )
            ),
        )
    ).scalar_one()
    return int(ahead) + 1


def assigned_count(session: Session, agent_id: int) -> int:
    return int(
        session.execute(
            select(func.count(Handoff.id)).where(Handoff.agent_id == agent_id, Handoff.status == HandoffStatus.ASSIGNED)
        ).scalar_one()
    )


def online_agents(session: Session, since: datetime) -> int:
    return int(
        session.execute(
            select(func.count(Agent.id)).where(Agent.active.is_(True), Agent.last_seen_at >= since)
        ).scalar_one()
    )


def last_customer_texts(session: Session, conversation_ids: Sequence[str]) -> dict[str, str]:
    """conversation id -> text of its latest customer message."""
    if not conversation_ids:
        return {}
    latest = (
        select(func.max(Message.id))
        .where(Message.conversation_id.in_(list(conversation_ids)), Message.role == MessageRole.CUSTOMER)
        .group_by(Message.conversation_id)
    )
    rows = session.execute(select(Message.conversation_id, Message.text).where(Message.id.in_(latest))).all()
    return {cid: text or "" for cid, text in rows}
