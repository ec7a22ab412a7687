"""Shipment store tables: shipments, scans, open exceptions, proof of delivery,
customs. (What the assistant sets in motion for a customer is a case: bot/cases.)"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import relationship

from bot.clock import utcnow
from bot.contract import ExceptionType
from bot.db import Base, UTCDateTime

SHIPMENT_STATUSES = (
    "created",
    "picked_up",
    "in_transit",
    "arrived_at_hub",
    "customs_clearance",
    "customs_hold",
    "out_for_delivery",
    "delivered",
    "delivery_failed",
    "exception",
    "returning",
    "returned",
    "cancelled",
)
EXCEPTION_TYPES = tuple(t.value for t in ExceptionType if t is not ExceptionType.NONE)
CUSTOMS_STATUSES = ("not_started", "in_progress", "cleared", "held", "duty_unpaid")
SERVICES = ("standard", "express", "same_city", "cold_chain", "freight", "international")


class Shipment(Base):
    __tablename__ = "shipments"

    id = Column(Integer, primary_key=True)
    # Normalised key: upper case, no spaces or dashes (see tracking_numbers.normalize).
    tracking_key = Column(String(40), nullable=False, unique=True)
    tracking_number = Column(String(60), nullable=False)  # as printed on the label
    carrier = Column(String(16), nullable=False)
    carrier_name = Column(String(64))
    service = Column(String(16))
    order_id = Column(String(64), index=True)
    status = Column(String(24), nullable=False)
    origin = Column(String(128), nullable=False)
    destination = Column(String(128), nullable=False)
    cross_border = Column(Boolean, nullable=False, default=False)
    sender_name = Column(String(64))
    sender_phone = Column(String(32))
    sender_address = Column(Text)
    recipient_name = Column(String(64))
    recipient_phone = Column(String(32), index=True)  # finding parcels without a number (phone + check)
    recipient_address = Column(Text)
    customer_tier = Column(String(16), nullable=False, default="regular")
    declared_value = Column(Float)
    currency = Column(String(8), nullable=False, default="CNY")
    weight_kg = Column(Float)
    shipped_at = Column(UTCDateTime)
    promised_by = Column(UTCDateTime)
    eta = Column(UTCDateTime)
    extra = Column(JSON)  # unknown fields of the import record, kept as they came
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    events = relationship(
        "TrackingEvent",
        back_populates="shipment",
        order_by="TrackingEvent.seq",
        cascade="all, delete-orphan",
    )
    exception = relationship(
        "ShipmentException", back_populates="shipment", uselist=False, cascade="all, delete-orphan"
    )
    delivery = relationship("ProofOfDelivery", back_populates="shipment", uselist=False, cascade="all, delete-orphan")
    customs = relationship("CustomsRecord", back_populates="shipment", uselist=False, cascade="all, delete-orphan")

    @property
    def latest_event(self) -> TrackingEvent | None:
        return self.events[-1] if self.events else None


class TrackingEvent(Base):
    __tablename__ = "tracking_events"
    __table_args__ = (Index("ix_tracking_events_shipment_seq", "shipment_id", "seq"),)

    id = Column(Integer, primary_key=True)
    shipment_id = Column(Integer, ForeignKey("shipments.id", ondelete="CASCADE"), nullable=False)
    seq = Column(Integer, nullable=False)
    time = Column(UTCDateTime, nullable=False)
    location = Column(String(128))
    status = Column(String(32), nullable=False)
    description = Column(Text, nullable=False)

    shipment = relationship("Shipment", back_populates="events")


class ShipmentException(Base):
    """The open problem on a parcel (at most one per shipment)."""

    __tablename__ = "shipment_exceptions"

    id = Column(Integer, primary_key=True)
    shipment_id = Column(Integer, ForeignKey("shipments.id", ondelete="CASCADE"), nullable=False, unique=True)
    type = Column(String(24), nullable=False, index=True)
    reason = Column(Text)
    reported_at = Column(UTCDateTime)
    new_eta = Column(UTCDateTime)

    shipment = relationship("Shipment", back_populates="exception")


class ProofOfDelivery(Base):
    __tablename__ = "proofs_of_delivery"

    id = Column(Integer, primary_key=True)
    shipment_id = Column(Integer, ForeignKey("shipments.id", ondelete="CASCADE"), nullable=False, unique=True)
    signed_at = Column(UTCDateTime)
    signed_by = Column(String(64))
    location = Column(String(256))
    pickup_code = Column(String(32))  # personal data: shown only after verification

    shipment = relationship("Shipment", back_populates="delivery")


class CustomsRecord(Base):
    __tablename__ = "customs_records"

    id = Column(Integer, primary_key=True)
    shipment_id = Column(Integer, ForeignKey("shipments.id", ondelete="CASCADE"), nullable=False, unique=True)
    status = Column(String(16))
    duty_amount = Column(Float)
    duty_currency = Column(String(8))
    required_documents = Column(JSON)
    note = Column(Text)

    shipment = relationship("Shipment", back_populates="customs")
