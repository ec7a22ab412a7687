"""Case tests run on SQLite (a file per test) and on PostgreSQL (a database of their
own, created for the test session and dropped afterwards)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from bot.config import Settings
from bot.db import Base, init_db, make_engine, make_session_factory

PG_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A uniquely named PostgreSQL database for this test session."""
    name = f"parcel_cases_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is needed for the case tests: {exc}")
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: Any, tmp_path: Any) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cases.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    init_db(engine)
    Base.metadata.drop_all(engine)
    engine.dispose()
    yield url
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker]:
    engine = make_engine(database_url)
    init_db(engine)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def settings(tmp_path: Any, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path, database_url=database_url, staffed_hours="00:00-24:00")
