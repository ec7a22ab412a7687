"""Resolution metrics on cases (bot/cases) of a constructed week, worked out by hand,
on SQLite and PostgreSQL. Desk hours 08:00-22:00 Asia/Shanghai; report time 2024-05-20.

 case  type            opened (local)   SLA to done        what happens
 C1    damage_claim    05-06 10:00      24 h: 05-07 10:00  stage assessment; resolved 05-06 20:00 (10 h); rated 5
 C2    loss_claim      05-07 09:00      3 d: 05-10 09:00   still open (late; flagged overdue)
 C3    redelivery      05-08 12:00      24 h: 05-09 12:00  resolved 05-09 15:00 (late), reopened 16:00,
                                                           resolved again 17:00 (29 h)
 C4    address_change  05-09 10:00      2 h: 05-09 12:00   waiting for the customer since 10:30 (clock stopped)
 C5    ticket          05-09 23:00      from 08:00: 05-11  closed 05-10 09:00 (10 h)
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from bot.cases import service
from bot.cases.models import Case, CaseCsat
from bot.config import Settings
from bot.gateway.db import Database
from bot.reports import metrics
from bot.reports.evaluate import evaluate_breakdown, evaluate_metric
from bot.reports.period import Period, zone
from bot.reports.scope import Scope
from bot.reports.values import Value
from bot.reports.vocabulary import GroupBy
from tests.reports.history import History, local

pytestmark = pytest.mark.slow  # builds a report history in a database for each test

MON = date(2024, 5, 6)
WEEK = Period(MON, MON + timedelta(days=6), zone("Asia/Shanghai"))
NOW = local(date(2024, 5, 20), 12)


def day(n: int) -> date:
    return MON + timedelta(days=n)


@pytest.fixture
def cases(db: Database, history: History, tmp_path: Any) -> Database:
    desk = service.agent(history.agent("desk"))
    settings = Settings(
        data_dir=tmp_path,
        database_url="sqlite://",
        staffed_hours="08:00-22:00",
        staffed_tz="Asia/Shanghai",
        case_sla_spec="",
    )

    def open_case(case_type: str, at: Any) -> int:
        with db.session() as session:
            case, _ = service.open_case(session, settings, case_type, at)
            return case.id

    def change(case_id: int, status: str | None, at: Any, stage: str | None = None) -> None:
        with db.session() as session:
            service.change_status(session, session.get(Case, case_id), status, desk, at, stage=stage)

    c1 = open_case("damage_claim", local(day(0), 10))
    change(c1, None, local(day(0), 12), stage="assessment")
    change(c1, "resolved", local(day(0), 20))
    with db.session() as session:
        session.add(
            CaseCsat(
                case_id=c1, conversation_id="c1", asked_at=local(day(0), 20), score=5, answered_at=local(day(0), 20, 30)
            )
        )
    open_case("loss_claim", local(day(1), 9))
    c3 = open_case("redelivery", local(day(2), 12))
    change(c3, "resolved", local(day(3), 15))
    change(c3, "in_progress", local(day(3), 16))
    change(c3, "resolved", local(day(3), 17))
    c4 = open_case("address_change", local(day(3), 10))
    change(c4, "waiting_customer", local(day(3), 10, 30))
    c5 = open_case("ticket", local(day(3), 23))
    change(c5, "closed", local(day(4), 9))
    with db.session() as session:
        service.mark_overdue(session, NOW)
    return db


def run(db: Database, name: str, group_by: GroupBy | None = None) -> Any:
    evaluate = evaluate_metric if name in metrics.METRICS else evaluate_breakdown
    with db.session() as session:
        return evaluate(session, Scope(WEEK, group_by, NOW), name)


def test_cases_opened_by_local_day_and_type(cases: Database) -> None:
    result = run(cases, "cases_opened", GroupBy.DAY)
    assert result.total == Value(5, 5, None)
    assert {k: g.value for k, g in result.groups.items() if g.value} == {
        "2024-05-06": 1,
        "2024-05-07": 1,
        "2024-05-08": 1,
        "2024-05-09": 2,
    }
    by_type = run(cases, "cases_opened", GroupBy.CATEGORY).groups
    assert {k: g.value for k, g in by_type.items()} == {
        "address_change": 1,
        "damage_claim": 1,
        "loss_claim": 1,
        "redelivery": 1,
        "ticket": 1,
    }


def test_resolution_in_time_success_and_median(cases: Database) -> None:
    # Decided: C1 (in time), C2 (open, late), C3 (late), C5 (in time); C4 waits for the customer.
    assert run(cases, "resolved_within_due_rate").total == Value(0.5, 2, 4)
    # Resolved: C1, C3, C5; C3 had to be reopened.
    assert run(cases, "handling_success_rate").total == Value(2 / 3, 2, 3)
    # 10 h, 10 h, 29 h.
    assert run(cases, "resolve_median_seconds").total == Value(36000, 2, 3)
    assert run(cases, "cases_overdue").total == Value(1, 1, 5)


def test_claims_by_stage_and_case_ratings(cases: Database) -> None:
    stages = run(cases, "claims_by_stage").total
    assert list(stages)[:6] == ["registered", "assessment", "liability", "proposal", "customer_confirmation", "payout"]
    assert stages["registered"] == Value(0.5, 1, 2)
    assert stages["assessment"] == Value(0.5, 1, 2)
    assert stages["payout"] == Value(0, 0, 2)
    assert run(cases, "csat_case_avg").total == Value(5, 5, 1)
