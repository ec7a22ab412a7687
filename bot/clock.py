"""The one clock and time zone of the service.

Instants are timezone-aware UTC (`utcnow()`); what customers and agents read is in
China time (`CHINA_TZ`, Asia/Shanghai) whatever the server's zone is. The actions
call `clock.utcnow()` through this module (never datetime.now), so tests can freeze
it; the gateway takes a clock function as a parameter.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CHINA_TZ_NAME = "Asia/Shanghai"


@cache
def zone(name: str) -> tzinfo:
    """The time zone called `name` (IANA). Without a tz database on the machine,
    Asia/Shanghai is still known: China has had no daylight saving time since 1991."""
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        if name == CHINA_TZ_NAME:
            return timezone(timedelta(hours=8), CHINA_TZ_NAME)
        raise


CHINA_TZ: tzinfo = zone(CHINA_TZ_NAME)


def utcnow() -> datetime:
    """The current instant, timezone-aware (UTC)."""
    return datetime.now(timezone.utc)


def local(moment: datetime, tz: tzinfo = CHINA_TZ) -> datetime:
    """`moment` in China time (or `tz`); naive values are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(tz)


def local_now() -> datetime:
    """Now, in China time (follows a frozen `utcnow`)."""
    return local(utcnow())
