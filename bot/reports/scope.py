"""What a report covers (period, grouping, report time, windows) and the things metrics
count: conversations (by the time they started), handoffs (by the time the customer
started waiting), satisfaction answers (by the time they were given) and cases (by the
time they were opened), each with its time, channel, language and category; and the
three kinds of query the metrics need (sums, counts by item, samples), in total and per
group."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal_column, or_, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from bot.cases.models import Case, CaseConversation, CaseCsat
from bot.config import Settings
from bot.gateway.models import Conversation, ConversationStats, CsatAnswer, Handoff
from bot.reports.period import Period, bucket_of
from bot.reports.vocabulary import GENERAL_CATEGORY, GroupBy


@dataclass(frozen=True)
class Windows:
    """How long after a conversation a new contact still counts as coming back."""

    fcr: timedelta = timedelta(days=7)
    containment: timedelta = timedelta(hours=48)

    @classmethod
    def from_settings(cls, settings: Settings) -> Windows:
        return cls(
            fcr=timedelta(days=settings.report_fcr_window_days),
            containment=timedelta(hours=settings.report_containment_window_hours),
        )


@dataclass(frozen=True)
class Scope:
    period: Period
    group_by: GroupBy | None
    now: datetime  # the report's "now": what is still open is judged at this instant
    windows: Windows = field(default_factory=Windows)

    def time_labels(self) -> list[str]:
        """Every bucket of a time grouping (data or not); [] for other groupings."""
        return self.period.buckets(self.group_by) if self.group_by is not None and self.group_by.is_time else []


STATS = ConversationStats
CONVERSATION_CATEGORY = func.coalesce(STATS.category, GENERAL_CATEGORY)
_DIMENSIONS_OF_STATS = (GroupBy.CHANNEL, GroupBy.LANGUAGE, GroupBy.CATEGORY)


@dataclass(frozen=True)
class Subject:
    """What a metric counts and where its time and dimensions come from. `base` adds the
    FROM clause; `joined` the join with the conversation's stats that grouping by the
    conversation's channel, language or category needs (only then: it costs a join)."""

    name: str
    time: Any
    channel: Any
    language: Any
    category: Any
    base: Callable[[Select], Select]
    joined: Callable[[Select, Scope], Select] | None = None

    def key(self, scope: Scope) -> Any | None:
        if scope.group_by is None:
            return None
        if scope.group_by.is_time:
            return scope.period.local_date(self.time)
        return {GroupBy.CHANNEL: self.channel, GroupBy.LANGUAGE: self.language, GroupBy.CATEGORY: self.category}[
            scope.group_by
        ]

    def label(self, scope: Scope, raw: Any) -> str:
        assert scope.group_by is not None
        if scope.group_by.is_time:
            return bucket_of(raw, scope.group_by)
        return str(raw) if raw is not None else "unknown"

    def select(self, scope: Scope, *columns: Any, where: Sequence[Any] = (), extra_key: Any = None) -> Select:
        """SELECT [group key,] [extra_key,] columns FROM the subject in the period, grouped
        when there is a key."""
        keys = [k for k in (self.key(scope), extra_key) if k is not None]
        statement = self.base(select(*keys, *columns))
        if self.joined is not None and scope.group_by in _DIMENSIONS_OF_STATS:
            statement = self.joined(statement, scope)
        statement = statement.where(scope.period.contains(self.time), *where)
        return statement.group_by(*keys) if keys else statement


# A conversation's last message is never before what happened in it (its handoffs start with
# the bot's message, its ratings are customer messages): conversations whose last message is
# older than the period (with a day to spare) are left out of the join.
_JOIN_MARGIN = timedelta(days=1)


def _with_stats(on: Any) -> Callable[[Select, Scope], Select]:
    def join(statement: Select, scope: Scope) -> Select:
        return statement.join(
            STATS,
            (STATS.conversation_id == on) & (STATS.last_message_at >= scope.period.start - _JOIN_MARGIN),
        )

    return join


# The channel of the first conversation a case came from.
CASE_CHANNEL = (
    select(Conversation.channel)
    .join(CaseConversation, CaseConversation.conversation_id == Conversation.id)
    .where(CaseConversation.case_id == Case.id)
    .order_by(CaseConversation.linked_at)
    .limit(1)
    .correlate(Case)
    .scalar_subquery()
)

