"""The assembled report: KPI tiles against the seeds' targets, the agents' workload, hot
spots week over week, CSV; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest

from bot.config import Settings
from bot.gateway.db import Database
from bot.reports.hotspots import hotspots, region
from bot.reports.period import Period, zone
from bot.reports.summary import build_scope, summary, to_csv
from bot.reports.targets import TargetError, light, parse_targets
from bot.reports.vocabulary import Direction, GroupBy
from tests.reports.history import MON, REPORT_TIME, History, canonical_week, day, local

pytestmark = pytest.mark.slow  # builds a report history in a database for each test

WEEK = Period(MON, MON + timedelta(days=6), zone("Asia/Shanghai"))


def settings(tmp_path: Any, **changes: Any) -> Settings:
    return Settings(data_dir=tmp_path, database_url="sqlite://", **changes)


def report(db: Database, tmp_path: Any, group_by: GroupBy | None = None, **changes: Any) -> dict[str, Any]:
    config = settings(tmp_path, **changes)
    with db.session() as session:
        return summary(session, config, build_scope(config, WEEK, group_by, REPORT_TIME))


def test_kpi_tiles_against_the_standards(db: Database, history: History, tmp_path: Any) -> None:
    canonical_week(history)
    result = report(db, tmp_path)
    tiles = {tile["metric"]: tile for tile in result["kpis"]}
    assert list(tiles) == [
        "answer_rate",
        "avg_answer_seconds",
        "online_reply_rate",
        "fcr_rate",
        "exception_first_response_rate",
        "resolved_within_due_rate",
        "handling_success_rate",
        "bot_containment",
        "csat_human_avg",
        "csat_bot_avg",
    ]
    assert tiles["answer_rate"] | {} == {
        "metric": "answer_rate",
        "target": 0.95,
        "direction": "higher",
        "status": "red",
        "value": 0.5,
        "numerator": 2,
        "denominator": 4,
    }
    assert tiles["exception_first_response_rate"]["status"] == "green"  # 1 of 1
    assert tiles["fcr_rate"]["status"] == "amber"  # 7/9 = 0.78: within 10% of 0.85
    assert tiles["avg_answer_seconds"]["status"] == "red"  # 1260 s for a 15 s standard
    assert tiles["csat_bot_avg"]["status"] == "red"  # 4.0 < 4.5 - 10%
    assert tiles["resolved_within_due_rate"]["status"] == "none"  # no cases this week
    # Targets are configurable.
    relaxed = report(db, tmp_path, report_targets="csat_bot_avg=4,answer_rate=0.5")
    tiles = {tile["metric"]: tile for tile in relaxed["kpis"]}
    assert tiles["csat_bot_avg"]["status"] == "green" and tiles["answer_rate"]["status"] == "green"


def test_summary_shape_groups_and_agents(db: Database, history: History, tmp_path: Any) -> None:
    canonical_week(history)
    result = report(db, tmp_path, GroupBy.DAY)
    assert result["from"] == "2024-05-06" and result["to"] == "2024-05-12"
    assert result["time_zone"] == "Asia/Shanghai" and result["group_by"] == "day"
    assert result["groups"] == [(MON + timedelta(days=n)).isoformat() for n in range(7)]
    assert result["metrics"]["conversations"]["groups"]["2024-05-09"]["value"] == 3
    assert result["breakdowns"]["handoffs_by_reason"]["total"][0]["key"] == "customer_request"
    agents = {load["name"]: load for load in result["agents"]}
    assert set(agents) == {"Alice", "Bob"}
    assert agents["Alice"]["chats_handled"]["value"] == 1
    assert agents["Alice"]["avg_handle_seconds"] == {"value": 480, "numerator": 480, "denominator": 1}
    assert agents["Bob"]["csat_avg"]["value"] == 2
    by_channel = report(db, tmp_path, GroupBy.CHANNEL)
    assert by_channel["groups"] == ["rest", "wechat"]


def test_csv_has_every_number_and_defuses_formulas(db: Database, history: History, tmp_path: Any) -> None:
    canonical_week(history)
    history.agent('=HYPERLINK("http://evil")')
    result = report(db, tmp_path, GroupBy.DAY)
    result["agents"].append({**result["agents"][0], "name": "=cmd|' /C calc'!A0"})
    rows = list(csv.reader(io.StringIO(to_csv(result))))
    assert rows[0] == ["section", "key", "group", "item", "unit", "value", "numerator", "denominator"]
    assert ["metric", "answer_rate", "total", "", "ratio", "0.5", "2", "4"] in rows
    assert ["metric", "conversations", "2024-05-07", "", "count", "2", "2", ""] in rows
    assert ["breakdown", "csat_human_distribution", "total", "5", "ratio", "0.5", "1", "2"] in rows
    names = {row[2] for row in rows if row[0] == "agent"}
    assert "'=cmd|' /C calc'!A0" in names and not any(name.startswith("=") for name in names)


def test_hot_spots_week_over_week(db: Database, history: History) -> None:
    h = history
    for n in range(1, 7):
        h.shipment(f"SF14023456780{n:02d}", "SF", "深圳市南山区", f"北京市朝阳区望京街{n}号", "delay", "暴雨")
    for n in range(1, 5):
        h.shipment(f"YT22901123456{n:02d}", "ZTO", "杭州市余杭区", "上海市徐汇区", "held_at_station", "滞留")
    h.shipment("JDVA01234567890", "JD", "上海市浦东新区", "北京市海淀区", "damaged", "破损")
    for n in range(1, 6):  # this week: 5 delayed parcels to Beijing, one asked about twice
        h.chat(f"b{n}", local(day(n % 7), 10), f"SF14023456780{n:02d} 怎么还没到")
    h.chat("b1-again", local(day(6), 20), "SF1402345678001 还没到")
    h.chat("old", local(day(-3), 10), "SF1402345678006 呢")  # the week before: one
    for n in range(1, 4):  # Shanghai: 3 this week, 4 the week before
        h.chat(f"s{n}", local(day(n), 9), f"YT22901123456{n:02d} 在哪")
    for n in range(1, 5):
        h.chat(f"s-old{n}", local(day(-n), 9), f"YT22901123456{n:02d} 在哪")
    h.chat("damage", local(day(1), 9), "JDVA01234567890 坏了")  # not a delay
    with db.session() as session:
        spots = hotspots(session, WEEK, min_count=5, jump_ratio=1.5)
    destinations = {s.key: s for s in spots["destination"]}
    assert set(destinations) == {"北京市", "上海市"}
    beijing = destinations["北京市"]
    assert (beijing.parcels, beijing.contacts, beijing.previous_parcels, beijing.change, beijing.warning) == (
        5,
        6,
        1,
        4.0,
        True,
    )
    shanghai = destinations["上海市"]
    assert (shanghai.parcels, shanghai.previous_parcels, shanghai.change, shanghai.warning) == (3, 4, -0.25, False)
    assert [s.key for s in spots["route"]] == ["深圳市 → 北京市", "杭州市 → 上海市"]
    assert {s.key: s.warning for s in spots["carrier"]} == {"SF": True, "ZTO": False}
    with db.session() as session:  # a higher bar: no warning
        assert not any(s.warning for s in hotspots(session, WEEK, min_count=6, jump_ratio=1.5)["destination"])


@pytest.mark.parametrize(
    "place, expected",
    [
        ("北京市朝阳区", "北京市"),
        ("广东省深圳市南山区", "广东省深圳市"),
        ("西藏自治区阿里地区", "西藏自治区阿里地区"),
        ("青岛市市南区", "青岛市"),
        ("德国法兰克福", "德国法兰克福"),
        ("", "?"),
    ],
)
def test_regions(place: str, expected: str) -> None:
    assert region(place) == expected


def test_traffic_lights_and_target_settings() -> None:
    assert light(0.95, 0.95, Direction.HIGHER_IS_BETTER, 0.1) == "green"
    assert light(0.86, 0.95, Direction.HIGHER_IS_BETTER, 0.1) == "amber"
    assert light(0.85, 0.95, Direction.HIGHER_IS_BETTER, 0.1) == "red"
    assert light(15, 15, Direction.LOWER_IS_BETTER, 0.1) == "green"
    assert light(16.5, 15, Direction.LOWER_IS_BETTER, 0.1) == "amber"
    assert light(17, 15, Direction.LOWER_IS_BETTER, 0.1) == "red"
    assert light(None, 15, Direction.LOWER_IS_BETTER, 0.1) == "none"
    assert parse_targets("fcr_rate=0.9")["fcr_rate"] == 0.9
    with pytest.raises(TargetError, match="unknown KPI 'speed'"):
        parse_targets("speed=1")
    with pytest.raises(TargetError, match="needs a number"):
        parse_targets("fcr_rate=high")


def test_day_boundaries_of_a_period(tmp_path: Any) -> None:
    period = Period(date(2024, 5, 6), date(2024, 5, 6), zone("Asia/Shanghai"))
    assert period.start.isoformat() == "2024-05-05T16:00:00+00:00"
    assert period.end.isoformat() == "2024-05-06T16:00:00+00:00"
