"""REST channel, wire-compatible with Rasa's:

POST /webhooks/rest/webhook {"sender", "message", "metadata"?} -> the replies
    [{"recipient_id", "text"}, {"recipient_id", "text", "buttons"}, {"recipient_id", "image"},
     {"recipient_id", "custom"}]
GET /webhooks/rest/messages?sender=X&since=<id>&wait=<s <= 30> -> later messages pushed to
    the customer (agent replies, notices, the CSAT question) in the same format plus "id",
    waiting up to `wait` seconds for the first one (long poll).

Who may (docs/gateway-contract.md, "Customer sessions"):
- with REST_CHANNEL_TOKEN set, POST needs `Authorization: Bearer <token>` (trusted
  integrations; compared in constant time); unset, the endpoint is open, as in Rasa;
- a sender's first POST gets a secret in the `X-Conversation-Secret` response header;
  the long poll needs it (or the channel token), and a POST as that sender without it
  is answered as a stranger's (no verification of the conversation serves it, see
  bot/gateway/customer_sessions.py); with a wrong one it is refused (403)."""

from __future__ import annotations

import asyncio
import hmac
import math
from typing import Any

from aiohttp import web
from sqlalchemy import func, select

from bot.config import Settings
from bot.contract import ChannelName
from bot.gateway import customer_sessions
from bot.gateway.clients import request_client
from bot.gateway.cluster import RedisBus
from bot.gateway.customer_sessions import SECRET_HEADER, Standing
from bot.gateway.inputs import clean_text, is_clean_id, parse_db_int, read_json_object
from bot.gateway.keys import BUS_KEY, DB_KEY, ROUTER_KEY, SETTINGS_KEY
from bot.gateway.messages import OutboundMessage
from bot.gateway.models import Conversation, Message
from bot.gateway.responses import json_error, json_response
from bot.gateway.router import SlowDown

NAME = ChannelName.REST
MAX_SENDER_CHARS = 128
MAX_WAIT_S = 30.0


class Notifier:
    """Wakes long-poll requests of one sender when a message is pushed to them."""

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}
        self._waiters: dict[str, int] = {}

    def event(self, sender: str) -> asyncio.Event:
        if sender not in self._events:
            self._events[sender] = asyncio.Event()
        return self._events[sender]

    def notify(self, sender: str) -> None:
        event = self._events.pop(sender, None)
        if event is not None:
            event.set()

    def discard(self, sender: str, event: asyncio.Event) -> None:
        """Forget an unused event (nobody waits on it)."""
        if not self._waiters.get(sender) and self._events.get(sender) is event:
            del self._events[sender]

    async def wait(self, sender: str, event: asyncio.Event, timeout: float) -> None:
        self._waiters[sender] = self._waiters.get(sender, 0) + 1
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        finally:
            self._waiters[sender] -= 1
            if not self._waiters[sender]:
                del self._waiters[sender]
                if self._events.get(sender) is event and not event.is_set():
                    del self._events[sender]


def to_rest(recipient_id: str, message: OutboundMessage, with_id: bool = False) -> list[dict[str, Any]]:
    """Rasa REST channel format: one dict per text(+buttons) / image / custom part."""
    out: list[dict[str, Any]] = []
    extra = {"id": message.id} if with_id else {}
    if message.text is not None or message.buttons:
        item: dict[str, Any] = {"recipient_id": recipient_id, "text": message.text or ""}
        if message.buttons:
            item["buttons"] = [{"title": b["title"], "payload": b["payload"]} for b in message.buttons]
        out.append({**item, **extra})
    if message.image:
        out.append({"recipient_id": recipient_id, "image": message.image, **extra})
    if message.custom is not None:
        out.append({"recipient_id": recipient_id, "custom": message.custom, **extra})
    return out


def bearer_matches(request: web.Request, token: str) -> bool:
    """Whether the request carries `Authorization: Bearer <token>` (constant time)."""
    if not token:
        return False
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


def too_many(retry_after: float) -> web.Response:
    """429 with Retry-After (whole seconds, at least 1)."""
    response = json_error(429, "too_many_requests", "too many messages: please wait a moment and send again")
    response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return response


def _pushed_after(db: Any, sender: str, since: int) -> list[Message]:
    with db.session() as session:
        return list(
            session.execute(
                select(Message)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(
                    Conversation.channel == NAME,
                    Conversation.channel_user_id == sender,
                    Message.pushed.is_(True),
                    Message.id > since,
                )
                .order_by(Message.id)
                .limit(200)
            ).scalars()
        )


def _latest_id(db: Any, sender: str) -> int:
    with db.session() as session:
        value = session.execute(
            select(func.max(Message.id))
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.channel == NAME, Conversation.channel_user_id == sender)
        ).scalar_one()
    return int(value or 0)


