"""Yes, no, and messages the NLU did not understand."""

from __future__ import annotations

from rasa_sdk.events import EventType, SlotSet

from actions import catalogue, conversation, not_found
from actions.base import AWAITED_ANSWERS, AWAITED_INPUT, Context, ParcelAction
from actions.handoff import hand_off, lookup_quietly
from actions.topics import TOPICS, answer_topic
from bot.contract import HandoffReason


def answer_numbers(ctx: Context) -> list[EventType]:
    """The numbers of the latest message answer the question waiting for a number, else the
    conversation's current question, else where the parcels are."""
    numbers = conversation.numbers_in_message(ctx.tracker)
    pending, current = ctx.slot("pending_topic"), ctx.slot("current_topic")
    topic_name = pending if pending in TOPICS else current if current in TOPICS else conversation.TRACK
    return answer_topic(ctx, topic_name, numbers)


class ActionAffirm(ParcelAction):
    """ "Yes": does what the pending question (slot `awaiting`) offered."""

    def name(self) -> str:
        return "action_affirm"

    def handle(self, ctx: Context) -> list[EventType]:
        if conversation.numbers_in_message(ctx.tracker):  # "对，是 JT…": the number is the point
            return answer_numbers(ctx)
        answer = AWAITED_ANSWERS.get(str(ctx.slot("awaiting") or ""))
        if answer is None:
            ctx.say(ctx.t("affirm_no_context"))
            return []
        return answer.on_affirm(ctx)


class ActionDeny(ParcelAction):
    """ "No": declines the pending offer politely."""

    def name(self) -> str:
        return "action_deny"

    def handle(self, ctx: Context) -> list[EventType]:
        if conversation.numbers_in_message(ctx.tracker):  # "不对，是 DPK…": a corrected number
            return answer_numbers(ctx)
        answer = AWAITED_ANSWERS.get(str(ctx.slot("awaiting") or ""))
        if answer is None:
            ctx.say(ctx.t("deny_no_context"))
            return [SlotSet("awaiting", None)] if ctx.slot("awaiting") else []
        return answer.on_deny(ctx)


def topic_buttons(lang: str) -> list[dict[str, str]]:
    return [
        {"title": en if lang == "en" else zh, "payload": f"/{intent}"} for intent, zh, en in catalogue.FALLBACK_TOPICS
    ]


class ActionFallback(ParcelAction):
    """First miss: ask to rephrase with common topics; second miss in a row: a colleague."""

    REPEATS_BEFORE_HANDOFF = 2

    def name(self) -> str:
        return "action_fallback"

    def handle(self, ctx: Context) -> list[EventType]:
        waiting_for = AWAITED_INPUT.get(str(ctx.slot("awaiting") or ""))
        if waiting_for is not None:  # the bot asked for free input (a phone number): this is it
            return waiting_for.handle(ctx)
        # A message with a number in it is about that parcel: look it up (for the question
        # waiting for a number, else where it is), whatever else the NLU missed in it.
        if conversation.numbers_in_message(ctx.tracker):
            return answer_numbers(ctx)
        attempt = not_found.attempted_number(conversation.latest_text(ctx.tracker))
        if attempt is not None:
            ctx.say(not_found.attempt_text(ctx.lang, attempt))
            return []
        if conversation.consecutive_fallbacks(ctx.tracker) >= self.REPEATS_BEFORE_HANDOFF:
            numbers = conversation.current_numbers(ctx.tracker)
            return hand_off(
                ctx, HandoffReason.REPEATED_MISUNDERSTANDING, shipments=lookup_quietly(ctx, numbers), numbers=numbers
            )
        ctx.say(ctx.t("fallback_first"), buttons=topic_buttons(ctx.lang))
        return []
