"""Fixtures for the action tests: a real SQLite store loaded from a JSONL file, a
frozen clock, and a conversation driver that runs actions the way Rasa would
(rules.yml picks the action for an intent, action_detect_language fills the
language slot first, returned events update the slots)."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions  # noqa: F401  (registers every action)
from actions import db
from bot import clock
from bot.db import init_db, make_engine, make_session_factory
from bot.store.importer import import_jsonl

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "actions_shipments.jsonl"
SHARED_FIXTURE = ROOT / "tests" / "fixtures" / "shipments.jsonl"
# Monday 23 November 2026, 10:00 in Shanghai.
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone(timedelta(hours=8)))


def load_domain() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def load_rules() -> dict[str, str]:
    """intent -> action, from nlu_data/rules.yml."""
    rules = yaml.safe_load((ROOT / "nlu_data" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    mapping: dict[str, str] = {}
    for rule in rules:
        steps = rule["steps"]
        for first, second in itertools.pairwise(steps):
            if "intent" in first and "action" in second:
                mapping[first["intent"]] = second["action"]
    return mapping


def registered_actions() -> dict[str, Action]:
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    return {name: fn.__self__ for name, fn in executor.actions.items()}


DOMAIN = load_domain()
RULES = load_rules()
ACTIONS = registered_actions()


def initial_slots() -> dict[str, Any]:
    return {name: spec.get("initial_value") for name, spec in DOMAIN["slots"].items()}


def user_event(
    text: str, intent: str, entities: list[dict[str, Any]] | None = None, metadata: dict[str, Any] | None = None
) -> dict[str, Any]:
    parse_data: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.95},
        "entities": entities or [],
        "intent_ranking": [{"name": intent, "confidence": 0.95}],
    }
    if metadata is not None:  # what the gateway adds (client, channel, sender_proven)
        parse_data["metadata"] = metadata
    return {"event": "user", "text": text, "parse_data": parse_data, "timestamp": NOW.timestamp()}


def make_tracker(
    text: str,
    intent: str,
    *,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    history: list[dict[str, Any]] | None = None,
    sender_id: str = "conv-1",
) -> Tracker:
    """A tracker whose latest message is `text` (also the last user event)."""
    latest = user_event(text, intent, entities)
    values = initial_slots()
    values.update(slots or {})
    events = [{"event": "action", "name": "action_session_start"}, *(history or []), latest]
    return Tracker(sender_id, values, latest["parse_data"], events, False, None, {}, "action_listen")


def run_action(action: Action, tracker: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(bot messages, returned events)."""
    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, tracker, DOMAIN)
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    return dispatcher.messages, list(result or [])


@dataclass
class Turn:
    action: str
    messages: list[dict[str, Any]]
    events: list[dict[str, Any]]

    @property
    def text(self) -> str:
        return "\n".join(m.get("text") or "" for m in self.messages)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [b for m in self.messages for b in m.get("buttons") or []]

    @property
    def handoffs(self) -> list[dict[str, Any]]:
        return [m["custom"]["handoff"] for m in self.messages if (m.get("custom") or {}).get("handoff")]

    @property
    def handoff(self) -> dict[str, Any] | None:
        found = self.handoffs
        assert len(found) <= 1, "more than one handoff in a turn"
        return found[0] if found else None

    def slot_sets(self) -> dict[str, Any]:
        return {e["name"]: e["value"] for e in self.events if e.get("event") == "slot"}


_ids = itertools.count(1)


@dataclass
class Conversation:
    """A conversation driven turn by turn, as Rasa would run it."""

    sender_id: str = field(default_factory=lambda: f"conv-{next(_ids)}")
    slots: dict[str, Any] = field(default_factory=initial_slots)
    events: list[dict[str, Any]] = field(default_factory=lambda: [{"event": "action", "name": "action_session_start"}])
    turns: list[Turn] = field(default_factory=list)

    def say(
        self,
        text: str,
        intent: str,
        entities: list[dict[str, Any]] | None = None,
        action: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Turn:
        latest = user_event(text, intent, entities, metadata)
        self.events.append(latest)
        # the custom slot mapping of `language` runs before the next action
        _, lang_events = run_action(ACTIONS["action_detect_language"], self._tracker(latest))
        self._apply(lang_events)
        name = action or RULES[intent]
        messages, events = run_action(ACTIONS[name], self._tracker(latest))
        self.events.append({"event": "action", "name": name})
        self._apply(events)
        for message in messages:
            self.events.append({"event": "bot", "text": message.get("text"), "data": message})
        turn = Turn(name, messages, events)
        self.turns.append(turn)
        return turn

    @property
    def all_text(self) -> str:
        return "\n".join(turn.text for turn in self.turns)

    def _tracker(self, latest: dict[str, Any]) -> Tracker:
        return Tracker(
            self.sender_id, dict(self.slots), latest["parse_data"], list(self.events), False, None, {}, "action_listen"
        )

    def _apply(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
            self.events.append(event)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Freeze the actions' clock at NOW; call the fixture's value to move it."""
    current = {"now": NOW.astimezone(timezone.utc)}
    monkeypatch.setattr(clock, "utcnow", lambda: current["now"])

    def move_to(moment: datetime) -> None:
        current["now"] = moment.astimezone(timezone.utc)

    return move_to


def _build_database(path: Path, fixture: Path) -> None:
    """A SQLite file with the tables and the fixture imported by the real importer."""
    engine = make_engine(f"sqlite:///{path}")
    try:
        init_db(engine)
        summary = import_jsonl(str(fixture), make_session_factory(engine), progress=False)
        assert summary.rejected == 0, summary.errors
        with engine.connect() as connection:  # everything into the main file (WAL mode)
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The actions fixture imported once per test session."""
    path = tmp_path_factory.mktemp("template") / "parcel.db"
    _build_database(path, FIXTURE)
    return path


def _open_store(path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    db.reset_for_tests()
    return db.session_factory()


@pytest.fixture(autouse=True)
def store(template_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh copy of the fixture database for each test; yields its session factory."""
    path = tmp_path / "parcel.db"
    shutil.copyfile(template_db, path)
    yield _open_store(path, monkeypatch)
    db.reset_for_tests()


@pytest.fixture
def shared_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The store engineers' shared fixture (tests/fixtures/shipments.jsonl) instead."""
    if not SHARED_FIXTURE.exists():
        pytest.skip("tests/fixtures/shipments.jsonl is not there")
    path = tmp_path / "shared.db"
    _build_database(path, SHARED_FIXTURE)
    yield _open_store(path, monkeypatch)
    db.reset_for_tests()


@pytest.fixture
def conv() -> Conversation:
    return Conversation()


def cases_in_store(factory: Any, **filters: Any) -> list[Any]:
    """Cases in the store (filter by column values), with their parcels and conversations."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from bot.cases.models import Case

    with factory() as session:
        stmt = select(Case).options(selectinload(Case.parcels), selectinload(Case.conversations)).order_by(Case.id)
        for column, value in filters.items():
            stmt = stmt.where(getattr(Case, column) == value)
        return list(session.execute(stmt).scalars())
