"""`python -m bot serve` end to end: real trained model, real action server, real
SQLite store seeded with demo data; Ctrl-C stops everything cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bot.config import ROOT_DIR
from bot.training import model_path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _post(url: str, body: dict):  # type: ignore[no-untyped-def]
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


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
