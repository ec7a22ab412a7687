"""A small real HTTP server on loopback that behaves like Rasa's REST channel and
tracker API, with scripted replies (including a handoff custom payload), a
configurable delay and an outage switch. Used by the gateway's routing/queue tests;
tests/gateway/test_with_real_rasa.py runs against the real Rasa server."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

HANDOFF_WORDS = ("转人工", "人工客服", "human", "agent please")


def default_handoff(message: str) -> dict[str, Any]:
    english = not re.search(r"[\u4e00-\u9fff]", message)
    return {
        "reason": "customer_request",
        "category": "delay",
        "priority": "normal",
        "tracking_numbers": ["SF1402345678901"],
        "summary": "客户要求人工：包裹延误 13812345678",
        "language": "en" if english else "zh",
        "customer_tier": "standard",
        "sla_minutes": None,
        "verified": False,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class FakeRasa:
    port: int = field(default_factory=free_port)
    delay_s: float = 0.0  # added to every reply
    health_delay_s: float = 0.0  # before answering the health check (a Rasa busy with turns)
    down_status: int | None = None  # e.g. 500: answer every request with it
    handoff: dict[str, Any] | None = None  # payload override for the next handoffs
    received: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[str, Any]] = field(default_factory=list)
    # Slots (and active loop) the tracker endpoint reports per conversation.
    slots: dict[str, dict[str, Any]] = field(default_factory=dict)
    active_loops: dict[str, str] = field(default_factory=dict)
    # Plays the action server where a test needs it (e.g. opening a case in the shared
    # database): (sender, message) -> the replies, or None for the scripted ones.
    on_message: Callable[[str, str], list[dict[str, Any]] | None] | None = None
    _runner: web.AppRunner | None = None
    _sleeping: set = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    async def _status(request: web.Request) -> web.Response:
        return web.json_response({"model_file": "fake"})

    async def _hello(self, request: web.Request) -> web.Response:
        if self.health_delay_s:
            await asyncio.sleep(self.health_delay_s)
        return web.Response(text="Hello from Rasa: fake")

    async def start(self) -> FakeRasa:
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        app.router.add_post("/conversations/{cid}/tracker/events", self._events)
        app.router.add_get("/conversations/{cid}/tracker", self._tracker)
        app.router.add_get("/status", self._status)
        app.router.add_get("/", self._hello)  # the gateway's health check
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        for task in list(self._sleeping):  # slow replies in progress: drop them
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def replies_for(self, sender: str, message: str) -> list[dict[str, Any]]:
        r = {"recipient_id": sender}
        if self.on_message is not None:
            scripted = self.on_message(sender, message)
            if scripted is not None:
                return [{**r, **item} for item in scripted]
        lowered = message.lower()
        if any(w in lowered for w in HANDOFF_WORDS):
            payload = {**default_handoff(message), **(self.handoff or {})}
            return [{**r, "text": "好的，正在为您转接人工客服。"}, {**r, "custom": {"handoff": payload}}]
        if lowered == "buttons":
            return [
                {
                    **r,
                    "text": "请选择派送时间：",
                    "buttons": [
                        {"title": "上午", "payload": '/choose_time_window{"time_window":"am"}'},
                        {"title": "下午", "payload": '/choose_time_window{"time_window":"pm"}'},
                    ],
                }
            ]
        if lowered == "image":
            return [{**r, "image": "https://example.com/pod.jpg"}]
        if lowered == "custom":
            return [{**r, "custom": {"kind": "card", "title": "运单"}}]
        if lowered == "mixed":
            return [{**r, "text": "第一条"}, {**r, "custom": {"handoff": default_handoff(message), "note": "keep"}}]
        if lowered == "silent":
            return []
        if lowered in ("再见", "bye"):  # like the domain's utter_goodbye
            return [{**r, "text": "感谢您的咨询，祝您生活愉快！"}, {**r, "custom": {"conversation_end": True}}]
        return [{**r, "text": f"echo: {message}"}]

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        if self.down_status:
            return web.json_response({"error": "down"}, status=self.down_status)
        message = str(body.get("message", ""))
        delay = self.delay_s
        match = re.match(r"^sleep:([\d.]+)\s*(.*)$", message)
        if match:
            delay += float(match.group(1))
            message = match.group(2)
        if delay:
            task = asyncio.current_task()
            self._sleeping.add(task)
            try:
                await asyncio.sleep(delay)
            finally:
                self._sleeping.discard(task)
        return web.json_response(self.replies_for(body.get("sender", ""), message))

    async def _tracker(self, request: web.Request) -> web.Response:
        if self.down_status:
            return web.json_response({"error": "down"}, status=self.down_status)
        cid = request.match_info["cid"]
        loop = self.active_loops.get(cid)
        return web.json_response(
            {"sender_id": cid, "slots": self.slots.get(cid, {}), "active_loop": {"name": loop} if loop else {}}
        )

    async def _events(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.events.append((request.match_info["cid"], body))
        if self.down_status:
            return web.json_response({"error": "down"}, status=self.down_status)
        return web.json_response({"sender_id": request.match_info["cid"]})
