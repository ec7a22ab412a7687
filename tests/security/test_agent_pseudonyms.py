"""Agents see a short pseudonym of the customer, never the channel's id (a REST sender or
socket.io session id lets a client continue that chat; a WeChat openid identifies the
person): the queue, the conversation list and a conversation's transcript, on the
gateway on loopback."""

from __future__ import annotations

import re
from typing import Any

from bot.privacy import pseudonym
from tests.gateway.conftest import add_agent, login, say

RAW = "cust-5b0e2f9c-private-id"


async def test_agents_see_a_pseudonym_not_the_sender_id(client: Any, settings: Any) -> None:
    await say(client, RAW, "转人工")
    add_agent(settings, "sup", role="supervisor", tier=3)
    headers = await login(client, "sup")
    queue = await client.get("/api/queue", headers=headers)
    listed = await client.get("/api/conversations", headers=headers)
    item = (await queue.json())["items"][0]
    detail = await client.get(f"/api/conversations/{item['conversation_id']}", headers=headers)
    for response in (queue, listed, detail):
        assert response.status == 200
        assert RAW not in await response.text()
    alias = item["sender_id"]
    assert re.fullmatch(r"[0-9A-F]{8}", alias) and alias == pseudonym("rest", RAW)
    assert (await detail.json())["conversation"]["sender_id"] == alias  # the same customer everywhere
    assert (await listed.json())["items"][0]["sender_id"] == alias
