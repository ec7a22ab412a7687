"""Retention of customer text (PIPL: keep personal data no longer than needed).

`python -m bot privacy purge --older-than DAYS` (and, with PRIVACY_RETENTION_DAYS set,
the gateway once a day) removes what customers, the bot and agents wrote in
conversations untouched for DAYS, everywhere it is kept:

- gateway tables: message texts and custom payloads, notes, handoff summaries and
  tracking numbers, the saved handoff request; the customer's channel id (REST sender,
  socket.io session, WeChat openid) becomes a pseudonym; an open conversation is closed
  (the customer's next message starts a new one); a REST sender's conversation secret is
  deleted with its last conversation;
- cases closed before the cutoff: summary, details and the texts of their timeline
  (evidence files stay with the case: bot/cases/storage.py);
- the Rasa tracker store: every event of those conversations, and of any tracker whose
  newest event is older than the cutoff;
- security tables: expired grants and attempts past their window.

What stays (no personal data): conversation and message rows with roles and times,
handoff categories, priorities, SLA times, satisfaction scores, the conversations' report
facts (counts, times, categories, links to earlier and later contacts; their tracking
numbers are deleted), so reports still add up.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import MetaData, Table, delete, inspect, select, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker

from bot.clock import utcnow
from bot.config import Settings, load_settings
from bot.db import init_db, make_engine, make_session_factory, session_scope

logger = logging.getLogger(__name__)

PURGED_PREFIX = "purged:"
BATCH = 500


@dataclass
class PurgeReport:
    cutoff: datetime
    conversations: int = 0
    messages: int = 0
    tracker_senders: int = 0
    tracker_events: int = 0
    security_rows: int = 0
    details: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [
            f"cutoff: {self.cutoff.isoformat()}",
            f"gateway conversations purged: {self.conversations} ({self.messages} messages)",
            f"closed cases purged: {self.details.get('cases', 0)}",
            f"Rasa trackers deleted: {self.tracker_senders} ({self.tracker_events} events)",
            f"expired security rows deleted: {self.security_rows}",
        ]


def pseudonym(channel: str, channel_user_id: str) -> str:
    """A short stable stand-in for a customer's channel id (what agents see, and what a
    purged conversation keeps)."""
    import hashlib

    digest = hashlib.sha256(f"{channel}:{channel_user_id}".encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:8].upper()


def tracker_engine(settings: Settings, main: Engine) -> Engine | None:
    """The Rasa SQL tracker store, as `python -m bot serve` configures it (a SQLite file in
    DATA_DIR next to a SQLite store; the same database otherwise)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        path = settings.data_dir / "rasa_tracker.db"
        return make_engine(f"sqlite:///{path}") if path.exists() else None
    return main


def _purge_gateway(session_factory: sessionmaker, cutoff: datetime, report: PurgeReport) -> list[str]:
    from bot.contract import ConversationState
    from bot.gateway.models import (
        Conversation,
        ConversationParcel,
        ConversationStats,
        CustomerSecret,
        Handoff,
        Message,
        Note,
    )

    purged_ids: list[str] = []
    while True:
        with session_scope(session_factory) as session:
            conversations = (
                session.execute(
                    select(Conversation)
                    .where(Conversation.updated_at < cutoff, ~Conversation.channel_user_id.startswith(PURGED_PREFIX))
                    .limit(BATCH)
                )
                .scalars()
                .all()
            )
            if not conversations:
                break
            ids = [c.id for c in conversations]
            report.messages += int(
                session.execute(
                    update(Message)
                    .where(Message.conversation_id.in_(ids))
                    .values(text=None, payload=None)
                    .execution_options(synchronize_session=False)
                ).rowcount
                or 0
            )
            session.execute(
                update(Note)
                .where(Note.conversation_id.in_(ids))
                .values(text="")
                .execution_options(synchronize_session=False)
            )
            session.execute(
                update(Handoff)
                .where(Handoff.conversation_id.in_(ids))
                .values(summary=None, tracking_numbers=None)
                .execution_options(synchronize_session=False)
            )
            # The reports keep their counts, times and links, not the parcels' numbers.
            session.execute(
                delete(ConversationParcel)
                .where(ConversationParcel.conversation_id.in_(ids))
                .execution_options(synchronize_session=False)
            )
            session.execute(
                update(ConversationStats)
                .where(ConversationStats.conversation_id.in_(ids))
                .values(exception_tracking_key=None)
                .execution_options(synchronize_session=False)
            )
            customers = {(c.channel, c.channel_user_id) for c in conversations}
            for conversation in conversations:
                conversation.channel_user_id = PURGED_PREFIX + pseudonym(
                    conversation.channel, conversation.channel_user_id
                )
                conversation.handoff_request = None
                if conversation.state != ConversationState.CLOSED:
                    conversation.state = ConversationState.CLOSED
            session.flush()
            for channel, user_id in customers:  # a customer with nothing left: their REST secret goes too
                left = session.execute(
                    select(Conversation.id)
                    .where(Conversation.channel == channel, Conversation.channel_user_id == user_id)
                    .limit(1)
                ).first()
                if left is None:
                    session.execute(
                        delete(CustomerSecret).where(
                            CustomerSecret.channel == channel, CustomerSecret.channel_user_id == user_id
                        )
                    )
            purged_ids += ids
            report.conversations += len(ids)
    return purged_ids


