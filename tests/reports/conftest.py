"""Every reports test runs on SQLite and on PostgreSQL (a database of this session)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.db import Base
from bot.gateway.db import Database
from tests.reports.history import History


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: Any, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'reports.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.init()
    Base.metadata.drop_all(database.engine)  # PostgreSQL: the session's database, emptied per test
    database.init()
    yield database
    if not database_url.startswith("sqlite"):
        Base.metadata.drop_all(database.engine)
    database.dispose()


@pytest.fixture
def history(db: Database) -> History:
    return History(db)
