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

    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="ck_gw_csat_score"),)
