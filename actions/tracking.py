"""Where is my parcel, when does it arrive, why is it late; receiving a tracking
number; detecting the conversation language."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import conversation, not_found, parcels, texts
from actions.base import Context, ParcelAction, Shipments, awaiting_answer, say_not_found
from actions.handoff import escalate_if_needed, hand_off
from actions.topics import TOPICS, answer_topic, topic
from bot.contract import HandoffCategory, HandoffReason
from bot.store.models import Shipment

logger = logging.getLogger(__name__)

ESCALATE_CONFIRM = "escalate_confirm"
# Exceptions explained with the delay template (acknowledge, cause, new time, follow-up).
DELAY_LIKE = ("delay", "held_at_station")
# Other exceptions: what they are and where to go next.
_NEXT_STEP = {
    "lost": "next_step_lost",
    "misdelivered": "next_step_lost",
    "damaged": "next_step_damaged",
    "refused": "next_step_delivery",
    "address_problem": "next_step_delivery",
    "out_of_area": "next_step_delivery",
    "customs_hold": "next_step_customs",
}


# --------------------------------------------------------------------------- track


@topic(
    conversation.TRACK,
    action="action_track_parcel",
    purpose=("查询物流", "check where it is"),
    done=("查询物流状态", "looked up the tracking status"),
)
def track(ctx: Context, shipments: Shipments) -> list[EventType]:
    found = parcels.found(shipments)
    blocks: list[str] = []
    for key, shipment in shipments.items():
        blocks.append(
            parcels.tracking_block(ctx.lang, shipment)
            if shipment is not None
            else not_found.not_found_text(ctx.lang, key)
        )
    if not found:
        for block in blocks:
            ctx.say(block)
        return []
    intro = ctx.t("track_intro_one") if len(shipments) == 1 else ctx.t("track_intro_many", count=len(shipments))
    ctx.say("\n\n".join([intro, *blocks, ctx.t("track_followup")]))
    return []


# --------------------------------------------------------------------------- eta


def _eta_answer(lang: str, shipment: Shipment) -> str:
    number = shipment.tracking_number
    status = texts.status_label(lang, shipment.status)
    if parcels.is_delivered(shipment):
        return texts.t(
            lang,
            "eta_delivered",
            number=number,
            time=parcels.delivered_time(lang, shipment),
            category=parcels.signed_category(lang, shipment),
        )
    if parcels.is_closed(shipment):
        return texts.t(lang, "eta_closed", number=number, status=status)
    exc = shipment.exception
    upcoming = parcels.upcoming_delivery(shipment)
    if exc is not None and exc.new_eta is not None and exc.reason and upcoming is not None:
        return texts.t(
            lang,
            "eta_delayed",
            number=number,
            type=texts.exception_label(lang, exc.type),
            reason=parcels.exception_reason(shipment),
            new_eta=texts.deadline_text(lang, exc.new_eta),
        )
    if upcoming is not None:
        return texts.t(lang, "eta_expected", number=number, status=status, eta=texts.deadline_text(lang, upcoming))
    expected = parcels.expected_delivery(shipment)
    if expected is not None:  # the expected time has passed
        return texts.t(
            lang,
            "eta_overdue",
            number=number,
            eta=texts.deadline_text(lang, expected),
            scan=parcels.scan_phrase(lang, shipment),
        )
    return texts.t(lang, "eta_unknown", number=number, status=status, scan=parcels.scan_phrase(lang, shipment))


@topic(
    conversation.ETA,
    action="action_ask_eta",
    purpose=("查预计送达时间", "check when it will arrive"),
    done=("告知预计送达时间", "gave the expected delivery time"),
)
def eta(ctx: Context, shipments: Shipments) -> list[EventType]:
    for key, shipment in shipments.items():
        if shipment is None:
            say_not_found(ctx, key)
        else:
            ctx.say(_eta_answer(ctx.lang, shipment))
    return escalate_if_needed(ctx, shipments, exception_topic=False)


# --------------------------------------------------------------------------- delay


def _delay_answer(ctx: Context, shipment: Shipment) -> tuple[str, bool]:
    """The delay explanation and whether the customer is offered an escalation."""
    lang, number = ctx.lang, shipment.tracking_number
    status = texts.status_label(lang, shipment.status)
    if parcels.is_delivered(shipment):
        return texts.t(
            lang,
            "delay_delivered",
            number=number,
            time=parcels.delivered_time(lang, shipment),
            category=parcels.signed_category(lang, shipment),
        ), False
    exc = shipment.exception
    if exc is not None and exc.type in DELAY_LIKE:
        reason = parcels.exception_reason(shipment)
        if reason and exc.reported_at is not None:
            cause = texts.t(lang, "delay_cause", reason=reason, reported=texts.moment_text(lang, exc.reported_at))
        elif reason:
            cause = texts.t(lang, "delay_cause_undated", reason=reason)
        else:
            cause = texts.t(lang, "delay_cause_unknown", type=texts.exception_label(lang, exc.type))
        overdue = parcels.is_overdue(shipment) and exc.new_eta is not None
        if overdue:
            solution = texts.t(lang, "delay_eta_overdue", new_eta=texts.deadline_text(lang, exc.new_eta))
            follow_up = texts.t(lang, "delay_offer_escalate")
        else:
            solution = (
                texts.t(lang, "delay_new_eta", new_eta=texts.deadline_text(lang, exc.new_eta))
                if exc.new_eta is not None
                else texts.t(lang, "delay_no_new_eta")
            )
            follow_up = texts.t(lang, "delay_follow")
        return texts.paragraph(lang, [texts.t(lang, "delay_ack", number=number), cause, solution, follow_up]), overdue
    if exc is not None:
        reason = parcels.exception_reason(shipment)
        reason_part = (f" ({reason})" if lang == "en" else f"（{reason}）") if reason else ""
        return texts.t(
            lang,
            "delay_other_issue",
            number=number,
            type=texts.exception_label(lang, exc.type),
            reason=reason_part,
            next_step=texts.t(lang, _NEXT_STEP.get(exc.type, "next_step_lost")),
        ), False
    if parcels.is_past_promise(shipment):
        assert shipment.promised_by is not None
        late = texts.t(
            lang,
            "delay_late_unrecorded",
            number=number,
            promised=texts.deadline_text(lang, shipment.promised_by),
            scan=parcels.scan_phrase(lang, shipment),
        )
        return texts.paragraph(lang, [late, texts.t(lang, "delay_offer_escalate")]), True
    if parcels.is_overdue(shipment):
        expected = parcels.expected_delivery(shipment)
        assert expected is not None
        late = texts.t(
            lang,
            "delay_overdue_unrecorded",
            number=number,
            eta=texts.deadline_text(lang, expected),
            scan=parcels.scan_phrase(lang, shipment),
        )
        return texts.paragraph(lang, [late, texts.t(lang, "delay_offer_escalate")]), True
    expected = parcels.upcoming_delivery(shipment)
    if expected is not None:
        return texts.t(
            lang, "delay_on_time", number=number, status=status, eta=texts.deadline_text(lang, expected)
        ), False
    return texts.t(
        lang, "delay_on_time_no_eta", number=number, status=status, scan=parcels.scan_phrase(lang, shipment)
    ), False


@topic(
    conversation.DELAY,
    action="action_explain_delay",
    purpose=("查看延误原因", "find out what is holding it up"),
    done=("解释延误情况", "explained the delay"),
    category=HandoffCategory.DELAY,
)
def delay(ctx: Context, shipments: Shipments) -> list[EventType]:
    events: list[EventType] = []
    offer_escalation = False
    for key, shipment in shipments.items():
        if shipment is None:
            say_not_found(ctx, key)
            continue
        answer, offered = _delay_answer(ctx, shipment)
        offer_escalation = offer_escalation or offered
        ctx.say(answer)
    handoff_events = escalate_if_needed(ctx, shipments, exception_topic=True)
    if handoff_events or ctx.slot("handed_off"):
        return handoff_events
    if offer_escalation:
        events.append(SlotSet("awaiting", ESCALATE_CONFIRM))
    return events


def _escalate_yes(ctx: Context) -> list[EventType]:
    shipments = ctx.lookup(conversation.current_numbers(ctx.tracker))
    return [
        SlotSet("awaiting", None),
        *hand_off(ctx, HandoffReason.CUSTOMER_REQUEST, shipments=shipments, category=HandoffCategory.DELAY),
    ]


def _escalate_no(ctx: Context) -> list[EventType]:
    ctx.say(ctx.t("deny_escalate"))
    return [SlotSet("awaiting", None)]


awaiting_answer(ESCALATE_CONFIRM, _escalate_yes, _escalate_no)


# --------------------------------------------------------------------------- actions


class ActionReceiveTrackingNumber(ParcelAction):
    """A tracking number on its own: resumes the question that was waiting for it
    (any topic), otherwise tracks the parcel."""

    def name(self) -> str:
        return "action_receive_tracking_number"

    def handle(self, ctx: Context) -> list[EventType]:
        numbers = conversation.numbers_in_message(ctx.tracker)
        if not numbers:
            attempt = not_found.attempted_number(conversation.latest_text(ctx.tracker))
            ctx.say(not_found.attempt_text(ctx.lang, attempt) if attempt else ctx.t("number_not_recognised"))
            return []
        pending = ctx.slot("pending_topic")
        topic_name = pending if pending in TOPICS else conversation.TRACK
        return answer_topic(ctx, topic_name, numbers)


class ActionDetectLanguage(Action):
    """Custom slot mapping of `language`: re-detected on every customer message; a
    message without words (a bare number) keeps the current language."""

    def name(self) -> str:
        return "action_detect_language"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        current = tracker.get_slot("language")
        current = current if current in texts.LANGUAGES else "zh"
        try:
            lang = conversation.detect_language(conversation.latest_text(tracker), current)
        except Exception:  # a language guess must never break the turn
            logger.warning("language detection failed; keeping %s", current)
            lang = current
        return [SlotSet("language", lang)]
