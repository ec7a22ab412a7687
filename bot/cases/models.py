"""Case tables: one row per follow-up the company owes a customer (claims,
investigations, bookings, address changes, after-hours messages, callbacks), the
conversations and parcels it concerns, its timeline, its evidence and the customer's
rating. Parcels are linked by tracking key (not by shipment row) so a case survives
re-imports and may name a parcel the store does not know."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import relationship

from bot.clock import utcnow
from bot.contract import CaseStatus, CaseType, Priority
from bot.db import Base, UTCDateTime

_TYPES = tuple(t.value for t in CaseType)
_STATUSES = tuple(s.value for s in CaseStatus)
_PRIORITIES = tuple(p.value for p in Priority)


class Case(Base):
    __tablename__ = "cases"

    id = Column(Integer, primary_key=True, autoincrement=True)
    # Human-readable, unique: CS<local date>-<4-digit daily number>, e.g. CS20261130-0042.
    reference = Column(String(24), nullable=False, unique=True)
    type = Column(String(24), nullable=False)
    status = Column(String(20), nullable=False, default=CaseStatus.OPEN.value)
    stage = Column(String(32))  # claims only (ClaimStage)
    priority = Column(String(16), nullable=False, default=Priority.NORMAL.value)
    language = Column(String(8), nullable=False, default="zh")
    # One line for the desk: what the customer needs (personal data masked).
    summary = Column(Text)
    # Type-specific facts: new address, time window code, pickup point, callback phone ...
    details = Column(JSON)
    # Claim amount in cents (exact on every database); `amount` gives it as a Decimal.
    amount_cents = Column(BigInteger)
    currency = Column(String(8), nullable=False, default="CNY")
    remedy = Column(String(16))
    owner_id = Column(Integer, ForeignKey("gw_agents.id", ondelete="SET NULL"))
    # An appointment the case keeps (pickup, redelivery, callback).
    window_start = Column(UTCDateTime)
    window_end = Column(UTCDateTime)
    # Deadlines from the per-type SLA: first contact, and done.
    respond_by = Column(UTCDateTime, nullable=False)
    resolve_by = Column(UTCDateTime, nullable=False)
    # The deadline that counts now (respond_by until the first contact, then resolve_by).
    due_at = Column(UTCDateTime, nullable=False)
    first_response_at = Column(UTCDateTime)
    resolved_at = Column(UTCDateTime)
    closed_at = Column(UTCDateTime)
    # Set once when the due time passed while the case was still ours to act on.
    overdue_since = Column(UTCDateTime)
    # While waiting for the customer the deadlines stand still (moved on by the time waited).
    sla_paused_at = Column(UTCDateTime)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)

    conversations = relationship(
        "CaseConversation", back_populates="case", cascade="all, delete-orphan", order_by="CaseConversation.linked_at"
    )
    parcels = relationship(
        "CaseParcel", back_populates="case", cascade="all, delete-orphan", order_by="CaseParcel.position"
    )
    events = relationship("CaseEvent", back_populates="case", cascade="all, delete-orphan", order_by="CaseEvent.id")
    attachments = relationship(
        "CaseAttachment", back_populates="case", cascade="all, delete-orphan", order_by="CaseAttachment.id"
    )

    __table_args__ = (
        Index("ix_cases_status_due", "status", "due_at"),
        Index("ix_cases_owner_status", "owner_id", "status"),
        Index("ix_cases_type_status", "type", "status"),
        CheckConstraint(f"type IN {_TYPES!r}", name="ck_cases_type"),
        CheckConstraint(f"status IN {_STATUSES!r}", name="ck_cases_status"),
        CheckConstraint(f"priority IN {_PRIORITIES!r}", name="ck_cases_priority"),
    )

    @property
    def amount(self) -> Decimal | None:
        return None if self.amount_cents is None else (Decimal(self.amount_cents) / 100).quantize(Decimal("0.01"))

    @amount.setter
    def amount(self, value: Decimal | None) -> None:
        self.amount_cents = None if value is None else int((Decimal(value) * 100).to_integral_value())

    @property
    def tracking_numbers(self) -> list[str]:
        return [p.tracking_number for p in self.parcels]

    @property
    def conversation_ids(self) -> list[str]:
        return [c.conversation_id for c in self.conversations]


class CaseConversation(Base):
    """A conversation (gateway conversation id = Rasa sender id) the case belongs to."""

    __tablename__ = "case_conversations"

    case_id = Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    conversation_id = Column(String(128), primary_key=True)
    linked_at = Column(UTCDateTime, nullable=False, default=utcnow)

    case = relationship("Case", back_populates="conversations")

    __table_args__ = (Index("ix_case_conversations_conversation", "conversation_id"),)


class CaseParcel(Base):
    __tablename__ = "case_parcels"

    case_id = Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    tracking_key = Column(String(40), primary_key=True)  # normalised (tracking_numbers.normalize)
    tracking_number = Column(String(60), nullable=False)  # as printed
    position = Column(Integer, nullable=False, default=0)

    case = relationship("Case", back_populates="parcels")

    __table_args__ = (Index("ix_case_parcels_key", "tracking_key"),)


class CaseEvent(Base):
    """One line of a case's timeline: what changed, when, by whom."""

    __tablename__ = "case_events"

    id = Column(Integer, primary_key=True, autoincrement=True)
    case_id = Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    kind = Column(String(24), nullable=False)
    actor_type = Column(String(16), nullable=False)
    agent_id = Column(Integer, ForeignKey("gw_agents.id", ondelete="SET NULL"))
    from_value = Column(String(64))
    to_value = Column(String(64))
    text = Column(Text)
    # Whether the customer was told (status changes, replies) or it stayed internal (notes).
    customer_visible = Column(Boolean, nullable=False, default=False)
    data = Column(JSON)

    case = relationship("Case", back_populates="events")

    __table_args__ = (Index("ix_case_events_case", "case_id", "id"),)


