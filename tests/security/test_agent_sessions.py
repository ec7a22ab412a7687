"""Attacks on the agent side: a websocket that outlives its session (logout, expiry,
deactivation), reading a chat after handing it back, concurrent password guesses
slipping past the login throttle, old sessions surviving a password reset."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import WSMsgType

from bot.gateway.auth import PBKDF2_ITERATIONS, hash_password
from bot.gateway.cli import add_agent as cli_add_agent
from bot.gateway.cli import deactivate_agent
from tests.gateway.conftest import add_agent, login, queue_items, say


async def _closed_within(ws: Any, seconds: float) -> bool:
    """True when the server closes the socket within `seconds` (events before that are skipped)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            return False
        try:
            message = await ws.receive(timeout=remaining)
        except asyncio.TimeoutError:
            return False
        if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING):
            return True


async def _token(client: Any, username: str) -> str:
    return (await login(client, username))["Authorization"].split(" ", 1)[1]


async def test_websocket_closes_at_logout(client, settings) -> None:
    add_agent(settings, "leaver")
    token = await _token(client, "leaver")
    ws = await client.ws_connect(f"/api/ws?token={token}")
    assert (await ws.receive_json(timeout=2))["type"] == "queue_changed"
    assert (await client.post("/api/logout", headers={"Authorization": f"Bearer {token}"})).status == 200
    assert await _closed_within(ws, 2.0), "the websocket still streams after logout"
    # and the token opens no new one
    refused = await client.get(f"/api/ws?token={token}")
    assert refused.status == 401


async def test_websocket_closes_on_deactivation_and_expiry(make_client, settings, clock) -> None:
    client = await make_client(settings, agent_ws_recheck_s=0.2)
    add_agent(settings, "fired")
    add_agent(settings, "sleepy")
    fired = await client.ws_connect(f"/api/ws?token={await _token(client, 'fired')}")
    sleepy = await client.ws_connect(f"/api/ws?token={await _token(client, 'sleepy')}")
    deactivate_agent("fired", settings.database_url)  # e.g. from another process: the CLI
    assert await _closed_within(fired, 3.0), "a deactivated agent keeps the live feed"
    clock.advance(hours=settings.agent_token_ttl_hours + 1)
    assert await _closed_within(sleepy, 3.0), "an expired session keeps the live feed"


async def test_message_on_the_websocket_rechecks_the_token(make_client, settings, clock) -> None:
    client = await make_client(settings, agent_ws_recheck_s=3600)
    add_agent(settings, "pinger")
    ws = await client.ws_connect(f"/api/ws?token={await _token(client, 'pinger')}")
    assert (await ws.receive_json(timeout=2))["type"] == "queue_changed"
    await ws.send_str("ping")
    assert (await ws.receive(timeout=2)).data == "pong"
    clock.advance(hours=settings.agent_token_ttl_hours + 1)
    await ws.send_str("ping")
    assert await _closed_within(ws, 2.0)


async def test_handing_back_ends_the_agents_access(client, settings) -> None:
    add_agent(settings, "handler")
    headers = await login(client, "handler")
    await say(client, "customer-hb", "转人工")
    item = (await queue_items(client, headers))[0]
    cid = item["conversation_id"]
    assert (await client.post(f"/api/handoffs/{item['handoff_id']}/claim", headers=headers)).status == 200
    assert (await client.get(f"/api/conversations/{cid}", headers=headers)).status == 200
    assert (await client.post(f"/api/conversations/{cid}/handback", headers=headers)).status == 200
    await say(client, "customer-hb", "我的手机号是13812345678，地址北京市朝阳区建国路88号")
    assert (await client.get(f"/api/conversations/{cid}", headers=headers)).status == 403
    note = await client.post(f"/api/conversations/{cid}/notes", json={"text": "still here"}, headers=headers)
    assert note.status == 403


async def test_concurrent_guesses_do_not_slip_past_the_login_throttle(make_client, settings) -> None:
    client = await make_client(settings, login_max_failures=3)
    add_agent(settings, "target")
    guesses = [client.post("/api/login", json={"username": "target", "password": f"guess-{n}"}) for n in range(12)]
    statuses = [response.status for response in await asyncio.gather(*guesses)]
    assert statuses.count(401) <= 3, statuses
    assert statuses.count(429) >= 9, statuses
    # the right password is refused too while locked (the throttle does not tell which guess was right)
    right = await client.post("/api/login", json={"username": "target", "password": "pw-xxxxxxxx"})
    assert right.status == 429


async def test_a_password_reset_ends_old_sessions(client, settings) -> None:
    add_agent(settings, "reset-me")
    headers = await login(client, "reset-me")
    assert (await client.get("/api/me", headers=headers)).status == 200
    cli_add_agent("reset-me", "a-new-password-123", database_url=settings.database_url)
    assert (await client.get("/api/me", headers=headers)).status == 401


async def test_passwords_use_owasp_iterations_and_old_hashes_are_upgraded(client, settings) -> None:
    assert PBKDF2_ITERATIONS >= 600_000
    assert hash_password("x").split("$")[1] == str(PBKDF2_ITERATIONS)
    add_agent(settings, "legacy")  # stored with 1000 iterations
    await login(client, "legacy")
    from sqlalchemy import select

    from bot.gateway.db import Database
    from bot.gateway.models import Agent

    db = Database(settings.database_url)
    with db.session() as session:
        stored = session.execute(select(Agent.password_hash).where(Agent.username == "legacy")).scalar_one()
    db.dispose()
    assert stored.split("$")[1] == str(PBKDF2_ITERATIONS)
