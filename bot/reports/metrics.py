"""The service metrics, each defined once: one function per metric, its definition in its
docstring. A metric function takes the report's `Scope` and returns what to compute, as
SQLAlchemy expressions over what it counts (`Ratio`, `Count`, `Quantile`, `Shares`);
`bot.reports.evaluate` runs them, the sums of each subject in one query, on SQLite and
PostgreSQL, in total and per group. Every result has a value with the numerator and
denominator it comes from.

What is counted, and when:
- conversations count in the local day they started (a conversation with the bot ends
  after CONVERSATION_TIMEOUT_MINUTES without messages; a chat with an agent when it is
  closed), with everything that happened in them;
- handoffs (queue items) count when the customer started waiting;
- satisfaction answers count when they were given; cases when they were opened.
A conversation's category is its first handoff's category, else the category of the
exception on the first parcel it asked about (delay, damage, loss ...), else
"consultation". Contacts are about the same thing when they come from the same customer
on the same channel or mention one of the same tracking numbers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import and_, case, func, literal, literal_column, not_, or_, select

from bot.cases.models import Case, CaseCsat, CaseEvent
from bot.cases.vocabulary import CLAIM_TYPES
from bot.contract import CaseEventKind, CaseStatus, ClaimStage, HandoffStatus
from bot.db import UTCDateTime
from bot.gateway.models import CsatAnswer, Handoff
from bot.reports.scope import (
    ANSWERS,
    CASE_RATINGS,
    CASES,
    CONVERSATION_CATEGORY,
    CONVERSATIONS,
    HANDOFFS,
    STATS,
    Scope,
    Subject,
)
from bot.reports.sql import seconds_between
from bot.reports.vocabulary import (
    CSAT_SCORES,
    EXCEPTION_CATEGORIES,
    HANDOFF_REASONS,
    NO_EXCEPTION,
    NO_STAGE,
    Unit,
)

ONE, ZERO = literal_column("1"), literal_column("0")


def flag(condition: Any) -> Any:
    """1 where the condition holds, else 0 (to SUM)."""
    return case((condition, ONE), else_=ZERO)


def when(condition: Any, value: Any) -> Any:
    """`value` where the condition holds, else 0 (to SUM)."""
    return case((condition, value), else_=ZERO)


# --- what a metric asks for ------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """value = SUM(numerator) / SUM(denominator) over the subject."""

    subject: Subject
    numerator: Any
    denominator: Any


@dataclass(frozen=True)
class Count:
    """value = SUM(count); denominator = SUM(among) when given (what it is counted among)."""

    subject: Subject
    count: Any
    among: Any = None


@dataclass(frozen=True)
class Quantile:
    """The nearest-rank q-quantile of `sample` over the subject's rows where `where` holds."""

    subject: Subject
    sample: Any
    where: Any
    q: float


@dataclass(frozen=True)
class Shares:
    """Rows where `where` holds, counted by `item`, as shares (a breakdown)."""

    subject: Subject
    item: Any
    where: Any
    order: Sequence[str] | None = None  # every item in this order (zeros included); else by count
    limit: int | None = None


Spec = Ratio | Count | Quantile
F = TypeVar("F", bound=Callable[..., Any])
METRICS: dict[str, tuple[Callable[[Scope], Spec], Unit]] = {}
BREAKDOWNS: dict[str, Callable[[Scope], Shares]] = {}


def metric(unit: Unit) -> Callable[[F], F]:
    def register(function: F) -> F:
        METRICS[function.__name__] = (function, unit)
        return function

    return register


def breakdown(function: F) -> F:
    BREAKDOWNS[function.__name__] = function
    return function


def _now(scope: Scope) -> Any:
    return literal(scope.now, UTCDateTime())


# --- volume -----------------------------------------------------------------------------


@metric(Unit.COUNT)
def conversations(scope: Scope) -> Count:
    """Conversations: customer contacts that started in the period."""
    return Count(CONVERSATIONS, ONE)


