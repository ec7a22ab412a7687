"""Handing a conversation over to a human agent.

The handoff is one bot message: a polite line for the customer plus a custom
payload the gateway routes to the agent console (docs/gateway-contract.md):

    {"handoff": bot.contract.HandoffPayload.to_dict()}

and the slot `handed_off` is set so the conversation is never handed off twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions import catalogue, conversation, db, guard, parcels, texts
from actions.base import Context, ParcelAction, Shipments
from actions.db import StoreError
from actions.topics import TOPICS, topic_of_action
from bot import signals
from bot.config import Settings, load_settings
from bot.contract import (
    EXCEPTION_CATEGORY,
    CustomerTier,
    HandoffCategory,
    HandoffPayload,
    HandoffReason,
    Language,
    Priority,
)
from bot.contract import label as case_label
from bot.pii import mask_text
from bot.store.models import Shipment
from bot.store.tracking_numbers import find_tracking_numbers

logger = logging.getLogger(__name__)

# The bot offered a person (an upset customer, urgent goods on time): "yes" hands over
# (actions/feelings.py registers the answers).
PERSON_OFFER = "person_offer"

# The topic the customer is on says the category, except for general questions
# (tracking, ETA) where the parcel's exception says more.

# Threats to go to the regulator (12305 is the postal complaints line), the
# consumer association, the media or court make a complaint urgent.
ESCALATION_CUES = (
    "12305",
    "12315",
    "消协",
    "消费者协会",
    "315",
    "媒体",
    "记者",
    "电视台",
    "律师",
    "起诉",
    "法院",
    "曝光",
    "邮政局",
    "邮政管理局",
    "市场监管",
    "工商",
    "lawyer",
    "sue",
    "court",
    "media",
    "journalist",
    "newspaper",
    "regulator",
    "consumer association",
)
MEDICAL_CUES = (
    "药",
    "胰岛素",
    "救命",
    "医疗",
    "疫苗",
    "急救",
    "处方",
    "透析",
    "medicine",
    "medication",
    "insulin",
    "vaccine",
    "medical",
    "prescription",
    "life-saving",
    "lifesaving",
    "drug",
)


def _without_numbers(text: str) -> str:
    """`text` without tracking numbers and long digit runs such as phone numbers
    ("315" inside a number is no threat; the 5-digit hotline 12305 stays)."""
    for found in find_tracking_numbers(text):
        text = text.replace(found.text, " ")
    return re.sub(r"\d{7,}", " ", text)


def _has_cue(text: str, cues: Iterable[str]) -> bool:
    lowered = _without_numbers(text or "").lower()
    for cue in cues:
        if cue.isascii() and cue.isalpha():
            if re.search(rf"\b{re.escape(cue)}(?:s|es)?\b", lowered):
                return True
        elif re.search(rf"(?<!\d){re.escape(cue)}(?!\d)", lowered):
            return True
    return False


def threatens_escalation(text: str) -> bool:
    return _has_cue(text, ESCALATION_CUES)


def mentions_medical(tracker: Tracker) -> bool:
    """Whether the customer's recent messages mention urgently needed medical goods."""
    return any(_has_cue(text, MEDICAL_CUES) for text in conversation.recent_user_texts(tracker, 4)) or (
        conversation.urgent_need(tracker) == signals.MEDICAL
    )


def category_for(tracker: Tracker, shipments: list[Shipment], reason: HandoffReason) -> HandoffCategory:
    if reason == HandoffReason.COMPLAINT:
        return HandoffCategory.COMPLAINT
    on = [
        TOPICS[name]
        for name in (tracker.get_slot("pending_topic"), tracker.get_slot("current_topic"))
        if name in TOPICS
    ]
    for declared in on:
        if declared.category is not None and not declared.category_is_weak:
            return declared.category
    for shipment in shipments:
        if shipment.exception is not None and shipment.exception.type in EXCEPTION_CATEGORY:
            return EXCEPTION_CATEGORY[shipment.exception.type]
        if shipment.status == "delivery_failed":
            return HandoffCategory.ADDRESS
        if parcels.is_late(shipment):
            return HandoffCategory.DELAY
    for declared in on:
        if declared.category is not None:
            return declared.category
    return HandoffCategory.CONSULTATION


