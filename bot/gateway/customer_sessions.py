"""Customer sessions bound to a secret, for channels whose customer id the client
chooses (the REST channel's `sender`): knowing a sender id must not be enough to read
that customer's messages or to act with what the customer proved.

The first message of a sender gets a fresh secret (the REST channel returns it in the
`X-Conversation-Secret` response header, docs/gateway-contract.md); the gateway keeps
only its SHA-256 digest. Afterwards a request as that sender is:

- `OWNER`: it carries the secret (compared in constant time);
- `WRONG`: it carries another secret (refused);
- `UNPROVEN`: it carries none (Rasa-compatible clients that ignore the header). Such a
  message is still answered, but as a stranger's, in a conversation of its own
  (`stranger_id`): it never sees the customer's transcript, context or verifications;
  the bot is told too (metadata `SENDER_PROVEN_KEY` false).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.clock import utcnow
from bot.gateway.db import Database
from bot.gateway.models import CustomerSecret

SECRET_HEADER = "X-Conversation-Secret"
MAX_SECRET_CHARS = 128


# A customer who types again before the reply carrying their secret arrives cannot send
# it yet: messages without it in this long after the secret was issued are theirs.
FIRST_REPLY_GRACE = timedelta(seconds=30)


class Standing(str, Enum):
    NEW = "new"  # no secret yet: one was issued with this request
    AWAITING = "awaiting"  # no secret sent, but the first reply (with it) may not have arrived yet
    OWNER = "owner"
    WRONG = "wrong"
    UNPROVEN = "unproven"


STRANGER_SUFFIX = "#unproven"


def stranger_id(sender: str) -> str:
    """The channel user id under which messages posting as `sender` without its secret
    are kept: a conversation apart from the customer's (own transcript, own Rasa tracker)."""
    return sender + STRANGER_SUFFIX


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _stored(db: Database, channel: str, user_id: str) -> str | None:
    with db.session() as session:
        return session.execute(
            select(CustomerSecret.secret_digest).where(
                CustomerSecret.channel == channel, CustomerSecret.channel_user_id == user_id
            )
        ).scalar_one_or_none()


def _issued_since(db: Database, channel: str, user_id: str, since: datetime) -> bool:
    with db.session() as session:
        issued = session.execute(
            select(CustomerSecret.id).where(
                CustomerSecret.channel == channel,
                CustomerSecret.channel_user_id == user_id,
                CustomerSecret.created_at >= since,
            )
        ).first()
    return issued is not None


def matches(db: Database, channel: str, user_id: str, presented: str | None) -> bool:
    """Whether `presented` is the secret issued to this customer."""
    stored = _stored(db, channel, user_id)
    if stored is None or not presented or len(presented) > MAX_SECRET_CHARS:
        return False
    return hmac.compare_digest(stored, _digest(presented))


def standing(db: Database, channel: str, user_id: str, presented: str | None) -> tuple[Standing, str | None]:
    """Who sends as this customer; with `NEW`, also the secret just issued."""
    stored = _stored(db, channel, user_id)
    if stored is None:
        secret = secrets.token_urlsafe(32)
        try:
            with db.session() as session:
                session.add(
                    CustomerSecret(
                        channel=channel, channel_user_id=user_id, secret_digest=_digest(secret), created_at=utcnow()
                    )
                )
            return Standing.NEW, secret
        except IntegrityError:  # issued concurrently to another request: that one owns it
            stored = _stored(db, channel, user_id)
            if stored is None:
                return Standing.UNPROVEN, None
    if not presented:
        return (
            Standing.AWAITING
            if _issued_since(db, channel, user_id, utcnow() - FIRST_REPLY_GRACE)
            else Standing.UNPROVEN
        ), None
    if len(presented) <= MAX_SECRET_CHARS and hmac.compare_digest(stored, _digest(presented)):
        return Standing.OWNER, None
    return Standing.WRONG, None
