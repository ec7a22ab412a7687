"""Tables of the security package: attempts at a check that guards personal data (and
agent logins), and the grants a passed check gives a conversation.

Subjects are stored as SHA-256 digests of "kind:value" (a tracking number, a client
address, a user name): the rows are only ever looked up by an exact subject, and a
dump of these tables lists no addresses or numbers in clear."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, UniqueConstraint

from bot.clock import utcnow
from bot.db import Base, UTCDateTime


class Attempt(Base):
    """One subject of one attempt at a check. A row is written *before* the check runs
    (a reservation: concurrent guesses all count) and deleted when the check passes, so
    the rows left are the failures."""

    __tablename__ = "sec_attempts"

    id = Column(Integer, primary_key=True, autoincrement=True)
    kind = Column(String(32), nullable=False)  # parcel | client | login_user | login_client | ...
    subject = Column(String(64), nullable=False)  # sha256 hex of "kind:value"
    attempt = Column(String(32), nullable=False)  # groups the rows of one attempt
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_sec_attempts_subject", "kind", "subject", "created_at"),
        Index("ix_sec_attempts_attempt", "attempt"),
        Index("ix_sec_attempts_created", "created_at"),
    )


class Grant(Base):
    """A conversation proved the right to a subject's personal data (e.g. the recipient's
    phone digits of a parcel). Valid while used at least every idle period."""

    __tablename__ = "sec_grants"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(128), nullable=False)  # the Rasa sender id (gateway conversation id)
    kind = Column(String(32), nullable=False)
    subject = Column(String(64), nullable=False)
    granted_at = Column(UTCDateTime, nullable=False, default=utcnow)
    last_used_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("conversation_id", "kind", "subject", name="uq_sec_grants_subject"),
        Index("ix_sec_grants_used", "last_used_at"),
    )
