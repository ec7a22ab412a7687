"""Hostile input never becomes a 500 or a stack trace: lone surrogates, NUL and other
control characters, JSON nested thousands deep, ids past 64 bits, odd unicode in ids,
query strings and tokens. Customer text is kept (cleaned), never dropped."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from bot.gateway.keys import DB_KEY
from bot.gateway.models import Conversation, Message
from tests.gateway.conftest import add_agent, login, queue_items, say
from tests.gateway.test_socketio_channel import WidgetClient, base_url


def gateway_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Errors logged by our code. asyncio's "Task was destroyed but it is pending"
    comes from python-engineio's test client tasks being collected after an earlier
    test and says nothing about the gateway."""
    return [r for r in caplog.records if r.levelno >= logging.ERROR and r.name != "asyncio"]


async def _post_raw(client, path, body: str, headers=None):
    return await client.post(
        path,
        data=body.encode("utf-8", "surrogatepass"),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


async def test_rest_odd_text_is_cleaned_and_answered(client, fake_rasa, caplog):
    caplog.set_level(logging.ERROR)
    # Lone surrogates (valid JSON escapes, not encodable as UTF-8) and NUL characters.
    response = await _post_raw(
        client, "/webhooks/rest/webhook", '{"sender": "odd", "message": "hi \\ud800 there\\u0000 \\u202e\\u200b转人工"}'
    )
    assert response.status == 200, await response.text()
    replies = await response.json()
    assert replies[0]["text"] == "好的，正在为您转接人工客服。"
    with client.app[DB_KEY].session() as session:
        stored = session.execute(select(Message.text).where(Message.role == "customer")).scalar_one()
    assert stored == "hi \ufffd there \u202e\u200b转人工"
    assert fake_rasa.received[-1]["message"] == stored  # Rasa got the same cleaned text
    # Only control characters: nothing was said.
    empty = await _post_raw(client, "/webhooks/rest/webhook", '{"sender": "odd", "message": "\\u0000\\u0001"}')
    assert empty.status == 400
    # Metadata that cannot be encoded is dropped; the message still reaches the bot
    # (it used to make the gateway believe Rasa was down and queue the customer).
    meta = await _post_raw(
        client, "/webhooks/rest/webhook", '{"sender": "meta", "message": "你好", "metadata": {"k\\u0000": "\\udfff"}}'
    )
    assert await meta.json() == [{"recipient_id": "meta", "text": "echo: 你好"}]
    assert fake_rasa.received[-1]["metadata"] == {"channel": "rest", "client": "ip:127.0.0.1"}  # the address
    assert not gateway_errors(caplog)


async def test_rest_bad_ids_and_bodies_are_400(client, caplog):
    caplog.set_level(logging.ERROR)
    bodies = [
        '{"sender": "\\udfff", "message": "hello"}',
        '{"sender": "a\\u0000b", "message": "hello"}',
        '{"sender": "a\\nb", "message": "hello"}',
        '{"sender": "s", "message": "x", "metadata": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"sender": "s", "message": "x", "n": 1' + "0" * 10_000 + "}",
    ]
    for body in bodies:
        response = await _post_raw(client, "/webhooks/rest/webhook", body)
        assert response.status == 400, (body[:50], response.status)
        assert (await response.json())["error"] == "bad_request"
    for query in (
        "sender=%00",
        "sender=a%0Ab",
        "sender=x&since=99999999999999999999999",
        "sender=x&since=1e3",
        "sender=x&wait=-1",
    ):
        response = await client.get(f"/webhooks/rest/messages?{query}")
        # 401: a well-formed sender without its conversation secret
        assert response.status in (400, 401), (query, response.status)
        assert (await response.json())["error"] == ("bad_request" if response.status == 400 else "unauthorized")
    assert not gateway_errors(caplog)


async def test_agent_api_hostile_input(client, fake_rasa, caplog):
    caplog.set_level(logging.ERROR)
    await say(client, "cust", "转人工")
    add_agent(_settings(client), "amy")
    for body in (
        '{"username": "\\ud800", "password": "x"}',
        '{"username": "a\\u0000", "password": "x"}',
        '{"username": "amy", "password": "\\udc00"}',
        "[" * 50_000 + "]" * 50_000,
    ):
        response = await _post_raw(client, "/api/login", body)
        assert response.status == 400, (body[:40], response.status)
    headers = await login(client, "amy")
    item = (await queue_items(client, headers))[0]
    for path in (
        "/api/conversations/%00",
        "/api/conversations/%ED%A0%80",
        "/api/conversations/" + "x" * 5000,
        "/api/cases?status=%00",
        "/api/cases?owner=%00",
        "/api/cases?overdue=maybe",
    ):
        response = await client.get(path, headers=headers)
        assert response.status in (400, 404), (path, response.status)
    for handoff_id in ("99999999999999999999999", "-1", "1e3", "%00"):
        response = await client.post(f"/api/handoffs/{handoff_id}/claim", headers=headers)
        assert response.status == 404, (handoff_id, response.status)
    assert (await client.get("/api/ws?token=%ED%A0%80")).status == 401
    assert (await client.get("/api/me", headers={"Authorization": "Bearer \u00e9\u00e9"})).status == 401
    # Agent text with odd characters is cleaned like the customer's.
    claim = await client.post(f"/api/handoffs/{item['handoff_id']}/claim", headers=headers)
    assert claim.status == 200
    cid = item["conversation_id"]
    sent = await _post_raw(client, f"/api/conversations/{cid}/messages", '{"text": "好的\\u0000 \\ud800"}', headers)
    assert sent.status == 200 and (await sent.json())["message"]["text"] == "好的 \ufffd"
    only_nul = await _post_raw(client, f"/api/conversations/{cid}/notes", '{"text": "\\u0000"}', headers)
    assert only_nul.status == 400
    deep = await _post_raw(client, f"/api/conversations/{cid}/notes", "[" * 50_000 + "]" * 50_000, headers)
    assert deep.status == 400
    assert not gateway_errors(caplog)


def _settings(client):
    from bot.gateway.keys import SETTINGS_KEY

    return client.app[SETTINGS_KEY]


async def test_socketio_odd_text_is_cleaned(client, fake_rasa):
    widget = WidgetClient()
    session_id = await widget.connect(base_url(client), "odd-widget")
    await widget.sio.emit("user_uttered", {"message": "\u0000\u0007", "session_id": session_id})
    await widget.sio.emit(
        "user_uttered", {"message": "你好\u0000", "session_id": session_id, "customData": "{not json"}
    )
    assert await widget.next() == {"text": "echo: 你好"}
    await widget.sio.emit("user_uttered", {"message": "x" * 20_000, "session_id": session_id})
    assert (await widget.next())["text"] == "echo: " + "x" * 4000  # cut to MAX_MESSAGE_CHARS
    await widget.close()
    with client.app[DB_KEY].session() as session:
        conversation = session.execute(select(Conversation)).scalar_one()
        texts = [
            m.text
            for m in session.execute(select(Message).where(Message.role == "customer").order_by(Message.id)).scalars()
        ]
    assert conversation.channel_user_id == "odd-widget" and texts == ["你好", "x" * 4000]


def test_clean_text():
    from bot.gateway.inputs import clean_text, is_clean_id, parse_db_int

    assert clean_text("a\x00b\tc\nd\r\x7f\x1b[31m") == "ab\tc\nd\r[31m"
    assert clean_text("\ud83d") == "\ufffd" and clean_text("😀") == "😀"
    assert json.dumps(clean_text("\udfffx")).encode("utf-8")
    assert is_clean_id("webchat-1", 128) and not is_clean_id("", 128) and not is_clean_id(" ", 128)
    assert not is_clean_id("a\u2028b", 128) and not is_clean_id(5, 128) and not is_clean_id("x" * 129, 128)
    assert parse_db_int("12") == 12 and parse_db_int("-1") is None and parse_db_int(str(2**63)) is None


async def test_socketio_deeply_nested_payloads_do_not_break_the_session(client, fake_rasa, caplog):
    caplog.set_level(logging.ERROR)
    widget = WidgetClient()
    session_id = await widget.connect(base_url(client), "nested-widget")
    deep = "[" * 20_000 + "]" * 20_000
    await widget.sio.emit("user_uttered", {"message": "一", "session_id": session_id, "customData": deep})
    assert await widget.next() == {"text": "echo: 一"}
    metadata = dict(fake_rasa.received[-1]["metadata"])
    assert metadata.pop("client")
    assert metadata == {"channel": "socketio"}
    await widget.close()
    assert not gateway_errors(caplog)
