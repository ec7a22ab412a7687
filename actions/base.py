"""Base classes and registries shared by every action module.

`ParcelAction.run` gives each action a `Context` (dispatcher, tracker, language),
runs it off the event loop, and turns any failure into a polite reply. Answers to
yes/no questions are registered by name so that the affirm and deny actions can
resume whatever the conversation was waiting for; topics (questions about parcels)
have their own registry in `actions/topics.py`.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import conversation, db, not_found, texts
from actions.db import StoreError
from bot.config import Settings, load_settings
from bot.pii import mask_text
from bot.signals import Signals
from bot.store.models import Shipment

logger = logging.getLogger(__name__)

# Key of the custom message announcing this turn's cases to the gateway (which strips it).
CASES_PAYLOAD = "cases"


@dataclass
class Context:
    """What a handler needs: where to speak, what was said, in which language."""

    dispatcher: CollectingDispatcher
    tracker: Tracker
    domain: DomainDict
    lang: str
    settings: Settings = field(default_factory=load_settings)
    # Cases opened or found in this turn, announced to the gateway in one custom message.
    cases: list[dict[str, Any]] = field(default_factory=list)
    # The feeling and urgency of the customer's latest message (bot/signals.py).
    feeling: Signals = field(default_factory=Signals)

    @property
    def conversation_id(self) -> str:
        return str(self.tracker.sender_id)

    def t(self, key: str, **values: object) -> str:
        return texts.t(self.lang, key, **values)

    def say(self, text: str, **kwargs: Any) -> None:
        self.dispatcher.utter_message(text=text, **kwargs)

    def slot(self, name: str) -> Any:
        return self.tracker.get_slot(name)

    def lookup(self, keys: list[str]) -> dict[str, Shipment | None]:
        """Shipments for the keys, in order (None where not found)."""
        return db.get_shipments(keys)

    def announce_case(self, case: Any, created: bool, upload: bool = False) -> None:
        """Tell the gateway about a case of this turn (it refreshes the agents' case list and,
        with `upload`, sends the customer a signed evidence upload link)."""
        if any(item["id"] == case.id for item in self.cases):
            return
        self.cases.append(
            {
                "id": case.id,
                "reference": case.reference,
                "type": case.type,
                "created": bool(created),
                "upload": bool(upload),
            }
        )


class ParcelAction(Action, ABC):
    """An action with a language-aware context and polite error handling."""

    # Whether a case reference in the message is answered from the case (not for hand-offs,
    # verification or the yes/no answers, whose meaning does not change with it).
    answers_references: bool = True
    # Whether the turn hooks (actions/feelings.py: acknowledge feelings, offer or make a
    # handoff) run after the answer (not for the handoff action, which apologises itself).
    reads_feelings: bool = True

    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def handle(self, ctx: Context) -> list[EventType]: ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        # The store is synchronous: keep it off the action server's event loop.
        return await asyncio.to_thread(self.run_sync, dispatcher, tracker, domain)

    def run_sync(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        lang = conversation.language(tracker)
        ctx = Context(dispatcher, tracker, domain or {}, lang, feeling=conversation.latest_signals(tracker))
        already_said = len(dispatcher.messages)
        try:
            # The bot asked for free input (a phone number to call back): a message that holds
            # it is that answer, whatever intent the NLU saw in it.
            awaited = AWAITED_INPUT.get(str(ctx.slot("awaiting") or ""))
            answer = awaited.handle if awaited is not None and awaited.accepts(ctx) else self.handle
            # A case reference (CS20261130-0042), or a question about progress while the conversation
            # has cases: the customer asks about their case, whatever the NLU understood.
            if answer == self.handle and self.answers_references:
                for about_case in CASE_REFERENCE_HANDLER:
                    if about_case.accepts(ctx):
                        answer = about_case.handle
                        break
            # No tracking number, a phone offered instead: find the parcels by phone + check.
            if answer == self.handle and self.reads_feelings:
                for lookup in LOOKUP_REQUEST_HANDLER:
                    if lookup.accepts(ctx):
                        answer = lookup.handle
                        break
            events = answer(ctx)
            if self.reads_feelings:
                for hook in TURN_HOOKS:
                    events = hook(ctx, events, already_said)
            if ctx.cases:
                dispatcher.utter_message(json_message={CASES_PAYLOAD: ctx.cases})
            return events
        except StoreError as exc:
            logger.error("%s: shipment store unavailable: %s", self.name(), exc)
            del dispatcher.messages[already_said:]
            ctx.say(ctx.t("store_unavailable"))
        except Exception as exc:  # never a stack trace to the customer
            logger.error("%s failed: %s: %s", self.name(), type(exc).__name__, mask_text(str(exc)))
            logger.debug("%s traceback", self.name(), exc_info=True)
            del dispatcher.messages[already_said:]
            ctx.say(ctx.t("internal_error"))
        return []


# --------------------------------------------------------------------------- parcels

Shipments = dict[str, Shipment | None]


def say_not_found(ctx: Context, key: str) -> None:
    """Say honestly that a number is unknown (never guess a status)."""
    ctx.say(not_found.not_found_text(ctx.lang, key))


# --------------------------------------------------------------------------- yes / no

ReplyHandler = Callable[[Context], list[EventType]]


@dataclass(frozen=True)
class AwaitedAnswer:
    on_affirm: ReplyHandler
    on_deny: ReplyHandler


AWAITED_ANSWERS: dict[str, AwaitedAnswer] = {}


@dataclass(frozen=True)
class AwaitedInput:
    """Free input the bot waits for (slot `awaiting`): `accepts` says whether a message holds it."""

    accepts: Callable[[Context], bool]
    handle: ReplyHandler


# e.g. a phone number to call back (actions/cases.py). Every ParcelAction hands a message that
# holds it to `handle`; the verification and fallback actions also hand over one that does
# not (to be told what is missing).
AWAITED_INPUT: dict[str, AwaitedInput] = {}
# Messages about a case (a reference, "进度呢" …) and their answer (actions/cases.py registers it).
CASE_REFERENCE_HANDLER: list[AwaitedInput] = []
# Messages asking to find parcels without a number (phone + check; actions/lookup.py registers it).
LOOKUP_REQUEST_HANDLER: list[AwaitedInput] = []

# Run after every answer of a ParcelAction (that reads feelings): (context, the answer's events,
# the index of the turn's first bot message) -> the turn's events (actions/feelings.py).
TurnHook = Callable[[Context, list[EventType], int], list[EventType]]
TURN_HOOKS: list[TurnHook] = []


def awaiting_answer(name: str, on_affirm: ReplyHandler, on_deny: ReplyHandler) -> None:
    """Register what "yes" and "no" do while the `awaiting` slot is `name`."""
    AWAITED_ANSWERS[name] = AwaitedAnswer(on_affirm, on_deny)
