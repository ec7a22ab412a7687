"""Feelings and urgency on every turn (bot/signals.py): 接纳情绪 → 共情安抚 → 解决问题.

After any answer (a turn hook of every ParcelAction that reads feelings):
- an upset or angry customer hears the feeling acknowledged first (the line goes before
  the answer), urgent goods are acknowledged the same way when no handoff follows;
- strong anger, or a customer upset again after the bot already acknowledged it, goes to
  a person (reason customer_upset) after the answer;
- an upset customer is otherwise offered a person ("yes" hands over), unless the answer
  already waits for another answer (then told how to ask for one).
Urgent goods themselves (the green channel) are decided with the parcels' facts in
actions/handoff.escalate_if_needed.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk.events import EventType, SlotSet

from actions import conversation
from actions.base import TURN_HOOKS, Context, awaiting_answer
from actions.handoff import PERSON_OFFER, hand_off, lookup_quietly
from bot.contract import HandoffReason, Priority
from bot.signals import MEDICAL


def _slot_after(ctx: Context, events: list[EventType], name: str) -> Any:
    """The slot's value once the turn's events are applied."""
    value = ctx.slot(name)
    for event in events:
        if isinstance(event, dict) and event.get("event") == "slot" and event.get("name") == name:
            value = event.get("value")
    return value


def _handed_off_in(ctx: Context, events: list[EventType], start: int) -> bool:
    if _slot_after(ctx, events, "handed_off") and not ctx.slot("handed_off"):
        return True
    return any((m.get("custom") or {}).get("handoff") for m in ctx.dispatcher.messages[start:])


def _acknowledge(ctx: Context, key: str, start: int) -> None:
    """Say `key` before the answer of this turn."""
    ctx.dispatcher.messages.insert(start, _message(ctx, key))


def _message(ctx: Context, key: str) -> dict[str, Any]:
    probe_dispatcher = type(ctx.dispatcher)()
    probe_dispatcher.utter_message(text=ctx.t(key))
    return probe_dispatcher.messages[0]


def after_answer(ctx: Context, events: list[EventType], start: int) -> list[EventType]:
    feeling = ctx.feeling
    if ctx.slot("handed_off") or not (feeling.upset or feeling.urgent):
        return events
    handed_now = _handed_off_in(ctx, events, start)
    if feeling.angry:
        _acknowledge(ctx, "feel_angry", start)
    elif feeling.upset:
        _acknowledge(ctx, "feel_upset", start)
    elif not handed_now:
        _acknowledge(ctx, "feel_urgent", start)
    if handed_now or not feeling.upset:
        return events
    if feeling.angry or conversation.earlier_upset_messages(ctx.tracker) > 0:
        numbers = conversation.current_numbers(ctx.tracker)
        return [
            *events,
            SlotSet("awaiting", None),
            *hand_off(
                ctx,
                HandoffReason.CUSTOMER_UPSET,
                shipments=lookup_quietly(ctx, numbers),
                numbers=numbers,
                lead="handoff_lead_customer_upset",
            ),
        ]
    awaiting = _slot_after(ctx, events, "awaiting")
    if awaiting == PERSON_OFFER or (awaiting and "escalate" in str(awaiting)):
        return events  # the answer already offered a person
    if awaiting:
        ctx.say(ctx.t("feel_offer_person_later"))
        return events
    ctx.say(ctx.t("feel_offer_person"))
    return [*events, SlotSet("awaiting", PERSON_OFFER)]


TURN_HOOKS.append(after_answer)


# "要 / 需要 / 麻烦催一下 / yes please" accept the offer; "ok 那就好 / 好的 知道了" only acknowledge
# the answer (a person is not forced on a customer who is content).
_ACCEPTS = re.compile(r"要|转|人工|找人|专员|跟进|催|加急|麻烦|可以|\b(?:yes|please|sure|agent|human|person)\b", re.I)
_ONLY_ACKNOWLEDGES = re.compile(r"那就好|就好|知道了|不用|不要|不需要|算了|没事|\bno\b|\bfine\b", re.I)


def accepts_offer(text: str) -> bool:
    return bool(_ACCEPTS.search(text or "")) and not _ONLY_ACKNOWLEDGES.search(text or "")


def _offer_answered(ctx: Context) -> list[EventType]:
    if not accepts_offer(conversation.latest_text(ctx.tracker)):
        return _offer_declined(ctx)
    return _offer_accepted(ctx)


def _offer_accepted(ctx: Context) -> list[EventType]:
    need = conversation.urgent_need(ctx.tracker)
    numbers = conversation.current_numbers(ctx.tracker)
    if need is not None:
        reason = HandoffReason.URGENT_MEDICAL if need == MEDICAL else HandoffReason.URGENT_GOODS
        priority: Priority | None = Priority.URGENT
    else:
        reason, priority = HandoffReason.CUSTOMER_UPSET, None
    lead = "handoff_lead_customer_request" if need is None else None
    return [
        SlotSet("awaiting", None),
        *hand_off(ctx, reason, shipments=lookup_quietly(ctx, numbers), numbers=numbers, priority=priority, lead=lead),
    ]


def _offer_declined(ctx: Context) -> list[EventType]:
    ctx.say(ctx.t("deny_escalate"))
    return [SlotSet("awaiting", None)]


awaiting_answer(PERSON_OFFER, _offer_answered, _offer_declined)
