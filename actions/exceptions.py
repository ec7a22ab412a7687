"""Parcel claims: signed for but not received, damaged, lost."""

from __future__ import annotations

import logging

from rasa_sdk.events import EventType, SlotSet

from actions import conversation, db, guard, parcels, texts
from actions.base import Context, Shipments, awaiting_answer, say_not_found
from actions.handoff import escalate_if_needed, is_high_value
from actions.topics import ask_for_number, topic
from actions.verification import PURPOSE_PICKUP_CODE, pickup_details
from bot import clock, policy
from bot.cases import wording
from bot.cases.models import Case
from bot.cases.vocabulary import EVIDENCE_TYPES
from bot.contract import CaseType, HandoffCategory, label
from bot.pii import mask_text
from bot.store.models import Shipment

logger = logging.getLogger(__name__)

NON_RECEIPT_CONFIRM = "non_receipt_confirm"
LOSS_CLAIM_AFTER_DAYS = policy.LOSS_CLAIM_AFTER_DAYS


def open_case(
    ctx: Context,
    case_type: CaseType,
    shipment: Shipment,
    summary: str,
    details: dict | None = None,
    priority: str = "normal",
) -> tuple[Case, bool]:
    """Open (or find the open) case of this type on the parcel and announce it to the gateway."""
    case, created = db.open_case(
        case_type.value,
        [shipment],
        ctx.conversation_id,
        language=ctx.lang,
        summary=summary,
        details=details,
        priority=priority,
    )
    ctx.announce_case(case, created, upload=case_type in EVIDENCE_TYPES)
    return case, created


def case_exists(ctx: Context, shipment: Shipment, case: Case) -> str:
    """The reply when the customer asks again for a case that is already open (its
    reference and progress only for whom may see them: actions/guard.may_see_case)."""
    if not guard.may_see_case(ctx.tracker, ctx.settings, case):
        return ctx.t(
            "request_exists_elsewhere",
            number=shipment.tracking_number,
            kind=label("case_types", case.type, ctx.lang),
        )
    return ctx.t(
        "request_exists",
        number=shipment.tracking_number,
        reference=case.reference,
        kind=label("case_types", case.type, ctx.lang),
        status=wording.status_answer(case, ctx.lang, clock.utcnow(), with_parcels=False),
    )


def _summary(ctx: Context, what: str) -> str:
    said = mask_text(conversation.latest_text(ctx.tracker))[:300]
    return f"{what}: {said}" if said else what


def _shown_location(ctx: Context, shipment: Shipment) -> str:
    """The delivery place: full once verified, otherwise with any address masked."""
    location = shipment.delivery.location if shipment.delivery else None
    if not location:
        return ""
    return location if guard.is_verified(ctx.tracker, ctx.settings, shipment.tracking_key) else mask_text(location)


# --------------------------------------------------------------------------- signed, not received


@topic(
    conversation.SIGNED_NOT_RECEIVED,
    action="action_signed_not_received",
    purpose=("核实签收情况", "check the delivery record"),
    done=("核实签收记录并给出寻找建议", "checked the delivery record and suggested where to look"),
    category=HandoffCategory.LOSS,
)
def signed_not_received(ctx: Context, shipments: Shipments) -> list[EventType]:
    events: list[EventType] = []
    delivered_any = False
    for key, shipment in shipments.items():
        if shipment is None:
            say_not_found(ctx, key)
            continue
        if not parcels.is_delivered(shipment):
            ctx.say(
                ctx.t(
                    "snr_not_delivered",
                    number=shipment.tracking_number,
                    status=texts.status_label(ctx.lang, shipment.status),
                    scan=parcels.scan_phrase(ctx.lang, shipment),
                )
            )
            continue
        delivered_any = True
        category = parcels.signed_category(ctx.lang, shipment)
        location = _shown_location(ctx, shipment)
        place = ctx.t("snr_place", location=location) if location else ""
        lines = [
            ctx.t(
                "snr_delivered",
                number=shipment.tracking_number,
                time=parcels.delivered_time(ctx.lang, shipment),
                category=category,
                place=place,
            )
        ]
        if shipment.delivery is not None and shipment.delivery.pickup_code:
            if guard.is_verified(ctx.tracker, ctx.settings, key):
                lines.append(pickup_details(ctx, shipment))
            else:
                lines.append(ctx.t("snr_code_verify", category=category))
                events.append(SlotSet("verification_purpose", PURPOSE_PICKUP_CODE))
        ctx.say("\n".join(lines))
    if delivered_any:
        ctx.say("\n\n".join([ctx.t("snr_checklist"), ctx.t("snr_offer_claim")]))
        events.append(SlotSet("awaiting", NON_RECEIPT_CONFIRM))
    return events


