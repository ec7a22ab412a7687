"""The two SQL expressions the reports need that SQLite and PostgreSQL spell
differently: the local calendar date of a UTC timestamp, and the seconds between two
timestamps. Timestamps are stored as naive UTC (bot.db.UTCDateTime)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class local_date(FunctionElement):
    """local_date(utc_timestamp, offset_seconds): the calendar date at that UTC offset.
    SQLite answers 'YYYY-MM-DD' strings, PostgreSQL dates (see `as_date_key`)."""

    type = Date()
    name = "local_date"
    inherit_cache = True


@compiles(local_date, "sqlite")
def _local_date_sqlite(element: local_date, compiler: Any, **kw: Any) -> str:
    column, offset = list(element.clauses)
    return f"date({compiler.process(column, **kw)}, ({compiler.process(offset, **kw)}) || ' seconds')"


@compiles(local_date)
def _local_date_default(element: local_date, compiler: Any, **kw: Any) -> str:  # PostgreSQL
    column, offset = list(element.clauses)
    return f"CAST({compiler.process(column, **kw)} + ({compiler.process(offset, **kw)}) * INTERVAL '1 second' AS DATE)"


class seconds_between(FunctionElement):
    """seconds_between(later, earlier): `later - earlier` in seconds (a float)."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    days = f"julianday({compiler.process(later, **kw)}) - julianday({compiler.process(earlier, **kw)})"
    return f"round(({days}) * 86400.0, 3)"  # julianday is a double: keep milliseconds, drop the noise


@compiles(seconds_between)
def _seconds_default(element: seconds_between, compiler: Any, **kw: Any) -> str:  # PostgreSQL
    later, earlier = list(element.clauses)
    return f"EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)}))"


def as_date_key(value: Any) -> str:
    """'YYYY-MM-DD' from what `local_date` returned (a string or a date)."""
    return str(value)[:10]
