"""Staffed hours: when human agents answer (e.g. "08:00-22:00" Asia/Shanghai)."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache


@lru_cache(maxsize=8)
def _zone(name: str) -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:  # no tz database: China has had no DST since 1991
        return timezone(timedelta(hours=8), "CST")


def _parse(value: str) -> time | None:
    value = value.strip()
    if value in ("24:00", "24:00:00"):
        return None  # end of day
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes or 0))


def parse_window(spec: str) -> tuple[time, time | None]:
    start, _, end = spec.partition("-")
    begin = _parse(start)
    if begin is None:
        raise ValueError(f"bad staffed hours {spec!r}")
    return begin, _parse(end or "24:00")


def is_staffed(now: datetime, spec: str, tz_name: str = "Asia/Shanghai") -> bool:
    """True when `now` (aware) falls in the window; "00:00-24:00" is always, "22:00-06:00" overnight."""
    if spec.strip().lower() in ("", "always", "24h", "24/7"):
        return True
    start, end = parse_window(spec)
    local = now.astimezone(_zone(tz_name)).time().replace(tzinfo=None)
    if end is None:
        return local >= start
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def next_staffed(now: datetime, spec: str, tz_name: str = "Asia/Shanghai") -> datetime:
    """`now` when humans answer now, else the moment the next staffed window opens."""
    if is_staffed(now, spec, tz_name):
        return now
    start, _ = parse_window(spec)
    zone = _zone(tz_name)
    local = now.astimezone(zone)
    opening = datetime.combine(local.date(), start, tzinfo=zone)
    if opening <= local:
        opening = datetime.combine(local.date() + timedelta(days=1), start, tzinfo=zone)
    return opening.astimezone(timezone.utc)
