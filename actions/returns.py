"""Returns: the steps, booking a courier pickup, and choosing a time window (for a
return pickup or a redelivery)."""

from __future__ import annotations

from rasa_sdk.events import EventType, SlotSet

from actions import conversation, db, parcels, texts, windows
from actions.base import Context, ParcelAction, Shipments, awaiting_answer, say_not_found
from actions.delivery import REDELIVERY_WINDOW
from actions.topics import ask_for_number, topic
from bot import policy
from bot.contract import CaseType, HandoffCategory
from bot.pii import mask_phone

RETURN_PICKUP_CONFIRM = "return_pickup_confirm"
RETURN_WINDOW = "return_window"


@topic(
    conversation.RETURN,
    action="action_return_goods",
    purpose=("预约上门取件", "arrange the pickup"),
    done=("说明退货流程", "explained the return steps"),
    category=HandoffCategory.CONSULTATION,
    category_is_weak=True,
    needs_number=False,
)
def return_goods(ctx: Context, shipments: Shipments) -> list[EventType]:
    if ctx.slot("pending_topic") != conversation.RETURN:  # not already explained
        ctx.say(policy.return_steps(ctx.lang))
    if not shipments:
        return ask_for_number(ctx, conversation.RETURN)
    returnable = False
    for key, shipment in shipments.items():
        if shipment is None:
            say_not_found(ctx, key)
        elif parcels.is_delivered(shipment):
            returnable = True
        elif not parcels.is_closed(shipment):
            ctx.say(
                ctx.t(
                    "return_not_delivered",
                    number=shipment.tracking_number,
                    status=texts.status_label(ctx.lang, shipment.status),
                )
            )
    if not returnable:
        return []
    ctx.say(ctx.t("return_offer_pickup"))
    return [SlotSet("awaiting", RETURN_PICKUP_CONFIRM)]


def _offer_windows(ctx: Context, key: str, awaiting: str) -> list[EventType]:
    ctx.say(ctx.t(key), buttons=windows.buttons(ctx.lang))
    return [SlotSet("awaiting", awaiting)]


def _return_yes(ctx: Context) -> list[EventType]:
    return _offer_windows(ctx, "window_ask_return", RETURN_WINDOW)


def _return_no(ctx: Context) -> list[EventType]:
    ctx.say(ctx.t("deny_return"))
    return [SlotSet("awaiting", None)]


def window_yes(ctx: Context) -> list[EventType]:
    """A "yes" while a time window is expected: show the choices again."""
    return _offer_windows(ctx, "window_unknown", str(ctx.slot("awaiting")))


def window_no(ctx: Context) -> list[EventType]:
    ctx.say(ctx.t("deny_no_context"))
    return [SlotSet("awaiting", None)]


awaiting_answer(RETURN_PICKUP_CONFIRM, _return_yes, _return_no)
awaiting_answer(RETURN_WINDOW, window_yes, window_no)
awaiting_answer(REDELIVERY_WINDOW, window_yes, window_no)

# awaiting -> (case type, confirmation message); actions/cases.py adds the callback window.
BOOKINGS = {
    RETURN_WINDOW: (CaseType.RETURN_PICKUP.value, "window_booked_return"),
    REDELIVERY_WINDOW: (CaseType.REDELIVERY.value, "window_booked_redelivery"),
}


class ActionChooseTimeWindow(ParcelAction):
    def name(self) -> str:
        return "action_choose_time_window"

    def handle(self, ctx: Context) -> list[EventType]:
        awaiting = ctx.slot("awaiting")
        if awaiting not in BOOKINGS:
            ctx.say(ctx.t("window_no_context"))
            return []
        code = windows.chosen(ctx.tracker)
        if code is None:
            ctx.say(ctx.t("window_unknown"), buttons=windows.buttons(ctx.lang))
            return []
        if windows.is_past(code):
            ctx.say(ctx.t("window_past", window=windows.describe(ctx.lang, code)), buttons=windows.buttons(ctx.lang))
            return []
        numbers = conversation.current_numbers(ctx.tracker)
        shipments = ctx.lookup(numbers) if numbers else {}
        found = parcels.found(shipments)
        if awaiting == RETURN_WINDOW:
            targets = [s for s in found if parcels.is_delivered(s)]
        elif awaiting == REDELIVERY_WINDOW:
            targets = [s for s in found if not parcels.is_delivered(s) and not parcels.is_closed(s)]
        else:  # a callback is about the parcel being talked about
            targets = found[-1:]
        if not targets:
            topic_name = conversation.RETURN if awaiting == RETURN_WINDOW else conversation.DELIVERY_FAILED
            return [SlotSet("awaiting", None), *ask_for_number(ctx, topic_name)]
        kind, message = BOOKINGS[awaiting]
        window = windows.bounds(code)
        for shipment in targets:
            case, created = db.open_case(
                kind,
                [shipment],
                ctx.conversation_id,
                language=ctx.lang,
                summary=f"{kind} {code}",
                details={"time_window": code},
                window=window,
            )
            ctx.announce_case(case, created)
            phone = mask_phone((case.details or {}).get("phone"))
            ctx.say(ctx.t(message, window=windows.describe(ctx.lang, code), reference=case.reference, phone=phone))
        return [SlotSet("awaiting", None)]
