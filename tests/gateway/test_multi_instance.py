"""Two gateway instances (real aiohttp servers on loopback) sharing one PostgreSQL database
and one Redis, in front of the real Rasa and action servers: a customer's messages that
alternate between the instances are answered in order, an agent logged in on one instance
answers a widget connected to the other (live), concurrent resolves of one chat and
concurrent first messages of one customer leave one consistent state in the database.

Needs PostgreSQL (TEST_POSTGRES_SERVER_URL) and Redis (TEST_REDIS_URL, default
redis://127.0.0.1:6379/0; keys under a prefix of their own, removed afterwards): skipped
with the reason when either does not answer."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.contract import ChannelName, ConversationState, HandoffStatus, MessageRole
from bot.gateway.app import create_app
from bot.gateway.customer_sessions import SECRET_HEADER
from bot.gateway.db import Database
from bot.gateway.models import Conversation, Handoff, Message
from bot.privacy import pseudonym
from tests.gateway.conftest import add_agent, login
from tests.gateway.test_socketio_channel import WidgetClient

pytestmark = pytest.mark.slow

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="module")
def redis_prefix() -> Iterator[str]:
    """A key prefix of this module's run on the Redis of TEST_REDIS_URL (skips without one);
    its keys are deleted at the end."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis server at {REDIS_URL}: {error}")
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=prefix + "*", count=500))
        if keys:
            client.delete(*keys)
        client.close()


