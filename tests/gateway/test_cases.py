"""Cases through the gateway: the bot's case reaches the agents' list with an upload link
for the customer; agents assign, move and answer it; the customer hears about it on
their channel (REST long-poll, socket.io push and replay, WeChat customer-service API);
the rating on resolve; overdue cases raise priority and alert supervisors live; the
customer's answer to a waiting case; after-hours messages become ticket cases."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.cases import service
from bot.cases.models import Case, CaseCsat
from bot.config import Settings
from bot.gateway.db import Database
from tests.gateway.conftest import add_agent, login, say, secret_headers
from tests.gateway.test_socketio_channel import WidgetClient, base_url

ITEM_KEYS = {
    "id",
    "reference",
    "type",
    "status",
    "stage",
    "tracking_numbers",
    "conversation_id",
    "owner",
    "due_at",
    "overdue",
    "created_at",
    "updated_at",
}


def bot_opens_cases(
    settings: Settings,
    clock: Callable[[], Any],
    case_type: str = "damage_claim",
    words: tuple[str, ...] = ("破损", "damaged"),
) -> Callable[[str, str], list[dict[str, Any]] | None]:
    """Plays the action server: a damage message opens a case in the shared database and is announced."""

    def handler(sender: str, message: str) -> list[dict[str, Any]] | None:
        if not any(word in message for word in words):
            return None
        db = Database(settings.database_url)
        try:
            with db.session() as session:
                case, created = service.open_case(
                    session,
                    settings,
                    case_type,
                    clock(),
                    conversation_id=sender,
                    parcels=[("SF1402345678901", "SF1402345678901")],
                    summary=f"damaged parcel: {message} 13812345678",
                )
                announced = {
                    "id": case.id,
                    "reference": case.reference,
                    "type": case.type,
                    "created": created,
                    "upload": True,
                }
        finally:
            db.dispose()
        return [
            {"text": f"已为您登记破损理赔申请，编号 {announced['reference']}。"},
            {"custom": {"cases": [announced]}},
        ]

    return handler


async def poll(client: Any, sender: str, since: int, wait: float = 3.0) -> list[dict[str, Any]]:
    response = await client.get(
        "/webhooks/rest/messages",
        params={"sender": sender, "since": str(since), "wait": str(wait)},
        headers=secret_headers(client, sender),
    )
    assert response.status == 200
    return await response.json()


async def cases(client: Any, headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
    response = await client.get("/api/cases", headers=headers, params=params)
    assert response.status == 200, await response.text()
    return (await response.json())["items"]


async def detail(client: Any, headers: dict[str, str], case_id: int) -> dict[str, Any]:
    response = await client.get(f"/api/cases/{case_id}", headers=headers)
    assert response.status == 200, await response.text()
    return await response.json()


async def latest_pushed_id(client: Any, sender: str) -> int:
    items = await poll(client, sender, 0, wait=0)
    return max([i["id"] for i in items] or [0])


async def test_bot_case_reaches_the_list_with_an_upload_link(client, settings, fake_rasa, clock):
    fake_rasa.on_message = bot_opens_cases(settings, clock)
    replies = await say(client, "alice", "我的包裹破损了")
    texts = [r.get("text", "") for r in replies]
    assert texts[0].startswith("已为您登记破损理赔申请，编号 CS")
    assert not any("custom" in r for r in replies)  # the announcement is for the gateway only
    link = re.search(r"(https?://\S+/upload/\S+?)（链接60分钟内有效）", texts[-1])
    assert link, texts
    add_agent(settings, "wang")
    headers = await login(client, "wang")
    (item,) = await cases(client, headers)
    assert set(item) >= ITEM_KEYS
    assert item["type"] == "damage_claim" and item["status"] == "open" and item["stage"] == "registered"
    assert item["tracking_numbers"] == ["SF1402345678901"] and item["owner"] is None and item["overdue"] is False
    assert "13812345678" not in item["summary"]  # not the owner: masked
    body = await detail(client, headers, item["id"])
    assert [e["kind"] for e in body["timeline"]] == ["created"]
    assert body["transcript"]["url"] == f"/api/conversations/{item['conversation_id']}"
    assert body["attachments"] == []
    # Filters.
    assert await cases(client, headers, status="resolved") == []
    assert len(await cases(client, headers, type="damage_claim", owner="none", overdue="false")) == 1
    bad = await client.get("/api/cases", headers=headers, params={"status": "nonsense"})
    assert bad.status == 400 and (await bad.json())["error"] == "bad_request"
    assert (await client.get("/api/cases/999999", headers=headers)).status == 404
    assert (await client.get("/api/cases/abc", headers=headers)).status == 404
    assert (await client.get("/api/cases")).status == 401


async def test_status_change_and_reply_reach_the_rest_customer(client, settings, fake_rasa, clock):
    fake_rasa.on_message = bot_opens_cases(settings, clock)
    await say(client, "bob", "包裹破损了")
    add_agent(settings, "li")
    headers = await login(client, "li")
    (item,) = await cases(client, headers)
    since = await latest_pushed_id(client, "bob")
    response = await client.post(
        f"/api/cases/{item['id']}/status",
        headers=headers,
        json={"status": "in_progress", "stage": "assessment", "note": "看过照片，外箱破损明显"},
    )
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["delivered"] is True
    assert body["case"]["status"] == "in_progress" and body["case"]["owner"] == "Li"  # acting on it took it
    assert body["case"]["first_response_at"] is not None and body["case"]["due_at"] == body["case"]["resolve_by"]
    assert "13812345678" in body["case"]["summary"]  # the owner sees it
    kinds = [(e["kind"], e["from"], e["to"]) for e in body["timeline"]]
    assert ("status", "open", "in_progress") in kinds and ("stage", "registered", "assessment") in kinds
    assert any(e["text"] == "看过照片，外箱破损明显" and e["agent"] == "Li" for e in body["timeline"])
    pushed = await poll(client, "bob", since)
    assert len(pushed) == 1 and "有新进展：处理中（初步评估）" in pushed[0]["text"]
    assert "看过照片" not in pushed[0]["text"]  # the note stays internal
    # A reply reaches the customer the same way.
    response = await client.post(f"/api/cases/{item['id']}/reply", headers=headers, json={"text": "请问商品是什么？"})
    assert response.status == 200 and (await response.json())["delivered"] is True
    pushed = await poll(client, "bob", pushed[-1]["id"])
    assert pushed[0]["text"].endswith("请问商品是什么？") and item["reference"] in pushed[0]["text"]
    # Rules: no jump back to open, no skipping stages, bad input.
    for payload, code in (
        ({"status": "open"}, "invalid_transition"),
        ({"stage": "payout"}, "invalid_stage"),
        ({"status": "done"}, "bad_request"),
        ({}, "bad_request"),
        ({"amount": "lots"}, "bad_request"),
    ):
        response = await client.post(f"/api/cases/{item['id']}/status", headers=headers, json=payload)
        assert (await response.json())["error"] == code, payload
    response = await client.post(f"/api/cases/{item['id']}/reply", headers=headers, json={"text": ""})
    assert response.status == 400


async def test_other_agents_cannot_touch_an_owned_case_but_supervisors_can(client, settings, fake_rasa, clock):
    fake_rasa.on_message = bot_opens_cases(settings, clock)
    await say(client, "carol", "破损")
    add_agent(settings, "a1")
    add_agent(settings, "a2")
    add_agent(settings, "boss", role="supervisor")
    h1, h2, boss = await login(client, "a1"), await login(client, "a2"), await login(client, "boss")
    (item,) = await cases(client, h1)
    assert (await client.post(f"/api/cases/{item['id']}/assign", headers=h1, json={"agent_id": "me"})).status == 200
    for path, payload in (
        ("status", {"status": "in_progress"}),
        ("reply", {"text": "hi"}),
        ("assign", {"agent_id": "me"}),
    ):
        response = await client.post(f"/api/cases/{item['id']}/{path}", headers=h2, json=payload)
        assert response.status == 403, path
    a2_id = (await (await client.get("/api/me", headers=h2)).json())["agent"]["id"]
    response = await client.post(f"/api/cases/{item['id']}/assign", headers=boss, json={"agent_id": a2_id})
    assert (await response.json())["case"]["owner"] == "A2"
    assert len(await cases(client, h2, owner="me")) == 1 and await cases(client, h1, owner="me") == []
    # The owner may read the conversation the case came from.
    assert (await client.get(f"/api/conversations/{item['conversation_id']}", headers=h2)).status == 200
    assert (await client.get(f"/api/conversations/{item['conversation_id']}", headers=h1)).status == 403


async def test_resolve_asks_for_a_rating_and_stores_it(client, settings, fake_rasa, clock):
    fake_rasa.on_message = bot_opens_cases(settings, clock)
    await say(client, "dave", "破损")
    add_agent(settings, "zhao")
    headers = await login(client, "zhao")
    (item,) = await cases(client, headers)
    since = await latest_pushed_id(client, "dave")
    response = await client.post(
        f"/api/cases/{item['id']}/status",
        headers=headers,
        json={"status": "resolved", "remedy": "compensation", "amount": 120},
    )
    body = await response.json()
    assert body["case"]["status"] == "resolved" and body["case"]["remedy"] == "compensation"
    assert body["case"]["amount"] == "120.00"
    pushed = await poll(client, "dave", since)
    assert "已处理完成" in pushed[0]["text"] and "处理方式：赔偿" in pushed[0]["text"]
    assert "请为本次处理打分" in pushed[1]["text"] and [b["payload"] for b in pushed[1]["buttons"]] == list("12345")
    received = len(fake_rasa.received)
    thanks = await say(client, "dave", "5")
    assert thanks[0]["text"].startswith("感谢您的评分")
    assert len(fake_rasa.received) == received  # the rating did not go to the bot
    db = Database(settings.database_url)
    with db.session() as session:
        (row,) = session.execute(select(CaseCsat)).scalars().all()
        assert row.score == 5
    db.dispose()
    assert (await detail(client, headers, item["id"]))["csat"] == 5
    # Afterwards the bot answers again.
    assert (await say(client, "dave", "你好"))[0]["text"] == "echo: 你好"


async def test_the_customers_answer_to_a_waiting_case_goes_to_the_case(client, settings, fake_rasa, clock):
    fake_rasa.on_message = bot_opens_cases(settings, clock)
    await say(client, "erin", "破损")
    add_agent(settings, "qian")
    headers = await login(client, "qian")
    (item,) = await cases(client, headers)
    await client.post(f"/api/cases/{item['id']}/status", headers=headers, json={"status": "waiting_customer"})
    received = len(fake_rasa.received)
    ack = await say(client, "erin", "是一个玻璃杯，碎成三块")
    assert "已转给负责您破损理赔" in ack[0]["text"] and len(fake_rasa.received) == received
    body = await detail(client, headers, item["id"])
    assert body["case"]["status"] == "in_progress"
    assert any(e["kind"] == "customer_message" and e["text"] == "是一个玻璃杯，碎成三块" for e in body["timeline"])


async def test_socketio_customer_gets_the_reply_live_and_after_a_reconnect(client, settings, fake_rasa, clock):
    fake_rasa.on_message = bot_opens_cases(settings, clock)
    widget = WidgetClient()
    session_id = await widget.connect(base_url(client))
    await widget.say(session_id, "包裹破损了")
    first = await widget.next()
    assert first["text"].startswith("已为您登记破损理赔申请")
    assert "/upload/" in (await widget.next())["text"]
    add_agent(settings, "sun")
    headers = await login(client, "sun")
    (item,) = await cases(client, headers)
    await client.post(f"/api/cases/{item['id']}/reply", headers=headers, json={"text": "照片收到了"})
    assert (await widget.next())["text"].endswith("照片收到了")
    await widget.close()
    await client.post(f"/api/cases/{item['id']}/status", headers=headers, json={"status": "in_progress"})
    again = WidgetClient()
    await again.connect(base_url(client), session_id)
    assert "有新进展：处理中" in (await again.next())["text"]  # replayed on reconnect
    await again.close()


async def test_overdue_cases_raise_priority_and_alert_supervisors(client, settings, fake_rasa, clock):
    fake_rasa.on_message = bot_opens_cases(settings, clock)
    await say(client, "fay", "破损")
    add_agent(settings, "boss", role="supervisor")
    headers = await login(client, "boss")
    token = headers["Authorization"].split()[1]
    ws = await client.ws_connect(f"/api/ws?token={token}")
    assert (await ws.receive_json())["type"] == "queue_changed"
    queue = await (await client.get("/api/queue", headers=headers)).json()
    assert queue["overdue_cases"] == 0
    clock.advance(hours=1, minutes=1)  # damage claims: contacted within 1 h
    from bot.gateway.keys import QUEUE_KEY

    assert await client.app[QUEUE_KEY].cases.check_overdue() == 1
    event = await asyncio.wait_for(ws.receive_json(), 5)
    while event["type"] != "case_overdue":
        event = await asyncio.wait_for(ws.receive_json(), 5)
    assert event["case"]["priority"] == "high" and event["case"]["reference"].startswith("CS")
    assert await client.app[QUEUE_KEY].cases.check_overdue() == 0  # once
    (item,) = await cases(client, headers, overdue="true")
    assert item["overdue"] is True and item["priority"] == "high"
    queue = await (await client.get("/api/queue", headers=headers)).json()
    assert queue["overdue_cases"] == 1
    await ws.close()


async def test_a_new_conversation_follows_the_open_case(client, settings, fake_rasa, clock):
    """After the customer's chat closed (rated), their next conversation is linked to the open case."""
    fake_rasa.on_message = bot_opens_cases(settings, clock)
    await say(client, "gus", "破损")
    db = Database(settings.database_url)
    with db.session() as session:
        case = session.execute(select(Case)).scalars().one()
        (first_conversation,) = case.conversation_ids
    # The customer's chat with an agent ends with a rating: the conversation closes.
    await say(client, "gus", "转人工")
    add_agent(settings, "he")
    headers = await login(client, "he")
    queue = await (await client.get("/api/queue", headers=headers)).json()
    await client.post(f"/api/handoffs/{queue['items'][0]['handoff_id']}/claim", headers=headers)
    await client.post(f"/api/conversations/{first_conversation}/resolve", headers=headers)
    await say(client, "gus", "5")
    await say(client, "gus", "你好")  # a new conversation
    with db.session() as session:
        case = service.get_case(session, case.id)
        assert len(case.conversation_ids) == 2 and case.conversation_ids[0] == first_conversation
    db.dispose()


async def test_after_hours_request_becomes_a_ticket_case(make_client, settings, clock):
    from datetime import datetime, timezone

    shanghai_hour = (datetime.now(timezone.utc) + timedelta(hours=8)).hour
    closed_window = f"{(shanghai_hour + 2) % 24:02d}:00-{(shanghai_hour + 3) % 24:02d}:00"
    client = await make_client(settings, staffed_hours=closed_window)
    replies = await say(client, "night", "转人工")
    notice = replies[-1]["text"]
    reference = re.search(r"编号 (CS\d{8}-\d{4})", notice).group(1)
    assert "客服会在" in notice and "前回复您" in notice
    confirm = await say(client, "night", "我的包裹 SF1402345678901 破了，请尽快联系我")
    assert reference in confirm[0]["text"]
    add_agent(settings, "morning")
    headers = await login(client, "morning")
    (item,) = await cases(client, headers, type="ticket")
    assert item["reference"] == reference and item["tracking_numbers"] == ["SF1402345678901"]
    body = await detail(client, headers, item["id"])
    assert [e["text"] for e in body["timeline"] if e["kind"] == "customer_message"] == [
        "我的包裹 SF1402345678901 破了，请尽快联系我"
    ]
