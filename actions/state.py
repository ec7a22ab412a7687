"""Answers that the parcel's own state gives, whatever generic question was asked.

"Why did this come back?", "when will it arrive?", "送不到怎么办" or "is it lost?" about a
parcel that was refused and is going back (or is back) to its sender is answered with
its refusal/return record; about a shipment that was created but never collected, with
its pickup status; about a cancelled shipment, with the cancellation. The generic
answer (return steps, an ETA, delivery options) would not fit such a parcel.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from actions import conversation, parcels, texts
from bot import clock, policy
from bot.pii import mask_text
from bot.store.models import Shipment, TrackingEvent

# Topics whose generic answer a parcel's state replaces (tracking shows the state anyway).
STATE_TOPICS = (
    conversation.ETA,
    conversation.DELAY,
    conversation.DELIVERY_FAILED,
    conversation.RETURN,
    conversation.LOST,
    conversation.SIGNED_NOT_RECEIVED,
)
_REFUSAL_WORDS = ("拒收", "拒签", "拒付", "refus", "declin")


def is_going_back(shipment: Shipment) -> bool:
    """On its way back to the sender, or back with the sender."""
    return shipment.status in ("returning", "returned")


# Exceptions of a delivery attempt that failed (the parcel waits for the customer's choice).
FAILED_DELIVERY_TYPES = ("out_of_area", "address_problem", "held_at_station", "refused")
# Questions whose answer, for a parcel whose delivery failed, is its reason and the options.
FAILED_DELIVERY_TOPICS = (conversation.TRACK, conversation.ETA, conversation.LOST)


def is_failed_delivery(shipment: Shipment) -> bool:
    """A delivery attempt failed and the parcel waits (not delivered, not going back)."""
    if shipment.status in ("delivered", "returning", "returned", "cancelled"):
        return False
    exc = shipment.exception
    return shipment.status == "delivery_failed" or (exc is not None and exc.type in FAILED_DELIVERY_TYPES)


def topic_for(topic_name: str, shipments: dict[str, Shipment | None]) -> str:
    """The topic that answers `topic_name` for these parcels: "where is it?", "when does it
    come?" or "is it lost?" about parcels whose delivery failed is answered with the reason
    and the options."""
    found = [s for s in shipments.values() if s is not None]
    if topic_name in FAILED_DELIVERY_TOPICS and found and all(is_failed_delivery(s) for s in found):
        return conversation.DELIVERY_FAILED
    return topic_name


def is_not_collected(shipment: Shipment) -> bool:
    """Created, but no courier has picked it up yet."""
    return shipment.status == "created" and not any(e.status != "created" for e in shipment.events)


def _refusal_event(shipment: Shipment) -> TrackingEvent | None:
    for event in reversed(shipment.events):
        description = (event.description or "").lower()
        if any(word in description for word in _REFUSAL_WORDS):
            return event
    for event in reversed(shipment.events):
        if event.status == "delivery_failed":
            return event
    return None


def _refusal_reason(shipment: Shipment) -> tuple[str, datetime | None]:
    """(what the record says about why it went back, when)."""
    exc = shipment.exception
    event = _refusal_event(shipment)
    when = exc.reported_at if exc is not None and exc.reported_at is not None else (event.time if event else None)
    if exc is not None and exc.reason:
        return mask_text(exc.reason), when
    if event is not None and event.description:
        return mask_text(event.description), when
    return "", when


def _return_answer(lang: str, shipment: Shipment) -> str:
    number = shipment.tracking_number
    reason, when = _refusal_reason(shipment)
    when_text = texts.moment_text(lang, when) if when else ""
    if reason:
        cause = texts.t(lang, "state_refused", number=number, time=when_text, reason=reason)
    else:
        cause = texts.t(lang, "state_refused_no_reason", number=number)
    if shipment.status == "returned":
        back = texts.t(lang, "state_returned", time=parcels.delivered_time(lang, shipment), origin=shipment.origin)
    else:
        back = texts.t(lang, "state_returning", origin=shipment.origin, scan=parcels.scan_phrase(lang, shipment))
    return texts.paragraph(lang, [cause, back, texts.t(lang, "state_refused_options")])


def _created_at(shipment: Shipment) -> datetime | None:
    first = shipment.events[0] if shipment.events else None
    return first.time if first is not None else shipment.created_at


def _elapsed(lang: str, waited: timedelta) -> str:
    """ "42 小时" / "3 天" (whole hours under two days, else whole days)."""
    hours = int(waited.total_seconds() // 3600)
    if hours < 48:
        return f"{hours} hour{'' if hours == 1 else 's'}" if lang == "en" else f"{hours} 小时"
    days = hours // 24
    return f"{days} days" if lang == "en" else f"{days} 天"


def _pickup_answer(lang: str, shipment: Shipment) -> str:
    created = _created_at(shipment)
    parts = [
        texts.t(
            lang,
            "state_not_collected",
            number=shipment.tracking_number,
            time=texts.moment_text(lang, created) if created else "—",
        )
    ]
    waited = clock.utcnow() - created if created is not None else None
    if waited is not None and waited > policy.PICKUP_USUAL_WITHIN:
        parts.append(texts.t(lang, "state_not_collected_late", waited=_elapsed(lang, waited)))
    else:
        parts.append(policy.pickup_wait(lang))
    return texts.paragraph(lang, parts)


def _cancelled_answer(lang: str, shipment: Shipment) -> str:
    event = parcels.latest_scan(shipment)
    return texts.t(
        lang,
        "state_cancelled",
        number=shipment.tracking_number,
        time=texts.moment_text(lang, event.time) if event is not None else "—",
    )


def state_answer(lang: str, shipment: Shipment) -> str | None:
    """The answer the parcel's state gives to any generic question (None: the state says nothing special)."""
    if is_going_back(shipment):
        return _return_answer(lang, shipment)
    if is_not_collected(shipment):
        return _pickup_answer(lang, shipment)
    if shipment.status == "cancelled":
        return _cancelled_answer(lang, shipment)
    return None


def answer_from_state(
    lang: str, topic_name: str, shipments: dict[str, Shipment | None]
) -> tuple[list[str], dict[str, Shipment | None]]:
    """(the state answers, the shipments left for the topic's own answer)."""
    if topic_name not in STATE_TOPICS:
        return [], shipments
    said: list[str] = []
    left: dict[str, Shipment | None] = {}
    for key, shipment in shipments.items():
        answer = state_answer(lang, shipment) if shipment is not None else None
        if answer is None:
            left[key] = shipment
        else:
            said.append(answer)
    return said, left
