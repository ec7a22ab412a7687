"""bot/supervisor.py with a real child process (a small HTTP server): a killed child is
restarted after a backoff that doubles with each crash, and the backoff goes back to the
start only after the child has been *ready* (not merely started) for `stable_s`."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.supervisor import ManagedProcess, Supervisor

pytestmark = pytest.mark.slow  # starts, crashes and restarts child processes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[Supervisor, ManagedProcess, list[str]]]:
    port = _free_port()
    proc = ManagedProcess(
        "web",
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)],
        f"http://127.0.0.1:{port}/",
        tmp_path / "web.log",
        dict(os.environ),
    )
    said: list[str] = []
    supervisor = Supervisor([proc], backoff_base_s=1.0, backoff_max_s=4.0, stable_s=60.0, say=said.append)
    supervisor.start_all(30)
    try:
        yield supervisor, proc, said
    finally:
        supervisor.stop_all()


def _crash(proc: ManagedProcess) -> None:
    assert proc.process is not None
    os.kill(proc.process.pid, signal.SIGKILL)
    proc.process.wait(10)


def _until_ready(supervisor: Supervisor, proc: ManagedProcess, now: float) -> None:
    deadline = time.monotonic() + 30
    while not proc.ready:
        assert time.monotonic() < deadline, proc.tail()
        supervisor.tick(now)
        time.sleep(0.1)


def test_a_crashed_child_is_restarted_with_a_growing_backoff(web) -> None:
    supervisor, proc, said = web
    now = time.monotonic()
    pids = [proc.pid]
    for expected in (1.0, 2.0, 4.0, 4.0):  # doubling, capped at backoff_max_s
        _crash(proc)
        supervisor.tick(now)
        assert proc.restart_at == pytest.approx(now + expected)
        assert f"!! web exited (code -9); restarting in {expected:.0f} s" in said[-1]
        supervisor.tick(now + expected - 0.1)
        assert not proc.alive()  # still waiting out its backoff
        supervisor.tick(now + expected)
        assert proc.alive() and proc.pid not in pids
        pids.append(proc.pid)
        now += expected
        _until_ready(supervisor, proc, now)
        assert said[-1] == f"    web is ready again (restart {len(pids) - 1})"
    assert proc.restarts == 4 and proc.failures == 4


def test_backoff_resets_after_a_stable_ready_run_not_a_long_start(web) -> None:
    supervisor, proc, _ = web
    now = time.monotonic()
    _crash(proc)
    supervisor.tick(now)
    supervisor.tick(now + 1.0)  # restarted
    # It takes 100 s to become ready (like Rasa loading a model on a busy machine) ...
    proc.started_at = now - 100
    _until_ready(supervisor, proc, now + 1.0)
    supervisor.tick(now + 2.0)
    assert proc.failures == 1, "a start that took long is not yet a stable run"
    # ... and crashes soon after: the next restart waits longer.
    _crash(proc)
    supervisor.tick(now + 3.0)
    assert proc.restart_at == pytest.approx(now + 3.0 + 2.0)
    supervisor.tick(now + 5.0)
    _until_ready(supervisor, proc, now + 5.0)
    # Ready for stable_s: the next crash is a first crash again.
    supervisor.tick(now + 5.0 + 60.5)
    assert proc.failures == 0
    _crash(proc)
    supervisor.tick(now + 70.0)
    assert proc.restart_at == pytest.approx(now + 71.0)
