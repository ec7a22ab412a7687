"""Hot spots: the destinations, routes and carriers with the most delayed parcels that
customers asked about, compared with the period just before (week over week by
default), with a warning when one jumps.

A delayed parcel counts in a period when a conversation that started in it was about
the parcel while it had an open delay exception (bot/gateway/stats.py records the
first such parcel of each conversation). Places are reduced to their city or region
("北京市朝阳区" -> "北京市"), routes are origin city -> destination city."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.gateway.models import ConversationStats
from bot.reports.period import Period
from bot.reports.vocabulary import DELAY_EXCEPTION_TYPES, HotspotDimension
from bot.store.models import Shipment

DIMENSIONS = HotspotDimension.values()
_REGION = re.compile(r"^(?:.+?(?:省|自治区))?.+?(?:市|地区|自治州|盟)")


def region(place: str | None) -> str:
    """The city (or region) of a place name; foreign or unusual names stay as they are."""
    text = (place or "").strip()
    match = _REGION.match(text)
    return match.group(0) if match else (text or "?")


@dataclass
class Hotspot:
    dimension: str
    key: str
    parcels: int  # delayed parcels customers asked about in the period
    contacts: int  # conversations about them
    previous_parcels: int
    change: float | None  # (parcels - previous) / previous; None when there were none before
    warning: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "key": self.key,
            "parcels": self.parcels,
            "contacts": self.contacts,
            "previous_parcels": self.previous_parcels,
            "change": None if self.change is None else round(self.change, 4),
            "warning": self.warning,
        }


def _delayed(session: Session, period: Period) -> dict[str, dict[str, tuple[set[int], int]]]:
    """dimension -> key -> (shipment ids, conversations) for the period."""
    rows = session.execute(
        select(
            Shipment.id,
            Shipment.origin,
            Shipment.destination,
            func.coalesce(Shipment.carrier_name, Shipment.carrier),
            func.count(),
        )
        .select_from(ConversationStats)
        .join(Shipment, Shipment.tracking_key == ConversationStats.exception_tracking_key)
        .where(
            period.contains(ConversationStats.created_at), ConversationStats.exception_type.in_(DELAY_EXCEPTION_TYPES)
        )
        .group_by(Shipment.id, Shipment.origin, Shipment.destination, Shipment.carrier_name, Shipment.carrier)
    ).all()
    found: dict[str, dict[str, tuple[set[int], int]]] = {d: defaultdict(lambda: (set(), 0)) for d in DIMENSIONS}
    for shipment_id, origin, destination, carrier, contacts in rows:
        keys = {
            "destination": region(destination),
            "route": f"{region(origin)} → {region(destination)}",
            "carrier": carrier,
        }
        for dimension, key in keys.items():
            ids, n = found[dimension][key]
            found[dimension][key] = (ids | {shipment_id}, n + int(contacts))
    return found


def hotspots(
    session: Session, period: Period, min_count: int, jump_ratio: float, limit: int = 10
) -> dict[str, list[Hotspot]]:
    """The top `limit` keys of each dimension by delayed parcels in `period`, with the same
    count in the equally long period before. Warning: at least `min_count` parcels and
    `jump_ratio` times as many as before (or none before)."""
    current = _delayed(session, period)
    previous = _delayed(session, period.shifted(-period.days))
    result: dict[str, list[Hotspot]] = {}
    for dimension in DIMENSIONS:
        spots = []
        for key, (ids, contacts) in current[dimension].items():
            now_count = len(ids)
            before = len(previous[dimension].get(key, (set(), 0))[0])
            change = (now_count - before) / before if before else None
            warning = now_count >= min_count and (before == 0 or now_count >= before * jump_ratio)
            spots.append(Hotspot(dimension, key, now_count, contacts, before, change, warning))
        spots.sort(key=lambda s: (-s.parcels, -s.contacts, s.key))
        result[dimension] = spots[:limit]
    return result
