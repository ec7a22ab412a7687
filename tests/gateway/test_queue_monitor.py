"""Background monitor (grace period), agents' websocket events, and persistence of
conversations, queue and assignments across a gateway restart."""
from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.gateway.keys import DB_KEY
from bot.gateway.models import Handoff, Note
from tests.gateway.conftest import add_agent, login, queue_items, say


async def _receive_until(ws: Any, wanted: str, timeout: float = 3.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        assert remaining > 0, f"no {wanted} event"
        event = await ws.receive_json(timeout=remaining)
        if event["type"] == wanted:
            return event


async def test_grace_period_returns_chats_of_vanished_agents(make_client, settings):
    client = await make_client(settings, monitor=True, agent_grace_s=0.6, monitor_interval_s=0.1)
    await say(client, "g1", "转人工")
    add_agent(settings, "ghost", display_name="阿鬼")
    headers = await login(client, "ghost")
    item = (await queue_items(client, headers))[0]
    assert (await client.post(f"/api/handoffs/{item['handoff_id']}/claim", headers=headers)).status == 200
    await asyncio.sleep(1.5)  # no websocket, no API call
    with client.app[DB_KEY].session() as session:
        handoff = session.get(Handoff, item["handoff_id"])
        notes = [n.text for n in session.execute(select(Note)).scalars()]
    assert handoff.status == "waiting" and handoff.agent_id is None
    assert notes and "退回队列" in notes[0]
    items = await queue_items(client, headers)
    assert items[0]["waiting_since"] == item["waiting_since"]  # keeps its place
    pushed = await (await client.get("/webhooks/rest/messages", params={"sender": "g1", "since": 0})).json()
    assert "重新排队" in pushed[-1]["text"]


async def test_websocket_keeps_agent_seen_and_pushes_events(make_client, settings):
    client = await make_client(settings, monitor=True, agent_grace_s=0.6, monitor_interval_s=0.1)
    add_agent(settings, "live", display_name="小刘")
    login_body = await (await client.post("/api/login", json={"username": "live", "password": "pw-xxxxxxxx"})).json()
    headers = {"Authorization": f"Bearer {login_body['token']}"}
    assert (await client.get("/api/ws?token=wrong")).status == 401
    ws = await client.ws_connect(f"/api/ws?token={login_body['token']}")
    assert (await ws.receive_json(timeout=2))["type"] == "queue_changed"
    await say(client, "w1", "转人工")
    await _receive_until(ws, "queue_changed")
    queued = await _receive_until(ws, "conversation_updated")
    assert queued["state"] == "queued"
    item = (await queue_items(client, headers))[0]
    assert (await client.post(f"/api/handoffs/{item['handoff_id']}/claim", headers=headers)).status == 200
    updated = await _receive_until(ws, "conversation_updated")
    assert updated == {"type": "conversation_updated", "conversation_id": item["conversation_id"], "state": "agent"}
    await say(client, "w1", "我的电话是13812345678")
    event = await _receive_until(ws, "message")
    assert event["conversation_id"] == item["conversation_id"]
    assert event["message"]["role"] == "customer" and "138****5678" in event["message"]["text"]
    await asyncio.sleep(1.5)  # longer than the grace period, but the websocket is open
    with client.app[DB_KEY].session() as session:
        assert session.get(Handoff, item["handoff_id"]).status == "assigned"
    await ws.close()


async def test_restart_loses_nothing(make_client, settings):
    first = await make_client(settings)
    await say(first, "p1", "转人工")
    await say(first, "p2", "转人工")
    add_agent(settings, "keeper", display_name="小K")
    headers = await login(first, "keeper")
    items = await queue_items(first, headers)
    claimed = items[0]
    assert (await first.post(f"/api/handoffs/{claimed['handoff_id']}/claim", headers=headers)).status == 200
    await first.close()

    second = await make_client(settings)  # a new app (new process) on the same database
    remaining = await queue_items(second, headers)  # the token survived too
    assert [i["sender_id"] for i in remaining] == ["p2"]
    assert remaining[0]["waiting_since"] == items[1]["waiting_since"]
    mine = await (await second.get("/api/conversations", headers=headers)).json()
    assert [c["sender_id"] for c in mine["items"]] == ["p1"]
    assert mine["items"][0]["state"] == "agent" and mine["items"][0]["handoff"]["status"] == "assigned"
    # The chat goes on: the customer's message reaches the agent, not the bot.
    assert await say(second, "p1", "还在吗？") == []
    sent = await second.post(f"/api/conversations/{claimed['conversation_id']}/messages", headers=headers,
                             json={"text": "在的，请讲"})
    assert sent.status == 200
    detail = await (await second.get(f"/api/conversations/{claimed['conversation_id']}", headers=headers)).json()
    assert [m["text"] for m in detail["messages"]][-2:] == ["还在吗？", "在的，请讲"]
