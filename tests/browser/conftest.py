"""The real stack for the browser test: the session's Rasa + action servers
(tests/conftest.py `rasa_stack`, trained model, demo shipments) behind a gateway
process with its own temporary DATA_DIR (SQLite) and one agent created through
`python -m bot agents add` (password on stdin).

The demo page runs the stock rasa-webchat widget (WEBCHAT_JS, fetched from npm by
scripts/env.sh); PARCEL_BROWSER_WIDGET=builtin runs it on the built-in fallback instead.
Skips (with the reason) only when there is no chromium to drive outside CI; fails
without a trained model or without the widget bundle."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.config import ROOT_DIR, Settings

if TYPE_CHECKING:
    from tests.conftest import RasaStack

AGENT_USERNAME = "xiaowang"
AGENT_DISPLAY_NAME = "小王"
AGENT_PASSWORD = "Suda-test-2024!"
SUPERVISOR_USERNAME = "laoli"
SUPERVISOR_PASSWORD = "Suda-boss-2024!"


def chromium_path() -> str | None:
    """CHROMIUM_PATH, else Debian's /usr/bin/chromium (Playwright never downloads a browser here)."""
    candidate = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which(candidate)
    return found


def webchat_bundle() -> Path:
    """The stock rasa-webchat bundle: WEBCHAT_JS (scripts/env.sh sets it), else where
    scripts/env.sh puts it (~/.cache/parcel-assistant/rasa-webchat-1.0.1)."""
    configured = os.environ.get("WEBCHAT_JS")
    if configured:
        return Path(configured)
    cache = os.environ.get("PARCEL_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "parcel-assistant"
    )
    return Path(cache) / "rasa-webchat-1.0.1" / "package" / "lib" / "index.js"


def builtin_widget_allowed() -> bool:
    """PARCEL_BROWSER_WIDGET=builtin runs the test on the page's fallback widget (no npm)."""
    return os.environ.get("PARCEL_BROWSER_WIDGET") == "builtin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    base_url: str
    settings: Settings
    data_dir: Path
    agent_username: str
    agent_password: str
    agent_display_name: str


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = chromium_path()
    if path is None and os.environ.get("CI"):
        pytest.fail("no chromium in CI: the test command installs Debian's chromium first")
    if path is None:
        pytest.skip("no chromium to drive: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH")
    return path


def chartjs_bundle() -> Path:
    """Chart.js for the Reports view: CHARTJS_JS (scripts/env.sh sets it), else where
    scripts/env.sh puts it (~/.cache/parcel-assistant/chart.js-4.6.1)."""
    configured = os.environ.get("CHARTJS_JS")
    if configured:
        return Path(configured)
    cache = os.environ.get("PARCEL_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "parcel-assistant"
    )
    return Path(cache) / "chart.js-4.6.1" / "package" / "dist" / "chart.umd.min.js"


@contextlib.contextmanager
def _gateway(
    tmp_path_factory: pytest.TempPathFactory,
    rasa_stack: RasaStack,
    name: str,
    username: str,
    display_name: str,
    password: str,
    role: str = "agent",
    shared_database: bool = False,
) -> Iterator[Stack]:
    """A gateway process (as `python -m bot serve` starts it) in front of the session's
    real Rasa + action servers (tests/conftest.py `rasa_stack`), with its own DATA_DIR and
    one account created through `python -m bot agents add` (password on stdin). With
    `shared_database` it uses the action server's database, as `bot serve` does (the cases
    the bot opens are the ones agents work on); otherwise a database of its own."""
    from bot.serve import build_processes
    from bot.training import model_path

    bundle = webchat_bundle()
    if not builtin_widget_allowed() and not bundle.is_file():
        pytest.fail(
            f"the stock rasa-webchat bundle is missing ({bundle}): source scripts/env.sh (it fetches "
            "rasa-webchat@1.0.1 from npm), or set PARCEL_BROWSER_WIDGET=builtin to test the fallback widget"
        )
    charts = chartjs_bundle()
    if not charts.is_file():
        pytest.fail(f"Chart.js is missing ({charts}): source scripts/env.sh (it fetches chart.js@4.6.1 from npm)")

    data_dir = tmp_path_factory.mktemp(name)
    env = {
        "WEBCHAT_JS": "" if builtin_widget_allowed() else str(bundle),
        "CHARTJS_JS": str(charts),
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": rasa_stack.settings.database_url if shared_database else f"sqlite:///{data_dir / 'parcel.db'}",
        "RASA_URL": rasa_stack.rasa_url,
        "RASA_TOKEN": rasa_stack.settings.rasa_token,
        "GATEWAY_PORT": str(free_port()),
        "BIND_HOST": "127.0.0.1",
        # Humans are "on duty" whatever the time of the run, so a handoff queues.
        "STAFFED_HOURS": "00:00-24:00",
        # The first turns of a cold Rasa may be slow on a busy machine.
        "RASA_TIMEOUT": "60",
        "LOG_LEVEL": "INFO",
    }
    patch = pytest.MonkeyPatch()
    for key, value in env.items():
        patch.setenv(key, value)
    patch.delenv("REDIS_URL", raising=False)
    settings = Settings()
    try:
        add = subprocess.run(
            [
                sys.executable,
                "-m",
                "bot",
                "agents",
                "add",
                username,
                "--display-name",
                display_name,
                "--tier",
                "1",
                "--role",
                role,
            ],
            cwd=ROOT_DIR,
            env={**os.environ, "PYTHONPATH": str(ROOT_DIR)},
            input=password + "\n",
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert add.returncode == 0, f"`python -m bot agents add` failed:\n{add.stdout}\n{add.stderr}"
        gateway = next(p for p in build_processes(settings, model_path()) if p.name == "gateway")
        gateway.start()
    finally:
        # The process keeps its own copy: the tests' environment (RASA_TOKEN ...) stays clean.
        patch.undo()
    try:
        gateway.wait_ready(300)
        yield Stack(
            base_url=f"http://127.0.0.1:{settings.gateway_port}",
            settings=settings,
            data_dir=data_dir,
            agent_username=username,
            agent_password=password,
            agent_display_name=display_name,
        )
    finally:
        gateway.stop()


@pytest.fixture(scope="session")
def browser_stack(
    tmp_path_factory: pytest.TempPathFactory, chromium_executable: str, rasa_stack: RasaStack
) -> Iterator[Stack]:
    """The customer-to-agent stack: a front-line agent account, on the action server's database
    (the damage case the bot opens in tests/browser/test_case_flow.py is the one the agent works on)."""
    with _gateway(
        tmp_path_factory,
        rasa_stack,
        "browser-stack",
        AGENT_USERNAME,
        AGENT_DISPLAY_NAME,
        AGENT_PASSWORD,
        shared_database=True,
    ) as stack:
        yield stack


@pytest.fixture(scope="session")
def reports_stack(
    tmp_path_factory: pytest.TempPathFactory, chromium_executable: str, rasa_stack: RasaStack
) -> Iterator[Stack]:
    """The reports stack: a database of its own (only the scripted day in it) and a supervisor."""
    with _gateway(
        tmp_path_factory,
        rasa_stack,
        "reports-stack",
        SUPERVISOR_USERNAME,
        "主管老李",
        SUPERVISOR_PASSWORD,
        role="supervisor",
    ) as stack:
        yield stack
