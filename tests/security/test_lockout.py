"""The failure counting every personal-data check goes through (bot/security): limits per
subject across conversations, reservation before the check (concurrent guesses), windows,
and what a success withdraws. On SQLite, and on PostgreSQL with TEST_DATABASE_URL."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from bot.db import init_db, make_engine, make_session_factory
from bot.security import CLIENT, PARCEL, Grants, Lockout, Policy, Subject
from bot.security.lockout import count_rows


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def factory(database_url):
    engine = make_engine(database_url)
    init_db(engine)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_lockout(factory, clock, parcel=5, client=10, minutes=60):
    window = timedelta(minutes=minutes)
    return Lockout(
        factory,
        {PARCEL: Policy(parcel, window), CLIENT: Policy(client, window)},
        default=Policy(parcel, window),
        clock=clock,
    )


def test_failures_of_one_parcel_add_up_across_clients_until_it_is_locked(factory, clock) -> None:
    lockout = make_lockout(factory, clock)
    parcel = Subject(PARCEL, "YT2290112345678")
    for n in range(5):  # five different clients (conversations) guess wrong once each
        ticket = lockout.begin([parcel, Subject(CLIENT, f"client-{n}")])
        assert not ticket.locked
    ticket = lockout.begin([parcel, Subject(CLIENT, "client-fresh")])
    assert ticket.locked and ticket.locked_subject == parcel
    assert ticket.locked_until == clock.now + timedelta(minutes=60)
    assert lockout.is_locked(parcel)
    # a refused attempt counts nothing: the lock does not grow while someone hammers it
    assert lockout.failures(parcel) == 5
    assert lockout.failures(Subject(CLIENT, "client-fresh")) == 0


def test_a_client_is_locked_across_parcels(factory, clock) -> None:
    lockout = make_lockout(factory, clock, parcel=5, client=3)
    client = Subject(CLIENT, "203.0.113.9")
    for n in range(3):
        assert not lockout.begin([Subject(PARCEL, f"P{n}"), client]).locked
    ticket = lockout.begin([Subject(PARCEL, "P-other"), client])
    assert ticket.locked and ticket.locked_subject == client


def test_the_window_slides(factory, clock) -> None:
    lockout = make_lockout(factory, clock, parcel=2, minutes=10)
    parcel = Subject(PARCEL, "SF1")
    lockout.begin([parcel])
    clock.now += timedelta(minutes=6)
    lockout.begin([parcel])
    assert lockout.begin([parcel]).locked
    clock.now += timedelta(minutes=5)  # the first failure is 11 minutes old
    ticket = lockout.begin([parcel])
    assert not ticket.locked
    assert lockout.failures(parcel) == 2


def test_success_withdraws_only_what_was_proven(factory, clock) -> None:
    lockout = make_lockout(factory, clock)
    mine, victim, client = Subject(PARCEL, "MINE"), Subject(PARCEL, "VICTIM"), Subject(CLIENT, "c")
    for _ in range(3):  # "my parcel and yours": right digits for mine, a guess for the other
        ticket = lockout.begin([mine, victim, client])
        lockout.succeeded(ticket, [mine])
    assert lockout.failures(mine) == 0
    assert lockout.failures(victim) == 3
    assert lockout.failures(client) == 3
    ticket = lockout.begin([mine, client])
    lockout.succeeded(ticket)
    assert lockout.failures(client) == 3


def test_concurrent_guesses_cannot_all_slip_under_the_limit(factory, clock) -> None:
    lockout = make_lockout(factory, clock, parcel=5)
    parcel = Subject(PARCEL, "RACE")
    allowed: list[bool] = []
    start = threading.Barrier(20)

    def guess(n: int) -> None:
        start.wait()
        ticket = lockout.begin([parcel, Subject(CLIENT, f"bot-{n}")])
        allowed.append(not ticket.locked)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 20
    assert sum(allowed) <= 5
    assert lockout.failures(parcel) <= 5


def test_old_rows_are_cleaned_up(factory, clock) -> None:
    lockout = make_lockout(factory, clock, minutes=10)
    for n in range(4):
        lockout.begin([Subject(PARCEL, f"P{n}"), Subject(CLIENT, "c")])
    assert count_rows(factory) == 8
    clock.now += timedelta(minutes=11)
    lockout.begin([Subject(PARCEL, "new")])
    assert count_rows(factory) == 1


def test_grants_expire_when_idle_and_belong_to_one_conversation(factory, clock) -> None:
    grants = Grants(factory, timedelta(minutes=30), clock)
    parcel = Subject(PARCEL, "YT2290112345678")
    grants.grant("conversation-a", [parcel])
    assert grants.check("conversation-a", parcel)
    assert not grants.check("conversation-b", parcel)
    clock.now += timedelta(minutes=29)
    assert grants.check("conversation-a", parcel)  # used: the idle period starts again
    clock.now += timedelta(minutes=29)
    assert grants.check("conversation-a", parcel)
    assert not grants.check("conversation-a", parcel, since=clock.now - timedelta(minutes=1))  # a new session
    clock.now += timedelta(minutes=31)
    assert not grants.check("conversation-a", parcel)
    assert not grants.holds_any("conversation-a")
    assert grants.purge_expired() == 1