@metric(Unit.COUNT)
def customer_messages(scope: Scope) -> Count:
    """Customer messages: messages the customers wrote in the conversations that started in
    the period; denominator = conversations."""
    return Count(CONVERSATIONS, STATS.customer_messages, ONE)


# --- the bot --------------------------------------------------------------------------------

ENDED = func.coalesce(STATS.last_message_at, STATS.created_at)


def _came_back(next_contact: Any, window_s: float) -> Any:
    """A new contact started at most `window_s` after this conversation's last message."""
    return and_(next_contact.isnot(None), seconds_between(next_contact, ENDED) <= window_s)


@metric(Unit.RATIO)
def bot_containment(scope: Scope) -> Ratio:
    """Bot containment (the bot handles ≥80% of common questions): conversations the bot
    finished alone / conversations. Finished alone = no request for a human (queued or,
    after hours, a ticket) and no new conversation about one of its tracking numbers
    starting within REPORT_CONTAINMENT_WINDOW_HOURS (48 h) after its last message."""
    window = scope.windows.containment.total_seconds()
    contained = and_(STATS.handoff_at.is_(None), not_(_came_back(STATS.next_parcel_contact_at, window)))
    return Ratio(CONVERSATIONS, flag(contained), ONE)


@metric(Unit.RATIO)
def handoff_rate(scope: Scope) -> Ratio:
    """Handoff rate: conversations with a request for a human (queued or after-hours
    ticket) / conversations."""
    return Ratio(CONVERSATIONS, flag(STATS.handoff_at.isnot(None)), ONE)


HANDED_OFF = STATS.handoff_at.isnot(None)


@breakdown
def handoffs_by_reason(scope: Scope) -> Shares:
    """Handoffs by reason: conversations with a request for a human, by the reason of their
    first request (customer request, complaint/emotion, repeated misunderstanding, high-value
    claim, urgent medical goods, failed verification, VIP, system busy); share of all of them."""
    return Shares(CONVERSATIONS, STATS.handoff_reason, HANDED_OFF, order=HANDOFF_REASONS)


@breakdown
def handoffs_by_category(scope: Scope) -> Shares:
    """Handoffs by category: conversations with a request for a human, by category (their
    first handoff's); share of all of them."""
    return Shares(CONVERSATIONS, CONVERSATION_CATEGORY, HANDED_OFF)


# --- the human queue ---------------------------------------------------------------------------

ANSWERED = Handoff.first_agent_response_at.isnot(None)
CLOSED_HANDOFF = Handoff.status.in_((HandoffStatus.RESOLVED.value, HandoffStatus.RETURNED_TO_BOT.value))
WAIT_SECONDS = seconds_between(Handoff.first_agent_response_at, Handoff.waiting_since)


def _sla(scope: Scope) -> tuple[Any, Any]:
    """(decided, met): a handoff's first-response SLA is decided once an agent wrote, or
    once its due time passed without one (by the report time, or by the time it was closed
    unanswered); met = an agent wrote by the due time."""
    unanswered_past_due = and_(not_(ANSWERED), Handoff.sla_due_at <= func.coalesce(Handoff.resolved_at, _now(scope)))
    met = and_(ANSWERED, Handoff.first_agent_response_at <= Handoff.sla_due_at)
    return or_(ANSWERED, unanswered_past_due), met


@metric(Unit.COUNT)
def handoffs(scope: Scope) -> Count:
    """Handoffs: queue items (a conversation handed back to the bot and handed off again
    makes two) whose customer started waiting in the period."""
    return Count(HANDOFFS, ONE)


@metric(Unit.RATIO)
def answer_rate(scope: Scope) -> Ratio:
    """Answer rate (target 95%): handoffs an agent answered (wrote to the customer) /
    handoffs decided: answered, closed unanswered, or still unanswered past their SLA due
    time at the report time (those still inside their SLA are not counted yet)."""
    decided = or_(ANSWERED, CLOSED_HANDOFF, Handoff.sla_due_at <= _now(scope))
    return Ratio(HANDOFFS, flag(ANSWERED), flag(decided))


