"""Talking to the Rasa server: its REST channel (and reading its reply format into
`OutboundMessage`s) and its tracker API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

from bot.contract import MessageRole
from bot.gateway.messages import OutboundMessage

logger = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """Rasa did not answer in time, refused the connection or failed (5xx)."""


class RasaClient:
    def __init__(
        self, base_url: str, timeout_s: float, session: aiohttp.ClientSession | None = None, token: str = ""
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Rasa's HTTP API (tracker events) runs with --auth-token; the REST channel needs none.
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session = session
        self._own_session = session is None
        # Told the kind of each failed call (timeout, unreachable, refused, server_error, bad_answer).
        self.on_error: Callable[[str], None] | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=100, force_close=False),
                json_serialize=_dumps,
            )
            self._own_session = True
        return self._session

    async def close(self) -> None:
        if self._own_session and self._session is not None and not self._session.closed:
            await self._session.close()

    async def _post(self, path: str, body: Any, params: dict[str, str] | None = None) -> Any:
        url = f"{self.base_url}{path}"
        try:
            async with self.session.post(url, json=body, params=params, timeout=self.timeout) as response:
                if response.status >= 500:
                    self._failed("server_error")
                    raise RasaUnavailable(f"Rasa answered {response.status} on {path}")
                if response.status >= 400:
                    self._failed("refused")
                    detail = (await response.text())[:300]
                    raise RasaUnavailable(f"Rasa refused {path}: {response.status} {detail}")
                return await response.json(content_type=None)
        except asyncio.TimeoutError as error:
            self._failed("timeout")
            raise RasaUnavailable(f"Rasa did not answer {path} within {self.timeout.total} s") from error
        except (aiohttp.ClientError, OSError, ValueError) as error:
            self._failed("bad_answer" if isinstance(error, ValueError) else "unreachable")
            raise RasaUnavailable(f"Rasa unreachable on {path}: {error.__class__.__name__}") from error

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        url = f"{self.base_url}{path}"
        try:
            async with self.session.get(url, params=params, timeout=self.timeout) as response:
                if response.status >= 400:
                    self._failed("server_error" if response.status >= 500 else "refused")
                    raise RasaUnavailable(f"Rasa answered {response.status} on {path}")
                return await response.json(content_type=None)
        except asyncio.TimeoutError as error:
            self._failed("timeout")
            raise RasaUnavailable(f"Rasa did not answer {path} within {self.timeout.total} s") from error
        except (aiohttp.ClientError, OSError, ValueError) as error:
            self._failed("bad_answer" if isinstance(error, ValueError) else "unreachable")
            raise RasaUnavailable(f"Rasa unreachable on {path}: {error.__class__.__name__}") from error

    def _failed(self, kind: str) -> None:
        if self.on_error is not None:
            self.on_error(kind)

    async def send_message(
        self, conversation_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """The bot's replies (Rasa REST format) to `text` in conversation `conversation_id`."""
        body = {"sender": conversation_id, "message": text, "metadata": metadata or {}}
        replies = await self._post("/webhooks/rest/webhook", body)
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
        await self._post(f"/conversations/{conversation_id}/tracker/events", event, params)

    async def dialogue_state(self, conversation_id: str) -> dict[str, Any]:
        """The conversation's slots and active loop, without its events (needs `--enable-api`)."""
        params = {"include_events": "NONE"}
        if self.token:
            params["token"] = self.token
        tracker = await self._get(f"/conversations/{conversation_id}/tracker", params)
        if not isinstance(tracker, dict):
            self._failed("bad_answer")
            raise RasaUnavailable("Rasa answered with something other than a tracker")
        slots = tracker.get("slots")
        loop = tracker.get("active_loop")
        return {
            "slots": slots if isinstance(slots, dict) else {},
            "active_loop": loop.get("name") if isinstance(loop, dict) else None,
        }


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


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
