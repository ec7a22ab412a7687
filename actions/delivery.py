"""Delivery problems: a failed delivery and its options (self-pickup, redelivery,
forwarding), and changing the delivery address."""

from __future__ import annotations

import json
import logging
import re

from rasa_sdk.events import EventType, SlotSet

from actions import catalogue, conversation, db, guard, parcels, state, texts, windows
from actions.base import Context, ParcelAction, Shipments, say_not_found
from actions.conversation import log_masked
from actions.handoff import escalate_if_needed
from actions.topics import ask_for_number, topic
from actions.verification import NEW_ADDRESS, PURPOSE_ADDRESS_CHANGE, ask_new_address, ask_verification
from bot import policy
from bot.contract import CaseType, HandoffCategory
from bot.pii import mask_address
from bot.store.models import Shipment

logger = logging.getLogger(__name__)

DELIVERY_OPTION = "delivery_option"
REDELIVERY_WINDOW = "redelivery_window"
FAILED_DELIVERY_TYPES = state.FAILED_DELIVERY_TYPES
DELIVERY_OPTIONS = ("self_pickup", "redeliver", "forward")
_OPTION_WORDS: tuple[tuple[str, str], ...] = (
    (
        "self_pickup",
        r"自取|自提|自己.{0,4}(?:拿|取|提)|(?:去|到).{0,6}(?:网点|驿站|投递部|营业部|营业厅|站点|快递点).{0,3}(?:拿|取|提)"
        r"|pick (?:it )?up myself|self[- ]?pickup|collect it myself",
    ),
    ("redeliver", r"再次派送|重新派送|再送|再派|重新送|重新约.{0,4}送|redeliver|deliver (?:it )?again"),
    ("forward", r"改寄|转寄|其他地址|别的地址|改地址|another address|forward"),
)
# Statuses in which the delivery address can no longer change.
_ADDRESS_LOCKED = ("delivered", "returning", "returned", "cancelled")
# A plausible address has at least two of these parts.
_ADDRESS_CUES = re.compile(
    r"省|市|区|县|镇|乡|村|路|街|道|巷|弄|号|室|楼|栋|road|street|st\.|ave|avenue|lane|district|city", re.I
)
# "新地址是…", "改到…", "the new address is …": the lead-in is not part of the address.
_ADDRESS_PREFIX = re.compile(
    r"^\s*(?:新的?(?:收货|收件)?地址(?:是|为)?|地址(?:是|为)?|改(?:到|成|为)|送到|寄到"
    r"|the new address is|new address|address)[:：,，\s]*",
    re.I,
)


# --------------------------------------------------------------------------- failed delivery


def _option_buttons(lang: str, options: list[str]) -> list[dict[str, str]]:
    return [
        {
            "title": texts.label(catalogue.DELIVERY_OPTION_LABELS, lang, option),
            "payload": "/choose_delivery_option" + json.dumps({"delivery_option": option}, separators=(",", ":")),
        }
        for option in options
    ]


def _failed(shipment: Shipment) -> bool:
    exc = shipment.exception
    return shipment.status == "delivery_failed" or (exc is not None and exc.type in FAILED_DELIVERY_TYPES)


def _options_for(shipment: Shipment) -> list[str]:
    exc = shipment.exception
    if exc is not None and exc.type == "out_of_area":  # a second attempt would fail the same way
        return ["self_pickup", "forward"]
    return list(DELIVERY_OPTIONS)


