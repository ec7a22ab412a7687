"""The case rules against a real database: opening and reuse, references (also under
concurrency), SLA deadlines, the status machine and claim stages, SLA pause, overdue."""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.cases import references, service
from bot.cases.models import Case, CaseEvent
from bot.cases.service import CaseError
from bot.cases.sla import parse_spec
from bot.config import Settings
from bot.contract import CaseType
from bot.db import session_scope

# Monday 30 November 2026, 10:00 in Shanghai.
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
PARCEL = ("SF1402345678901", "SF1402345678901")


def _open(factory, settings, case_type="damage_claim", **kwargs):
    with session_scope(factory) as session:
        case, created = service.open_case(
            session,
            settings,
            case_type,
            kwargs.pop("now", NOW),
            conversation_id=kwargs.pop("conversation_id", "conv-1"),
            parcels=kwargs.pop("parcels", [PARCEL]),
            **kwargs,
        )
        return case.id, case.reference, created


def test_reference_is_daily_and_sequential(factory, settings):
    first = _open(factory, settings)
    second = _open(factory, settings, "loss_claim")
    third = _open(factory, settings, parcels=[("YT2290112345678", "YT2290112345678")])
    assert [first[1], second[1], third[1]] == ["CS20261130-0001", "CS20261130-0002", "CS20261130-0003"]
    # Local (Shanghai) date: 17:00 UTC is already the next day there.
    late = _open(
        factory,
        settings,
        now=datetime(2026, 11, 30, 17, 0, tzinfo=timezone.utc),
        parcels=[("EA123456789CN", "EA123456789CN")],
    )
    assert late[1] == "CS20261201-0001"


def test_references_race_free_across_threads(factory, settings):
    results: list[str] = []
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            for n in range(5):
                _, reference, _ = _open(factory, settings, "ticket", parcels=[], conversation_id=f"c{index}-{n}")
                results.append(reference)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(results) == 30 and len(set(results)) == 30
    assert sorted(results) == [f"CS20261130-{n:04d}" for n in range(1, 31)]


def test_find_references_in_text():
    assert references.find_references("CS20261130-0042 进度") == ["CS20261130-0042"]
    assert references.find_references("我的理赔cs20261130 0042怎么样了") == ["CS20261130-0042"]
    assert references.find_references("CS202611300042") == ["CS20261130-0042"]
    assert references.find_references("SF1402345678901") == []


def test_open_reuses_the_open_case_of_the_parcel(factory, settings):
    first = _open(factory, settings)
    again = _open(factory, settings, conversation_id="conv-2")
    assert again[0] == first[0] and again[2] is False
    with session_scope(factory) as session:
        case = service.get_case(session, first[0])
        assert case.conversation_ids == ["conv-1", "conv-2"]
        assert case.tracking_numbers == ["SF1402345678901"]
        assert case.stage == "registered"
        kinds = [e.kind for e in session.execute(select(CaseEvent).where(CaseEvent.case_id == case.id)).scalars()]
        assert kinds == ["created", "linked"]
    other_type = _open(factory, settings, "return_pickup")
    assert other_type[0] != first[0]


def test_deadlines_follow_the_sla_and_staffed_hours(factory, settings):
    case_id, _, _ = _open(factory, settings)
    with session_scope(factory) as session:
        case = session.get(Case, case_id)
        assert case.respond_by == NOW + timedelta(hours=1)  # damage claims: contacted within 1 h
        assert case.resolve_by == NOW + timedelta(hours=24)
        assert case.due_at == case.respond_by
    night = dataclasses.replace(settings, staffed_hours="08:00-22:00")
    at_night = datetime(2026, 11, 30, 15, 30, tzinfo=timezone.utc)  # 23:30 in Shanghai
    case_id, _, _ = _open(factory, night, "ticket", parcels=[], now=at_night)
    with session_scope(factory) as session:
        case = session.get(Case, case_id)
        opening = datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc)  # 08:00 in Shanghai
        assert case.respond_by == opening + timedelta(minutes=15)
    window = (NOW + timedelta(hours=20), NOW + timedelta(hours=23))
    case_id, _, _ = _open(factory, settings, "return_pickup", window=window)
    with session_scope(factory) as session:
        case = session.get(Case, case_id)
        assert case.resolve_by == window[1] and case.due_at == window[1]


def test_sla_spec_overrides_and_rejects_garbage():
    table = parse_spec("damage_claim=30m/2d, address_change=4h")
    assert table[CaseType.DAMAGE_CLAIM].respond == timedelta(minutes=30)
    assert table[CaseType.DAMAGE_CLAIM].resolve == timedelta(days=2)
    assert table[CaseType.ADDRESS_CHANGE].respond is None
    for bad in ("nonsense=1h", "damage_claim=abc", "damage_claim", "ticket=-5m"):
        with pytest.raises(ValueError):
            parse_spec(bad)


