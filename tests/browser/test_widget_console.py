"""One real-browser end-to-end run: a customer on the demo page chats through the
stock rasa-webchat widget (the page's built-in fallback only with
PARCEL_BROWSER_WIDGET=builtin), gets a tracking answer whose lines (route, status,
latest scan) stay lines in the Markdown-rendering widget, asks for a human, an agent in a second browser context
claims the chat in the console, replies in real time (typed and a canned reply), adds a
private note, resolves, and the customer's 1-5 rating is stored and shows up live in the
agent's console.

Also checks that customer text is shown as text in the console (no markup runs)."""

from __future__ import annotations

import contextlib
import json
import re
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Stack, builtin_widget_allowed

pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
from playwright.sync_api import Browser, Dialog, Error, Page, expect, sync_playwright

pytestmark = pytest.mark.slow  # a real chromium against the real servers

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
XSS = "<img src=x onerror=alert(1)>"
# With Chinese words around it: a Latin-only message would switch the chat to English.
XSS_MESSAGE = f"截图在这里 {XSS} 请看一下"
AGENT_REPLY = "您好，我是客服小王，马上为您处理"
PRIVATE_NOTE = "内部备注：客户已等待较久，优先跟进"
WAIT_MS = 60_000  # Rasa's first turns on a cold, busy machine


class CustomerWidget:
    """Drives whichever widget the demo page mounted (html[data-widget])."""

    def __init__(self, page: Page) -> None:
        self.page = page
        page.wait_for_selector("html[data-widget]", timeout=WAIT_MS)
        self.kind = page.get_attribute("html", "data-widget")
        stock = self.kind == "rasa-webchat"
        self.launcher = ".rw-launcher" if stock else "[data-testid=builtin-launcher]"
        self.input = ".rw-new-message" if stock else "[data-testid=builtin-input]"
        self.bot_messages = ".rw-response" if stock else ".sdw-msg[data-role=bot] .sdw-bubble"
        self.replies = ".rw-replies .rw-reply" if stock else ".sdw-replies button"

    def open(self) -> None:
        self.page.click(self.launcher, timeout=WAIT_MS)
        self.page.wait_for_selector(self.input, state="visible", timeout=WAIT_MS)

    def send(self, text: str) -> None:
        self.page.fill(self.input, text)
        self.page.press(self.input, "Enter")

    def bot_texts(self) -> list[str]:
        return self.page.locator(self.bot_messages).all_inner_texts()

    def wait_for_bot(self, pattern: str, timeout: int = WAIT_MS) -> str:
        """Wait until a bot-side message matches the regex; returns its text."""
        self.page.wait_for_function(
            """([selector, source]) => {
                const re = new RegExp(source);
                return Array.from(document.querySelectorAll(selector)).some(n => re.test(n.textContent));
            }""",
            arg=[self.bot_messages, pattern],
            timeout=timeout,
        )
        return next(t for t in self.bot_texts() if re.search(pattern, t))

    def click_reply(self, starts_with: str) -> None:
        button = self.page.locator(self.replies).filter(has_text=re.compile("^\\s*" + re.escape(starts_with)))
        expect(button.first).to_be_visible(timeout=WAIT_MS)
        button.first.click()