@metric(Unit.SECONDS)
def avg_answer_seconds(scope: Scope) -> Ratio:
    """Average answer time (target 15 s): mean seconds from the handoff (customer starts
    waiting) to the first agent message, over answered handoffs; numerator = total seconds,
    denominator = answered handoffs."""
    return Ratio(HANDOFFS, when(ANSWERED, WAIT_SECONDS), flag(ANSWERED))


@metric(Unit.SECONDS)
def first_response_p50_seconds(scope: Scope) -> Quantile:
    """Median human first response: the nearest-rank 50th percentile of the seconds from
    handoff to first agent message over answered handoffs; numerator = answered handoffs
    that waited at most that long, denominator = answered handoffs."""
    return Quantile(HANDOFFS, WAIT_SECONDS, ANSWERED, 0.5)


@metric(Unit.SECONDS)
def first_response_p90_seconds(scope: Scope) -> Quantile:
    """90th percentile human first response (nearest rank), as the median above."""
    return Quantile(HANDOFFS, WAIT_SECONDS, ANSWERED, 0.9)


@metric(Unit.RATIO)
def first_response_sla_rate(scope: Scope) -> Ratio:
    """First-response SLA met: handoffs whose first agent message came by their SLA due
    time (SLA_MINUTES per category: 15 min for parcel exceptions) / handoffs whose SLA is
    decided (answered, or unanswered past due; one closed unanswered before due is not
    counted)."""
    decided, met = _sla(scope)
    return Ratio(HANDOFFS, flag(met), flag(decided))


@metric(Unit.RATIO)
def exception_first_response_rate(scope: Scope) -> Ratio:
    """Parcel exceptions answered within the SLA (the standard: first response within 15
    minutes): as first_response_sla_rate, for handoffs of the exception categories (delay,
    damage, loss, refused, address, customs)."""
    decided, met = _sla(scope)
    exception = Handoff.category.in_(EXCEPTION_CATEGORIES)
    return Ratio(HANDOFFS, flag(and_(exception, met)), flag(and_(exception, decided)))


@metric(Unit.COUNT)
def sla_breaches(scope: Scope) -> Count:
    """SLA breaches: handoffs whose SLA is decided and not met (answered late, or still or
    finally unanswered past due); denominator = handoffs whose SLA is decided."""
    decided, met = _sla(scope)
    return Count(HANDOFFS, flag(and_(decided, not_(met))), flag(decided))


@metric(Unit.COUNT)
def queue_waiting(scope: Scope) -> Count:
    """Still waiting: handoffs of the period waiting for an agent at the report time;
    denominator = handoffs."""
    return Count(HANDOFFS, flag(Handoff.status == HandoffStatus.WAITING.value), ONE)


@metric(Unit.COUNT)
def queue_abandoned(scope: Scope) -> Count:
    """Abandoned: handoffs that ended without any agent message (the customer left before
    an agent answered: closed from the queue, or closed/handed back without a word);
    denominator = handoffs."""
    return Count(HANDOFFS, flag(and_(CLOSED_HANDOFF, not_(ANSWERED))), ONE)


@metric(Unit.SECONDS)
def avg_handle_seconds(scope: Scope) -> Ratio:
    """Average handle time: mean seconds from an agent taking the chat (last claim) to
    closing it or handing it back, over handoffs that ended after a claim."""
    handled = and_(CLOSED_HANDOFF, Handoff.claimed_at.isnot(None))
    return Ratio(HANDOFFS, when(handled, seconds_between(Handoff.resolved_at, Handoff.claimed_at)), flag(handled))


# --- service --------------------------------------------------------------------------------------