class CaseAttachment(Base):
    """A file of evidence; the bytes live in the evidence storage under `storage_key`."""

    __tablename__ = "case_attachments"

    id = Column(Integer, primary_key=True, autoincrement=True)
    case_id = Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False)
    item = Column(String(32), nullable=False, default="other")  # EvidenceItem
    media_type = Column(String(64), nullable=False)  # detected from the bytes, not the client's word
    size_bytes = Column(Integer, nullable=False)
    sha256 = Column(String(64), nullable=False)
    storage_key = Column(String(255), nullable=False, unique=True)
    thumbnail_key = Column(String(255))
    original_name = Column(String(255))
    source = Column(String(16), nullable=False)  # upload | wechat | wecom
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    case = relationship("Case", back_populates="attachments")

    __table_args__ = (Index("ix_case_attachments_case", "case_id", "id"),)


class CaseCsat(Base):
    """The satisfaction question sent when a case was resolved, and the answer."""

    __tablename__ = "case_csat"

    id = Column(Integer, primary_key=True, autoincrement=True)
    case_id = Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False)
    conversation_id = Column(String(128), nullable=False)
    asked_at = Column(UTCDateTime, nullable=False)
    score = Column(Integer)
    answered_at = Column(UTCDateTime)
    # The customer wrote something else instead of a score.
    skipped = Column(Boolean, nullable=False, default=False)

    __table_args__ = (
        Index("ix_case_csat_conversation", "conversation_id", "id"),
        CheckConstraint("score IS NULL OR score BETWEEN 1 AND 5", name="ck_case_csat_score"),
    )


class CaseReferenceCounter(Base):
    """The last reference number handed out per local day (atomic upsert per case)."""

    __tablename__ = "case_reference_counters"

    day = Column(String(8), primary_key=True)  # YYYYMMDD
    last = Column(Integer, nullable=False)
