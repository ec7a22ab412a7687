"""Background monitor (grace period), agents' websocket events, and persistence of
conversations, queue and assignments across a gateway restart."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.gateway.keys import DB_KEY
from bot.gateway.models import Handoff, Note
from tests.gateway.conftest import add_agent, login, queue_items, say, secret_headers, sender


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
    pushed = await (
        await client.get(
            "/webhooks/rest/messages", params={"sender": "g1", "since": 0}, headers=secret_headers(client, "g1")
        )
    ).json()
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
    assert [sender(i) for i in remaining] == ["p2"]
    assert remaining[0]["waiting_since"] == items[1]["waiting_since"]
    mine = await (await second.get("/api/conversations", headers=headers)).json()
    assert [sender(c) for c in mine["items"]] == ["p1"]
    assert mine["items"][0]["state"] == "agent" and mine["items"][0]["handoff"]["status"] == "assigned"
    # The chat goes on: the customer's message reaches the agent, not the bot.
    assert await say(second, "p1", "还在吗？") == []
    sent = await second.post(
        f"/api/conversations/{claimed['conversation_id']}/messages", headers=headers, json={"text": "在的，请讲"}
    )
    assert sent.status == 200
    detail = await (await second.get(f"/api/conversations/{claimed['conversation_id']}", headers=headers)).json()
    assert [m["text"] for m in detail["messages"]][-2:] == ["还在吗？", "在的，请讲"]


async def test_resolving_agent_sees_the_rating_arrive(make_client, settings):
    """After resolve the chat is no longer assigned, but the agent who resolved it may read
    it (not write) until the customer answers, and gets the answer, the thanks and the
    closing event (with the score) live; then their access ends. Other agents hear nothing."""
    client = await make_client(settings)
    add_agent(settings, "rater", display_name="小R")
    add_agent(settings, "bystander")
    token = (await (await client.post("/api/login", json={"username": "rater", "password": "pw-xxxxxxxx"})).json())[
        "token"
    ]
    headers = {"Authorization": f"Bearer {token}"}
    other_token = (
        await (await client.post("/api/login", json={"username": "bystander", "password": "pw-xxxxxxxx"})).json()
    )["token"]
    await say(client, "rated", "转人工")
    item = (await queue_items(client, headers))[0]
    cid = item["conversation_id"]
    assert (await client.post(f"/api/handoffs/{item['handoff_id']}/claim", headers=headers)).status == 200
    assert (await client.post(f"/api/conversations/{cid}/resolve", headers=headers)).status == 200
    assert (await client.get(f"/api/conversations/{cid}", headers=headers)).status == 200  # read-only ...
    note = await client.post(f"/api/conversations/{cid}/notes", json={"text": "later"}, headers=headers)
    assert note.status == 403
    ws = await client.ws_connect(f"/api/ws?token={token}")
    other = await client.ws_connect(f"/api/ws?token={other_token}")
    assert (await ws.receive_json(timeout=2))["type"] == "queue_changed"
    assert (await other.receive_json(timeout=2))["type"] == "queue_changed"

    thanks = await say(client, "rated", "4分")
    assert "感谢您的评价" in thanks[0]["text"]
    answer = await _receive_until(ws, "message")
    assert answer["conversation_id"] == cid and answer["message"]["role"] == "customer"
    assert answer["message"]["text"] == "4分"
    reply = await _receive_until(ws, "message")
    assert reply["message"]["role"] == "system" and "感谢您的评价" in reply["message"]["text"]
    closed = await _receive_until(ws, "conversation_updated")
    assert closed == {"type": "conversation_updated", "conversation_id": cid, "state": "closed", "csat": 4}
    # ... until the rating: then the chat is closed and no longer theirs to read
    assert (await client.get(f"/api/conversations/{cid}", headers=headers)).status == 403
    # The bystander was told nothing about this chat and may not open it.
    assert await _no_event_about(other, cid)
    assert (
        await client.get(f"/api/conversations/{cid}", headers={"Authorization": f"Bearer {other_token}"})
    ).status == 403
    await ws.close()
    await other.close()


async def _no_event_about(ws: Any, conversation_id: str) -> bool:
    while True:
        try:
            event = await ws.receive_json(timeout=0.3)
        except asyncio.TimeoutError:
            return True
        if event.get("conversation_id") == conversation_id:
            return False


async def test_a_skipped_survey_closes_the_chat_for_the_agent(make_client, settings, fake_rasa):
    client = await make_client(settings)
    add_agent(settings, "skipper")
    token = (await (await client.post("/api/login", json={"username": "skipper", "password": "pw-xxxxxxxx"})).json())[
        "token"
    ]
    headers = {"Authorization": f"Bearer {token}"}
    await say(client, "noscore", "转人工")
    item = (await queue_items(client, headers))[0]
    await client.post(f"/api/handoffs/{item['handoff_id']}/claim", headers=headers)
    await client.post(f"/api/conversations/{item['conversation_id']}/resolve", headers=headers)
    ws = await client.ws_connect(f"/api/ws?token={token}")
    await ws.receive_json(timeout=2)
    assert (await say(client, "noscore", "还有个件想查"))[0]["text"] == "echo: 还有个件想查"
    closed = await _receive_until(ws, "conversation_updated")
    assert closed == {"type": "conversation_updated", "conversation_id": item["conversation_id"], "state": "closed"}
    await ws.close()
