"""Database engine, sessions and the declarative base shared by every table.

SQLAlchemy is the only way to the database. SQLite (a file under DATA_DIR) is the
default; any SQLAlchemy URL (e.g. postgresql+psycopg2://...) works via DATABASE_URL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, declarative_base, sessionmaker
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import TypeDecorator

logger = logging.getLogger(__name__)

Base: Any = declarative_base()


class UTCDateTime(TypeDecorator):
    """Stores timezone-aware datetimes as naive UTC; returns aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite files get their directory, WAL and foreign keys."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # SQLAlchemy 1.4 gives SQLite files a NullPool: a new connection (and the
            # pragmas below) per session, ~1 ms per lookup. Keep connections instead.
            kwargs.setdefault("poolclass", QueuePool)
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
    else:
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, future=True, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return engine


def init_db(engine: Engine) -> None:
    """Create every table that does not exist yet (all models register on Base)."""
    from bot.cases import models as case_models  # noqa: F401 - registers the case tables on Base
    from bot.gateway import models as gateway_models  # noqa: F401 - registers the gateway tables on Base
    from bot.store import models as store_models  # noqa: F401 - registers the shipment tables on Base

    existing = set(inspect(engine).get_table_names())
    Base.metadata.create_all(engine)
    add_missing_indexes(engine, existing)


def add_missing_indexes(engine: Engine, tables: set[str]) -> None:
    """Create the indexes that `tables` (made by an earlier version) lack: create_all adds
    no index to an existing table. An index the data does not allow (e.g. a unique one
    over duplicates) is reported and left out; the tables keep working without it."""
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        if table.name not in tables or not table.indexes:
            continue
        present = {index["name"] for index in inspector.get_indexes(table.name)}
        for index in sorted(table.indexes, key=lambda ix: str(ix.name)):
            if index.name in present:
                continue
            try:
                index.create(engine, checkfirst=True)
                logger.info("index %s added to the existing table %s", index.name, table.name)
            except DBAPIError as error:  # duplicates in the data, or another process made it first
                if index.name in {ix["name"] for ix in inspect(engine).get_indexes(table.name)}:
                    continue
                logger.error(
                    "could not add index %s to %s (%s): fix the data it reports and restart",
                    index.name,
                    table.name,
                    error.orig.__class__.__name__ if error.orig is not None else error,
                )


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker) -> Iterator[Session]:
    """A transaction: commit on success, roll back on error."""
    session: Session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
