"""The topic registry: the questions about one or more parcels, each declared once,
next to its handler, with everything the assistant needs to know about it.

    @topic(
        conversation.DELAY,
        action="action_explain_delay",
        purpose=("查看延误原因", "find out what is holding it up"),
        done=("解释延误情况", "explained the delay"),
        category=HandoffCategory.DELAY,
    )
    def delay(ctx: Context, shipments: Shipments) -> list[EventType]: ...

declares the topic's name (the `pending_topic` / `current_topic` slot value), the Rasa
action answering it (generated here: a `TopicAction` named `action`), what the customer
is asked a number for ("请提供运单号，我帮您{purpose}"), the step shown to an agent when
the conversation is handed over, the handoff category while the customer is on it, and
whether it can be answered before the customer gives a number. The NLU examples, the
rule mapping its intent to `action`, and the domain entry live with the Rasa data;
tests/actions/test_registration.py checks that each topic has all of it.
docs/adding-a-topic.md has the steps.
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Callable
from dataclasses import dataclass

from rasa_sdk.events import EventType, SlotSet

from actions import conversation, not_found, state, texts
from actions.base import Context, ParcelAction, Shipments
from bot.contract import HandoffCategory
from bot.store.tracking_numbers import looks_like_tracking_number

TopicHandler = Callable[[Context, Shipments], list[EventType]]


@dataclass(frozen=True)
class Topic:
    name: str
    action: str
    # (zh, en): what the assistant asks a tracking number for.
    purpose: tuple[str, str]
    # (zh, en): what the bot did, for the agent's handoff summary.
    done: tuple[str, str]
    handler: TopicHandler
    # The handoff category while the customer is on this topic ...
    category: HandoffCategory | None = None
    # ... or only when the parcels' own facts (an exception, lateness) say nothing.
    category_is_weak: bool = False
    # False: answered usefully before the customer gives a number.
    needs_number: bool = True

    def purpose_text(self, lang: str) -> str:
        return texts.pick(lang, self.purpose)

    def done_text(self, lang: str) -> str:
        return texts.pick(lang, self.done)


TOPICS: dict[str, Topic] = {}
# The generated action classes (rasa_sdk finds them through Action.__subclasses__, which
# only holds weak references).
ACTION_CLASSES: dict[str, type[ParcelAction]] = {}


class TopicAction(ParcelAction, ABC):
    """The action answering one topic about the parcels in the conversation."""

    topic_name: str = ""

    def handle(self, ctx: Context) -> list[EventType]:
        if not conversation.numbers_in_message(ctx.tracker):
            # Something offered as a number that cannot be one is about a new parcel: explain it
            # rather than answer for the parcel of an earlier message.
            attempt = not_found.attempted_number(conversation.latest_text(ctx.tracker))
            if attempt is not None:
                ctx.say(not_found.attempt_text(ctx.lang, attempt))
                return [SlotSet("awaiting", None), SlotSet("pending_topic", self.topic_name)]
        return answer_topic(ctx, self.topic_name, conversation.current_numbers(ctx.tracker))


def _action_class(name: str, action: str) -> type[TopicAction]:
    """The Rasa action of a topic (rasa_sdk registers every concrete Action subclass)."""
    class_name = "".join(part.capitalize() for part in action.split("_"))

    def action_name(self: TopicAction) -> str:
        return action

    return type(class_name, (TopicAction,), {"topic_name": name, "name": action_name, "__module__": __name__})


def topic(
    name: str,
    *,
    action: str,
    purpose: tuple[str, str],
    done: tuple[str, str],
    category: HandoffCategory | None = None,
    category_is_weak: bool = False,
    needs_number: bool = True,
) -> Callable[[TopicHandler], TopicHandler]:
    """Declare a topic and register its handler: the answer once the parcels are looked
    up ({normalised number: shipment or None when not found}, in the customer's order)."""

    def register(handler: TopicHandler) -> TopicHandler:
        if name in TOPICS:
            raise ValueError(f"topic {name!r} is declared twice")
        TOPICS[name] = Topic(name, action, purpose, done, handler, category, category_is_weak, needs_number)
        ACTION_CLASSES[action] = _action_class(name, action)
        return handler

    return register


def topic_of_action(action: str) -> Topic | None:
    return next((t for t in TOPICS.values() if t.action == action), None)


def ask_for_number(ctx: Context, topic_name: str) -> list[EventType]:
    """Ask for the number the topic needs; when the customer offered something that cannot
    be one (a phone number, five digits), say what a tracking number looks like instead."""
    attempt = not_found.attempted_number(conversation.latest_text(ctx.tracker))
    if attempt is not None:
        ctx.say(not_found.attempt_text(ctx.lang, attempt))
    else:
        ctx.say(ctx.t("ask_number", purpose=TOPICS[topic_name].purpose_text(ctx.lang)))
    return [SlotSet("pending_topic", topic_name)]


def answer_topic(ctx: Context, topic_name: str, numbers: list[str]) -> list[EventType]:
    """Answer `topic_name` for `numbers` (asking for a number when needed) and
    record the topic and the parcels that exist in the conversation."""
    declared = TOPICS[topic_name]
    # A new question ends whatever yes/no the bot was waiting for.
    events: list[EventType] = [SlotSet("awaiting", None)]
    if not numbers and declared.needs_number:
        return events + ask_for_number(ctx, topic_name)
    shipments = ctx.lookup(numbers) if numbers else {}
    known = [key for key, shipment in shipments.items() if shipment is not None]
    if known:  # candidates that fit no carrier's format and are not in the store were no numbers
        shipments = {
            key: shipment
            for key, shipment in shipments.items()
            if shipment is not None or looks_like_tracking_number(key)
        }
    # When no number was found the corrected number should resume this question.
    still_pending = bool(numbers) and not known
    # "Where is it?" about a parcel whose delivery failed: its reason and the options.
    topic_name = state.topic_for(topic_name, shipments)
    declared = TOPICS[topic_name]
    events += [
        SlotSet("pending_topic", topic_name if still_pending else None),
        SlotSet("current_topic", topic_name),
    ]
    events += conversation.remember(ctx.tracker, known)
    # A refused, returned, uncollected or cancelled parcel: its state answers the question.
    said, left = state.answer_from_state(ctx.lang, topic_name, shipments)
    for answer in said:
        ctx.say(answer)
    if said and not left:
        return events
    events += declared.handler(ctx, left)
    return events
