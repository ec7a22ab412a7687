"""Load test of the multi-instance layout: many customers typing faster than the replies
come, each customer's messages spread over the gateways, and then, from the database,
every acknowledged message counted: 0 lost, 0 duplicated, 0 out of order.

    source scripts/env.sh
    # start a layout itself (PostgreSQL + Redis on this machine; a database made for the run):
    python benchmarks/load_test.py --start 2,2,1            # gateways, Rasa, action servers
    # or against a layout that is already running (its gateways and its database):
    python benchmarks/load_test.py --gateways http://127.0.0.1:8080,http://127.0.0.1:8081 \\
        --database-url postgresql+psycopg2://postgres@127.0.0.1/parcel

Each customer (a REST sender of its own) sends `--messages` distinct messages in bursts
(`--burst` messages `--burst-gap` seconds apart, like someone typing several short lines,
then a pause that keeps within the per-conversation rate limit), never waiting for the
replies of a burst before typing the next line; message k goes to gateway k mod N, so
consecutive messages of one customer reach different gateways. Customers start
`--arrival` seconds apart. Each customer has a client address of its own
(X-Forwarded-For; the started layout trusts 127.0.0.1 as its proxy), as behind a proxy.

Counted from the database afterwards (gw_messages of the run's senders, in id order):
- lost: a message the gateway acknowledged (HTTP 200) that is not stored;
- duplicated: a message stored more than once;
- out of order: a customer's stored messages not in the order the customer sent them;
- busy: customers handed to the human queue because no Rasa answered (reason system_busy);
plus acknowledged messages per second and the latency of the acknowledgements.
Exit status 1 when anything was lost, duplicated or out of order.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import ROOT, Stack, create_database, drop_database, keep_secret, percentile, secret_header

# Twenty distinct things a customer asks about the demo parcels (every demo store has
# them: bot/store/demo_data.py SHOWCASE); each customer starts at another point of the list.
MESSAGES = [
    "你好",
    "SF1402345678901 到哪了",
    "什么时候能到",
    "为什么这么慢",
    "我的快递 1Z999AA10123456784 到哪里了",
    "when will it arrive?",
    "EA123456789CN 什么时候送到",
    "好的",
    "查一下 YT2290112345678",
    "现在到哪了",
    "4019283741 清关要交多少税",
    "需要什么材料",
    "773123456789012 为什么不送",
    "751234567890 怎么还不派送",
    "JDVA01234567890 现在在哪",
    "能帮我查一下物流吗",
    "预计几号到",
    "嗯嗯",
    "知道了",
    "谢谢",
]


@dataclass
class Sent:
    customer: str
    index: int  # position in the customer's sequence
    text: str
    gateway: int
    started: float = 0.0
    latency: float | None = None
    status: int | None = None  # HTTP status; None: no answer (timeout, connection error)
    error: str = ""


@dataclass
class Run:
    run_id: str
    sent: list[Sent] = field(default_factory=list)
    started: float = 0.0
    elapsed: float = 0.0


def customer_messages(i: int, count: int) -> list[str]:
    if count > len(MESSAGES):
        raise SystemExit(f"at most {len(MESSAGES)} distinct messages per customer")
    offset = i % len(MESSAGES)
    return [MESSAGES[(offset + k) % len(MESSAGES)] for k in range(count)]


def client_address(i: int) -> str:
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255 or 1}"


async def send(http: aiohttp.ClientSession, url: str, message: Sent, address: str, timeout_s: float) -> None:
    message.started = time.perf_counter()
    try:
        async with http.post(
            f"{url}/webhooks/rest/webhook",
            json={"sender": message.customer, "message": message.text},
            headers={"X-Forwarded-For": address, **secret_header(message.customer)},
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as response:
            await response.read()
            keep_secret(message.customer, response)
            message.status = response.status
            if response.status != 200:
                message.error = f"HTTP {response.status}"
    except (asyncio.TimeoutError, aiohttp.ClientError) as error:
        message.error = repr(error)[:120]
    message.latency = time.perf_counter() - message.started


async def customer(
    http: aiohttp.ClientSession,
    urls: list[str],
    run: Run,
    i: int,
    args: argparse.Namespace,
    rng: random.Random,
) -> None:
    name = f"lt-{run.run_id}-{i}"
    address = client_address(i + 1)
    in_flight: list[asyncio.Task[None]] = []
    texts = customer_messages(i, args.messages)
    for k, text in enumerate(texts):
        if k and k % args.burst == 0:
            await asyncio.sleep(args.pause * rng.uniform(0.9, 1.1))
        elif k:
            await asyncio.sleep(args.burst_gap * rng.uniform(0.8, 1.2))
        message = Sent(name, k, text, k % len(urls))
        run.sent.append(message)
        in_flight.append(asyncio.create_task(send(http, urls[message.gateway], message, address, args.timeout)))
        in_flight = [t for t in in_flight if not t.done()]
    await asyncio.gather(*in_flight)


async def drive(urls: list[str], args: argparse.Namespace) -> Run:
    run = Run(run_id=uuid.uuid4().hex[:8])
    rng = random.Random(args.seed)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        run.started = time.perf_counter()
        tasks = []
        for i in range(args.customers):
            tasks.append(asyncio.create_task(customer(http, urls, run, i, args, random.Random(rng.random()))))
            await asyncio.sleep(args.arrival)
        await asyncio.gather(*tasks)
        run.elapsed = time.perf_counter() - run.started
    return run


# --- counting from the database ---------------------------------------------------


def stored_messages(database_url: str, run_id: str) -> tuple[dict[str, list[str]], Counter[str], int]:
    """Customer texts per sender in storage order, handoff reasons, bot/system replies stored."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url, future=True)
    per_sender: dict[str, list[str]] = {}
    like = f"lt-{run_id}-%"
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.channel_user_id, m.role, m.text FROM gw_messages m "
                "JOIN gw_conversations c ON c.id = m.conversation_id "
                "WHERE c.channel = 'rest' AND c.channel_user_id LIKE :like ORDER BY m.id"
            ),
            {"like": like},
        ).all()
        reasons = Counter(
            reason
            for (reason,) in conn.execute(
                text(
                    "SELECT h.reason FROM gw_handoffs h JOIN gw_conversations c ON c.id = h.conversation_id "
                    "WHERE c.channel_user_id LIKE :like"
                ),
                {"like": like},
            )
        )
    engine.dispose()
    replies = 0
    for sender, role, body in rows:
        if role == "customer":
            per_sender.setdefault(sender, []).append(body)
        else:
            replies += 1
    return per_sender, reasons, replies


