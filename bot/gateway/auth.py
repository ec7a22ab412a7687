"""Agent passwords (PBKDF2-HMAC-SHA256, per-user salt, OWASP's current iteration count;
older hashes are upgraded at the next login) and bearer tokens (only their SHA-256 is
stored). Failed logins are limited by bot.security (`login_lockout`: per user name and
per client address, reserved before the password is hashed)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.clock import utcnow
from bot.gateway.models import Agent, AgentToken

# OWASP Password Storage Cheat Sheet (2023-): PBKDF2-HMAC-SHA256 with 600,000 iterations.
PBKDF2_ITERATIONS = 600_000
_SCHEME = "pbkdf2_sha256"
# Verified against when the username is unknown, so timing does not reveal which users exist.
_DUMMY_HASH: str | None = None


def hash_password(password: str, iterations: int = PBKDF2_ITERATIONS) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return "$".join([_SCHEME, str(iterations), base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt_b64, digest_b64 = stored.split("$")
        if scheme != _SCHEME:
            return False
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
        digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


def needs_rehash(stored: str) -> bool:
    """A hash made with fewer iterations (or another scheme) than today's."""
    try:
        scheme, iterations, _, _ = stored.split("$")
        return scheme != _SCHEME or int(iterations) < PBKDF2_ITERATIONS
    except ValueError:
        return True


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(8))
    return _DUMMY_HASH


def authenticate_password(session: Session, username: str, password: str) -> Agent | None:
    agent = session.execute(select(Agent).where(Agent.username == username)).scalar_one_or_none()
    if agent is None or not agent.active:
        verify_password(password, _dummy_hash())
        return None
    if not verify_password(password, agent.password_hash):
        return None
    if needs_rehash(agent.password_hash):
        agent.password_hash = hash_password(password)
    return agent


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, agent: Agent, ttl: timedelta, now: datetime | None = None) -> str:
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(AgentToken(token_hash=token_digest(token), agent_id=agent.id, created_at=now, expires_at=now + ttl))
    session.execute(delete(AgentToken).where(AgentToken.expires_at < now))  # housekeeping
    return token


def agent_for_token(session: Session, token: str, now: datetime | None = None) -> Agent | None:
    if not token or len(token) > 200 or not token.isascii():
        return None
    now = now or utcnow()
    row = session.execute(
        select(Agent)
        .join(AgentToken, AgentToken.agent_id == Agent.id)
        .where(AgentToken.token_hash == token_digest(token), AgentToken.expires_at > now, Agent.active.is_(True))
    ).scalar_one_or_none()
    return row


def revoke_token(session: Session, token: str) -> None:
    session.execute(delete(AgentToken).where(AgentToken.token_hash == token_digest(token)))


def revoke_agent_tokens(session: Session, agent_id: int) -> int:
    """End every session of an agent (password reset, deactivation)."""
    return int(session.execute(delete(AgentToken).where(AgentToken.agent_id == agent_id)).rowcount or 0)


def touch_agent(session: Session, agent: Agent, now: datetime, min_interval_s: float = 2.0) -> None:
    """Record that the agent is around (throttled to spare writes)."""
    if agent.last_seen_at is None or (now - agent.last_seen_at).total_seconds() >= min_interval_s:
        session.execute(
            update(Agent)
            .where(Agent.id == agent.id)
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
        agent.last_seen_at = now