def _non_receipt_yes(ctx: Context) -> list[EventType]:
    shipments = ctx.lookup(conversation.current_numbers(ctx.tracker))
    delivered = [s for s in parcels.found(shipments) if parcels.is_delivered(s)]
    if not delivered:
        return [SlotSet("awaiting", None), *ask_for_number(ctx, conversation.SIGNED_NOT_RECEIVED)]
    for shipment in delivered:
        case, created = open_case(
            ctx,
            CaseType.NOT_RECEIVED,
            shipment,
            _summary(ctx, "signed for but not received"),
            {
                "signed_by_category": texts.signed_by_category(
                    shipment.delivery.signed_by if shipment.delivery else None
                )
            },
        )
        if created:
            ctx.say(
                ctx.t(
                    "snr_claim_created",
                    number=shipment.tracking_number,
                    reference=case.reference,
                    next=wording.next_step(case, ctx.lang, clock.utcnow()),
                    policy=policy.non_receipt_investigation(ctx.lang, ctx.settings),
                )
            )
        else:
            ctx.say(case_exists(ctx, shipment, case))
    events: list[EventType] = [SlotSet("awaiting", None)]
    high_value = any(is_high_value(ctx, s) for s in delivered)
    return events + escalate_if_needed(
        ctx, shipments, exception_topic=False, high_value=high_value, category=HandoffCategory.LOSS
    )


def _non_receipt_no(ctx: Context) -> list[EventType]:
    ctx.say(ctx.t("deny_non_receipt"))
    return [SlotSet("awaiting", None)]


awaiting_answer(NON_RECEIPT_CONFIRM, _non_receipt_yes, _non_receipt_no)


# --------------------------------------------------------------------------- damaged


@topic(
    conversation.DAMAGED,
    action="action_damaged_goods",
    purpose=("登记破损理赔", "register the damage claim"),
    done=("说明破损理赔所需材料", "listed the evidence for a damage claim"),
    category=HandoffCategory.DAMAGE,
    needs_number=False,
)
def damaged(ctx: Context, shipments: Shipments) -> list[EventType]:
    resuming = ctx.slot("pending_topic") == conversation.DAMAGED
    if not resuming:  # the checklist was already given before the number was asked for
        ctx.say("\n".join([ctx.t("damage_ack"), policy.damage_checklist(ctx.lang)]))
    if not shipments:
        return ask_for_number(ctx, conversation.DAMAGED)
    high_value = False
    for key, shipment in shipments.items():
        if shipment is None:
            say_not_found(ctx, key)
            continue
        parts = []
        exc = shipment.exception
        if exc is not None and exc.type == "damaged" and exc.reason:
            parts.append(ctx.t("damage_on_record", reason=parcels.exception_reason(shipment)))
        case, created = open_case(
            ctx,
            CaseType.DAMAGE_CLAIM,
            shipment,
            _summary(ctx, "damaged parcel"),
            {"declared_value": shipment.declared_value, "currency": shipment.currency},
        )
        if created:
            parts.append(
                ctx.t(
                    "damage_claim_created",
                    number=shipment.tracking_number,
                    reference=case.reference,
                    next=wording.next_step(case, ctx.lang, clock.utcnow()),
                )
            )
        else:
            parts.append(case_exists(ctx, shipment, case))
        ctx.say(texts.paragraph(ctx.lang, parts))
        high_value = high_value or is_high_value(ctx, shipment)
    return escalate_if_needed(
        ctx, shipments, exception_topic=True, high_value=high_value, category=HandoffCategory.DAMAGE
    )