class Instances:
    """Two gateways on loopback ports, same database and Redis."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.runners: list[aiohttp.web.AppRunner] = []
        self.urls: list[str] = []
        self.http: aiohttp.ClientSession | None = None
        self.secrets: dict[str, str] = {}

    async def start(self, count: int = 2) -> Instances:
        for _ in range(count):
            runner = aiohttp.web.AppRunner(create_app(self.settings, monitor=False))
            await runner.setup()
            site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            self.runners.append(runner)
            self.urls.append(f"http://127.0.0.1:{port}")
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        return self

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.close()
        for runner in self.runners:
            await runner.cleanup()

    def secret(self, sender: str) -> dict[str, str]:
        """The sender's conversation secret header (issued with its first reply)."""
        return {SECRET_HEADER: self.secrets[sender]} if sender in self.secrets else {}

    async def say(self, index: int, sender: str, text: str) -> list[dict[str, Any]]:
        assert self.http is not None
        url = f"{self.urls[index]}/webhooks/rest/webhook"
        body = {"sender": sender, "message": text}
        async with self.http.post(url, json=body, headers=self.secret(sender)) as response:
            assert response.status == 200, await response.text()
            if SECRET_HEADER in response.headers:
                self.secrets.setdefault(sender, response.headers[SECRET_HEADER])
            return await response.json()

    async def api(self, index: int, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> Any:
        assert self.http is not None
        async with self.http.request(method, self.urls[index] + path, headers=headers, **kwargs) as response:
            return response.status, await response.json()

    async def login(self, index: int, username: str) -> dict[str, str]:
        class _Client:  # conftest.login's client shape
            def __init__(self, outer: Instances) -> None:
                self.outer = outer

            def post(self, path: str, **kwargs: Any) -> Any:
                assert self.outer.http is not None
                return self.outer.http.post(self.outer.urls[index] + path, **kwargs)

        return await login(_Client(self), username)


@pytest.fixture
async def instances(rasa_stack: Any, postgres_url: str, redis_prefix: str) -> AsyncIterator[Instances]:
    test_prefix = f"{redis_prefix}{uuid.uuid4().hex[:6]}:"
    settings = dataclasses.replace(
        rasa_stack.settings,
        database_url=postgres_url,
        redis_url=REDIS_URL,
        redis_key_prefix=test_prefix,
        rasa_timeout_s=60.0,
        staffed_hours="00:00-24:00",
        monitor_interval_s=3600.0,
    )
    Database(postgres_url).init()
    group = await Instances(settings).start(2)
    try:
        yield group
    finally:
        await group.stop()


def _db(instances: Instances) -> Database:
    return Database(instances.settings.database_url)


async def test_messages_alternating_between_instances_are_answered_in_order(instances: Instances) -> None:
    """A customer types faster than the bot answers, each message landing on the other
    instance: the messages are stored in the order sent, reach Rasa in that order (its
    tracker), and each gets its answer."""
    sender = f"order-{uuid.uuid4().hex[:6]}"
    texts = ["你好", "SF1402345678901 到哪了", "谢谢", "JDVA01234567890 到哪了", "好的", "SF1400000000026 呢"]
    tasks = []
    for index, text in enumerate(texts):
        tasks.append(asyncio.create_task(instances.say(index % 2, sender, text)))
        await asyncio.sleep(0.15)  # sent one after the other, long before the answers come
    answers = await asyncio.gather(*tasks)
    assert all(answers), answers

    db = _db(instances)
    with db.session() as session:
        conversations = (
            session.execute(select(Conversation).where(Conversation.channel_user_id == sender)).scalars().all()
        )
        assert len(conversations) == 1
        rows = session.execute(
            select(Message.role, Message.text)
            .where(Message.conversation_id == conversations[0].id)
            .order_by(Message.id)
        ).all()
    db.dispose()
    assert [text for role, text in rows if role == MessageRole.CUSTOMER] == texts
    assert sum(1 for role, _ in rows if role == MessageRole.BOT) >= len(texts)

    settings = instances.settings
    async with aiohttp.ClientSession() as http:
        url = f"{settings.rasa_url}/conversations/{conversations[0].id}/tracker"
        params = {"token": settings.rasa_token} if settings.rasa_token else {}
        async with http.get(url, params=params) as response:
            assert response.status == 200, await response.text()
            tracker = await response.json()
    seen_by_rasa = [event["text"] for event in tracker["events"] if event.get("event") == "user"]
    assert seen_by_rasa == texts


async def test_agent_on_one_instance_answers_a_widget_on_the_other(instances: Instances) -> None:
    add_agent(instances.settings, f"ag-{uuid.uuid4().hex[:6]}", tier=3, role="supervisor")
    with _db(instances).session() as session:
        from bot.gateway.models import Agent

        username = session.execute(select(Agent.username).order_by(Agent.id.desc()).limit(1)).scalar_one()
    headers = await instances.login(0, username)  # the agent works on instance 0

    widget = WidgetClient()
    session_id = f"widget-{uuid.uuid4().hex[:8]}"
    await widget.connect(instances.urls[1], session_id)  # the customer is on instance 1
    try:
        await widget.say(session_id, "转人工")
        texts: list[str] = []
        # The queue position (the session's PostgreSQL database may hold earlier tests' chats).
        while not any(re.search(r"第 ?\d+ ?位", t) for t in texts):
            texts.append((await widget.next(60)).get("text", ""))
        status, body = await instances.api(0, "GET", "/api/queue", headers)
        assert status == 200
        # Agents see the customer's pseudonym, never the raw session id (issue 6).
        item = next(i for i in body["items"] if i["sender_id"] == pseudonym(ChannelName.SOCKETIO.value, session_id))
        status, body = await instances.api(0, "POST", f"/api/handoffs/{item['handoff_id']}/claim", headers)
        assert status == 200, body
        joined = await widget.next(10)  # "agent joined", pushed by instance 0 to a socket on instance 1
        assert joined.get("text"), joined
        # The agent's console (websocket on instance 0) shows what the customer writes on instance 1.
        assert instances.http is not None
        token = headers["Authorization"].split(" ", 1)[1]
        async with instances.http.ws_connect(f"{instances.urls[0]}/api/ws?token={token}") as console:
            await asyncio.sleep(0.3)
            await widget.say(session_id, "我的快递还没到")
            while True:
                event = await asyncio.wait_for(console.receive_json(), 10)
                if event.get("type") == "message" and event["message"]["role"] == MessageRole.CUSTOMER:
                    break
            assert event["conversation_id"] == item["conversation_id"]
            assert event["message"]["text"] == "我的快递还没到"
        status, body = await instances.api(
            0,
            "POST",
            f"/api/conversations/{item['conversation_id']}/messages",
            headers,
            json={"text": "您好，我来帮您查"},
        )
        assert status in (200, 201), body
        reply = await widget.next(10)
        assert "您好，我来帮您查" in reply.get("text", ""), reply
        with _db(instances).session() as session:
            delivered = session.execute(
                select(Message.delivered_at).where(
                    Message.conversation_id == item["conversation_id"], Message.role == MessageRole.AGENT
                )
            ).scalar_one()
        assert delivered is not None  # so the next session_request does not replay it
    finally:
        await widget.close()


async def _queued_chat(instances: Instances, sender: str) -> dict[str, Any]:
    await instances.say(1, sender, "转人工")
    db = _db(instances)
    with db.session() as session:
        conversation = session.execute(select(Conversation).where(Conversation.channel_user_id == sender)).scalar_one()
        handoff = session.execute(select(Handoff).where(Handoff.conversation_id == conversation.id)).scalar_one()
        result = {
            "conversation_id": conversation.id,
            "handoff_id": handoff.id,
            "state": conversation.state,
            "sender": sender,
        }
    db.dispose()
    assert result["state"] == ConversationState.QUEUED, result
    return result


async def test_concurrent_resolves_from_both_instances_one_wins(instances: Instances) -> None:
    name = f"sup-{uuid.uuid4().hex[:6]}"
    add_agent(instances.settings, name, tier=3, role="supervisor")
    chat = await _queued_chat(instances, f"resolve-{uuid.uuid4().hex[:6]}")
    headers = [await instances.login(0, name), await instances.login(1, name)]
    status, body = await instances.api(0, "POST", f"/api/handoffs/{chat['handoff_id']}/claim", headers[0])
    assert status == 200, body
    path = f"/api/conversations/{chat['conversation_id']}/resolve"
    # The customer (REST) long-polls instance 1 for what the agents send.
    assert instances.http is not None
    poll = asyncio.create_task(
        instances.http.get(
            f"{instances.urls[1]}/webhooks/rest/messages",
            params={"sender": chat["sender"], "wait": "25"},
            headers=instances.secret(chat["sender"]),
        )
    )
    await asyncio.sleep(0.5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    results = await asyncio.gather(*(instances.api(i, "POST", path, headers[i]) for i in (0, 1)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 409], results
    assert next(body for status, body in results if status == 409)["error"] in ("not_assigned", "conflict")

    db = _db(instances)
    with db.session() as session:
        handoff = session.get(Handoff, chat["handoff_id"])
        conversation = session.get(Conversation, chat["conversation_id"])
        pushed_payloads = (
            session.execute(
                select(Message.payload).where(
                    Message.conversation_id == chat["conversation_id"], Message.pushed.is_(True)
                )
            )
            .scalars()
            .all()
        )
        questions = sum(1 for payload in pushed_payloads if isinstance(payload, dict) and payload.get("buttons"))
        assert handoff.status == HandoffStatus.RESOLVED and handoff.resolved_at is not None
        assert conversation.state == ConversationState.CSAT_PENDING
        assert questions == 1  # one satisfaction question (with its rating buttons), not two
    db.dispose()
    response = await poll
    woke_after = loop.time() - started
    pushed = await response.json()
    response.release()
    assert pushed and any(item.get("buttons") for item in pushed), pushed
    assert woke_after < 10, woke_after  # woken by the push on instance 0, not by its 25 s timeout


async def test_concurrent_first_messages_on_both_instances_open_one_conversation(instances: Instances) -> None:
    senders = [f"first-{uuid.uuid4().hex[:6]}" for _ in range(4)]
    await asyncio.gather(*(instances.say(i, sender, "你好") for sender in senders for i in (0, 1)))
    db = _db(instances)
    with db.session() as session:
        for sender in senders:
            conversations = (
                session.execute(select(Conversation.id).where(Conversation.channel_user_id == sender)).scalars().all()
            )
            assert len(conversations) == 1, sender
            customer = session.execute(
                select(func.count(Message.id)).where(
                    Message.conversation_id == conversations[0], Message.role == MessageRole.CUSTOMER
                )
            ).scalar_one()
            assert customer == 2
    db.dispose()
