"""Queries of the assistant: lookups by tracking number and service requests."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.config import ROOT_DIR
from bot.db import session_scope
from bot.store.importer import import_jsonl
from bot.store.models import REQUEST_KINDS, ServiceRequest
from bot.store.repository import (
    REFERENCE_PREFIXES,
    create_service_request,
    get_service_request,
    get_shipment,
    get_shipments,
    open_requests_for,
)

from .conftest import SHIPMENTS_FIXTURE


@pytest.fixture
def loaded(session_factory: sessionmaker) -> sessionmaker:
    summary = import_jsonl(SHIPMENTS_FIXTURE, session_factory, progress=False)
    assert summary.rejected == 0
    return session_factory


# --------------------------------------------------------------------------- lookups


@pytest.mark.parametrize("typed", [
    "SF1402345678901",
    "sf1402345678901",
    "SF 1402 3456 7890 1",
    "sf-1402-3456-7890-1",
    "  SF1402345678901\n",
    "ＳＦ１４０２３４５６７８９０１",  # full-width, as typed with a Chinese IME
])
def test_lookup_ignores_case_spaces_dashes_and_width(loaded: sessionmaker, typed: str) -> None:
    with loaded() as session:
        shipment = get_shipment(session, typed)
        assert shipment is not None
        assert shipment.tracking_key == "SF1402345678901"


@pytest.mark.parametrize("typed", ["", None, "   ", "SF1402345678902", "x" * 10_000, "SF1402345678901" * 3])
def test_lookup_misses_return_none(loaded: sessionmaker, typed: str) -> None:
    with loaded() as session:
        assert get_shipment(session, typed) is None


def test_lookup_eager_loads_everything(loaded: sessionmaker) -> None:
    with loaded() as session:
        shipment = get_shipment(session, "4019283741")
    # The session is closed: lazy loading would fail here.
    assert shipment is not None
    assert shipment.events[-1].status == "customs_hold"
    assert shipment.exception is not None and shipment.exception.type == "customs_hold"
    assert shipment.customs is not None and shipment.customs.status == "duty_unpaid"
    assert shipment.delivery is None
    assert shipment.latest_event is shipment.events[-1]


def test_lookup_uses_few_queries(loaded: sessionmaker, engine: Engine) -> None:
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with loaded() as session:
            assert get_shipment(session, "YT2290112345678") is not None
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(statements) == 1  # shipment, scans, exception, delivery and customs in one query


def test_lookup_uses_the_tracking_key_index(loaded: sessionmaker) -> None:
    with loaded() as session:
        rows = session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM shipments WHERE tracking_key = 'SF1402345678901'"
        ).all()
    assert any("USING" in str(row) and "INDEX" in str(row) for row in rows), rows


def test_get_shipments_maps_every_key(loaded: sessionmaker) -> None:
    with loaded() as session:
        found = get_shipments(session, ["sf 1402 3456 7890 1", "1z999aa10123456784", "SF0000000000000",
                                        "SF1402345678901", "", "EA123456789CN"])
    assert list(found) == ["SF1402345678901", "1Z999AA10123456784", "SF0000000000000", "EA123456789CN"]
    assert found["SF0000000000000"] is None
    shipment = found["1Z999AA10123456784"]
    assert shipment is not None and shipment.status == "out_for_delivery"
    assert shipment.customs is not None and shipment.customs.status == "cleared"
    assert found["EA123456789CN"] is not None and found["EA123456789CN"].carrier == "EMS"


def test_get_shipments_with_many_keys(loaded: sessionmaker) -> None:
    keys = [f"SF{n:013d}" for n in range(1200)] + ["JDVA01234567890"]
    with loaded() as session:
        found = get_shipments(session, keys)
    assert len(found) == 1201
    assert found["JDVA01234567890"] is not None
    assert sum(1 for s in found.values() if s is not None) == 1
    with loaded() as session:
        assert get_shipments(session, []) == {}


# --------------------------------------------------------------------------- service requests


def test_create_service_request_with_reference(loaded: sessionmaker) -> None:
    now = datetime(2026, 11, 23, 17, 30, tzinfo=timezone.utc)  # already 24 Nov in China
    window = (datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc), datetime(2026, 11, 25, 4, 0, tzinfo=timezone.utc))
    with session_scope(loaded) as session:
        shipment = get_shipment(session, "SF1409876543210")
        request = create_service_request(session, "return_pickup", shipment, "conv-42",
                                         {"address": "广州市天河区天河路1号"}, window, now=now)
        reference = request.reference
        assert request.id is not None  # flushed

    assert re.fullmatch(r"RP-20261124-[2-9A-HJ-NP-Z]{6}", reference)
    with loaded() as session:
        stored = get_service_request(session, reference.lower())
        assert stored is not None
        assert stored.kind == "return_pickup" and stored.status == "open"
        assert stored.tracking_number == "SF1409876543210"
        assert stored.conversation_id == "conv-42"
        assert stored.details == {"address": "广州市天河区天河路1号"}
        assert (stored.time_window_start, stored.time_window_end) == window
        assert stored.created_at == now
        assert stored.as_dict()["reference"] == reference


@pytest.mark.parametrize("kind", REQUEST_KINDS)
def test_reference_prefix_per_kind(loaded: sessionmaker, kind: str) -> None:
    with session_scope(loaded) as session:
        shipment = get_shipment(session, "JDVA01234567890")
        request = create_service_request(session, kind, shipment, "conv", None)
    assert request.reference.startswith(REFERENCE_PREFIXES[kind] + "-")
    assert {"return_pickup": "RP", "address_change": "AC", "redelivery": "RD", "self_pickup": "SP"}.get(
        kind, "CL") == REFERENCE_PREFIXES[kind]


def test_references_are_unique(loaded: sessionmaker) -> None:
    with session_scope(loaded) as session:
        shipment = get_shipment(session, "751234567890")
        references = {create_service_request(session, "redelivery", shipment, "c", {}).reference
                      for _ in range(200)}
    assert len(references) == 200


def test_request_without_shipment(loaded: sessionmaker) -> None:
    with session_scope(loaded) as session:
        request = create_service_request(session, "non_receipt_claim", None, "conv-7", {"typed": "SF999"})
    assert request.shipment_id is None and request.tracking_number is None
    assert request.reference.startswith("CL-")


def test_invalid_requests_are_refused(loaded: sessionmaker) -> None:
    start = datetime(2026, 11, 25, 9, tzinfo=timezone.utc)
    with session_scope(loaded) as session:
        shipment = get_shipment(session, "751234567890")
        with pytest.raises(ValueError, match="unknown service request kind"):
            create_service_request(session, "teleport", shipment, "c", {})
        with pytest.raises(ValueError, match="end after"):
            create_service_request(session, "redelivery", shipment, "c", {}, (start, start - timedelta(hours=1)))
        with pytest.raises(ValueError, match="timezone-aware"):
            create_service_request(session, "redelivery", shipment, "c", {},
                                   (datetime(2026, 11, 25, 9), datetime(2026, 11, 25, 12)))
    with loaded() as session:
        assert session.execute(select(ServiceRequest)).first() is None


def test_open_requests_for(loaded: sessionmaker) -> None:
    with session_scope(loaded) as session:
        held = get_shipment(session, "751234567890")
        other = get_shipment(session, "9812345678901")
        first = create_service_request(session, "redelivery", held, "c1", {})
        closed = create_service_request(session, "redelivery", held, "c1", {})
        closed.status = "done"
        create_service_request(session, "self_pickup", held, "c1", {})
        create_service_request(session, "redelivery", other, "c2", {})
        first_ref = first.reference

    with loaded() as session:
        held = get_shipment(session, "751234567890")
        assert held is not None
        redeliveries = open_requests_for(session, held, "redelivery")
        assert [r.reference for r in redeliveries] == [first_ref]
        assert {r.kind for r in open_requests_for(session, held)} == {"redelivery", "self_pickup"}
        assert open_requests_for(session, held, "address_change") == []


# --------------------------------------------------------------------------- benchmark script


def test_benchmark_script_runs_on_a_small_store(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT_DIR / "benchmarks" / "bench_lookup.py"), "--count", "3000", "--lookups", "50",
         "--import-lines", "100", "--db", str(tmp_path / "bench.db")],
        cwd=ROOT_DIR, env={**os.environ, "PYTHONPATH": str(ROOT_DIR)}, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"^build: 3,000 shipments", result.stdout, re.M)
    assert re.search(r"^lookup: 50 random get_shipment: median \d+\.\d\d ms, p95 \d+\.\d\d ms", result.stdout, re.M)
    assert re.search(r"^import: 100 demo lines: [\d,]+ records/s new", result.stdout, re.M)
    assert not (tmp_path / "bench.db").exists()  # removed without --keep
