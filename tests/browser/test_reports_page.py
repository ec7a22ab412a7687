"""A supervisor opens the console's Reports view after a scripted day of conversations
with the real bot (gateway + Rasa + actions): the KPI tiles show the numbers worked out
below, every chart is drawn (a canvas each), the CSV downloads, and neither the page nor
the console logs an error. Screenshots are kept (their folder is printed).

The day (customers on REST, the supervisor on the agent API):
  d1  "SF1402345678901 到哪了", then "再见": the bot says goodbye and asks for a rating: 5
  d2  "你好"
  d3  "转人工": queued; the supervisor claims it, answers, closes it; the customer rates 4
  d4  "转人工": still waiting (inside its SLA)
Tiles: bot containment 2/4 = 50.0% (red); answer rate 1/1 (d4 not judged yet) = 100.0%
(green); online replies 4/4 (green); first-contact resolution 4/4 (green); CSAT of the bot
5.00 (green), of the agents 4.00 (red: under 4.5 by more than 10%); average answer time:
seconds (green)."""

from __future__ import annotations

import json
import re
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from bot.privacy import pseudonym
from tests.browser.conftest import Stack

pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
from playwright.sync_api import Page, expect, sync_playwright

from tests.browser.test_widget_console import CHROMIUM_ARGS, WAIT_MS

pytestmark = pytest.mark.slow  # a real chromium against the real servers


def _call(stack: Stack, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    request = urllib.request.Request(
        stack.base_url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def _say(stack: Stack, sender: str, text: str) -> list[str]:
    replies = _call(stack, "POST", "/webhooks/rest/webhook", {"sender": sender, "message": text})
    return [r.get("text", "") for r in replies]


def scripted_day(stack: Stack) -> None:
    assert _say(stack, "day-1", "SF1402345678901 到哪了"), "the bot did not answer"
    goodbye = _say(stack, "day-1", "再见")
    assert any(t.startswith("请问您对本次智能客服的服务满意吗") for t in goodbye), goodbye
    assert _say(stack, "day-1", "5")[0].startswith("感谢您的评价")
    assert _say(stack, "day-2", "你好")
    for sender in ("day-3", "day-4"):
        assert any("第 1 位" in t or "第 2 位" in t for t in _say(stack, sender, "转人工")), sender
    token = _call(stack, "POST", "/api/login", {"username": stack.agent_username, "password": stack.agent_password})[
        "token"
    ]
    item = next(
        i
        for i in _call(stack, "GET", "/api/queue", token=token)["items"]
        if i["sender_id"] == pseudonym("rest", "day-3")
    )
    _call(stack, "POST", f"/api/handoffs/{item['handoff_id']}/claim", {}, token)
    _call(stack, "POST", f"/api/conversations/{item['conversation_id']}/messages", {"text": "您好，我来帮您"}, token)
    _call(stack, "POST", f"/api/conversations/{item['conversation_id']}/resolve", {}, token)
    assert _say(stack, "day-3", "4")[0].startswith("感谢您的评价")


def test_supervisor_sees_the_days_standards(reports_stack: Stack, chromium_executable: str) -> None:
    stack = reports_stack
    scripted_day(stack)
    shots = Path(tempfile.mkdtemp(prefix="parcel-reports-shots-"))
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN", accept_downloads=True)
        page: Page = context.new_page()
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        try:
            page.goto(stack.base_url + "/console")
            page.get_by_label("用户名").fill(stack.agent_username)
            page.get_by_label("密码").fill(stack.agent_password)
            page.get_by_test_id("login-submit").click()
            page.get_by_test_id("nav-reports").click()
            view = page.get_by_test_id("view-reports")
            expect(view).to_have_attribute("data-state", "ready", timeout=WAIT_MS)

            def tile(metric: str, value: str, status: str) -> None:
                expect(page.get_by_test_id(f"kpi-value-{metric}")).to_have_text(value)
                expect(page.get_by_test_id(f"kpi-{metric}")).to_have_attribute("data-status", status)

            tile("bot_containment", "50.0%", "red")
            tile("answer_rate", "100.0%", "green")
            tile("online_reply_rate", "100.0%", "green")
            tile("fcr_rate", "100.0%", "green")
            tile("csat_bot_avg", "5.00", "green")
            tile("csat_human_avg", "4.00", "red")
            expect(page.get_by_test_id("kpi-avg_answer_seconds")).to_have_attribute("data-status", "green")
            expect(page.get_by_test_id("kpi-value-avg_answer_seconds")).to_have_text(re.compile(r"^\d+ 秒$"))
            for chart in ("volume", "rates", "reasons", "causes", "csat"):
                canvas = page.get_by_test_id(f"chart-{chart}")
                expect(canvas).to_be_visible()
                assert canvas.evaluate("c => c.width > 0 && c.height > 0"), chart
            page.screenshot(path=str(shots / "reports-by-day.png"), full_page=True)

            page.get_by_test_id("report-group-by").select_option("channel")
            expect(view).to_have_attribute("data-state", "ready", timeout=WAIT_MS)
            expect(page.get_by_test_id("chart-volume")).to_be_visible()
            with page.expect_download() as download:
                page.get_by_test_id("report-csv").click()
            assert re.fullmatch(
                r"report-\d{4}-\d\d-\d\d_\d{4}-\d\d-\d\d-by-channel\.csv", download.value.suggested_filename
            ), download.value.suggested_filename
            csv_text = Path(download.value.path()).read_text(encoding="utf-8-sig")
            assert "metric,bot_containment,total,,ratio,0.5,2,4" in csv_text
            page.screenshot(path=str(shots / "reports-by-channel.png"), full_page=True)
        except BaseException:
            page.screenshot(path=str(shots / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    print(f"screenshots in {shots}")
    assert not errors, errors