@metric(Unit.RATIO)
def online_reply_rate(scope: Scope) -> Ratio:
    """Online reply rate (target 98%): conversations in which every customer message was
    followed by an answer from the bot or an agent (queue notices and after-hours ticket
    receipts are not answers; the thanks for a rating is) / conversations with a customer
    message. Judged at the report time."""
    wrote = STATS.customer_messages > 0
    return Ratio(CONVERSATIONS, flag(and_(wrote, STATS.unanswered_since.is_(None))), flag(wrote))


@metric(Unit.RATIO)
def fcr_rate(scope: Scope) -> Ratio:
    """First-contact resolution (target 85%): first contacts after which the customer did
    not come back / first contacts. A conversation is a first contact unless it started
    within REPORT_FCR_WINDOW_DAYS (7) after the last message of an earlier conversation of
    the same customer (channel user) or about one of the same tracking numbers; it was
    resolved at first contact unless such a conversation started within those 7 days after
    its own last message. Recent conversations can still lose their resolution."""
    window = scope.windows.fcr.total_seconds()
    repeat = and_(
        STATS.previous_contact_end_at.isnot(None),
        seconds_between(STATS.created_at, STATS.previous_contact_end_at) <= window,
    )
    first = not_(repeat)
    return Ratio(CONVERSATIONS, flag(and_(first, not_(_came_back(STATS.next_contact_at, window)))), flag(first))


# --- satisfaction ----------------------------------------------------------------------------------

BOT_ONLY = CsatAnswer.handoff_id.is_(None)
WITH_AGENT = CsatAnswer.handoff_id.isnot(None)


@metric(Unit.SCORE)
def csat_bot_avg(scope: Scope) -> Ratio:
    """CSAT, bot only: mean score (1-5) of the ratings given to conversations the bot handled
    alone (asked once at their end); numerator = sum of scores, denominator = ratings."""
    return Ratio(ANSWERS, when(BOT_ONLY, CsatAnswer.score), flag(BOT_ONLY))


@metric(Unit.SCORE)
def csat_human_avg(scope: Scope) -> Ratio:
    """CSAT, with an agent: mean score (1-5) of the ratings given after an agent closed the
    chat; numerator = sum of scores, denominator = ratings."""
    return Ratio(ANSWERS, when(WITH_AGENT, CsatAnswer.score), flag(WITH_AGENT))


@breakdown
def csat_bot_distribution(scope: Scope) -> Shares:
    """Bot-only ratings by score 1-5 (share of the bot-only ratings)."""
    return Shares(ANSWERS, CsatAnswer.score, BOT_ONLY, order=CSAT_SCORES)


@breakdown
def csat_human_distribution(scope: Scope) -> Shares:
    """Ratings after an agent's chat by score 1-5 (share of those ratings)."""
    return Shares(ANSWERS, CsatAnswer.score, WITH_AGENT, order=CSAT_SCORES)


# --- complaints ---------------------------------------------------------------------------------------

COMPLAINED = STATS.complained_at.isnot(None)


@metric(Unit.COUNT)
def complaints(scope: Scope) -> Count:
    """Complaints: conversations in which a handoff request gave "complaint" as its reason
    (the customer complained, was angry or threatened to escalate); denominator =
    conversations."""
    return Count(CONVERSATIONS, flag(COMPLAINED), ONE)


@metric(Unit.RATIO)
def complaint_rate(scope: Scope) -> Ratio:
    """Complaint rate: complaints / conversations."""
    return Ratio(CONVERSATIONS, flag(COMPLAINED), ONE)


@breakdown
def complaint_causes(scope: Scope) -> Shares:
    """Complaint causes: complaints by the exception type of the parcel they were about (the
    first parcel mentioned with an open exception at the time; "none" when there was
    none: service, attitude ...); share of complaints."""
    return Shares(CONVERSATIONS, func.coalesce(STATS.exception_type, NO_EXCEPTION), COMPLAINED)


@breakdown
def complaint_reasons(scope: Scope) -> Shares:
    """Top complaint reasons: the ten most frequent exception reasons recorded on the
    parcels complained about (e.g. "当地暴雨导致道路中断"); share of complaints with a reason."""
    return Shares(CONVERSATIONS, STATS.exception_reason, and_(COMPLAINED, STATS.exception_reason.isnot(None)), limit=10)


