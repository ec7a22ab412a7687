"""Shared helpers that read the conversation (tracker) and build slot events."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from bot import signals
from bot.nlu.text import guess_language
from bot.pii import mask_text
from bot.store.tracking_numbers import find_tracking_numbers, normalize

MAX_REMEMBERED_NUMBERS = 5
NLU_FALLBACK = "nlu_fallback"
FIND_BY_PHONE = "find_by_phone"
FALLBACK_ACTION = "action_fallback"

# Topics: the questions that are about one or more parcels.
TRACK = "track"
ETA = "eta"
DELAY = "delay"
SIGNED_NOT_RECEIVED = "signed_not_received"
DAMAGED = "damaged"
LOST = "lost"
DELIVERY_FAILED = "delivery_failed"
CHANGE_ADDRESS = "change_address"
CUSTOMS = "customs"
RETURN = "return"
CALLBACK = "callback"

_FOUR_DIGITS = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def latest_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def detect_language(text: str, current: str = "zh") -> str:
    """zh/en of a message; tracking numbers are not words ("JDVA0123..." is no
    English), so a message that is only numbers keeps `current`."""
    for found in find_tracking_numbers(text):
        text = text.replace(found.text, " ")
    return guess_language(text, default=current)


def language(tracker: Tracker) -> str:
    """The reply language: the `language` slot, else a guess from the latest text."""
    lang = tracker.get_slot("language")
    if lang in ("zh", "en"):
        return str(lang)
    return detect_language(latest_text(tracker))


def _user_events(tracker: Tracker) -> list[dict[str, Any]]:
    return [e for e in tracker.events if e.get("event") == "user"]


def _numbers_in(text: str, entities: Iterable[dict[str, Any]]) -> list[str]:
    keys: list[str] = []
    for entity in entities:
        if entity.get("entity") == "tracking_number" and entity.get("value"):
            key = normalize(str(entity["value"]))
            if key and key not in keys:
                keys.append(key)
    for found in find_tracking_numbers(text):
        if found.key not in keys:
            keys.append(found.key)
    return keys


def numbers_in_message(tracker: Tracker) -> list[str]:
    """Tracking numbers in the latest message (entities and the raw text), in order."""
    return _numbers_in(latest_text(tracker), tracker.latest_message.get("entities") or [])


def current_numbers(tracker: Tracker) -> list[str]:
    """The parcels the customer is talking about now: the numbers of the latest
    message, else those of the most recent message that had any, else the last
    remembered one."""
    phone = re.sub(r"\D", "", str(tracker.get_slot("lookup_phone") or ""))
    found = [key for key in numbers_in_message(tracker) if not phone or key != phone]
    if found:
        return found
    for event in reversed(_user_events(tracker)):
        parse = event.get("parse_data") or {}
        if ((parse.get("intent") or {}).get("name")) == FIND_BY_PHONE:
            continue  # a phone number or an order id, not a parcel (actions/lookup.py)
        found = _numbers_in(str(event.get("text") or ""), parse.get("entities") or [])
        found = [key for key in found if not phone or key != phone]
        if found:
            return found
    remembered = remembered_numbers(tracker)
    return remembered[-1:]


def remembered_numbers(tracker: Tracker) -> list[str]:
    value = tracker.get_slot("tracking_numbers") or []
    return [str(v) for v in value] if isinstance(value, list) else []


def remember(tracker: Tracker, keys: list[str]) -> list[EventType]:
    """SlotSet for `tracking_numbers` with `keys` added newest last (at most 5)."""
    old = remembered_numbers(tracker)
    merged = [k for k in old if k not in keys] + list(keys)
    merged = merged[-MAX_REMEMBERED_NUMBERS:]
    return [] if merged == old else [SlotSet("tracking_numbers", merged)]


def phone_digits_in_message(tracker: Tracker) -> str | None:
    """The 4 digits the customer gave: the phone_last4 entity, else 4 lone digits."""
    for value in tracker.get_latest_entity_values("phone_last4"):
        digits = re.sub(r"\D", "", str(value))
        if len(digits) == 4:
            return digits
    text = latest_text(tracker)
    for found in find_tracking_numbers(text):  # digits inside a tracking number don't count
        text = text.replace(found.text, " ")
    match = _FOUR_DIGITS.search(text)
    return match.group(1) if match else None


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many of the latest customer messages in a row were not understood,
    counting the latest one (the fallback action is answering it now). A message
    was not understood when its intent was nlu_fallback or the bot answered it
    with the fallback action (the policies' core fallback)."""
    turns: list[bool] = []  # per user message: was it misunderstood?
    for event in tracker.events:
        if event.get("event") == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            turns.append(intent == NLU_FALLBACK)
        elif event.get("event") == "action" and event.get("name") == FALLBACK_ACTION and turns:
            turns[-1] = True
    if not turns:
        return 1
    turns[-1] = True  # the message being answered by the fallback action
    count = 0
    for misunderstood in reversed(turns):
        if not misunderstood:
            break
        count += 1
    return count


def recent_user_texts(tracker: Tracker, limit: int = 3) -> list[str]:
    """The last `limit` customer messages, oldest first."""
    # "/greet"-style payloads come from buttons or the widget, not from the customer's keyboard.
    texts = [
        str(e.get("text") or "")
        for e in _user_events(tracker)
        if e.get("text") and not str(e.get("text")).startswith("/")
    ]
    if not texts and latest_text(tracker):
        texts = [latest_text(tracker)]
    return texts[-limit:]


def bot_actions_run(tracker: Tracker) -> list[str]:
    """Names of the custom actions already run in this conversation, in order, once each."""
    names: list[str] = []
    for event in tracker.events:
        name = event.get("name")
        if event.get("event") == "action" and name and name.startswith("action_") and name not in names:
            names.append(str(name))
    return names


def log_masked(logger: logging.Logger, message: str, *args: object) -> None:
    """Log a line with every phone, name, address and pickup code masked."""
    if logger.isEnabledFor(logging.INFO):
        logger.info(mask_text(message % args if args else message))


def _signals_of(event_or_message: dict[str, Any], text: str) -> signals.Signals:
    """The signals the NLU put in a parse result, else read from the text again."""
    parse = event_or_message.get("parse_data") or event_or_message
    found = signals.Signals.from_dict(parse.get("signals")) if isinstance(parse, dict) else None
    return found if found is not None else signals.read(text)


def latest_signals(tracker: Tracker) -> signals.Signals:
    """Feeling and urgency of the customer's latest message (bot/signals.py)."""
    return _signals_of(tracker.latest_message or {}, latest_text(tracker))


def earlier_upset_messages(tracker: Tracker) -> int:
    """How many customer messages before the latest one in this conversation were upset or angry."""
    events = _user_events(tracker)[:-1]
    return sum(_signals_of(e, str(e.get("text") or "")).upset for e in events)


def urgent_need(tracker: Tracker, limit: int = 4) -> str | None:
    """The most pressing need (medical, perishable, deadline) named in the recent messages."""
    return signals.urgency_of(recent_user_texts(tracker, limit))
