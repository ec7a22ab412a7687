"""Case references: CS<local date>-<daily number>, e.g. CS20261130-0042.

The daily number comes from a counter row per day incremented by one atomic upsert in
the transaction that creates the case: on PostgreSQL `INSERT … ON CONFLICT DO UPDATE …
RETURNING` (the row lock serialises concurrent creators until they commit), on SQLite
the same upsert takes the database's write lock, so the read that follows sees this
transaction's own number. Two gateways or action servers never hand out one number twice."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.cases.models import CaseReferenceCounter
from bot.clock import CHINA_TZ_NAME, zone

PREFIX = "CS"
# Also matches what customers type: lower case, spaces or no dash ("cs20261130 0042", "CS202611300042").
_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])CS\s?(\d{8})\s?[-－—_ ]?\s?(\d{4,6})(?![0-9])", re.I)


def format_reference(day: str, number: int) -> str:
    return f"{PREFIX}{day}-{number:04d}"


def next_number(session: Session, day: str) -> int:
    table = CaseReferenceCounter.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(table).values(day=day, last=1)
        stmt = stmt.on_conflict_do_update(index_elements=[table.c.day], set_={"last": table.c.last + 1})
        return int(session.execute(stmt.returning(table.c.last)).scalar_one())
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table).values(day=day, last=1)
        session.execute(stmt.on_conflict_do_update(index_elements=[table.c.day], set_={"last": table.c.last + 1}))
        return int(session.execute(select(table.c.last).where(table.c.day == day)).scalar_one())
    # Other databases: lock the day's row (or create it).
    row = session.execute(select(table.c.last).where(table.c.day == day).with_for_update()).scalar_one_or_none()
    if row is None:
        session.execute(table.insert().values(day=day, last=1))
        return 1
    session.execute(update(table).where(table.c.day == day).values(last=table.c.last + 1))
    return int(row) + 1


def new_reference(session: Session, now: datetime, tz_name: str = CHINA_TZ_NAME) -> str:
    day = now.astimezone(zone(tz_name)).strftime("%Y%m%d")
    return format_reference(day, next_number(session, day))


def find_references(text: str) -> list[str]:
    """Case references written in a message, normalised (upper case, one dash), in order."""
    found: list[str] = []
    for match in _IN_TEXT.finditer(text or ""):
        reference = f"{PREFIX}{match.group(1)}-{match.group(2)}"
        if reference not in found:
            found.append(reference)
    return found


def normalise(text: str) -> str | None:
    found = find_references(text)
    return found[0] if len(found) == 1 else None
