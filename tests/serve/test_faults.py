"""Faults of a running multi-instance layout, with real processes: `python -m bot serve`
with two Rasa instances (trained model, tracker store on PostgreSQL, lock store on
Redis), an action server and a gateway.

- kill -9 the Rasa instance that serves a conversation, mid-conversation: the next turns
  are answered by the other one, with the conversation's context (shared tracker store);
- `serve` restarts the killed instance (backoff growing with repeated crashes) while the
  other processes keep running;
- kill -9 every Rasa instance: a customer's message is held until one is back (a restart
  shorter than RASA_HOLD_SECONDS) and then answered by the bot: nobody is told
  "系统繁忙" and nobody is handed to the human queue.

Needs PostgreSQL (TEST_POSTGRES_SERVER_URL) and Redis (TEST_REDIS_URL); skipped when they
do not answer. Slow: starts Rasa twice over (about 2-4 minutes on 2 cores)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot.config import ROOT_DIR
from bot.gateway.rasa_client import RasaClient
from bot.training import model_path
from tests.serve.test_serve import _children

pytestmark = pytest.mark.slow

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/6")
BUSY = ("系统繁忙", "system is busy")
READY_S = 900.0  # a Rasa (re)start on a busy 2-core machine (minutes when other work runs)


def _port_block(count: int) -> int:
    """The first of `count` consecutive free loopback ports."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            first = s.getsockname()[1]
        if first + count > 65535:
            continue
        ok = True
        for port in range(first, first + count):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return first
    raise RuntimeError("no block of free ports")


def _redis_answers(url: str) -> bool:
    parsed = urllib.parse.urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _say(gateway: str, sender: str, message: str, timeout_s: float = 60) -> tuple[list[dict[str, Any]], float]:
    """The replies to one customer message over the gateway's REST channel, and how long they took."""
    started = time.monotonic()
    request = urllib.request.Request(
        f"{gateway}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": message}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        assert response.status == 200
        return json.loads(response.read()), time.monotonic() - started


def _text(replies: list[dict[str, Any]]) -> str:
    return "\n".join(str(r.get("text") or "") for r in replies)


