"""Property-based fuzz of the agent API from its OpenAPI document (schemathesis).

The real gateway app runs on a loopback port (in a thread of its own) in front of the
gateway tests' fake Rasa, with a SQLite store that holds a conversation handed off to
the queue and a case. Every operation of /api/openapi.json gets generated requests
(valid and invalid ones), as an anonymous caller, as an agent and as a supervisor;
half the requests on an `{id}` route name an object that exists. Every answer must be
documented (status, content type, schema): no 5xx, and every 4xx is the JSON error of
bot/gateway/responses.py. Bounded: a fixed number of examples per operation, the same
ones every run (derandomized)."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Iterator
from typing import Any, cast

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bot.cases import service
from bot.config import Settings
from bot.gateway.app import create_app
from bot.gateway.db import Database
from bot.gateway.openapi import document
from tests.gateway.conftest import add_agent
from tests.gateway.fake_rasa import FakeRasa

pytestmark = pytest.mark.slow

# Examples per operation and caller (an anonymous caller mostly meets the 401).
EXAMPLES = {"anonymous": 4, "agent": 8, "supervisor": 8}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@dataclasses.dataclass
class Live:
    base_url: str
    ids: dict[str, str]  # kind of {id} -> an id that exists
    tokens: dict[str, str]  # role -> bearer token


class _ServerThread:
    """The gateway app and the fake Rasa on an event loop in a thread (the fuzzer is synchronous)."""

    def __init__(self, settings: Settings, rasa: FakeRasa) -> None:
        self.settings = settings
        self.rasa = rasa
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None
        self.port = 0

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    def start(self) -> None:
        self.thread.start()
        self.run(self._start())

    async def _start(self) -> None:
        await self.rasa.start()
        self.runner = web.AppRunner(create_app(self.settings, monitor=False))
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.runner.addresses[0][1]

    def stop(self) -> None:
        async def _stop() -> None:
            if self.runner is not None:
                await self.runner.cleanup()
            await self.rasa.stop()

        self.run(_stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("fuzz")
    rasa = FakeRasa()
    config = Settings(
        data_dir=tmp,
        database_url=f"sqlite:///{tmp / 'gateway.db'}",
        rasa_url=rasa.url,
        rasa_timeout_s=5.0,
        rasa_hold_s=0.0,
        staffed_hours="00:00-24:00",
        monitor_interval_s=3600.0,
        agent_max_chats=50,
        login_max_failures=1000,  # the fuzzer's wrong passwords must not lock the real logins out
    )
    server = _ServerThread(config, rasa)
    server.start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        add_agent(config, "fuzz-agent", role="agent", tier=1)
        add_agent(config, "fuzz-sup", role="supervisor", tier=3)
        tokens = {}
        for role, name in (("agent", "fuzz-agent"), ("supervisor", "fuzz-sup")):
            answer = requests.post(
                f"{base}/api/login", json={"username": name, "password": "pw-" + "x" * 8}, timeout=60
            )
            assert answer.status_code == 200, answer.text
            tokens[role] = answer.json()["token"]
        # A customer handed off to the queue, and a case.
        replies = requests.post(
            f"{base}/webhooks/rest/webhook", json={"sender": "fuzz-customer", "message": "转人工"}, timeout=30
        )
        assert replies.status_code == 200, replies.text
        queue = requests.get(
            f"{base}/api/queue", headers={"Authorization": f"Bearer {tokens['supervisor']}"}, timeout=30
        )
        item = queue.json()["items"][0]
        db = Database(config.database_url)
        try:
            with db.session() as session:
                case, _ = service.open_case(
                    session,
                    config,
                    "damage_claim",
                    server.run(_now()),
                    conversation_id=item["conversation_id"],
                    parcels=[("SF1402345678901", "SF1402345678901")],
                    summary="damaged parcel 13812345678",
                )
                case_id = str(case.id)
        finally:
            db.dispose()
        ids = {"conversation": item["conversation_id"], "handoff": str(item["handoff_id"]), "case": case_id}
        yield Live(base, ids, tokens)
    finally:
        server.stop()


async def _now() -> Any:
    from bot.clock import utcnow

    return utcnow()


def _kind(path: str) -> str | None:
    if "{id}" not in path:
        return None
    if path.startswith("/api/cases/"):
        return "case"
    if path.startswith("/api/handoffs/"):
        return "handoff"
    return "conversation"


def _assert_error_shape(response: Any) -> None:
    """Every 4xx is `{"error": code, "detail"?: text}` as JSON (bot/gateway/responses.py)."""
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.startswith("application/json"), response.text[:200]
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], body
    assert set(body) <= {"error", "detail"}, body
    assert isinstance(body.get("detail", ""), str), body


SCHEMA = schemathesis.openapi.from_dict(document())
OPERATIONS = [cast(Any, result).ok() for result in SCHEMA.get_all_operations()]


@pytest.mark.parametrize("caller", ["anonymous", "agent", "supervisor"])
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method.upper()} {op.path}")
def test_fuzz_agent_api(live: Live, operation: Any, caller: str) -> None:
    headers = {} if caller == "anonymous" else {"Authorization": f"Bearer {live.tokens[caller]}"}
    if operation.path == "/api/logout":
        pytest.skip(
            "would end the fuzzing agent's session (logout is covered by tests/security/test_agent_sessions.py)"
        )
    kind = _kind(operation.path)
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=EXAMPLES[caller],
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, existing=st.booleans())
    def fuzz(case: Any, existing: bool) -> None:
        if kind is not None and existing:
            case.path_parameters = {**(case.path_parameters or {}), "id": live.ids[kind]}
        response = case.call(base_url=live.base_url, headers=headers, timeout=60)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
        )
        if 400 <= response.status_code < 500:
            _assert_error_shape(response)
        case.validate_response(response, checks=CHECKS, headers=headers)

    fuzz()
