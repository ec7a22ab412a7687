"""`python -m bot serve` end to end: real trained model, real action server, real
SQLite store seeded with demo data; Ctrl-C stops everything cleanly."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.config import ROOT_DIR
from bot.training import model_path

pytestmark = pytest.mark.slow  # starts `python -m bot serve` (Rasa with the trained model)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _post(url: str, body: dict):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _children(parent: int, marker: str) -> list[int]:
    """Pids of `parent`'s child processes whose command line contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent and marker in cmdline:
            found.append(int(entry.name))
    return found


def _read_until(proc: subprocess.Popen, output: list[str], done, timeout_s: float) -> None:
    """Read the serve output until a line satisfies `done`."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 1.0)
        if not ready:
            continue
        line = proc.stdout.readline()
        if not line:
            break
        output.append(line)
        if done(line):
            return
    raise AssertionError("serve did not print the expected line:\n" + "".join(output[-30:]))


def test_several_instances_need_redis_and_a_database_server(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT_DIR)}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    for args, env_extra in (
        (["--gateways", "2"], {}),
        (["--rasa", "2"], {"REDIS_URL": "redis://127.0.0.1:6379/0"}),
        (
            ["--only", "actions", "--actions", "3"],
            {"DATABASE_URL": "postgresql+psycopg2://postgres@127.0.0.1/x", "RASA_TOKEN": "a", "ACTIONS_TOKEN": "b"},
        ),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "bot", "serve", *args],
            cwd=ROOT_DIR,
            env={**env, **env_extra},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert "REDIS_URL" in done.stderr or "DATABASE_URL" in done.stderr, done.stderr
        assert "Starting" not in done.stdout  # refused before anything was started
    # One role alone runs beside the others' processes: they must share the internal tokens.
    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--only", "gateway"],
        cwd=ROOT_DIR,
        env={k: v for k, v in env.items() if k not in ("RASA_TOKEN", "ACTIONS_TOKEN")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "RASA_TOKEN" in done.stderr, done.stderr
    assert not list(tmp_path.glob("logs/*.log"))


def test_serve_answers_from_the_store_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    assert model_path().exists(), "no trained model: run `python -m bot train` (the test command trains first)"
    rasa_port, actions_port, gateway_port = _free_port(), _free_port(), _free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "RASA_PORT": str(rasa_port),
        "ACTIONS_PORT": str(actions_port),
        "GATEWAY_PORT": str(gateway_port),
        "PYTHONPATH": str(ROOT_DIR),
    }
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        cwd=ROOT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 300
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            output.append(line)
            if "Logs:" in line:  # the last line of the URL block
                break
        assert any("is running" in line for line in output), "".join(output)
        assert any(f":{gateway_port}/console" in line for line in output), "".join(output)
        assert (tmp_path / "parcel.db").exists()

        # Rasa's own REST channel keeps working ...
        replies = _post(
            f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook",
            {"sender": "serve-test", "message": "我的快递 SF1402345678901 到哪了"},
        )
        text = "\n".join(r.get("text", "") for r in replies)
        assert "SF1402345678901" in text, replies
        # The answer comes from the seeded demo record (delayed, in transit), not invented.
        assert "运输" in text or "延误" in text, replies

        # ... and the gateway serves customers (REST), the widget page, the console and the API.
        gateway = f"http://127.0.0.1:{gateway_port}"
        replies = _post(
            f"{gateway}/webhooks/rest/webhook", {"sender": "serve-rest", "message": "SF1402345678901 什么时候到"}
        )
        assert replies and all(r["recipient_id"] == "serve-rest" for r in replies), replies
        assert "SF1402345678901" in "\n".join(r.get("text", "") for r in replies)
        for page in ("/", "/console"):
            with urllib.request.urlopen(gateway + page, timeout=10) as response:
                assert response.status == 200 and "text/html" in response.headers["Content-Type"]
        password = (tmp_path / "demo-agent.txt").read_text().strip()
        assert any(password in line for line in output), "the demo login is printed with the URLs"
        token = _post(f"{gateway}/api/login", {"username": "demo", "password": password})["token"]
        request = urllib.request.Request(f"{gateway}/api/queue", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert "items" in json.loads(response.read())

        # A crashed child is restarted (with backoff), not the end of the stack.
        for name, role in (("gateway", "bot.gateway"), ("action server", "bot.actions_server")):
            (pid,) = _children(proc.pid, role)
            os.kill(pid, signal.SIGKILL)
            _read_until(proc, output, lambda line, name=name: line.strip() == f"{name} is ready again (restart 1)", 180)
            (new_pid,) = _children(proc.pid, role)
            assert new_pid != pid
        replies = _post(
            f"{gateway}/webhooks/rest/webhook", {"sender": "serve-rest", "message": "SF1402345678901 到哪了"}
        )
        assert "SF1402345678901" in "\n".join(r.get("text", "") for r in replies), replies
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            rest, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            rest, _ = proc.communicate()
        output.append(rest or "")
    assert proc.returncode == 0, "".join(output)
    assert "Stopped." in "".join(output)
    for port in (rasa_port, actions_port, gateway_port):
        assert not _port_open(port), f"port {port} still open after Ctrl-C"