# --- resolution (cases: bot/cases) ---------------------------------------------------------------------

# A case is finished when resolved (closing resolves too, see bot/cases/service.py).
FINISHED_CASE = Case.resolved_at.isnot(None)
RESOLVE_SECONDS = seconds_between(Case.resolved_at, Case.created_at)
REOPENED_CASE = (
    select(CaseEvent.id)
    .where(
        CaseEvent.case_id == Case.id,
        CaseEvent.kind == CaseEventKind.STATUS.value,
        CaseEvent.from_value.in_([CaseStatus.RESOLVED.value, CaseStatus.CLOSED.value]),
        CaseEvent.to_value.in_([CaseStatus.OPEN.value, CaseStatus.IN_PROGRESS.value]),
    )
    .correlate(Case)
    .exists()
)


@metric(Unit.COUNT)
def cases_opened(scope: Scope) -> Count:
    """Cases: follow-ups opened in the period (claims, investigations, bookings, address
    changes, after-hours messages, callbacks); category = case type."""
    return Count(CASES, ONE)


@metric(Unit.RATIO)
def resolved_within_due_rate(scope: Scope) -> Ratio:
    """Handled in time (the standard: handled within 24 hours; CASE_SLA per type): cases
    resolved (or closed) by their due time / cases decided: resolved, or still open past
    their due time at the report time (a case waiting for the customer has its clock
    stopped and is not judged while it waits)."""
    met = and_(FINISHED_CASE, Case.resolved_at <= Case.resolve_by)
    late_open = and_(not_(FINISHED_CASE), Case.sla_paused_at.is_(None), Case.resolve_by <= _now(scope))
    return Ratio(CASES, flag(met), flag(or_(FINISHED_CASE, late_open)))


@metric(Unit.RATIO)
def handling_success_rate(scope: Scope) -> Ratio:
    """Handling success (target 98%): resolved cases that never had to be reopened /
    resolved cases (a case reopened after it was resolved or closed was not handled
    successfully the first time)."""
    return Ratio(CASES, flag(and_(FINISHED_CASE, not_(REOPENED_CASE))), flag(FINISHED_CASE))


@metric(Unit.SECONDS)
def resolve_median_seconds(scope: Scope) -> Quantile:
    """Median time to resolve: nearest-rank median of the seconds from opening to resolution
    over resolved cases; numerator = resolved cases at or below it, denominator = resolved cases."""
    return Quantile(CASES, RESOLVE_SECONDS, FINISHED_CASE, 0.5)


@metric(Unit.COUNT)
def cases_overdue(scope: Scope) -> Count:
    """Overdue cases: cases whose due time passed while they were still ours to act on
    (flagged by the cases monitor); denominator = cases opened."""
    return Count(CASES, flag(Case.overdue_since.isnot(None)), ONE)


@metric(Unit.SCORE)
def csat_case_avg(scope: Scope) -> Ratio:
    """CSAT after a case: mean score (1-5) of the ratings asked for when a case was resolved,
    by the time they were given; numerator = sum of scores, denominator = ratings."""
    rated = CaseCsat.score.isnot(None)
    return Ratio(CASE_RATINGS, when(rated, CaseCsat.score), flag(rated))


@breakdown
def claims_by_stage(scope: Scope) -> Shares:
    """Claims by stage: claim cases (damage, loss, not received) opened in the period by the
    stage they are at now (受理登记 → 初步评估 → 责任确认 → 赔偿方案 → 客户确认 → 执行赔付;
    "none" before registration); share of those claims."""
    return Shares(
        CASES,
        func.coalesce(Case.stage, NO_STAGE),
        Case.type.in_([t.value for t in CLAIM_TYPES]),
        order=[s.value for s in ClaimStage] + [NO_STAGE],
    )
