"""The customer side: every channel hands customer messages to
`Router.handle_customer_message` and sends back the replies it returns.

Per customer, messages are stored the moment they arrive and then processed one at a
time in arrival order (a FIFO lock per conversation), so replies come back in the
order the customer's messages were sent even when they type fast."""

from __future__ import annotations

import json
import logging
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.cases import wording
from bot.clock import utcnow
from bot.config import Settings
from bot.contract import (
    ConversationState,
    HandoffCategory,
    HandoffPayload,
    HandoffReason,
    Language,
    MessageRole,
    Priority,
)
from bot.gateway import payloads, stats, texts
from bot.gateway.db import Database, active_handoff, add_message, open_conversation, resolved_handoff
from bot.gateway.hub import Hub
from bot.gateway.inputs import clean_text
from bot.gateway.locks import KeyedLocks
from bot.gateway.messages import OutboundMessage
from bot.gateway.models import Conversation, CsatAnswer, Handoff, Message
from bot.gateway.queue import QueueService
from bot.gateway.rasa_client import RasaClient, RasaUnavailable, from_rasa_reply
from bot.gateway.ratelimit import CustomerLimits, MemoryBuckets
from bot.gateway.survey import END_MARKER, BotSurvey
from bot.gateway.telemetry import Telemetry
from bot.nlu.text import guess_language
from bot.security import SENDER_PROVEN

logger = logging.getLogger(__name__)

# The bot's custom message announcing the cases of a turn (actions/base.py CASES_PAYLOAD).
CASES_PAYLOAD = "cases"

_CSAT_WORDS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CSAT_RE = re.compile(r"^\s*([1-5一二两三四五])\s*(分|星|颗星|stars?|points?)?\s*[。.!！]?\s*$", re.IGNORECASE)
_MAX_METADATA_BYTES = 4000


def parse_csat(text: str) -> int | None:
    """1..5 from an answer like "5", "５", "4分", "五星", "3 stars"; None otherwise."""
    match = _CSAT_RE.match(unicodedata.normalize("NFKC", text or ""))
    if not match:
        return None
    value = match.group(1)
    return int(value) if value.isdigit() else _CSAT_WORDS[value]


# Latin text that says nothing about the language the customer writes in.
_NOT_LANGUAGE = re.compile(
    r"(?:https?://|www\.)\S+"  # links
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
)


def customer_language(text: str, current: str) -> str:
    """The conversation's language after this customer message. Only real words
    switch it (see guess_language: two English words or a clear English one); a
    button's intent payload ("/choose_time_window{...}"), a link or an e-mail
    address pasted into a Chinese chat keep the current language."""
    if text.lstrip().startswith("/"):
        return current
    return guess_language(_NOT_LANGUAGE.sub(" ", text), default=current)


def _safe_metadata(metadata: Any) -> dict[str, Any]:
    if not isinstance(metadata, dict):
        return {}
    try:  # sent on to Rasa as UTF-8 JSON: it must encode, and stay small
        encoded = json.dumps(metadata, ensure_ascii=False, default=str).encode("utf-8")
    except (TypeError, ValueError, RecursionError):
        return {}
    return metadata if len(encoded) <= _MAX_METADATA_BYTES else {}


