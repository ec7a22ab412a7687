"""The callback endpoints of both WeChat channels: signature checks (constant time,
signatures.py), safe-mode and WeCom decryption, replay protection (nonces.py), parsing
and validating the XML, the passive reply within WeChat's 5 seconds, WeChat's retries
(same MsgId) answered once, and late replies sent in order through the send-message API.

With an AES key configured (WECHAT_ENCODING_AES_KEY; WeCom always has one) only
encrypted callbacks are accepted: a plaintext POST is refused, since the plaintext
signature covers the URL's timestamp and nonce but not the body."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web
from wechatpy import parse_message as parse_official_message
from wechatpy.crypto import WeChatCrypto as OfficialAccountCrypto
from wechatpy.enterprise import parse_message as parse_work_message
from wechatpy.enterprise.crypto import WeChatCrypto as WorkCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.enterprise.replies import create_reply as create_work_reply
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.messages import BaseMessage
from wechatpy.replies import create_reply as create_official_reply

from bot.contract import ChannelName, MessageRole
from bot.gateway.channels.wechat import signatures
from bot.gateway.channels.wechat.api import TEXT_LIMIT_BYTES, WeChatSendError, split_text
from bot.gateway.channels.wechat.media import MEDIA_TYPES, MediaIntake
from bot.gateway.channels.wechat.nonces import NonceStore, Seen, digest
from bot.gateway.channels.wechat.rendering import ButtonMemory, render_text
from bot.gateway.cluster import SeenOnce
from bot.gateway.messages import OutboundMessage

log = logging.getLogger(__name__)

WELCOME_TEXT = (
    "您好，欢迎关注！我是智能客服助理，可以帮您查询快递进度、修改派送地址、办理破损/丢件理赔等。"
    "请直接输入运单号或您的问题，需要人工服务请回复“人工”。"
)
UNSUPPORTED_TEXT = "暂不支持语音消息，请输入文字或运单号"
ERROR_TEXT = "抱歉，系统繁忙，请稍后再试。"

# How far a callback's timestamp may be from our clock (older or newer requests are refused);
# within it, each (timestamp, nonce) is accepted once (nonces.py).
MAX_CLOCK_SKEW_S = 300
# Longest nonce accepted (WeChat's are about ten digits).
MAX_NONCE_CHARS = 64
# WeChat retries a message three times within about 15 s; remember it for longer.
RETRY_WINDOW_S = 120
_SENTINEL_EMPTY = "success"  # WeChat: "nothing to say" (no retry, nothing shown)


class Replier(Protocol):
    """What a callback needs of its channel: the options shown, sending later, the API client."""

    buttons: ButtonMemory
    sender: Any

    async def send(
        self,
        user_id: str,
        messages: list[OutboundMessage],
        language: str | None = None,
        remember_options: bool = True,
    ) -> None: ...


RouteFn = Callable[[str, str, str, dict[str, Any] | None], Awaitable[list[OutboundMessage]]]


@dataclass
class _Turn:
    task: asyncio.Task[list[OutboundMessage]]
    created: float
    deferred: bool = False


class _CallbackBase:
    """Routing, deadline, retries and ordering, shared by both callbacks."""

    channel: str

    def __init__(self, adapter: Replier, route: RouteFn, reply_timeout_s: float) -> None:
        self.adapter = adapter
        self.route = route
        self.reply_timeout_s = reply_timeout_s
        self._turns: OrderedDict[str, _Turn] = OrderedDict()
        self._background: set[asyncio.Task[None]] = set()
        # Per customer: the last late delivery (each one waits for the one before it)
        # and how many are under way.
        self._tails: dict[str, asyncio.Future[None]] = {}
        self._deferred_count: dict[str, int] = {}
        # Images and videos become case evidence (set by setup_wechat).
        self.media: MediaIntake | None = None
        self._media_seen: OrderedDict[str, float] = OrderedDict()
        # Nonces already used (set by the channel's setup: Redis or the database).
        self.nonces: NonceStore | None = None
        # Several gateway instances (REDIS_URL): the message ids seen by any of them (set by the channel).
        self.seen: SeenOnce | None = None

    # -- the two routes (each callback class answers them its own way) ----

    async def get(self, request: web.Request) -> web.Response:
        raise NotImplementedError

    async def post(self, request: web.Request) -> web.Response:
        raise NotImplementedError

    # -- request checks --------------------------------------------------

    @staticmethod
    def _fresh(timestamp: str) -> bool:
        if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
            return False
        return abs(time.time() - int(timestamp)) <= MAX_CLOCK_SKEW_S

    async def _once(self, timestamp: str, nonce: str, body: bytes) -> Seen:
        """Whether this signed (timestamp, nonce) is new, WeChat's retry (same body) or a replay."""
        if self.nonces is None:
            raise RuntimeError(f"{self.channel}: no nonce store configured")
        key = f"{self.channel}:{timestamp}:{nonce}"
        return await self.nonces.check(key, digest(body), int(timestamp) + MAX_CLOCK_SKEW_S + 1)

    def _known_retry(self, inbound: _Inbound) -> bool:
        """A retry of a message this instance is handling (answered from its turn)."""
        if not inbound.msg_id:
            return False
        key = f"{inbound.user_id}:{inbound.msg_id}"
        return key in self._turns or key in self._media_seen

    # -- routing ---------------------------------------------------------

    async def _handle_text(self, user_id: str, text: str, msg_id: str | None) -> str | None:
        key = f"{user_id}:{msg_id}" if msg_id else None
        turn = self._turns.get(key) if key else None
        if turn is None and key and self.seen is not None and not await self.seen.first(key, RETRY_WINDOW_S):
            # WeChat's retry reached another gateway instance than the first try: that one
            # answers (through the send-message API when its passive reply came too late).
            log.info("%s: retry of message %s handled by another instance", self.channel, msg_id)
            return None
        if turn is None:
            turn = _Turn(asyncio.create_task(self._route(user_id, text)), time.monotonic())
            if key:
                self._remember_turn(key, turn)
        else:
            log.info("%s: retry of message %s from %s", self.channel, msg_id, user_id)
        if turn.deferred:
            return None
        try:
            await asyncio.wait({turn.task}, timeout=self.reply_timeout_s)
        except asyncio.CancelledError:
            self._defer(user_id, turn)  # WeChat hung up: the replies go through the API
            raise
        if not turn.task.done() or self._deferred_count.get(user_id):
            # Too slow, or earlier replies to this customer are still on their way:
            # send these after them through the API.
            self._defer(user_id, turn)
            return None
        messages = self._result(turn.task, user_id)
        text_out, options = render_text(messages)
        if not text_out:
            return None
        pieces = split_text(text_out, TEXT_LIMIT_BYTES)
        await self.adapter.buttons.aremember(user_id, options)
        if len(pieces) > 1:  # too long for one reply: the rest through the API
            rest = [OutboundMessage(role=MessageRole.BOT, text="\n".join(pieces[1:]))]
            self._schedule(user_id, functools.partial(self._ready, rest), remember_options=False)
        return pieces[0]

    async def _route(self, user_id: str, text: str) -> list[OutboundMessage]:
        chosen = await self.adapter.buttons.aresolve(user_id, text)
        metadata: dict[str, Any] | None = None
        if chosen is not None:
            metadata = {"button": {"title": chosen.get("title"), "typed": text}}
            text = chosen.get("payload") or chosen.get("title") or text
        return await self.route(self.channel, user_id, text, metadata)

    def _result(self, task: asyncio.Task[list[OutboundMessage]], user_id: str) -> list[OutboundMessage]:
        try:
            return list(task.result() or [])
        except Exception:
            log.exception("%s: routing a message from %s failed", self.channel, user_id)
            return [OutboundMessage(role=MessageRole.SYSTEM, text=ERROR_TEXT)]

    def _remember_turn(self, key: str, turn: _Turn) -> None:
        now = time.monotonic()
        while self._turns:
            oldest = next(iter(self._turns.values()))
            if now - oldest.created <= RETRY_WINDOW_S or not oldest.task.done():
                break
            self._turns.popitem(last=False)
        self._turns[key] = turn

    def _defer(self, user_id: str, turn: _Turn) -> None:
        if turn.deferred:
            return
        turn.deferred = True
        self._schedule(user_id, functools.partial(self._outcome, turn.task, user_id))

    async def _outcome(self, task: asyncio.Task[list[OutboundMessage]], user_id: str) -> list[OutboundMessage]:
        await asyncio.wait({task})
        return self._result(task, user_id)

    @staticmethod
    async def _ready(messages: list[OutboundMessage]) -> list[OutboundMessage]:
        return messages

    def _schedule(
        self, user_id: str, replies: Callable[[], Awaitable[list[OutboundMessage]]], remember_options: bool = True
    ) -> None:
        """Send ``replies`` through the API when ready, after the earlier late ones.

        No lock is held while the router works: the agent API pushes to this
        customer while holding the conversation's lock, which the router needs.
        """
        previous = self._tails.get(user_id)
        self._deferred_count[user_id] = self._deferred_count.get(user_id, 0) + 1
        task = self._spawn(self._deliver_later(user_id, replies, previous, remember_options))
        self._tails[user_id] = task

    async def _deliver_later(
        self,
        user_id: str,
        replies: Callable[[], Awaitable[list[OutboundMessage]]],
        previous: asyncio.Future[None] | None,
        remember_options: bool,
    ) -> None:
        try:
            messages = await replies()
            if previous is not None:
                await asyncio.wait({previous})
            await self.adapter.send(user_id, messages, remember_options=remember_options)
        except WeChatSendError as exc:
            log.error("%s: late reply to %s not delivered: %s", self.channel, user_id, exc)
        except Exception:
            log.exception("%s: late reply to %s failed", self.channel, user_id)
        finally:
            left = self._deferred_count.get(user_id, 1) - 1
            if left > 0:
                self._deferred_count[user_id] = left
            else:
                self._deferred_count.pop(user_id, None)
                self._tails.pop(user_id, None)

    def pending(self, user_id: str | None = None) -> int:
        """Late replies still to be sent through the API (to one customer, or in all)."""
        if user_id is not None:
            return self._deferred_count.get(user_id, 0)
        return sum(self._deferred_count.values())

    def _spawn(self, coro: Awaitable[None]) -> asyncio.Future[None]:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def drain(self, timeout_s: float = 15.0) -> None:
        """Let late replies go out before shutdown (then give up on them)."""
        pending = [t for t in self._background if not t.done()]
        if not pending:
            return
        _, still = await asyncio.wait(pending, timeout=timeout_s)
        for task in still:
            task.cancel()
        if still:
            await asyncio.gather(*still, return_exceptions=True)

    # -- what to answer ----------------------------------------------------

    async def _answer(self, inbound: _Inbound) -> str | None:
        """The passive reply's text (None: answer "success" and show nothing)."""
        if inbound.text is not None:
            if not inbound.text.strip():
                return None
            return await self._handle_text(inbound.user_id, inbound.text.strip(), inbound.msg_id)
        message = inbound.message
        if message.type == "event":
            event = str(getattr(message, "event", "") or "").lower()
            if event in ("subscribe", "subscribe_scan"):
                return WELCOME_TEXT
            return None  # unsubscribe (cannot be answered), menu clicks, location reports...
        if message.type in MEDIA_TYPES and self.media is not None:
            return await self._media(inbound)
        if message.type in ("image", "voice", "video", "shortvideo", "location", "link", "file"):
            return UNSUPPORTED_TEXT
        return None

    async def _media(self, inbound: _Inbound) -> str | None:
        """An image or video: evidence for the customer's open case (media.py). A slow
        download answers "success" now and sends the reply through the API when done."""
        key = f"{inbound.user_id}:{inbound.msg_id}" if inbound.msg_id else None
        if key is not None and key in self._media_seen:
            return None  # WeChat's retry of a media message already being handled
        if key is not None and self.seen is not None and not await self.seen.first(f"media:{key}", RETRY_WINDOW_S):
            return None  # ... by another gateway instance
        if key is not None:
            self._media_seen[key] = time.monotonic()
            while len(self._media_seen) > 10_000:
                self._media_seen.popitem(last=False)
        media_id = str(getattr(inbound.message, "media_id", "") or "")
        kind = inbound.message.type
        intake = self.media
        assert intake is not None, "set by WeChatChannel._install with the routes"
        task = asyncio.ensure_future(intake.receive(self.channel, inbound.user_id, kind, media_id, self.adapter.sender))
        done, _ = await asyncio.wait({task}, timeout=self.reply_timeout_s)
        if task in done:
            try:
                return task.result()
            except Exception:
                log.exception("%s: media message from %s failed", self.channel, inbound.user_id)
                return ERROR_TEXT

        async def later() -> None:
            try:
                text = await task
            except Exception:
                log.exception("%s: media message from %s failed", self.channel, inbound.user_id)
                return
            await self.adapter.send(inbound.user_id, [OutboundMessage(role=MessageRole.SYSTEM, text=text)])

        self._spawn(later())
        return None


