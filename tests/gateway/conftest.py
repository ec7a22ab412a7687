"""Fixtures of the gateway tests: a fake Rasa on loopback, settings with a SQLite file
in tmp_path (or the database of TEST_DATABASE_URL), the app under aiohttp's test
client, agents and their tokens."""

from __future__ import annotations

import dataclasses
import os
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from bot.config import Settings
from bot.gateway.app import create_app
from bot.gateway.auth import hash_password
from bot.gateway.db import Database
from bot.gateway.models import Agent
from bot.privacy import pseudonym
from tests.gateway.fake_rasa import FakeRasa


class Clock:
    """A controllable clock: real time plus an offset."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset

    def advance(self, **kwargs: float) -> None:
        self.offset += timedelta(**kwargs)


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    server = await FakeRasa().start()
    yield server
    await server.stop()


def _drop_all_tables(url: str) -> None:
    from bot.db import Base, init_db, make_engine

    engine = make_engine(url)
    try:
        init_db(engine)  # registers every model on Base
        Base.metadata.drop_all(engine)
    finally:
        engine.dispose()


@pytest.fixture
def database_url(tmp_path: Any) -> Iterator[str]:
    """A fresh SQLite file per test; or, with TEST_DATABASE_URL set (e.g.
    postgresql+psycopg2://postgres@127.0.0.1/test), that database, emptied of the
    project's tables before and after the test."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'gateway.db'}"
        return
    _drop_all_tables(url)
    yield url
    _drop_all_tables(url)


@pytest.fixture
def settings(tmp_path: Any, fake_rasa: FakeRasa, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        rasa_url=fake_rasa.url,
        rasa_timeout_s=2.0,
        rasa_hold_s=0.0,  # an outage goes straight to the human queue (holding is tested on its own)
        staffed_hours="00:00-24:00",
        agent_grace_s=120.0,
        monitor_interval_s=3600.0,
        queue_notice_interval_s=60.0,
        agent_max_chats=5,
        # These tests send messages as fast as they can from one address: no rate limits
        # (tests/security/test_rate_limits.py tests them).
        rate_limit_conversation="off",
        rate_limit_client="off",
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_client(aiohttp_client: Any, clock: Clock) -> Callable[..., Any]:
    async def make(settings: Settings, monitor: bool = False, **changes: Any) -> Any:
        if changes:
            settings = dataclasses.replace(settings, **changes)
        return await aiohttp_client(create_app(settings, clock=clock, monitor=monitor))

    return make


@pytest.fixture
async def client(make_client: Callable[..., Any], settings: Settings) -> Any:
    return await make_client(settings)


def add_agent(
    settings: Settings,
    username: str,
    role: str = "agent",
    tier: int = 1,
    max_chats: int | None = None,
    display_name: str | None = None,
    password: str = "pw-" + "x" * 8,
) -> int:
    """Insert an agent directly (cheap PBKDF2 iterations: these are tests)."""
    db = Database(settings.database_url)
    db.init()
    with db.session() as session:
        agent = Agent(
            username=username,
            display_name=display_name or username.capitalize(),
            password_hash=hash_password(password, iterations=1000),
            role=role,
            tier=tier,
            max_chats=max_chats,
        )
        session.add(agent)
        session.flush()
        agent_id = agent.id
    db.dispose()
    return agent_id


async def login(client: Any, username: str, password: str = "pw-" + "x" * 8) -> dict[str, str]:
    response = await client.post("/api/login", json={"username": username, "password": password})
    assert response.status == 200, await response.text()
    body = await response.json()
    return {"Authorization": f"Bearer {body['token']}"}


# The REST senders the tests spoke as, by the pseudonym agents see (bot.privacy.pseudonym).
_SENDERS: dict[str, str] = {}


def sender(item: dict[str, Any]) -> str:
    """The REST sender behind a queue item's or conversation's `sender_id` pseudonym."""
    return _SENDERS.get(item["sender_id"], item["sender_id"])


# The conversation secret the gateway issued to each REST sender (per test client).
_SECRETS: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()


def secret_headers(client: Any, sender: str) -> dict[str, str]:
    """The `X-Conversation-Secret` header of `sender` (issued on its first reply)."""
    secret = _SECRETS.get(client, {}).get(sender)
    return {"X-Conversation-Secret": secret} if secret else {}


async def say(client: Any, sender: str, message: str, **extra: Any) -> list[dict[str, Any]]:
    """Post as the REST customer `sender`, with its conversation secret (as a real client does)."""
    _SENDERS[pseudonym("rest", sender)] = sender
    response = await client.post(
        "/webhooks/rest/webhook",
        json={"sender": sender, "message": message, **extra},
        headers=secret_headers(client, sender),
    )
    assert response.status == 200, await response.text()
    remember_secret(client, sender, response)
    return await response.json()


def remember_secret(client: Any, sender: str, response: Any) -> None:
    """Keep the conversation secret a reply to `sender` carried (its first one does)."""
    _SENDERS[pseudonym("rest", sender)] = sender
    issued = response.headers.get("X-Conversation-Secret")
    if issued:
        _SECRETS.setdefault(client, {})[sender] = issued


async def queue_items(client: Any, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get("/api/queue", headers=headers)
    assert response.status == 200, await response.text()
    return (await response.json())["items"]