def _purge_cases(session_factory: sessionmaker, cutoff: datetime, report: PurgeReport) -> None:
    from bot.cases.models import Case, CaseEvent

    with session_scope(session_factory) as session:
        ids = list(
            session.execute(
                select(Case.id).where(Case.closed_at.is_not(None), Case.closed_at < cutoff, Case.summary.is_not(None))
            ).scalars()
        )
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            session.execute(
                update(Case)
                .where(Case.id.in_(batch))
                .values(summary=None, details=None)
                .execution_options(synchronize_session=False)
            )
            session.execute(
                update(CaseEvent)
                .where(CaseEvent.case_id.in_(batch))
                .values(text=None, data=None)
                .execution_options(synchronize_session=False)
            )
        report.details["cases"] = len(ids)


def _purge_trackers(engine: Engine, cutoff: datetime, purged: list[str], report: PurgeReport) -> None:
    if not inspect(engine).has_table("events"):
        return
    events = Table("events", MetaData(), autoload_with=engine)
    cutoff_ts = cutoff.timestamp()
    with engine.begin() as connection:
        from sqlalchemy import func

        stale = [
            row[0]
            for row in connection.execute(
                select(events.c.sender_id).group_by(events.c.sender_id).having(func.max(events.c.timestamp) < cutoff_ts)
            )
        ]
        senders = list(dict.fromkeys(stale + purged))
        for start in range(0, len(senders), BATCH):
            batch = senders[start : start + BATCH]
            result = connection.execute(delete(events).where(events.c.sender_id.in_(batch)))
            report.tracker_events += int(result.rowcount or 0)
        report.tracker_senders = len(stale) + len([s for s in purged if s not in set(stale)])


def _purge_security(session_factory: sessionmaker, settings: Settings, now: datetime, report: PurgeReport) -> None:
    from bot.security import login_lockout, verification_grants, verification_lockout
    from bot.security.models import Attempt

    grants = verification_grants(session_factory, settings, clock=lambda: now)
    report.security_rows += grants.purge_expired()
    longest = max(
        verification_lockout(session_factory, settings).longest_window,
        login_lockout(session_factory, settings).longest_window,
    )
    with session_scope(session_factory) as session:
        report.security_rows += int(
            session.execute(delete(Attempt).where(Attempt.created_at < now - longest)).rowcount or 0
        )


def purge(settings: Settings, older_than: timedelta, now: datetime | None = None) -> PurgeReport:
    """Remove customer text of conversations untouched for `older_than` (see the module doc)."""
    now = now or utcnow()
    report = PurgeReport(cutoff=now - older_than)
    engine = make_engine(settings.database_url)
    trackers: Engine | None = None
    try:
        init_db(engine)
        factory = make_session_factory(engine)
        purged = _purge_gateway(factory, report.cutoff, report)
        _purge_cases(factory, report.cutoff, report)
        trackers = tracker_engine(settings, engine)
        if trackers is not None:
            _purge_trackers(trackers, report.cutoff, purged, report)
        _purge_security(factory, settings, now, report)
    finally:
        if trackers is not None and trackers is not engine:
            trackers.dispose()
        engine.dispose()
    logger.info(
        "privacy purge (older than %s): %d conversations, %d messages, %d trackers",
        older_than,
        report.conversations,
        report.messages,
        report.tracker_senders,
    )
    return report


def _purge_command(args: argparse.Namespace) -> int:
    if not args.older_than > 0:
        print("--older-than must be a positive number of days")
        return 2
    report = purge(load_settings(), timedelta(days=args.older_than))
    for line in report.lines():
        print(line)
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("privacy", help="retention of customer data")
    sub = parser.add_subparsers(dest="privacy_command", required=True)
    purge_parser = sub.add_parser("purge", help="delete customer text older than DAYS (gateway + Rasa trackers)")
    purge_parser.add_argument("--older-than", dest="older_than", type=float, required=True, metavar="DAYS")
    purge_parser.set_defaults(handler=_purge_command)
