"""Every metric on the canonical week of tests/reports/history.py (its table gives the
story of each conversation), numbers worked out by hand, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from bot.gateway.db import Database
from bot.reports import metrics
from bot.reports.evaluate import evaluate_breakdown, evaluate_metric
from bot.reports.period import Period, PeriodError, zone
from bot.reports.scope import Scope
from bot.reports.values import Value
from bot.reports.vocabulary import GroupBy
from tests.reports.history import MON, REPORT_TIME, SF1, History, canonical_week, day, local

pytestmark = pytest.mark.slow  # builds a report history in a database for each test

WEEK = Period(MON, MON + timedelta(days=6), zone("Asia/Shanghai"))
NOW = REPORT_TIME


@pytest.fixture
def week(history: History) -> History:
    canonical_week(history)
    return history


def run(db: Database, name: str, group_by: GroupBy | None = None, period: Period = WEEK, now: datetime = NOW) -> Any:
    evaluate = evaluate_metric if name in metrics.METRICS else evaluate_breakdown
    with db.session() as session:
        return evaluate(session, Scope(period, group_by, now), name)


def v(value: Any, numerator: Any, denominator: Any) -> Value:
    return Value(value, numerator, denominator)


def test_conversations_count_on_the_local_day_they_started(db: Database, week: History) -> None:
    result = run(db, "conversations", GroupBy.DAY)
    assert result.total == v(10, 10, None)
    # C (23:50) stays on Monday although it ends on Tuesday; D (00:30 local, still Monday in
    # UTC) counts on Tuesday.
    assert {label: g.value for label, g in result.groups.items()} == {
        "2024-05-06": 2,
        "2024-05-07": 2,
        "2024-05-08": 2,
        "2024-05-09": 3,
        "2024-05-10": 1,
        "2024-05-11": 0,
        "2024-05-12": 0,
    }
    assert run(db, "customer_messages").total == v(11, 11, 10)


def test_week_month_channel_language_and_category_groups(db: Database, week: History) -> None:
    assert {k: g.value for k, g in run(db, "conversations", GroupBy.WEEK).groups.items()} == {"2024-05-06": 10}
    assert {k: g.value for k, g in run(db, "conversations", GroupBy.MONTH).groups.items()} == {"2024-05": 10}
    assert {k: g.value for k, g in run(db, "conversations", GroupBy.CHANNEL).groups.items()} == {"rest": 8, "wechat": 2}
    assert {k: g.value for k, g in run(db, "conversations", GroupBy.LANGUAGE).groups.items()} == {"en": 1, "zh": 9}
    assert {k: g.value for k, g in run(db, "conversations", GroupBy.CATEGORY).groups.items()} == {
        "complaint": 1,
        "consultation": 6,
        "delay": 3,
    }


def test_bot_containment_and_handoffs(db: Database, week: History) -> None:
    # Contained: B, C, G, I, L. Not: A (SF1 came back with B within 48 h), D, E, F, K (handed off).
    result = run(db, "bot_containment", GroupBy.DAY)
    assert result.total == v(0.5, 5, 10)
    assert result.groups["2024-05-06"] == v(0.5, 1, 2)
    assert result.groups["2024-05-09"] == v(2 / 3, 2, 3)
    assert result.groups["2024-05-11"] == v(None, 0, 0)
    assert run(db, "handoff_rate").total == v(0.4, 4, 10)
    reasons = run(db, "handoffs_by_reason").total
    assert {k: x.numerator for k, x in reasons.items() if x.numerator} == {
        "customer_request": 1,
        "complaint": 1,
        "repeated_misunderstanding": 1,
        "system_busy": 1,
    }
    assert reasons["vip"] == v(0, 0, 4)
    assert reasons["complaint"] == v(0.25, 1, 4)
    categories = run(db, "handoffs_by_category").total
    assert list(categories) == ["consultation", "complaint", "delay"]
    assert categories["consultation"] == v(0.5, 2, 4)


def test_containment_window_is_48_hours(db: Database, history: History) -> None:
    history.chat("a", local(day(0), 10), f"{SF1} 到哪了")
    history.chat("b", local(day(2), 9), f"{SF1} 呢")  # 47 h later: the first was not contained
    history.chat("c", local(day(4), 10), f"{SF1} 呢")  # 49 h after b
    assert run(db, "bot_containment").total == v(2 / 3, 2, 3)


def test_human_queue(db: Database, week: History) -> None:
    assert run(db, "handoffs").total == v(4, 4, None)
    # D and F answered; E unanswered past its SLA; K closed unanswered.
    assert run(db, "answer_rate").total == v(0.5, 2, 4)
    assert run(db, "avg_answer_seconds").total == v(1260, 2520, 2)
    assert run(db, "first_response_p50_seconds").total == v(120, 1, 2)
    assert run(db, "first_response_p90_seconds").total == v(2400, 2, 2)
    # SLA decided for D (met), F (late), E (unanswered past due); K was closed before its due time.
    assert run(db, "first_response_sla_rate").total == v(1 / 3, 1, 3)
    assert run(db, "sla_breaches").total == v(2, 2, 3)
    assert run(db, "exception_first_response_rate").total == v(1, 1, 1)  # D (delay) only
    assert run(db, "queue_waiting").total == v(1, 1, 4)
    assert run(db, "queue_abandoned").total == v(1, 1, 4)
    assert run(db, "avg_handle_seconds").total == v(540, 1080, 2)
    by_day = run(db, "answer_rate", GroupBy.DAY).groups
    assert by_day["2024-05-07"] == v(1, 1, 1)
    assert by_day["2024-05-08"] == v(0.5, 1, 2)
    assert by_day["2024-05-09"] == v(0, 0, 1)


def test_open_handoff_is_judged_once_its_sla_has_passed(db: Database, history: History) -> None:
    waiting = history.chat("w", local(day(2), 14))
    waiting.hand_off(local(day(2), 14, 1), "customer_request", "delay", 15)
    inside_sla, past_due = local(day(2), 14, 10), local(day(2), 14, 20)
    assert run(db, "answer_rate", now=inside_sla).total == v(None, 0, 0)
    assert run(db, "sla_breaches", now=inside_sla).total == v(0, 0, 0)
    assert run(db, "answer_rate", now=past_due).total == v(0, 0, 1)
    assert run(db, "sla_breaches", now=past_due).total == v(1, 1, 1)
    assert run(db, "queue_waiting", now=past_due).total == v(1, 1, 1)


def test_online_reply_and_first_contact_resolution(db: Database, week: History) -> None:
    # K (only queue notices) and L (no answer) were left without a reply.
    assert run(db, "online_reply_rate").total == v(0.8, 8, 10)
    # First contacts: all but B (SF1 asked by A the day before). Not resolved: A (SF1 came
    # back) and G (its customer came back after 6 days); I's customer came back after 8.
    result = run(db, "fcr_rate", GroupBy.DAY)
    assert result.total == v(7 / 9, 7, 9)
    assert result.groups["2024-05-07"] == v(1, 1, 1)  # B is not a first contact; D is resolved
    assert result.groups["2024-05-09"] == v(2 / 3, 2, 3)  # G no, I yes, K yes


def test_satisfaction_bot_and_human_separately(db: Database, week: History) -> None:
    assert run(db, "csat_human_avg").total == v(3.5, 7, 2)
    assert run(db, "csat_bot_avg").total == v(4, 4, 1)
    distribution = run(db, "csat_human_distribution").total
    assert list(distribution) == ["1", "2", "3", "4", "5"]
    assert distribution["2"] == v(0.5, 1, 2) and distribution["5"] == v(0.5, 1, 2)
    assert distribution["1"] == v(0, 0, 2)
    assert run(db, "csat_bot_distribution").total["4"] == v(1, 1, 1)


def test_complaints_and_their_causes(db: Database, week: History) -> None:
    assert run(db, "complaints").total == v(1, 1, 10)
    assert run(db, "complaint_rate").total == v(0.1, 1, 10)
    assert run(db, "complaint_causes").total == {"damaged": v(1, 1, 1)}
    assert run(db, "complaint_reasons").total == {"外包装严重破损": v(1, 1, 1)}


def test_empty_period_has_no_values_but_no_errors(db: Database, week: History) -> None:
    empty = Period(date(2023, 1, 1), date(2023, 1, 3), zone("Asia/Shanghai"))
    for name in list(metrics.METRICS) + list(metrics.BREAKDOWNS):
        result = run(db, name, GroupBy.DAY, period=empty)
        assert result.total is not None
        assert list(result.groups) == ["2023-01-01", "2023-01-02", "2023-01-03"]
    assert run(db, "answer_rate", period=empty).total == v(None, 0, 0)


def test_days_follow_daylight_saving_time(db: Database, history: History) -> None:
    """A time zone with DST (New York, 2024-03-10): each conversation counts on its local day."""
    new_york = zone("America/New_York")
    history.chat("x", local(date(2024, 3, 9), 23, 30, tz=new_york))  # EST
    history.chat("y", local(date(2024, 3, 11), 0, 30, tz=new_york))  # EDT: 04:30 UTC
    period = Period(date(2024, 3, 9), date(2024, 3, 11), new_york)
    groups = run(db, "conversations", GroupBy.DAY, period=period).groups
    assert {k: g.value for k, g in groups.items()} == {"2024-03-09": 1, "2024-03-10": 0, "2024-03-11": 1}


def test_bad_periods_are_refused() -> None:
    tz = zone("Asia/Shanghai")
    with pytest.raises(PeriodError, match="after"):
        Period(date(2024, 5, 2), date(2024, 5, 1), tz)
    with pytest.raises(PeriodError, match="731"):
        Period(date(2020, 1, 1), date(2024, 1, 1), tz)
    with pytest.raises(PeriodError, match="coarser"):
        Period(date(2023, 1, 1), date(2024, 6, 1), tz).buckets(GroupBy.DAY)
    with pytest.raises(PeriodError, match="time zone"):
        zone("Mars/Olympus")


def test_recomputed_contact_links_match_those_recorded_live(db: Database, week: History) -> None:
    from sqlalchemy import select

    from bot.gateway.models import ConversationStats as S
    from bot.reports.links import recompute_contact_links

    columns = (S.conversation_id, S.previous_contact_end_at, S.next_contact_at, S.next_parcel_contact_at)
    with db.session() as session:
        live = set(session.execute(select(*columns)).all())
        assert any(row[2] is not None for row in live)  # some customers came back
        assert recompute_contact_links(session) == 12
    with db.session() as session:
        assert set(session.execute(select(*columns)).all()) == live
