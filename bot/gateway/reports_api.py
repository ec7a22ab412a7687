"""The reports API (supervisors only; docs/gateway-contract.md):

  GET /api/reports/summary?from=YYYY-MM-DD&to=YYYY-MM-DD&group_by=day|week|month|channel|language|category
  GET /api/reports/summary.csv (same parameters)
  GET /api/reports/hotspots?from=&to=&limit=

Days are local days of the business time zone; `from`/`to` default to the last seven
days ending today. The queries run in a worker thread (the event loop keeps serving
chats) and at most two at a time, so reports cannot crowd out the customers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

from bot.gateway.api import AGENT
from bot.gateway.keys import DB_KEY, QUEUE_KEY, SETTINGS_KEY
from bot.gateway.models import Agent
from bot.gateway.responses import json_error, json_response
from bot.reports.daily import daily_markdown, daily_report
from bot.reports.hotspots import DIMENSIONS, hotspots
from bot.reports.period import Period, PeriodError, parse_day, parse_group_by, zone
from bot.reports.summary import build_scope, summary, to_csv

T = TypeVar("T")
REPORTS_SLOTS = web.AppKey("reports_slots", asyncio.Semaphore)
_PERIOD_PARAMS = {"from", "to"}
MAX_HOTSPOTS = 50


class BadParameters(Exception):
    pass


def _check_names(request: web.Request, allowed: set[str]) -> None:
    unknown = sorted(set(request.query) - allowed)
    if unknown:
        raise BadParameters(f"unknown parameter(s): {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")
    for name in request.query:
        if len(request.query.getall(name)) > 1:
            raise BadParameters(f"'{name}' given more than once")


def _period(request: web.Request) -> Period:
    settings = request.app[SETTINGS_KEY]
    tz = zone(settings.staffed_tz)
    today = request.app[QUEUE_KEY].clock().astimezone(tz).date()
    first = parse_day(request.query.get("from"), "from")
    last = parse_day(request.query.get("to"), "to")
    return Period.of_days(first, last, tz, today)


async def _run(request: web.Request, work: Callable[[Any], T]) -> T:
    """`work(session)` in a worker thread, at most two reports at a time."""
    db = request.app[DB_KEY]

    def job() -> T:
        with db.session() as session:
            return work(session)

    async with request.app[REPORTS_SLOTS]:
        return await asyncio.get_running_loop().run_in_executor(None, job)


def _supervisor(request: web.Request) -> web.Response | None:
    agent: Agent = request[AGENT]
    if agent.role != "supervisor":
        return json_error(403, "forbidden", "reports are for supervisors")
    return None


async def _summary(request: web.Request) -> dict[str, Any] | web.Response:
    refused = _supervisor(request)
    if refused is not None:
        return refused
    try:
        _check_names(request, _PERIOD_PARAMS | {"group_by"})
        period = _period(request)
        group_by = parse_group_by(request.query.get("group_by"))
        if group_by is not None and group_by.is_time:
            period.buckets(group_by)  # refuses too many buckets
    except (PeriodError, BadParameters) as error:
        return json_error(400, "bad_request", str(error))
    settings = request.app[SETTINGS_KEY]
    scope = build_scope(settings, period, group_by, request.app[QUEUE_KEY].clock())
    return await _run(request, lambda session: summary(session, settings, scope))


async def get_summary(request: web.Request) -> web.Response:
    result = await _summary(request)
    return result if isinstance(result, web.Response) else json_response(result)


async def get_summary_csv(request: web.Request) -> web.Response:
    result = await _summary(request)
    if isinstance(result, web.Response):
        return result
    name = f"report-{result['from']}_{result['to']}" + (f"-by-{result['group_by']}" if result["group_by"] else "")
    return web.Response(
        body=("\ufeff" + to_csv(result)).encode("utf-8"),  # the BOM makes Excel read UTF-8
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


async def get_hotspots(request: web.Request) -> web.Response:
    refused = _supervisor(request)
    if refused is not None:
        return refused
    settings = request.app[SETTINGS_KEY]
    try:
        _check_names(request, _PERIOD_PARAMS | {"limit"})
        period = _period(request)
        raw_limit = request.query.get("limit", "10")
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_HOTSPOTS:
            raise BadParameters(f"'limit' must be a whole number from 1 to {MAX_HOTSPOTS}")
        limit = int(raw_limit)
    except (PeriodError, BadParameters) as error:
        return json_error(400, "bad_request", str(error))

    def work(session: Any) -> dict[str, Any]:
        spots = hotspots(session, period, settings.hotspot_min_count, settings.hotspot_jump_ratio, limit)
        previous = period.shifted(-period.days)
        return {
            "from": period.first_day.isoformat(),
            "to": period.last_day.isoformat(),
            "previous": {"from": previous.first_day.isoformat(), "to": previous.last_day.isoformat()},
            "time_zone": str(period.tz),
            "min_count": settings.hotspot_min_count,
            "jump_ratio": settings.hotspot_jump_ratio,
            **{dimension: [spot.as_dict() for spot in spots[dimension]] for dimension in DIMENSIONS},
        }

    return json_response(await _run(request, work))


async def get_daily(request: web.Request) -> web.Response:
    """The daily report as Markdown (what `python -m bot reports daily` prints)."""
    refused = _supervisor(request)
    if refused is not None:
        return refused
    settings = request.app[SETTINGS_KEY]
    now = request.app[QUEUE_KEY].clock()
    try:
        _check_names(request, {"date"})
        tz = zone(settings.staffed_tz)
        day = parse_day(request.query.get("date"), "date") or now.astimezone(tz).date()
    except (PeriodError, BadParameters) as error:
        return json_error(400, "bad_request", str(error))
    text = await _run(request, lambda session: daily_markdown(daily_report(session, settings, day, now)))
    return web.Response(text=text, content_type="text/markdown", charset="utf-8")


def setup_routes(app: web.Application) -> None:
    app[REPORTS_SLOTS] = asyncio.Semaphore(2)
    app.router.add_get("/api/reports/summary", get_summary)
    app.router.add_get("/api/reports/summary.csv", get_summary_csv)
    app.router.add_get("/api/reports/hotspots", get_hotspots)
    app.router.add_get("/api/reports/daily", get_daily)
