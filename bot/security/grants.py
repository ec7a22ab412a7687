"""Grants: what a conversation has proved the right to see (e.g. the recipient's phone
digits of a parcel unlock its pickup code), kept in the shared database.

A grant belongs to one conversation (the Rasa sender id, which is the gateway's
conversation id: a new conversation starts with none), expires after `idle` without use,
and can be limited to grants made after a moment (the start of the current Rasa session),
so verification never carries into a new conversation or session. A tracker forged with
slots like `verified_numbers` proves nothing: only these rows count.

    grants.grant(conversation_id, [Subject("parcel", key)])
    if grants.check(conversation_id, Subject("parcel", key), since=session_start):
        ...  # show the pickup code (the check also renews the grant)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.sql import Select

from bot.clock import utcnow
from bot.db import session_scope
from bot.security.lockout import Subject
from bot.security.models import Grant


class Grants:
    def __init__(self, factory: sessionmaker, idle: timedelta, clock: Callable[[], datetime] = utcnow) -> None:
        self.factory = factory
        self.idle = idle
        self.clock = clock

    def grant(self, conversation_id: str, subjects: Iterable[Subject]) -> None:
        """Record that the conversation proved the right to `subjects` (renews existing grants)."""
        now = self.clock()
        for subject in dict.fromkeys(subjects):
            with session_scope(self.factory) as session:
                renewed = session.execute(
                    update(Grant)
                    .where(
                        Grant.conversation_id == conversation_id,
                        Grant.kind == subject.kind,
                        Grant.subject == subject.key,
                    )
                    .values(granted_at=now, last_used_at=now)
                    .execution_options(synchronize_session=False)
                ).rowcount
                if renewed:
                    continue
            try:
                with session_scope(self.factory) as session:
                    session.add(
                        Grant(
                            conversation_id=conversation_id,
                            kind=subject.kind,
                            subject=subject.key,
                            granted_at=now,
                            last_used_at=now,
                        )
                    )
            except IntegrityError:  # granted concurrently: that row is as good
                pass

    def _valid(self, conversation_id: str, subject: Subject | None, since: datetime | None, now: datetime) -> Select:
        query = select(Grant).where(Grant.conversation_id == conversation_id, Grant.last_used_at >= now - self.idle)
        if subject is not None:
            query = query.where(Grant.kind == subject.kind, Grant.subject == subject.key)
        if since is not None:
            query = query.where(Grant.granted_at >= since)
        return query

    def check(self, conversation_id: str, subject: Subject, since: datetime | None = None) -> bool:
        """Whether the conversation holds a live grant for `subject` (made after `since`);
        a live grant is renewed (its idle period starts again)."""
        now = self.clock()
        with session_scope(self.factory) as session:
            row = session.execute(self._valid(conversation_id, subject, since, now).limit(1)).scalar_one_or_none()
            if row is None:
                return False
            row.last_used_at = now
            return True

    def holds_any(self, conversation_id: str, since: datetime | None = None) -> bool:
        """Whether the conversation holds any live grant (without renewing it)."""
        now = self.clock()
        with session_scope(self.factory) as session:
            return session.execute(self._valid(conversation_id, None, since, now).limit(1)).first() is not None

    def revoke(self, conversation_id: str) -> int:
        """Drop every grant of the conversation; returns how many."""
        with session_scope(self.factory) as session:
            return int(session.execute(delete(Grant).where(Grant.conversation_id == conversation_id)).rowcount or 0)

    def purge_expired(self) -> int:
        """Delete grants idle for longer than the idle period."""
        now = self.clock()
        with session_scope(self.factory) as session:
            return int(session.execute(delete(Grant).where(Grant.last_used_at < now - self.idle)).rowcount or 0)
