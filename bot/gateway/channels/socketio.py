"""Socket.IO channel, wire-compatible with Rasa's SocketIOChannel (session persistence
on) so the stock rasa-webchat 1.0.x widget works unmodified:

  client `session_request` {session_id}  -> server `session_confirm` session_id
  client `user_uttered` {message, session_id, customData|metadata}
                                         -> server `bot_uttered` to the session's room:
      {"text"}, {"text", "quick_replies": [{"content_type": "text", "title", "payload"}]},
      {"attachment": {"type": "image", "payload": {"src"}}}, or the custom dict.

The widget renders Markdown, while the bot and the agents write plain text whose lines
matter (status, route, latest scan and expected delivery each on a line; numbered
steps): on this channel every line ends in a hard line break and the characters Markdown
would read as markup ("*" of a masked number, "_", "#", "<", "[" ...) are escaped, so a
reply looks as written (`markdown`). The other channels send the plain text.

The customer is the session id (channel_user_id), so a chat survives page reloads
and reconnects; agent messages are pushed to the room in real time, and those pushed
while nobody was connected are replayed on the next session_request.

A session belongs to the connection that holds it: a `session_request` for a session id
another live connection holds gets a fresh session id instead (after a short grace for
the old connection of a reloaded page to go), and a `user_uttered` only ever speaks for
the connection's own session. So only the owner receives the session's replies, its
replayed messages, and marks them delivered. (The session id, random and issued by the
gateway, is what a reconnect presents: it is the customer's secret on this channel.)"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import socketio
from aiohttp import web
from sqlalchemy import select, update

from bot.clock import utcnow
from bot.config import Settings
from bot.contract import ChannelName
from bot.gateway import hooks
from bot.gateway.clients import client_address, client_key
from bot.gateway.cluster import RedisBus
from bot.gateway.db import Database
from bot.gateway.keys import BUS_KEY, DB_KEY, ROUTER_KEY
from bot.gateway.messages import OutboundMessage
from bot.gateway.models import Conversation, Message

logger = logging.getLogger(__name__)

NAME = ChannelName.SOCKETIO
USER_EVENT = "user_uttered"
BOT_EVENT = "bot_uttered"
_SESSION_ID = re.compile(r"^[A-Za-z0-9_\-:.]{1,128}$")
REPLAY_LIMIT = 50
# How long a session_request waits for another connection holding the session to go (the
# old connection of a reloaded page may still be closing) before it gets a fresh session.
TAKEOVER_GRACE_S = 1.5


async def _maybe_await(value: Any) -> Any:
    """python-socketio >= 5.10 made enter_room a coroutine on AsyncServer."""
    if inspect.isawaitable(value):
        return await value
    return value


def _origins(spec: str) -> Any:
    """Same origin always; plus the configured ones ("*" = any)."""
    extra = [o.strip().rstrip("/") for o in spec.split(",") if o.strip()]
    if not extra:
        return None  # python-engineio: same origin only
    if "*" in extra:
        return "*"

    def allowed(origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None:
            return True
        host = environ.get("HTTP_HOST", "")
        same = {f"http://{host}", f"https://{host}"}
        return origin.rstrip("/") in same or origin.rstrip("/") in extra

    return allowed


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~])")
_BULLET = re.compile(r"^(\s*)([-+])(\s)")  # "- x" would become a list item
_HARD_BREAK = "  \n"


def markdown(text: str) -> str:
    """`text` as Markdown that renders exactly like the plain text: one visual line per
    line, no markup; a blank line still separates paragraphs."""
    rendered = []
    for paragraph in re.split(r"\n\s*\n", text or ""):
        lines = [
            _BULLET.sub(r"\1\\\2\3", _MARKDOWN_SPECIAL.sub(r"\\\1", line.rstrip())) for line in paragraph.split("\n")
        ]
        rendered.append(_HARD_BREAK.join(lines))
    return "\n\n".join(rendered)


def to_socketio(message: OutboundMessage) -> list[dict[str, Any]]:
    """Rasa SocketIOOutput format (`bot_uttered` payloads), text split on blank lines,
    each part as Markdown (`markdown`)."""
    out: list[dict[str, Any]] = []
    if message.text is not None or message.buttons:
        parts = [p for p in (message.text or "").strip().split("\n\n") if p] or [message.text or ""]
        items: list[dict[str, Any]] = [{"text": markdown(p)} for p in parts]
        if message.buttons:
            items[-1]["quick_replies"] = [
                {"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in message.buttons
            ]
        out.extend(items)
    if message.image:
        out.append({"attachment": {"type": "image", "payload": {"src": message.image}}})
    if message.custom is not None:
        out.append(dict(message.custom))
    return out


class RoomPresence:
    """Which sessions (rooms) have a widget connected on some gateway instance, in Redis:
    `sio:room:<session id>` is a sorted set of the connected sockets, each scored with
    the time its entry lapses; each instance refreshes its own every REFRESH_S, so the
    sockets of an instance that died stop counting after TTL_S. A message pushed while no
    socket counts is replayed on the widget's next session_request."""

    TTL_S = 30.0
    REFRESH_S = 10.0

    def __init__(self, bus: RedisBus) -> None:
        self.bus = bus
        self._local: dict[str, str] = {}  # sid -> room, on this instance

    def _key(self, room: str) -> str:
        return self.bus.key("sio", "room", room)

    def _member(self, sid: str) -> str:
        return f"{self.bus.instance}.{sid}"

    async def join(self, room: str, sid: str) -> None:
        self._local[sid] = room
        key = self._key(room)
        async with self.bus.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(key, {self._member(sid): time.time() + self.TTL_S})
            pipe.expire(key, int(self.TTL_S * 4))
            await pipe.execute()

    async def leave(self, room: str, sid: str) -> None:
        self._local.pop(sid, None)
        await self.bus.redis.zrem(self._key(room), self._member(sid))

    async def anywhere(self, room: str) -> bool:
        try:
            return int(await self.bus.redis.zcount(self._key(room), time.time(), "+inf")) > 0
        except Exception as error:
            logger.warning("socket.io presence unknown (%s): the message waits for the replay", error)
            return False

    async def held_elsewhere(self, room: str) -> bool:
        """A socket of another instance has the session open (session ownership across instances)."""
        try:
            members = await self.bus.redis.zrangebyscore(self._key(room), time.time(), "+inf")
        except Exception as error:
            logger.warning("socket.io presence unknown (%s)", error)
            return False
        mine = f"{self.bus.instance}.".encode()
        return any(not bytes(member).startswith(mine) for member in members)

    async def refresh(self) -> None:
        if not self._local:
            return
        expires = time.time() + self.TTL_S
        async with self.bus.redis.pipeline(transaction=False) as pipe:
            for sid, room in list(self._local.items()):
                pipe.zadd(self._key(room), {self._member(sid): expires})
                pipe.expire(self._key(room), int(self.TTL_S * 4))
            await pipe.execute()

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.REFRESH_S)
            try:
                await self.refresh()
            except Exception as error:
                logger.warning("socket.io presence refresh failed: %s", error)

    async def forget_all(self) -> None:
        for sid, room in list(self._local.items()):
            with contextlib.suppress(Exception):
                await self.leave(room, sid)


