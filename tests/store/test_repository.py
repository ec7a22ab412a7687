"""Queries of the assistant: lookups by tracking number and service requests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.config import ROOT_DIR
from bot.store.importer import import_jsonl
from bot.store.repository import get_shipment, get_shipments

from .conftest import SHIPMENTS_FIXTURE


@pytest.fixture
def loaded(session_factory: sessionmaker) -> sessionmaker:
    summary = import_jsonl(SHIPMENTS_FIXTURE, session_factory, progress=False)
    assert summary.rejected == 0
    return session_factory


# --------------------------------------------------------------------------- lookups


@pytest.mark.parametrize(
    "typed",
    [
        "SF1402345678901",
        "sf1402345678901",
        "SF 1402 3456 7890 1",
        "sf-1402-3456-7890-1",
        "  SF1402345678901\n",
        "ＳＦ１４０２３４５６７８９０１",  # full-width, as typed with a Chinese IME
    ],
)
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
        rows = (
            session.connection()
            .exec_driver_sql("EXPLAIN QUERY PLAN SELECT id FROM shipments WHERE tracking_key = 'SF1402345678901'")
            .all()
        )
    assert any("USING" in str(row) and "INDEX" in str(row) for row in rows), rows


def test_get_shipments_maps_every_key(loaded: sessionmaker) -> None:
    with loaded() as session:
        found = get_shipments(
            session,
            ["sf 1402 3456 7890 1", "1z999aa10123456784", "SF0000000000000", "SF1402345678901", "", "EA123456789CN"],
        )
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


# --------------------------------------------------------------------------- benchmark script


@pytest.mark.slow  # runs the benchmark script in a subprocess
def test_benchmark_script_runs_on_a_small_store(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT_DIR / "benchmarks" / "bench_lookup.py"),
            "--count",
            "3000",
            "--lookups",
            "50",
            "--import-lines",
            "100",
            "--db",
            str(tmp_path / "bench.db"),
        ],
        cwd=ROOT_DIR,
        env={**os.environ, "PYTHONPATH": str(ROOT_DIR)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"^build: 3,000 shipments", result.stdout, re.M)
    assert re.search(r"^lookup: 50 random get_shipment: median \d+\.\d\d ms, p95 \d+\.\d\d ms", result.stdout, re.M)
    assert re.search(r"^import: 100 demo lines: [\d,]+ records/s new", result.stdout, re.M)
    assert not (tmp_path / "bench.db").exists()  # removed without --keep
