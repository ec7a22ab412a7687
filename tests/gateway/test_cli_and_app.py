"""`python -m bot agents add`, password hashing, static pages, health and headers."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from bot.__main__ import main
from bot.gateway.auth import PBKDF2_ITERATIONS, verify_password
from bot.gateway.db import Database
from bot.gateway.models import Agent


def _agents(url: str) -> list[Agent]:
    db = Database(url)
    db.init()
    with db.session() as session:
        rows = session.execute(select(Agent).order_by(Agent.id)).scalars().all()
    db.dispose()
    return rows


@pytest.mark.slow  # password hashing at the production cost
def test_agents_add_reads_the_password_from_stdin(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'agents.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-pass\n"))
    assert main(["agents", "add", "xiaowang", "--display-name", "小王", "--tier", "2", "--max-chats", "3"]) == 0
    assert "created agent xiaowang" in capsys.readouterr().out
    (agent,) = _agents(url)
    assert (agent.username, agent.display_name, agent.role, agent.tier, agent.max_chats) == (
        "xiaowang",
        "小王",
        "agent",
        2,
        3,
    )
    scheme, iterations, _salt, _digest = agent.password_hash.split("$")
    assert scheme == "pbkdf2_sha256" and int(iterations) >= 200_000 == min(200_000, PBKDF2_ITERATIONS)
    assert "s3cret-pass" not in agent.password_hash and verify_password("s3cret-pass", agent.password_hash)
    assert not verify_password("s3cret-pasS", agent.password_hash)
    # Same user again: updated (new password, role), not duplicated.
    monkeypatch.setattr("sys.stdin", io.StringIO("other-pass\n"))
    assert main(["agents", "add", "xiaowang", "--role", "supervisor"]) == 0
    (agent,) = _agents(url)
    assert (
        agent.role == "supervisor"
        and agent.display_name == "小王"
        and verify_password("other-pass", agent.password_hash)
    )
    # Salts differ per user.
    monkeypatch.setattr("sys.stdin", io.StringIO("other-pass\n"))
    assert main(["agents", "add", "laoli"]) == 0
    first, second = _agents(url)
    assert first.password_hash.split("$")[2] != second.password_hash.split("$")[2]


def test_agents_add_refuses_an_empty_password(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'agents.db'}")
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert main(["agents", "add", "nobody"]) == 2
    assert "empty password" in capsys.readouterr().err


async def test_health_pages_and_security_headers(client):
    health = await client.get("/health")
    assert health.status == 200 and await health.json() == {"status": "ok"}
    assert health.headers["X-Content-Type-Options"] == "nosniff"
    for path in ("/", "/console"):
        page = await client.get(path)
        assert page.status in (200, 404)  # the pages are written separately; a missing one is a clean 404
        if page.status == 200:
            assert page.content_type == "text/html" and "Content-Security-Policy" in page.headers
            policy = dict(part.strip().split(" ", 1) for part in page.headers["Content-Security-Policy"].split(";"))
            assert policy["script-src"] == "'self'"  # no inline or third-party scripts
            assert "https:" in policy["img-src"]  # the bot's image replies (URLs) can be shown
    assert (await client.get("/static/../../bot/config.py")).status == 404
    assert (await client.get("/static/%2e%2e/%2e%2e/bot/config.py")).status == 404
    assert (await client.get("/static/nope.js")).status == 404


async def test_stock_widget_bundle_is_served_from_webchat_js(make_client, settings, tmp_path):
    bundle = tmp_path / "index.js"
    bundle.write_text("window.WebChat = {default: function () {}};", encoding="utf-8")
    served = await make_client(settings, webchat_js=str(bundle))
    response = await served.get("/static/vendor/rasa-webchat.js")
    assert response.status == 200 and response.content_type == "application/javascript"
    assert "window.WebChat" in await response.text()
    page = await served.get("/")
    assert page.status == 200 and "/static/widget/widget.js" in await page.text()
    missing = await make_client(settings, webchat_js=str(tmp_path / "absent.js"))
    assert (await missing.get("/static/vendor/rasa-webchat.js")).status == 404  # the page falls back


async def test_labels_serve_every_vocabulary_without_a_token(client):
    response = await client.get("/api/labels")
    assert response.status == 200 and response.content_type == "application/json"
    labels = await response.json()
    assert set(labels) >= {
        "handoff_categories",
        "priorities",
        "handoff_reasons",
        "agent_tiers",
        "channels",
        "customer_tiers",
        "conversation_states",
        "handoff_statuses",
    }
    for items in labels.values():
        assert items and all(set(item) == {"value", "label"} and set(item["label"]) == {"zh", "en"} for item in items)
    assert [item["value"] for item in labels["priorities"]] == ["urgent", "high", "normal"]
    assert {"label": {"zh": "企业微信", "en": "WeCom"}, "value": "wecom"} in labels["channels"]
    assert "system_busy" in [item["value"] for item in labels["handoff_reasons"]]
    assert "regular" in [item["value"] for item in labels["customer_tiers"]]