def _has_issue(shipment: Shipment) -> bool:
    return (shipment.exception is not None and not parcels.is_delivered(shipment)) or parcels.is_late(shipment)


def priority_for(
    reason: HandoffReason,
    tracker: Tracker,
    shipments: list[Shipment],
    category: HandoffCategory,
    minimum: Priority | None = None,
) -> Priority:
    levels: list[Priority | None] = [minimum]
    if reason in (HandoffReason.COMPLAINT, HandoffReason.CUSTOMER_UPSET):
        threat = (
            threatens_escalation(conversation.latest_text(tracker)) or conversation.latest_signals(tracker).threatens
        )
        levels.append(Priority.URGENT if threat else Priority.HIGH)
    if reason in (HandoffReason.URGENT_MEDICAL, HandoffReason.URGENT_GOODS):
        levels.append(Priority.URGENT)
    if reason in (HandoffReason.HIGH_VALUE_CLAIM, HandoffReason.VIP):
        levels.append(Priority.HIGH)
    if category in (HandoffCategory.DELAY, HandoffCategory.LOSS) and conversation.urgent_need(tracker):
        levels.append(Priority.URGENT)
    if any(parcels.has_priority_tier(s) and _has_issue(s) for s in shipments):
        levels.append(Priority.HIGH)
    return Priority.most_urgent(levels)


def customer_tier(shipments: list[Shipment]) -> CustomerTier:
    tiers = [CustomerTier.get(s.customer_tier, CustomerTier.REGULAR) for s in shipments]
    if not tiers:
        return CustomerTier.UNKNOWN
    return max(tiers, key=lambda tier: tier.rank)


def _parcel_summary(lang: str, shipment: Shipment) -> str:
    t = texts.t
    details = [t(lang, "sum_status", status=texts.status_label(lang, shipment.status))]
    if shipment.exception is not None:
        reason = parcels.exception_reason(shipment) or "—"
        details.append(
            t(lang, "sum_exception", type=texts.exception_label(lang, shipment.exception.type), reason=reason)
        )
    if parcels.is_delivered(shipment):
        details.append(
            t(
                lang,
                "sum_delivered",
                time=parcels.delivered_time(lang, shipment),
                category=parcels.signed_category(lang, shipment),
            )
        )
    else:
        eta = parcels.expected_delivery(shipment)
        if eta is not None:
            details.append(t(lang, "sum_eta", eta=texts.deadline_text(lang, eta)))
        if shipment.promised_by is not None:
            details.append(t(lang, "sum_promised", promised=texts.deadline_text(lang, shipment.promised_by)))
    if shipment.declared_value:
        details.append(t(lang, "sum_value", value=texts.money_text(shipment.declared_value, shipment.currency)))
    return t(
        lang,
        "sum_parcel",
        number=shipment.tracking_number,
        carrier=parcels.carrier_name(shipment),
        details=texts.sep(lang).join(details),
    )


def _requests_summary(lang: str, conversation_id: str) -> str | None:
    try:
        cases = list(reversed(db.cases_for_conversation(conversation_id)))
    except StoreError:
        return None
    if not cases:
        return None
    refs = [
        f"{c.reference} ({case_label('case_types', c.type, lang)}, {case_label('case_statuses', c.status, lang)})"
        if lang == "en"
        else f"{c.reference}（{case_label('case_types', c.type, lang)}，{case_label('case_statuses', c.status, lang)}）"
        for c in cases
    ]
    return texts.t(lang, "sum_requests", refs=texts.join_list(lang, refs))


def _step(lang: str, action: str) -> str | None:
    """What an earlier bot action did, for the summary (None: nothing worth saying)."""
    declared = topic_of_action(action)
    if declared is not None:
        return declared.done_text(lang)
    if action in catalogue.ACTION_STEP_LABELS:
        return texts.label(catalogue.ACTION_STEP_LABELS, lang, action)
    return None


