"""What several gateway instances share through Redis (REDIS_URL set): an event bus
(pub/sub) for the agent hub, long-poll wake-ups and lock releases, and the
per-customer ordering lock. Without REDIS_URL none of this is created: the gateway
keeps its in-memory implementations (bot/gateway/locks.py, hub.py, channels).

Keys and channels (all under REDIS_KEY_PREFIX, default "parcel:"; docs/gateway-contract.md):
  gw:events                 pub/sub channel of the gateway instances (JSON {"kind", "origin", "data"})
  gw:lock:<channel>|<user>  sorted set: the queue of one customer's turns (member: holder token,
                            score: the stored message id, or just after the last one for agent actions)
  gw:lease:<token>          a queued holder is alive (PX 15 s, refreshed every 5 s by its instance)
  sio:events                python-socketio's AsyncRedisManager channel (emits to widgets on any instance)
  sio:room:<session id>     sorted set of the sockets that have the session open (score: when the entry
                            lapses; refreshed every 10 s, TTL 30 s), see channels/socketio.py RoomPresence
  wechat:msg:<channel>:<user>:<MsgId>        SET NX EX 120: the first instance to see a message answers it
  wechat:msg:<channel>:media:<user>:<MsgId>  the same for images and videos
  wechat:buttons:<channel>:<user>            JSON options last shown ("回复 1 …"), EX 24 h
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from typing import Any

from bot.gateway.locks import KeyedLocks

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]


class RedisBus:
    """One pub/sub channel shared by the gateway instances. `publish(kind, data)` reaches
    the handlers registered with `on(kind, ...)` on every *other* instance (the sender has
    already acted locally); events of one sender arrive in the order it sent them."""

    def __init__(self, url: str, prefix: str) -> None:
        from redis import asyncio as aioredis

        self.redis = aioredis.Redis.from_url(url, health_check_interval=30)
        self.prefix = prefix
        self.channel = self.key("gw", "events")
        self.instance = uuid.uuid4().hex
        self._handlers: dict[str, Handler] = {}
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def on(self, kind: str, handler: Handler) -> None:
        self._handlers[kind] = handler

    async def publish(self, kind: str, data: dict[str, Any]) -> None:
        payload = json.dumps({"kind": kind, "origin": self.instance, "data": data}, ensure_ascii=False, default=str)
        try:
            await self.redis.publish(self.channel, payload)
        except Exception as error:  # the local side already happened; the others miss this one
            logger.warning("could not publish a %s event to the other gateway instances: %s", kind, error)

    async def start(self, timeout_s: float = 10.0) -> None:
        self._task = asyncio.create_task(self._listen())
        await asyncio.wait_for(self._subscribed.wait(), timeout_s)

    async def _listen(self) -> None:
        delay = 0.5
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._subscribed.set()
                delay = 0.5
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        await self._dispatch(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.warning("gateway event bus: %s (reconnecting in %.1f s)", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.shield(pubsub.close())

    async def _dispatch(self, raw: bytes) -> None:
        try:
            event = json.loads(raw)
            if event.get("origin") == self.instance:
                return
            handler = self._handlers.get(event.get("kind"))
            if handler is not None:
                await handler(event.get("data") or {})
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("gateway event bus: handling an event failed")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.redis.close()
        with contextlib.suppress(Exception):
            await self.redis.connection_pool.disconnect()


class SeenOnce:
    """`first(key)`: True for the first instance to see `key` within `ttl_s` (SET NX EX),
    e.g. a WeChat message id that WeChat retries, possibly to another instance."""

    def __init__(self, redis: Any, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    async def first(self, key: str, ttl_s: float) -> bool:
        try:
            return bool(await self.redis.set(self.prefix + key, "1", nx=True, ex=max(1, int(ttl_s))))
        except Exception as error:  # Redis unreachable: better answer twice than not at all
            logger.warning("could not check a message id in Redis: %s", error)
            return True


# Queue a holder: score = the ticket, or (none) just after the last one queued; its lease.
_ENQUEUE = """
local score = ARGV[2]
if score == '' then
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  if last[2] then score = tonumber(last[2]) + 0.001 else score = 0 end
end
redis.call('ZADD', KEYS[1], score, ARGV[1])
redis.call('PEXPIRE', KEYS[1], 86400000)
redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
return tostring(score)
"""

# 1: the holder is first in the queue (holders whose lease lapsed are dropped on the way);
# 0: it waits; -1: it is no longer queued (its lease lapsed).
_AT_HEAD = """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return -1 end
while true do
  local head = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
  if head == ARGV[1] then return 1 end
  if redis.call('EXISTS', ARGV[2] .. head) == 1 then return 0 end
  redis.call('ZREM', KEYS[1], head)
