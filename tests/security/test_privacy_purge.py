"""Raw transcripts and Rasa trackers are not kept forever: `python -m bot privacy purge
--older-than DAYS` (and PRIVACY_RETENTION_DAYS in the running gateway) removes customer
text of old conversations from the gateway tables and Rasa's SQL tracker store, and
leaves recent conversations alone."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.clock import utcnow
from bot.config import ROOT_DIR
from bot.gateway.db import Database
from bot.gateway.models import Conversation, CustomerSecret, Handoff, Message
from tests.gateway.conftest import add_agent, login, queue_items, say

pytestmark = pytest.mark.slow  # the purge command in a subprocess, the gateway on loopback

OLD_TEXT = "我叫王小明，手机13812345678，住北京市朝阳区建国路88号"


def _tracker_store(settings: Any, senders: list[str]) -> Any:
    """Rasa's own SQL tracker store (as `serve` configures it for SQLite) with a tracker per sender."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(settings.data_dir / "rasa_tracker.db"))

    async def fill() -> None:
        for sender in senders:
            await store.save(DialogueStateTracker.from_events(sender, [UserUttered(OLD_TEXT)]))

    asyncio.run(fill())  # in a worker thread: its own event loop
    return store


async def _make_conversations(client: Any, settings: Any) -> tuple[str, str]:
    await say(client, "old-customer", OLD_TEXT)
    await say(client, "old-customer", "转人工")
    add_agent(settings, "purger")
    headers = await login(client, "purger")
    await queue_items(client, headers)
    await say(client, "new-customer", OLD_TEXT)
    db = Database(settings.database_url)
    with db.session() as session:
        ids = {c.channel_user_id: c.id for c in session.execute(select(Conversation)).scalars()}
        session.execute(
            update(Conversation)
            .where(Conversation.id == ids["old-customer"])
            .values(updated_at=utcnow() - timedelta(days=40))
        )
    db.dispose()
    return ids["old-customer"], ids["new-customer"]


def _texts(settings: Any, conversation_id: str) -> list[Any]:
    db = Database(settings.database_url)
    with db.session() as session:
        texts = list(session.execute(select(Message.text).where(Message.conversation_id == conversation_id)).scalars())
    db.dispose()
    return texts


async def test_purge_command_removes_old_customer_text(client, settings) -> None:
    old, new = await _make_conversations(client, settings)
    store = await asyncio.get_running_loop().run_in_executor(None, _tracker_store, settings, [old, new])
    # the tracker of the recent conversation must survive: backdate only the old one
    with store.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE events SET timestamp = timestamp - 40 * 86400 WHERE sender_id = ?", (old,))
    env = {
        **os.environ,
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database_url,
        "PYTHONPATH": str(ROOT_DIR),
    }
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "privacy", "purge", "--older-than", "30"],
        cwd=ROOT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gateway conversations purged: 1" in result.stdout, result.stdout

    assert all(text is None for text in _texts(settings, old))
    assert OLD_TEXT in _texts(settings, new)
    db = Database(settings.database_url)
    with db.session() as session:
        purged = session.get(Conversation, old)
        assert purged.channel_user_id.startswith("purged:") and "old-customer" not in purged.channel_user_id
        assert purged.state == "closed"
        assert all(
            h.summary is None for h in session.execute(select(Handoff).where(Handoff.conversation_id == old)).scalars()
        )
        # the old customer's REST conversation secret went with their last conversation
        secrets = {s.channel_user_id for s in session.execute(select(CustomerSecret)).scalars()}
        assert secrets == {"new-customer"}
    db.dispose()
    with store.engine.connect() as connection:
        senders = {row[0] for row in connection.exec_driver_sql("SELECT DISTINCT sender_id FROM events")}
    assert senders == {new}
    # the customer comes back: a fresh conversation, nothing of the old one
    await say(client, "old-customer", "你好")
    with db.session() as session:
        current = session.execute(
            select(Conversation).where(Conversation.channel_user_id == "old-customer")
        ).scalar_one()
        assert current.id != old
    db.dispose()


async def test_the_gateway_purges_daily_when_configured(make_client, settings) -> None:
    client = await make_client(settings)
    old, new = await _make_conversations(client, settings)
    await make_client(settings, privacy_retention_days=30.0)  # a gateway with the setting starts
    for _ in range(100):
        if all(text is None for text in _texts(settings, old)):
            break
        await asyncio.sleep(0.1)
    assert all(text is None for text in _texts(settings, old))
    assert OLD_TEXT in _texts(settings, new)
