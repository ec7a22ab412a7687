"""Replay protection of WeChat/WeCom callbacks: every (timestamp, nonce) seen is
remembered until its timestamp leaves the accepted window, in a store all gateway
instances share (Redis when REDIS_URL is set, else the database).

WeChat retries a callback it got no answer to within 5 s with the *same* URL and the
*same* body (same signature, timestamp, nonce and MsgId), so a repeated nonce is
told apart by the body: the same bytes again are WeChat's retry (answered without
routing the message twice), other bytes under a used nonce are a replay and refused.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import logging
import time
from datetime import datetime, timezone
from typing import Any, Protocol

from sqlalchemy import Column, Index, String, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.db import Base, UTCDateTime, session_scope

log = logging.getLogger(__name__)

# Housekeeping of the database store: expired rows are deleted at most this often.
_PURGE_EVERY_S = 60.0


class Seen(enum.Enum):
    NEW = "new"  # first time: handle it
    RETRY = "retry"  # same nonce, same body: WeChat's retry
    REPLAY = "replay"  # same nonce, another body: refuse


class WeChatNonce(Base):
    """A callback's (channel, timestamp, nonce), as a digest, until it can no longer be accepted."""

    __tablename__ = "gw_wechat_nonces"

    key = Column(String(64), primary_key=True)  # sha256 hex of "channel:timestamp:nonce"
    body = Column(String(64), nullable=False)  # sha256 hex of the request body
    expires_at = Column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_gw_wechat_nonces_expires", "expires_at"),)


def digest(data: bytes | str) -> str:
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


class NonceStore(Protocol):
    async def check(self, key: str, body: str, expires_at: float) -> Seen:
        """Remember `key` (with the body's digest) until `expires_at` (epoch seconds), and
        say whether it was new, a retry with the same body, or a replay with another."""
        ...


class DatabaseNonces:
    """Nonces in the gateway's database (shared by every instance using it)."""

    def __init__(self, factory: sessionmaker) -> None:
        self.factory = factory
        self._last_purge = 0.0

    async def check(self, key: str, body: str, expires_at: float) -> Seen:
        return self.check_sync(key, body, expires_at)

    def check_sync(self, key: str, body: str, expires_at: float) -> Seen:
        now = time.time()
        self._purge(now)
        row_key = digest(key)
        expiry = datetime.fromtimestamp(expires_at, tz=timezone.utc)
        try:
            with session_scope(self.factory) as session:
                session.add(WeChatNonce(key=row_key, body=body, expires_at=expiry))
            return Seen.NEW
        except IntegrityError:
            pass
        with session_scope(self.factory) as session:
            seen = session.execute(select(WeChatNonce.body).where(WeChatNonce.key == row_key)).scalar_one_or_none()
        if seen is None:  # purged meanwhile: its timestamp is out of the window anyway
            return Seen.REPLAY
        return Seen.RETRY if seen == body else Seen.REPLAY

    def _purge(self, now: float) -> None:
        if now - self._last_purge < _PURGE_EVERY_S:
            return
        self._last_purge = now
        with session_scope(self.factory) as session:
            session.execute(
                delete(WeChatNonce).where(WeChatNonce.expires_at < datetime.fromtimestamp(now, tz=timezone.utc))
            )


class RedisNonces:
    """Nonces in Redis (`SET NX` with the expiry of the timestamp's window); falls back
    to the database while Redis cannot be reached (a replay stays refused)."""

    def __init__(self, url: str, prefix: str, fallback: DatabaseNonces) -> None:
        import redis.asyncio as aioredis

        self.redis: Any = aioredis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self.prefix = f"{prefix}wechat-nonce:"
        self.fallback = fallback

    async def check(self, key: str, body: str, expires_at: float) -> Seen:
        name = self.prefix + digest(key)
        try:
            created = await self.redis.set(name, body, nx=True, exat=max(int(expires_at) + 1, int(time.time()) + 1))
            if created:
                return Seen.NEW
            seen = await self.redis.get(name)
        except Exception as exc:  # ConnectionError, TimeoutError, ...
            log.error("WeChat nonce store: Redis unavailable (%s), using the database", exc.__class__.__name__)
            return await self.fallback.check(key, body, expires_at)
        if seen is None:
            return Seen.REPLAY
        return Seen.RETRY if seen.decode("ascii", "replace") == body else Seen.REPLAY

    async def close(self) -> None:
        with contextlib.suppress(Exception):  # closing a client that never connected
            await self.redis.close()


def nonce_store(redis_url: str, redis_prefix: str, factory: sessionmaker) -> DatabaseNonces | RedisNonces:
    database = DatabaseNonces(factory)
    if redis_url:
        return RedisNonces(redis_url, redis_prefix, database)
    return database
