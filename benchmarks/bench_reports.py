"""Benchmark the reports: a 30-day summary over a large history on PostgreSQL.

    PYTHONPATH=. python benchmarks/bench_reports.py [--conversations 200000] [--messages 1000000]
        [--days 60] [--shipments 10000] [--runs 5] [--server-url postgresql+psycopg2://postgres@127.0.0.1/postgres]
        [--database-url URL] [--keep]

1. Creates a PostgreSQL database of its own (bench_reports_<random>) on --server-url, or
   uses --database-url as it is (then nothing is generated when it already has history).
2. Loads --shipments demo shipments (real exceptions for causes and hot spots) and writes
   a demo history of --conversations conversations / --messages messages over --days days
   ending yesterday (`python -m bot reports demo-history`), then ANALYZE.
3. Times, --runs times each, the summary of the last 30 days (every metric, breakdown,
   KPI and the agents' workload) without grouping, by day and by channel, and the hot
   spots; one run of each metric alone; and the same summary without the report indexes
   (the baseline), side by side. Target: the summary under 1 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bot.config import load_settings
from bot.db import init_db, make_engine, make_session_factory
from bot.gateway.models import Conversation, ConversationStats, CsatAnswer, Handoff, Message
from bot.reports.agents import agent_workload
from bot.reports.demo_history import Plan, generate
from bot.reports.evaluate import evaluate_breakdowns, evaluate_metrics
from bot.reports.hotspots import hotspots
from bot.reports.period import Period, zone
from bot.reports.summary import build_scope, summary
from bot.reports.vocabulary import GroupBy
from bot.store.demo import generate_demo_records
from bot.store.importer import import_jsonl

# The indexes the reports rely on (bot/gateway/models.py); the baseline runs without them.
REPORT_INDEXES = [
    index
    for table in (ConversationStats, Handoff, CsatAnswer)
    for index in table.__table__.indexes
    if index.name
    in (
        "ix_gw_conversation_stats_created",
        "ix_gw_conversation_stats_handed_off",
        "ix_gw_conversation_stats_complaints",
        "ix_gw_handoffs_waiting_since",
        "ix_gw_csat_answers_created",
    )
]


def timed(function: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    durations, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        durations.append(time.perf_counter() - started)
    return durations, result


def figure(durations: list[float]) -> str:
    return (
        f"median {statistics.median(durations) * 1000:7.0f} ms   min {min(durations) * 1000:7.0f} ms   "
        f"max {max(durations) * 1000:7.0f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=200_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--shipments", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--server-url", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database-url", help="use this database instead of creating one")
    parser.add_argument("--keep", action="store_true", help="keep the database it created")
    args = parser.parse_args()

    created = None
    if args.database_url:
        url = args.database_url
    else:
        created = f"bench_reports_{uuid.uuid4().hex[:8]}"
        server = make_url(args.server_url)
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{created}"'))
        url = server.set(database=created).render_as_string(hide_password=False)
    engine = make_engine(url, hide_parameters=True)
    try:
        return run(args, engine)
    finally:
        engine.dispose()
        if created and not args.keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)'))
        elif created:
            print(f"kept database {url}")


def run(args: argparse.Namespace, engine: Any) -> int:
    init_db(engine)
    factory = make_session_factory(engine)
    settings = load_settings()
    tz = zone(settings.staffed_tz)
    with factory() as session:
        existing = session.execute(select(func.count(Conversation.id))).scalar_one()
    if not existing:
        started = time.perf_counter()
        lines = [
            json.dumps(r, ensure_ascii=False, default=str) for r in generate_demo_records(count=args.shipments, seed=11)
        ]
        import_jsonl(lines, factory, progress=False)
        print(f"shipments: {args.shipments} in {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        plan = Plan(conversations=args.conversations, messages=args.messages, days=args.days, tz=tz, chunk=5000)
        written = generate(factory, settings, plan)
        print(f"history: {written} in {time.perf_counter() - started:.0f} s", flush=True)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    with factory() as session:
        conversations = session.execute(select(func.count(Conversation.id))).scalar_one()
        messages = session.execute(select(func.count(Message.id))).scalar_one()
        first, last = session.execute(
            select(func.min(Conversation.created_at), func.max(Conversation.created_at))
        ).one()
    last_day = last.astimezone(tz).date()
    period = Period(last_day - timedelta(days=29), last_day, tz)
    now = datetime.now(timezone.utc)
    with factory() as session:
        in_period = session.execute(
            select(func.count(Conversation.id)).where(period.contains(Conversation.created_at))
        ).scalar_one()
    print(
        f"\ndatabase: PostgreSQL, {conversations} conversations, {messages} messages "
        f"({first:%Y-%m-%d} .. {last:%Y-%m-%d}); period {period.first_day} .. {period.last_day} "
        f"({in_period} conversations)\n"
    )

    def report(group_by: GroupBy | None) -> Callable[[], Any]:
        def call() -> Any:
            with factory() as session:
                return summary(session, settings, build_scope(settings, period, group_by, now))

        return call

    week = Period(last_day - timedelta(days=6), last_day, tz)

    def spots() -> Any:
        with factory() as session:
            return hotspots(session, week, settings.hotspot_min_count, settings.hotspot_jump_ratio)

    cases = [
        ("summary, 30 days, total", report(None)),
        ("summary, 30 days, by day", report(GroupBy.DAY)),
        ("summary, 30 days, by channel", report(GroupBy.CHANNEL)),
        ("hot spots, 7 vs 7 days", spots),
    ]
    with_indexes = {}
    for name, call in cases:
        call()  # warm the caches
        durations, _ = timed(call, args.runs)
        with_indexes[name] = durations
    print("parts of the summary (one run, 30 days, total):")
    scope = build_scope(settings, period, None, now)
    for part, function in (
        ("every metric (one query per subject)", evaluate_metrics),
        ("every breakdown", evaluate_breakdowns),
        ("agents' workload", agent_workload),
    ):
        with factory() as session:
            started = time.perf_counter()
            function(session, scope)
            print(f"  {part:40s} {(time.perf_counter() - started) * 1000:7.1f} ms")

    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for index in REPORT_INDEXES:
            index.drop(connection, checkfirst=True)
        connection.execute(text("ANALYZE"))
    without = {}
    try:
        for name, call in cases:
            call()
            durations, _ = timed(call, args.runs)
            without[name] = durations
    finally:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for index in REPORT_INDEXES:
                index.create(connection, checkfirst=True)
            connection.execute(text("ANALYZE"))

    print(f"\n{'':32s} {'with the report indexes':^56s} | baseline: without them")
    for name, _ in cases:
        print(f"{name:32s} {figure(with_indexes[name])} | {figure(without[name])}")
    target = statistics.median(with_indexes["summary, 30 days, total"])
    print(f"\nsummary of 30 days: {target * 1000:.0f} ms (target < 1000 ms: {'met' if target < 1 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
