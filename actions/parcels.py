"""Facts about a shipment in words: latest scan, expected delivery, delivery record.

Nothing here shows personal data: scan descriptions are masked (couriers' notes
sometimes carry a phone number), signers appear as a category only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from actions import texts
from bot import clock
from bot.contract import CustomerTier
from bot.pii import mask_text
from bot.store.models import Shipment, TrackingEvent

CLOSED_STATUSES = ("returned", "cancelled")
EXCEPTION_PRIORITY_TIERS = (CustomerTier.VIP, CustomerTier.ENTERPRISE)


def found(shipments: dict[str, Shipment | None]) -> list[Shipment]:
    """The shipments that exist, in the customer's order."""
    return [s for s in shipments.values() if s is not None]


def carrier_name(shipment: Shipment) -> str:
    return shipment.carrier_name or shipment.carrier


def latest_scan(shipment: Shipment) -> TrackingEvent | None:
    return shipment.latest_event


def scan_phrase(lang: str, shipment: Shipment) -> str:
    """ "今天 06:40【北京顺义转运中心】快件已到达" / "today at 06:40, Beijing hub — Arrived"."""
    event = latest_scan(shipment)
    if event is None:
        return "—" if lang == "en" else "暂无扫描记录"
    when = texts.moment_text(lang, event.time)
    description = mask_text(event.description)
    if lang == "en":
        return f"{when}, {event.location} — {description}" if event.location else f"{when} — {description}"
    return f"{when}【{event.location}】{description}" if event.location else f"{when} {description}"


def scan_line(lang: str, shipment: Shipment) -> str:
    event = latest_scan(shipment)
    if event is None:
        return texts.t(lang, "block_no_scans")
    when = texts.moment_text(lang, event.time)
    description = mask_text(event.description)
    if event.location:
        return texts.t(lang, "block_scan", time=when, location=event.location, description=description)
    return texts.t(lang, "block_scan_no_place", time=when, description=description)


def is_delivered(shipment: Shipment) -> bool:
    return shipment.status == "delivered" or bool(shipment.delivery and shipment.delivery.signed_at)


def is_closed(shipment: Shipment) -> bool:
    return shipment.status in CLOSED_STATUSES


def expected_delivery(shipment: Shipment) -> datetime | None:
    """The current expected delivery: the exception's new ETA, else the ETA."""
    if shipment.exception is not None and shipment.exception.new_eta is not None:
        return shipment.exception.new_eta
    return shipment.eta


def _on_its_way(shipment: Shipment) -> bool:
    return not is_delivered(shipment) and not is_closed(shipment)


def is_overdue(shipment: Shipment) -> bool:
    """The expected delivery time has passed and the parcel is not delivered."""
    expected = expected_delivery(shipment)
    return _on_its_way(shipment) and expected is not None and clock.utcnow() > expected


def upcoming_delivery(shipment: Shipment) -> datetime | None:
    """The expected delivery if it is still ahead (a passed ETA is no promise)."""
    expected = expected_delivery(shipment)
    return expected if expected is not None and clock.utcnow() <= expected else None


def is_past_promise(shipment: Shipment) -> bool:
    """Not delivered although the time promised to the customer has passed."""
    promised = shipment.promised_by
    return _on_its_way(shipment) and promised is not None and clock.utcnow() > promised


def is_late(shipment: Shipment) -> bool:
    """Not delivered although the promised or the expected time has passed."""
    return is_past_promise(shipment) or is_overdue(shipment)


def days_without_scan(shipment: Shipment) -> int | None:
    event = latest_scan(shipment)
    if event is None:
        return None
    return int((clock.utcnow() - event.time) / timedelta(days=1))


def delivered_time(lang: str, shipment: Shipment) -> str:
    delivery = shipment.delivery
    signed_at = delivery.signed_at if delivery is not None else None
    if signed_at is None:
        event = latest_scan(shipment)
        signed_at = event.time if event is not None else None
    return texts.moment_text(lang, signed_at) if signed_at else "—"


def signed_category(lang: str, shipment: Shipment) -> str:
    return texts.signed_by_label(lang, shipment.delivery.signed_by if shipment.delivery else None)


def has_priority_tier(shipment: Shipment) -> bool:
    return shipment.customer_tier in EXCEPTION_PRIORITY_TIERS


def exception_reason(shipment: Shipment) -> str:
    exc = shipment.exception
    return mask_text(exc.reason) if exc is not None and exc.reason else ""


def tracking_block(lang: str, shipment: Shipment) -> str:
    """One parcel's status in a few lines: header, route, status, issue, scan, ETA."""
    lines = [
        texts.t(lang, "block_header", number=shipment.tracking_number, carrier=carrier_name(shipment)),
        texts.t(lang, "block_route", origin=shipment.origin, destination=shipment.destination),
        texts.t(lang, "block_status", status=texts.status_label(lang, shipment.status)),
    ]
    exc = shipment.exception
    if exc is not None and not is_delivered(shipment):
        kind = texts.exception_label(lang, exc.type)
        reason = exception_reason(shipment)
        lines.append(
            texts.t(lang, "block_exception", type=kind, reason=reason)
            if reason
            else texts.t(lang, "block_exception_no_reason", type=kind)
        )
    lines.append(scan_line(lang, shipment))
    if is_delivered(shipment):
        lines.append(
            texts.t(
                lang, "block_delivered", time=delivered_time(lang, shipment), category=signed_category(lang, shipment)
            )
        )
    elif not is_closed(shipment):
        eta = expected_delivery(shipment)
        if eta is None:
            lines.append(texts.t(lang, "block_eta_unknown"))
        elif is_overdue(shipment):
            lines.append(texts.t(lang, "block_eta_overdue", eta=texts.deadline_text(lang, eta)))
        else:
            lines.append(texts.t(lang, "block_eta", eta=texts.deadline_text(lang, eta)))
    return "\n".join(lines)
