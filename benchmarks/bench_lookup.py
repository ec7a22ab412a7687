"""Benchmark the shipment store: lookup latency on a large table, import throughput.

    PYTHONPATH=. python benchmarks/bench_lookup.py [--count 1000000] [--lookups 1000]
                                                   [--import-lines 20000] [--db PATH] [--keep]

1. Builds --count synthetic shipments (4 scans each; some with an exception,
   proof of delivery or customs record) in a fresh SQLite file with bulk Core
   inserts, in chunks.
2. Times --lookups random `repository.get_shipment` calls (a new session each,
   numbers typed with random case/spaces/dashes) and prints median and p95.
3. Imports --import-lines demo records with the real importer into the same
   database (inserts), then again (updates), and prints records/s.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from bot.clock import utcnow
from bot.db import init_db, make_engine, make_session_factory
from bot.store.demo import write_demo_jsonl
from bot.store.importer import import_jsonl
from bot.store.models import CustomsRecord, ProofOfDelivery, Shipment, ShipmentException, TrackingEvent
from bot.store.repository import get_shipment

CHUNK = 20_000
EVENTS_PER_SHIPMENT = 4
# (carrier, key template): every key fits CARRIER_PATTERNS of its carrier.
TEMPLATES = (
    ("SF", "SF9{:012d}"),
    ("JD", "JDX{:012d}"),
    ("YTO", "YT9{:012d}"),
    ("ZTO", "ZTO76{:010d}"),
    ("YUNDA", "YD3{:012d}"),
    ("CNPOST", "9{:012d}"),
    ("STO", "268{:012d}"),
)
STATUSES = ("in_transit", "delivered", "out_for_delivery", "arrived_at_hub", "picked_up", "exception")


def synthetic_key(index: int) -> tuple[str, str]:
    carrier, template = TEMPLATES[index % len(TEMPLATES)]
    return carrier, template.format(index)


def _chunk_rows(start: int, stop: int, base: datetime) -> dict[Any, list[dict[str, Any]]]:
    shipments, events, exceptions, deliveries, customs = [], [], [], [], []
    now = utcnow()
    for i in range(start, stop):
        carrier, key = synthetic_key(i)
        status = STATUSES[i % len(STATUSES)]
        shipped = base - timedelta(minutes=i % 10_000)
        shipments.append(
            {
                "id": i + 1,
                "tracking_key": key,
                "tracking_number": key,
                "carrier": carrier,
                "carrier_name": None,
                "service": "standard",
                "order_id": None,
                "status": status,
                "origin": "深圳",
                "destination": "北京市朝阳区",
                "cross_border": i % 20 == 0,
                "sender_name": "张伟",
                "sender_phone": "13800000000",
                "sender_address": "深圳市南山区科技园南路1号",
                "recipient_name": "李娜",
                "recipient_phone": "13812345678",
                "recipient_address": "北京市朝阳区望京街1号",
                "customer_tier": "regular",
                "declared_value": float(i % 5000),
                "currency": "CNY",
                "weight_kg": 1.0,
                "shipped_at": shipped,
                "promised_by": shipped + timedelta(days=3),
                "eta": shipped + timedelta(days=3),
                "extra": None,
                "created_at": now,
                "updated_at": now,
            }
        )
        for seq in range(EVENTS_PER_SHIPMENT):
            events.append(
                {
                    "shipment_id": i + 1,
                    "seq": seq,
                    "time": shipped + timedelta(hours=6 * seq),
                    "location": "深圳市",
                    "status": "in_transit",
                    "description": "【深圳转运中心】已发出，下一站【北京转运中心】",
                }
            )
        if status == "exception" or i % 10 == 0:
            exceptions.append(
                {
                    "shipment_id": i + 1,
                    "type": "delay",
                    "reason": "中转场爆仓，快件积压",
                    "reported_at": shipped,
                    "new_eta": shipped + timedelta(days=4),
                }
            )
        if status == "delivered":
            deliveries.append(
                {
                    "shipment_id": i + 1,
                    "signed_at": shipped + timedelta(days=2),
                    "signed_by": "快递柜",
                    "location": "丰巢快递柜(朝阳路店)",
                    "pickup_code": f"{i % 1_000_000:06d}",
                }
            )
        if i % 20 == 0:
            customs.append(
                {
                    "shipment_id": i + 1,
                    "status": "cleared",
                    "duty_amount": 0.0,
                    "duty_currency": "CNY",
                    "required_documents": None,
                    "note": None,
                }
            )
    return {
        Shipment.__table__: shipments,
        TrackingEvent.__table__: events,
        ShipmentException.__table__: exceptions,
        ProofOfDelivery.__table__: deliveries,
        CustomsRecord.__table__: customs,
    }


def build(engine: Engine, count: int) -> float:
    """Bulk-insert count shipments; returns seconds."""
    started = time.perf_counter()
    base = datetime(2026, 11, 20, tzinfo=timezone.utc)
    for start in range(0, count, CHUNK):
        rows = _chunk_rows(start, min(start + CHUNK, count), base)
        with engine.begin() as conn:
            for table, table_rows in rows.items():
                if table_rows:
                    conn.execute(insert(table), table_rows)
        done = min(start + CHUNK, count)
        if sys.stderr.isatty():
            print(f"\r  built {done:,}/{count:,}", end="", file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    return time.perf_counter() - started


def typed_like_a_customer(key: str, rng: random.Random) -> str:
    text = key.lower() if rng.random() < 0.3 else key
    if rng.random() < 0.3:
        text = " ".join(text[i : i + 4] for i in range(0, len(text), 4))
    elif rng.random() < 0.3:
        text = "-".join(text[i : i + 5] for i in range(0, len(text), 5))
    return text


def time_lookups(engine: Engine, count: int, lookups: int, seed: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per lookup (CPU time is immune to a busy machine)."""
    factory = make_session_factory(engine)
    rng = random.Random(seed)
    samples = [synthetic_key(rng.randrange(count))[1] for _ in range(lookups)]
    for key in samples[:50]:  # warm-up: statement cache, pages
        with factory() as session:
            get_shipment(session, key)
    wall, cpu = [], []
    for key in samples:
        typed = typed_like_a_customer(key, rng)
        started, started_cpu = time.perf_counter(), time.thread_time()
        with factory() as session:
            shipment = get_shipment(session, typed)
            assert shipment is not None and shipment.tracking_key == key, typed
            assert len(shipment.events) == EVENTS_PER_SHIPMENT
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    return wall, cpu


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def time_import(engine: Engine, lines: int, workdir: Path) -> list[tuple[float, float]]:
    """(wall-clock, CPU-time) records/s for a first import (inserts) and a re-import (updates)."""
    path = workdir / "bench_import.jsonl"
    write_demo_jsonl(path, lines, seed=20_000)
    factory = make_session_factory(engine)
    rates = []
    for expected in ("inserted", "updated"):
        started, started_cpu = time.perf_counter(), time.process_time()
        summary = import_jsonl(path, factory, progress=False)
        elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        assert summary.rejected == 0 and getattr(summary, expected) == lines, summary
        rates.append((lines / elapsed, lines / elapsed_cpu))
    path.unlink()
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000, help="shipments to build (default 1,000,000)")
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("--import-lines", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", type=Path, help="SQLite file to create (default: a temporary file)")
    parser.add_argument("--keep", action="store_true", help="keep the database file")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="bench-store-"))
    db_path = args.db or workdir / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{db_path}")
    init_db(engine)
    try:
        seconds = build(engine, args.count)
        print(
            f"build: {args.count:,} shipments ({args.count * EVENTS_PER_SHIPMENT:,} scans) in {seconds:.1f} s "
            f"({args.count / seconds:,.0f} shipments/s), file {db_path.stat().st_size / 2**20:,.0f} MiB"
        )
        wall, cpu = time_lookups(engine, args.count, args.lookups, args.seed)
        print(
            f"lookup: {args.lookups} random get_shipment: median {statistics.median(wall):.2f} ms, "
            f"p95 {percentile(wall, 0.95):.2f} ms, max {max(wall):.2f} ms "
            f"(CPU time: median {statistics.median(cpu):.2f} ms, p95 {percentile(cpu, 0.95):.2f} ms)"
        )
        (new, new_cpu), (again, again_cpu) = time_import(engine, args.import_lines, workdir)
        print(
            f"import: {args.import_lines:,} demo lines: {new:,.0f} records/s new, {again:,.0f} records/s "
            f"re-imported/updated (per CPU second: {new_cpu:,.0f} and {again_cpu:,.0f})"
        )
        print(f"load average while running: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    finally:
        engine.dispose()
        if not args.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
