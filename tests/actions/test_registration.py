"""The action server registers exactly the domain's actions."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

from actions.base import ParcelAction, TopicAction
from tests.actions.conftest import ACTIONS, DOMAIN, ROOT, RULES


def test_every_domain_action_is_registered_and_nothing_else() -> None:
    assert set(ACTIONS) == set(DOMAIN["actions"])


def test_every_rule_leads_to_a_registered_action_or_a_response() -> None:
    for intent, action in RULES.items():
        if action.startswith("utter_"):
            assert action in DOMAIN["responses"], intent
        else:
            assert action in ACTIONS, intent


def test_shared_base_classes_are_not_registered_as_actions() -> None:
    registered = {type(action) for action in ACTIONS.values()}
    assert ParcelAction not in registered and TopicAction not in registered


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_rasa_sdk_action_server_lists_all_domain_actions(tmp_path) -> None:
    port = _free_port()
    env = dict(
        os.environ, PYTHONPATH=str(ROOT), DATABASE_URL=f"sqlite:///{tmp_path / 'server.db'}", SANIC_HOST="127.0.0.1"
    )  # loopback only
    server = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "-p", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        listed = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/actions", timeout=2) as response:
                    listed = json.loads(response.read())
                break
            except OSError:
                time.sleep(0.5)
        assert listed is not None, "the action server did not answer"
        assert {item["name"] for item in listed} == set(DOMAIN["actions"])
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
