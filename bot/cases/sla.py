"""Service levels of cases: per type, the time to the first contact with the customer
and the time to done (settings: CASE_SLA), and the deadlines of a new case.

Defaults come from the seeds: parcel exceptions get a first response within 15 minutes
and are handled within 24 hours; damage claims are contacted within 1 hour. Bookings
with a time window are due when the window ends. Clocks start when the desk is staffed
(a case opened at night counts from the next opening)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Settings
from bot.contract import CaseType
from bot.gateway.hours import next_staffed


@dataclass(frozen=True)
class Sla:
    respond: timedelta | None  # None: no separate first contact (the work itself is the answer)
    resolve: timedelta


_M, _H, _D = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
DEFAULTS: dict[CaseType, Sla] = {
    CaseType.DAMAGE_CLAIM: Sla(1 * _H, 24 * _H),
    CaseType.LOSS_CLAIM: Sla(15 * _M, 3 * _D),
    CaseType.NOT_RECEIVED: Sla(15 * _M, 24 * _H),
    CaseType.CUSTOMS_DOCUMENTS: Sla(15 * _M, 24 * _H),
    CaseType.TICKET: Sla(15 * _M, 24 * _H),
    CaseType.CALLBACK: Sla(None, 24 * _H),  # a booked window wins
    CaseType.RETURN_PICKUP: Sla(None, 24 * _H),
    CaseType.REDELIVERY: Sla(None, 24 * _H),
    CaseType.FORWARD: Sla(None, 24 * _H),
    CaseType.ADDRESS_CHANGE: Sla(None, 2 * _H),
    CaseType.SELF_PICKUP: Sla(None, 24 * _H),
}

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhd]?)\s*$", re.I)
_UNITS = {"": _M, "m": _M, "h": _H, "d": _D}


def parse_duration(text: str) -> timedelta:
    """ "15m", "24h", "3d", "90" (minutes) -> timedelta; ValueError otherwise."""
    match = _DURATION.match(text or "")
    if not match:
        raise ValueError(f"bad duration {text!r} (use e.g. 15m, 24h, 3d)")
    value = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if value <= timedelta(0):
        raise ValueError(f"duration {text!r} must be positive")
    return value


def parse_spec(spec: str) -> dict[CaseType, Sla]:
    """The defaults overridden by "type=respond/resolve,..." ("type=resolve" keeps no first-contact time)."""
    table = dict(DEFAULTS)
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        try:
            case_type = CaseType(name.strip())
        except ValueError:
            raise ValueError(f"CASE_SLA: unknown case type {name.strip()!r}") from None
        if not sep:
            raise ValueError(f"CASE_SLA: {part.strip()!r} needs type=first-contact/done")
        first, slash, done = value.partition("/")
        if slash:
            table[case_type] = Sla(parse_duration(first), parse_duration(done))
        else:
            table[case_type] = Sla(None, parse_duration(first))
    return table


def sla_for(settings: Settings, case_type: str) -> Sla:
    return parse_spec(settings.case_sla_spec)[CaseType(case_type)]


@dataclass(frozen=True)
class Deadlines:
    respond_by: datetime
    resolve_by: datetime


def deadlines(
    settings: Settings, case_type: str, now: datetime, window: tuple[datetime, datetime] | None = None
) -> Deadlines:
    """First-contact and done deadlines of a case opened `now` (a window's end is the appointment)."""
    sla = sla_for(settings, case_type)
    start = next_staffed(now, settings.staffed_hours, settings.staffed_tz)
    resolve_by = window[1] if window is not None else start + sla.resolve
    respond_by = start + sla.respond if sla.respond is not None else resolve_by
    return Deadlines(respond_by=min(respond_by, resolve_by), resolve_by=resolve_by)
