"""Rate limits on every customer channel, tried as a flooding client would against the
gateway on loopback: REST (429 + Retry-After), the long poll, socket.io and WeChat (one
polite "please slow down", then silence, instead of bot turns), per conversation and
per client address (X-Forwarded-For only from TRUSTED_PROXIES), the cap on messages
waiting behind a slow turn, and the limiter's memory and Redis state."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from bot.config import Settings
from bot.gateway.keys import DB_KEY
from bot.gateway.models import Message
from bot.gateway.ratelimit import CustomerLimits, MemoryBuckets, RedisBuckets, parse_limits
from tests.gateway.conftest import remember_secret, secret_headers
from tests.gateway.test_socketio_channel import WidgetClient, base_url
from tests.gateway.test_wechat import (  # noqa: F401  (fixtures)
    Gateway,
    fake_api,
    gateway,
    post_plain,
    reply_of,
    signed_query,
    text_xml,
)

SLOW_ZH = "您发送消息的速度有点快"


async def _post(client: Any, sender: str, text: str, **headers: str) -> Any:
    """Post as the customer `sender` (with its conversation secret)."""
    response = await client.post(
        "/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        headers={**secret_headers(client, sender), **headers},
    )
    remember_secret(client, sender, response)
    return response


def _stored(client: Any) -> int:
    with client.app[DB_KEY].session() as session:
        return session.query(Message).filter(Message.role == "customer").count()


def test_the_default_settings_protect(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RATE_LIMIT_CONVERSATION", "RATE_LIMIT_CLIENT", "MAX_PENDING_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    defaults = Settings()
    assert parse_limits(defaults.rate_limit_conversation) and parse_limits(defaults.rate_limit_client)
    assert defaults.max_pending_messages > 0
    assert parse_limits("6 per 10 seconds; 30 per minute") == parse_limits("6/10 seconds;30 per 1 minute")
    assert parse_limits("off") == ()
    with pytest.raises(ValueError):
        parse_limits("lots per minute")


async def test_rest_answers_429_per_conversation_and_per_client(
    make_client: Any, settings: Any, fake_rasa: Any
) -> None:
    client = await make_client(settings, rate_limit_conversation="3 per minute", rate_limit_client="5 per minute")
    for n in range(3):
        assert (await _post(client, "flood-1", f"消息{n}")).status == 200
    refused = await _post(client, "flood-1", "再来一条")
    assert refused.status == 429 and (await refused.json())["error"] == "too_many_requests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert len(fake_rasa.received) == 3 and _stored(client) == 3  # refused: not stored, no bot turn
    # Fresh sender ids from the same address share the client's allowance.
    assert (await _post(client, "flood-2", "你好")).status == 200
    assert (await _post(client, "flood-3", "你好")).status == 200
    assert (await _post(client, "flood-4", "你好")).status == 429
    assert len(fake_rasa.received) == 5


async def test_forwarded_address_counts_only_behind_a_trusted_proxy(
    make_client: Any, settings: Any, fake_rasa: Any
) -> None:
    limits = {"rate_limit_conversation": "off", "rate_limit_client": "2 per minute"}
    direct = await make_client(settings, **limits)
    for n in range(2):
        assert (await _post(direct, f"d{n}", "你好", **{"X-Forwarded-For": f"203.0.113.{n}"})).status == 200
    # A client cannot rotate X-Forwarded-For to get more: the header is ignored.
    assert (await _post(direct, "d9", "你好", **{"X-Forwarded-For": "203.0.113.99"})).status == 429

    proxied = await make_client(settings, trusted_proxies="127.0.0.1", **limits)
    for n in range(2):
        assert (await _post(proxied, f"p{n}", "你好", **{"X-Forwarded-For": "198.51.100.7"})).status == 200
    assert (await _post(proxied, "p2", "你好", **{"X-Forwarded-For": "198.51.100.7"})).status == 429
    # behind the proxy, another customer has their own allowance
    assert (await _post(proxied, "p3", "你好", **{"X-Forwarded-For": "198.51.100.8"})).status == 200


async def test_long_poll_is_limited(make_client: Any, settings: Any, fake_rasa: Any) -> None:
    client = await make_client(settings, rate_limit_conversation="2 per minute", rate_limit_client="off")
    assert (await _post(client, "poller", "你好")).status == 200
    params = {"sender": "poller", "since": "0"}
    for _ in range(2):
        response = await client.get("/webhooks/rest/messages", params=params, headers=secret_headers(client, "poller"))
        assert response.status == 200
    response = await client.get("/webhooks/rest/messages", params=params, headers=secret_headers(client, "poller"))
    assert response.status == 429 and response.headers.get("Retry-After")
    # polls have their own allowance: the customer can still write
    assert (await _post(client, "poller", "还在吗")).status == 200


async def test_socketio_gets_one_polite_slow_down(make_client: Any, settings: Any, fake_rasa: Any) -> None:
    client = await make_client(settings, rate_limit_conversation="2 per minute", rate_limit_client="off")
    widget = WidgetClient()
    session_id = await widget.connect(base_url(client))
    for text in ("你好", "在吗"):
        await widget.say(session_id, text)
        assert (await widget.next())["text"].startswith("echo:")
    for text in ("快递", "到哪了", "急"):
        await widget.say(session_id, text)
    assert SLOW_ZH in (await widget.next())["text"]  # once ...
    await asyncio.sleep(0.3)
    assert widget.uttered.empty()  # ... then silence, and no bot turns
    assert [m["message"] for m in fake_rasa.received] == ["你好", "在吗"]
    await widget.close()


async def test_waiting_messages_are_capped(make_client: Any, settings: Any, fake_rasa: Any) -> None:
    client = await make_client(settings, rate_limit_conversation="off", rate_limit_client="off", max_pending_messages=1)
    first = asyncio.create_task(_post(client, "slow", "sleep:0.6 一"))
    await asyncio.sleep(0.15)
    second = asyncio.create_task(_post(client, "slow", "二"))  # waits behind the first: allowed
    await asyncio.sleep(0.15)
    third = await _post(client, "slow", "三")  # a second one waiting: refused
    assert third.status == 429
    assert (await first).status == 200 and (await second).status == 200
    assert [m["message"] for m in fake_rasa.received] == ["sleep:0.6 一", "二"]


async def test_wechat_gets_the_polite_reply(gateway: Gateway, fake_rasa: Any, monkeypatch: Any) -> None:  # noqa: F811
    gateway.app[DB_KEY]  # the app is up
    router_limits = CustomerLimits("1 per minute", "off", MemoryBuckets())
    from bot.gateway.keys import ROUTER_KEY

    monkeypatch.setattr(gateway.app[ROUTER_KEY], "limits", router_limits)
    query = lambda: signed_query(nonce=uuid.uuid4().hex[:16])  # noqa: E731
    status, body = await post_plain(gateway, text_xml("我的快递到哪了"), query())
    assert status == 200 and reply_of(body)["Content"] == "echo: 我的快递到哪了"
    status, body = await post_plain(gateway, text_xml("到哪了"), query())
    assert status == 200 and SLOW_ZH in reply_of(body)["Content"]
    assert len(fake_rasa.received) == 1


async def test_memory_limiter_is_bounded() -> None:
    buckets = MemoryBuckets(max_keys=100)
    limits = CustomerLimits("1 per hour", "off", buckets)
    for n in range(1000):
        assert await limits.admit(f"rest:s{n}", None) == 0.0
    assert len(buckets) == 100
    assert await limits.admit("rest:s999", None) > 0  # a recent key is still counted


async def test_redis_limiter_is_shared_between_instances() -> None:
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/1"  # this branch's Redis database
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379")
    prefix = f"test-6a-{uuid.uuid4().hex[:8]}:"
    one = CustomerLimits("2 per minute", "off", RedisBuckets(url, prefix))
    two = CustomerLimits("2 per minute", "off", RedisBuckets(url, prefix))
    try:
        assert await one.admit("rest:x", "ip:1") == 0.0
        assert await two.admit("rest:x", "ip:1") == 0.0
        wait = await one.admit("rest:x", "ip:1")
        assert 0 < wait <= 30  # the other instance's message counted
        assert await two.admit("rest:y", "ip:1") == 0.0  # another conversation
    finally:
        keys = redis.Redis.from_url(url).keys(prefix + "*")
        if keys:
            redis.Redis.from_url(url).delete(*keys)
        await one.close()
        await two.close()


async def test_socketio_session_requests_are_limited(make_client: Any, settings: Any, fake_rasa: Any) -> None:
    client = await make_client(settings, rate_limit_conversation="off", rate_limit_client="2 per minute")
    widgets = [WidgetClient() for _ in range(3)]
    session_ids = [await widget.connect(base_url(client)) for widget in widgets[:2]]
    with pytest.raises(asyncio.TimeoutError):  # a third session from the same address: cut off
        await widgets[2].connect(base_url(client))
    # messages have an allowance of their own: an open session still chats
    await widgets[0].say(session_ids[0], "你好")
    assert (await widgets[0].next())["text"] == "echo: 你好"
    for widget in widgets:
        await widget.close()
