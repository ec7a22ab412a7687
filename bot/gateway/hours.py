"""Staffed hours: when human agents answer (e.g. "08:00-22:00" Asia/Shanghai)."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from bot.clock import CHINA_TZ_NAME, zone


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


def is_staffed(now: datetime, spec: str, tz_name: str = CHINA_TZ_NAME) -> bool:
    """True when `now` (aware) falls in the window; "00:00-24:00" is always, "22:00-06:00" overnight."""
    if spec.strip().lower() in ("", "always", "24h", "24/7"):
        return True
    start, end = parse_window(spec)
    local = now.astimezone(zone(tz_name)).time().replace(tzinfo=None)
    if end is None:
        return local >= start
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def next_staffed(now: datetime, spec: str, tz_name: str = CHINA_TZ_NAME) -> datetime:
    """`now` when humans answer now, else the moment the next staffed window opens."""
    if is_staffed(now, spec, tz_name):
        return now
    start, _ = parse_window(spec)
    tz = zone(tz_name)
    local = now.astimezone(tz)
    opening = datetime.combine(local.date(), start, tzinfo=tz)
    if opening <= local:
        opening = datetime.combine(local.date() + timedelta(days=1), start, tzinfo=tz)
    return opening.astimezone(timezone.utc)
