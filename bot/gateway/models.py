"""Gateway tables: conversations, their messages, handoffs to humans, agents.

Everything the gateway knows lives here (messages left outside staffed hours are ticket
cases: bot/cases), so a restart loses nothing: open
conversations, the queue and the assignments come back from the database.
"""

from __future__ import annotations

import uuid

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)

from bot.clock import utcnow
from bot.contract import (
    AgentRole,
    AgentTier,
    ConversationState,
    HandoffCategory,
    HandoffReason,
    HandoffStatus,
    Language,
    Priority,
)
from bot.db import Base, UTCDateTime

# The rows the partial unique indexes cover (SQL text: the same on PostgreSQL and SQLite).
OPEN_CONVERSATION_SQL = f"state <> '{ConversationState.CLOSED.value}'"
ACTIVE_HANDOFF_SQL = f"status IN ('{HandoffStatus.WAITING.value}', '{HandoffStatus.ASSIGNED.value}')"
# Created at start-up on databases made before they existed (create_all adds no index to an existing table).
UNIQUE_INDEXES = ("uq_gw_conversations_open", "uq_gw_handoffs_active")


def _uuid() -> str:
    return str(uuid.uuid4())


class Conversation(Base):
    __tablename__ = "gw_conversations"

    id = Column(String(36), primary_key=True, default=_uuid)
    channel = Column(String(32), nullable=False)
    # The id the customer's channel uses (REST sender, socket.io session id, WeChat openid).
    channel_user_id = Column(String(128), nullable=False)
    state = Column(String(16), nullable=False, default=ConversationState.BOT.value)
    language = Column(String(8), nullable=False, default=Language.ZH.value)
    verified = Column(Boolean, nullable=False, default=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    last_customer_message_at = Column(UTCDateTime)
    # Last queue-position notice sent (so repeated messages are not answered every time).
    last_notice_at = Column(UTCDateTime)
    # The bot's last handoff request (validated payload), kept for tickets left outside staffed hours.
    handoff_request = Column(JSON)

    __table_args__ = (
        Index("ix_gw_conversations_user", "channel", "channel_user_id", "state"),
        # One open (not closed) conversation per customer and channel, whichever gateway
        # instance the customer's messages reach (the router re-reads on a conflict).
        Index(
            "uq_gw_conversations_open",
            "channel",
            "channel_user_id",
            unique=True,
            postgresql_where=text(OPEN_CONVERSATION_SQL),
            sqlite_where=text(OPEN_CONVERSATION_SQL),
        ),
        CheckConstraint(f"state IN {ConversationState.values()!r}", name="ck_gw_conversations_state"),
    )


class Message(Base):
    __tablename__ = "gw_messages"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(36), ForeignKey("gw_conversations.id", ondelete="CASCADE"), nullable=False)
    role = Column(String(16), nullable=False)  # MessageRole
    text = Column(Text)
    # {"buttons": [...], "image": url, "custom": {...}} (only the keys present)
    payload = Column(JSON)
    channel = Column(String(32))
    agent_id = Column(Integer, ForeignKey("gw_agents.id"))
    # Sent to the customer later through the channel registry (not in a synchronous reply).
    pushed = Column(Boolean, nullable=False, default=False)
    # When a pushed message reached a connected client (socket.io replays the others on reconnect).
    delivered_at = Column(UTCDateTime)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (Index("ix_gw_messages_conversation", "conversation_id", "id"),)


class Handoff(Base):
    __tablename__ = "gw_handoffs"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(36), ForeignKey("gw_conversations.id", ondelete="CASCADE"), nullable=False)
    reason = Column(String(64), nullable=False, default=HandoffReason.CUSTOMER_REQUEST.value)
    category = Column(String(32), nullable=False, default=HandoffCategory.CONSULTATION.value)
    priority = Column(String(16), nullable=False, default=Priority.NORMAL.value)
    tier = Column(Integer, nullable=False, default=AgentTier.FRONT_LINE.value)
    tracking_numbers = Column(JSON)
    summary = Column(Text)
    customer_tier = Column(String(32))
    status = Column(String(20), nullable=False, default=HandoffStatus.WAITING.value)
    agent_id = Column(Integer, ForeignKey("gw_agents.id"))
    waiting_since = Column(UTCDateTime, nullable=False, default=utcnow)
    claimed_at = Column(UTCDateTime)
    first_agent_response_at = Column(UTCDateTime)
    sla_due_at = Column(UTCDateTime, nullable=False)
    resolved_at = Column(UTCDateTime)

    __table_args__ = (
        Index("ix_gw_handoffs_status", "status", "waiting_since"),
        Index("ix_gw_handoffs_agent", "agent_id", "status"),
        Index("ix_gw_handoffs_conversation", "conversation_id", "id"),
        Index("ix_gw_handoffs_waiting_since", "waiting_since"),
        # At most one active (waiting or assigned) handoff per conversation.
        Index(
            "uq_gw_handoffs_active",
            "conversation_id",
            unique=True,
            postgresql_where=text(ACTIVE_HANDOFF_SQL),
            sqlite_where=text(ACTIVE_HANDOFF_SQL),
        ),
        CheckConstraint(f"tier BETWEEN {min(AgentTier)} AND {max(AgentTier)}", name="ck_gw_handoffs_tier"),
    )


