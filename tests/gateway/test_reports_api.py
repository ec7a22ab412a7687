"""The reports API: supervisors only, the canonical week's numbers over HTTP, CSV
download, hot spots, the daily report, and clear 400s for bad parameters."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from bot.gateway.db import Database
from tests.gateway.conftest import add_agent, login
from tests.reports.history import History, canonical_week

WEEK = "from=2024-05-06&to=2024-05-12"
ROUTES = ("/api/reports/summary", "/api/reports/summary.csv", "/api/reports/hotspots", "/api/reports/daily")


@pytest.fixture
def week(settings: Any) -> None:
    db = Database(settings.database_url)
    db.init()
    canonical_week(History(db))
    db.dispose()


async def test_only_supervisors_see_reports(client: Any, settings: Any) -> None:
    add_agent(settings, "boss", role="supervisor")
    add_agent(settings, "alice", role="agent", tier=3)
    agent = await login(client, "alice")
    boss = await login(client, "boss")
    for route in ROUTES:
        assert (await client.get(route)).status == 401
        response = await client.get(route, headers=agent)
        assert response.status == 403, route
        assert (await response.json())["error"] == "forbidden"
        assert (await client.get(route, headers=boss)).status == 200, route


async def test_summary_of_the_canonical_week(client: Any, settings: Any, week: None) -> None:
    add_agent(settings, "boss", role="supervisor")
    boss = await login(client, "boss")
    response = await client.get(f"/api/reports/summary?{WEEK}&group_by=day", headers=boss)
    assert response.status == 200
    body = await response.json()
    assert (body["from"], body["to"], body["group_by"], body["time_zone"]) == (
        "2024-05-06",
        "2024-05-12",
        "day",
        "Asia/Shanghai",
    )
    assert body["metrics"]["conversations"]["total"] == {"value": 10, "numerator": 10, "denominator": None}
    assert body["metrics"]["conversations"]["groups"]["2024-05-07"]["value"] == 2
    assert body["metrics"]["answer_rate"]["total"] == {"value": 0.5, "numerator": 2, "denominator": 4}
    assert body["metrics"]["fcr_rate"]["total"]["numerator"] == 7
    tiles = {tile["metric"]: tile["status"] for tile in body["kpis"]}
    assert tiles["answer_rate"] == "red" and tiles["exception_first_response_rate"] == "green"
    assert {agent["name"] for agent in body["agents"]} == {"Alice", "Bob"}
    assert response.headers["Cache-Control"] == "no-store"


async def test_csv_download(client: Any, settings: Any, week: None) -> None:
    add_agent(settings, "boss", role="supervisor")
    boss = await login(client, "boss")
    response = await client.get(f"/api/reports/summary.csv?{WEEK}&group_by=channel", headers=boss)
    assert response.status == 200
    assert response.content_type == "text/csv"
    assert (
        response.headers["Content-Disposition"] == 'attachment; filename="report-2024-05-06_2024-05-12-by-channel.csv"'
    )
    text = (await response.read()).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert ["metric", "conversations", "wechat", "", "count", "2", "2", ""] in rows
    assert ["metric", "online_reply_rate", "total", "", "ratio", "0.8", "8", "10"] in rows


async def test_hotspots_and_daily_report(client: Any, settings: Any, week: None) -> None:
    add_agent(settings, "boss", role="supervisor")
    boss = await login(client, "boss")
    response = await client.get(f"/api/reports/hotspots?{WEEK}&limit=3", headers=boss)
    assert response.status == 200
    body = await response.json()
    assert body["previous"] == {"from": "2024-04-29", "to": "2024-05-05"}
    # SF1 (delayed, Shenzhen -> Beijing) was asked about twice this week (A and B).
    assert body["destination"] == [
        {
            "dimension": "destination",
            "key": "北京市",
            "parcels": 1,
            "contacts": 2,
            "previous_parcels": 0,
            "change": None,
            "warning": False,
        }
    ]
    assert body["route"][0]["key"] == "深圳市 → 北京市"
    response = await client.get("/api/reports/daily?date=2024-05-08", headers=boss)
    assert response.status == 200 and response.content_type == "text/markdown"
    text = await response.text()
    assert text.startswith("# 客服日报 2024-05-08")
    assert "投诉 1 起" in text and "破损：1（100.0%）" in text


@pytest.mark.parametrize(
    "query, detail",
    [
        ("from=2024-13-01", "'from' must be a date YYYY-MM-DD"),
        ("from=yesterday", "'from' must be a date YYYY-MM-DD"),
        ("from=2024-05-12&to=2024-05-01", "'from' must not be after 'to'"),
        ("from=2020-01-01&to=2024-01-01", "a period spans at most 731 days"),
        ("from=2023-01-01&to=2024-06-01&group_by=day", "at most 400 days per report: choose a coarser 'group_by'"),
        ("group_by=year", "'group_by' must be one of: day, week, month, channel, language, category"),
        ("group-by=day", "unknown parameter(s): group-by (allowed: from, group_by, to)"),
        ("from=2024-05-01&from=2024-05-02", "'from' given more than once"),
        ("from=%00%01", "'from' must be a date YYYY-MM-DD"),
    ],
)
async def test_bad_parameters_are_clear_400s(client: Any, settings: Any, query: str, detail: str) -> None:
    add_agent(settings, "boss", role="supervisor")
    boss = await login(client, "boss")
    for route in ("/api/reports/summary", "/api/reports/summary.csv"):
        response = await client.get(f"{route}?{query}", headers=boss)
        assert response.status == 400, (route, query)
        assert await response.json() == {"error": "bad_request", "detail": detail}


async def test_bad_hotspot_and_daily_parameters(client: Any, settings: Any) -> None:
    add_agent(settings, "boss", role="supervisor")
    boss = await login(client, "boss")
    for query in ("limit=0", "limit=51", "limit=-1", "limit=ten", "group_by=day"):
        response = await client.get(f"/api/reports/hotspots?{query}", headers=boss)
        assert response.status == 400, query
    response = await client.get("/api/reports/daily?date=2024-02-30", headers=boss)
    assert response.status == 400 and (await response.json())["detail"] == "'date' must be a date YYYY-MM-DD"
