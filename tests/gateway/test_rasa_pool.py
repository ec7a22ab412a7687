"""Several Rasa instances behind the gateway (RASA_URLS): consistent routing per
conversation, fail-over when an instance goes away, and holding a customer's message
while no instance is ready instead of handing the customer to the human queue.
Real HTTP servers on loopback (tests/gateway/fake_rasa.py) that are stopped and
started again on the same port."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest
from sqlalchemy import select

from bot.gateway.keys import DB_KEY
from bot.gateway.models import Conversation, Handoff
from bot.gateway.rasa_client import SLOW_CHECKS_DOWN, RasaClient, RasaUnavailable
from tests.gateway.fake_rasa import FakeRasa


@pytest.fixture
async def two_rasas():
    first, second = await FakeRasa().start(), await FakeRasa().start()
    yield first, second
    await first.stop()
    await second.stop()


def _served_by(rasas: tuple[FakeRasa, ...]) -> dict[str, int]:
    """conversation id -> index of the instance that received its messages."""
    return {body["sender"]: i for i, rasa in enumerate(rasas) for body in rasa.received}


async def test_each_conversation_sticks_to_one_instance_and_both_are_used(two_rasas):
    client = RasaClient([r.url for r in two_rasas], timeout_s=5)
    try:
        for turn in range(3):
            for n in range(20):
                replies = await client.send_message(f"conv-{n}", f"turn {turn}")
                assert replies == [{"recipient_id": f"conv-{n}", "text": f"echo: turn {turn}"}]
    finally:
        await client.close()
    senders = [Counter(body["sender"] for body in rasa.received) for rasa in two_rasas]
    assert not set(senders[0]) & set(senders[1]), "a conversation was split over two instances"
    assert all(count == 3 for c in senders for count in c.values())
    assert len(senders[0]) >= 4 and len(senders[1]) >= 4, senders  # 20 conversations spread over both


async def test_a_stopped_instance_fails_over_to_the_other(two_rasas):
    first, second = two_rasas
    client = RasaClient([first.url, second.url], timeout_s=5)
    try:
        for n in range(10):
            await client.send_message(f"c{n}", "hello")
        moved = [cid for cid, index in _served_by(two_rasas).items() if index == 0]
        assert moved
        await first.stop()
        for cid in moved:
            assert await client.send_message(cid, "still there?") == [
                {"recipient_id": cid, "text": "echo: still there?"}
            ]
        assert {b["sender"] for b in second.received if b["message"] == "still there?"} == set(moved)
    finally:
        await client.close()


async def test_background_checks_bring_an_instance_back(two_rasas):
    first, second = two_rasas
    client = RasaClient([first.url, second.url], timeout_s=5)
    client.start()
    try:
        port = first.port
        await first.stop()
        await client.check(first.url)
        assert client.healthy_urls() == [second.url]
        restarted = await FakeRasa(port=port).start()
        try:
            for _ in range(50):  # the background checks look at a down instance twice a second
                if first.url in client.healthy_urls():
                    break
                await asyncio.sleep(0.1)
            assert client.healthy_urls() == [first.url, second.url]
        finally:
            await restarted.stop()
    finally:
        await client.close()


async def test_a_busy_instance_is_not_taken_for_a_stopped_one():
    rasa = await FakeRasa(health_delay_s=0.5).start()  # answers its health check late
    client = RasaClient([rasa.url], timeout_s=5, health_timeout_s=0.1)
    try:
        for _ in range(SLOW_CHECKS_DOWN - 1):
            assert await client.check(rasa.url)
        assert client.healthy_urls() == [rasa.url]  # busy, still used
        assert not await client.check(rasa.url)  # no answer in time, check after check: down
        assert client.healthy_urls() == []
        rasa.health_delay_s = 0
        assert await client.check(rasa.url)
        rasa.health_delay_s = 0.5
        assert await client.check(rasa.url)  # the count starts again after an answer
        await rasa.stop()
        assert not await client.check(rasa.url)  # refused: down at once
    finally:
        await client.close()
        await rasa.stop()


async def test_message_is_held_until_an_instance_is_back():
    rasa = await FakeRasa().start()
    port = rasa.port
    await rasa.stop()
    client = RasaClient([rasa.url], timeout_s=5, hold_s=10)
    client.start()
    restarted: FakeRasa | None = None
    try:
        started = time.monotonic()
        pending = asyncio.create_task(client.send_message("held", "are you there"))
        await asyncio.sleep(1.0)
        assert not pending.done()  # held, not failed
        restarted = await FakeRasa(port=port).start()
        replies = await asyncio.wait_for(pending, 10)
        assert replies == [{"recipient_id": "held", "text": "echo: are you there"}]
        assert 1.0 <= time.monotonic() - started < 5
    finally:
        await client.close()
        if restarted is not None:
            await restarted.stop()


async def test_hold_is_bounded():
    rasa = await FakeRasa().start()
    await rasa.stop()
    client = RasaClient([rasa.url], timeout_s=5, hold_s=0.8)
    client.start()
    try:
        started = time.monotonic()
        with pytest.raises(RasaUnavailable):
            await client.send_message("nobody", "hello")
        assert 0.7 <= time.monotonic() - started < 4
    finally:
        await client.close()


async def test_gateway_holds_instead_of_busy_handoff_during_a_short_restart(make_client, settings, fake_rasa):
    client = await make_client(settings, rasa_hold_s=15.0)
    port = fake_rasa.port
    await fake_rasa.stop()
    say = asyncio.create_task(
        client.post("/webhooks/rest/webhook", json={"sender": "restart", "message": "我的快递到哪了"})
    )
    await asyncio.sleep(1.5)  # Rasa is "loading its model"
    assert not say.done()
    back = await FakeRasa(port=port).start()
    try:
        response = await asyncio.wait_for(say, 15)
        replies = await response.json()
        assert [r.get("text") for r in replies] == ["echo: 我的快递到哪了"]
        with client.app[DB_KEY].session() as session:
            assert session.execute(select(Conversation.state)).scalar_one() == "bot"
            assert session.execute(select(Handoff)).first() is None  # nobody was handed to the queue
    finally:
        await back.stop()