@dataclass
class Figures:
    sent: int
    acknowledged: int
    failed: int
    lost: int
    duplicated: int
    out_of_order: int
    out_of_order_same_gateway: int  # of those, pairs sent to one gateway (the others: across gateways)
    customers_out_of_order: int
    stored_unacknowledged: int
    replies_stored: int
    handoffs: dict[str, int]
    msg_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    elapsed_s: float
    failures: list[str]


def count(run: Run, database_url: str) -> Figures:
    per_sender, reasons, replies = stored_messages(database_url, run.run_id)
    by_customer: dict[str, list[Sent]] = {}
    for message in run.sent:
        by_customer.setdefault(message.customer, []).append(message)
    lost = duplicated = out_of_order = same_gateway = customers_out_of_order = unacknowledged_stored = 0
    for name, messages in by_customer.items():
        stored = per_sender.get(name, [])
        counts = Counter(stored)
        duplicated += sum(n - 1 for n in counts.values() if n > 1)
        acknowledged = {m.text for m in messages if m.status == 200}
        lost += sum(1 for t in acknowledged if counts[t] == 0)
        unacknowledged_stored += sum(1 for m in messages if m.status != 200 and counts[m.text])
        # The order sent, restricted to what was stored (each text once per customer).
        position = {m.text: m.index for m in messages}
        seen = [position[t] for t in dict.fromkeys(stored) if t in position]
        swapped = [(a, b) for a, b in itertools.pairwise(seen) if b < a]
        wrong = len(swapped)
        out_of_order += wrong
        same_gateway += sum(1 for a, b in swapped if messages[a].gateway == messages[b].gateway)
        customers_out_of_order += bool(wrong)
    ok = [m.latency * 1000 for m in run.sent if m.status == 200 and m.latency is not None]
    failures = Counter(m.error for m in run.sent if m.status != 200)
    return Figures(
        sent=len(run.sent),
        acknowledged=len(ok),
        failed=len(run.sent) - len(ok),
        lost=lost,
        duplicated=duplicated,
        out_of_order=out_of_order,
        out_of_order_same_gateway=same_gateway,
        customers_out_of_order=customers_out_of_order,
        stored_unacknowledged=unacknowledged_stored,
        replies_stored=replies,
        handoffs=dict(reasons),
        msg_per_s=len(ok) / run.elapsed if run.elapsed else 0.0,
        p50_ms=percentile(ok, 50),
        p95_ms=percentile(ok, 95),
        p99_ms=percentile(ok, 99),
        elapsed_s=run.elapsed,
        failures=[f"{n} x {e}" for e, n in failures.most_common(5)],
    )