def test_status_machine_and_stages(factory, settings):
    case_id, _, _ = _open(factory, settings)
    agent = service.Actor(service.MessageRole.SYSTEM)
    with session_scope(factory) as session:
        case = session.get(Case, case_id)
        with pytest.raises(CaseError) as failure:
            service.change_status(session, case, "open", agent, NOW)
        assert failure.value.code == "invalid_transition"
        service.change_status(session, case, "in_progress", agent, NOW, stage="assessment", note="查看照片")
        assert (case.status, case.stage) == ("in_progress", "assessment")
        with pytest.raises(CaseError) as failure:
            service.change_status(session, case, None, agent, NOW, stage="payout")  # skips stages
        assert failure.value.code == "invalid_stage"
        service.change_status(session, case, None, agent, NOW, stage="liability")
        service.change_status(session, case, None, agent, NOW, stage="assessment")  # rework is allowed
        service.change_status(session, case, "resolved", agent, NOW + timedelta(hours=2))
        assert case.resolved_at == NOW + timedelta(hours=2)
        service.change_status(session, case, "closed", agent, NOW + timedelta(hours=3))
        with pytest.raises(CaseError):
            service.change_status(session, case, "waiting_customer", agent, NOW)
        service.change_status(session, case, "in_progress", agent, NOW + timedelta(hours=4))  # reopened
        assert case.resolved_at is None and case.closed_at is None
        events = (
            session.execute(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))
            .scalars()
            .all()
        )
        assert [(e.kind, e.from_value, e.to_value) for e in events][1:] == [
            ("status", "open", "in_progress"),
            ("stage", "registered", "assessment"),
            ("stage", "assessment", "liability"),
            ("stage", "liability", "assessment"),
            ("status", "in_progress", "resolved"),
            ("status", "resolved", "closed"),
            ("status", "closed", "in_progress"),
        ]
        assert events[1].text == "查看照片"
    ticket_id, _, _ = _open(factory, settings, "ticket", parcels=[])
    with session_scope(factory) as session:
        with pytest.raises(CaseError) as failure:
            service.change_status(session, session.get(Case, ticket_id), None, agent, NOW, stage="assessment")
        assert failure.value.code == "invalid_stage"


def test_waiting_for_the_customer_pauses_the_clock(factory, settings):
    case_id, _, _ = _open(factory, settings, "ticket", parcels=[])
    with session_scope(factory) as session:
        case = session.get(Case, case_id)
        due = case.due_at
        service.change_status(session, case, "waiting_customer", service.SYSTEM, NOW + timedelta(minutes=5))
        assert not service.is_overdue(case, NOW + timedelta(hours=5))
        service.change_status(session, case, "in_progress", service.SYSTEM, NOW + timedelta(hours=2, minutes=5))
        assert case.due_at == due + timedelta(hours=2)


def test_first_contact_moves_the_due_time(factory, settings):
    case_id, _, _ = _open(factory, settings)
    with session_scope(factory) as session:
        case = session.get(Case, case_id)
        assert service.record_contact(case, NOW + timedelta(minutes=20)) is True
        assert case.due_at == case.resolve_by
        assert service.record_contact(case, NOW + timedelta(minutes=30)) is False


def test_overdue_cases_are_flagged_once_with_a_higher_priority(factory, settings):
    damage, _, _ = _open(factory, settings)
    pickup, _, _ = _open(factory, settings, "return_pickup")
    later = NOW + timedelta(hours=1, minutes=1)
    with session_scope(factory) as session:
        flagged = service.mark_overdue(session, later)
        assert [c.id for c in flagged] == [damage]
        assert flagged[0].priority == "high" and flagged[0].overdue_since == later
        assert service.count_overdue(session, later) == 1
        listed = service.list_cases(session, later, overdue=True)
        assert [c.id for c in listed] == [damage]
    with session_scope(factory) as session:
        assert service.mark_overdue(session, later + timedelta(minutes=5)) == []
        ordered = service.list_cases(session, later)
        assert [c.id for c in ordered] == [damage, pickup]  # by due time


def test_claim_amount_and_remedy(factory, settings):
    case_id, _, _ = _open(factory, settings)
    with session_scope(factory) as session:
        case = session.get(Case, case_id)
        service.update_claim(session, case, service.SYSTEM, NOW, amount="120.5", remedy="compensation")
        assert str(case.amount) == "120.50" and case.remedy == "compensation"
        for bad in ({"amount": "abc"}, {"amount": -1}, {"remedy": "cash"}):
            with pytest.raises(CaseError):
                service.update_claim(session, case, service.SYSTEM, NOW, **bad)


def test_cases_for_conversations_and_reference_lookup(factory, settings):
    case_id, reference, _ = _open(factory, settings)
    _open(factory, settings, "ticket", parcels=[], conversation_id="other")
    with session_scope(factory) as session:
        assert [c.id for c in service.cases_for_conversations(session, ["conv-1"])] == [case_id]
        assert service.find_by_reference(session, reference.lower()).id == case_id
        assert service.find_by_reference(session, "CS19990101-0001") is None
        assert service.find_by_reference(session, "") is None


def test_settings_have_a_public_url(tmp_path):
    settings = Settings(data_dir=tmp_path, gateway_port=9123)
    assert settings.public_url.endswith(":9123")