@topic(
    conversation.DELIVERY_FAILED,
    action="action_delivery_failed",
    purpose=("查看派送情况", "check what happened with the delivery"),
    done=("说明派送失败原因并提供处理方案", "explained the failed delivery and offered options"),
    category=HandoffCategory.ADDRESS,
    category_is_weak=True,
)
def delivery_failed(ctx: Context, shipments: Shipments) -> list[EventType]:
    events: list[EventType] = []
    for key, shipment in shipments.items():
        if shipment is None:
            say_not_found(ctx, key)
            continue
        number = shipment.tracking_number
        if parcels.is_delivered(shipment):
            ctx.say(
                ctx.t(
                    "df_delivered",
                    number=number,
                    time=parcels.delivered_time(ctx.lang, shipment),
                    category=parcels.signed_category(ctx.lang, shipment),
                )
            )
            continue
        if parcels.is_closed(shipment):
            ctx.say(ctx.t("opt_not_possible", number=number, status=texts.status_label(ctx.lang, shipment.status)))
            continue
        if not _failed(shipment):
            ctx.say(
                ctx.t(
                    "df_none",
                    number=number,
                    status=texts.status_label(ctx.lang, shipment.status),
                    scan=parcels.scan_phrase(ctx.lang, shipment),
                )
            )
            continue
        exc = shipment.exception
        if exc is not None and exc.type in FAILED_DELIVERY_TYPES:
            reason = parcels.exception_reason(shipment)
            kind = texts.exception_label(ctx.lang, exc.type)
            explained = (
                ctx.t("df_reason", number=number, type=kind, reason=reason)
                if reason
                else ctx.t("df_reason_no_text", number=number, type=kind)
            )
        else:
            explained = ctx.t("df_failed_generic", number=number, scan=parcels.scan_phrase(ctx.lang, shipment))
        ctx.say("\n".join([explained, ctx.t("df_options")]), buttons=_option_buttons(ctx.lang, _options_for(shipment)))
        events.append(SlotSet("awaiting", DELIVERY_OPTION))
    return events + escalate_if_needed(ctx, shipments, exception_topic=True, category=HandoffCategory.ADDRESS)


# --------------------------------------------------------------------------- delivery options


def _chosen_option(ctx: Context) -> str | None:
    for value in ctx.tracker.get_latest_entity_values("delivery_option"):
        if value in DELIVERY_OPTIONS:
            return str(value)
    text = conversation.latest_text(ctx.tracker)
    for option, pattern in _OPTION_WORDS:
        if re.search(pattern, text, re.I):
            return option
    return None


def _open_parcels(ctx: Context) -> tuple[Shipments, list[Shipment]]:
    """The parcels in the conversation that can still be (re)delivered."""
    shipments = ctx.lookup(conversation.current_numbers(ctx.tracker))
    open_ones = [s for s in parcels.found(shipments) if not parcels.is_delivered(s) and not parcels.is_closed(s)]
    return shipments, open_ones


class ActionChooseDeliveryOption(ParcelAction):
    def name(self) -> str:
        return "action_choose_delivery_option"

    def handle(self, ctx: Context) -> list[EventType]:
        if not conversation.current_numbers(ctx.tracker):
            return ask_for_number(ctx, conversation.DELIVERY_FAILED)
        shipments, targets = _open_parcels(ctx)
        if not targets:
            for key, shipment in shipments.items():
                if shipment is None:
                    say_not_found(ctx, key)
                else:
                    ctx.say(
                        ctx.t(
                            "opt_not_possible",
                            number=shipment.tracking_number,
                            status=texts.status_label(ctx.lang, shipment.status),
                        )
                    )
            return [SlotSet("awaiting", None)]
        option = _chosen_option(ctx)
        if option is None:
            ctx.say(ctx.t("opt_unknown"), buttons=_option_buttons(ctx.lang, _options_for(targets[0])))
            return [SlotSet("awaiting", DELIVERY_OPTION)]
        if option == "self_pickup":
            for shipment in targets:
                event = parcels.latest_scan(shipment)
                place = event.location if event is not None and event.location else shipment.destination
                case, created = db.open_case(
                    CaseType.SELF_PICKUP.value,
                    [shipment],
                    ctx.conversation_id,
                    language=ctx.lang,
                    summary=f"self-pickup at {place}",
                    details={"pickup_point": place},
                )
                ctx.announce_case(case, created)
                ctx.say(
                    ctx.t(
                        "opt_self_pickup", place=place, reference=case.reference, hold=policy.self_pickup_hold(ctx.lang)
                    )
                )
            return [SlotSet("awaiting", None)]
        if option == "redeliver":
            ctx.say(ctx.t("opt_pick_window"), buttons=windows.buttons(ctx.lang))
            return [SlotSet("awaiting", REDELIVERY_WINDOW)]
        # forward: a new address is personal data, so verify first
        if all(guard.is_verified(ctx.tracker, ctx.settings, s.tracking_key) for s in targets):
            return ask_new_address(ctx)
        return [SlotSet("awaiting", None), *ask_verification(ctx, PURPOSE_ADDRESS_CHANGE)]