class Output:
    """Every line `serve` prints, read by a thread (no line waits in a buffer unseen)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self.lines.append("")  # end of output
            self._changed.notify_all()

    def wait_for(self, predicate: Any, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while not any(predicate(line) for line in self.lines):
                remaining = deadline - time.monotonic()
                assert remaining > 0 and (not self.lines or self.lines[-1] != ""), "".join(self.lines[-40:])
                self._changed.wait(min(remaining, 5))

    def __iter__(self) -> Iterator[str]:
        with self._changed:
            return iter(list(self.lines))


@dataclass
class Layout:
    proc: subprocess.Popen[str]
    gateway: str
    rasa_ports: list[int]
    database_url: str
    output: Output

    def rasa_pid(self, port: int) -> int:
        (pid,) = [p for p in _children(self.proc.pid, "bot.rasa_server") if f"--port {port} " in _cmdline(p)]
        return pid

    def printed(self, text: str) -> bool:
        found = any(text in line for line in self.output)
        if not found:
            print("".join(self.output))
        return found

    def wait_for(self, line: str, timeout_s: float = READY_S) -> None:
        self.output.wait_for(lambda got: got.strip() == line, timeout_s)

    def sql(self, query: str, **params: Any) -> list[Any]:
        engine = create_engine(self.database_url, future=True)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(query), params).all())
        finally:
            engine.dispose()


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")


@pytest.fixture
def two_rasa_layout(postgres_url: str, tmp_path: Path) -> Iterator[Layout]:
    assert model_path().exists(), "no trained model: run `python -m bot train` (the test command trains first)"
    if not _redis_answers(REDIS_URL):
        pytest.skip(f"no Redis at {REDIS_URL}")
    gateway_port, rasa_port, actions_port = _port_block(1), _port_block(2), _port_block(1)
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": postgres_url,
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": f"faults{uuid.uuid4().hex[:8]}:",
        "GATEWAY_PORT": str(gateway_port),
        "RASA_PORT": str(rasa_port),
        "ACTIONS_PORT": str(actions_port),
        "RASA_HOLD_SECONDS": str(READY_S),  # longer than any restart here: nobody may be handed over
        "READY_TIMEOUT_SECONDS": str(READY_S),
        "STAFFED_HOURS": "00:00-24:00",
        "PYTHONPATH": str(ROOT_DIR),
    }
    for name in ("RASA_URL", "RASA_URLS"):
        env.pop(name, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--gateways", "1", "--rasa", "2", "--actions", "1"],
        cwd=ROOT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = Output(proc)
    layout = Layout(proc, f"http://127.0.0.1:{gateway_port}", [rasa_port, rasa_port + 1], postgres_url, output)
    try:
        output.wait_for(lambda line: "Logs:" in line, READY_S)
        yield layout
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            for child in _children(proc.pid, ""):  # each in a process group of its own
                os.killpg(child, signal.SIGKILL)
            proc.kill()
            proc.wait()


def test_rasa_killed_mid_conversation_fail_over_restart_and_hold(two_rasa_layout: Layout) -> None:
    layout = two_rasa_layout
    gateway = layout.gateway
    sender = "faults-customer"
    replies, _ = _say(gateway, sender, "我的快递 SF1402345678901 到哪了")
    assert "SF1402345678901" in _text(replies), replies
    (conversation_id,) = [
        row[0]
        for row in layout.sql(
            "SELECT id FROM gw_conversations WHERE channel = 'rest' AND channel_user_id = :sender", sender=sender
        )
    ]
    urls = [f"http://127.0.0.1:{port}" for port in layout.rasa_ports]
    serving = RasaClient(urls, timeout_s=5).route(conversation_id)[0]  # the instance this conversation uses
    serving_port = int(serving.rsplit(":", 1)[1])
    name = f"Rasa server {layout.rasa_ports.index(serving_port) + 1}"
    other_pids = {
        pid for marker in ("bot.gateway", "bot.actions_server") for pid in _children(layout.proc.pid, marker)
    } | {layout.rasa_pid(p) for p in layout.rasa_ports if p != serving_port}

    # 1. kill -9 the instance serving the conversation: the other answers the next turns,
    #    knowing the parcel the customer asked about (the tracker is in PostgreSQL).
    os.kill(layout.rasa_pid(serving_port), signal.SIGKILL)
    replies, _ = _say(gateway, sender, "什么时候能到")
    answer = _text(replies)
    assert answer and not any(b in answer for b in BUSY), replies
    assert "SF1402345678901" in answer or "预计" in answer, replies  # still about that parcel
    replies, _ = _say(gateway, sender, "为什么这么慢")
    assert _text(replies) and not any(b in _text(replies) for b in BUSY), replies

    # 2. serve restarts it (after its backoff); nothing else was restarted meanwhile.
    layout.wait_for(f"{name} is ready again (restart 1)")
    assert layout.printed(f"!! {name} exited (code -9); restarting in 1 s")
    now_running = {
        pid for marker in ("bot.gateway", "bot.actions_server") for pid in _children(layout.proc.pid, marker)
    } | {layout.rasa_pid(p) for p in layout.rasa_ports if p != serving_port}
    assert now_running == other_pids, "only the killed process was restarted"

    # 3. kill -9 both: a message is held until an instance is back, then answered by the bot.
    for port in layout.rasa_ports:
        os.kill(layout.rasa_pid(port), signal.SIGKILL)
    held: dict[str, Any] = {}

    def write() -> None:
        try:
            held["replies"], held["seconds"] = _say(gateway, sender, "SF1402345678901 现在在哪", timeout_s=READY_S)
        except Exception as error:  # reported by the assertion below
            held["error"] = error

    writer = threading.Thread(target=write)
    writer.start()
    # The second crash of this instance within a minute waits longer before its restart.
    layout.wait_for(f"==> Restarting {name} (restart 2)", 60)
    assert layout.printed(f"!! {name} exited (code -9); restarting in 2 s")
    writer.join(READY_S)
    assert "error" not in held, held.get("error")
    assert "SF1402345678901" in _text(held["replies"]), held
    assert held["seconds"] > 3, "the message waited for a Rasa instance to come back"
    everything = layout.sql(
        "SELECT m.role, m.text FROM gw_messages m JOIN gw_conversations c ON c.id = m.conversation_id "
        "WHERE c.channel_user_id = :sender ORDER BY m.id",
        sender=sender,
    )
    assert not any(b in (body or "") for _, body in everything for b in BUSY), everything
    assert layout.sql("SELECT count(*) FROM gw_handoffs")[0][0] == 0, "nobody was handed to the human queue"
    states = layout.sql("SELECT state FROM gw_conversations WHERE channel_user_id = :sender", sender=sender)
    assert states == [("bot",)], states
    customer_lines = [body for role, body in everything if role == "customer"]
    assert customer_lines == [
        "我的快递 SF1402345678901 到哪了",
        "什么时候能到",
        "为什么这么慢",
        "SF1402345678901 现在在哪",
    ]