def _log_tails(stack: Stack) -> str:
    parts = []
    for log in sorted((stack.data_dir / "logs").glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()[-60:]
        parts.append(f"----- {log.name} -----\n" + "\n".join(lines))
    return "\n".join(parts)


def _csat_scores(stack: Stack, conversation_id: str) -> list[int]:
    from sqlalchemy import select

    from bot.db import make_engine, make_session_factory
    from bot.gateway.models import CsatAnswer

    engine = make_engine(stack.settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            return list(
                session.execute(select(CsatAnswer.score).where(CsatAnswer.conversation_id == conversation_id)).scalars()
            )
    finally:
        engine.dispose()


def _collect(errors: list[str], page_name: str) -> Callable[[Error], None]:
    """A page's "pageerror" handler: the error, prefixed with the page's name."""

    def handle(error: Error) -> None:
        errors.append(f"{page_name}: {error}")

    return handle


def _dismiss(dialogs: list[str], page_name: str) -> Callable[[Dialog], None]:
    """A page's "dialog" handler: note the message, dismiss the dialog."""

    def handle(dialog: Dialog) -> None:
        dialogs.append(f"{page_name}: {dialog.message}")
        dialog.dismiss()

    return handle


def _launch(playwright: Any, executable: str) -> Browser:
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)


def _get_json(stack: Stack, path: str, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(stack.base_url + path, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def _check_labels_from_server(agent: Page, stack: Stack, conversation_id: str) -> None:
    """The console shows the server's labels (GET /api/labels, bot/contract.py) and keeps
    none of its own: what it renders matches the server's words for the conversation's
    values, values its old maps lacked (the wecom channel, the system_busy reason, the
    regular customer tier) get the server's label, and a value the server does not know
    is shown as itself."""
    labels = {
        name: {str(entry["value"]): entry["label"]["zh"] for entry in entries}
        for name, entries in _get_json(stack, "/api/labels").items()
    }
    token = agent.evaluate("() => sessionStorage.getItem('suda-console-token')")
    detail = _get_json(stack, f"/api/conversations/{conversation_id}", token)
    conversation, handoff = detail["conversation"], detail["handoff"]
    expect(agent.get_by_test_id("summary-reason")).to_have_text(labels["handoff_reasons"][handoff["reason"]])
    expect(agent.get_by_test_id("summary-category")).to_have_text(labels["handoff_categories"][handoff["category"]])
    expect(agent.get_by_test_id("summary-priority")).to_have_text(labels["priorities"][handoff["priority"]])
    expect(agent.get_by_test_id("conversation-state")).to_have_text(
        labels["conversation_states"][conversation["state"]]
    )
    channel = labels["channels"][conversation["channel"]]
    language = conversation.get("language")
    expect(agent.get_by_test_id("summary-channel")).to_have_text(
        f"{channel} · {labels['languages'][language]}" if language else channel
    )
    expect(agent.get_by_test_id("transcript").locator("[data-role=bot] .meta span").first).to_have_text(
        labels["message_roles"]["bot"]
    )
    shown = agent.evaluate("""async () => {
        const { label, values, VOCAB } = await import("/static/console/core/labels.js");
        return {
            wecom: label(VOCAB.channels, "wecom"),
            systemBusy: label(VOCAB.reasons, "system_busy"),
            regular: label(VOCAB.customerTiers, "regular"),
            unknown: label(VOCAB.channels, "carrier_pigeon"),
            missing: label(VOCAB.channels, null),
            priorities: values(VOCAB.priorities).map((entry) => entry.value),
        };
    }""")
    assert shown == {
        "wecom": labels["channels"]["wecom"],
        "systemBusy": labels["handoff_reasons"]["system_busy"],
        "regular": labels["customer_tiers"]["regular"],
        "unknown": "carrier_pigeon",
        "missing": "—",
        "priorities": list(labels["priorities"]),  # the server's order, most urgent first
    }, shown
    assert shown["priorities"][0] == "urgent", shown


def _check_view_switcher(agent: Page) -> None:
    """A view registered like issue 9/11's views (core/views.js) gets a tab; the tab and
    the URL fragment switch views, and the conversations view comes back as it was."""
    agent.evaluate("""async () => {
        const views = await import("/static/console/core/views.js");
        views.registerView({ id: "probe", title: "探针", mount(root) { root.textContent = "probe view"; } });
    }""")
    nav = agent.get_by_test_id("view-nav")
    expect(nav).to_be_visible()
    expect(nav.get_by_test_id("nav-conversations")).to_have_attribute("aria-current", "page")
    nav.get_by_test_id("nav-probe").click()
    expect(agent.get_by_test_id("view-probe")).to_have_text("probe view")
    expect(agent.get_by_test_id("view-conversations")).to_be_hidden()
    expect(nav.get_by_test_id("nav-probe")).to_have_attribute("aria-current", "page")
    assert agent.url.endswith("#probe"), agent.url
    agent.go_back()  # the fragment, not only the tab, selects the view
    expect(agent.get_by_test_id("view-conversations")).to_be_visible()
    expect(agent.get_by_test_id("view-probe")).to_be_hidden()
    expect(agent.get_by_test_id("conversation-view")).to_be_visible()
    expect(agent.get_by_test_id("notes-list")).to_contain_text(PRIVATE_NOTE)
    expect(agent.get_by_test_id("reply-input")).to_be_enabled()


def test_customer_to_agent_and_back(browser_stack: Stack, chromium_executable: str) -> None:
    stack = browser_stack
    shots = Path(tempfile.mkdtemp(prefix="parcel-browser-shots-"))
    dialogs: list[str] = []
    page_errors: list[str] = []
    console_errors: list[str] = []

    def shot(page: Page, name: str) -> None:
        path = shots / f"{name}.png"
        page.screenshot(path=str(path))
        print(f"screenshot: {path}")

    webchat_served = False
    try:
        with urllib.request.urlopen(stack.base_url + "/static/vendor/rasa-webchat.js", timeout=10) as response:
            webchat_served = response.status == 200
    except OSError:
        pass

    with sync_playwright() as playwright:
        browser = _launch(playwright, chromium_executable)
        customer_ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        agent_ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        customer = customer_ctx.new_page()
        agent = agent_ctx.new_page()
        for name, page in (("customer", customer), ("agent", agent)):
            page.on("dialog", _dismiss(dialogs, name))
            page.on("pageerror", _collect(page_errors, name))
        # The console's own errors (the stock widget's blocked web fonts are its business).
        agent.on(
            "console",
            lambda m: console_errors.append(f"{m.text} @ {m.location.get('url')}") if m.type == "error" else None,
        )
        try:
            # --- the customer opens the demo page and asks for a human -----------------
            customer.goto(stack.base_url + "/", wait_until="load")
            expect(customer).to_have_title(re.compile("速达快递"))
            expect(customer.get_by_test_id("sample-tracking-numbers")).to_contain_text("SF1402345678901")
            widget = CustomerWidget(customer)
            print(f"customer widget: {widget.kind} (vendor bundle served: {webchat_served})")
            expected = "builtin" if builtin_widget_allowed() else "rasa-webchat"
            assert webchat_served == (expected == "rasa-webchat"), f"vendor bundle served: {webchat_served}"
            assert widget.kind == expected, f"the page mounted {widget.kind!r}, expected {expected!r}"
            widget.open()
            widget.wait_for_bot(r"\S")  # the /greet answer: Rasa is warm
            # --- a tracking answer keeps its lines in the Markdown widget ---------------
            widget.send("SF1402345678901 到哪了")
            block = widget.wait_for_bot(r"线路")
            lines = [line.strip() for line in block.splitlines() if line.strip()]
            assert any(line.startswith("线路") for line in lines), f"route not on its own line: {block!r}"
            assert any(line.startswith("状态") for line in lines), f"status not on its own line: {block!r}"
            assert any(line.startswith("最新轨迹") for line in lines), f"latest scan not on its own line: {block!r}"
            assert "\\" not in block and "**" not in block, f"Markdown escapes shown: {block!r}"
            shot(customer, "0-customer-tracking")
            widget.send("转人工")
            handoff_text = widget.wait_for_bot(r"人工|转接")
            queue_text = widget.wait_for_bot(r"排在第\s*\d+\s*位")
            print(f"bot: {handoff_text!r} / {queue_text!r}")
            widget.send(XSS_MESSAGE)
            shot(customer, "1-customer-queued")

            # --- the agent logs in and sees the chat waiting ----------------------------
            agent.goto(stack.base_url + "/console")
            agent.get_by_label("用户名").fill(stack.agent_username)
            agent.get_by_label("密码").fill(stack.agent_password)
            agent.get_by_test_id("login-submit").click()
            expect(agent.get_by_test_id("agent-name")).to_have_text(stack.agent_display_name, timeout=WAIT_MS)
            expect(agent.get_by_test_id("ws-status")).to_have_attribute("data-state", "open", timeout=WAIT_MS)
            item = agent.get_by_test_id("queue-item").first
            expect(item).to_be_visible(timeout=WAIT_MS)
            expect(item.get_by_test_id("queue-wait")).not_to_have_text("—")
            conversation_id = item.get_attribute("data-conversation-id")
            assert conversation_id
            # The customer's latest text is previewed as text, and it arrives live.
            expect(item.get_by_test_id("queue-preview")).to_have_text(XSS_MESSAGE, timeout=WAIT_MS)
            shot(agent, "2-agent-queue")

            # --- claim, read the transcript ----------------------------------------------
            item.get_by_test_id("queue-claim").click()
            view = agent.get_by_test_id("conversation-view")
            expect(view).to_be_visible(timeout=WAIT_MS)
            expect(agent.get_by_test_id("summary-reason")).not_to_have_text("—")
            transcript = agent.get_by_test_id("transcript")
            customer_lines = transcript.locator("[data-testid=message][data-role=customer] [data-testid=message-text]")
            expect(customer_lines.filter(has_text="转人工")).to_have_count(1, timeout=WAIT_MS)
            expect(customer_lines.filter(has_text=XSS_MESSAGE)).to_have_count(1)
            assert agent.locator("#transcript img, #queue-list img").count() == 0, "customer markup became an element"
            expect(transcript.locator("[data-testid=message][data-role=bot]").first).to_be_visible()
            expect(agent.get_by_test_id("my-conversation-item")).to_have_count(1)
            _check_labels_from_server(agent, stack, conversation_id)

            # --- a live reply reaches the customer without a reload ------------------------
            reply_box = agent.get_by_test_id("reply-input")
            reply_box.fill(AGENT_REPLY)
            reply_box.press("Enter")
            expect(
                transcript.locator("[data-testid=message][data-role=agent]").filter(has_text=AGENT_REPLY)
            ).to_have_count(1, timeout=WAIT_MS)
            expect(reply_box).to_have_value("")
            widget.wait_for_bot(re.escape(AGENT_REPLY))
            # A canned reply (delay apology) goes out the same way; a private note does not.
            agent.get_by_test_id("canned-toggle").click()
            agent.locator("[data-testid=canned-item][data-canned-id='delay_apology.zh']").click()
            expect(reply_box).to_have_value(re.compile("非常抱歉您的包裹延误了"))
            reply_box.press("Enter")
            widget.wait_for_bot("非常抱歉您的包裹延误了")
            agent.get_by_test_id("note-input").fill(PRIVATE_NOTE)
            agent.get_by_test_id("note-add").click()
            expect(agent.get_by_test_id("notes-list")).to_contain_text(PRIVATE_NOTE, timeout=WAIT_MS)
            shot(customer, "3-customer-agent-reply")
            shot(agent, "4-agent-conversation")
            _check_view_switcher(agent)

            # --- resolve: the customer rates 5 -------------------------------------------
            agent.get_by_test_id("resolve-button").click()
            agent.get_by_test_id("confirm-ok").click()
            expect(agent.get_by_test_id("conversation-state")).to_have_text(re.compile("待评价"), timeout=WAIT_MS)
            widget.wait_for_bot(r"1\s*[-–]\s*5")
            widget.click_reply("5")
            widget.wait_for_bot(r"感谢您的评价|Thank you for your feedback")
            # The agent who resolved the chat sees the rating arrive, without a reload.
            expect(agent.get_by_test_id("closed-banner")).to_contain_text("评分：5/5", timeout=WAIT_MS)
            expect(customer_lines.filter(has_text=re.compile(r"^\s*5\s*$"))).to_have_count(1)
            expect(transcript.locator("[data-testid=message]").filter(has_text="感谢您的评价")).to_have_count(1)
            shot(customer, "5-customer-rated")
            shot(agent, "6-agent-resolved")

            assert not any(PRIVATE_NOTE in text for text in widget.bot_texts()), "the private note reached the customer"
            scores = _csat_scores(stack, conversation_id)
            assert scores == [5], f"CSAT answers stored for {conversation_id}: {scores}"
            assert not dialogs, f"a JavaScript dialog opened (markup ran?): {dialogs}"
            if page_errors:
                print("page errors:", page_errors)
            assert not console_errors, f"the console logged errors: {console_errors}"
            assert not [e for e in page_errors if e.startswith("agent")], page_errors
        except BaseException:
            for name, page in (("customer", customer), ("agent", agent)):
                with contextlib.suppress(Exception):
                    shot(page, f"failure-{name}")
            print(_log_tails(stack))
            raise
        finally:
            browser.close()
    print(f"screenshots in {shots}")
