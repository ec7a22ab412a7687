"""`python -m bot reports ...` on the canonical week (tests/reports/history.py) and on a
small demo history, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from bot.__main__ import main
from bot.gateway.db import Database
from tests.reports.history import History, canonical_week

pytestmark = pytest.mark.slow  # builds a report history in a database for each test


def run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_daily_report_markdown_and_csv(db: Database, history: History, database_url: str, capsys: Any) -> None:
    canonical_week(history)
    code, out, _ = run(capsys, "reports", "daily", "--date", "2024-05-08", "--database-url", database_url)
    assert code == 0
    assert out.startswith("# 客服日报 2024-05-08（Asia/Shanghai）")
    # 05-08: E (a complaint about damaged JD1, unanswered past its SLA) and F (answered after 40 min, rated 2).
    assert "| 人工接通率 | 50.0% | ≥95.0% | 未达标 | 1/2 |" in out
    assert "| 平均应答时长 | 40 分钟 | ≤15 秒 | 未达标 | 2400/1 |" in out
    assert "- 会话 2 个，客户消息 2 条" in out
    assert "- 投诉 1 起（投诉率 50.0%）" in out
    assert "- 客户投诉：1（50.0%）" in out and "- 破损：1（100.0%）" in out
    assert "| Bob | 1 | 10 分钟 | 2.00 | 0 |" in out
    code, out, _ = run(
        capsys, "reports", "daily", "--date", "2024-05-08", "--format", "csv", "--database-url", database_url
    )
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert ["metric", "complaints", "total", "", "count", "1", "1", "2"] in rows


def test_summary_json(db: Database, history: History, database_url: str, capsys: Any) -> None:
    canonical_week(history)
    code, out, _ = run(
        capsys,
        "reports",
        "summary",
        "--from",
        "2024-05-06",
        "--to",
        "2024-05-12",
        "--group-by",
        "week",
        "--database-url",
        database_url,
    )
    assert code == 0
    body = json.loads(out)
    assert body["metrics"]["conversations"]["groups"] == {
        "2024-05-06": {"value": 10, "numerator": 10, "denominator": None}
    }


@pytest.mark.parametrize(
    "argv, message",
    [
        (["reports", "daily", "--date", "2024-02-30"], "error: '--date' must be a date YYYY-MM-DD"),
        (["reports", "summary", "--from", "2024-05-12", "--to", "2024-05-01"], "error: 'from' must not be after 'to'"),
        (
            ["reports", "summary", "--from", "2024-05-01", "--to", "2024-05-02", "--group-by", "hour"],
            "error: 'group_by' must be one of: day, week, month, channel, language, category",
        ),
    ],
)
def test_bad_arguments_exit_2_with_the_reason(
    argv: list[str], message: str, database_url: str, db: Database, capsys: Any
) -> None:
    code, _, err = run(capsys, *argv, "--database-url", database_url)
    assert code == 2
    assert err.strip() == message


def test_demo_history_then_relink(db: Database, database_url: str, capsys: Any) -> None:
    code, out, _ = run(
        capsys,
        "reports",
        "demo-history",
        "--conversations",
        "300",
        "--days",
        "10",
        "--end",
        "2024-05-12",
        "--database-url",
        database_url,
    )
    assert code == 0 and out.startswith("conversations=300 messages=")
    code, out, _ = run(
        capsys, "reports", "summary", "--from", "2024-05-03", "--to", "2024-05-12", "--database-url", database_url
    )
    body = json.loads(out)
    assert body["metrics"]["conversations"]["total"]["value"] == 300
    assert 0 < body["metrics"]["bot_containment"]["total"]["value"] < 1
    code, out, _ = run(capsys, "reports", "relink", "--database-url", database_url)
    assert (code, out.strip()) == (0, "contact links recomputed for 300 conversations")
    code, again, _ = run(
        capsys, "reports", "summary", "--from", "2024-05-03", "--to", "2024-05-12", "--database-url", database_url
    )
    assert json.loads(again)["metrics"]["fcr_rate"] == body["metrics"]["fcr_rate"]  # the same links
