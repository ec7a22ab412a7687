"""Small gateway helpers: staffed hours (bot/gateway/hours.py), per-customer locks
(bot/gateway/locks.py) and reading a satisfaction answer (router.parse_csat)."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta, timezone

import pytest

from bot.gateway.hours import is_staffed, next_staffed, parse_window
from bot.gateway.locks import KeyedLocks
from bot.gateway.router import parse_csat

UTC_PLUS_8 = timezone(timedelta(hours=8))


def shanghai(hour: int, minute: int = 0) -> datetime:
    """2 March 2026 at this Asia/Shanghai wall time (UTC+8, no DST), as aware UTC."""
    return datetime(2026, 3, 2, hour, minute, tzinfo=UTC_PLUS_8).astimezone(timezone.utc)


# --------------------------------------------------------------------------- hours


def test_parse_window() -> None:
    assert parse_window("08:00-22:00") == (time(8), time(22))
    assert parse_window("9-17:30") == (time(9), time(17, 30))
    assert parse_window("00:00-24:00") == (time(0), None)  # 24:00 is the end of the day
    assert parse_window("22:00") == (time(22), None)
    with pytest.raises(ValueError):
        parse_window("24:00-08:00")
    with pytest.raises(ValueError):
        parse_window("eight-ten")


@pytest.mark.parametrize(
    ("spec", "hour", "minute", "staffed"),
    [
        ("08:00-22:00", 7, 59, False),
        ("08:00-22:00", 8, 0, True),  # the start is inside
        ("08:00-22:00", 21, 59, True),
        ("08:00-22:00", 22, 0, False),  # the end is outside
        ("22:00-06:00", 23, 30, True),  # overnight
        ("22:00-06:00", 5, 59, True),
        ("22:00-06:00", 12, 0, False),
        ("00:00-24:00", 3, 0, True),
        ("always", 3, 0, True),
        ("24/7", 3, 0, True),
        ("", 3, 0, True),
    ],
)
def test_is_staffed_in_shanghai_time(spec: str, hour: int, minute: int, staffed: bool) -> None:
    assert is_staffed(shanghai(hour, minute), spec) is staffed


def test_is_staffed_in_another_zone() -> None:
    noon_utc = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)  # 20:00 in Shanghai
    assert is_staffed(noon_utc, "09:00-17:00", "UTC")
    assert not is_staffed(noon_utc, "09:00-17:00")


def test_next_staffed() -> None:
    open_now = shanghai(10)
    assert next_staffed(open_now, "08:00-22:00") == open_now
    # Before opening: today at 08:00 Shanghai (00:00 UTC); after closing: tomorrow.
    assert next_staffed(shanghai(6), "08:00-22:00") == datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc)
    assert next_staffed(shanghai(23), "08:00-22:00") == datetime(2026, 3, 3, 0, 0, tzinfo=timezone.utc)
    assert next_staffed(shanghai(12), "22:00-06:00") == datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc)
    assert next_staffed(shanghai(23), "08:00-22:00").tzinfo == timezone.utc


# --------------------------------------------------------------------------- locks


async def test_one_key_is_held_in_arrival_order_and_then_dropped() -> None:
    locks = KeyedLocks()
    order: list[str] = []
    release = asyncio.Event()

    async def first() -> None:
        async with locks.hold(("wechat", "u1")):
            order.append("first in")
            await release.wait()
            order.append("first out")

    async def later(name: str) -> None:
        async with locks.hold(("wechat", "u1")):
            order.append(name)

    task = asyncio.create_task(first())
    await asyncio.sleep(0)
    waiters = [asyncio.create_task(later(name)) for name in ("second", "third")]
    await asyncio.sleep(0.01)
    assert order == ["first in"]  # the others wait for the holder
    assert len(locks) == 1
    release.set()
    await asyncio.gather(task, *waiters)
    assert order == ["first in", "first out", "second", "third"]
    assert len(locks) == 0  # nobody holds or waits: the lock is gone


async def test_different_keys_do_not_wait_for_each_other() -> None:
    locks = KeyedLocks()
    release = asyncio.Event()

    async def hold_until_released() -> None:
        async with locks.hold(("rest", "a")):
            await release.wait()

    holder = asyncio.create_task(hold_until_released())
    await asyncio.sleep(0)

    async def other_key() -> int:
        async with locks.hold(("rest", "b")):
            return len(locks)

    assert await asyncio.wait_for(other_key(), timeout=5) == 2  # did not wait for ("rest", "a")
    release.set()
    await holder
    assert len(locks) == 0


async def test_a_failing_holder_releases_the_key() -> None:
    locks = KeyedLocks()
    with pytest.raises(RuntimeError):
        async with locks.hold("k"):
            raise RuntimeError("boom")
    assert len(locks) == 0
    async with locks.hold("k"):  # not left locked
        pass


# --------------------------------------------------------------------------- parse_csat


@pytest.mark.parametrize(
    ("answer", "score"),
    [
        ("5", 5),
        ("1", 1),
        ("５", 5),  # full-width digit
        (" 4分 ", 4),
        ("五星", 5),
        ("两颗星", 2),
        ("三分。", 3),
        ("3 stars", 3),
        ("1 star", 1),
        ("4 points!", 4),
    ],
)
def test_parse_csat_reads_a_rating(answer: str, score: int) -> None:
    assert parse_csat(answer) == score


@pytest.mark.parametrize("answer", ["0", "6", "10", "45", "很好", "5 stars please call me", "我的单号是5", "", "五六"])
def test_parse_csat_ignores_anything_else(answer: str) -> None:
    assert parse_csat(answer) is None
