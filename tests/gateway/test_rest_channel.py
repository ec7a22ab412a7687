"""REST channel: Rasa's wire format, hostile input, long poll, ordering, Rasa outages."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from sqlalchemy import select

from bot.gateway.keys import DB_KEY, ROUTER_KEY
from bot.gateway.models import Conversation, Handoff, Message
from tests.gateway.conftest import add_agent, login, queue_items, say, secret_headers, sender


async def test_replies_use_rasa_rest_format(client, fake_rasa):
    assert await say(client, "u1", "你好") == [{"recipient_id": "u1", "text": "echo: 你好"}]
    buttons = await say(client, "u1", "buttons")
    assert buttons[0]["recipient_id"] == "u1" and buttons[0]["text"] == "请选择派送时间："
    assert buttons[0]["buttons"][0] == {"title": "上午", "payload": '/choose_time_window{"time_window":"am"}'}
    assert await say(client, "u1", "image") == [{"recipient_id": "u1", "image": "https://example.com/pod.jpg"}]
    assert await say(client, "u1", "custom") == [{"recipient_id": "u1", "custom": {"kind": "card", "title": "运单"}}]
    assert await say(client, "u1", "silent") == []
    # Rasa got the conversation id (not the channel's sender) and the channel in the metadata.
    sent = fake_rasa.received[0]
    assert sent["message"] == "你好" and sent["metadata"]["channel"] == "rest"
    with client.app[DB_KEY].session() as session:
        conversation = session.execute(select(Conversation)).scalar_one()
        assert sent["sender"] == conversation.id and conversation.channel_user_id == "u1"
        roles = [m.role for m in session.execute(select(Message).order_by(Message.id)).scalars()]
    assert roles == ["customer", "bot"] * 4 + ["customer"]


async def test_handoff_payload_is_stripped_and_executed(client, fake_rasa):
    replies = await say(client, "u2", "转人工")
    assert all("custom" not in r for r in replies), replies
    texts = [r["text"] for r in replies]
    assert texts[0] == "好的，正在为您转接人工客服。"
    assert "第 1 位" in texts[1] and "分钟" in texts[1]
    assert "转接" not in texts[1]  # the bot has just said it; the gateway adds place and wait only
    # Other keys of a custom payload that carried the handoff survive.
    replies = await say(client, "u3", "mixed")
    assert {"recipient_id": "u3", "custom": {"note": "keep"}} in replies
    add_agent(_settings(client), "amy")
    items = await queue_items(client, await login(client, "amy"))
    assert [sender(i) for i in items] == ["u2", "u3"]
    first = items[0]
    assert first["channel"] == "rest" and first["reason"] == "customer_request" and first["category"] == "delay"
    assert first["priority"] == "normal" and first["tracking_numbers"] == ["SF1402345678901"]
    assert first["waiting_since"].endswith("Z") and first["sla_breached"] is False
    assert "13812345678" not in first["summary"]  # masked: the customer did not verify


def _settings(client):
    from bot.gateway.keys import SETTINGS_KEY

    return client.app[SETTINGS_KEY]


async def test_english_handoff_notice(client):
    replies = await say(client, "en1", "human please")
    assert "You are number 1 in the queue" in replies[-1]["text"]


async def test_queued_customer_gets_position_but_not_on_every_message(client, fake_rasa, clock):
    await say(client, "q1", "转人工")
    assert await say(client, "q1", "还要多久？") == []  # just told: not too chatty
    clock.advance(seconds=61)
    again = await say(client, "q1", "有人吗")
    assert len(again) == 1 and "仍在排队" in again[0]["text"] and "第 1 位" in again[0]["text"]
    assert len(fake_rasa.received) == 1  # the bot is out of the loop while queued
    with client.app[DB_KEY].session() as session:
        texts = [m.text for m in session.execute(select(Message).where(Message.role == "customer")).scalars()]
    assert texts == ["转人工", "还要多久？", "有人吗"]


async def test_hostile_input_gets_clear_400s(client):
    cases = [
        b"not json",
        b"[1,2]",
        b"{}",
        json.dumps({"sender": "x"}).encode(),
        json.dumps({"sender": "x", "message": ""}).encode(),
        json.dumps({"sender": "x", "message": "   "}).encode(),
        json.dumps({"sender": 5, "message": "hi"}).encode(),
        json.dumps({"sender": "x", "message": 5}).encode(),
        json.dumps({"sender": "x", "message": ["a"]}).encode(),
        json.dumps({"sender": "", "message": "hi"}).encode(),
        json.dumps({"sender": "x" * 500, "message": "hi"}).encode(),
        json.dumps({"sender": "x", "message": "长" * 4001}, ensure_ascii=False).encode(),
        b"\xff\xfe\x00garbage",
    ]
    for body in cases:
        response = await client.post("/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"})
        assert response.status == 400, (body[:40], response.status)
        payload = await response.json()
        assert payload["error"] == "bad_request" and payload["detail"]
    huge = await client.post("/webhooks/rest/webhook", data=b"{" + b" " * (1024 * 1024) + b"}")
    assert huge.status == 413
    ok = await say(client, "x", "长" * 4000)
    assert ok[0]["text"].startswith("echo: ")


async def test_script_is_stored_as_plain_text(client):
    payload = '<script>alert("x")</script> & <b>'
    replies = await say(client, "h1", payload)
    assert replies[0]["text"] == f"echo: {payload}"  # JSON, not HTML: no escaping server-side
    with client.app[DB_KEY].session() as session:
        stored = session.execute(select(Message.text).where(Message.role == "customer")).scalar_one()
    assert stored == payload


async def test_long_poll_returns_pushed_messages(client):
    await say(client, "lp", "转人工")
    add_agent(_settings(client), "bob")
    headers = await login(client, "bob")
    item = (await queue_items(client, headers))[0]

    async def agent_actions():
        await asyncio.sleep(0.2)
        claim = await client.post(f"/api/handoffs/{item['handoff_id']}/claim", headers=headers)
        assert claim.status == 200

    task = asyncio.create_task(agent_actions())
    started = asyncio.get_running_loop().time()
    lp = secret_headers(client, "lp")  # the customer's conversation secret
    response = await client.get("/webhooks/rest/messages", params={"sender": "lp", "wait": "5"}, headers=lp)
    elapsed = asyncio.get_running_loop().time() - started
    await task
    assert response.status == 200 and elapsed < 4
    joined = await response.json()
    assert len(joined) == 1 and joined[0]["recipient_id"] == "lp" and "Bob" in joined[0]["text"]
    assert isinstance(joined[0]["id"], int)
    since = joined[0]["id"]
    sent = await client.post(
        f"/api/conversations/{item['conversation_id']}/messages", headers=headers, json={"text": "您好，我来帮您查一下"}
    )
    assert sent.status == 200
    later = await (
        await client.get("/webhooks/rest/messages", params={"sender": "lp", "since": since}, headers=lp)
    ).json()
    assert [m["text"] for m in later] == ["您好，我来帮您查一下"]
    # Nothing new: an empty list after the wait; bad parameters are 400.
    empty = await client.get(
        "/webhooks/rest/messages", params={"sender": "lp", "since": later[0]["id"], "wait": "0.2"}, headers=lp
    )
    assert await empty.json() == []
    for params in (
        {},
        {"sender": "lp", "since": "x"},
        {"sender": "lp", "wait": "nan"},
        {"sender": "lp", "since": "-1"},
    ):
        assert (await client.get("/webhooks/rest/messages", params=params, headers=lp)).status == 400


async def test_fast_typing_replies_come_back_in_order(client, fake_rasa):
    # The first message is slow at Rasa, the next ones fast: replies must still follow the send order.
    messages = ["sleep:0.4 一", "sleep:0.05 二", "三", "sleep:0.2 四", "五"]
    tasks = []
    for text in messages:
        tasks.append(asyncio.create_task(say(client, "fast", text)))
        await asyncio.sleep(0.05)  # typed quickly, one after the other
    replies = await asyncio.gather(*tasks)
    assert [r[0]["text"] for r in replies] == [f"echo: {t.split(' ')[-1]}" for t in messages]
    assert [m["message"] for m in fake_rasa.received] == messages  # Rasa saw them in order
    with client.app[DB_KEY].session() as session:
        rows = session.execute(select(Message).order_by(Message.id)).scalars().all()
    # Every message is stored on arrival (before the earlier ones are answered), the
    # answers are stored in the same order.
    assert [m.text for m in rows if m.role == "customer"] == messages
    assert [m.text for m in rows if m.role == "bot"] == [f"echo: {t.split(' ')[-1]}" for t in messages]
    assert rows[1].role == "customer"  # the second message was stored before the first was answered


async def test_router_orders_concurrent_messages(client, fake_rasa):
    router = client.app[ROUTER_KEY]
    texts = [f"sleep:{0.3 - i * 0.05:.2f} m{i}" for i in range(6)]
    tasks = [asyncio.create_task(router.handle_customer_message("rest", "burst", t)) for t in texts]
    results = await asyncio.gather(*tasks)
    assert [r[0].text for r in results] == [f"echo: m{i}" for i in range(6)]
    assert len(router.locks) == 0  # locks are dropped when idle


async def test_rasa_down_queues_politely_and_keeps_the_message(client, fake_rasa):
    await fake_rasa.stop()
    replies = await say(client, "down", "我的快递 SF1402345678901 怎么还没到")
    assert replies[0]["text"].startswith("系统繁忙，正在为您转接人工客服")
    assert "第 1 位" in replies[1]["text"] and "转接" not in replies[1]["text"]  # said once, in the busy notice
    with client.app[DB_KEY].session() as session:
        conversation = session.execute(select(Conversation)).scalar_one()
        handoff = session.execute(select(Handoff)).scalar_one()
        texts = [m.text for m in session.execute(select(Message).where(Message.role == "customer")).scalars()]
    assert conversation.state == "queued" and handoff.reason == "system_busy"
    assert texts == ["我的快递 SF1402345678901 怎么还没到"]


async def test_rasa_errors_and_english(client, fake_rasa):
    fake_rasa.down_status = 503
    replies = await say(client, "err", "where is my parcel")
    assert replies[0]["text"].startswith("Our system is busy")


async def test_rasa_slow_times_out(make_client, settings, fake_rasa):
    client = await make_client(settings, rasa_timeout_s=0.3)
    started = asyncio.get_running_loop().time()
    replies = await say(client, "slow", "sleep:2 你好")
    assert asyncio.get_running_loop().time() - started < 1.5
    assert replies[0]["text"].startswith("系统繁忙")
    with client.app[DB_KEY].session() as session:
        assert session.execute(select(Handoff.reason)).scalar_one() == "system_busy"


async def test_weak_latin_evidence_keeps_a_chinese_conversation_chinese(client, fake_rasa):
    """Markup, a lone short word, a button's intent payload, a link or an e-mail address
    in a Chinese chat do not switch the gateway's notices to English; real English does."""
    await say(client, "lang", "你好，我的快递到哪了")
    for text in (
        "<img src=x onerror=alert(1)>",
        "ok",
        '/choose_time_window{"time_window":"am"}',
        "https://shop.example.com/orders/123456",
        "zhang.wei@example.com",
        "SF1402345678901",
        "<b>ok</b>",
        "5 stars",
    ):
        await say(client, "lang", text)
        with client.app[DB_KEY].session() as session:
            assert session.execute(select(Conversation.language)).scalar_one() == "zh", text
    replies = await say(client, "lang", "转人工")
    assert "排在第 1 位" in replies[-1]["text"]
    # Two English words are real evidence.
    await say(client, "lang2", "你好")
    replies = await say(client, "lang2", "human please")
    assert "You are number 2 in the queue" in replies[-1]["text"]


async def test_customer_text_stays_out_of_the_logs(client, fake_rasa, caplog):
    """Phone numbers, names and addresses customers type are not written to the logs,
    also when things go wrong (Rasa down, a database error)."""
    caplog.set_level(logging.DEBUG)
    secret = "我叫张三 13812345678 住在北京市朝阳区建国路88号"
    await say(client, "pii-log", secret)
    fake_rasa.down_status = 500
    await say(client, "pii-log", secret + " 转人工")
    db = client.app[DB_KEY]
    with (
        pytest.raises(Exception) as failure,  # an integrity error carrying the text as a parameter
        db.session() as session,
    ):
        session.add(Message(conversation_id="no-such-conversation", role="customer", text=secret))
        session.flush()
    logging.getLogger("bot.gateway").exception("database error: %s", failure.value)
    logged = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    assert "Rasa" in logged  # the outage is logged ...
    for fragment in ("13812345678", "张三", "建国路"):
        assert fragment not in logged  # ... without what the customer wrote
        assert fragment not in str(failure.value)
