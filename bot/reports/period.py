"""Report periods: whole days in the business time zone, and the buckets (day, week,
month) a period is split into. A timestamp belongs to the local day it falls on, so a
conversation at 00:30 in Shanghai counts on that day although it is still the day
before in UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from sqlalchemy import case, literal

from bot import clock
from bot.db import UTCDateTime
from bot.reports.sql import as_date_key, local_date
from bot.reports.vocabulary import GroupBy

MAX_DAYS = 731  # a period of at most two years
MAX_BUCKETS = 400  # day grouping of at most ~13 months


class PeriodError(ValueError):
    """A period or grouping the reports cannot serve; the message says why."""


def zone(name: str) -> tzinfo:
    """The business time zone called `name` (bot.clock.zone), or a PeriodError."""
    try:
        return clock.zone(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise PeriodError(f"unknown time zone {name!r}") from error


def parse_day(value: str | None, name: str) -> date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) != 10:
        raise PeriodError(f"'{name}' must be a date YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise PeriodError(f"'{name}' must be a date YYYY-MM-DD") from error


def parse_group_by(value: str | None) -> GroupBy | None:
    if value is None or value in ("", "none", "total"):
        return None
    found = {grouping.value: grouping for grouping in GroupBy}.get(value)
    if found is None:
        choices = ", ".join(GroupBy.values())
        raise PeriodError(f"'group_by' must be one of: {choices}")
    return found


@dataclass(frozen=True)
class Period:
    """The local days `first_day` .. `last_day` (inclusive) in `tz`."""

    first_day: date
    last_day: date
    tz: tzinfo

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise PeriodError("'from' must not be after 'to'")
        if (self.last_day - self.first_day).days + 1 > MAX_DAYS:
            raise PeriodError(f"a period spans at most {MAX_DAYS} days")

    @classmethod
    def of_days(cls, first: date | None, last: date | None, tz: tzinfo, today: date, default_days: int = 7) -> Period:
        last = last or (first + timedelta(days=default_days - 1) if first else today)
        first = first or last - timedelta(days=default_days - 1)
        return cls(first, last, tz)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def day_start(self, day: date) -> datetime:
        """The UTC instant the local day begins."""
        return datetime.combine(day, time(0), self.tz).astimezone(timezone.utc)

    @property
    def start(self) -> datetime:
        return self.day_start(self.first_day)

    @property
    def end(self) -> datetime:
        """Exclusive: the start of the day after `last_day`."""
        return self.day_start(self.last_day + timedelta(days=1))

    def contains(self, column: Any) -> Any:
        return (column >= self.start) & (column < self.end)

    def shifted(self, days: int) -> Period:
        return Period(self.first_day + timedelta(days=days), self.last_day + timedelta(days=days), self.tz)

    # --- local dates in SQL ------------------------------------------------

    def _offsets(self, margin_days: int) -> list[tuple[datetime | None, int]]:
        """[(until, offset_seconds)]: the UTC offset in force before each change in and
        around the period (the last entry, until None, runs to the end)."""
        first = self.first_day - timedelta(days=margin_days)
        last = self.last_day + timedelta(days=margin_days + 1)

        def offset(moment: datetime) -> int:
            delta = moment.astimezone(self.tz).utcoffset()
            return int(delta.total_seconds()) if delta is not None else 0

        changes: list[tuple[datetime | None, int]] = []
        moment = datetime.combine(first, time(0), timezone.utc)
        current = offset(moment)
        while moment.date() < last:
            following = moment + timedelta(days=1)
            if offset(following) != current:
                low, high = moment, following  # bisect to the minute of the change
                while high - low > timedelta(minutes=1):
                    middle = low + (high - low) / 2
                    if offset(middle) == current:
                        low = middle
                    else:
                        high = middle
                changes.append((high, current))
                current = offset(following)
            moment = following
        changes.append((None, current))
        return changes

    def local_date(self, column: Any, margin_days: int = 0) -> Any:
        """SQL: the local date of a UTC timestamp column (time zones with daylight saving
        time get a CASE over their changes)."""
        offsets = self._offsets(margin_days)
        if len(offsets) == 1:
            offset_expr: Any = literal(offsets[0][1])
        else:
            offset_expr = case(
                *[(column < literal(until, UTCDateTime()), literal(value)) for until, value in offsets[:-1]],
                else_=literal(offsets[-1][1]),
            )
        return local_date(column, offset_expr)

    # --- buckets -----------------------------------------------------------

    def buckets(self, group_by: GroupBy) -> list[str]:
        """The labels of every bucket of the period, in order (also those without data)."""
        labels: list[str] = []
        day = self.first_day
        while day <= self.last_day:
            label = bucket_label(day, group_by)
            if not labels or labels[-1] != label:
                labels.append(label)
            day += timedelta(days=1)
        if len(labels) > MAX_BUCKETS:
            raise PeriodError(f"at most {MAX_BUCKETS} {group_by.value}s per report: choose a coarser 'group_by'")
        return labels


def bucket_label(day: date, group_by: GroupBy) -> str:
    """day: '2024-05-01'; week: its Monday '2024-04-29'; month: '2024-05'."""
    if group_by == GroupBy.WEEK:
        return (day - timedelta(days=day.weekday())).isoformat()
    if group_by == GroupBy.MONTH:
        return day.strftime("%Y-%m")
    return day.isoformat()


def bucket_of(value: Any, group_by: GroupBy) -> str:
    """The bucket of a `local_date` result."""
    return bucket_label(date.fromisoformat(as_date_key(value)), group_by)
