"""The case desk's rules, on a SQLAlchemy session (the caller commits): opening a case
(or finding the open one), linking conversations and parcels, the status machine and the
claim stages, assignment, first contact, SLA pause while waiting for the customer,
overdue detection, and the timeline entry of every change with who made it.

Used by the actions (the bot opens cases) and by the gateway (agents work on them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from bot.cases import references
from bot.cases.models import Case, CaseConversation, CaseEvent, CaseParcel
from bot.cases.sla import deadlines
from bot.cases.vocabulary import (
    CLAIM_TYPES,
    DONE_STATUSES,
    OPEN_STATUSES,
    SLA_STATUSES,
    can_move_stage,
    can_transition,
    raised,
)
from bot.config import Settings
from bot.contract import CaseEventKind, CaseStatus, CaseType, ClaimStage, MessageRole, Priority, Remedy

MAX_SUMMARY = 500
MAX_NOTE = 4000


class CaseError(Exception):
    """A change the rules do not allow; `code` goes to the API as {"error": code}."""

    def __init__(self, code: str, status: int = 409, detail: str | None = None) -> None:
        super().__init__(detail or code)
        self.code = code
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Actor:
    """Who makes a change (shown on the timeline)."""

    type: MessageRole
    agent_id: int | None = None


BOT = Actor(MessageRole.BOT)
SYSTEM = Actor(MessageRole.SYSTEM)
CUSTOMER = Actor(MessageRole.CUSTOMER)


def agent(agent_id: int) -> Actor:
    return Actor(MessageRole.AGENT, agent_id)


Parcel = tuple[str, str]  # (tracking key, tracking number as printed)


def _value(code: Any) -> str:
    return code.value if hasattr(code, "value") else str(code)


def add_event(
    session: Session,
    case: Case,
    kind: CaseEventKind,
    actor: Actor,
    now: datetime,
    *,
    from_value: str | None = None,
    to_value: str | None = None,
    text: str | None = None,
    customer_visible: bool = False,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case_id=case.id,
        created_at=now,
        kind=kind.value,
        actor_type=actor.type.value,
        agent_id=actor.agent_id,
        from_value=from_value,
        to_value=to_value,
        text=(text or None) and text[:MAX_NOTE],
        customer_visible=customer_visible,
        data=data,
    )
    session.add(event)
    case.updated_at = now
    return event


# --------------------------------------------------------------------------- opening


def open_case(
    session: Session,
    settings: Settings,
    case_type: str,
    now: datetime,
    *,
    conversation_id: str | None = None,
    parcels: Sequence[Parcel] = (),
    summary: str | None = None,
    details: dict[str, Any] | None = None,
    language: str = "zh",
    priority: str = Priority.NORMAL.value,
    window: tuple[datetime, datetime] | None = None,
    actor: Actor = BOT,
    reuse_open: bool = True,
) -> tuple[Case, bool]:
    """A new case (flushed: id and reference set), or with `reuse_open` the open case of the
    same type on the same first parcel (the conversation is linked to it). Returns (case, created)."""
    kind = CaseType(case_type)
    if window is not None and (window[0].tzinfo is None or window[1] <= window[0]):
        raise ValueError("window must be two aware datetimes, end after start")
    if reuse_open and parcels:
        existing = open_cases_for_parcel(session, parcels[0][0], kind.value)
        if existing:
            case = existing[0]
            if conversation_id:
                link_conversation(session, case, conversation_id, now, actor)
            return case, False
    due = deadlines(settings, kind.value, now, window)
    case = Case(
        reference=references.new_reference(session, now, settings.staffed_tz),
        type=kind.value,
        status=CaseStatus.OPEN.value,
        stage=ClaimStage.REGISTERED.value if kind in CLAIM_TYPES else None,
        priority=Priority(priority).value,
        language="en" if language == "en" else "zh",
        summary=(summary or None) and summary[:MAX_SUMMARY],
        details=dict(details or {}),
        window_start=window[0] if window else None,
        window_end=window[1] if window else None,
        respond_by=due.respond_by,
        resolve_by=due.resolve_by,
        due_at=due.respond_by,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    for position, (key, number) in enumerate(_unique(parcels)):
        session.add(CaseParcel(case_id=case.id, tracking_key=key, tracking_number=number, position=position))
    if conversation_id:
        session.add(CaseConversation(case_id=case.id, conversation_id=conversation_id, linked_at=now))
    add_event(
        session,
        case,
        CaseEventKind.CREATED,
        actor,
        now,
        to_value=CaseStatus.OPEN.value,
        text=case.summary,
        customer_visible=True,
    )
    session.flush()
    return case, True


def _unique(parcels: Iterable[Parcel]) -> list[Parcel]:
    seen: set[str] = set()
    out = []
    for key, number in parcels:
        if key and key not in seen:
            seen.add(key)
            out.append((key, number or key))
    return out


def link_conversation(session: Session, case: Case, conversation_id: str, now: datetime, actor: Actor = SYSTEM) -> bool:
    """Attach a conversation of the customer to the case (True when it was new)."""
    if not conversation_id:
        return False
    if session.get(CaseConversation, (case.id, conversation_id)) is not None:
        return False
    session.add(CaseConversation(case_id=case.id, conversation_id=conversation_id, linked_at=now))
    add_event(session, case, CaseEventKind.LINKED, actor, now, to_value=conversation_id[:64])
    session.flush()
    return True


def reschedule(
    session: Session, case: Case, window: tuple[datetime, datetime], now: datetime, actor: Actor = BOT
) -> None:
    """A new appointment window for a booking: the due time follows it."""
    old = case.window_end
    no_separate_contact = case.respond_by == case.resolve_by  # the appointment itself is the answer
    case.window_start, case.window_end = window
    case.resolve_by = window[1]
    case.respond_by = window[1] if no_separate_contact else min(case.respond_by, window[1])
    _refresh_due(case)
    case.overdue_since = None
    add_event(
        session,
        case,
        CaseEventKind.STATUS,
        actor,
        now,
        from_value=case.status,
        to_value=case.status,
        text="rescheduled",
        customer_visible=True,
        data={
            "window_start": window[0].isoformat(),
            "window_end": window[1].isoformat(),
            "previous_window_end": old.isoformat() if old else None,
        },
    )


# --------------------------------------------------------------------------- reading


def _with_links() -> list[Any]:
    return [selectinload(Case.parcels), selectinload(Case.conversations)]


def get_case(session: Session, case_id: int) -> Case | None:
    return session.execute(select(Case).where(Case.id == case_id).options(*_with_links())).scalar_one_or_none()


def find_by_reference(session: Session, reference: str) -> Case | None:
    normalised = references.normalise(reference or "")
    if normalised is None:
        return None
    return session.execute(
        select(Case).where(Case.reference == normalised).options(*_with_links())
    ).scalar_one_or_none()


def open_cases_for_parcel(session: Session, tracking_key: str, case_type: str | None = None) -> list[Case]:
    query = (
        select(Case)
        .join(CaseParcel, CaseParcel.case_id == Case.id)
        .where(CaseParcel.tracking_key == tracking_key, Case.status.in_([s.value for s in OPEN_STATUSES]))
        .options(*_with_links())
        .order_by(Case.created_at, Case.id)
    )
    if case_type is not None:
        query = query.where(Case.type == case_type)
    return list(session.execute(query).scalars().unique())


def cases_for_conversations(session: Session, conversation_ids: Sequence[str], include_done: bool = True) -> list[Case]:
    """Cases linked to any of the conversations, newest first."""
    ids = [c for c in conversation_ids if c]
    if not ids:
        return []
    query = (
        select(Case)
        .where(exists().where(and_(CaseConversation.case_id == Case.id, CaseConversation.conversation_id.in_(ids))))
        .options(*_with_links())
        .order_by(Case.created_at.desc(), Case.id.desc())
    )
    if not include_done:
        query = query.where(Case.status.in_([s.value for s in OPEN_STATUSES]))
    return list(session.execute(query).scalars())


def is_overdue(case: Case, now: datetime) -> bool:
    """Past its due time while it is ours to act on (waiting for the customer pauses the clock)."""
    return case.status in {s.value for s in SLA_STATUSES} and now > case.due_at


def overdue_clause(now: datetime) -> Any:
    return and_(Case.status.in_([s.value for s in SLA_STATUSES]), Case.due_at < now)


def list_cases(
    session: Session,
    now: datetime,
    *,
    statuses: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    owner_id: int | None = None,
    unowned: bool = False,
    overdue: bool | None = None,
    tracking_key: str | None = None,
    limit: int = 200,
) -> list[Case]:
    """Cases ordered by due time (soonest first)."""
    query = select(Case).options(*_with_links())
    if statuses:
        query = query.where(Case.status.in_(list(statuses)))
    if types:
        query = query.where(Case.type.in_(list(types)))
    if owner_id is not None:
        query = query.where(Case.owner_id == owner_id)
    if unowned:
        query = query.where(Case.owner_id.is_(None))
    if overdue is True:
        query = query.where(overdue_clause(now))
    elif overdue is False:
        query = query.where(~overdue_clause(now))
    if tracking_key:
        query = query.where(
            exists().where(and_(CaseParcel.case_id == Case.id, CaseParcel.tracking_key == tracking_key))
        )
    query = query.order_by(Case.due_at, Case.id).limit(limit)
    return list(session.execute(query).scalars())


def count_overdue(session: Session, now: datetime, owner_id: int | None = None) -> int:
    query = select(func.count(Case.id)).where(overdue_clause(now))
    if owner_id is not None:
        query = query.where(or_(Case.owner_id == owner_id, Case.owner_id.is_(None)))
    return int(session.execute(query).scalar_one())


# --------------------------------------------------------------------------- changes


def _refresh_due(case: Case) -> None:
    case.due_at = case.respond_by if case.first_response_at is None else case.resolve_by


def record_contact(case: Case, now: datetime) -> bool:
    """The customer heard from a person (reply, status news): the first-contact promise is kept
    and the case is now due when it must be done. True when this was the first contact."""
    if case.first_response_at is not None:
        return False
    case.first_response_at = now
    _refresh_due(case)
    if case.due_at > now:
        case.overdue_since = None  # the new deadline gets its own overdue alert
    return True


def assign(session: Session, case: Case, agent_id: int | None, actor: Actor, now: datetime) -> bool:
    if case.owner_id == agent_id:
        return False
    old = case.owner_id
    case.owner_id = agent_id
    add_event(
        session,
        case,
        CaseEventKind.ASSIGNED,
        actor,
        now,
        from_value=str(old) if old is not None else None,
        to_value=str(agent_id) if agent_id is not None else None,
    )
    return True


def change_status(
    session: Session,
    case: Case,
    status: str | None,
    actor: Actor,
    now: datetime,
    *,
    stage: str | None = None,
    note: str | None = None,
) -> list[CaseEvent]:
    """Move the case (and/or a claim's stage); the note goes on the timeline with the change."""
    events: list[CaseEvent] = []
    target = case.status if status in (None, "") else status
    if target not in {s.value for s in CaseStatus}:
        raise CaseError("bad_request", 400, f"unknown status {target!r}")
    if stage not in (None, ""):
        if case.type not in {t.value for t in CLAIM_TYPES}:
            raise CaseError("invalid_stage", 409, "only claims have stages")
        if stage not in {s.value for s in ClaimStage}:
            raise CaseError("bad_request", 400, f"unknown stage {stage!r}")
        if stage != case.stage and not can_move_stage(case.stage, stage):
            raise CaseError("invalid_stage", 409, f"a claim cannot go from {case.stage} to {stage}")
    if target != case.status and not can_transition(case.status, target):
        raise CaseError("invalid_transition", 409, f"a case cannot go from {case.status} to {target}")
    if target == case.status and stage in (None, "", case.stage):
        if note:
            events.append(add_event(session, case, CaseEventKind.NOTE, actor, now, text=note))
            return events
        raise CaseError("invalid_transition", 409, f"the case is already {target}")
    if target != case.status:
        old = case.status
        _leave(case, old, now)
        case.status = target
        _enter(case, target, now)
        events.append(
            add_event(
                session,
                case,
                CaseEventKind.STATUS,
                actor,
                now,
                from_value=old,
                to_value=target,
                text=note,
                customer_visible=True,
            )
        )
        note = None
    if stage not in (None, "") and stage != case.stage:
        old_stage = case.stage
        case.stage = stage
        events.append(
            add_event(
                session,
                case,
                CaseEventKind.STAGE,
                actor,
                now,
                from_value=old_stage,
                to_value=stage,
                text=note,
                customer_visible=True,
            )
        )
    return events


def _leave(case: Case, status: str, now: datetime) -> None:
    if status == CaseStatus.WAITING_CUSTOMER.value and case.sla_paused_at is not None:
        # The time spent waiting for the customer does not count against us.
        paused = now - case.sla_paused_at
        case.respond_by += paused
        case.resolve_by += paused
        _refresh_due(case)
        case.sla_paused_at = None


def _enter(case: Case, status: str, now: datetime) -> None:
    if status == CaseStatus.WAITING_CUSTOMER.value:
        case.sla_paused_at = now
    if status == CaseStatus.RESOLVED.value:
        case.resolved_at = now
    elif status == CaseStatus.CLOSED.value:
        case.closed_at = now
        case.resolved_at = case.resolved_at or now
    elif status in (CaseStatus.IN_PROGRESS.value, CaseStatus.OPEN.value):
        case.resolved_at = None
        case.closed_at = None


def update_claim(
    session: Session,
    case: Case,
    actor: Actor,
    now: datetime,
    *,
    amount: Any = None,
    currency: str | None = None,
    remedy: str | None = None,
) -> list[CaseEvent]:
    events = []
    if amount is not None:
        try:
            value = Decimal(str(amount)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            raise CaseError("bad_request", 400, "'amount' must be a number") from None
        if value < 0 or value >= Decimal("10000000000"):
            raise CaseError("bad_request", 400, "'amount' is out of range")
        old = case.amount
        case.amount = value
        if currency:
            case.currency = currency[:8].upper()
        events.append(
            add_event(
                session,
                case,
                CaseEventKind.AMOUNT,
                actor,
                now,
                from_value=str(old) if old is not None else None,
                to_value=f"{value} {case.currency}",
            )
        )
    if remedy is not None:
        if remedy not in {r.value for r in Remedy}:
            raise CaseError("bad_request", 400, f"unknown remedy {remedy!r}")
        old_remedy = case.remedy
        case.remedy = remedy
        events.append(
            add_event(session, case, CaseEventKind.REMEDY, actor, now, from_value=old_remedy, to_value=remedy)
        )
    return events


def add_note(session: Session, case: Case, actor: Actor, now: datetime, text: str) -> CaseEvent:
    return add_event(session, case, CaseEventKind.NOTE, actor, now, text=text)


def mark_overdue(session: Session, now: datetime) -> list[Case]:
    """Cases whose due time has just passed: flagged once (an atomic update, so several
    gateways notify once), priority raised one level, an `overdue` line on the timeline."""
    candidates = session.execute(
        select(Case.id, Case.priority)
        .where(overdue_clause(now), Case.overdue_since.is_(None))
        .order_by(Case.due_at)
        .limit(500)
    ).all()
    flagged: list[Case] = []
    for case_id, priority in candidates:
        won = session.execute(
            update(Case)
            .where(Case.id == case_id, Case.overdue_since.is_(None))
            .values(overdue_since=now, priority=raised(priority), updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if won != 1:
            continue
        case = get_case(session, case_id)
        if case is None:
            continue
        session.refresh(case)
        add_event(
            session,
            case,
            CaseEventKind.OVERDUE,
            SYSTEM,
            now,
            from_value=priority,
            to_value=case.priority,
            data={"due_at": case.due_at.isoformat()},
        )
        flagged.append(case)
    session.flush()
    return flagged


def is_done(case: Case) -> bool:
    return case.status in {s.value for s in DONE_STATUSES}
