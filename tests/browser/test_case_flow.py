"""A case end to end in real browsers: a customer reports a damaged parcel in the stock
rasa-webchat widget, opens the upload link the bot sent and uploads a photo; an agent
opens the case in the console's Cases view, sees the photo, moves the case to in
progress (assessment) with an internal note; the customer sees the update arrive live in
the widget and asks "进度呢", answered from the case."""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
from pathlib import Path

import pytest

from tests.browser.conftest import Stack
from tests.browser.test_widget_console import WAIT_MS, CustomerWidget, _collect, _launch, _log_tails

pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
from playwright.sync_api import Page, expect, sync_playwright

pytestmark = pytest.mark.slow  # a real chromium against the real servers

DAMAGED = "YT2290112345678"  # demo parcel, declared value 399: the claim stays with the bot
NOTE = "内部备注：照片显示外箱压损，进入初步评估"


def _photo(path: Path) -> None:
    from PIL import Image

    image = Image.new("RGB", (800, 600), (200, 80, 40))
    out = io.BytesIO()
    image.save(out, "JPEG")
    path.write_bytes(out.getvalue())


def test_damage_report_upload_agent_update_and_progress(browser_stack: Stack, chromium_executable: str) -> None:
    stack = browser_stack
    shots = Path(tempfile.mkdtemp(prefix="parcel-case-shots-"))
    photo = shots / "outer-packaging.jpg"
    _photo(photo)
    page_errors: list[str] = []

    def shot(page: Page, name: str) -> None:
        page.screenshot(path=str(shots / f"{name}.png"))

    with sync_playwright() as playwright:
        browser = _launch(playwright, chromium_executable)
        customer_ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        agent_ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        customer = customer_ctx.new_page()
        agent = agent_ctx.new_page()
        for name, page in (("customer", customer), ("agent", agent)):
            page.on("pageerror", _collect(page_errors, name))
        try:
            # --- the customer reports the damage and gets a case reference and an upload link ----
            customer.goto(stack.base_url + "/", wait_until="load")
            widget = CustomerWidget(customer)
            widget.open()
            widget.wait_for_bot(r"\S")
            widget.send(f"{DAMAGED} 收到的东西破损了")
            claim = widget.wait_for_bot(r"登记破损理赔申请，编号 CS\d{8}-\d{4}")
            reference = re.search(r"CS\d{8}-\d{4}", claim).group(0)
            link_text = widget.wait_for_bot(r"/upload/")
            url = re.search(r"https?://[^\s（）()]+/upload/[A-Za-z0-9_\-.]+", link_text).group(0)
            assert url.startswith(stack.base_url), url
            for item in ("外包装照片", "内物照片", "开箱视频", "购买凭证"):
                assert any(item in text for text in widget.bot_texts()), item
            shot(customer, "1-customer-claim")

            # --- the upload page (the link opens in a new tab) -----------------------------
            upload = customer_ctx.new_page()
            upload.goto(url)
            expect(upload.get_by_test_id("upload-reference")).to_have_text(reference)
            upload.get_by_test_id("upload-outer_packaging").set_input_files(str(photo))
            upload.get_by_test_id("upload-submit").click()
            expect(upload.get_by_test_id("upload-received")).to_contain_text("已收到 1 个文件", timeout=WAIT_MS)
            shot(upload, "2-upload-done")
            upload.close()
            widget.wait_for_bot(r"已收到您为破损理赔.*上传的 1 个文件")

            # --- the agent opens the case and sees the photo --------------------------------
            agent.goto(stack.base_url + "/console")
            agent.get_by_label("用户名").fill(stack.agent_username)
            agent.get_by_label("密码").fill(stack.agent_password)
            agent.get_by_test_id("login-submit").click()
            expect(agent.get_by_test_id("ws-status")).to_have_attribute("data-state", "open", timeout=WAIT_MS)
            agent.get_by_test_id("nav-cases").click()
            case_row = agent.locator(f"[data-testid=case-item][data-reference='{reference}']")
            expect(case_row).to_be_visible(timeout=WAIT_MS)
            expect(case_row.get_by_test_id("case-due")).to_contain_text("SLA 剩余")
            case_row.click()
            detail = agent.get_by_test_id("case-detail")
            expect(detail).to_have_attribute("data-status", "open", timeout=WAIT_MS)
            thumbnail = agent.get_by_test_id("evidence-thumbnail")
            expect(thumbnail).to_be_visible(timeout=WAIT_MS)
            agent.wait_for_function(
                "() => { const img = document.querySelector('[data-testid=evidence-thumbnail]');"
                " return img && img.complete && img.naturalWidth > 0; }",
                timeout=WAIT_MS,
            )
            expect(agent.get_by_test_id("evidence-item")).to_have_attribute("data-item", "outer_packaging")
            shot(agent, "3-agent-case")

            # --- in progress (assessment) with an internal note -----------------------------
            agent.get_by_test_id("case-status-select").select_option("in_progress")
            agent.get_by_test_id("case-stage-select").select_option("assessment")
            agent.get_by_test_id("case-status-note").fill(NOTE)
            agent.get_by_test_id("case-status-submit").click()
            expect(detail).to_have_attribute("data-status", "in_progress", timeout=WAIT_MS)
            expect(detail).to_have_attribute("data-stage", "assessment")
            expect(agent.get_by_test_id("case-owner")).to_have_text(stack.agent_display_name)
            timeline = agent.get_by_test_id("case-timeline")
            expect(timeline.locator("[data-kind=status]")).to_contain_text(NOTE)
            expect(timeline.locator("[data-kind=evidence]")).to_have_count(1)
            shot(agent, "4-agent-in-progress")

            # --- the customer sees it live, then asks for progress ---------------------------
            widget.wait_for_bot(r"有新进展：处理中（初步评估）")
            assert not any(NOTE in text for text in widget.bot_texts()), "the internal note reached the customer"
            widget.send("进度呢")
            answer = widget.wait_for_bot(rf"您的破损理赔（编号 {reference}）.*目前处理中（初步评估）")
            assert "预计" in answer and "处理完成" in answer, answer
            shot(customer, "5-customer-progress")
            assert not [e for e in page_errors if e.startswith("agent")], page_errors
        except BaseException:
            for name, page in (("customer", customer), ("agent", agent)):
                with contextlib.suppress(Exception):  # best effort
                    shot(page, f"failure-{name}")
            print(_log_tails(stack))
            raise
        finally:
            browser.close()
    print(f"screenshots in {shots}")
