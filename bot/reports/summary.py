"""The report of a period: every metric and breakdown, the KPI tiles against their
targets, the agents' workload; as JSON (the API) or CSV (downloads, the daily report)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.reports.agents import AGENT_METRICS, agent_workload
from bot.reports.evaluate import evaluate_breakdowns, evaluate_metrics
from bot.reports.period import Period
from bot.reports.scope import Scope, Windows
from bot.reports.targets import kpis, parse_targets
from bot.reports.vocabulary import GroupBy


def build_scope(settings: Settings, period: Period, group_by: GroupBy | None, now: datetime) -> Scope:
    return Scope(period, group_by, now, Windows.from_settings(settings))


def summary(session: Session, settings: Settings, scope: Scope, with_agents: bool = True) -> dict[str, Any]:
    """{"from", "to", "time_zone", "group_by", "generated_at", "groups", "metrics",
    "breakdowns", "kpis", "agents"} (see docs/gateway-contract.md)."""
    results = evaluate_metrics(session, scope)
    breakdowns = evaluate_breakdowns(session, scope)
    if scope.group_by is not None and scope.group_by.is_time:
        groups = scope.time_labels()
    else:
        groups = sorted({label for result in results.values() for label in result.groups})
    targets = parse_targets(settings.report_targets)
    tiles = kpis({key: result.total for key, result in results.items()}, targets, settings.report_amber_margin)
    return {
        "from": scope.period.first_day.isoformat(),
        "to": scope.period.last_day.isoformat(),
        "time_zone": str(scope.period.tz),
        "group_by": scope.group_by.value if scope.group_by is not None else None,
        "generated_at": scope.now.isoformat(),
        "groups": groups,
        "metrics": {key: result.as_dict() for key, result in results.items()},
        "breakdowns": {key: result.as_dict() for key, result in breakdowns.items()},
        "kpis": [tile.as_dict() for tile in tiles],
        "agents": [load.as_dict() for load in agent_workload(session, scope)] if with_agents else [],
    }


CSV_COLUMNS = ("section", "key", "group", "item", "unit", "value", "numerator", "denominator")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is quoted (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def to_csv(report: dict[str, Any]) -> str:
    """One row per number: the metrics (total and groups), the breakdown items, the agents."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)

    def row(section: str, key: str, group: str, item: str, unit: str, value: dict[str, Any]) -> None:
        writer.writerow(
            [
                _cell(x)
                for x in (section, key, group, item, unit, value["value"], value["numerator"], value["denominator"])
            ]
        )

    for key, metric in report["metrics"].items():
        row("metric", key, "total", "", metric["unit"], metric["total"])
        for group, value in metric["groups"].items():
            row("metric", key, group, "", metric["unit"], value)
    for key, breakdown in report["breakdowns"].items():
        for value in breakdown["total"]:
            row("breakdown", key, "total", value["key"], breakdown["unit"], value)
        for group, values in breakdown["groups"].items():
            for value in values:
                row("breakdown", key, group, value["key"], breakdown["unit"], value)
    units = {"chats_handled": "count", "avg_handle_seconds": "seconds", "csat_avg": "score", "cases_resolved": "count"}
    for load in report["agents"]:
        for key in AGENT_METRICS:
            row("agent", key, load["name"], "", units[key], load[key])
    for dimension, spots in report.get("hotspots", {}).items():
        for spot in spots:  # value: delayed parcels; numerator: them; denominator: the period before
            row(
                "hotspot",
                dimension,
                spot["key"],
                "warning" if spot["warning"] else "",
                "count",
                {"value": spot["parcels"], "numerator": spot["parcels"], "denominator": spot["previous_parcels"]},
            )
    return out.getvalue()