class Agent(Base):
    __tablename__ = "gw_agents"

    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(64), nullable=False)
    password_hash = Column(String(256), nullable=False)
    role = Column(String(16), nullable=False, default=AgentRole.AGENT.value)
    tier = Column(Integer, nullable=False, default=AgentTier.FRONT_LINE.value)
    max_chats = Column(Integer)  # None: settings.agent_max_chats
    active = Column(Boolean, nullable=False, default=True)
    last_seen_at = Column(UTCDateTime)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class AgentToken(Base):
    __tablename__ = "gw_agent_tokens"

    id = Column(Integer, primary_key=True, autoincrement=True)
    token_hash = Column(String(64), nullable=False, unique=True)  # sha256 hex of the bearer token
    agent_id = Column(Integer, ForeignKey("gw_agents.id", ondelete="CASCADE"), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = Column(UTCDateTime, nullable=False)


class Note(Base):
    __tablename__ = "gw_notes"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(36), ForeignKey("gw_conversations.id", ondelete="CASCADE"), nullable=False)
    handoff_id = Column(Integer, ForeignKey("gw_handoffs.id"))
    agent_id = Column(Integer, ForeignKey("gw_agents.id"))  # None: written by the system
    text = Column(Text, nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (Index("ix_gw_notes_conversation", "conversation_id", "id"),)


class CsatAnswer(Base):
    __tablename__ = "gw_csat_answers"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(36), ForeignKey("gw_conversations.id", ondelete="CASCADE"), nullable=False)
    handoff_id = Column(Integer, ForeignKey("gw_handoffs.id"))
    score = Column(Integer, nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        CheckConstraint("score BETWEEN 1 AND 5", name="ck_gw_csat_score"),
        Index("ix_gw_csat_answers_created", "created_at"),
    )


class ConversationStats(Base):
    """What the reports need to know about a conversation, kept current as it happens
    (bot/gateway/stats.py), so that reports read one row per conversation instead of
    joining conversations and scanning their messages. One row per conversation,
    created with it."""

    __tablename__ = "gw_conversation_stats"

    conversation_id = Column(String(36), ForeignKey("gw_conversations.id", ondelete="CASCADE"), primary_key=True)
    # Copies of the conversation's own columns (the reports group by them).
    created_at = Column(UTCDateTime, nullable=False)
    channel = Column(String(32), nullable=False)
    language = Column(String(8), nullable=False, default="zh")
    customer_messages = Column(Integer, nullable=False, default=0)
    bot_messages = Column(Integer, nullable=False, default=0)
    agent_messages = Column(Integer, nullable=False, default=0)
    first_customer_at = Column(UTCDateTime)
    last_customer_at = Column(UTCDateTime)
    last_message_at = Column(UTCDateTime)
    # The earliest customer message no bot or agent message has followed yet (None: all answered).
    unanswered_since = Column(UTCDateTime)
    # The first request for a human (queued or, after hours, a ticket): when and why.
    handoff_at = Column(UTCDateTime)
    handoff_reason = Column(String(64))
    # Set when a handoff request gives "complaint" as its reason.
    complained_at = Column(UTCDateTime)
    # The conversation's topic for reports: its first handoff's category, else the category
    # of the exception on the first parcel it mentions that has one (None: a general question).
    category = Column(String(32))
    # The first parcel mentioned that had an open exception at the time, and that exception.
    exception_tracking_key = Column(String(40))
    exception_type = Column(String(24))
    exception_reason = Column(String(200))
    # Contacts about the same thing (the same customer on the channel, or one of the same parcels):
    # the latest end (last message) of an earlier one, when the next one started, and when the
    # next one about one of its parcels started.
    previous_contact_end_at = Column(UTCDateTime)
    next_contact_at = Column(UTCDateTime)
    next_parcel_contact_at = Column(UTCDateTime)
    # When the satisfaction question was put to a conversation the bot handled alone.
    csat_asked_at = Column(UTCDateTime)

    __table_args__ = (
        Index("ix_gw_conversation_stats_created", "created_at"),
        Index("ix_gw_conversation_stats_last_message", "last_message_at"),
        # Breakdowns read only the conversations handed off / with a complaint.
        Index(
            "ix_gw_conversation_stats_handed_off",
            "created_at",
            postgresql_where=text("handoff_at IS NOT NULL"),
            sqlite_where=text("handoff_at IS NOT NULL"),
        ),
        Index(
            "ix_gw_conversation_stats_complaints",
            "created_at",
            postgresql_where=text("complained_at IS NOT NULL"),
            sqlite_where=text("complained_at IS NOT NULL"),
        ),
    )


class ConversationParcel(Base):
    """A tracking number a conversation is about (customer messages, handoff payloads)."""

    __tablename__ = "gw_conversation_parcels"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(36), ForeignKey("gw_conversations.id", ondelete="CASCADE"), nullable=False)
    tracking_key = Column(String(40), nullable=False)  # normalised (bot.store.tracking_numbers.normalize)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("conversation_id", "tracking_key", name="uq_gw_conversation_parcels"),
        Index("ix_gw_conversation_parcels_key", "tracking_key"),
    )


class CustomerSecret(Base):
    """The secret the gateway issued to a customer of a channel whose id the customer
    chooses (the REST `sender`): stored as its SHA-256 digest. Whoever presents it is the
    customer the conversation belongs to (bot/gateway/customer_sessions.py)."""

    __tablename__ = "gw_customer_secrets"

    id = Column(Integer, primary_key=True, autoincrement=True)
    channel = Column(String(32), nullable=False)
    channel_user_id = Column(String(128), nullable=False)
    secret_digest = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("channel", "channel_user_id", name="uq_gw_customer_secrets"),)