def _metadata(data: dict[str, Any]) -> dict[str, Any] | None:
    raw = data.get("metadata", data.get("customData"))
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):
            return None
    return raw if isinstance(raw, dict) else None


class SocketIOChannel:
    """The website widget's channel (python-socketio server attached to the app)."""

    name = NAME
    # Set by setup().
    sio: socketio.AsyncServer
    db: Database  # created with the app, connected at startup

    def setup(self, app: web.Application, settings: Settings) -> bool:
        self.presence: RoomPresence | None = None
        manager: Any = None
        if BUS_KEY in app:  # several gateway instances: emits reach the widgets connected to any of them
            bus = app[BUS_KEY]
            manager = socketio.AsyncRedisManager(settings.redis_url, channel=bus.key("sio", "events"))
            self.presence = RoomPresence(bus)
        sio = socketio.AsyncServer(
            client_manager=manager,
            async_mode="aiohttp",
            cors_allowed_origins=_origins(settings.cors_origins),
            logger=False,
            engineio_logger=False,
            max_http_buffer_size=64 * 1024,
        )
        sio.attach(app, socketio_path="socket.io")
        self.sio = sio
        self.db = app[DB_KEY]

        presence = self.presence

        async def presence_ctx(app: web.Application) -> AsyncIterator[None]:
            task = None
            if presence is not None:
                # Listen to the other instances from the start (python-socketio otherwise
                # subscribes on the first client connection, and could miss an emit then).
                if not sio.manager_initialized:
                    sio.manager_initialized = True
                    sio.manager.initialize()
                task = asyncio.create_task(presence.run())
            yield
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                listener = getattr(sio.manager, "thread", None)
                if isinstance(listener, asyncio.Task):
                    listener.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await listener
                redis = getattr(sio.manager, "redis", None)
                if redis is not None:
                    with contextlib.suppress(Exception):
                        await redis.close()

        app.cleanup_ctx.append(presence_ctx)

        async def shutdown(app: web.Application) -> None:
            if presence is not None:
                await presence.forget_all()
            if sio.eio.sockets:
                await sio.eio.disconnect()  # every client (their ping tasks end)
            await sio.shutdown()  # the engine.io service task

        hooks.on_shutdown(app, shutdown)

        @sio.on("connect")
        async def connect(sid: str, environ: dict[str, Any], auth: dict[str, Any] | None = None) -> bool:
            request = environ.get("aiohttp.request")
            peer = getattr(request, "remote", None) or environ.get("REMOTE_ADDR")
            forwarded = environ.get("HTTP_X_FORWARDED_FOR")
            client = client_key(client_address(peer, forwarded, settings.trusted_proxies))
            await sio.save_session(sid, {"client": client})
            return True

        @sio.on("disconnect")
        async def disconnect(sid: str, *args: Any) -> None:
            logger.debug("socket.io client %s disconnected", sid)
            if presence is not None:
                with contextlib.suppress(KeyError):
                    current = (await sio.get_session(sid)).get("session_id")
                    if current:
                        await presence.leave(current, sid)

        async def join(sid: str, session_id: str) -> None:
            state = await sio.get_session(sid)
            current = state.get("session_id")
            if current == session_id:
                return
            if current:
                await _maybe_await(sio.leave_room(sid, current))
                if presence is not None:
                    await presence.leave(current, sid)
            await _maybe_await(sio.enter_room(sid, session_id))
            await sio.save_session(sid, {**state, "session_id": session_id})
            if presence is not None:
                await presence.join(session_id, sid)

        async def held_by_another(sid: str, session_id: str, grace_s: float) -> bool:
            """Whether another live connection holds the session (waiting up to `grace_s`
            for it to go)."""
            loop = asyncio.get_running_loop()
            deadline = loop.time() + grace_s
            while self.holders(session_id) - {sid} or (
                presence is not None and await presence.held_elsewhere(session_id)
            ):
                if loop.time() >= deadline:
                    return True
                await asyncio.sleep(0.1)
            return False

        @sio.on("session_request")
        async def session_request(sid: str, data: Any = None) -> None:
            # Each one costs a replay query: a client opening sessions in a loop is cut off
            # (the customer rate limits, an allowance of their own; the widget reconnects later).
            client = (await sio.get_session(sid)).get("client")
            if await app[ROUTER_KEY].limits.admit(f"{NAME}-connection:{sid}", client, kind="session") > 0:
                logger.info("socket.io session requests too fast from one client: disconnected")
                await sio.disconnect(sid)
                return
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = requested if isinstance(requested, str) and _SESSION_ID.match(requested) else None
            if session_id is not None and await held_by_another(sid, session_id, TAKEOVER_GRACE_S):
                logger.info("socket.io session_request for a session another connection holds: a fresh session")
                session_id = None
            session_id = session_id or uuid.uuid4().hex
            await join(sid, session_id)
            await sio.emit("session_confirm", session_id, to=sid)
            await self.replay(session_id, sid)

        @sio.on(USER_EVENT)
        async def user_uttered(sid: str, data: Any = None) -> None:
            if not isinstance(data, dict):
                return
            state = await sio.get_session(sid)
            session_id = state.get("session_id")
            if not session_id:  # no session_request first: the message's session, if nobody holds it
                claimed = data.get("session_id")
                if not (isinstance(claimed, str) and _SESSION_ID.match(claimed)):
                    logger.warning("socket.io message without a session id ignored (send session_request first)")
                    return
                if await held_by_another(sid, claimed, 0.0):
                    logger.warning("socket.io message for a session another connection holds ignored")
                    return
                session_id = claimed
                await join(sid, session_id)
            message = data.get("message")
            if not isinstance(message, str) or not message.strip():
                return
            message = message[: settings.max_message_chars]
            replies = await app[ROUTER_KEY].handle_customer_message(
                NAME, session_id, message, _metadata(data), client=state.get("client")
            )
            for reply in replies:
                await self.emit_message(session_id, reply)

        return True

    def holders(self, room: str) -> set[str]:
        """The connections (sids) in a session's room."""
        try:
            return {participant[0] for participant in self.sio.manager.get_participants("/", room)}
        except (KeyError, TypeError, ValueError):
            return set()

    async def has_listeners(self, room: str) -> bool:
        """Someone has the session open, here or (several instances) on another instance."""
        if self.holders(room):
            return True
        return self.presence is not None and await self.presence.anywhere(room)

    async def emit_message(self, room: str, message: OutboundMessage) -> None:
        for payload in to_socketio(message):
            await self.sio.emit(BOT_EVENT, payload, room=room)

    async def push(self, conversation: Conversation, message: OutboundMessage) -> None:
        room = conversation.channel_user_id
        if not await self.has_listeners(room):
            return  # replayed on the next session_request
        await self.emit_message(room, message)
        if message.id is not None:
            with self.db.session() as session:
                session.execute(
                    update(Message)
                    .where(Message.id == message.id)
                    .values(delivered_at=utcnow())
                    .execution_options(synchronize_session=False)
                )

    async def replay(self, session_id: str, sid: str) -> int:
        """Send the pushed messages this session missed while disconnected."""
        with self.db.session() as session:
            rows = (
                session.execute(
                    select(Message)
                    .join(Conversation, Conversation.id == Message.conversation_id)
                    .where(
                        Conversation.channel == NAME,
                        Conversation.channel_user_id == session_id,
                        Message.pushed.is_(True),
                        Message.delivered_at.is_(None),
                    )
                    .order_by(Message.id.desc())
                    .limit(REPLAY_LIMIT)
                )
                .scalars()
                .all()
            )
            if not rows:
                return 0
            session.execute(
                update(Message)
                .where(Message.id.in_([r.id for r in rows]))
                .values(delivered_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        for row in reversed(rows):
            for payload in to_socketio(OutboundMessage.from_row(row)):
                await self.sio.emit(BOT_EVENT, payload, to=sid)
        return len(rows)
