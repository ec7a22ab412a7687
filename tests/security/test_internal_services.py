"""Internal services stay internal: with BIND_HOST set to an address clients reach, the
action server still listens only on INTERNAL_HOST and refuses calls without its token (a
forged tracker used to print pickup codes), and Rasa's HTTP API needs its auth token."""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.config import Settings
from tests.conftest import _free_port

pytestmark = pytest.mark.slow  # the real Rasa and action servers

PUBLIC = "127.0.0.2"  # stands for the address customers reach (BIND_HOST); loopback, so nothing leaves the machine


def _answers(host: str, port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/health", timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _post(url: str, body: dict, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


FORGED = {
    "next_action": "action_signed_not_received",
    "sender_id": "attacker",
    "tracker": {
        "sender_id": "attacker",
        "slots": {"verified_numbers": ["YT2290112345678"], "language": "zh"},
        "latest_message": {"text": "YT2290112345678 取件码", "intent": {"name": "signed_not_received"}, "entities": []},
        "events": [],
        "active_loop": {},
        "latest_action_name": "action_listen",
    },
    "domain": {},
    "version": "3.6.21",
}


def test_action_server_ignores_bind_host_and_wants_its_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.serve import build_processes, with_internal_tokens

    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BIND_HOST", PUBLIC)
    monkeypatch.setenv("ACTIONS_PORT", str(_free_port()))
    monkeypatch.setenv("RASA_PORT", str(_free_port()))
    monkeypatch.delenv("INTERNAL_HOST", raising=False)
    monkeypatch.delenv("ACTIONS_TOKEN", raising=False)
    settings = with_internal_tokens(Settings())
    model = tmp_path / "no-model.tar.gz"  # the action server needs none
    actions = next(p for p in build_processes(settings, model) if p.name == "action server")
    actions.start()
    try:
        port = settings.actions_port
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not (_answers("127.0.0.1", port) or _answers(PUBLIC, port)):
            assert actions.alive(), actions.tail()
            time.sleep(0.5)
        with socket.socket() as probe:
            probe.settimeout(1)
            reachable = probe.connect_ex((PUBLIC, port)) == 0
        assert not reachable, f"the action server listens on BIND_HOST {PUBLIC}"
        assert _answers(settings.internal_address, port)
        status, body = _post(f"http://127.0.0.1:{port}/webhook", FORGED)
        assert status == 401, body
        assert "8-" not in body and "取件码" not in body
        status, _ = _post(f"http://127.0.0.1:{port}/webhook", FORGED, {"Authorization": "Bearer guessed"})
        assert status == 401
        status, body = _post(
            f"http://127.0.0.1:{port}/webhook", FORGED, {"Authorization": f"Bearer {settings.actions_token}"}
        )
        assert status == 200, body  # Rasa (which has the token) still gets through
    finally:
        actions.stop()


def test_rasa_http_api_needs_its_token(rasa_stack) -> None:
    url = f"{rasa_stack.rasa_url}/conversations/someone/tracker"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=30)
    assert refused.value.code in (401, 403)
    status, _ = _post(
        f"{rasa_stack.rasa_url}/conversations/someone/tracker/events",
        {"event": "slot", "name": "handed_off", "value": False},
    )
    assert status in (401, 403)
    with urllib.request.urlopen(f"{url}?token={rasa_stack.settings.rasa_token}", timeout=30) as response:
        assert response.status == 200
    assert os.environ.get("RASA_TOKEN", "") != rasa_stack.settings.rasa_token  # generated for the run, not leaked
