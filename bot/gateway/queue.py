"""The human side: handoffs waiting in the queue, claims, agents' replies, escalation,
resolution with the satisfaction question, hand-back to the bot, and the background
monitor (grace period of vanished agents, SLA breaches)."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bot.cases.models import Case
from bot.clock import utcnow
from bot.config import Settings
from bot.contract import AgentRole, AgentTier, ConversationState, HandoffPayload, HandoffStatus, MessageRole
from bot.gateway import texts
from bot.gateway.case_desk import CaseDesk
from bot.gateway.db import (
    Database,
    active_handoff,
    add_message,
    online_agents,
    queue_position,
)
from bot.gateway.hours import is_staffed
from bot.gateway.hub import Hub
from bot.gateway.locks import KeyedLocks
from bot.gateway.messages import OutboundMessage
from bot.gateway.models import Agent, Conversation, Handoff, Message, Note
from bot.gateway.outbound import ChannelRegistry
from bot.gateway.rasa_client import RasaClient, RasaUnavailable
from bot.gateway.serializers import sla_breached
from bot.gateway.telemetry import Telemetry

logger = logging.getLogger(__name__)


class QueueError(Exception):
    """An agent action that cannot be done; `code` goes to the API as {"error": code}."""

    def __init__(self, code: str, status: int) -> None:
        super().__init__(code)
        self.code = code
        self.status = status


def can_take(agent: Agent, handoff: Handoff) -> bool:
    return agent.role == AgentRole.SUPERVISOR or handoff.tier <= agent.tier


def can_view(agent: Agent, handoff: Handoff | None) -> bool:
    """Supervisors see everything; an agent sees waiting items of their tier or below
    and the chats assigned to them."""
    if agent.role == AgentRole.SUPERVISOR:
        return True
    if handoff is None:
        return False
    if handoff.status == HandoffStatus.ASSIGNED:
        return handoff.agent_id == agent.id
    if handoff.status == HandoffStatus.WAITING:
        return handoff.tier <= agent.tier
    return False


def claim_handoff(session: Session, handoff_id: int, agent_id: int, cap: int, now: datetime) -> bool:
    """Atomic claim: one UPDATE that succeeds only while the handoff is still waiting and
    the agent holds fewer than `cap` chats. Of concurrent claims exactly one wins, also
    across several gateway processes sharing a PostgreSQL database."""
    if session.get_bind().dialect.name != "sqlite":
        # Serialise this agent's claims (SQLite already runs one writer at a time): two
        # claims of one agent racing on different items must not both pass the cap.
        session.execute(select(Agent.id).where(Agent.id == agent_id).with_for_update())
    held = (
        select(func.count(Handoff.id))
        .where(Handoff.agent_id == agent_id, Handoff.status == HandoffStatus.ASSIGNED)
        .scalar_subquery()
    )
    result = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == HandoffStatus.WAITING, held < cap)
        .values(status=HandoffStatus.ASSIGNED, agent_id=agent_id, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def transition_handoff(session: Session, handoff: Handoff, **values: Any) -> None:
    """Guarded update: `values` are written only while the handoff's status and agent are
    still those this transaction read, checked by the UPDATE itself. When another gateway
    instance changed it first this raises QueueError("conflict", 409), and the caller's
    transaction rolls back whole (no mixed states)."""
    query = update(Handoff).where(Handoff.id == handoff.id, Handoff.status == handoff.status)
    query = query.where(
        Handoff.agent_id.is_(None) if handoff.agent_id is None else Handoff.agent_id == handoff.agent_id
    )
    result = session.execute(query.values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise QueueError("conflict", 409)
    for name, value in values.items():
        set_committed_value(handoff, name, value)


def transition_conversation(session: Session, conversation: Conversation, **values: Any) -> None:
    """Guarded update of a conversation: only while its state is still the one read (see
    `transition_handoff`)."""
    result = session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, Conversation.state == conversation.state)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise QueueError("conflict", 409)
    for name, value in values.items():
        set_committed_value(conversation, name, value)


@dataclass
class Pushed:
    """A stored message to push to the customer after the transaction commits."""

    conversation: Conversation
    message: Message


class QueueService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        registry: ChannelRegistry,
        hub: Hub,
        rasa: RasaClient,
        locks: KeyedLocks,
        clock: Callable[[], datetime] = utcnow,
        cases: CaseDesk | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.cases = cases or CaseDesk(settings, db, registry, hub, locks, clock)
        self.telemetry = telemetry or Telemetry()
        self.settings = settings
        self.db = db
        self.registry = registry
        self.hub = hub
        self.rasa = rasa
        self.locks = locks
        self.clock = clock
        self._breached_notified: set[int] = set()

    # --- helpers ----------------------------------------------------------

    def staffed(self, now: datetime | None = None) -> bool:
        return is_staffed(now or self.clock(), self.settings.staffed_hours, self.settings.staffed_tz)

    def estimate(self, session: Session, handoff: Handoff, now: datetime) -> tuple[int, int]:
        """(place in the queue, expected wait in minutes)."""
        position = queue_position(session, handoff)
        agents = max(1, online_agents(session, now - timedelta(seconds=self.settings.agent_grace_s)))
        minutes = max(1, math.ceil(position * self.settings.queue_avg_handle_minutes / agents))
        return position, minutes

    @staticmethod
    def conversation_key(conversation: Conversation) -> tuple[str, str]:
        return conversation.channel, conversation.channel_user_id

    def _push(
        self,
        session: Session,
        conversation: Conversation,
        text: str,
        buttons: list[dict[str, str]] | None = None,
        role: str = "system",
        agent_id: int | None = None,
        now: datetime | None = None,
    ) -> Pushed:
        payload = {"buttons": buttons} if buttons else None
        row = add_message(session, conversation, role, text, payload, agent_id=agent_id, pushed=True, now=now)
        return Pushed(conversation, row)

    async def _deliver(
        self, items: list[Pushed], handoff: Handoff | None = None, agent_name: str | None = None
    ) -> None:
        for item in items:
            await self.registry.deliver(item.conversation, OutboundMessage.from_row(item.message))
            await self.hub.message(item.message, item.conversation.verified, handoff, agent_name)

    @asynccontextmanager
    async def _turn(self, conversation_id: str) -> AsyncIterator[None]:
        """Hold the conversation's lock, the one the router holds while it answers the
        customer: agent actions and customer messages of one chat take turns."""
        with self.db.session() as session:
            conversation, _ = self._load(session, conversation_id)
            key = self.conversation_key(conversation)
        async with self.locks.hold(key):
            yield

    async def _announce(self, conversation: Conversation, handoff: Handoff | None) -> None:
        await self.hub.queue_changed()
        await self.hub.conversation_updated(conversation.id, conversation.state, handoff)

    # --- from the router (caller holds the conversation's lock) -------------

    def enqueue(self, session: Session, conversation: Conversation, info: HandoffPayload, now: datetime) -> Handoff:
        """Put the conversation in the queue (or return its already open handoff)."""
        existing = active_handoff(session, conversation.id)
        if existing is not None:
            return existing
        minutes = info.sla_minutes or self.settings.sla_minutes(info.category)
        if session.get_bind().dialect.name != "sqlite":
            # Another instance may queue the same conversation now: the database keeps one
            # active handoff (uq_gw_handoffs_active) and this one takes it.
            try:
                with session.begin_nested():
                    return self._new_handoff(session, conversation, info, now, minutes)
            except IntegrityError:
                existing = active_handoff(session, conversation.id)
                if existing is not None:
                    return existing
                raise
        return self._new_handoff(session, conversation, info, now, minutes)

    @staticmethod
    def _new_handoff(
        session: Session, conversation: Conversation, info: HandoffPayload, now: datetime, minutes: int
    ) -> Handoff:
        handoff = Handoff(
            conversation_id=conversation.id,
            reason=info.reason,
            category=info.category,
            priority=info.priority,
            tier=info.tier or AgentTier.FRONT_LINE,
            tracking_numbers=info.tracking_numbers,
            summary=info.summary,
            customer_tier=info.customer_tier,
            status=HandoffStatus.WAITING,
            waiting_since=now,
            sla_due_at=now + timedelta(minutes=minutes),
        )
        session.add(handoff)
        conversation.state = ConversationState.QUEUED
        conversation.verified = bool(conversation.verified or info.verified)
        if info.language:
            conversation.language = info.language
        conversation.last_notice_at = now
        conversation.updated_at = now
        session.flush()
        return handoff

    def open_ticket(
        self,
        session: Session,
        conversation: Conversation,
        info: HandoffPayload,
        now: datetime,
        first_text: str | None = None,
    ) -> Case:
        """Outside staffed hours: the customer may leave a message (state ticket); the request
        becomes a ticket case that an agent answers when the desk opens."""
        conversation.state = ConversationState.TICKET
        conversation.verified = bool(conversation.verified or info.verified)
        if info.language:
            conversation.language = info.language
        conversation.handoff_request = info.to_dict()
        conversation.updated_at = now
        case = self.cases.open_ticket_case(session, conversation, info.summary, info.tracking_numbers, now)
        if first_text:
            self.cases.ticket_message(session, case, first_text, now)
        return case

    def add_ticket(self, session: Session, conversation: Conversation, text: str, now: datetime) -> Case:
        """A message left outside staffed hours: on the conversation's ticket case."""
        info = HandoffPayload.parse(conversation.handoff_request or {})
        case = self.cases.open_ticket_case(session, conversation, info.summary, info.tracking_numbers, now)
        self.cases.ticket_message(session, case, text, now)
        return case

    # --- agent actions ----------------------------------------------------

    def _load(self, session: Session, conversation_id: str) -> tuple[Conversation, Handoff | None]:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise QueueError("not_found", 404)
        return conversation, active_handoff(session, conversation_id)

    def _owned(self, agent: Agent, handoff: Handoff | None) -> Handoff:
        if handoff is None or handoff.status != HandoffStatus.ASSIGNED:
            raise QueueError("not_assigned", 409)
        if handoff.agent_id != agent.id and agent.role != AgentRole.SUPERVISOR:
            raise QueueError("forbidden", 403)
        return handoff

    async def claim(self, agent: Agent, handoff_id: int) -> Handoff:
        now = self.clock()
        with self.db.session() as session:
            handoff = session.get(Handoff, handoff_id)
            if handoff is None:
                raise QueueError("not_found", 404)
            if not can_take(agent, handoff):
                raise QueueError("forbidden", 403)
            conversation = session.get(Conversation, handoff.conversation_id)
            key = self.conversation_key(conversation)
        async with self.locks.hold(key):
            with self.db.session() as session:
                cap = agent.max_chats or self.settings.agent_max_chats
                if not claim_handoff(session, handoff_id, agent.id, cap, now):
                    current = session.get(Handoff, handoff_id)
                    session.refresh(current)
                    raise QueueError(
                        "already_claimed" if current.status != HandoffStatus.WAITING else "cap_reached", 409
                    )
                handoff = session.get(Handoff, handoff_id)
                session.refresh(handoff)
                conversation = session.get(Conversation, handoff.conversation_id)
                transition_conversation(session, conversation, state=ConversationState.AGENT, updated_at=now)
                self.cases.assign_conversation_tickets(session, conversation.id, agent, now)
                pushed = [
                    self._push(
                        session,
                        conversation,
                        texts.text("agent_joined", conversation.language, name=agent.display_name),
                        now=now,
                    )
                ]
            await self._deliver(pushed, handoff)
            await self._announce(conversation, handoff)
        return handoff

    async def send_agent_message(self, agent: Agent, conversation_id: str, text: str) -> Message:
        now = self.clock()
        async with self._turn(conversation_id):
            with self.db.session() as session:
                conversation, handoff = self._load(session, conversation_id)
                handoff = self._owned(agent, handoff)
                if conversation.state != ConversationState.AGENT:
                    raise QueueError("invalid_state", 409)
                item = self._push(session, conversation, text, role=MessageRole.AGENT, agent_id=agent.id, now=now)
                first = handoff.first_agent_response_at is None
                if first:
                    handoff.first_agent_response_at = now
                conversation.updated_at = now
            if first:
                self.telemetry.first_response_wait.labels(priority=handoff.priority).observe(
                    (now - handoff.waiting_since).total_seconds()
                )
            await self._deliver([item], handoff, agent.display_name)
        return item.message

    def add_note(self, agent: Agent, conversation_id: str, text: str) -> Note:
        with self.db.session() as session:
            conversation, handoff = self._load(session, conversation_id)
            note = Note(
                conversation_id=conversation.id,
                handoff_id=handoff.id if handoff else None,
                agent_id=agent.id,
                text=text,
                created_at=self.clock(),
            )
            session.add(note)
            session.flush()
            return note

    async def escalate(self, agent: Agent, conversation_id: str, note: str) -> tuple[Conversation, Handoff]:
        now = self.clock()
        async with self._turn(conversation_id):
            with self.db.session() as session:
                conversation, handoff = self._load(session, conversation_id)
                handoff = self._owned(agent, handoff)
                if handoff.tier >= 3:
                    raise QueueError("top_tier", 409)  # management is the last line
                old_tier = handoff.tier
                transition_handoff(
                    session, handoff, tier=old_tier + 1, status=HandoffStatus.WAITING, agent_id=None, claimed_at=None
                )
                transition_conversation(
                    session, conversation, state=ConversationState.QUEUED, updated_at=now, last_notice_at=now
                )
                label = f"升级 {old_tier} → {handoff.tier} 级（{agent.display_name}）"
                session.add(
                    Note(
                        conversation_id=conversation.id,
                        handoff_id=handoff.id,
                        agent_id=agent.id,
                        text=f"{label}：{note}" if note else label,
                        created_at=now,
                    )
                )
                pushed = [self._push(session, conversation, texts.text("escalated", conversation.language), now=now)]
            await self._deliver(pushed, handoff)
            await self._announce(conversation, handoff)
        return conversation, handoff

    async def resolve(self, agent: Agent, conversation_id: str) -> tuple[Conversation, Handoff]:
        now = self.clock()
        async with self._turn(conversation_id):
            with self.db.session() as session:
                conversation, handoff = self._load(session, conversation_id)
                if not (
                    handoff is not None
                    and handoff.status == HandoffStatus.WAITING
                    and agent.role == AgentRole.SUPERVISOR
                ):
                    handoff = self._owned(agent, handoff)  # (a supervisor may also close a waiting item)
                transition_handoff(session, handoff, status=HandoffStatus.RESOLVED, resolved_at=now)
                transition_conversation(session, conversation, state=ConversationState.CSAT_PENDING, updated_at=now)
                self.cases.resolve_conversation_tickets(session, conversation.id, agent, now)
                language = conversation.language
                pushed = [
                    self._push(
                        session,
                        conversation,
                        texts.text("csat_question", language),
                        buttons=texts.csat_buttons(language),
                        now=now,
                    )
                ]
            await self._deliver(pushed, handoff)
            await self._announce(conversation, handoff)
        return conversation, handoff

    async def handback(self, agent: Agent, conversation_id: str) -> tuple[Conversation, Handoff]:
        now = self.clock()
        async with self._turn(conversation_id):
            with self.db.session() as session:
                conversation, handoff = self._load(session, conversation_id)
                handoff = self._owned(agent, handoff)
            try:  # the bot resumes with its context, and may hand off again later
                await self.rasa.set_slot(conversation_id, "handed_off", False)
            except RasaUnavailable as error:
                # Without the reset the bot would answer a new request for a person with
                # "a colleague is already on it" while nobody is: the agent keeps the chat.
                logger.warning("hand-back of %s refused, the bot is unavailable: %s", conversation_id, error)
                raise QueueError("bot_unavailable", 503) from error
            with self.db.session() as session:
                conversation, handoff = self._load(session, conversation_id)
                handoff = self._owned(agent, handoff)
                transition_handoff(session, handoff, status=HandoffStatus.RETURNED_TO_BOT, resolved_at=now)
                transition_conversation(session, conversation, state=ConversationState.BOT, updated_at=now)
                pushed = [self._push(session, conversation, texts.text("bot_back", conversation.language), now=now)]
            await self._deliver(pushed, handoff)
            await self._announce(conversation, handoff)
        return conversation, handoff

    # --- background monitor -------------------------------------------------

    async def requeue_stale_assignments(self) -> int:
        """Return the chats of agents unseen for the grace period to the queue (keeping
        their original waiting_since) and tell the customers. Returns how many."""
        now = self.clock()
        connected = self.hub.connected_agent_ids()
        cutoff = now - timedelta(seconds=self.settings.agent_grace_s)
        with self.db.session() as session:
            if connected:
                session.execute(
                    update(Agent)
                    .where(Agent.id.in_(connected))
                    .values(last_seen_at=now)
                    .execution_options(synchronize_session=False)
                )
            rows = session.execute(
                select(Handoff.id, Handoff.agent_id, Conversation.channel, Conversation.channel_user_id)
                .join(Agent, Agent.id == Handoff.agent_id)
                .join(Conversation, Conversation.id == Handoff.conversation_id)
                .where(
                    Handoff.status == HandoffStatus.ASSIGNED,
                    (Agent.last_seen_at.is_(None)) | (Agent.last_seen_at < cutoff),
                )
            ).all()
        count = 0
        for handoff_id, agent_id, channel, user_id in rows:
            if agent_id in connected:
                continue
            async with self.locks.hold((channel, user_id)):
                with self.db.session() as session:
                    released = session.execute(
                        update(Handoff)
                        .where(
                            Handoff.id == handoff_id,
                            Handoff.status == HandoffStatus.ASSIGNED,
                            Handoff.agent_id == agent_id,
                        )
                        .values(status=HandoffStatus.WAITING, agent_id=None, claimed_at=None)
                        .execution_options(synchronize_session=False)
                    ).rowcount
                    if not released:
                        continue
                    handoff = session.get(Handoff, handoff_id)
                    session.refresh(handoff)
                    conversation = session.get(Conversation, handoff.conversation_id)
                    agent = session.get(Agent, agent_id)
                    conversation.state = ConversationState.QUEUED
                    conversation.updated_at = now
                    conversation.last_notice_at = now
                    session.add(
                        Note(
                            conversation_id=conversation.id,
                            handoff_id=handoff.id,
                            agent_id=None,
                            text=f"客服 {agent.display_name if agent else agent_id} 离线超过 "
                            f"{int(self.settings.agent_grace_s)} 秒，会话已自动退回队列",
                            created_at=now,
                        )
                    )
                    position, _ = self.estimate(session, handoff, now)
                    pushed = [
                        self._push(
                            session,
                            conversation,
                            texts.text("requeued", conversation.language, position=position),
                            now=now,
                        )
                    ]
                await self._deliver(pushed, handoff)
                await self._announce(conversation, handoff)
                count += 1
                logger.info("handoff %s returned to the queue (agent %s unseen)", handoff_id, agent_id)
        return count

    async def check_sla(self) -> int:
        """Tell the consoles when a waiting or assigned item newly breaches its SLA."""
        now = self.clock()
        with self.db.session() as session:
            open_items = (
                session.execute(
                    select(Handoff).where(
                        Handoff.status.in_((HandoffStatus.WAITING, HandoffStatus.ASSIGNED)),
                        Handoff.first_agent_response_at.is_(None),
                        Handoff.sla_due_at < now,
                    )
                )
                .scalars()
                .all()
            )
            breached = {h.id for h in open_items if sla_breached(h, now)}
        new = breached - self._breached_notified
        self.telemetry.sla_breaches.inc(len(new))
        self._breached_notified = breached
        if new:
            await self.hub.queue_changed()
        return len(new)

    async def tick(self) -> None:
        await self.requeue_stale_assignments()
        await self.check_sla()
        await self.cases.check_overdue()

    async def run_monitor(self, extra: Sequence[Callable[[], Awaitable[Any]]] = ()) -> None:
        """Every GATEWAY_MONITOR_INTERVAL: `tick`, then the `extra` steps (each failure is
        logged and does not stop the others)."""
        while True:
            await asyncio.sleep(self.settings.monitor_interval_s)
            for step in (self.tick, *extra):
                try:
                    await step()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("monitor step %s failed", getattr(step, "__name__", step))