class SlowDown(Exception):
    """A customer message refused by the rate limits or the cap on waiting messages
    (raised only for callers that answer it themselves: REST's 429)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"slow down: retry after {retry_after:.1f} s")
        self.retry_after = retry_after


@dataclass
class _Turn:
    """What one processed customer message produced."""

    replies: list[OutboundMessage]
    conversation_id: str
    customer_message_id: int


class Router:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        rasa: RasaClient,
        hub: Hub,
        queue: QueueService,
        locks: KeyedLocks,
        clock: Callable[[], datetime] = utcnow,
        survey: BotSurvey | None = None,
        telemetry: Telemetry | None = None,
        limits: CustomerLimits | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.rasa = rasa
        self.hub = hub
        self.queue = queue
        self.locks = locks
        self.clock = clock
        self.survey = survey
        self.telemetry = telemetry or Telemetry()
        self.limits = limits or CustomerLimits("off", "off", MemoryBuckets())
        # Messages of each conversation being answered or waiting for their turn (bounded).
        self._in_flight: dict[tuple[str, str], int] = {}

    async def handle_customer_message(
        self,
        channel: str,
        channel_user_id: str,
        text: str,
        metadata: dict[str, Any] | None = None,
        client: str | None = None,
        proven: bool = True,
        polite: bool = True,
        rate_key: str | None = None,
    ) -> list[OutboundMessage]:
        """Store the message, then answer it (in arrival order for this customer).
        `client`: who sends it as far as the channel can tell (an address key, see
        bot/gateway/clients.py); the bot's verification lockout counts failures per client.
        `proven`: false when the sender could not prove to be the conversation's customer
        (bot/gateway/customer_sessions.py): the bot then uses none of its verifications.

        Too many messages (RATE_LIMIT_CONVERSATION per conversation, RATE_LIMIT_CLIENT per
        client, MAX_PENDING_MESSAGES waiting behind the one being answered) are refused
        before anything is stored: answered once with a polite "please slow down" (then
        silently until a message gets through), or with `polite=False` by raising
        `SlowDown` (REST answers 429). `rate_key`: the conversation's key for the limits
        (default channel:user; REST keeps strangers posting as a sender apart)."""
        text = clean_text(text or "")[: self.settings.max_message_chars]
        if not text.strip():
            return []  # nothing was said (only control characters)
        key = (channel, channel_user_id)
        conversation_key = rate_key or f"{channel}:{channel_user_id}"
        if self._in_flight.get(key, 0) > self.settings.max_pending_messages:
            wait = 1.0  # the waiting ones are answered first
        else:
            wait = await self.limits.admit(conversation_key, client or f"{channel}:{channel_user_id}")
        if wait > 0:
            logger.info("%s message refused: too many (retry in %.1f s)", channel, wait)
            if not polite:
                raise SlowDown(wait)
            return self._slow_down(channel, channel_user_id, conversation_key, text)
        self._in_flight[key] = self._in_flight.get(key, 0) + 1
        try:
            return await self._handle(channel, channel_user_id, text, metadata, client, proven)
        finally:
            left = self._in_flight[key] - 1
            if left:
                self._in_flight[key] = left
            else:
                del self._in_flight[key]

    def _slow_down(self, channel: str, channel_user_id: str, conversation_key: str, text: str) -> list[OutboundMessage]:
        """The polite refusal, once per burst, in the conversation's language."""
        if not self.limits.first_refusal(conversation_key):
            return []
        with self.db.session() as session:
            conversation = open_conversation(session, channel, channel_user_id)
            language = conversation.language if conversation is not None else None
        return [self._system("slow_down", language or customer_language(text, Language.ZH))]

    async def _handle(
        self,
        channel: str,
        channel_user_id: str,
        text: str,
        metadata: dict[str, Any] | None,
        client: str | None,
        proven: bool,
    ) -> list[OutboundMessage]:
        # What Rasa gets: the customer's metadata (size-checked), then the gateway's own keys,
        # which the customer cannot set.
        metadata = {
            **_safe_metadata(metadata),
            "channel": channel,
            "client": client or f"{channel}:{channel_user_id}",
        }
        metadata.pop(SENDER_PROVEN, None)
        if not proven:
            metadata[SENDER_PROVEN] = False
        started = time.perf_counter()
        self.telemetry.message_in(channel)
        now = self.clock()
        # Stored before anything else (no await before the lock is queued for).
        with self.db.session() as session:
            conversation = open_conversation(session, channel, channel_user_id)
            if conversation is not None and self._timed_out(session, conversation, now):
                conversation.state = ConversationState.CLOSED  # the customer comes back later: a new contact
                conversation.updated_at = now
                conversation = None
            if conversation is None:
                conversation = self._open_or_new(session, channel, channel_user_id, now)
            message = self._store_customer_message(session, conversation, text, now)
        async with self.locks.hold((channel, channel_user_id), ticket=message.id):
            turn = await self._process(channel, channel_user_id, message, text, metadata)
        self.telemetry.messages_out(channel, len(turn.replies))
        self.telemetry.turn_seconds.labels(channel=channel).observe(time.perf_counter() - started)
        return turn.replies

    # --- storage helpers ---------------------------------------------------

    def _timed_out(self, session: Session, conversation: Conversation, now: datetime) -> bool:
        """A conversation with the bot (or one the bot asked to rate) that has been quiet for
        CONVERSATION_TIMEOUT_MINUTES is over: the customer's next message starts a new one.
        Conversations with a human, in the queue or left as a ticket stay open."""
        if conversation.state not in (ConversationState.BOT, ConversationState.CSAT_PENDING):
            return False
        if (
            conversation.state == ConversationState.CSAT_PENDING
            and resolved_handoff(session, conversation.id) is not None
        ):
            return False  # an agent's chat waits for its rating as before
        last = conversation.last_customer_message_at or conversation.created_at
        return now - last > timedelta(minutes=self.settings.conversation_timeout_minutes)

    def _new_conversation(self, session: Session, channel: str, channel_user_id: str, now: datetime) -> Conversation:
        conversation = Conversation(
            channel=channel,
            channel_user_id=channel_user_id,
            state=ConversationState.BOT,
            language=Language.ZH,
            verified=False,
            created_at=now,
            updated_at=now,
        )
        session.add(conversation)
        session.flush()
        stats.open_conversation(session, conversation)
        self.queue.cases.link_earlier_cases(session, conversation, now)  # the customer's open cases follow
        return conversation

    def _open_or_new(self, session: Session, channel: str, channel_user_id: str, now: datetime) -> Conversation:
        """The customer's open conversation, or a new one. Another gateway instance may open
        it at the same moment: the database keeps one (uq_gw_conversations_open), and the
        loser of that race takes the winner's conversation."""
        for _ in range(3):
            existing = open_conversation(session, channel, channel_user_id)
            if existing is not None:
                return existing
            if session.get_bind().dialect.name == "sqlite":
                # One writer at a time, and no await between the read and the insert.
                return self._new_conversation(session, channel, channel_user_id, now)
            try:
                with session.begin_nested():  # only the insert is undone on a conflict
                    return self._new_conversation(session, channel, channel_user_id, now)
            except IntegrityError:
                logger.info("a %s conversation was opened by another instance at the same moment: using it", channel)
        raise RuntimeError("could not open a conversation (conflicting inserts)")

    @staticmethod
    def _customer_activity(conversation: Conversation, text: str, now: datetime) -> None:
        conversation.language = customer_language(text, conversation.language or Language.ZH)
        conversation.last_customer_message_at = now
        conversation.updated_at = now

    def _store_customer_message(
        self, session: Session, conversation: Conversation, text: str, now: datetime
    ) -> Message:
        self._customer_activity(conversation, text, now)
        message = add_message(session, conversation, MessageRole.CUSTOMER, text, now=now)
        stats.note_parcels_in_text(session, conversation.id, text, now)
        return message

    @staticmethod
    def _store_replies(
        session: Session, conversation: Conversation, replies: list[OutboundMessage], now: datetime
    ) -> list[Message]:
        rows = []
        for reply in replies:
            row = add_message(session, conversation, reply.role, reply.text, reply.payload(), now=now)
            reply.id, reply.created_at = row.id, row.created_at
            rows.append(row)
        return rows

    async def _tell_agents(
        self,
        conversation_id: str,
        rows: list[Message],
        verified: bool,
        handoff: Handoff | None,
        queued_state: str | None = None,
    ) -> None:
        """Show stored messages live in the consoles that follow the conversation; with
        `queued_state`, the conversation has just (re)entered the queue (or a ticket)."""
        for row in rows:
            await self.hub.message(row, verified, handoff)
        if queued_state is not None:
            await self.hub.queue_changed()
            await self.hub.conversation_updated(conversation_id, queued_state, handoff)

    def _system(self, key: str, language: str, **values: Any) -> OutboundMessage:
        return OutboundMessage(role=MessageRole.SYSTEM, text=texts.text(key, language, **values))

    # --- processing -------------------------------------------------------

    async def _process(
        self, channel: str, channel_user_id: str, message: Message, text: str, metadata: dict[str, Any] | None
    ) -> _Turn:
        """`message`: the stored customer message (a detached row)."""
        now = self.clock()
        message_id = message.id
        with self.db.session() as session:
            conversation = session.get(Conversation, message.conversation_id)
            if conversation.state == ConversationState.CLOSED:
                # Closed while this message waited its turn (e.g. the CSAT answer before it):
                # it opens the customer's next conversation.
                old_id = message.conversation_id
                conversation = self._open_or_new(session, channel, channel_user_id, now)
                message = session.get(Message, message_id)
                message.conversation_id = conversation.id
                self._customer_activity(conversation, text, now)
                stats.move_customer_message(session, old_id, conversation, now)
                stats.note_parcels_in_text(session, conversation.id, text, now)
            state = conversation.state
            conversation_id = conversation.id
            # Only a queued or assigned conversation has an active handoff (every transition
            # to the other states closes it), so the common bot turn skips the query.
            handoff = (
                active_handoff(session, conversation_id)
                if state in (ConversationState.QUEUED, ConversationState.AGENT)
                else None
            )
        if state != ConversationState.CSAT_PENDING:  # a rating is shown with its outcome (_csat_turn)
            await self.hub.message(message, conversation.verified, handoff)

        if state == ConversationState.BOT:
            return await self._bot_turn(conversation_id, message_id, text, metadata, channel=conversation.channel)
        if state == ConversationState.QUEUED:
            return await self._queued_turn(conversation_id, message_id)
        if state == ConversationState.AGENT:
            return _Turn([], conversation_id, message_id)  # the agent sees it in the console
        if state == ConversationState.CSAT_PENDING:
            return await self._csat_turn(channel, channel_user_id, conversation_id, message_id, text, metadata)
        if state == ConversationState.TICKET:
            return await self._ticket_turn(conversation_id, message_id, text)
        logger.error("conversation %s in unknown state %r", conversation_id, state)
        return _Turn([], conversation_id, message_id)

    async def _bot_turn(
        self,
        conversation_id: str,
        message_id: int,
        text: str,
        metadata: dict[str, Any] | None,
        channel: str | None = None,
    ) -> _Turn:
        case_turn = await self._case_turn(conversation_id, message_id, text)
        if case_turn is not None:
            return case_turn
        if payloads.looks_like_payload(text):  # only a payload needs the buttons the bot offered
            with self.db.session() as session:
                offered, first_message = self._offered_payloads(session, conversation_id, message_id)
            bot_text = payloads.for_the_bot(text, offered, first_message)
        else:
            bot_text = text
        if channel is None:
            with self.db.session() as session:
                channel = session.get(Conversation, conversation_id).channel
        rasa_metadata = {**(metadata or {}), "channel": channel}
        if bot_text is None:
            return _Turn([], conversation_id, message_id)  # only slashes: nothing to answer
        if bot_text != text:
            logger.info("conversation %s: an intent payload the bot did not offer is read as text", conversation_id)
        try:
            raw = await self.rasa.send_message(conversation_id, bot_text, rasa_metadata)
        except RasaUnavailable as error:
            logger.warning("Rasa unavailable for conversation %s: %s", conversation_id, error)
            return await self._busy_turn(conversation_id, message_id, text)

        replies: list[OutboundMessage] = []
        handoff_info: HandoffPayload | None = None
        announced: list[dict[str, Any]] = []
        conversation_end = False
        private = ("handoff", CASES_PAYLOAD, END_MARKER)  # between the bot and the gateway
        for item in raw:
            reply = from_rasa_reply(item)
            if reply is None:
                continue
            if reply.custom is not None and any(key in reply.custom for key in private):
                if "handoff" in reply.custom:
                    handoff_info = HandoffPayload.parse(reply.custom.get("handoff"))
                cases = reply.custom.get(CASES_PAYLOAD)
                if isinstance(cases, list):
                    announced += [c for c in cases[:20] if isinstance(c, dict)]
                conversation_end = conversation_end or reply.custom.get(END_MARKER) is True
                rest = {k: v for k, v in reply.custom.items() if k not in private}
                reply.custom = rest or None
                if reply.text is None and not reply.buttons and reply.image is None and reply.custom is None:
                    continue
            replies.append(reply)

        now = self.clock()
        with self.db.session() as session:
            conversation = session.get(Conversation, conversation_id)
            if announced:  # the bot opened cases: evidence upload links for those that collect it
                replies += self.queue.cases.bot_case_messages(session, conversation, announced, now)
            rows = self._store_replies(session, conversation, replies, now)
            if handoff_info is not None and conversation.state == ConversationState.BOT:
                # The bot's own message already said a colleague takes over.
                after_bot = any(reply.text for reply in replies)
                notices = self._start_handoff(session, conversation, handoff_info, now, after_bot=after_bot)
                rows += self._store_replies(session, conversation, notices, now)
                replies += notices
            elif conversation_end and self.survey is not None and self.survey.eligible(session, conversation, now):
                question = self.survey.ask(session, conversation, now, pushed=False)
                if question is not None:  # goes out with the goodbye
                    rows.append(question)
                    replies.append(OutboundMessage.from_row(question))
            verified, state = conversation.verified, conversation.state
            handoff = (
                active_handoff(session, conversation_id)
                if state in (ConversationState.QUEUED, ConversationState.AGENT)
                else None
            )
        await self._tell_agents(conversation_id, rows, verified, handoff, state if handoff_info else None)
        if announced:
            await self.queue.cases.cases_changed()
        return _Turn(replies, conversation_id, message_id)

    async def _case_turn(self, conversation_id: str, message_id: int, text: str) -> _Turn | None:
        """A message that belongs to a case rather than to the bot: the rating of a resolved case,
        or the customer's answer to a case that waits for them. None: the bot answers."""
        now = self.clock()
        cases = self.queue.cases
        with self.db.session() as session:
            conversation = session.get(Conversation, conversation_id)
            reply: OutboundMessage | None = None
            pending = cases.pending_csat(session, conversation_id, now)
            if pending is not None:
                score = parse_csat(text)
                cases.record_csat(session, pending, score, now)
                if score is not None:
                    reply = OutboundMessage(role=MessageRole.SYSTEM, text=wording.csat_thanks(conversation.language))
            if reply is None and not text.lstrip().startswith("/"):  # a button's intent is not an answer
                waiting = cases.waiting_case(session, conversation_id)
                if waiting is not None:
                    reply = cases.customer_answered(session, waiting, text, now)
            if reply is None:
                return None
            rows = self._store_replies(session, conversation, [reply], now)
            stats.mark_answered(session, conversation_id)  # the case's answer is the reply
            handoff = active_handoff(session, conversation_id)
            verified = conversation.verified
        await self._tell_agents(conversation_id, rows, verified, handoff)
        await cases.cases_changed()
        return _Turn([reply], conversation_id, message_id)

    @staticmethod
    def _offered_payloads(session: Session, conversation_id: str, message_id: int) -> tuple[list[str], bool]:
        """The button payloads of the bot's last reply before customer message `message_id`
        (the messages since the customer's previous one), and whether this is the
        conversation's first message."""
        previous = session.execute(
            select(func.max(Message.id)).where(
                Message.conversation_id == conversation_id, Message.role == "customer", Message.id < message_id
            )
        ).scalar_one()
        replies = (
            session.execute(
                select(Message.payload).where(
                    Message.conversation_id == conversation_id,
                    Message.role == "bot",
                    Message.id > (previous or 0),
                    Message.id < message_id,
                )
            )
            .scalars()
            .all()
        )
        offered = [
            str(button.get("payload") or "")
            for payload in replies
            if isinstance(payload, dict)
            for button in payload.get("buttons") or []
            if isinstance(button, dict)
        ]
        first = (
            previous is None
            and not session.execute(
                select(Message.id).where(Message.conversation_id == conversation_id, Message.id < message_id).limit(1)
            ).first()
        )
        return offered, first

    def _start_handoff(
        self,
        session: Session,
        conversation: Conversation,
        info: HandoffPayload,
        now: datetime,
        busy: bool = False,
        pending_text: str | None = None,
        after_bot: bool = False,
    ) -> list[OutboundMessage]:
        """Queue the conversation (or, outside staffed hours, offer to leave a message).
        `after_bot`: the bot has just told the customer it transfers them, so the notice
        only adds the place and wait (or, after hours, corrects that nobody can join);
        `busy` (Rasa down or slow) says so first, then gives the place and wait."""
        language = info.language or conversation.language
        notices: list[OutboundMessage] = []
        stats.note_handoff(session, conversation.id, info.reason, info.category, now)
        stats.note_parcels(session, conversation.id, info.tracking_numbers, now)
        if not self.queue.staffed(now):
            case = self.queue.open_ticket(session, conversation, info, now, first_text=pending_text if busy else None)
            key = "after_hours_after_bot" if after_bot else "after_hours"
            notices.append(
                self._system(
                    key,
                    language,
                    hours=self.settings.staffed_hours,
                    reference=case.reference,
                    due=wording.by_text(language, case.due_at, now),
                )
            )
            return notices
        handoff = self.queue.enqueue(session, conversation, info, now)
        position, minutes = self.queue.estimate(session, handoff, now)
        if busy:
            notices.append(self._system("busy", language))
        key = "queue_position" if after_bot or busy else "queued"
        notices.append(self._system(key, language, position=position, minutes=minutes))
        return notices

    async def _busy_turn(self, conversation_id: str, message_id: int, text: str) -> _Turn:
        now = self.clock()
        with self.db.session() as session:
            conversation = session.get(Conversation, conversation_id)
            info = HandoffPayload(
                reason=HandoffReason.SYSTEM_BUSY,
                category=HandoffCategory.CONSULTATION,
                priority=Priority.HIGH,
                language=Language.get(conversation.language, Language.ZH),
            )
            notices = self._start_handoff(session, conversation, info, now, busy=True, pending_text=text)
            rows = self._store_replies(session, conversation, notices, now)
            handoff = active_handoff(session, conversation_id)
            verified, state = conversation.verified, conversation.state
        await self._tell_agents(conversation_id, rows, verified, handoff, state)
        return _Turn(notices, conversation_id, message_id)

    async def _queued_turn(self, conversation_id: str, message_id: int) -> _Turn:
        now = self.clock()
        with self.db.session() as session:
            conversation = session.get(Conversation, conversation_id)
            handoff = active_handoff(session, conversation_id)
            if handoff is None:  # inconsistent (should not happen): let the bot answer
                conversation.state = ConversationState.BOT
                return _Turn([], conversation_id, message_id)
            interval = timedelta(seconds=self.settings.queue_notice_interval_s)
            if conversation.last_notice_at is not None and now - conversation.last_notice_at < interval:
                return _Turn([], conversation_id, message_id)  # not too chatty
            position, minutes = self.queue.estimate(session, handoff, now)
            notice = self._system("still_queued", conversation.language, position=position, minutes=minutes)
            rows = self._store_replies(session, conversation, [notice], now)
            conversation.last_notice_at = now
            verified = conversation.verified
        await self._tell_agents(conversation_id, rows, verified, handoff)
        return _Turn([notice], conversation_id, message_id)

    async def _csat_turn(
        self,
        channel: str,
        channel_user_id: str,
        conversation_id: str,
        message_id: int,
        text: str,
        metadata: dict[str, Any] | None,
    ) -> _Turn:
        """The customer's answer to the satisfaction question: stored, thanked, and shown
        live to the agent who resolved the chat. Anything else skips the survey: after an
        agent's chat it starts a fresh conversation with the bot; after the bot's own
        question the conversation goes on with the bot (it is not asked again)."""
        score = parse_csat(text)
        now = self.clock()
        if score is None:
            with self.db.session() as session:
                conversation = session.get(Conversation, conversation_id)
                bot_only = resolved_handoff(session, conversation_id) is None
                if bot_only:
                    conversation.state = ConversationState.BOT
                    conversation.updated_at = now
                    message = session.get(Message, message_id)
                    verified = bool(conversation.verified)
            if bot_only:
                await self.hub.conversation_updated(conversation_id, ConversationState.BOT, None)
                await self.hub.message(message, verified, None)
                return await self._bot_turn(conversation_id, message_id, text, metadata)
        with self.db.session() as session:
            conversation = session.get(Conversation, conversation_id)
            conversation.state = ConversationState.CLOSED
            conversation.updated_at = now
            resolved = resolved_handoff(session, conversation_id)
            if score is None:
                fresh = self._open_or_new(session, channel, channel_user_id, now)
                fresh.language = conversation.language
                message = session.get(Message, message_id)
                message.conversation_id = fresh.id
                fresh_id = fresh.id
                stats.move_customer_message(session, conversation_id, fresh, now)
                stats.note_parcels_in_text(session, fresh_id, text, now)
            else:
                session.add(
                    CsatAnswer(
                        conversation_id=conversation_id,
                        handoff_id=resolved.id if resolved else None,
                        score=score,
                        created_at=now,
                    )
                )
                thanks = self._system("csat_thanks", conversation.language)
                rows = [session.get(Message, message_id), *self._store_replies(session, conversation, [thanks], now)]
                stats.mark_answered(session, conversation_id)
            verified = conversation.verified
        if score is None:
            await self.hub.conversation_updated(conversation_id, ConversationState.CLOSED, resolved)
            await self.hub.message(message, False, None)  # supervisors: it opened a new conversation
            return await self._bot_turn(fresh_id, message_id, text, metadata)
        for row in rows:
            await self.hub.message(row, verified, resolved)
        await self.hub.conversation_updated(conversation_id, ConversationState.CLOSED, resolved, csat=score)
        return _Turn([thanks], conversation_id, message_id)

    async def _ticket_turn(self, conversation_id: str, message_id: int, text: str) -> _Turn:
        now = self.clock()
        with self.db.session() as session:
            conversation = session.get(Conversation, conversation_id)
            if self.queue.staffed(now):
                # Agents are back: the customer who wanted a human goes to the queue.
                info = HandoffPayload.parse(conversation.handoff_request or {})
                notices = self._start_handoff(session, conversation, info, now)
                queued = True
            else:
                case = self.queue.add_ticket(session, conversation, text, now)
                notices = [
                    self._system(
                        "ticket_received",
                        conversation.language,
                        reference=case.reference,
                        due=wording.by_text(conversation.language, case.due_at, now),
                    )
                ]
                queued = False
            rows = self._store_replies(session, conversation, notices, now)
            handoff = active_handoff(session, conversation_id)
            verified, state = conversation.verified, conversation.state
        await self._tell_agents(conversation_id, rows, verified, handoff, state if queued else None)
        return _Turn(notices, conversation_id, message_id)