def _text_response(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/plain", charset="utf-8")


def _xml_response(xml: str) -> web.Response:
    return web.Response(text=xml, content_type="application/xml", charset="utf-8")


def _forbidden(reason: str) -> web.Response:
    log.warning("refused WeChat callback: %s", reason)
    return _text_response("forbidden", 403)


def _bad_request(reason: str) -> web.Response:
    log.warning("bad WeChat callback: %s", reason)
    return _text_response("bad request", 400)


def _signed_params(q: Any, signature_name: str) -> tuple[str, str, str] | web.Response:
    """The signature, timestamp and nonce of a callback URL (403 when missing or stale)."""
    signature, timestamp, nonce = q.get(signature_name), q.get("timestamp"), q.get("nonce")
    if not (signature and timestamp and nonce):
        return _forbidden(f"{signature_name}, timestamp or nonce missing")
    if len(nonce) > MAX_NONCE_CHARS or len(signature) > 64:
        return _forbidden("nonce or signature too long")
    if not _CallbackBase._fresh(timestamp):
        return _forbidden(f"stale timestamp {timestamp[:16]!r}")
    return signature, timestamp, nonce


class OfficialAccountCallback(_CallbackBase):
    channel = ChannelName.WECHAT

    def __init__(
        self,
        adapter: Replier,
        route: RouteFn,
        reply_timeout_s: float,
        token: str,
        app_id: str = "",
        encoding_aes_key: str = "",
    ) -> None:
        super().__init__(adapter, route, reply_timeout_s)
        self.token = token
        self.crypto = OfficialAccountCrypto(token, encoding_aes_key, app_id) if encoding_aes_key else None

    def _check(self, request: web.Request) -> tuple[str, str] | web.Response:
        """The URL's signature (token, timestamp, nonce): (timestamp, nonce) or a 403."""
        params = _signed_params(request.query, "signature")
        if isinstance(params, web.Response):
            return params
        signature, timestamp, nonce = params
        if not signatures.matches(signature, self.token, timestamp, nonce):
            return _forbidden("invalid signature")
        return timestamp, nonce

    async def get(self, request: web.Request) -> web.Response:
        checked = self._check(request)
        if isinstance(checked, web.Response):
            return checked
        return _text_response(request.query.get("echostr", ""))

    async def post(self, request: web.Request) -> web.Response:
        checked = self._check(request)
        if isinstance(checked, web.Response):
            return checked
        timestamp, nonce = checked
        q = request.query
        encrypted = q.get("encrypt_type", "raw").lower() == "aes"
        if self.crypto is not None and not encrypted:
            # Safe mode: the plaintext signature does not cover the body.
            return _forbidden("plaintext callback refused: WECHAT_ENCODING_AES_KEY is set (safe mode)")
        body = await request.read()
        if encrypted:
            if self.crypto is None:
                return _bad_request("encrypted message but WECHAT_ENCODING_AES_KEY is not set")
            try:
                encrypt = signatures.encrypted_field(body)
            except ValueError as exc:
                return _bad_request(str(exc))
            if not signatures.matches(q.get("msg_signature"), self.token, timestamp, nonce, encrypt):
                return _forbidden("invalid or missing msg_signature")
            try:
                xml: str | bytes = signatures.decrypt(self.crypto, encrypt, self.crypto.app_id)
            except InvalidAppIdException:
                return _forbidden("message for another app id")
            except Exception as exc:
                return _bad_request(f"cannot decrypt: {exc.__class__.__name__}")
        else:
            xml = body
        seen = await self._once(timestamp, nonce, body)
        if seen is Seen.REPLAY:
            return _forbidden("nonce already used with another body (replay)")
        try:
            inbound = _parse(parse_official_message, xml)
        except ValueError as exc:
            return _bad_request(str(exc))
        if seen is Seen.RETRY and not self._known_retry(inbound):
            return _text_response(_SENTINEL_EMPTY)  # handled elsewhere or long ago: never twice
        answer = await self._answer(inbound)
        if not answer:
            return _text_response(_SENTINEL_EMPTY)
        message = inbound.message
        xml_out = create_official_reply(answer, message=message, render=True)
        if encrypted and self.crypto is not None:
            xml_out = self.crypto.encrypt_message(xml_out, nonce, timestamp)
        return _xml_response(xml_out)


class WorkCallback(_CallbackBase):
    channel = ChannelName.WECOM

    def __init__(
        self,
        adapter: Replier,
        route: RouteFn,
        reply_timeout_s: float,
        token: str,
        encoding_aes_key: str,
        corp_id: str,
    ) -> None:
        super().__init__(adapter, route, reply_timeout_s)
        self.crypto = WorkCrypto(token, encoding_aes_key, corp_id)

    async def get(self, request: web.Request) -> web.Response:
        params = _signed_params(request.query, "msg_signature")
        if isinstance(params, web.Response):
            return params
        signature, timestamp, nonce = params
        echostr = request.query.get("echostr", "")
        if not echostr:
            return _bad_request("echostr missing")
        # A "+" left unescaped in the URL arrives as a space.
        for candidate in dict.fromkeys((echostr, echostr.replace(" ", "+"))):
            if not signatures.matches(signature, self.crypto.token, timestamp, nonce, candidate):
                continue
            try:
                plain = signatures.decrypt(self.crypto, candidate, self.crypto.corp_id, work=True)
            except Exception as exc:  # InvalidCorpIdException, bad base64/padding
                return _forbidden(f"cannot decrypt echostr: {exc.__class__.__name__}")
            return _text_response(plain)
        return _forbidden("invalid msg_signature")

    async def post(self, request: web.Request) -> web.Response:
        params = _signed_params(request.query, "msg_signature")
        if isinstance(params, web.Response):
            return params
        signature, timestamp, nonce = params
        body = await request.read()
        try:
            encrypt = signatures.encrypted_field(body)
        except ValueError as exc:
            return _bad_request(str(exc))
        if not signatures.matches(signature, self.crypto.token, timestamp, nonce, encrypt):
            return _forbidden("invalid msg_signature")
        try:
            xml = signatures.decrypt(self.crypto, encrypt, self.crypto.corp_id, work=True)
        except InvalidCorpIdException:
            return _forbidden("message for another corp id")
        except Exception as exc:
            return _bad_request(f"cannot decrypt: {exc.__class__.__name__}")
        seen = await self._once(timestamp, nonce, body)
        if seen is Seen.REPLAY:
            return _forbidden("nonce already used with another body (replay)")
        try:
            inbound = _parse(parse_work_message, xml, work=True)
        except ValueError as exc:
            return _bad_request(str(exc))
        if seen is Seen.RETRY and not self._known_retry(inbound):
            return _text_response(_SENTINEL_EMPTY)
        answer = await self._answer(inbound)
        if not answer:
            return _text_response(_SENTINEL_EMPTY)
        message = inbound.message
        reply_xml = create_work_reply(answer, message=message, render=True)
        return _xml_response(self.crypto.encrypt_message(reply_xml, nonce, timestamp))


@dataclass
class _Inbound:
    message: BaseMessage
    user_id: str
    text: str | None  # text messages only
    msg_id: str | None


def _parse(parser: Callable[[Any], Any], xml: str | bytes, work: bool = False) -> _Inbound:
    """Parse and validate a callback body; ValueError when it is not a usable message.

    wechatpy returns whatever xmltodict made of a field (a dict for a nested
    element, a list for a repeated one), so the fields used are checked here.
    """
    try:
        message = parser(xml)
    except Exception as exc:  # ExpatError, KeyError (no <xml>/<MsgType>), TypeError...
        raise ValueError(f"cannot parse XML: {exc.__class__.__name__}") from exc
    if message is None:
        raise ValueError("empty body")
    try:
        user_id = message.source
        account = message.target
        msg_id = message.id
        if work:
            int(getattr(message, "agent", 0) or 0)
        text = (message.content or "") if message.type == "text" else None
    except Exception as exc:
        raise ValueError(f"bad field: {exc.__class__.__name__}") from exc
    if not isinstance(user_id, str) or not user_id.strip():
        raise ValueError("FromUserName missing")
    if not isinstance(account, str):
        raise ValueError("ToUserName missing")
    if message.type == "text" and not isinstance(text, str):
        raise ValueError("Content missing")
    if not isinstance(msg_id, int):
        raise ValueError("bad MsgId")
    return _Inbound(message, user_id.strip(), text, str(msg_id) if msg_id else None)
