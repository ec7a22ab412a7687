"""The gateway side of cases: agents assign, move and answer cases; what they do reaches
the customer on their own channel (the conversation the case came from, or the
customer's current one there); the bot's new cases and the overdue ones reach the
consoles live; the satisfaction question when a case is resolved."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases import links, service, wording
from bot.cases.models import Case, CaseCsat
from bot.cases.service import CaseError
from bot.cases.vocabulary import EVIDENCE_TYPES
from bot.clock import utcnow
from bot.config import Settings
from bot.contract import AgentRole, CaseEventKind, CaseStatus, CaseType, ChannelName, ConversationState, MessageRole
from bot.gateway import texts
from bot.gateway.db import Database, active_handoff, add_message, open_conversation
from bot.gateway.hub import Hub
from bot.gateway.locks import KeyedLocks
from bot.gateway.messages import OutboundMessage
from bot.gateway.models import Agent, Conversation, Message
from bot.gateway.outbound import ChannelRegistry

logger = logging.getLogger(__name__)

# How long the satisfaction question of a resolved case waits for its answer.
CSAT_WINDOW = timedelta(hours=24)
WECHAT_CHANNELS = (ChannelName.WECHAT, ChannelName.WECOM)


def is_supervisor(agent: Agent) -> bool:
    return agent.role == AgentRole.SUPERVISOR


def may_see_personal_data(agent: Agent, case: Case) -> bool:
    return is_supervisor(agent) or case.owner_id == agent.id


@dataclass
class _Delivery:
    conversation: Conversation
    message: Message


class CaseDesk:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        registry: ChannelRegistry,
        hub: Hub,
        locks: KeyedLocks,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.db = db
        self.registry = registry
        self.hub = hub
        self.locks = locks
        self.clock = clock
        self._signer: links.LinkSigner | None = None

    @property
    def signer(self) -> links.LinkSigner:
        if self._signer is None:
            self._signer = links.LinkSigner(links.load_secret(self.settings))
        return self._signer

    # --- loading and permissions ------------------------------------------------

    def load(self, session: Session, case_id: int) -> Case:
        case = service.get_case(session, case_id)
        if case is None:
            raise CaseError("not_found", 404)
        return case

    @staticmethod
    def _take_or_check(session: Session, case: Case, agent: Agent, now: datetime) -> None:
        """Owner or supervisor may act; an agent acting on an unowned case takes it."""
        if is_supervisor(agent) or case.owner_id == agent.id:
            return
        if case.owner_id is None:
            service.assign(session, case, agent.id, service.agent(agent.id), now)
            return
        raise CaseError("forbidden", 403, "the case belongs to another agent")

    # --- from the router (the customer's turn) -----------------------------------

    def upload_link(self, case: Case, conversation_id: str, now: datetime) -> str:
        return links.upload_link(self.signer, self.settings, case.id, conversation_id, now)

    def bot_case_messages(
        self, session: Session, conversation: Conversation, announced: list[dict[str, Any]], now: datetime
    ) -> list[OutboundMessage]:
        """After the bot opened (or found) cases: the signed upload link of those collecting evidence."""
        out: list[OutboundMessage] = []
        for item in announced:
            case_id = item.get("id")
            if not isinstance(case_id, int) or not item.get("upload"):
                continue
            case = service.get_case(session, case_id)
            if case is None or conversation.id not in case.conversation_ids or service.is_done(case):
                continue  # only cases of this conversation
            if case.type not in {t.value for t in EVIDENCE_TYPES}:
                continue
            url = self.upload_link(case, conversation.id, now)
            text = wording.upload_invitation(
                case,
                conversation.language,
                url,
                self.settings.upload_link_ttl_minutes,
                wechat=conversation.channel in WECHAT_CHANNELS,
            )
            out.append(OutboundMessage(role=MessageRole.SYSTEM, text=text))
        return out

    async def cases_changed(self) -> None:
        await self.hub.broadcast({"type": "cases_changed"})

    def link_earlier_cases(self, session: Session, conversation: Conversation, now: datetime) -> None:
        """A customer's new conversation joins their open cases from earlier ones on the same channel, so
        they can ask about them and hear about them here."""
        earlier = [
            cid
            for (cid,) in session.execute(
                select(Conversation.id).where(
                    Conversation.channel == conversation.channel,
                    Conversation.channel_user_id == conversation.channel_user_id,
                    Conversation.id != conversation.id,
                )
            ).all()
        ]
        for case in service.cases_for_conversations(session, earlier, include_done=False):
            service.link_conversation(session, case, conversation.id, now)

    def waiting_case(self, session: Session, conversation_id: str) -> Case | None:
        """The case of this conversation that waits for the customer's answer, if any."""
        for case in service.cases_for_conversations(session, [conversation_id], include_done=False):
            if case.status == CaseStatus.WAITING_CUSTOMER.value:
                return case
        return None

    def customer_answered(self, session: Session, case: Case, text: str, now: datetime) -> OutboundMessage:
        """The customer's message while the case waits for them: it goes to the case (and its owner)."""
        service.add_event(session, case, CaseEventKind.CUSTOMER_MESSAGE, service.CUSTOMER, now, text=text)
        service.change_status(session, case, CaseStatus.IN_PROGRESS.value, service.CUSTOMER, now)
        return OutboundMessage(
            role=MessageRole.SYSTEM,
            text=texts.text("case_answer_received", case.language, case=wording.case_name(case, case.language)),
        )

    def pending_csat(self, session: Session, conversation_id: str, now: datetime) -> CaseCsat | None:
        row = session.execute(
            select(CaseCsat)
            .where(CaseCsat.conversation_id == conversation_id, CaseCsat.score.is_(None), CaseCsat.skipped.is_(False))
            .order_by(CaseCsat.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if row is None or now - row.asked_at > CSAT_WINDOW:
            return None
        return row

    def record_csat(self, session: Session, row: CaseCsat, score: int | None, now: datetime) -> None:
        case = session.get(Case, row.case_id)
        if score is None:
            row.skipped = True
            return
        row.score, row.answered_at = score, now
        if case is not None:
            service.add_event(session, case, CaseEventKind.CSAT, service.CUSTOMER, now, to_value=str(score))

    def open_ticket_case(
        self,
        session: Session,
        conversation: Conversation,
        summary: str | None,
        tracking_numbers: list[str],
        now: datetime,
    ) -> Case:
        """Outside staffed hours: the customer's request becomes a ticket case (one per conversation)."""
        for case in service.cases_for_conversations(session, [conversation.id], include_done=False):
            if case.type == CaseType.TICKET.value:
                return case
        from bot.store.tracking_numbers import normalize

        case, _ = service.open_case(
            session,
            self.settings,
            CaseType.TICKET.value,
            now,
            conversation_id=conversation.id,
            parcels=[(normalize(n), n) for n in tracking_numbers if normalize(n)],
            summary=summary,
            language=conversation.language,
            actor=service.SYSTEM,
            reuse_open=False,
        )
        return case

    def ticket_message(self, session: Session, case: Case, text: str, now: datetime) -> None:
        service.add_event(session, case, CaseEventKind.CUSTOMER_MESSAGE, service.CUSTOMER, now, text=text)

    # --- agent actions -----------------------------------------------------------

    async def assign(self, agent: Agent, case_id: int, owner_id: int | None) -> None:
        now = self.clock()
        with self.db.session() as session:
            case = self.load(session, case_id)
            if owner_id is not None:
                owner = session.get(Agent, owner_id)
                if owner is None or not owner.active:
                    raise CaseError("bad_request", 400, "no such active agent")
            if not is_supervisor(agent):
                if owner_id not in (agent.id, None):
                    raise CaseError("forbidden", 403, "only supervisors assign cases to others")
                if case.owner_id not in (None, agent.id):
                    raise CaseError("forbidden", 403, "the case belongs to another agent")
            if not service.assign(session, case, owner_id, service.agent(agent.id), now):
                return
        await self.hub.broadcast({"type": "case_updated", "case_id": case_id})

    async def note(self, agent: Agent, case_id: int, text: str) -> None:
        now = self.clock()
        with self.db.session() as session:
            case = self.load(session, case_id)
            service.add_note(session, case, service.agent(agent.id), now, text)
        await self.hub.broadcast({"type": "case_updated", "case_id": case_id})

    async def change(
        self,
        agent: Agent,
        case_id: int,
        *,
        status: str | None,
        stage: str | None,
        note: str | None,
        amount: Any = None,
        currency: str | None = None,
        remedy: str | None = None,
    ) -> bool:
        """Status / stage / claim facts; the customer hears about a new status or stage. Returns
        whether the news reached the customer's channel."""
        now = self.clock()
        with self.db.session() as session:
            case = self.load(session, case_id)
            self._take_or_check(session, case, agent, now)
            actor = service.agent(agent.id)
            events = service.update_claim(session, case, actor, now, amount=amount, currency=currency, remedy=remedy)
            moved = (
                service.change_status(session, case, status, actor, now, stage=stage, note=note)
                if status or stage or note
                else []
            )
            if not events and not moved:
                raise CaseError("bad_request", 400, "nothing to change")
            news = any(e.customer_visible for e in moved)
            resolved = any(
                e.kind == CaseEventKind.STATUS.value and e.to_value == CaseStatus.RESOLVED.value for e in moved
            )
            delivery = None
            if news:
                text = wording.update_notice(case, case.language, now)
                delivery = self._store_for_customer(session, case, text, "system", None, now)
                if delivery is not None:
                    service.record_contact(case, now)
            csat = None
            if resolved:
                csat = self._store_for_customer(
                    session,
                    case,
                    wording.csat_question(case, case.language),
                    "system",
                    None,
                    now,
                    buttons=texts.csat_buttons(case.language),
                )
                if csat is not None:
                    session.add(CaseCsat(case_id=case.id, conversation_id=csat.conversation.id, asked_at=now))
        delivered = await self._deliver(case_id, delivery)
        await self._deliver(case_id, csat)
        await self.hub.broadcast({"type": "case_updated", "case_id": case_id})
        return delivered

    async def reply(self, agent: Agent, case_id: int, text: str) -> tuple[Message | None, bool]:
        now = self.clock()
        with self.db.session() as session:
            case = self.load(session, case_id)
            self._take_or_check(session, case, agent, now)
            delivery = self._store_for_customer(
                session, case, wording.reply_notice(case, case.language, text), "agent", agent.id, now
            )
            service.add_event(
                session,
                case,
                CaseEventKind.REPLY,
                service.agent(agent.id),
                now,
                text=text,
                customer_visible=delivery is not None,
            )
            if delivery is not None:
                service.record_contact(case, now)
        delivered = await self._deliver(case_id, delivery, agent.display_name)
        await self.hub.broadcast({"type": "case_updated", "case_id": case_id})
        return (delivery.message if delivery else None), delivered

    # --- reaching the customer -----------------------------------------------------

    def customer_conversation(self, session: Session, case: Case) -> Conversation | None:
        """Where the customer is now: their current conversation on the channel of the case's latest one."""
        ids = case.conversation_ids
        if not ids:
            return None
        rows = session.execute(select(Conversation).where(Conversation.id.in_(ids))).scalars().all()
        if not rows:
            return None  # opened outside the gateway (e.g. Rasa's own REST channel)
        latest = max(rows, key=lambda c: (c.created_at, c.id))
        current = open_conversation(session, latest.channel, latest.channel_user_id)
        return current or latest

    def _store_for_customer(
        self,
        session: Session,
        case: Case,
        text: str,
        role: str,
        agent_id: int | None,
        now: datetime,
        buttons: list[dict[str, str]] | None = None,
    ) -> _Delivery | None:
        conversation = self.customer_conversation(session, case)
        if conversation is None:
            service.add_event(
                session,
                case,
                CaseEventKind.DELIVERY_FAILED,
                service.SYSTEM,
                now,
                text="no conversation to reach the customer in",
            )
            return None
        if conversation.id not in case.conversation_ids:
            service.link_conversation(session, case, conversation.id, now)
        payload = {"buttons": buttons} if buttons else None
        row = add_message(session, conversation, role, text, payload, agent_id=agent_id, pushed=True, now=now)
        return _Delivery(conversation, row)

    async def _deliver(self, case_id: int, delivery: _Delivery | None, agent_name: str | None = None) -> bool:
        if delivery is None:
            return False
        conversation = delivery.conversation
        async with self.locks.hold((conversation.channel, conversation.channel_user_id)):
            ok = await self.registry.deliver(conversation, OutboundMessage.from_row(delivery.message))
        with self.db.session() as session:
            handoff = active_handoff(session, conversation.id)
            if not ok:
                case = session.get(Case, case_id)
                if case is not None:
                    service.add_event(
                        session,
                        case,
                        CaseEventKind.DELIVERY_FAILED,
                        service.SYSTEM,
                        self.clock(),
                        text=f"{conversation.channel}: not delivered now; kept in the conversation",
                    )
        await self.hub.message(delivery.message, conversation.verified, handoff, agent_name)
        return ok

    # --- monitor ----------------------------------------------------------------------

    async def check_overdue(self) -> int:
        """Flag newly overdue cases (priority up, timeline) and tell supervisors live."""
        now = self.clock()
        with self.db.session() as session:
            flagged = service.mark_overdue(session, now)
            items = [
                {
                    "id": c.id,
                    "reference": c.reference,
                    "type": c.type,
                    "priority": c.priority,
                    "owner_id": c.owner_id,
                    "due_at": c.due_at.isoformat().replace("+00:00", "Z"),
                }
                for c in flagged
            ]
        if not items:
            return 0
        for item in items:
            await self.hub.case_overdue(item)
        await self.hub.broadcast({"type": "cases_changed"})
        return len(items)

    def resolve_conversation_tickets(self, session: Session, conversation_id: str, agent: Agent, now: datetime) -> None:
        """The agent resolved the chat: the customer's ticket cases of it were answered there."""
        for case in service.cases_for_conversations(session, [conversation_id], include_done=False):
            if case.type == CaseType.TICKET.value and case.owner_id in (None, agent.id):
                service.assign(session, case, agent.id, service.agent(agent.id), now)
                service.record_contact(case, now)
                service.change_status(
                    session, case, CaseStatus.RESOLVED.value, service.agent(agent.id), now, note="answered in the chat"
                )

    def assign_conversation_tickets(self, session: Session, conversation_id: str, agent: Agent, now: datetime) -> None:
        """An agent claimed the chat: its unowned ticket cases are theirs."""
        for case in service.cases_for_conversations(session, [conversation_id], include_done=False):
            if case.type == CaseType.TICKET.value and case.owner_id is None:
                service.assign(session, case, agent.id, service.agent(agent.id), now)


def closed(conversation: Conversation) -> bool:
    return conversation.state == ConversationState.CLOSED


@dataclass
class EvidenceResult:
    accepted: list[str]  # evidence items stored
    rejected: list[tuple[str, str]]  # (file name or item, reason code)
    missing: list[str]  # checklist items still missing


async def add_evidence(
    desk: CaseDesk, case_id: int, files: list[tuple[str, bytes, str | None]], source: str, tell_customer: bool = True
) -> EvidenceResult:
    """Check, store and record evidence files [(item, bytes, original name)] on a case; the
    agents see it live, and (for the upload page) the customer gets a confirmation in the chat."""
    import asyncio

    from bot.cases import evidence
    from bot.cases.storage import evidence_store

    store = evidence_store(desk.settings)
    result = EvidenceResult([], [], [])
    with desk.db.session() as session:
        case = desk.load(session, case_id)
        room = desk.settings.upload_max_files - evidence.attachment_count(session, case_id)
        if service.is_done(case):
            raise CaseError("case_closed", 409)
    loop = asyncio.get_running_loop()
    checked = []
    for item, data, name in files:
        if room <= 0:
            result.rejected.append((name or item, "too_many"))
            continue
        try:
            kind, thumb = await loop.run_in_executor(None, evidence.check, desk.settings, data)
            key, thumb_key = await loop.run_in_executor(None, evidence.store_file, store, case_id, kind, data, thumb)
        except evidence.EvidenceRejected as rejected:
            result.rejected.append((name or item, rejected.code))
            continue
        room -= 1
        checked.append((item, kind, data, key, thumb_key, name))
    if not checked:
        return result
    now = desk.clock()
    delivery = None
    with desk.db.session() as session:
        case = desk.load(session, case_id)
        for item, kind, data, key, thumb_key, name in checked:
            attachment = evidence.record(session, case, item, kind, data, key, thumb_key, name, source, now)
            result.accepted.append(attachment.item)
        result.missing = [m.value for m in evidence.missing_items(session, case)]
        if tell_customer:
            text = texts.evidence_received(case, case.language, result.accepted, result.missing)
            delivery = desk._store_for_customer(session, case, text, "system", None, now)
    await desk._deliver(case_id, delivery)
    await desk.hub.broadcast({"type": "case_updated", "case_id": case_id})
    return result