class RestChannel:
    """The REST channel; later messages of its customers wait in the database for their
    long poll, which `push` wakes up."""

    name = NAME

    def __init__(self) -> None:
        self.notifier = Notifier()
        self.bus: RedisBus | None = None

    def setup(self, app: web.Application, settings: Settings) -> bool:
        app.router.add_post("/webhooks/rest/webhook", self.webhook)
        app.router.add_get("/webhooks/rest/messages", self.messages)
        if BUS_KEY in app:  # several gateway instances: the long poll may wait on another one
            self.bus = app[BUS_KEY]
            self.bus.on("rest", self._remote_push)
        return True

    async def _remote_push(self, data: dict[str, Any]) -> None:
        self.notifier.notify(str(data.get("sender", "")))

    async def push(self, conversation: Conversation, message: OutboundMessage) -> None:
        self.notifier.notify(conversation.channel_user_id)
        if self.bus is not None:
            await self.bus.publish("rest", {"sender": conversation.channel_user_id})

    async def webhook(self, request: web.Request) -> web.Response:
        settings = request.app[SETTINGS_KEY]
        trusted = bearer_matches(request, settings.rest_channel_token)
        if settings.rest_channel_token and not trusted:
            return json_error(401, "unauthorized", "this endpoint needs 'Authorization: Bearer <REST_CHANNEL_TOKEN>'")
        body = await read_json_object(request, hint='{"sender": "...", "message": "..."}')
        sender, message = body.get("sender"), body.get("message")
        limit = settings.max_message_chars
        if not is_clean_id(sender, MAX_SENDER_CHARS):
            return json_error(
                400,
                "bad_request",
                f"'sender' must be a non-empty string of at most {MAX_SENDER_CHARS} printable characters",
            )
        if not isinstance(message, str):
            return json_error(400, "bad_request", "'message' must be a string")
        if not clean_text(message).strip():
            return json_error(400, "bad_request", "'message' must not be empty")
        if len(message) > limit:
            return json_error(400, "bad_request", f"'message' must be at most {limit} characters")
        standing, secret = customer_sessions.standing(
            request.app[DB_KEY], NAME, sender, request.headers.get(SECRET_HEADER)
        )
        if standing == Standing.WRONG:
            return json_error(403, "forbidden", f"wrong {SECRET_HEADER} for this sender")
        metadata = body.get("metadata")
        proven = trusted or standing != Standing.UNPROVEN
        try:
            replies = await request.app[ROUTER_KEY].handle_customer_message(
                NAME,
                # A stranger posting as a known sender talks in a conversation of its own:
                # nothing the customer said (numbers, context) or proved reaches it.
                sender if proven else customer_sessions.stranger_id(sender),
                message,
                metadata if isinstance(metadata, dict) else None,
                client=request_client(request, settings.trusted_proxies),
                proven=proven,
                polite=False,
                # Strangers posting as a sender use their own allowance, not the customer's.
                rate_key=f"{NAME}:{sender}" if proven else f"{NAME}-unproven:{sender}",
            )
        except SlowDown as refused:
            return too_many(refused.retry_after)
        out: list[dict[str, Any]] = []
        for reply in replies:
            out.extend(to_rest(sender, reply))
        response = json_response(out)
        if secret is not None:
            response.headers[SECRET_HEADER] = secret
            response.headers["Cache-Control"] = "no-store"
        return response

    async def messages(self, request: web.Request) -> web.Response:
        sender = request.query.get("sender", "")
        if not is_clean_id(sender, MAX_SENDER_CHARS):
            return json_error(400, "bad_request", "'sender' is required (at most 128 printable characters)")
        db = request.app[DB_KEY]
        settings = request.app[SETTINGS_KEY]
        presented = request.headers.get(SECRET_HEADER)
        if not bearer_matches(request, settings.rest_channel_token):
            if not presented:
                return json_error(401, "unauthorized", f"send the sender's {SECRET_HEADER} (issued on its first reply)")
            if not customer_sessions.matches(db, NAME, sender, presented):
                return json_error(403, "forbidden", f"wrong {SECRET_HEADER} for this sender")
        since: int | None = None
        if "since" in request.query:
            since = parse_db_int(request.query["since"])
            if since is None:
                return json_error(400, "bad_request", "'since' must be a message id (>= 0)")
        try:
            wait = float(request.query.get("wait", "0"))
        except ValueError:
            return json_error(400, "bad_request", "'wait' must be a number of seconds")
        if not (wait >= 0):  # also rejects NaN
            return json_error(400, "bad_request", "'wait' must be >= 0")
        wait = min(wait, MAX_WAIT_S)
        retry_after = await request.app[ROUTER_KEY].limits.admit(
            f"{NAME}:{sender}", request_client(request, settings.trusted_proxies), kind="poll"
        )
        if retry_after > 0:
            return too_many(retry_after)
        if since is None:
            since = _latest_id(db, sender)  # only what comes from now on
        notifier = self.notifier
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            event = notifier.event(sender)  # before the query: a push in between is not missed
            rows = _pushed_after(db, sender, since)
            remaining = deadline - loop.time()
            if rows or remaining <= 0:
                break
            await notifier.wait(sender, event, remaining)
        notifier.discard(sender, event)
        out: list[dict[str, Any]] = []
        for row in rows:
            out.extend(to_rest(sender, OutboundMessage.from_row(row), with_id=True))
        return json_response(out)
