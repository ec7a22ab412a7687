"""Child processes of `python -m bot serve`: started in their own process group with a
log file each, checked for readiness over HTTP, restarted with exponential backoff when
they die, stopped in reverse order.

A process that dies during the first start-up is a configuration problem (a port in
use, a missing model): `start_all` fails with its log tail instead of retrying forever.
Once the stack has been up, a crash (or a kill) only costs that one process a restart:
1 s, 2 s, 4 s ... up to `backoff_max_s` between attempts, back to 1 s after it has been
ready for `stable_s` seconds (counted from readiness, not from the start: a Rasa server
loading its model for a minute and then crashing is not stable)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bot.config import ROOT_DIR


@dataclass
class ManagedProcess:
    name: str
    cmd: list[str]
    ready_url: str
    log_path: Path
    env: dict[str, str]
    process: subprocess.Popen | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)
    # Supervision state (see Supervisor).
    restarts: int = 0
    failures: int = 0  # consecutive crashes without a stable run in between
    started_at: float = 0.0
    ready_at: float = 0.0
    ready: bool = False
    restart_at: float | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self._log is not None:
            self._log.close()
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - open for the process lifetime, closed in stop()
        self.process = subprocess.Popen(
            self.cmd,
            cwd=ROOT_DIR,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.started_at = time.monotonic()
        self.ready = False
        self.restart_at = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def answers(self, timeout_s: float = 2.0) -> bool:
        """One readiness check: does `ready_url` answer 200 now?"""
        try:
            with urllib.request.urlopen(self.ready_url, timeout=timeout_s) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return False

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited during start-up:\n{self.tail()}")
            if self.answers():
                self.ready = True
                self.ready_at = time.monotonic()
                return
            time.sleep(0.5)
        where = self.ready_url.split("?")[0]  # no token in the message
        raise RuntimeError(f"{self.name} did not answer {where} within {timeout_s:.0f} s:\n{self.tail()}")

    def kill_group(self, sig: int = signal.SIGKILL) -> None:
        """Signal the process and everything it started (e.g. Sanic workers)."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, sig)

    def stop(self, grace_s: float = 10.0) -> None:
        if self.process and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                self.kill_group()
                self.process.wait()
            except ProcessLookupError:
                pass
        self.kill_group()  # workers left behind by a parent that died first
        if self._log:
            self._log.close()
            self._log = None

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


Say = Callable[[str], None]


def _print(line: str) -> None:
    print(line, flush=True)


class Supervisor:
    def __init__(
        self,
        processes: list[ManagedProcess],
        backoff_base_s: float = 1.0,
        backoff_max_s: float = 30.0,
        stable_s: float = 60.0,
        say: Say = _print,
    ) -> None:
        self.processes = processes
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.stable_s = stable_s
        self.say = say

    def start_all(self, ready_timeout_s: float) -> None:
        """Start every process, then wait until each is ready (RuntimeError if one is not)."""
        for proc in self.processes:
            self.say(f"==> Starting {proc.name} (log: {proc.log_path})")
            proc.start()
        for proc in self.processes:
            proc.wait_ready(ready_timeout_s)
            self.say(f"    {proc.name} is ready")

    def backoff(self, proc: ManagedProcess) -> float:
        return min(self.backoff_max_s, self.backoff_base_s * (2 ** max(0, proc.failures - 1)))

    def tick(self, now: float | None = None) -> None:
        """One round of supervision: restart the dead (after their backoff), notice the
        restarted ones becoming ready, forget old failures of processes that run stably."""
        now = time.monotonic() if now is None else now
        for proc in self.processes:
            if proc.alive():
                if not proc.ready and proc.answers(timeout_s=0.5):
                    proc.ready = True
                    proc.ready_at = now
                    if proc.restarts:
                        self.say(f"    {proc.name} is ready again (restart {proc.restarts})")
                if proc.ready and proc.failures and now - proc.ready_at >= self.stable_s:
                    proc.failures = 0
                continue
            if proc.restart_at is None:  # just found dead
                code = proc.process.returncode if proc.process is not None else None
                proc.kill_group()  # its workers must not keep the port
                proc.failures += 1
                delay = self.backoff(proc)
                proc.restart_at = now + delay
                proc.ready = False
                tail = "\n".join(f"   | {line}" for line in proc.tail(15).splitlines())
                self.say(f"!! {proc.name} exited (code {code}); restarting in {delay:.0f} s. Its log ends:\n{tail}")
            elif now >= proc.restart_at:
                proc.restarts += 1
                self.say(f"==> Restarting {proc.name} (restart {proc.restarts})")
                proc.start()

    def run(self, stopping: Callable[[], bool], interval_s: float = 0.5) -> None:
        while not stopping():
            self.tick()
            time.sleep(interval_s)

    def stop_all(self) -> None:
        for proc in reversed(self.processes):
            proc.stop()