def build_summary(
    lang: str,
    tracker: Tracker,
    reason: HandoffReason,
    numbers: list[str],
    shipments: Shipments,
    tier: CustomerTier,
    done: list[str],
) -> str:
    """One paragraph of facts for the agent: what the customer said, the parcels,
    what the bot already did, why it is handed over."""
    quote = (lambda s: f'"{s}"') if lang == "en" else (lambda s: f"“{s}”")
    messages = [quote(mask_text(text.strip())[:200]) for text in conversation.recent_user_texts(tracker)]
    parts = [texts.t(lang, "sum_customer", messages=" / ".join(messages))] if messages else []
    if not numbers:
        parts.append(texts.t(lang, "sum_no_parcel"))
    for key in numbers:
        if key not in shipments:  # the store could not be asked
            parts.append(texts.t(lang, "sum_unavailable", number=key))
        elif (shipment := shipments[key]) is None:
            parts.append(texts.t(lang, "sum_not_found", number=key))
        else:
            parts.append(_parcel_summary(lang, shipment))
    steps = [step for step in (_step(lang, name) for name in conversation.bot_actions_run(tracker)) if step]
    steps += [step for step in done if step not in steps]
    if steps:
        parts.append(texts.t(lang, "sum_done", steps=texts.join_list(lang, steps)))
    requests = _requests_summary(lang, str(tracker.sender_id))
    if requests:
        parts.append(requests)
    parts.append(texts.t(lang, "sum_reason", reason=reason.label(lang)))
    parts.append(texts.t(lang, "sum_tier", tier=tier.label(lang)))
    return (" " if lang == "en" else "").join(parts)


def build_handoff(
    tracker: Tracker,
    lang: str,
    reason: HandoffReason | str,
    *,
    shipments: Shipments | None = None,
    numbers: list[str] | None = None,
    category: HandoffCategory | None = None,
    priority: Priority | None = None,
    done: list[str] | None = None,
    settings: Settings | None = None,
    verified: bool = False,
) -> HandoffPayload:
    """The handoff payload (the value of the "handoff" key) from the facts.

    `numbers` are the parcels talked about (default: the keys of `shipments`); a
    number missing from `shipments` could not be looked up. `verified` tells the
    console whether the customer proved the recipient's phone (it then shows
    personal data unmasked)."""
    settings = settings or load_settings()
    reason = HandoffReason(reason)  # ValueError for a reason the contract does not know
    shipments = shipments or {}
    numbers = list(numbers) if numbers is not None else list(shipments)
    found = parcels.found(shipments)
    category = category or category_for(tracker, found, reason)
    tier = customer_tier(found)
    return HandoffPayload(
        reason=reason,
        category=category,
        priority=priority_for(reason, tracker, found, category, minimum=priority),
        tracking_numbers=numbers,
        summary=build_summary(lang, tracker, reason, numbers, shipments, tier, done or []),
        language=Language(texts.norm_lang(lang)),
        customer_tier=tier,
        sla_minutes=settings.sla_minutes(category),
        verified=verified,
    )


def hand_off(
    ctx: Context,
    reason: HandoffReason,
    *,
    shipments: Shipments | None = None,
    numbers: list[str] | None = None,
    category: HandoffCategory | None = None,
    priority: Priority | None = None,
    done: list[str] | None = None,
    lead: str | None = None,
) -> list[EventType]:
    """Tell the customer a colleague takes over and emit the handoff payload, once
    per conversation (afterwards only reassure). `lead`: the text key of the first
    sentence, when it is not the reason's own."""
    if ctx.slot("handed_off"):
        ctx.say(ctx.t("handoff_already"))
        return []
    payload = build_handoff(
        ctx.tracker,
        ctx.lang,
        reason,
        shipments=shipments,
        numbers=numbers,
        category=category,
        priority=priority,
        done=done,
        settings=ctx.settings,
        verified=guard.holds_any(ctx.tracker, ctx.settings),
    )
    joiner = " " if ctx.lang == "en" else ""
    text = joiner.join([ctx.t(lead or f"handoff_lead_{reason}"), ctx.t("handoff_tail")])
    ctx.say(text, json_message={"handoff": payload.to_dict()})
    logger.info(
        "handoff %s: reason=%s category=%s priority=%s",
        ctx.conversation_id,
        payload.reason,
        payload.category,
        payload.priority,
    )
    return [SlotSet("handed_off", True)]


