"""The satisfaction question for conversations the bot handled alone: asked once, at
the end, without nagging.

"The end" is either the customer saying goodbye (the bot's goodbye reply carries
`{"conversation_end": true}` in its custom payload) or a quiet conversation: the bot
answered the customer's last message, nobody wrote for CSAT_BOT_IDLE_MINUTES, and the
bot is not waiting for anything (no slot `awaiting` / `pending_topic`, no active form
in its tracker). It is never asked in a conversation that involved a human (those are
asked when the agent resolves) or that opened a case (the case is rated when it is
resolved), never twice in one conversation, and a customer is asked at most once per
CSAT_BOT_MIN_INTERVAL_HOURS (counting the cases' rating questions too)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.cases.models import CaseConversation, CaseCsat
from bot.clock import utcnow
from bot.config import Settings
from bot.contract import ConversationState
from bot.gateway import texts
from bot.gateway.db import Database, add_message
from bot.gateway.hub import Hub
from bot.gateway.locks import KeyedLocks
from bot.gateway.messages import OutboundMessage
from bot.gateway.models import Conversation, ConversationStats, Message
from bot.gateway.outbound import ChannelRegistry
from bot.gateway.rasa_client import RasaClient, RasaUnavailable

logger = logging.getLogger(__name__)

END_MARKER = "conversation_end"
# Slots of the bot that say it waits for an answer (see domain.yml).
_WAITING_SLOTS = ("awaiting", "pending_topic")
_BATCH = 50


class BotSurvey:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        rasa: RasaClient,
        registry: ChannelRegistry,
        hub: Hub,
        locks: KeyedLocks,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.db = db
        self.rasa = rasa
        self.registry = registry
        self.hub = hub
        self.locks = locks
        self.clock = clock
        # Quiet conversations found mid-flow, with the last activity seen then (re-checked after new activity).
        self._mid_flow: dict[str, datetime] = {}

    def eligible(self, session: Session, conversation: Conversation, now: datetime) -> bool:
        """Whether the conversation may be asked now: with the bot, never handed off, not asked
        before, the customer wrote and the bot answered, the customer not asked recently."""
        if conversation.state != ConversationState.BOT.value:
            return False
        stats = session.get(ConversationStats, conversation.id)
        if stats is None or stats.handoff_at is not None or stats.csat_asked_at is not None:
            return False
        if not stats.customer_messages or not stats.bot_messages:
            return False
        if (
            session.execute(
                select(CaseConversation.case_id).where(CaseConversation.conversation_id == conversation.id).limit(1)
            ).first()
            is not None
        ):
            return False
        since = now - timedelta(hours=self.settings.csat_bot_min_interval_hours)
        same_customer = (
            Conversation.channel == conversation.channel,
            Conversation.channel_user_id == conversation.channel_user_id,
        )
        asked_by_bot = (
            select(ConversationStats.conversation_id)
            .join(Conversation, Conversation.id == ConversationStats.conversation_id)
            .where(*same_customer, ConversationStats.csat_asked_at > since)
        )
        asked_for_a_case = (
            select(CaseCsat.id)
            .join(Conversation, Conversation.id == CaseCsat.conversation_id)
            .where(*same_customer, CaseCsat.asked_at > since)
        )
        return session.execute(asked_by_bot.union_all(asked_for_a_case).limit(1)).first() is None

    def ask(self, session: Session, conversation: Conversation, now: datetime, pushed: bool = True) -> Message | None:
        """Store the question and wait for the rating (CSAT_PENDING); None if another
        process asked first. `pushed=False`: it goes out in the reply being built."""
        claimed = session.execute(
            update(ConversationStats)
            .where(ConversationStats.conversation_id == conversation.id, ConversationStats.csat_asked_at.is_(None))
            .values(csat_asked_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            return None
        language = conversation.language
        conversation.state = ConversationState.CSAT_PENDING.value
        conversation.updated_at = now
        return add_message(
            session,
            conversation,
            "system",
            texts.text("csat_question_bot", language),
            {"buttons": texts.csat_buttons(language)},
            pushed=pushed,
            now=now,
        )

    async def ask_quiet_conversations(self) -> int:
        """Monitor step: ask the quiet conversations that are over. Returns how many were asked."""
        idle = self.settings.csat_bot_idle_minutes
        if idle <= 0:
            return 0
        now = self.clock()
        quiet_since = now - timedelta(minutes=idle)
        not_before = now - timedelta(minutes=self.settings.conversation_timeout_minutes)
        with self.db.session() as session:
            rows = session.execute(
                select(
                    Conversation.id,
                    Conversation.channel,
                    Conversation.channel_user_id,
                    ConversationStats.last_message_at,
                )
                .join(ConversationStats, ConversationStats.conversation_id == Conversation.id)
                .where(
                    ConversationStats.last_message_at <= quiet_since,
                    ConversationStats.last_message_at > not_before,
                    Conversation.state == ConversationState.BOT.value,
                    ConversationStats.csat_asked_at.is_(None),
                    ConversationStats.handoff_at.is_(None),
                    ConversationStats.unanswered_since.is_(None),
                    ConversationStats.bot_messages > 0,
                )
                .order_by(ConversationStats.last_message_at)
                .limit(_BATCH)
            ).all()
        self._mid_flow = {cid: seen for cid, seen in self._mid_flow.items() if seen > not_before}
        asked = 0
        for conversation_id, channel, user_id, last_message_at in rows:
            if self._mid_flow.get(conversation_id) == last_message_at:
                continue
            try:
                state = await self.rasa.dialogue_state(conversation_id)
            except RasaUnavailable as error:
                logger.info("satisfaction question postponed, the bot's state is unavailable: %s", error)
                return asked
            if state["active_loop"] or any(state["slots"].get(name) for name in _WAITING_SLOTS):
                self._mid_flow[conversation_id] = last_message_at
                continue
            async with self.locks.hold((channel, user_id)):
                asked += await self._ask_if_still_quiet(conversation_id, last_message_at)
        return asked

    async def _ask_if_still_quiet(self, conversation_id: str, last_message_at: datetime) -> int:
        now = self.clock()
        with self.db.session() as session:
            conversation = session.get(Conversation, conversation_id)
            stats = session.get(ConversationStats, conversation_id)
            if conversation is None or stats is None or stats.last_message_at != last_message_at:
                return 0  # the customer wrote in the meantime
            if not self.eligible(session, conversation, now):
                return 0
            message = self.ask(session, conversation, now)
            if message is None:
                return 0
            verified = bool(conversation.verified)
        await self.registry.deliver(conversation, OutboundMessage.from_row(message))
        await self.hub.message(message, verified, None)
        await self.hub.conversation_updated(conversation_id, ConversationState.CSAT_PENDING.value, None)
        return 1
