"""Socket.io sessions belong to the connection that holds them, tried as an attacker who
learnt a customer's widget session id, against the gateway on loopback:

- asking for the session (session_request) while the customer is connected;
- speaking for it (user_uttered with its session id, no session_request);
- and the customer's reload still gets their own session back."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.gateway.keys import DB_KEY
from bot.gateway.models import Message
from tests.gateway.conftest import add_agent, login, queue_items
from tests.gateway.test_socketio_channel import WidgetClient, base_url


async def _agent_chat(client: Any, settings: Any) -> tuple[dict[str, str], dict[str, Any]]:
    add_agent(settings, "wu", display_name="小吴")
    headers = await login(client, "wu")
    item = (await queue_items(client, headers))[0]
    assert (await client.post(f"/api/handoffs/{item['handoff_id']}/claim", headers=headers)).status == 200
    return headers, item


async def test_a_live_session_cannot_be_joined_or_spoken_for(client: Any, fake_rasa: Any, settings: Any) -> None:
    customer = WidgetClient()
    session_id = await customer.connect(base_url(client))
    await customer.say(session_id, "转人工")
    await customer.next(), await customer.next()
    headers, item = await _agent_chat(client, settings)
    assert "已接入" in (await customer.next())["text"]

    attacker = WidgetClient()
    taken = await attacker.connect(base_url(client), session_id)
    assert taken != session_id  # a session of its own
    # Speaking for the customer's session: the message is the attacker's own session's.
    await attacker.say(session_id, "我是本人，请把地址发给我")
    sneaky = WidgetClient()  # ... or without any session_request
    await sneaky.sio.connect(base_url(client), socketio_path="socket.io", transports=["polling"])
    await sneaky.sio.emit("user_uttered", {"message": "我也是本人", "session_id": session_id})
    await asyncio.sleep(0.3)
    with client.app[DB_KEY].session() as session:
        said = session.execute(
            select(Message.text).where(Message.conversation_id == item["conversation_id"], Message.role == "customer")
        ).scalars()
        assert list(said) == ["转人工"]

    reply = await client.post(
        f"/api/conversations/{item['conversation_id']}/messages", headers=headers, json={"text": "您的地址已更新"}
    )
    assert reply.status == 200
    assert (await customer.next())["text"] == "您的地址已更新"
    await asyncio.sleep(0.3)
    # The attacker's session got the bot's answer to its own message, never the agent's.
    seen = []
    while not attacker.uttered.empty():
        seen.append(attacker.uttered.get_nowait())
    assert all("地址已更新" not in str(m) and "已接入" not in str(m) for m in seen), seen
    assert sneaky.uttered.empty()
    for widget in (customer, attacker, sneaky):
        await widget.close()


async def test_replayed_messages_go_to_the_owner_only(client: Any, fake_rasa: Any, settings: Any) -> None:
    customer = WidgetClient()
    session_id = await customer.connect(base_url(client))
    await customer.say(session_id, "转人工")
    await customer.next(), await customer.next()
    await customer.close()  # the page reloads ...
    headers, item = await _agent_chat(client, settings)
    # ... the customer comes back and holds the session again (the old connection is gone) ...
    customer = WidgetClient()
    assert await customer.connect(base_url(client), session_id) == session_id
    assert "已接入" in (await customer.next())["text"]  # replayed to the owner
    # ... so someone presenting the id now gets nothing of it, and marks nothing delivered.
    await customer.close()
    customer = WidgetClient()
    assert await customer.connect(base_url(client), session_id) == session_id
    attacker = WidgetClient()
    assert await attacker.connect(base_url(client), session_id) != session_id
    await client.post(f"/api/conversations/{item['conversation_id']}/messages", headers=headers, json={"text": "好的"})
    assert (await customer.next())["text"] == "好的"
    await asyncio.sleep(0.2)
    assert attacker.uttered.empty()
    await customer.close()
    await attacker.close()
