"""The callback endpoints of both WeChat channels: signature checks, safe-mode and WeCom
decryption, parsing and validating the XML, the passive reply within WeChat's 5 seconds,
WeChat's retries (same MsgId) answered once, and late replies sent in order through the
send-message API."""

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
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import BaseMessage
from wechatpy.replies import create_reply as create_official_reply
from wechatpy.utils import check_signature

from bot.contract import ChannelName, MessageRole
from bot.gateway.channels.wechat.api import TEXT_LIMIT_BYTES, WeChatSendError, split_text
from bot.gateway.channels.wechat.media import MEDIA_TYPES, MediaIntake
from bot.gateway.channels.wechat.rendering import ButtonMemory, render_text
from bot.gateway.messages import OutboundMessage

log = logging.getLogger(__name__)

WELCOME_TEXT = (
    "您好，欢迎关注！我是智能客服助理，可以帮您查询快递进度、修改派送地址、办理破损/丢件理赔等。"
    "请直接输入运单号或您的问题，需要人工服务请回复“人工”。"
)
UNSUPPORTED_TEXT = "暂不支持语音消息，请输入文字或运单号"
ERROR_TEXT = "抱歉，系统繁忙，请稍后再试。"

# How far a callback's timestamp may be from our clock (replayed requests are refused).
MAX_CLOCK_SKEW_S = 300
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

    # -- the two routes (each callback class answers them its own way) ----

    async def get(self, request: web.Request) -> web.Response:
        raise NotImplementedError

    async def post(self, request: web.Request) -> web.Response:
        raise NotImplementedError

    # -- request checks --------------------------------------------------

    @staticmethod
    def _fresh(timestamp: str) -> bool:
        try:
            return abs(time.time() - int(timestamp)) <= MAX_CLOCK_SKEW_S
        except (TypeError, ValueError):
            return False

    # -- routing ---------------------------------------------------------

    async def _handle_text(self, user_id: str, text: str, msg_id: str | None) -> str | None:
        key = f"{user_id}:{msg_id}" if msg_id else None
        turn = self._turns.get(key) if key else None
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
        self.adapter.buttons.remember(user_id, options)
        if len(pieces) > 1:  # too long for one reply: the rest through the API
            rest = [OutboundMessage(role=MessageRole.BOT, text="\n".join(pieces[1:]))]
            self._schedule(user_id, functools.partial(self._ready, rest), remember_options=False)
        return pieces[0]

    async def _route(self, user_id: str, text: str) -> list[OutboundMessage]:
        chosen = self.adapter.buttons.resolve(user_id, text)
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

    def _check(self, request: web.Request) -> web.Response | None:
        q = request.query
        signature, timestamp, nonce = q.get("signature"), q.get("timestamp"), q.get("nonce")
        if not (signature and timestamp and nonce):
            return _forbidden("signature, timestamp or nonce missing")
        try:
            check_signature(self.token, signature, timestamp, nonce)
        except InvalidSignatureException:
            return _forbidden("invalid signature")
        if not self._fresh(timestamp):
            return _forbidden(f"stale timestamp {timestamp!r}")
        return None

    async def get(self, request: web.Request) -> web.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        return _text_response(request.query.get("echostr", ""))

    async def post(self, request: web.Request) -> web.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        q = request.query
        timestamp, nonce = q["timestamp"], q["nonce"]
        encrypted = q.get("encrypt_type", "raw").lower() == "aes"
        body = await request.read()
        if encrypted:
            if self.crypto is None:
                return _bad_request("encrypted message but WECHAT_ENCODING_AES_KEY is not set")
            msg_signature = q.get("msg_signature")
            if not msg_signature:
                return _forbidden("msg_signature missing")
            try:
                xml = self.crypto.decrypt_message(body, msg_signature, timestamp, nonce)
            except (InvalidSignatureException, InvalidAppIdException):
                return _forbidden("invalid msg_signature or app id")
            except Exception as exc:
                return _bad_request(f"cannot decrypt: {exc.__class__.__name__}")
        else:
            xml = body
        try:
            inbound = _parse(parse_official_message, xml)
        except ValueError as exc:
            return _bad_request(str(exc))
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

    @staticmethod
    def _params(request: web.Request) -> tuple[str, str, str] | web.Response:
        q = request.query
        signature, timestamp, nonce = q.get("msg_signature"), q.get("timestamp"), q.get("nonce")
        if not (signature and timestamp and nonce):
            return _forbidden("msg_signature, timestamp or nonce missing")
        if not _CallbackBase._fresh(timestamp):
            return _forbidden(f"stale timestamp {timestamp!r}")
        return signature, timestamp, nonce

    async def get(self, request: web.Request) -> web.Response:
        params = self._params(request)
        if isinstance(params, web.Response):
            return params
        signature, timestamp, nonce = params
        echostr = request.query.get("echostr", "")
        if not echostr:
            return _bad_request("echostr missing")
        # A "+" left unescaped in the URL arrives as a space.
        for candidate in dict.fromkeys((echostr, echostr.replace(" ", "+"))):
            try:
                plain = self.crypto.check_signature(signature, timestamp, nonce, candidate)
            except InvalidSignatureException:
                continue
            except Exception as exc:  # InvalidCorpIdException, bad base64/padding
                return _forbidden(f"cannot decrypt echostr: {exc.__class__.__name__}")
            return _text_response(plain if isinstance(plain, str) else plain.decode("utf-8"))
        return _forbidden("invalid msg_signature")

    async def post(self, request: web.Request) -> web.Response:
        params = self._params(request)
        if isinstance(params, web.Response):
            return params
        signature, timestamp, nonce = params
        body = await request.read()
        try:
            xml = self.crypto.decrypt_message(body, signature, timestamp, nonce)
        except (InvalidSignatureException, InvalidCorpIdException):
            return _forbidden("invalid msg_signature or corp id")
        except Exception as exc:
            return _bad_request(f"cannot decrypt: {exc.__class__.__name__}")
        try:
            inbound = _parse(parse_work_message, xml, work=True)
        except ValueError as exc:
            return _bad_request(str(exc))
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
