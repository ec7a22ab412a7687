"""The assistant's clock and the customer's time zone.

Every action asks `clock.now()` (never datetime.now) so tests can freeze time, and
shows times in Asia/Shanghai whatever the server's zone is.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo


def _shanghai() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Shanghai")
    except Exception:  # no tz database on the machine: China has had no DST since 1991
        return timezone(timedelta(hours=8), "Asia/Shanghai")


SHANGHAI: tzinfo = _shanghai()


def now() -> datetime:
    """The current instant, timezone-aware (UTC)."""
    return datetime.now(timezone.utc)


def local(moment: datetime) -> datetime:
    """`moment` in Asia/Shanghai (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(SHANGHAI)


def local_now() -> datetime:
    return local(now())
