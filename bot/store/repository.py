"""The queries the assistant runs against the shipment store.

Lookups take a tracking number as the customer typed it: case, spaces and dashes
do not matter (see tracking_numbers.normalize).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from bot.store.models import Shipment
from bot.store.tracking_numbers import normalize

MAX_KEY_LENGTH = 40
_LOOKUP_CHUNK = 500  # keys per IN (...) query


# Everything the assistant reads is loaded eagerly, so shipments can be used after
# the session closes. The one-to-one parts come in the same query (LEFT OUTER JOIN
# on their unique shipment_id index). A single lookup also joins the scans: one
# round trip, ~0.7 ms on a million shipments versus ~2 ms for five selectin
# queries (benchmarks/bench_lookup.py). Batch lookups load scans with selectin so
# the rows are not multiplied across hundreds of shipments.
_ONE_TO_ONE = (joinedload(Shipment.exception), joinedload(Shipment.delivery), joinedload(Shipment.customs))
_SINGLE = (joinedload(Shipment.events), *_ONE_TO_ONE)
_BATCH = (selectinload(Shipment.events), *_ONE_TO_ONE)


def lookup_key(raw_number: str | None) -> str | None:
    """The normalised key, or None when the text cannot be a stored tracking number."""
    if not raw_number or not isinstance(raw_number, str):
        return None
    key = normalize(raw_number[:200])
    return key if 0 < len(key) <= MAX_KEY_LENGTH else None


def get_shipment(session: Session, raw_number: str | None) -> Shipment | None:
    """The shipment with its events, exception, proof of delivery and customs, or None."""
    key = lookup_key(raw_number)
    if key is None:
        return None
    stmt = select(Shipment).where(Shipment.tracking_key == key).options(*_SINGLE)
    return session.execute(stmt).unique().scalars().first()


def get_shipments(session: Session, raw_numbers: Iterable[str]) -> dict[str, Shipment | None]:
    """Several lookups at once: {normalised key: shipment or None}, in the order given.

    Numbers that cannot be tracking numbers (empty, too long) are left out.
    """
    result: dict[str, Shipment | None] = {}
    for raw in raw_numbers:
        key = lookup_key(raw)
        if key is not None:
            result.setdefault(key, None)
    keys = list(result)
    for start in range(0, len(keys), _LOOKUP_CHUNK):
        chunk = keys[start : start + _LOOKUP_CHUNK]
        stmt = select(Shipment).where(Shipment.tracking_key.in_(chunk)).options(*_BATCH)
        for shipment in session.execute(stmt).scalars():
            result[shipment.tracking_key] = shipment
    return result


def get_shipments_by_order(session: Session, order_ids: Iterable[str]) -> dict[str, list[Shipment]]:
    """Shipments of the given order numbers (a customer may quote the shop's order number
    instead of the tracking number): {order id: shipments, oldest tracking number first}."""
    ids = [i for i in dict.fromkeys(order_ids) if i and len(i) <= 64]
    result: dict[str, list[Shipment]] = {}
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        chunk = ids[start : start + _LOOKUP_CHUNK]
        stmt = select(Shipment).where(Shipment.order_id.in_(chunk)).options(*_BATCH).order_by(Shipment.tracking_key)
        for shipment in session.execute(stmt).scalars():
            result.setdefault(str(shipment.order_id), []).append(shipment)
    return result


MAX_PHONE_MATCHES = 20


def phone_forms(digits: str) -> list[str]:
    """The ways a phone number is written in import records (docs/shipment.schema.json
    leaves the format free): a mainland mobile as 11 digits, spaced, dashed, with +86 /
    0086; another number as digits with and without "+"."""
    digits = re.sub(r"\D", "", digits or "")
    if re.fullmatch(r"1[3-9]\d{9}", digits):
        spaced = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        dashed = f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
        national = [digits, spaced, dashed]
        return national + [f"{prefix}{form}" for prefix in ("+86", "+86 ", "+86-", "86", "0086") for form in national]
    return [digits, f"+{digits}"] if digits else []


def shipments_for_recipient_phone(session: Session, digits: str) -> list[Shipment]:
    """Shipments whose recipient phone is `digits` (any of its usual written forms), newest
    first, at most MAX_PHONE_MATCHES. Callers must check the recipient (name or order id)
    before showing anything: the phone alone proves nothing."""
    forms = phone_forms(digits)
    if not forms:
        return []
    digits = forms[0]
    condition = Shipment.recipient_phone.in_(forms)
    if not re.fullmatch(r"1[3-9]\d{9}", digits):
        # Another country's number is written with free spacing: "+44 7700 900412".
        condition = condition | Shipment.recipient_phone.like(f"+{digits[:2]}%{digits[-4:]}")
    stmt = (
        select(Shipment)
        .where(condition)
        .options(*_BATCH)
        .order_by(Shipment.shipped_at.desc(), Shipment.id.desc())
        .limit(MAX_PHONE_MATCHES)
    )
    found = session.execute(stmt).scalars()
    return [s for s in found if re.sub(r"\D", "", s.recipient_phone or "").endswith(digits[-11:])]