# --------------------------------------------------------------------------- lost


def _compensation(ctx: Context, shipment: Shipment) -> str:
    parts = []
    if shipment.declared_value:
        parts.append(ctx.t("compensation_insured", value=texts.money_text(shipment.declared_value, shipment.currency)))
    parts.append(policy.compensation_rules(ctx.lang))
    return texts.paragraph(ctx.lang, parts)


@topic(
    conversation.LOST,
    action="action_lost_parcel",
    purpose=("核查包裹下落", "look into where it is"),
    done=("核查包裹下落", "looked into the missing parcel"),
    category=HandoffCategory.LOSS,
)
def lost(ctx: Context, shipments: Shipments) -> list[EventType]:
    events: list[EventType] = []
    high_value = False
    for key, shipment in shipments.items():
        if shipment is None:
            say_not_found(ctx, key)
            continue
        if parcels.is_delivered(shipment):  # "lost" but signed for: the non-receipt path
            events += signed_not_received(ctx, {key: shipment})
            continue
        exc = shipment.exception
        if exc is not None and exc.type == "lost":
            reason = parcels.exception_reason(shipment)
            reported = (
                texts.day_text(ctx.lang, exc.reported_at)
                if exc.reported_at
                else ("recently" if ctx.lang == "en" else "近日")
            )
            reason_part = (f" ({reason})" if ctx.lang == "en" else f"（{reason}）") if reason else ""
            # The investigation is on record: a case makes sure a person owns it and the customer can follow it.
            case, _ = open_case(
                ctx,
                CaseType.LOSS_CLAIM,
                shipment,
                _summary(ctx, "loss under investigation"),
                {"exception_reported_at": exc.reported_at.isoformat() if exc.reported_at else None},
            )
            ctx.say(
                "\n".join(
                    [
                        ctx.t(
                            "lost_investigating",
                            number=shipment.tracking_number,
                            reported=reported,
                            reason=reason_part,
                            reference=case.reference,
                            next=wording.next_step(case, ctx.lang, clock.utcnow()),
                        ),
                        _compensation(ctx, shipment),
                    ]
                )
            )
            high_value = high_value or is_high_value(ctx, shipment)
            continue
        silent_days = parcels.days_without_scan(shipment)
        event = parcels.latest_scan(shipment)
        if event is not None and silent_days is not None and silent_days >= LOSS_CLAIM_AFTER_DAYS:
            case, created = open_case(
                ctx,
                CaseType.LOSS_CLAIM,
                shipment,
                _summary(ctx, "no scan for days"),
                {"days_without_scan": silent_days, "last_scan_location": event.location},
            )
            opened = ctx.t(
                "lost_opened",
                number=shipment.tracking_number,
                time=texts.moment_text(ctx.lang, event.time),
                location=event.location or "—",
                days=silent_days,
                reference=case.reference,
                investigation=policy.loss_investigation(ctx.lang, ctx.settings),
                next=wording.next_step(case, ctx.lang, clock.utcnow()),
            )
            if not created:
                opened = case_exists(ctx, shipment, case)
            ctx.say("\n".join([opened, _compensation(ctx, shipment)]))
            high_value = high_value or is_high_value(ctx, shipment)
            continue
        expected = parcels.upcoming_delivery(shipment)
        eta = ctx.t("lost_recent_eta", eta=texts.deadline_text(ctx.lang, expected)) if expected else ""
        if event is None:
            ctx.say(parcels.tracking_block(ctx.lang, shipment))
            continue
        ctx.say(
            ctx.t(
                "lost_recent",
                number=shipment.tracking_number,
                time=texts.moment_text(ctx.lang, event.time),
                location=event.location or "—",
                description=mask_text(event.description),
                eta=eta,
            )
        )
    return events + escalate_if_needed(
        ctx, shipments, exception_topic=True, high_value=high_value, category=HandoffCategory.LOSS
    )
