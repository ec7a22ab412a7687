"""The socket.io channel speaks Rasa's SocketIOChannel protocol (as the stock
rasa-webchat widget does): session_request/confirm, user_uttered -> bot_uttered,
and a reconnect with the same session id gets the agent's messages."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio

from bot.privacy import pseudonym
from tests.gateway.conftest import add_agent, login, queue_items


class WidgetClient:
    """What rasa-webchat does on the wire."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.confirmed: asyncio.Queue[Any] = asyncio.Queue()
        self.uttered: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sio.on("session_confirm", self.confirmed.put_nowait)
        self.sio.on("bot_uttered", self.uttered.put_nowait)

    async def connect(self, base_url: str, session_id: Any = None) -> str:
        # python-engineio's websocket *client* needs aiohttp >= 3.10 (Rasa pins 3.9), so this
        # client polls; the server's websocket transport is tested on the wire below.
        await self.sio.connect(base_url, socketio_path="socket.io", transports=["polling"])
        await self.sio.emit("session_request", {"session_id": session_id})
        return await asyncio.wait_for(self.confirmed.get(), 5)

    async def say(self, session_id: str, text: str) -> None:
        await self.sio.emit(
            "user_uttered", {"message": text, "customData": {"language": "zh"}, "session_id": session_id}
        )

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        return await asyncio.wait_for(self.uttered.get(), timeout)

    async def close(self) -> None:
        # Like sio.disconnect(), without waiting up to a ping interval (25 s) for the
        # pending long-poll request to come back.
        from socketio import packet

        for namespace in list(self.sio.namespaces):
            await self.sio._send_packet(self.sio.packet_class(packet.DISCONNECT, namespace=namespace))
        await self.sio.eio.disconnect(abort=True)
        await asyncio.sleep(0.1)  # let the server process the disconnect


def base_url(client: Any) -> str:
    return str(client.make_url("/")).rstrip("/")


async def test_widget_protocol(client, fake_rasa):
    widget = WidgetClient()
    session_id = await widget.connect(base_url(client))
    assert isinstance(session_id, str) and len(session_id) == 32  # new uuid hex when none was sent
    await widget.say(session_id, "你好")
    assert await widget.next() == {"text": "echo: 你好"}
    metadata = dict(fake_rasa.received[-1]["metadata"])
    assert metadata.pop("client") == "ip:127.0.0.1"  # the client address, set by the gateway
    assert metadata == {"language": "zh", "channel": "socketio"}
    await widget.say(session_id, "buttons")
    buttons = await widget.next()
    assert buttons["text"] == "请选择派送时间："
    assert buttons["quick_replies"][0] == {
        "content_type": "text",
        "title": "上午",
        "payload": '/choose_time_window{"time_window":"am"}',
    }
    await widget.say(session_id, "image")
    assert await widget.next() == {"attachment": {"type": "image", "payload": {"src": "https://example.com/pod.jpg"}}}
    await widget.say(session_id, "custom")
    assert await widget.next() == {"kind": "card", "title": "运单"}
    # Fast typing: answers in order.
    for text in ("sleep:0.3 一", "二", "sleep:0.1 三"):
        await widget.say(session_id, text)
    assert [(await widget.next())["text"] for _ in range(3)] == ["echo: 一", "echo: 二", "echo: 三"]
    await widget.close()


async def test_reconnect_with_same_session_gets_agent_messages(client, fake_rasa, settings):
    widget = WidgetClient()
    session_id = await widget.connect(base_url(client), "webchat-session-1")
    assert session_id == "webchat-session-1"
    await widget.say(session_id, "转人工")
    first, queued = await widget.next(), await widget.next()
    assert first == {"text": "好的，正在为您转接人工客服。"} and "第 1 位" in queued["text"]
    await widget.close()  # the customer reloads the page ...

    add_agent(settings, "zhou", display_name="小周")
    headers = await login(client, "zhou")
    item = (await queue_items(client, headers))[0]
    # Agents see a pseudonym: the session id is what lets a client continue the chat.
    assert item["channel"] == "socketio" and item["sender_id"] == pseudonym("socketio", "webchat-session-1")
    assert (await client.post(f"/api/handoffs/{item['handoff_id']}/claim", headers=headers)).status == 200

    widget = WidgetClient()  # ... and comes back with the same session id
    assert await widget.connect(base_url(client), "webchat-session-1") == "webchat-session-1"
    assert (await widget.next())["text"] == "客服 小周 已接入，很高兴为您服务。"  # missed while away: replayed
    response = await client.post(
        f"/api/conversations/{item['conversation_id']}/messages",
        headers=headers,
        json={"text": "您好，请问有什么可以帮您？"},
    )
    assert response.status == 200
    assert await widget.next() == {"text": "您好，请问有什么可以帮您？"}  # real time
    await widget.say(session_id, "包裹破损了")
    await asyncio.sleep(0.2)
    assert widget.uttered.empty()  # a human is in charge: the bot stays silent
    # A session belongs to the connection holding it: a second connection asking for it
    # (another tab, or someone who learnt the id) gets a session of its own.
    second_tab = WidgetClient()
    assert await second_tab.connect(base_url(client), "webchat-session-1") != "webchat-session-1"
    await client.post(
        f"/api/conversations/{item['conversation_id']}/messages", headers=headers, json={"text": "请提供照片"}
    )
    assert (await widget.next())["text"] == "请提供照片"
    await asyncio.sleep(0.2)
    assert second_tab.uttered.empty()
    await widget.close()
    await second_tab.close()


async def test_bad_socket_payloads_are_ignored(client, fake_rasa):
    widget = WidgetClient()
    session_id = await widget.connect(base_url(client), "../../etc/passwd")
    assert session_id != "../../etc/passwd" and len(session_id) == 32
    await widget.sio.emit("user_uttered", "not a dict")
    await widget.sio.emit("user_uttered", {"message": "", "session_id": session_id})
    await widget.sio.emit("user_uttered", {"message": 5, "session_id": session_id})
    await widget.say(session_id, "<script>alert(1)</script>")
    # The widget renders Markdown: markup arrives escaped, shown as the text it is.
    assert await widget.next() == {"text": "echo: \\<script\\>alert(1)\\</script\\>"}
    await widget.close()


async def test_websocket_transport_on_the_wire(client, fake_rasa):
    """socket.io-client 3 (EIO 4) over a websocket, as rasa-webchat 1.0 in a browser."""
    import json

    ws = await client.ws_connect("/socket.io/?EIO=4&transport=websocket")
    opening = await ws.receive_str(timeout=5)
    assert opening.startswith("0") and "sid" in json.loads(opening[1:])
    await ws.send_str("40")  # connect to the default namespace
    assert (await ws.receive_str(timeout=5)).startswith("40")
    await ws.send_str('42["session_request",{"session_id":"wire-1"}]')
    assert await ws.receive_str(timeout=5) == '42["session_confirm","wire-1"]'
    await ws.send_str('42["user_uttered",{"message":"你好","customData":{},"session_id":"wire-1"}]')
    frame = await ws.receive_str(timeout=5)
    while frame == "2":  # engine.io ping
        await ws.send_str("3")
        frame = await ws.receive_str(timeout=5)
    assert frame.startswith("42") and json.loads(frame[2:]) == ["bot_uttered", {"text": "echo: 你好"}]
    await ws.close()
