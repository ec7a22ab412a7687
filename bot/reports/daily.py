"""The daily report (日报): one local day's service standards, volume, human queue,
satisfaction, why customers were handed off and complained, hot spots of the last
seven days, cases and agents; as Markdown or CSV."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.contract import label
from bot.reports.hotspots import DIMENSIONS, hotspots
from bot.reports.period import Period, zone
from bot.reports.summary import build_scope, summary, to_csv
from bot.reports.targets import DIRECTIONS, HIGHER
from bot.reports.vocabulary import NO_STAGE


def daily_report(session: Session, settings: Settings, day: date, now: datetime) -> dict[str, Any]:
    """The summary of `day` plus the hot spots of the seven days ending that day."""
    tz = zone(settings.staffed_tz)
    report = summary(session, settings, build_scope(settings, Period(day, day, tz), None, now))
    week = Period.of_days(None, day, tz, day, default_days=7)
    spots = hotspots(session, week, settings.hotspot_min_count, settings.hotspot_jump_ratio)
    report["hotspots"] = {dimension: [spot.as_dict() for spot in spots[dimension]] for dimension in DIMENSIONS}
    report["hotspot_period"] = {"from": week.first_day.isoformat(), "to": week.last_day.isoformat()}
    return report


def daily_csv(report: dict[str, Any]) -> str:
    return to_csv(report)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} 秒"
    if seconds < 5400:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes} 分 {rest} 秒" if rest else f"{minutes} 分钟"
    return f"{seconds / 3600:.1f} 小时"


def formatted(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "seconds":
        return _duration(value)
    if unit == "score":
        return f"{value:.2f}"
    return f"{value:g}"


def _fraction(item: dict[str, Any]) -> str:
    if item["denominator"] is None:
        return ""
    return f"{item['numerator']:g}/{item['denominator']:g}"


def _stage(key: str) -> str:
    return "未进入流程" if key == NO_STAGE else label("claim_stages", key)


def daily_markdown(report: dict[str, Any]) -> str:
    metrics = report["metrics"]

    def m(key: str) -> str:
        return formatted(metrics[key]["total"]["value"], metrics[key]["unit"])

    def n(key: str) -> str:
        return f"{metrics[key]['total']['value']:g}"

    lines = [f"# 客服日报 {report['from']}（{report['time_zone']}）", ""]
    lines += ["## 服务标准", "", "| 指标 | 实际 | 目标 | 状态 | 计算 |", "| --- | --- | --- | --- | --- |"]
    for tile in report["kpis"]:
        unit = metrics[tile["metric"]]["unit"]
        sign = "≥" if DIRECTIONS[tile["metric"]] == HIGHER else "≤"
        lines.append(
            f"| {label('report_metrics', tile['metric'])} | {formatted(tile['value'], unit)} | "
            f"{sign}{formatted(tile['target'], unit)} | {label('kpi_statuses', tile['status'])} | "
            f"{_fraction(tile)} |"
        )
    lines += [
        "",
        "## 业务量",
        "",
        f"- 会话 {n('conversations')} 个，客户消息 {n('customer_messages')} 条",
        f"- 机器人独立解决率 {m('bot_containment')}，转人工率 {m('handoff_rate')}（{n('handoffs')} 次排队）",
        f"- 投诉 {n('complaints')} 起（投诉率 {m('complaint_rate')}）",
        "",
        "## 人工服务",
        "",
        f"- 接通率 {m('answer_rate')}，平均应答 {m('avg_answer_seconds')}，"
        f"首次响应中位数 {m('first_response_p50_seconds')}，P90 {m('first_response_p90_seconds')}",
        f"- 首次响应达标率 {m('first_response_sla_rate')}，SLA 超时 {n('sla_breaches')} 次，"
        f"仍在排队 {n('queue_waiting')}，放弃排队 {n('queue_abandoned')}，平均处理时长 {m('avg_handle_seconds')}",
        "",
        "## 满意度",
        "",
        f"- 人工服务 {m('csat_human_avg')}（{metrics['csat_human_avg']['total']['denominator']:g} 份评价），"
        f"智能客服 {m('csat_bot_avg')}（{metrics['csat_bot_avg']['total']['denominator']:g} 份），"
        f"工单 {m('csat_case_avg')}（{metrics['csat_case_avg']['total']['denominator']:g} 份）",
    ]
    breakdowns = report["breakdowns"]
    for key, table in (
        ("handoffs_by_reason", "handoff_reasons"),
        ("complaint_causes", "exception_types"),
        ("complaint_reasons", None),
    ):
        items = [item for item in breakdowns[key]["total"] if item["numerator"]]
        lines += ["", f"## {label('report_metrics', key)}", ""]
        if not items:
            lines.append("- 无")
        for item in items:
            name = label(table, item["key"]) if table else item["key"]
            lines.append(f"- {name}：{item['numerator']:g}（{formatted(item['value'], 'ratio')}）")
    period = report["hotspot_period"]
    lines += ["", f"## 延误热点（{period['from']} 至 {period['to']}，与前 7 天相比）", ""]
    any_spot = False
    for dimension in DIMENSIONS:
        for spot in report["hotspots"][dimension][:5]:
            any_spot = True
            change = "新出现" if spot["change"] is None else f"{spot['change'] * 100:+.0f}%"
            warn = " ⚠ 预警" if spot["warning"] else ""
            lines.append(
                f"- {label('hotspot_dimensions', dimension)} {spot['key']}：延误件 {spot['parcels']}"
                f"（前 7 天 {spot['previous_parcels']}，{change}），咨询 {spot['contacts']} 次{warn}"
            )
    if not any_spot:
        lines.append("- 无")
    lines += [
        "",
        "## 工单",
        "",
        f"- 新建 {n('cases_opened')}，按时处理率 {m('resolved_within_due_rate')}，"
        f"处理成功率 {m('handling_success_rate')}，处理时长中位数 {m('resolve_median_seconds')}，"
        f"逾期 {n('cases_overdue')}",
    ]
    claims = [item for item in breakdowns["claims_by_stage"]["total"] if item["numerator"]]
    if claims:
        stages = "，".join(f"{_stage(item['key'])} {item['numerator']:g}" for item in claims)
        lines.append(f"- 理赔进度：{stages}")
    lines += ["", "## 客服工作量", ""]
    if not report["agents"]:
        lines.append("- 无")
    else:
        lines += ["| 客服 | 处理会话 | 平均处理时长 | 满意度 | 完成工单 |", "| --- | --- | --- | --- | --- |"]
        for load in report["agents"]:
            lines.append(
                f"| {load['name']} | {load['chats_handled']['value']:g} | "
                f"{formatted(load['avg_handle_seconds']['value'], 'seconds')} | "
                f"{formatted(load['csat_avg']['value'], 'score')} | {load['cases_resolved']['value']:g} |"
            )
    lines.append("")
    return "\n".join(lines)