def lookup_quietly(ctx: Context, numbers: list[str]) -> Shipments:
    """Shipments for a handoff: a store failure must not stop the handoff (the
    numbers are then simply missing from the result)."""
    if not numbers:
        return {}
    try:
        return ctx.lookup(numbers)
    except StoreError:
        logger.warning("handoff without shipment facts: the store is unavailable")
        return {}


def escalate_if_needed(
    ctx: Context,
    shipments: Shipments,
    *,
    exception_topic: bool,
    high_value: bool = False,
    category: HandoffCategory | None = None,
    done: list[str] | None = None,
) -> list[EventType]:
    """After an answer, the cases a colleague must take over, strongest first:
    urgent medical goods still on the way; other urgently needed goods (perishables,
    documents for a deadline) held up or asked about as a delay: the green channel (on
    time, it is offered); a claim above the value threshold.
    (A VIP/enterprise customer is not handed off for an answered question: the tier
    raises the priority when a handoff does happen.)"""
    pending = [s for s in shipments.values() if s is not None and not parcels.is_delivered(s)]
    need = conversation.urgent_need(ctx.tracker) if pending else None
    if need == signals.MEDICAL or (pending and mentions_medical(ctx.tracker)):
        return hand_off(
            ctx,
            HandoffReason.URGENT_MEDICAL,
            shipments=shipments,
            category=category,
            priority=Priority.URGENT,
            done=done,
        )
    if need is not None:
        if exception_topic or any(_has_issue(s) for s in pending):
            return hand_off(
                ctx,
                HandoffReason.URGENT_GOODS,
                shipments=shipments,
                category=category,
                priority=Priority.URGENT,
                done=done,
            )
        if not ctx.slot("handed_off"):
            ctx.say(ctx.t("green_channel_offer"))
            return [SlotSet("awaiting", PERSON_OFFER)]
    if high_value:
        return hand_off(
            ctx,
            HandoffReason.HIGH_VALUE_CLAIM,
            shipments=shipments,
            category=category,
            priority=Priority.HIGH,
            done=done,
        )
    return []


def is_high_value(ctx: Context, shipment: Shipment) -> bool:
    return (shipment.declared_value or 0) > ctx.settings.claim_handoff_value


class ActionHandoff(ParcelAction):
    """The customer asks for a person, or complains."""

    answers_references = False  # "CS20261130-0042 转人工" asks for a person
    reads_feelings = False  # the complaint lead apologises itself

    def name(self) -> str:
        return "action_handoff"

    def handle(self, ctx: Context) -> list[EventType]:
        from actions.cases import request_callback, wants_callback  # (cases imports this module)

        if wants_callback(conversation.latest_text(ctx.tracker)) and not ctx.slot("handed_off"):
            return request_callback(ctx)  # a person, by phone: a callback case
        if ctx.slot("handed_off"):
            ctx.say(ctx.t("handoff_already"))
            return []
        complains = conversation.latest_intent(ctx.tracker) == "complain"
        reason = HandoffReason.COMPLAINT if complains else HandoffReason.CUSTOMER_REQUEST
        numbers = conversation.current_numbers(ctx.tracker)
        priority = Priority.URGENT if conversation.urgent_need(ctx.tracker) or mentions_medical(ctx.tracker) else None
        return hand_off(ctx, reason, shipments=lookup_quietly(ctx, numbers), numbers=numbers, priority=priority)
