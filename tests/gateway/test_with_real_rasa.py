"""The gateway in front of the real Rasa and action servers (trained model, demo
shipments): a REST round trip on a demo tracking number, and a handoff that ends up
in the agents' queue."""

from __future__ import annotations

import dataclasses

import pytest

from tests.gateway.conftest import add_agent, login, queue_items, say, sender

pytestmark = pytest.mark.slow  # the real Rasa and action servers

DEMO_NUMBER = "SF1402345678901"  # in the demo showcase set


@pytest.fixture
async def real_client(rasa_stack, make_client, database_url):
    settings = dataclasses.replace(
        rasa_stack.settings, database_url=database_url, rasa_timeout_s=60.0, staffed_hours="00:00-24:00"
    )
    client = await make_client(settings)
    return client, settings


async def test_rest_round_trip_on_a_demo_tracking_number(real_client):
    client, _ = real_client
    replies = await say(client, "real-1", f"{DEMO_NUMBER} 到哪了")
    assert replies, "the bot did not answer"
    assert all(r["recipient_id"] == "real-1" for r in replies)
    text = "\n".join(r.get("text", "") for r in replies)
    assert "系统繁忙" not in text
    assert DEMO_NUMBER in text or DEMO_NUMBER[-4:] in text, text
    assert all("custom" not in r or "handoff" not in r["custom"] for r in replies)


async def test_handoff_reaches_the_queue(real_client):
    client, settings = real_client
    await say(client, "real-2", f"我的快递 {DEMO_NUMBER} 一直不动")
    replies = await say(client, "real-2", "转人工")
    assert all("handoff" not in (r.get("custom") or {}) for r in replies), replies
    assert any("第 1 位" in r.get("text", "") for r in replies), replies
    add_agent(settings, "realagent", tier=3, role="supervisor")
    items = await queue_items(client, await login(client, "realagent"))
    item = next(i for i in items if sender(i) == "real-2")
    assert item["channel"] == "rest" and item["reason"] in ("customer_request", "complaint")
    assert item["category"] in ("delay", "damage", "loss", "refused", "address", "customs", "consultation", "complaint")
    assert item["priority"] in ("urgent", "high", "normal") and item["waiting_since"]
    assert DEMO_NUMBER in item["tracking_numbers"]


async def test_goodbye_to_the_real_bot_brings_one_satisfaction_question(real_client):
    """The trained bot's goodbye carries the end-of-conversation marker (domain.yml); the
    gateway turns it into the rating question, and the rating counts as bot-only CSAT."""
    client, _ = real_client
    await say(client, "real-3", f"{DEMO_NUMBER} 到哪了")
    replies = await say(client, "real-3", "再见")
    texts = [r.get("text", "") for r in replies]
    assert any(t.startswith("感谢您的咨询") for t in texts), texts
    assert texts[-1].startswith("请问您对本次智能客服的服务满意吗"), texts
    assert all("custom" not in r for r in replies), replies
    thanks = await say(client, "real-3", "4")
    assert thanks[0]["text"].startswith("感谢您的评价")