# --------------------------------------------------------------------------- address change


@topic(
    conversation.CHANGE_ADDRESS,
    action="action_change_address",
    purpose=("办理改地址", "change the delivery address"),
    done=("受理改地址请求", "started an address change"),
    category=HandoffCategory.ADDRESS,
)
def change_address(ctx: Context, shipments: Shipments) -> list[EventType]:
    for key, shipment in shipments.items():
        if shipment is None:
            say_not_found(ctx, key)
            continue
        if shipment.status in _ADDRESS_LOCKED:
            ctx.say(
                ctx.t(
                    "address_locked",
                    number=shipment.tracking_number,
                    status=texts.status_label(ctx.lang, shipment.status),
                )
            )
            continue
        # one parcel at a time: the first that can still change
        if guard.is_verified(ctx.tracker, ctx.settings, key):
            return ask_new_address(ctx)
        return ask_verification(ctx, PURPOSE_ADDRESS_CHANGE)
    return []


def _clean_address(text: str) -> str:
    return _ADDRESS_PREFIX.sub("", text.strip()).strip(" 。.!！")


def _plausible_address(address: str) -> bool:
    return len(address) >= 6 and len(_ADDRESS_CUES.findall(address)) >= 2


class ActionReceiveAddress(ParcelAction):
    def name(self) -> str:
        return "action_receive_address"

    def handle(self, ctx: Context) -> list[EventType]:
        if ctx.slot("awaiting") != NEW_ADDRESS:
            ctx.say(ctx.t("address_unexpected"))
            return []
        if not conversation.current_numbers(ctx.tracker):
            return ask_for_number(ctx, conversation.CHANGE_ADDRESS)
        _, open_ones = _open_parcels(ctx)
        targets = [s for s in open_ones if s.status not in _ADDRESS_LOCKED]
        verified = [s for s in targets if guard.is_verified(ctx.tracker, ctx.settings, s.tracking_key)]
        if not verified:
            if targets:
                return [SlotSet("awaiting", None), *ask_verification(ctx, PURPOSE_ADDRESS_CHANGE)]
            return [SlotSet("awaiting", None), *ask_for_number(ctx, conversation.CHANGE_ADDRESS)]
        address = _clean_address(conversation.latest_text(ctx.tracker))
        if not _plausible_address(address):
            ctx.say(ctx.t("address_too_short"))
            return []
        shipment = verified[0]
        # After a failed delivery the parcel is forwarded; before, its address changes.
        case_type = CaseType.FORWARD if _failed(shipment) else CaseType.ADDRESS_CHANGE
        case, created = db.open_case(
            case_type.value,
            [shipment],
            ctx.conversation_id,
            language=ctx.lang,
            summary=f"{case_type.value}: new address {mask_address(address)}",
            details={"new_address": address},
        )
        if not created:  # a newer address replaces the one still waiting to be applied
            db.update_case_details(case.id, {"new_address": address})
        ctx.announce_case(case, created)
        log_masked(logger, "%s %s for %s: %s", case_type.value, case.reference, shipment.tracking_number, address)
        ctx.say(
            ctx.t(
                "address_saved",
                number=shipment.tracking_number,
                reference=case.reference,
                address=mask_address(address),
                policy=policy.address_change(ctx.lang, ctx.settings),
            )
        )
        return [SlotSet("awaiting", None)]
