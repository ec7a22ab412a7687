"""Phone verification: the last 4 digits of the recipient's phone unlock the
recipient's personal data (pickup code, delivery place) and address changes.

Guessing is limited by bot.security (the shared database): each check counts as a
failure for every parcel it is about and for the client (whatever the conversation or
channel) before it runs; after VERIFY_MAX_FAILURES_PER_PARCEL / _PER_CLIENT failures
only a human can verify. A passed check is a grant for this conversation that expires
after VERIFY_IDLE_MINUTES without use and does not outlive the Rasa session."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from rasa_sdk.events import EventType, SlotSet
from sqlalchemy.exc import SQLAlchemyError

from actions import conversation, guard, not_found, parcels
from actions.base import AWAITED_INPUT, Context, ParcelAction, Shipments, say_not_found
from actions.conversation import log_masked
from actions.db import StoreError
from actions.handoff import hand_off
from actions.topics import ask_for_number
from bot.contract import HandoffReason
from bot.security import CLIENT, PARCEL, Subject
from bot.store.models import Shipment

logger = logging.getLogger(__name__)

PURPOSE_PICKUP_CODE = "pickup_code"
PURPOSE_ADDRESS_CHANGE = "address_change"
NEW_ADDRESS = "new_address"
# What other modules continue with once the recipient is verified for their purpose.
AFTER_VERIFICATION: dict[str, Callable[[Context], list[EventType]]] = {}


def pickup_details(ctx: Context, shipment: Shipment) -> str:
    delivery = shipment.delivery
    location = (delivery.location if delivery else None) or "—"
    time = parcels.delivered_time(ctx.lang, shipment)
    if delivery is not None and delivery.pickup_code:
        return ctx.t("pickup_details", code=delivery.pickup_code, location=location, time=time)
    return ctx.t(
        "pickup_no_code",
        number=shipment.tracking_number,
        location=location,
        time=time,
        category=parcels.signed_category(ctx.lang, shipment),
    )


def ask_verification(ctx: Context, purpose: str) -> list[EventType]:
    ctx.say(ctx.t("verify_ask_address"))
    return [SlotSet("verification_purpose", purpose)]


def ask_new_address(ctx: Context) -> list[EventType]:
    ctx.say(ctx.t("address_ask_new"))
    return [SlotSet("awaiting", NEW_ADDRESS), SlotSet("verification_purpose", None)]


def _last4(phone: str | None) -> str | None:
    digits = re.sub(r"\D", "", phone or "")
    return digits[-4:] if len(digits) >= 4 else None


class ActionVerifyPhone(ParcelAction):
    """Checks the last 4 digits of the recipient's phone, then does what the
    verification was for. The right digits are never revealed."""

    def name(self) -> str:
        return "action_verify_phone"

    def handle(self, ctx: Context) -> list[EventType]:
        waiting_for = AWAITED_INPUT.get(str(ctx.slot("awaiting") or ""))
        if waiting_for is not None:  # digits, but the bot asked for something else (a phone number)
            return waiting_for.handle(ctx)
        purpose = ctx.slot("verification_purpose")
        numbers = conversation.current_numbers(ctx.tracker)
        if not numbers:
            if purpose:
                return ask_for_number(
                    ctx,
                    conversation.CHANGE_ADDRESS
                    if purpose == PURPOSE_ADDRESS_CHANGE
                    else conversation.SIGNED_NOT_RECEIVED,
                )
            attempt = not_found.attempted_number(conversation.latest_text(ctx.tracker))
            ctx.say(not_found.attempt_text(ctx.lang, attempt) if attempt else ctx.t("verify_not_needed"))
            return []
        shipments = ctx.lookup(numbers)
        candidates = parcels.found(shipments)
        if not candidates:
            for key in shipments:
                say_not_found(ctx, key)
            return []
        digits = conversation.phone_digits_in_message(ctx.tracker)
        if digits is None:
            ctx.say(ctx.t("verify_no_digits"))
            return []
        checkable = [s for s in candidates if _last4(s.recipient_phone)]
        if not checkable:
            ctx.say(ctx.t("verify_unavailable", number=candidates[0].tracking_number))
            return []
        client = Subject(CLIENT, guard.client_key(ctx.tracker))
        subjects = {s.tracking_key: Subject(PARCEL, s.tracking_key) for s in checkable}
        try:
            lockout = guard.lockout(ctx.settings)
            ticket = lockout.begin([*subjects.values(), client])  # counted as failed until proven
        except SQLAlchemyError as exc:
            raise StoreError(f"verification store error: {type(exc).__name__}") from exc
        if ticket.locked:
            return self._locked(ctx, shipments)
        matched = [s for s in checkable if _last4(s.recipient_phone) == digits]
        if not matched:
            return self._failed(ctx, shipments)
        proven = [subjects[s.tracking_key] for s in matched]
        try:
            lockout.succeeded(ticket, proven + ([client] if len(matched) == len(checkable) else []))
            guard.grants(ctx.settings).grant(ctx.conversation_id, proven)
        except SQLAlchemyError as exc:
            raise StoreError(f"verification store error: {type(exc).__name__}") from exc
        log_masked(logger, "recipient verified for %s", ", ".join(s.tracking_number for s in matched))
        events: list[EventType] = [SlotSet("verification_attempts", 0), SlotSet("verification_purpose", None)]
        if purpose == PURPOSE_PICKUP_CODE:
            ctx.say("\n".join([ctx.t("verify_ok")] + [pickup_details(ctx, s) for s in matched]))
            return events
        if purpose == PURPOSE_ADDRESS_CHANGE:
            ctx.say(ctx.t("verify_ok"))
            return events + ask_new_address(ctx)
        if purpose in AFTER_VERIFICATION:  # e.g. a callback (actions/cases.py)
            ctx.say(ctx.t("verify_ok"))
            return events + AFTER_VERIFICATION[purpose](ctx)
        ctx.say(ctx.t("verify_ok_nothing"))
        return events

    def _locked(self, ctx: Context, shipments: Shipments) -> list[EventType]:
        """Too many failures on this parcel or from this client (in any conversation):
        the digits are not even compared; a human verifies."""
        log_masked(logger, "recipient verification refused: locked after repeated failures")
        events: list[EventType] = [SlotSet("verification_purpose", None), SlotSet("awaiting", None)]
        return events + hand_off(ctx, HandoffReason.VERIFICATION_FAILED, shipments=shipments, lead="verify_locked")

    def _failed(self, ctx: Context, shipments: Shipments) -> list[EventType]:
        attempts = int(ctx.slot("verification_attempts") or 0) + 1
        limit = max(1, ctx.settings.max_verification_attempts)
        log_masked(logger, "recipient verification failed (%d/%d)", attempts, limit)
        if attempts >= limit:
            events: list[EventType] = [
                SlotSet("verification_attempts", attempts),
                SlotSet("verification_purpose", None),
                SlotSet("awaiting", None),
            ]
            return events + hand_off(ctx, HandoffReason.VERIFICATION_FAILED, shipments=shipments)
        ctx.say(ctx.t("verify_failed_retry", left=limit - attempts))
        return [SlotSet("verification_attempts", attempts)]
