"""One asyncio.Lock per customer conversation (keyed by channel and channel user id),
created on demand and dropped when nobody holds or waits for it.

asyncio.Lock wakes its waiters first-in first-out, so messages of one customer are
processed, and answered, in the order they arrived."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class KeyedLocks:
    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    def _enter(self, key: Hashable) -> asyncio.Lock:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        return lock

    def _leave(self, key: Hashable) -> None:
        lock, users = self._locks[key]
        if users <= 1:
            del self._locks[key]
        else:
            self._locks[key] = (lock, users - 1)

    @asynccontextmanager
    async def hold(self, key: Hashable, ticket: int | None = None) -> AsyncIterator[None]:
        """Hold the key's lock. Registration happens synchronously when this is entered,
        so callers that enter in a given order acquire in that order. `ticket` (the stored
        message's id) orders the holders of the Redis implementation (bot/gateway/cluster.py)
        across gateway instances; here the order of entering already is the order."""
        lock = self._enter(key)
        try:
            async with lock:
                yield
        finally:
            self._leave(key)

    def __len__(self) -> int:
        return len(self._locks)
