"""Rate limits of customer messages: per conversation and per client (address, or the
WeChat user), from settings like "6 per 10 seconds; 30 per minute" ("off" = none).

Each limit "N per T" is a GCRA (a token bucket kept as one timestamp per key): a burst of
N, then one more every T/N. A request is admitted only when every limit of every key
admits it, and only an admitted request uses up allowance (a customer who was asked to
slow down is not kept waiting longer by the refused messages). The table is an LRU of at
most `max_keys` keys per limiter, so memory stays bounded whatever ids or addresses a
client invents (a key pushed out forgets its use: it can only gain allowance).

With REDIS_URL set the timestamps live in Redis (a Lua script per check), shared by every
gateway instance; keys expire after their longest window."""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

_UNITS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}
_LIMIT = re.compile(r"^\s*(\d+)\s*(?:/|per)\s*(\d+(?:\.\d+)?)?\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE)
OFF = ("", "off", "none", "0", "false", "no")


@dataclass(frozen=True)
class Limit:
    count: int
    window_s: float

    @property
    def interval(self) -> float:
        return self.window_s / self.count


def parse_limits(spec: str) -> tuple[Limit, ...]:
    """ "6 per 10 seconds; 30 per minute" -> limits; "off" -> none. Raises ValueError on a typo."""
    if spec.strip().lower() in OFF:
        return ()
    limits = []
    for part in spec.split(";"):
        if not part.strip():
            continue
        match = _LIMIT.match(part)
        if not match or int(match.group(1)) < 1:
            raise ValueError(f"rate limit {part.strip()!r}: expected 'N per [M] second|minute|hour|day'")
        amount = float(match.group(2) or 1)
        limits.append(Limit(int(match.group(1)), amount * _UNITS[match.group(3).lower()]))
    return tuple(limits)


class MemoryBuckets:
    """GCRA state (one "theoretical arrival time" per key and limit) in an LRU dict."""

    def __init__(self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_keys = max_keys
        self.clock = clock
        self._tat: OrderedDict[str, tuple[float, ...]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._tat)

    async def take(self, keys: Sequence[tuple[str, tuple[Limit, ...]]]) -> float:
        """Use one request of every key if all admit it: 0.0. Otherwise nothing is used and
        the answer is the seconds until they would (> 0)."""
        now = self.clock()
        wait = 0.0
        updates: list[tuple[str, tuple[float, ...]]] = []
        for key, limits in keys:
            if not limits:
                continue
            stored = self._tat.get(key) or (0.0,) * len(limits)
            new = []
            for limit, tat in zip(limits, stored, strict=True):
                tat = max(tat, now)
                allowed_at = tat - (limit.window_s - limit.interval)
                wait = max(wait, allowed_at - now)
                new.append(tat + limit.interval)
            updates.append((key, tuple(new)))
        if wait > 0:
            return wait
        for key, new_tat in updates:
            self._tat[key] = new_tat
            self._tat.move_to_end(key)
        while len(self._tat) > self.max_keys:
            self._tat.popitem(last=False)
        return 0.0


# KEYS: the bucket keys; ARGV: now, then per key: number of limits n, then n pairs (window, interval).
_GCRA_LUA = """
local now = tonumber(ARGV[1])
local wait = 0
local pos = 2
local plans = {}
for i, key in ipairs(KEYS) do
  local n = tonumber(ARGV[pos]); pos = pos + 1
  local stored = redis.call('LRANGE', key, 0, -1)
  local new = {}
  local longest = 0
  for j = 1, n do
    local window = tonumber(ARGV[pos]); local interval = tonumber(ARGV[pos + 1]); pos = pos + 2
    local tat = tonumber(stored[j] or '0') or 0
    if tat < now then tat = now end
    local allowed_at = tat - (window - interval)
    if allowed_at - now > wait then wait = allowed_at - now end
    new[j] = tostring(tat + interval)
    if window > longest then longest = window end
  end
  plans[i] = {key, new, longest}
end
if wait > 0 then return tostring(wait) end
for _, plan in ipairs(plans) do
  redis.call('DEL', plan[1])
  redis.call('RPUSH', plan[1], unpack(plan[2]))
  redis.call('EXPIRE', plan[1], math.ceil(plan[3]) + 1)
end
return '0'
"""


class RedisBuckets:
    """The same GCRA in Redis (shared by the gateway instances of one deployment)."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis.asyncio as redis_asyncio

        self.redis: Any = redis_asyncio.Redis.from_url(url)
        self.prefix = prefix + "ratelimit:"
        self._script: Any = self.redis.register_script(_GCRA_LUA)

    async def take(self, keys: Sequence[tuple[str, tuple[Limit, ...]]]) -> float:
        chosen = [(key, limits) for key, limits in keys if limits]
        if not chosen:
            return 0.0
        args: list[Any] = [time.time()]
        for _, limits in chosen:
            args.append(len(limits))
            for limit in limits:
                args += [limit.window_s, limit.interval]
        result = await self._script(keys=[self.prefix + key for key, _ in chosen], args=args)
        return max(0.0, float(result))

    async def close(self) -> None:
        await self.redis.aclose() if hasattr(self.redis, "aclose") else await self.redis.close()


Buckets = MemoryBuckets | RedisBuckets


class CustomerLimits:
    """The limits of customer input (RATE_LIMIT_CONVERSATION, RATE_LIMIT_CLIENT): whether
    a message (or a long poll) may go on, and whether to say "please slow down" (once per
    burst: the refused messages after the first get no answer)."""

    def __init__(self, conversation_spec: str, client_spec: str, buckets: Buckets, max_warned: int = 100_000) -> None:
        self.conversation = parse_limits(conversation_spec)
        self.client = parse_limits(client_spec)
        self.buckets = buckets
        self.max_warned = max_warned
        self._warned: OrderedDict[str, None] = OrderedDict()

    @property
    def active(self) -> bool:
        return bool(self.conversation or self.client)

    async def admit(self, conversation: str, client: str | None, kind: str = "msg") -> float:
        """0.0 when the request may go on (and is counted); else seconds to wait.
        `kind` keeps separate allowances (messages, long polls)."""
        if not self.active:
            return 0.0
        keys = [(f"{kind}:conv:{conversation}", self.conversation)]
        if client:
            keys.append((f"{kind}:client:{client}", self.client))
        try:
            wait = await self.buckets.take(keys)
        except Exception as error:  # a limiter that fails must not stop the service
            logger.warning("rate limiter unavailable (%s): request admitted", type(error).__name__)
            return 0.0
        if wait <= 0 and kind == "msg":
            self._warned.pop(conversation, None)
        return wait

    def first_refusal(self, conversation: str) -> bool:
        """True the first time after an admitted message that this conversation is refused."""
        if conversation in self._warned:
            return False
        self._warned[conversation] = None
        while len(self._warned) > self.max_warned:
            self._warned.popitem(last=False)
        return True

    async def close(self) -> None:
        if isinstance(self.buckets, RedisBuckets):
            await self.buckets.close()


def customer_limits(conversation_spec: str, client_spec: str, redis_url: str = "", prefix: str = "") -> CustomerLimits:
    buckets: Buckets = RedisBuckets(redis_url, prefix) if redis_url else MemoryBuckets()
    return CustomerLimits(conversation_spec, client_spec, buckets)
