"""The queries the assistant runs against the shipment store.

Lookups take a tracking number as the customer typed it: case, spaces and dashes
do not matter (see tracking_numbers.normalize). Writes happen inside the
caller's session/transaction (use bot.db.session_scope); nothing here commits.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from bot.db import utcnow
from bot.store.models import REQUEST_KINDS, ServiceRequest, Shipment
from bot.store.tracking_numbers import normalize

MAX_KEY_LENGTH = 40
_LOOKUP_CHUNK = 500  # keys per IN (...) query

# Reference prefix per request kind: RP-20261123-7F3K2A.
REFERENCE_PREFIXES: dict[str, str] = {
    "return_pickup": "RP",
    "address_change": "AC",
    "redelivery": "RD",
    "self_pickup": "SP",
    "damage_claim": "CL",
    "loss_claim": "CL",
    "non_receipt_claim": "CL",
}
# No 0/O or 1/I: references are read out over the phone.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_REFERENCE_RANDOM_CHARS = 6
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

# Everything the assistant reads is loaded eagerly, so shipments can be used after
# the session closes. The one-to-one parts come in the same query (LEFT OUTER JOIN
# on their unique shipment_id index). A single lookup also joins the scans: one
# round trip, ~0.7 ms on a million shipments versus ~2 ms for five selectin
# queries (benchmarks/bench_lookup.py). Batch lookups load scans with selectin so
# the rows are not multiplied across hundreds of shipments.
_ONE_TO_ONE = (joinedload(Shipment.exception), joinedload(Shipment.delivery), joinedload(Shipment.customs))
_SINGLE = (joinedload(Shipment.events), *_ONE_TO_ONE)
_BATCH = (selectinload(Shipment.events), *_ONE_TO_ONE)


def lookup_key(raw_number: Optional[str]) -> Optional[str]:
    """The normalised key, or None when the text cannot be a stored tracking number."""
    if not raw_number or not isinstance(raw_number, str):
        return None
    key = normalize(raw_number[:200])
    return key if 0 < len(key) <= MAX_KEY_LENGTH else None


def get_shipment(session: Session, raw_number: Optional[str]) -> Optional[Shipment]:
    """The shipment with its events, exception, proof of delivery and customs, or None."""
    key = lookup_key(raw_number)
    if key is None:
        return None
    stmt = select(Shipment).where(Shipment.tracking_key == key).options(*_SINGLE)
    return session.execute(stmt).unique().scalars().first()


def get_shipments(session: Session, raw_numbers: Iterable[str]) -> dict[str, Optional[Shipment]]:
    """Several lookups at once: {normalised key: shipment or None}, in the order given.

    Numbers that cannot be tracking numbers (empty, too long) are left out.
    """
    result: dict[str, Optional[Shipment]] = {}
    for raw in raw_numbers:
        key = lookup_key(raw)
        if key is not None:
            result.setdefault(key, None)
    keys = list(result)
    for start in range(0, len(keys), _LOOKUP_CHUNK):
        chunk = keys[start:start + _LOOKUP_CHUNK]
        stmt = select(Shipment).where(Shipment.tracking_key.in_(chunk)).options(*_BATCH)
        for shipment in session.execute(stmt).scalars():
            result[shipment.tracking_key] = shipment
    return result


def _new_reference(session: Session, kind: str, now: datetime) -> str:
    prefix = REFERENCE_PREFIXES[kind]
    day = now.astimezone(CHINA_TZ).strftime("%Y%m%d")
    for _ in range(20):
        code = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(_REFERENCE_RANDOM_CHARS))
        reference = f"{prefix}-{day}-{code}"
        taken = session.execute(
            select(ServiceRequest.id).where(ServiceRequest.reference == reference)
        ).first()
        if taken is None:
            return reference
    raise RuntimeError("could not find a free service request reference")  # 32^6 codes a day


def _check_time_window(time_window: Optional[tuple[datetime, datetime]]) -> None:
    if time_window is None:
        return
    start, end = time_window
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("time_window needs timezone-aware datetimes")
    if end <= start:
        raise ValueError("time_window must end after it starts")


def create_service_request(
    session: Session,
    kind: str,
    shipment: Optional[Shipment],
    conversation_id: Optional[str],
    details: Optional[Mapping[str, Any]] = None,
    time_window: Optional[tuple[datetime, datetime]] = None,
    *,
    now: Optional[datetime] = None,
) -> ServiceRequest:
    """Record a service request (open) and give it a human reference.

    The row is flushed so its reference and id are set; the caller commits.
    """
    if kind not in REQUEST_KINDS:
        raise ValueError(f"unknown service request kind {kind!r} (allowed: {', '.join(REQUEST_KINDS)})")
    _check_time_window(time_window)
    moment = now or utcnow()
    request = ServiceRequest(
        reference=_new_reference(session, kind, moment),
        kind=kind,
        status="open",
        shipment=shipment,
        tracking_number=shipment.tracking_number if shipment is not None else None,
        conversation_id=conversation_id,
        time_window_start=time_window[0] if time_window else None,
        time_window_end=time_window[1] if time_window else None,
        details=dict(details or {}),
        created_at=moment,
    )
    session.add(request)
    session.flush()
    return request


def open_requests_for(session: Session, shipment: Shipment, kind: Optional[str] = None) -> list[ServiceRequest]:
    """Open requests on a shipment (of one kind, or any kind), oldest first."""
    stmt = select(ServiceRequest).where(
        ServiceRequest.shipment_id == shipment.id, ServiceRequest.status == "open"
    )
    if kind is not None:
        stmt = stmt.where(ServiceRequest.kind == kind)
    stmt = stmt.order_by(ServiceRequest.created_at, ServiceRequest.id)
    return list(session.execute(stmt).scalars())


def get_service_request(session: Session, reference: str) -> Optional[ServiceRequest]:
    """A service request by its reference (case and surrounding spaces ignored)."""
    if not reference or not isinstance(reference, str):
        return None
    stmt = select(ServiceRequest).where(ServiceRequest.reference == reference.strip().upper()[:32])
    return session.execute(stmt).scalars().first()