CONVERSATIONS = Subject(
    "conversations",
    STATS.created_at,
    STATS.channel,
    STATS.language,
    CONVERSATION_CATEGORY,
    lambda s: s.select_from(STATS),
)
HANDOFFS = Subject(
    "handoffs",
    Handoff.waiting_since,
    STATS.channel,
    STATS.language,
    Handoff.category,
    lambda s: s.select_from(Handoff),
    _with_stats(Handoff.conversation_id),
)
ANSWERS = Subject(
    "csat_answers",
    CsatAnswer.created_at,
    STATS.channel,
    STATS.language,
    CONVERSATION_CATEGORY,
    lambda s: s.select_from(CsatAnswer),
    _with_stats(CsatAnswer.conversation_id),
)
# Cases count when they were opened; their category is their type.
CASES = Subject("cases", Case.created_at, CASE_CHANNEL, Case.language, Case.type, lambda s: s.select_from(Case))
CASE_RATINGS = Subject(
    "case_ratings",
    CaseCsat.answered_at,
    CASE_CHANNEL,
    Case.language,
    Case.type,
    lambda s: s.select_from(CaseCsat).join(Case, Case.id == CaseCsat.case_id),
)


REPORT_WORK_MEM = "64MB"


def tune(session: Session) -> None:
    """PostgreSQL, for this transaction's report queries: enough sort/hash memory (grouping a
    month of conversations by day sorts on disk with the default 4 MB), and no JIT
    compilation (it costs ~100 ms per query and these queries are short)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))
        session.execute(text("SET LOCAL jit = off"))


def sums(
    session: Session, scope: Scope, subject: Subject, columns: Sequence[Any], where: Sequence[Any] = ()
) -> tuple[list[float], dict[str, list[float]]]:
    """SUM of each column, in total and per group (every time bucket present)."""
    statement = subject.select(scope, *[func.sum(column) for column in columns], where=where)
    width = len(columns)
    total = [0.0] * width
    groups: dict[str, list[float]] = {label: [0.0] * width for label in scope.time_labels()}
    keyed = scope.group_by is not None
    for row in session.execute(statement):
        values = [float(v or 0) for v in (row[1:] if keyed else row)]
        total = [a + b for a, b in zip(total, values, strict=True)]
        if keyed:
            label = subject.label(scope, row[0])
            current = groups.setdefault(label, [0.0] * width)
            groups[label] = [a + b for a, b in zip(current, values, strict=True)]
    return total, groups


def counts_by(
    session: Session, scope: Scope, subject: Subject, item: Any, wheres: Sequence[Any]
) -> list[tuple[dict[str, float], dict[str, dict[str, float]]]]:
    """For each condition of `wheres`: COUNT of the rows where it holds, by `item`, in total
    and per group (one query for all of them)."""
    flags = [func.sum(case((where, literal_column("1")), else_=literal_column("0"))) for where in wheres]
    statement = subject.select(scope, *flags, where=[or_(*wheres)], extra_key=item)
    keyed = scope.group_by is not None
    results: list[tuple[dict[str, float], dict[str, dict[str, float]]]] = [
        ({}, {label: {} for label in scope.time_labels()}) for _ in wheres
    ]
    for row in session.execute(statement):
        name = str(row[1] if keyed else row[0])
        label = subject.label(scope, row[0]) if keyed else None
        for (total, groups), n in zip(results, row[-len(wheres) :], strict=True):
            n = float(n or 0)
            if not n:
                continue
            total[name] = total.get(name, 0.0) + n
            if label is not None:
                group = groups.setdefault(label, {})
                group[name] = group.get(name, 0.0) + n
    return results


def samples(
    session: Session, scope: Scope, subject: Subject, value: Any, where: Sequence[Any] = ()
) -> tuple[list[float], dict[str, list[float]]]:
    """Every value of an expression, in total and per group (for percentiles)."""
    key = subject.key(scope)
    statement = subject.select(scope, value, where=where).group_by(None)  # one row per sample
    total: list[float] = []
    groups: dict[str, list[float]] = {label: [] for label in scope.time_labels()}
    for row in session.execute(statement):
        sample = float(row[-1])
        total.append(sample)
        if key is not None:
            groups.setdefault(subject.label(scope, row[0]), []).append(sample)
    return total, groups
