"""Following up what the bot registered: "how is my claim going?" (by reference, by what
it is about, or just "进度呢" in the same conversation) answered from the case; a fresh
evidence upload link; and "please call me back" (the recipient verified first, then the
number and a time window), which is a callback case an agent owns."""

from __future__ import annotations

import logging
import re

from rasa_sdk.events import EventType, SlotSet

from actions import conversation, db, guard, windows
from actions.base import (
    AWAITED_INPUT,
    CASE_REFERENCE_HANDLER,
    AwaitedInput,
    Context,
    Shipments,
    awaiting_answer,
    say_not_found,
)
from actions.conversation import log_masked
from actions.returns import BOOKINGS, window_no, window_yes
from actions.verification import AFTER_VERIFICATION, ask_verification
from bot import clock
from bot.cases import references, wording
from bot.cases.models import Case
from bot.cases.vocabulary import CLAIM_TYPES, EVIDENCE_TYPES, OPEN_STATUSES, CaseType
from bot.pii import mask_phone

logger = logging.getLogger(__name__)

PURPOSE_CALLBACK = "callback"
CALLBACK_PHONE = "callback_phone"
CALLBACK_WINDOW = "callback_window"
MAX_SHOWN = 3
# A mainland mobile number (optionally +86), as customers type it.
_PHONE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
# Words that say which kind of case the customer means.
_TYPE_WORDS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({CaseType.DAMAGE_CLAIM.value}), r"破损|破損|损坏|損壞|摔坏|碎|damage|broken"),
    (frozenset({CaseType.LOSS_CLAIM.value}), r"丢件|丟件|丢了|丟了|丢失|遗失|lost|loss|missing"),
    (frozenset({CaseType.NOT_RECEIVED.value}), r"没收到|未收到|沒收到|not received|never got"),
    (frozenset({CaseType.RETURN_PICKUP.value}), r"退货|退貨|取件|return|pickup"),
    (frozenset({CaseType.ADDRESS_CHANGE.value, CaseType.FORWARD.value}), r"改地址|改址|地址|address|forward"),
    (frozenset({CaseType.REDELIVERY.value}), r"再次派送|重新派送|redeliver"),
    (frozenset({CaseType.CALLBACK.value}), r"回电|回電|电话|電話|call"),
    (frozenset({CaseType.CUSTOMS_DOCUMENTS.value}), r"清关|清關|customs"),
)
# A question about progress (not about where a parcel is: that one names or implies a number).
_PROGRESS_WORDS = re.compile(
    r"进度|進度|进展|進展|结果|結果|理赔|理賠|赔偿|賠償|赔款|工单|工單|处理得|處理得|处理到|處理到|处理了|處理了|上传|上傳|链接|鏈接"
    r"|progress|status of my (?:claim|case|request)|my claim|my case|any (?:update|news)|upload|link",
    re.I,
)
# The customer asks about sending evidence rather than about progress.
_UPLOAD_WORDS = re.compile(r"上传|上傳|链接|鏈接|照片怎么|视频怎么|upload|link", re.I)
# Words for claims in general, when no kind is named.
_CLAIM_WORDS = r"理赔|理賠|赔偿|賠償|赔款|調查|调查|claim|compensation|investigation"


def phone_in(text: str) -> str | None:
    match = _PHONE.search(text or "")
    return "".join(match.groups()) if match else None


def _wants_upload(case: Case) -> bool:
    return case.type in {t.value for t in EVIDENCE_TYPES} and case.status in OPEN_STATUSES


def _mentioned_types(text: str) -> frozenset[str]:
    found: set[str] = set()
    for types, pattern in _TYPE_WORDS:
        if re.search(pattern, text, re.I):
            found |= types
    if not found and re.search(_CLAIM_WORDS, text, re.I):
        found = {t.value for t in CLAIM_TYPES}
    return frozenset(found)


class CaseStatus:
    """ "How is my claim going?" answered from the case. No intent of its own: any message
    naming a case reference, or asking about progress while the conversation has cases,
    comes here whatever the NLU understood it as (actions/base.py)."""

    @staticmethod
    def accepts(ctx: Context) -> bool:
        text = conversation.latest_text(ctx.tracker)
        if references.find_references(text):
            return True
        if not _PROGRESS_WORDS.search(text) or conversation.numbers_in_message(ctx.tracker):
            return False
        return bool(db.cases_for_conversation(ctx.conversation_id))

    @staticmethod
    def handle(ctx: Context) -> list[EventType]:
        text = conversation.latest_text(ctx.tracker)
        now = clock.utcnow()
        refs = references.find_references(text)
        if not refs and not guard.sender_proven(ctx.tracker):  # writing as this customer without their secret
            ctx.say(ctx.t("case_not_shown_here"))
            return []
        if not refs and _UPLOAD_WORDS.search(text):  # "the upload link expired, send it again"
            return send_evidence_link(ctx)
        if refs:
            for reference in refs[:MAX_SHOWN]:
                case = db.case_by_reference(reference)
                if case is None or not guard.may_see_case(ctx.tracker, ctx.settings, case):
                    # References are sequential: someone else's (or a guessed one) tells nothing
                    # about the case, not even whether it exists, and counts as a guess.
                    ticket = guard.reference_guesses(ctx.settings).begin(guard.reference_subjects(ctx.tracker))
                    if ticket.locked:
                        ctx.say(ctx.t("case_lookup_locked"))
                        break
                    ctx.say(ctx.t("case_not_shown", reference=reference))
                    continue
                ctx.say(wording.status_answer(case, ctx.lang, now))
                if _wants_upload(case):
                    ctx.announce_case(case, created=False, upload=False)
            return []
        cases = db.cases_for_conversation(ctx.conversation_id)
        numbers = conversation.numbers_in_message(ctx.tracker)
        if numbers:
            cases = [c for c in cases if {p.tracking_key for p in c.parcels} & set(numbers)]
        wanted = _mentioned_types(text)
        if wanted and any(c.type in wanted for c in cases):
            cases = [c for c in cases if c.type in wanted]
        if not cases:
            if numbers:
                for key in numbers[:MAX_SHOWN]:
                    ctx.say(ctx.t("case_none_for_parcel", number=key))
                return []
            ctx.say(ctx.t("case_none"))
            return []
        active = [c for c in cases if c.status not in ("resolved", "closed")]
        shown = (active or cases)[:MAX_SHOWN]
        for case in shown:
            ctx.say(wording.status_answer(case, ctx.lang, now))
        if len(active) > len(shown):
            ctx.say(ctx.t("case_more", count=len(active) - len(shown)))
        return []


