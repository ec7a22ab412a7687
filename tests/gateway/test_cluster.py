"""The pieces several gateway instances share: the database's partial unique indexes
(also added to a database made before they existed) and guarded updates; through Redis
(TEST_REDIS_URL, skipped when it does not answer) the ordering lock, the event bus, WeChat's
message ids and numbered options, each tested with two instances' objects."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from bot.clock import utcnow
from bot.contract import ConversationState, HandoffStatus
from bot.db import init_db
from bot.gateway.channels.wechat.rendering import RedisButtonMemory
from bot.gateway.cluster import RedisBus, RedisKeyedLocks, SeenOnce
from bot.gateway.db import Database
from bot.gateway.models import Conversation, Handoff
from bot.gateway.queue import QueueError, transition_conversation, transition_handoff

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _conversation(user: str, state: str = ConversationState.BOT) -> Conversation:
    return Conversation(channel="rest", channel_user_id=user, state=state)


# --- database ---------------------------------------------------------------------


def test_one_open_conversation_per_customer_and_one_active_handoff(tmp_path: Any) -> None:
    db = Database(f"sqlite:///{tmp_path / 'u.db'}")
    db.init()
    with db.session() as session:
        session.add_all([_conversation("a", ConversationState.CLOSED), _conversation("a", ConversationState.CLOSED)])
        open_one = _conversation("a")
        session.add(open_one)
        session.flush()
        conversation_id = open_one.id
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(_conversation("a", ConversationState.QUEUED))
    due = utcnow() + timedelta(minutes=5)
    with db.session() as session:
        session.add(Handoff(conversation_id=conversation_id, status=HandoffStatus.RESOLVED, sla_due_at=due))
        session.add(Handoff(conversation_id=conversation_id, status=HandoffStatus.WAITING, sla_due_at=due))
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(Handoff(conversation_id=conversation_id, status=HandoffStatus.ASSIGNED, sla_due_at=due))
    db.dispose()


def test_the_indexes_are_added_to_an_existing_database(tmp_path: Any, caplog: Any) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url)
    db.init()
    engine = create_engine(url)
    with engine.begin() as connection:  # as made by the version before the indexes
        connection.execute(text("DROP INDEX uq_gw_conversations_open"))
        connection.execute(text("DROP INDEX uq_gw_handoffs_active"))
        for _ in range(2):  # data the handoff index would refuse
            connection.execute(
                text(
                    "INSERT INTO gw_conversations (id, channel, channel_user_id, state, language, verified, "
                    "created_at, updated_at) VALUES (:id, 'rest', 'dup', 'bot', 'zh', 0, '2026-01-01', '2026-01-01')"
                ),
                {"id": str(uuid.uuid4())},
            )
    with caplog.at_level(logging.ERROR, logger="bot.db"):
        init_db(db.engine)  # start-up: the handoff index comes back; the other cannot (duplicates)
    names = {index["name"] for index in inspect(engine).get_indexes("gw_handoffs")}
    assert "uq_gw_handoffs_active" in names
    names = {index["name"] for index in inspect(engine).get_indexes("gw_conversations")}
    assert "uq_gw_conversations_open" not in names
    assert "uq_gw_conversations_open" in caplog.text
    engine.dispose()
    db.dispose()


def test_guarded_updates_refuse_a_state_changed_meanwhile(tmp_path: Any) -> None:
    db = Database(f"sqlite:///{tmp_path / 'g.db'}")
    db.init()
    with db.session() as session:
        conversation = _conversation("g", ConversationState.AGENT)
        session.add(conversation)
        session.flush()
        handoff = Handoff(
            conversation_id=conversation.id, status=HandoffStatus.ASSIGNED, sla_due_at=utcnow(), agent_id=None
        )
        session.add(handoff)
        session.flush()
        ids = conversation.id, handoff.id
    with db.session() as stale:  # read by one instance ...
        handoff = stale.get(Handoff, ids[1])
        with db.session() as other:  # ... resolved by another meanwhile
            transition_handoff(other, other.get(Handoff, ids[1]), status=HandoffStatus.RESOLVED)
        with pytest.raises(QueueError) as refused:
            transition_handoff(stale, handoff, status=HandoffStatus.RETURNED_TO_BOT)
        assert (refused.value.code, refused.value.status) == ("conflict", 409)
    with db.session() as stale:
        conversation = stale.get(Conversation, ids[0])
        with db.session() as other:
            transition_conversation(other, other.get(Conversation, ids[0]), state=ConversationState.CSAT_PENDING)
        with pytest.raises(QueueError):
            transition_conversation(stale, conversation, state=ConversationState.BOT)
    with db.session() as session:
        assert session.get(Handoff, ids[1]).status == HandoffStatus.RESOLVED
        conversation = session.get(Conversation, ids[0])
        assert conversation.state == ConversationState.CSAT_PENDING
        transition_conversation(session, conversation, state=ConversationState.CLOSED)  # read fresh: allowed
        assert conversation.state == ConversationState.CLOSED
    db.dispose()


# --- Redis ------------------------------------------------------------------------


@pytest.fixture
async def buses() -> AsyncIterator[list[RedisBus]]:
    """The event buses of two gateway instances (a key prefix of this test)."""
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    pair = [RedisBus(REDIS_URL, prefix), RedisBus(REDIS_URL, prefix)]
    try:
        await pair[0].redis.ping()
    except Exception as error:
        await asyncio.gather(*(bus.close() for bus in pair))
        pytest.skip(f"no Redis server at {REDIS_URL}: {error}")
    for bus in pair:
        await bus.start()
    yield pair
    keys = [key async for key in pair[0].redis.scan_iter(match=prefix + "*")]
    if keys:
        await pair[0].redis.delete(*keys)
    for bus in pair:
        await bus.close()


async def test_the_bus_reaches_the_other_instance_only(buses: list[RedisBus]) -> None:
    got: list[tuple[int, dict[str, Any]]] = []
    for index, bus in enumerate(buses):

        async def handler(data: dict[str, Any], index: int = index) -> None:
            got.append((index, data))

        bus.on("ping", handler)
    await buses[0].publish("ping", {"n": 1})
    await buses[0].publish("ping", {"n": 2})
    for _ in range(50):
        if len(got) == 2:
            break
        await asyncio.sleep(0.02)
    assert got == [(1, {"n": 1}), (1, {"n": 2})]


async def test_turns_of_one_customer_run_one_at_a_time_in_ticket_order(buses: list[RedisBus]) -> None:
    locks = [RedisKeyedLocks(bus) for bus in buses]
    order: list[int] = []
    inside = 0

    async def turn(ticket: int) -> None:
        nonlocal inside
        async with locks[ticket % 2].hold(("rest", "cust"), ticket=ticket):
            inside += 1
            assert inside == 1
            order.append(ticket)
            await asyncio.sleep(0.05)
            inside -= 1

    first = asyncio.create_task(turn(10))
    await asyncio.sleep(0.02)  # 10 holds the lock; the others queue on both instances, in any order
    rest = [asyncio.create_task(turn(t)) for t in (14, 11, 13, 12)]
    other_key = asyncio.create_task(_hold_briefly(locks[1]))
    await asyncio.gather(first, *rest)
    assert order == [10, 11, 12, 13, 14]
    assert await other_key < 0.2  # another customer does not wait for this one's five turns (>= 0.25 s)


async def _hold_briefly(locks: RedisKeyedLocks) -> float:
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with locks.hold(("rest", "someone-else"), ticket=1):
        return loop.time() - started


async def test_a_dead_holder_is_dropped_when_its_lease_lapses(buses: list[RedisBus]) -> None:
    lock = RedisKeyedLocks(buses[1])
    lock.POLL_S = 0.05
    queue = buses[0].key("gw", "lock", "rest|gone")
    await buses[0].redis.zadd(queue, {"dead-instance.token": 1})  # its instance died: no lease
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with lock.hold(("rest", "gone"), ticket=2):
        assert loop.time() - started < 1
    assert await buses[0].redis.exists(queue) == 0


async def test_wechat_retry_on_another_instance_and_options_shared(buses: list[RedisBus]) -> None:
    seen = [SeenOnce(bus.redis, bus.key("wechat", "msg", "wechat", "")) for bus in buses]
    assert await seen[0].first("openid:1001", 120) is True
    assert await seen[1].first("openid:1001", 120) is False  # WeChat's retry, other instance
    assert await seen[1].first("openid:1002", 120) is True
    memories = [RedisButtonMemory(bus.redis, bus.key("wechat", "buttons", "wechat", "")) for bus in buses]
    await memories[0].aremember(
        "openid", [{"title": "查快递", "payload": "/track"}, {"title": "人工", "payload": "/h"}]
    )
    assert (await memories[1].aresolve("openid", "2"))["payload"] == "/h"
    assert (await memories[1].aresolve("openid", "查快递"))["payload"] == "/track"
    await memories[1].aremember("openid", [])
    assert await memories[0].aresolve("openid", "1") is None


def test_racing_inserts_on_postgresql_take_the_winners_rows(postgres_url: str, tmp_path: Any) -> None:
    """Two instances open the same customer's conversation, and queue the same conversation,
    at the same moment: the loser's insert waits for the winner's transaction, fails on the
    unique index, and takes the winner's row (no error, no second row)."""
    import threading

    from bot.config import Settings
    from bot.contract import HandoffPayload
    from bot.gateway.app import create_app
    from bot.gateway.keys import DB_KEY, QUEUE_KEY, ROUTER_KEY

    app = create_app(
        Settings(data_dir=tmp_path, database_url=postgres_url, rasa_url="http://127.0.0.1:9", redis_url=""),
        monitor=False,
    )
    db, router, queue = app[DB_KEY], app[ROUTER_KEY], app[QUEUE_KEY]
    db.init()
    now = utcnow()
    results: dict[str, Any] = {}

    def loser(name: str, work: Any) -> threading.Thread:
        def run() -> None:
            with db.session() as session:
                results[name] = work(session)

        return threading.Thread(target=run)

    with db.session() as winner:  # not committed until the loser is blocked on the index
        won = router._open_or_new(winner, "rest", "racer", now)
        thread = loser("conversation", lambda s: router._open_or_new(s, "rest", "racer", now).id)
        thread.start()
        thread.join(1.0)
        assert thread.is_alive()  # waiting for the winner's transaction
        won_id = won.id
    thread.join(10)
    assert results["conversation"] == won_id

    info = HandoffPayload.parse({"reason": "customer_request"})
    with db.session() as winner:
        handoff = queue.enqueue(winner, winner.get(Conversation, won_id), info, now)
        thread = loser("handoff", lambda s: queue.enqueue(s, s.get(Conversation, won_id), info, now).id)
        thread.start()
        thread.join(1.0)
        assert thread.is_alive()
        handoff_id = handoff.id
    thread.join(10)
    assert results["handoff"] == handoff_id
    with db.session() as session:
        assert session.query(Conversation).filter_by(channel_user_id="racer").count() == 1
        assert session.query(Handoff).filter_by(conversation_id=won_id).count() == 1
    db.dispose()
