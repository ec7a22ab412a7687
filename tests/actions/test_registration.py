"""The action server registers exactly the domain's actions."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
import yaml

from actions import texts
from actions.base import ParcelAction
from actions.topics import TOPICS, TopicAction
from bot.contract import HandoffCategory
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


def _nlu_intents() -> set[str]:
    intents: set[str] = set()
    for path in (ROOT / "nlu_data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            if "intent" in block and (block.get("examples") or "").strip():
                intents.add(block["intent"])
    return intents


_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("name", sorted(TOPICS))
def test_every_topic_has_everything_it_needs(name: str) -> None:
    """A topic is declared once (actions/topics.py); the Rasa side must match it."""
    declared = TOPICS[name]
    # Its action: in the domain, registered, answering this topic.
    assert declared.action in DOMAIN["actions"], f"{declared.action} is missing from domain.yml"
    action = ACTIONS[declared.action]
    assert isinstance(action, TopicAction) and action.topic_name == name
    # Reached from at least one intent (a rule) that has training examples.
    intents = [intent for intent, target in RULES.items() if target == declared.action]
    assert intents, f"no rule in nlu_data/rules.yml leads to {declared.action}"
    assert set(intents) <= set(DOMAIN["intents"]) & _nlu_intents(), intents
    # Words for the customer (asking for a number) and for the agent (the summary), in both languages.
    for zh, en in (declared.purpose, declared.done):
        assert _CJK.search(zh) and en.strip() and not _CJK.search(en), (zh, en)
    for lang in ("zh", "en"):
        question = texts.t(lang, "ask_number", purpose=declared.purpose_text(lang))
        assert declared.purpose_text(lang) in question and "{" not in question
    # A handoff on this topic gets a category the gateway knows.
    assert declared.category is None or declared.category in HandoffCategory
    assert declared.category is not None or not declared.category_is_weak


def test_every_topic_action_is_a_declared_topic() -> None:
    topic_actions = {name for name, action in ACTIONS.items() if isinstance(action, TopicAction)}
    assert topic_actions == {declared.action for declared in TOPICS.values()}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow  # starts the action server
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