def send_evidence_link(ctx: Context) -> list[EventType]:
    """A (new) evidence upload link for the customer's newest open case that collects evidence."""
    cases = [c for c in db.cases_for_conversation(ctx.conversation_id, include_done=False) if _wants_upload(c)]
    if not cases:
        ctx.say(ctx.t("evidence_none"))
        return []
    case = cases[0]  # the newest
    ctx.say(ctx.t("evidence_link", case=wording.case_name(case, ctx.lang)))
    ctx.announce_case(case, created=False, upload=True)
    return []


# --------------------------------------------------------------------------- callback


def ask_callback_phone(ctx: Context) -> list[EventType]:
    ctx.say(ctx.t("callback_ask_phone"))
    return [SlotSet("awaiting", CALLBACK_PHONE), SlotSet("verification_purpose", None)]


AFTER_VERIFICATION[PURPOSE_CALLBACK] = ask_callback_phone


# "Please call me back" (asked of the hand-off action: a person, by phone).
CALLBACK_WORDS = re.compile(
    r"回电|回電|回个电话|回個電話|打电话给我|打電話給我|给我打(?:个)?电话|給我打(?:個)?電話|来个电话|來個電話|电话联系我|電話聯繫我"
    r"|call me(?: back)?|phone me|ring me|callback",
    re.I,
)


def wants_callback(text: str) -> bool:
    return bool(CALLBACK_WORDS.search(text or ""))


def request_callback(ctx: Context) -> list[EventType]:
    """A call about a parcel: only for whoever proved the recipient's phone (the call will
    discuss the parcel), then the number to call and a time window."""
    numbers = conversation.current_numbers(ctx.tracker)
    if not numbers:
        ctx.say(ctx.t("callback_needs_number"))
        return []
    shipments: Shipments = ctx.lookup(numbers)
    for key, shipment in shipments.items():
        if shipment is None:
            say_not_found(ctx, key)
            continue
        if guard.is_verified(ctx.tracker, ctx.settings, key):
            return ask_callback_phone(ctx)
        return ask_verification(ctx, PURPOSE_CALLBACK)
    return []


class CallbackPhone:
    """The number to call back: recorded on a callback case, then a time window is asked."""

    @staticmethod
    def accepts(ctx: Context) -> bool:
        return phone_in(conversation.latest_text(ctx.tracker)) is not None

    @staticmethod
    def handle(ctx: Context) -> list[EventType]:
        if ctx.slot("awaiting") != CALLBACK_PHONE:
            ctx.say(ctx.t("callback_unexpected"))
            return []
        phone = phone_in(conversation.latest_text(ctx.tracker))
        if phone is None:
            ctx.say(ctx.t("callback_phone_unclear"))
            return []
        numbers = conversation.current_numbers(ctx.tracker)
        shipments = [s for s in ctx.lookup(numbers).values() if s is not None] if numbers else []
        verified = [s for s in shipments if guard.is_verified(ctx.tracker, ctx.settings, s.tracking_key)]
        if not verified:  # the verification was lost (new session): ask again
            return [SlotSet("awaiting", None), *ask_verification(ctx, PURPOSE_CALLBACK)]
        shipment = verified[-1]
        case, created = db.open_case(
            CaseType.CALLBACK.value,
            [shipment],
            ctx.conversation_id,
            language=ctx.lang,
            summary=f"callback to {mask_phone(phone)} about {shipment.tracking_number}",
            details={"phone": phone},
        )
        if not created:
            db.update_case_details(case.id, {"phone": phone})
        ctx.announce_case(case, created)
        log_masked(logger, "callback %s: %s", case.reference, phone)
        ctx.say(ctx.t("callback_pick_window", phone=mask_phone(phone)), buttons=windows.buttons(ctx.lang))
        return [SlotSet("awaiting", CALLBACK_WINDOW)]


BOOKINGS[CALLBACK_WINDOW] = (CaseType.CALLBACK.value, "window_booked_callback")
awaiting_answer(CALLBACK_WINDOW, window_yes, window_no)
# A number typed while the bot waits for it may be understood as something else (4 digits, a fallback).
AWAITED_INPUT[CALLBACK_PHONE] = AwaitedInput(CallbackPhone.accepts, CallbackPhone.handle)
CASE_REFERENCE_HANDLER.append(AwaitedInput(CaseStatus.accepts, CaseStatus.handle))
