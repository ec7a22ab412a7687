"""Failure counting and lockout, in the shared database (all conversations, channels,
processes and hosts see the same counts).

A check that can be guessed (4 phone digits, a password) is an *attempt* on one or more
*subjects*: what is being guessed at (a parcel, a user name) and who guesses (the
client: an address, a WeChat openid). Each subject kind has a policy: at most
`max_failures` failures within `window`; while a subject has that many, it is locked
and the check must not run.

    attempt = guard.begin([Subject("parcel", key), Subject("client", client)])
    if attempt.locked:
        ...                       # refuse (a human takes over)
    elif passes:
        guard.succeeded(attempt)  # withdraw the reservation: no failure is counted
    # a failed check needs no call: begin() has already counted it

`begin` writes the failure rows *before* the check runs and only then counts, so
concurrent guesses cannot all slip under the limit (at most `max_failures` checks run per
window and subject, whatever the concurrency). A check that crashes counts as failed.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import utcnow
from bot.db import session_scope
from bot.security.models import Attempt

logger = logging.getLogger(__name__)


def digest(kind: str, value: str) -> str:
    """The stored form of a subject: SHA-256 of "kind:value" (hex)."""
    return hashlib.sha256(f"{kind}:{value}".encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Subject:
    """What a check is about (kind "parcel", value the tracking key) or who tries it
    (kind "client", value the client key the gateway passes on)."""

    kind: str
    value: str

    @property
    def key(self) -> str:
        return digest(self.kind, self.value)


@dataclass(frozen=True)
class Policy:
    max_failures: int
    window: timedelta


@dataclass
class AttemptTicket:
    """The outcome of `begin`: `locked` (the check must not run) and, when locked, the
    subject that is locked and until when (at the latest)."""

    id: str
    subjects: list[Subject]
    locked: bool = False
    locked_subject: Subject | None = None
    locked_until: datetime | None = None
    failures: dict[Subject, int] = field(default_factory=dict)


class Lockout:
    """Failure counting with reservation for every check that guards personal data."""

    def __init__(
        self,
        factory: sessionmaker,
        policies: dict[str, Policy],
        default: Policy,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.factory = factory
        self.policies = dict(policies)
        self.default = default
        self.clock = clock

    def policy(self, kind: str) -> Policy:
        return self.policies.get(kind, self.default)

    @property
    def longest_window(self) -> timedelta:
        return max([p.window for p in self.policies.values()] + [self.default.window])

    def begin(self, subjects: Iterable[Subject]) -> AttemptTicket:
        """Count one failure for every subject *now*, then tell whether the check may run
        (no subject over its limit). A refused attempt leaves no failure behind (hammering
        a locked subject does not keep it locked longer)."""
        unique = list(dict.fromkeys(subjects))
        ticket = AttemptTicket(id=secrets.token_hex(16), subjects=unique)
        if not unique:
            return ticket
        now = self.clock()
        with session_scope(self.factory) as session:
            # Housekeeping: nothing older than the longest window is ever counted.
            session.execute(delete(Attempt).where(Attempt.created_at < now - self.longest_window))
            session.add_all(Attempt(kind=s.kind, subject=s.key, attempt=ticket.id, created_at=now) for s in unique)
        # Counted in a second transaction: every reservation committed before is seen.
        with session_scope(self.factory) as session:
            for subject in unique:
                policy = self.policy(subject.kind)
                times = self._failure_times(session, subject, now - policy.window)
                ticket.failures[subject] = len(times)
                if len(times) > policy.max_failures and not ticket.locked:
                    ticket.locked = True
                    ticket.locked_subject = subject
                    # Free again once fewer than max_failures earlier failures are left in the window.
                    earlier = self._failure_times(session, subject, now - policy.window, exclude=ticket.id)
                    ticket.locked_until = earlier[policy.max_failures - 1] + policy.window
            if ticket.locked:
                session.execute(delete(Attempt).where(Attempt.attempt == ticket.id))
        if ticket.locked:
            logger.warning(
                "check refused: %s locked (%d failures within %s)",
                ticket.locked_subject.kind if ticket.locked_subject else "?",
                ticket.failures.get(ticket.locked_subject, 0) if ticket.locked_subject else 0,
                self.policy(ticket.locked_subject.kind if ticket.locked_subject else "").window,
            )
        return ticket

    def succeeded(self, ticket: AttemptTicket, subjects: Sequence[Subject] | None = None) -> None:
        """The check passed: withdraw the reservation of `subjects` (default: all of the
        attempt's). Withdraw only what was proven: an attempt that proves one parcel but
        not another keeps its failure on the other one, and on the client."""
        chosen = ticket.subjects if subjects is None else list(subjects)
        if not chosen:
            return
        with session_scope(self.factory) as session:
            session.execute(
                delete(Attempt).where(Attempt.attempt == ticket.id, Attempt.subject.in_([s.key for s in chosen]))
            )

    def failures(self, subject: Subject) -> int:
        """Failures of `subject` within its window."""
        now = self.clock()
        with session_scope(self.factory) as session:
            return len(self._failure_times(session, subject, now - self.policy(subject.kind).window))

    def is_locked(self, subject: Subject) -> bool:
        """Whether `subject` is locked now (without counting an attempt)."""
        return self.failures(subject) >= self.policy(subject.kind).max_failures

    def clear(self, subject: Subject) -> int:
        """Forget the failures of a subject (e.g. a supervisor unlocks an agent's login)."""
        with session_scope(self.factory) as session:
            result = session.execute(
                delete(Attempt).where(Attempt.kind == subject.kind, Attempt.subject == subject.key)
            )
            return int(result.rowcount or 0)

    @staticmethod
    def _failure_times(
        session: Session, subject: Subject, since: datetime, exclude: str | None = None
    ) -> list[datetime]:
        """Times of the subject's failures since `since` (but those of attempt `exclude`), newest first."""
        query = select(Attempt.created_at).where(
            Attempt.kind == subject.kind, Attempt.subject == subject.key, Attempt.created_at >= since
        )
        if exclude is not None:
            query = query.where(Attempt.attempt != exclude)
        return list(session.execute(query.order_by(Attempt.created_at.desc(), Attempt.id.desc())).scalars())


def count_rows(factory: sessionmaker) -> int:
    """All attempt rows (tests, housekeeping checks)."""
    with session_scope(factory) as session:
        return int(session.execute(select(func.count(Attempt.id))).scalar_one())
