"""The demo supervisor (a known user name, a password in DATA_DIR) exists only when the
demo shipments were loaded in that run: never in a store with real data, and it is not
re-created (or re-activated) on later starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import ROOT_DIR, Settings
from bot.gateway.db import Database
from bot.gateway.models import Agent

pytestmark = pytest.mark.slow  # imports the demo data set


def _demo_agent(settings: Settings) -> Any:
    db = Database(settings.database_url)
    db.init()
    with db.session() as session:
        agent = session.execute(select(Agent).where(Agent.username == "demo")).scalar_one_or_none()
        state = None if agent is None else agent.active
    db.dispose()
    return state


@pytest.fixture
def store_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'parcel.db'}")


def test_no_demo_supervisor_in_a_store_with_real_data(store_settings: Settings) -> None:
    from bot.db import init_db, make_engine, make_session_factory
    from bot.serve import prepare_demo
    from bot.store.importer import import_jsonl

    engine = make_engine(store_settings.database_url)
    init_db(engine)
    import_jsonl(
        str(ROOT_DIR / "tests" / "fixtures" / "actions_shipments.jsonl"), make_session_factory(engine), progress=False
    )
    engine.dispose()
    assert prepare_demo(store_settings, seed_demo=True) is None
    assert _demo_agent(store_settings) is None
    assert not (store_settings.data_dir / "demo-agent.txt").exists()


def test_the_demo_supervisor_comes_with_the_demo_data_once(store_settings: Settings) -> None:
    from bot.gateway.cli import deactivate_agent
    from bot.serve import prepare_demo

    password = prepare_demo(store_settings, seed_demo=True)
    assert password and _demo_agent(store_settings) is True
    deactivate_agent("demo", store_settings.database_url)  # the operator switched it off
    prepare_demo(store_settings, seed_demo=True)  # next start of the same store
    assert _demo_agent(store_settings) is False