end
"""


class RedisKeyedLocks(KeyedLocks):
    """KeyedLocks across gateway instances: one customer's turns (and the agent actions on
    their chat) run one at a time whichever instance received them, in ticket order — the
    router's ticket is the stored message's id, so messages are answered in the order they
    were stored. A queue in a Redis sorted set; a holder whose instance died is dropped
    when its lease lapses (LEASE_S). Waiters are woken by the release event (bus), with
    a poll every POLL_S as a safety net; after WAIT_LIMIT_S a waiter goes ahead (logged)."""

    LEASE_S = 15.0
    REFRESH_S = 5.0
    POLL_S = 1.0
    WAIT_LIMIT_S = 180.0

    def __init__(self, bus: RedisBus) -> None:
        super().__init__()
        self.bus = bus
        self._wakers: dict[str, set[asyncio.Event]] = {}
        self._enqueue = bus.redis.register_script(_ENQUEUE)
        self._at_head = bus.redis.register_script(_AT_HEAD)
        bus.on("lock", self._on_release)

    @staticmethod
    def _name(key: Hashable) -> str:
        return "|".join(str(part) for part in key) if isinstance(key, tuple) else str(key)

    async def _on_release(self, data: dict[str, Any]) -> None:
        self._wake(str(data.get("key", "")))

    def _wake(self, name: str) -> None:
        for event in self._wakers.get(name, ()):
            event.set()

    async def _refresh(self, lease: str) -> None:
        while True:
            await asyncio.sleep(self.REFRESH_S)
            try:
                await self.bus.redis.pexpire(lease, int(self.LEASE_S * 1000))
            except Exception as error:
                logger.warning("could not refresh a conversation lock lease: %s", error)

    @asynccontextmanager
    async def hold(self, key: Hashable, ticket: int | None = None) -> AsyncIterator[None]:
        name = self._name(key)
        queue = self.bus.key("gw", "lock", name)
        token = f"{self.bus.instance}.{uuid.uuid4().hex[:12]}"
        lease = self.bus.key("gw", "lease", token)
        lease_prefix = self.bus.key("gw", "lease", "")
        event = asyncio.Event()
        self._wakers.setdefault(name, set()).add(event)
        self._enter(key)  # local count (len(), tests)
        refresher = asyncio.create_task(self._refresh(lease))
        try:
            args = [token, "" if ticket is None else str(ticket), int(self.LEASE_S * 1000)]
            score = await self._enqueue(keys=[queue, lease], args=args)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.WAIT_LIMIT_S
            while True:
                event.clear()
                state = await self._at_head(keys=[queue], args=[token, lease_prefix])
                if state == 1:
                    break
                if state == -1:  # dropped as dead (this process stalled): queue again, same place
                    await self._enqueue(keys=[queue, lease], args=[token, score, int(self.LEASE_S * 1000)])
                    continue
                if loop.time() >= deadline:
                    logger.warning("conversation lock %s not free after %.0f s: going ahead", queue, self.WAIT_LIMIT_S)
                    break
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(event.wait(), self.POLL_S)
            yield
        finally:
            refresher.cancel()
            waiters = self._wakers.get(name)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._wakers[name]
            self._leave(key)
            try:
                await asyncio.shield(self._release(queue, lease, token, name))
            except Exception as error:  # its lease lapses: the next one goes on after LEASE_S
                logger.warning("could not release conversation lock %s: %s", queue, error)

    async def _release(self, queue: str, lease: str, token: str, name: str) -> None:
        async with self.bus.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(queue, token)
            pipe.delete(lease)
            await pipe.execute()
        self._wake(name)
        await self.bus.publish("lock", {"key": name})