def print_figures(figures: Figures, label: str) -> None:
    print(f"\n=== {label} ===")
    print(f"  messages sent            {figures.sent}  in {figures.elapsed_s:.0f} s")
    print(f"  acknowledged (HTTP 200)  {figures.acknowledged}  ({figures.msg_per_s:.1f} msg/s)")
    print(f"  not acknowledged         {figures.failed}  {'; '.join(figures.failures)}")
    print(
        f"  answered in              p50 {figures.p50_ms:.0f} ms  p95 {figures.p95_ms:.0f} ms  "
        f"p99 {figures.p99_ms:.0f} ms"
    )
    print("  counted from the database:")
    print(f"    lost                   {figures.lost}")
    print(f"    duplicated             {figures.duplicated}")
    print(
        f"    out of order           {figures.out_of_order}  ({figures.customers_out_of_order} customers; "
        f"{figures.out_of_order_same_gateway} pairs sent to one gateway)"
    )
    print(f"    stored, not acknowledged {figures.stored_unacknowledged}")
    print(f"    bot/system replies     {figures.replies_stored}")
    print(f"    handoffs by reason     {figures.handoffs or 'none'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--gateways", help="comma-separated gateway URLs of a running layout")
    where.add_argument("--start", metavar="G,R,A", help="start `serve` with this many gateways, Rasa, action servers")
    parser.add_argument("--database-url", help="the running layout's DATABASE_URL (with --gateways)")
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--messages", type=int, default=20, help="messages per customer (at most 20)")
    parser.add_argument("--burst", type=int, default=3, help="messages typed in a row before a pause")
    parser.add_argument("--burst-gap", type=float, default=0.3, help="seconds between the lines of a burst")
    parser.add_argument("--pause", type=float, default=5.5, help="seconds between bursts")
    parser.add_argument("--arrival", type=float, default=0.7, help="seconds between two customers' first messages")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds before a message counts as unanswered")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument(
        "--admin-database-url",
        default=os.environ.get("BENCH_ADMIN_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"),
        help="PostgreSQL server where --start makes the run's database",
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if args.gateways and not args.database_url:
        parser.error("--gateways needs --database-url (the messages are counted from the database)")

    stack: Stack | None = None
    database = ""
    label = ""
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start", flush=True)
    try:
        if args.start:
            counts = tuple(int(x) for x in args.start.split(","))
            if len(counts) != 3:
                parser.error("--start takes three counts: gateways,rasa,actions")
            database = f"load_test_{uuid.uuid4().hex[:8]}"
            database_url = create_database(args.admin_database_url, database)
            label = f"{counts[0]} gateways, {counts[1]} Rasa, {counts[2]} action servers (PostgreSQL + Redis)"
            stack = Stack(
                "load",
                ROOT,
                max(counts),
                database_url=database_url,
                redis_url=args.redis_url,
                counts=(counts[0], counts[1], counts[2]),
                extra_env={"REDIS_KEY_PREFIX": f"load:{database}:", "TRUSTED_PROXIES": "127.0.0.1"},
            )
            print(f"==> starting {label}", flush=True)
            started = time.monotonic()
            stack.start()
            print(f"    ready in {time.monotonic() - started:.0f} s (logs: {stack.data_dir})", flush=True)
            urls = stack.gateway_urls
        else:
            urls = [u.strip().rstrip("/") for u in args.gateways.split(",") if u.strip()]
            database_url = args.database_url
            label = f"{len(urls)} gateways at {', '.join(urls)}"
        print(
            f"==> {args.customers} customers x {args.messages} messages over {len(urls)} gateway(s), "
            f"bursts of {args.burst} ({args.burst_gap} s apart, {args.pause} s pause), "
            f"a customer every {args.arrival} s (offered ~{args.messages / args.arrival:.0f} msg/s at full flow)",
            flush=True,
        )
        run = asyncio.run(drive(urls, args))
        figures = count(run, database_url)
        if stack is not None:
            memory = stack.memory_by_role()
            print(
                "resident memory after the load (MB): " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(memory.items()))
            )
    finally:
        if stack is not None:
            stack.stop()
        if database:
            drop_database(args.admin_database_url, database)
    print(f"machine load average {os.getloadavg()[0]:.2f} at the end", flush=True)
    print_figures(figures, label)
    if args.json:
        args.json.write_text(json.dumps({"layout": label, **figures.__dict__}, indent=2, ensure_ascii=False))
    return 1 if figures.lost or figures.duplicated or figures.out_of_order else 0


if __name__ == "__main__":
    sys.exit(main())
