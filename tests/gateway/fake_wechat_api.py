"""A local stand-in for the WeChat Official Account and WeCom server APIs.

A real aiohttp server on a free loopback port that answers the calls the
gateway makes, checks them like WeChat does, and records them:

- ``GET  /cgi-bin/token?grant_type=client_credential&appid&secret`` (公众号 access token)
- ``POST /cgi-bin/message/custom/send?access_token`` (客服消息)
- ``GET  /cgi-bin/gettoken?corpid&corpsecret`` (企业微信 access token)
- ``POST /cgi-bin/message/send?access_token`` (企业微信应用消息)
- ``GET  /cgi-bin/media/get?access_token&media_id`` (临时素材: the bytes of ``media[media_id]``)

Usage::

    api = FakeWeChatAPI(app_id="wx...", app_secret="...", corp_id="ww...", corp_secret="...")
    await api.start()            # api.base_url == "http://127.0.0.1:<port>"
    ...
    sent = await api.wait_for_sent(1)
    await api.close()
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: dict[str, Any] | None = None


@dataclass
class FakeWeChatAPI:
    app_id: str = "wx0123456789abcdef"
    app_secret: str = "app-secret"
    corp_id: str = "ww0123456789abcdef"
    corp_secret: str = "corp-secret"
    calls: list[Call] = field(default_factory=list)
    # Message-send calls that were accepted, in order (the JSON bodies).
    sent: list[dict[str, Any]] = field(default_factory=list)
    # Set to an errcode to make the next send calls fail with it (e.g. 45015: out of the 48 h window).
    fail_sends_with: int | None = None
    # Seconds each message-send call takes (a slow WeChat API).
    send_delay_s: float = 0.0
    # media_id -> (bytes, content type) served by /cgi-bin/media/get.
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._valid_tokens: set[str] = set()
        self._counter = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.app = web.Application()
        self.app.router.add_get("/cgi-bin/token", self._token)
        self.app.router.add_get("/cgi-bin/gettoken", self._gettoken)
        self.app.router.add_post("/cgi-bin/message/custom/send", self._custom_send)
        self.app.router.add_post("/cgi-bin/message/send", self._work_send)
        self.app.router.add_get("/cgi-bin/media/get", self._media_get)

    # -- lifecycle ---------------------------------------------------------

    async def start(self, host: str = "127.0.0.1") -> str:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://{host}:{port}"
        return self.base_url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- inspection ----------------------------------------------------------

    def calls_to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    def expire_tokens(self) -> None:
        """Every token handed out so far becomes invalid (errcode 42001 on use)."""
        self._valid_tokens.clear()

    async def wait_for_sent(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until at least ``count`` messages were accepted; returns them all."""

        async def enough() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.sent) >= count)

        await asyncio.wait_for(enough(), timeout)
        return list(self.sent)

    # -- handlers -------------------------------------------------------------

    async def _record(self, request: web.Request) -> Call:
        body: dict[str, Any] | None = None
        if request.method == "POST":
            raw = await request.read()
            body = json.loads(raw.decode("utf-8")) if raw else None
        call = Call(request.method, request.path, dict(request.query), body)
        self.calls.append(call)
        return call

    def _new_token(self, prefix: str) -> str:
        token = f"{prefix}-token-{next(self._counter)}"
        self._valid_tokens.add(token)
        return token

    async def _token(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        q = call.query
        if q.get("grant_type") != "client_credential":
            return web.json_response({"errcode": 40002, "errmsg": "invalid grant_type"})
        if q.get("appid") != self.app_id or q.get("secret") != self.app_secret:
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        return web.json_response({"access_token": self._new_token("mp"), "expires_in": 7200})

    async def _gettoken(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        q = call.query
        if q.get("corpid") != self.corp_id or q.get("corpsecret") != self.corp_secret:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        return web.json_response(
            {"errcode": 0, "errmsg": "ok", "access_token": self._new_token("work"), "expires_in": 7200}
        )

    async def _check_send(self, call: Call) -> web.Response | None:
        token = call.query.get("access_token")
        if not token:
            return web.json_response({"errcode": 41001, "errmsg": "access_token missing"})
        if token not in self._valid_tokens:
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        if self.fail_sends_with is not None:
            return web.json_response({"errcode": self.fail_sends_with, "errmsg": "failure requested by the test"})
        return None

    async def _accept(self, body: dict[str, Any], extra: dict[str, Any] | None = None) -> web.Response:
        if self.send_delay_s:
            await asyncio.sleep(self.send_delay_s)
        async with self._changed:
            self.sent.append(body)
            self._changed.notify_all()
        return web.json_response({"errcode": 0, "errmsg": "ok", **(extra or {})})

    async def _media_get(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        token = call.query.get("access_token")
        if not token:
            return web.json_response({"errcode": 41001, "errmsg": "access_token missing"})
        if token not in self._valid_tokens:
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        found = self.media.get(call.query.get("media_id", ""))
        if found is None:
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        data, content_type = found
        return web.Response(
            body=data, content_type=content_type, headers={"Content-Disposition": 'attachment; filename="media"'}
        )

    async def _custom_send(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        refused = await self._check_send(call)
        if refused is not None:
            return refused
        body = call.body or {}
        if not body.get("touser") or body.get("msgtype") != "text" or not (body.get("text") or {}).get("content"):
            return web.json_response({"errcode": 44002, "errmsg": "empty post data"})
        return await self._accept(body)

    async def _work_send(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        refused = await self._check_send(call)
        if refused is not None:
            return refused
        body = call.body or {}
        if not body.get("touser") or not body.get("agentid") or body.get("msgtype") != "text":
            return web.json_response({"errcode": 40003, "errmsg": "invalid user or agent"})
        return await self._accept(body, {"invaliduser": ""})
