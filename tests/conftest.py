"""Shared test configuration."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: starts real servers (Rasa, several gateways); minutes, not seconds")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Print the NLU / story figures measured by tests/rasa/test_model.py."""
    try:
        from tests.rasa.test_model import FIGURES
    except ImportError:
        return
    if not FIGURES:
        return
    terminalreporter.section("NLU and test-conversation figures")
    for key, value in FIGURES.items():
        if isinstance(value, dict):
            terminalreporter.write_line(f"{key}:")
            for k, v in value.items():
                terminalreporter.write_line(f"    {k}: {v}")
        else:
            terminalreporter.write_line(f"{key}: {value}")


# --- The `slow` marker (pyproject.toml): what `scripts/test.sh -m "not slow"` leaves out ---

# Fixtures that start real servers (the gateway app on loopback, the fake Rasa, the real
# Rasa and action servers, a browser) or need the trained model: a test that asks for one
# is slow, wherever it lives. Tests that start processes themselves say so with
# `pytestmark = pytest.mark.slow` (module) or `@pytest.mark.slow`.
SLOW_FIXTURES = frozenset(
    {
        "rasa_stack",
        "browser_stack",
        "reports_stack",
        "chromium_executable",
        "client",
        "make_client",
        "fake_rasa",
        "aiohttp_client",
        "aiohttp_server",
        "postgres_url",
    }
)


# A module whose every test is slow says so at its top: the fast subset does not even
# import it (browsers, Rasa, fuzzers: most of the collection time).
_SLOW_MODULE = re.compile(r"^pytestmark\s*=\s*pytest\.mark\.slow\b", re.MULTILINE)


def excludes_slow(markexpr: str) -> bool:
    """True for a -m expression that deselects every slow test ("not slow", "not slow
    and ..."); the same rule as scripts/test.sh."""
    expr = f" {' '.join(markexpr.split())} "
    return " not slow " in expr and " or " not in expr


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.suffix != ".py" or not collection_path.name.startswith("test_"):
        return None
    if not excludes_slow(config.getoption("markexpr", "") or ""):
        return None
    return True if _SLOW_MODULE.search(collection_path.read_text(encoding="utf-8")) else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        params = getattr(getattr(item, "callspec", None), "params", {})
        # The PostgreSQL variant of a database_url fixture (a database created per session).
        if fixtures & SLOW_FIXTURES or "postgresql" in params.values():
            item.add_marker(pytest.mark.slow)


# --- The real Rasa + action servers, once per session (tests/gateway/test_with_real_rasa.py) ---


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RasaStack:
    settings: Any  # bot.config.Settings of the stack (rasa_url, database_url, data_dir)
    rasa_url: str


@pytest.fixture(scope="session")
def rasa_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RasaStack]:
    """Action server + Rasa server (trained model) on free loopback ports, with a
    temporary DATA_DIR (SQLite) holding the demo shipments, like `python -m bot serve`
    (the gateway itself runs in-process in the tests). Fails without a trained model."""
    from bot.config import Settings
    from bot.serve import build_processes, seed_demo_if_empty, with_internal_tokens
    from bot.training import model_path

    model = model_path()
    if not model.exists():
        pytest.fail(f"no trained Rasa model at {model}: run `python -m bot train` (the test command trains first)")
    data_dir = tmp_path_factory.mktemp("rasa-stack")
    env = {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'parcel.db'}",
        "RASA_PORT": str(_free_port()),
        "ACTIONS_PORT": str(_free_port()),
        "GATEWAY_PORT": str(_free_port()),
        "BIND_HOST": "127.0.0.1",
    }
    patch = pytest.MonkeyPatch()
    for key, value in env.items():
        patch.setenv(key, value)
    patch.delenv("RASA_URL", raising=False)
    patch.delenv("REDIS_URL", raising=False)
    processes = []
    try:
        settings = with_internal_tokens(Settings())
        seed_demo_if_empty(settings)
        processes = [p for p in build_processes(settings, model) if p.name != "gateway"]
    finally:
        patch.undo()  # the processes keep their own copy of the environment
    try:
        for proc in processes:
            proc.env.update(env)
            proc.start()
        for proc in processes:
            # A loaded machine (several test runs at once) may need longer: TEST_RASA_START_S.
            proc.wait_ready(float(os.environ.get("TEST_RASA_START_S", "300")))
        yield RasaStack(settings=settings, rasa_url=settings.rasa_url)
    finally:
        for proc in reversed(processes):
            proc.stop()


# --- A PostgreSQL database of this test session (created and dropped here) ---

POSTGRES_SERVER_URL = os.environ.get(
    "TEST_POSTGRES_SERVER_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a PostgreSQL database made for this test session (a unique name, so
    parallel runs do not collide) on the server of TEST_POSTGRES_SERVER_URL; dropped at
    the end. Skips the test when no server answers there."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    server = make_url(POSTGRES_SERVER_URL)
    name = f"{os.environ.get('TEST_POSTGRES_DB_PREFIX', 'test')}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        pytest.skip(f"no PostgreSQL server at {server.render_as_string(hide_password=True)}: {error.orig}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
