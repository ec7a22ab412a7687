"""Talking to the Rasa server(s): their REST channel (and reading its reply format into
`OutboundMessage`s) and their tracker API.

Several Rasa instances (RASA_URLS) share one tracker store (PostgreSQL) and one lock
store (Redis), so any of them can answer any conversation. Each conversation is routed
consistently to one instance (rendezvous hashing: the same instance while it is up,
and only the conversations of an instance that goes down move), the instances are
health-checked in the background, and a request that cannot reach its instance fails
over to the next one.

While no instance is ready (all restarting, e.g. a deploy or a crash: a model takes
20-40 s to load), a customer's message is held for up to `hold_s` seconds, waiting for
an instance to come back, before the router falls back to the human queue."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp

from bot.contract import MessageRole
from bot.gateway.messages import OutboundMessage

logger = logging.getLogger(__name__)

HEALTH_PATH = "/"  # Rasa binds its port only once the model is loaded: an answer here means ready
HEALTH_TIMEOUT_S = 2.0
# A Rasa server runs its models on its event loop, so one busy with turns may answer a
# health check late: that is a busy instance, not a gone one. It counts as down after
# this many checks in a row without an answer in time (a refused or reset connection
# counts at once).
SLOW_CHECKS_DOWN = 3
HEALTH_INTERVAL_S = 2.0  # between checks while instances answer
DOWN_PROBE_INTERVAL_S = 0.5  # between checks of an instance that is down


class RasaUnavailable(Exception):
    """No Rasa instance answered in time, or the one that answered failed (5xx/4xx)."""


class _Unreachable(RasaUnavailable):
    """The request never reached a working instance (connection refused, reset, lost):
    safe to try the next instance."""


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _rank(url: str, key: str) -> bytes:
    return hashlib.blake2b(f"{url}\x00{key}".encode(), digest_size=8).digest()


class RasaClient:
    def __init__(
        self,
        base_urls: str | Sequence[str],
        timeout_s: float,
        session: aiohttp.ClientSession | None = None,
        token: str = "",
        hold_s: float = 0.0,
        health_timeout_s: float = HEALTH_TIMEOUT_S,
    ) -> None:
        urls = [base_urls] if isinstance(base_urls, str) else list(base_urls)
        self.urls = [u.rstrip("/") for u in urls if u and u.strip()]
        if not self.urls:
            raise ValueError("at least one Rasa URL is needed")
        # Rasa's HTTP API (tracker events) runs with --auth-token; the REST channel needs none.
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.hold_s = hold_s
        self.health_timeout = aiohttp.ClientTimeout(total=health_timeout_s)
        # Told the kind of each failed call (timeout, unreachable, refused, server_error, bad_answer).
        self.on_error: Callable[[str], None] | None = None
        self._session = session
        self._own_session = session is None
        # Optimistic until a request or a check says otherwise (no delay at start-up).
        self._healthy: dict[str, bool] = dict.fromkeys(self.urls, True)
        self._slow_checks: dict[str, int] = dict.fromkeys(self.urls, 0)  # in a row
        self._ready: asyncio.Event | None = None  # created on the running loop (see _ready_event)
        self._monitor: asyncio.Task[None] | None = None
        self._wake_monitor: asyncio.Event | None = None

    @property
    def base_url(self) -> str:
        """The first configured instance (single-instance set-ups)."""
        return self.urls[0]

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=200, force_close=False),
                json_serialize=_dumps,
            )
            self._own_session = True
        return self._session

    # --- health ---------------------------------------------------------------

    def healthy_urls(self) -> list[str]:
        return [u for u in self.urls if self._healthy[u]]

    def _ready_event(self) -> asyncio.Event:
        if self._ready is None:
            self._ready = asyncio.Event()
            if any(self._healthy.values()):
                self._ready.set()
        return self._ready

    def _mark(self, url: str, healthy: bool) -> None:
        changed = self._healthy[url] != healthy
        if changed:
            logger.warning("Rasa at %s is %s", url, "ready again" if healthy else "down")
        self._healthy[url] = healthy
        ready = self._ready_event()
        if any(self._healthy.values()):
            ready.set()
        else:
            ready.clear()
        if changed and not healthy and self._wake_monitor is not None:
            self._wake_monitor.set()  # a request found it down: check at the fast pace from now on

    async def check(self, url: str) -> bool:
        """One health check of one instance (updates its state)."""
        try:
            async with self.session.get(f"{url}{HEALTH_PATH}", timeout=self.health_timeout) as response:
                ok = response.status == 200
                await response.read()
            self._slow_checks[url] = 0
        except asyncio.TimeoutError:
            self._slow_checks[url] += 1
            ok = self._healthy[url] and self._slow_checks[url] < SLOW_CHECKS_DOWN
        except (aiohttp.ClientError, OSError):
            self._slow_checks[url] = 0
            ok = False
        self._mark(url, ok)
        return ok

    async def run_health_checks(self) -> None:
        """Background task: check every instance every few seconds, instances that are
        down twice a second (so a held message goes out as soon as one is back)."""
        self._wake_monitor = asyncio.Event()
        while True:
            await asyncio.gather(*(self.check(u) for u in self.urls))
            interval = DOWN_PROBE_INTERVAL_S if not all(self._healthy.values()) else HEALTH_INTERVAL_S
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake_monitor.wait(), interval)
            self._wake_monitor.clear()

    def start(self) -> None:
        if self._monitor is None:
            self._monitor = asyncio.create_task(self.run_health_checks(), name="rasa-health")

    async def close(self) -> None:
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
            self._monitor = None
        if self._own_session and self._session is not None and not self._session.closed:
            await self._session.close()

    # --- requests ---------------------------------------------------------------

    def route(self, key: str) -> list[str]:
        """Instances for conversation `key`, preferred first (rendezvous hashing)."""
        return sorted(self.urls, key=lambda u: _rank(u, key), reverse=True)

    def _failed(self, kind: str) -> None:
        if self.on_error is not None:
            self.on_error(kind)

    async def _call(
        self, method: str, base: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        try:
            async with self.session.request(
                method, f"{base}{path}", json=body, params=params, timeout=self.timeout
            ) as response:
                if response.status >= 500:
                    self._failed("server_error")
                    raise RasaUnavailable(f"Rasa answered {response.status} on {path}")
                if response.status >= 400:
                    self._failed("refused")
                    detail = (await response.text())[:300]
                    raise RasaUnavailable(f"Rasa refused {path}: {response.status} {detail}")
                return await response.json(content_type=None)
        except asyncio.TimeoutError as error:
            # It may still be working on it: trying another instance could answer twice.
            self._failed("timeout")
            raise RasaUnavailable(f"Rasa did not answer {path} within {self.timeout.total} s") from error
        except (aiohttp.ClientConnectionError, OSError) as error:
            # Refused, reset or lost before an answer (an instance killed mid-turn saves
            # nothing of the turn: Rasa stores the tracker at its end).
            self._failed("unreachable")
            raise _Unreachable(f"Rasa unreachable on {path}: {error.__class__.__name__}") from error
        except (aiohttp.ClientError, ValueError) as error:
            self._failed("bad_answer" if isinstance(error, ValueError) else "unreachable")
            raise RasaUnavailable(f"Rasa failed on {path}: {error.__class__.__name__}") from error

    async def _request(
        self, method: str, key: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        """Call the conversation's instance, failing over to the others; while none is
        ready, wait up to `hold_s` for one to come back."""
        deadline = time.monotonic() + self.hold_s
        last: RasaUnavailable | None = None
        while True:
            ranked = self.route(key)
            # With background checks only instances known to be up are tried; without
            # them (tests) every instance is, the healthy ones first.
            candidates = [u for u in ranked if self._healthy[u]]
            if self._monitor is None:
                candidates += [u for u in ranked if not self._healthy[u]]
            for url in candidates:
                try:
                    result = await self._call(method, url, path, body, params)
                except _Unreachable as error:
                    last = error
                    self._mark(url, False)
                    continue
                self._mark(url, True)
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise last or RasaUnavailable("no Rasa instance is ready")
            logger.warning("no Rasa instance answers; holding the message (up to %.0f s more)", remaining)
            if self._monitor is None:
                await asyncio.sleep(min(DOWN_PROBE_INTERVAL_S, remaining))
                continue
            try:
                await asyncio.wait_for(self._ready_event().wait(), remaining)
            except asyncio.TimeoutError:
                raise last or RasaUnavailable(f"no Rasa instance became ready within {self.hold_s:.0f} s") from None

    async def send_message(
        self, conversation_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """The bot's replies (Rasa REST format) to `text` in conversation `conversation_id`."""
        body = {"sender": conversation_id, "message": text, "metadata": metadata or {}}
        replies = await self._request("POST", conversation_id, "/webhooks/rest/webhook", body)
        if not isinstance(replies, list):
            self._failed("bad_answer")
            raise RasaUnavailable("Rasa answered with something other than a list")
        return [r for r in replies if isinstance(r, dict)]

    async def set_slot(self, conversation_id: str, name: str, value: Any) -> None:
        """Append a `slot` event to the conversation's tracker (needs `rasa run --enable-api`)."""
        event = {"event": "slot", "name": name, "value": value}
        params = {"include_events": "NONE"}
        if self.token:
            params["token"] = self.token
        await self._request("POST", conversation_id, f"/conversations/{conversation_id}/tracker/events", event, params)

    async def dialogue_state(self, conversation_id: str) -> dict[str, Any]:
        """The conversation's slots and active loop, without its events (needs `--enable-api`)."""
        params = {"include_events": "NONE"}
        if self.token:
            params["token"] = self.token
        tracker = await self._request("GET", conversation_id, f"/conversations/{conversation_id}/tracker", None, params)
        if not isinstance(tracker, dict):
            self._failed("bad_answer")
            raise RasaUnavailable("Rasa answered with something other than a tracker")
        slots = tracker.get("slots")
        loop = tracker.get("active_loop")
        return {
            "slots": slots if isinstance(slots, dict) else {},
            "active_loop": loop.get("name") if isinstance(loop, dict) else None,
        }


def _clean_buttons(raw: Any) -> list[dict[str, str]]:
    buttons: list[dict[str, str]] = []
    if isinstance(raw, list):
        for b in raw:
            if isinstance(b, dict) and ("title" in b or "payload" in b):
                title = str(b.get("title", b.get("payload", "")))
                buttons.append({"title": title, "payload": str(b.get("payload", title))})
    return buttons


def from_rasa_reply(item: dict[str, Any]) -> OutboundMessage | None:
    """One element of Rasa's REST reply list -> a bot OutboundMessage (None if empty)."""
    if not isinstance(item, dict):
        return None
    text = item.get("text")
    custom = item.get("custom")
    image = item.get("image")
    attachment = item.get("attachment")
    if not image and isinstance(attachment, dict) and attachment.get("type") == "image":
        image = (attachment.get("payload") or {}).get("src")
    message = OutboundMessage(
        role=MessageRole.BOT,
        text=text if isinstance(text, str) and text else None,
        buttons=_clean_buttons(item.get("buttons") or item.get("quick_replies")),
        image=image if isinstance(image, str) and image else None,
        custom=custom if isinstance(custom, dict) else None,
    )
    if message.text is None and not message.buttons and message.image is None and message.custom is None:
        return None
    return message
