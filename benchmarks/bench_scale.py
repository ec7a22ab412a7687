"""Capacity benchmark: customers through the gateway(s) vs Rasa's own REST channel, in
the same run, sequential and with many customers at once; one instance of each role
vs several; resident memory per role.

Each stack is a real `python -m bot serve` (trained model, action server, demo store)
started by this script on free ports with its own DATA_DIR. Customers hold short
conversations the bot answers itself (no handoff): each sends its next message as
soon as the previous one is answered (a closed loop), so "N concurrent customers"
means N messages in flight.

    source scripts/env.sh
    python benchmarks/bench_scale.py                       # this checkout, 1 instance of each
    python benchmarks/bench_scale.py --instances 1,2       # + 2 of each (PostgreSQL + Redis)
    python benchmarks/bench_scale.py --baseline /tmp/old   # + another checkout (e.g. `git archive`
                                                           #   of an older commit with its model)

Figures per stack and target: msg/s, p50, p95, errors (HTTP errors, timeouts, empty
answers, and "system busy" handoffs), and RSS per role after the load. Targets on the
2-core machine (issue 10): sequential p50 <= 60 ms; >= 60 msg/s with p95 < 500 ms at 32
concurrent customers through the gateway; gateway <= 1.15x direct Rasa; one instance of
each role <= 2 GB resident together.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent

# Conversations the bot answers itself from the demo store (every demo store has these
# parcels: bot/store/demo.py SHOWCASE). No handoff: a queued conversation skips Rasa.
SCRIPTS = [
    ["你好", "SF1402345678901 到哪了", "什么时候能到", "为什么这么慢", "谢谢"],
    ["我的快递 1Z999AA10123456784 到哪里了", "when will it arrive?", "thanks"],
    ["EA123456789CN 什么时候送到", "好的", "谢谢", "再见"],
    ["4019283741 清关要交多少税", "需要什么材料", "谢谢"],
    ["查一下 YT2290112345678", "什么时候到", "谢谢"],
]
BUSY_MARKERS = ("系统繁忙", "system is busy")


# Like a real client, each customer sends back the conversation secret its first reply
# carried (docs/gateway-contract.md); without it later messages would be a stranger's.
SECRETS: dict[str, str] = {}


def secret_header(sender: str) -> dict[str, str]:
    secret = SECRETS.get(sender)
    return {"X-Conversation-Secret": secret} if secret else {}


def keep_secret(sender: str, response: aiohttp.ClientResponse) -> None:
    secret = response.headers.get("X-Conversation-Secret")
    if secret:
        SECRETS[sender] = secret


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_block(count: int) -> int:
    """First of `count` consecutive free ports."""
    for _ in range(200):
        first = free_port()
        if all(_port_free(first + i) for i in range(1, count)):
            return first
    raise RuntimeError("no block of free ports")


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


# --- a stack: `python -m bot serve` in a checkout ----------------------------------


@dataclass
class Stack:
    label: str
    root: Path
    instances: int
    database_url: str | None = None
    redis_url: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    # (gateways, rasa, actions) when they differ; default: `instances` of each
    counts: tuple[int, int, int] | None = None
    proc: subprocess.Popen | None = None
    gateway_urls: list[str] = field(default_factory=list)
    rasa_urls: list[str] = field(default_factory=list)
    data_dir: Path | None = None
    log: Path | None = None

    def start(self, timeout_s: float = 600) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"bench-scale-{self.label.replace(' ', '-')}-"))
        n_gateways, n_rasa, n_actions = self.counts or (self.instances,) * 3
        gateway, rasa, actions = free_port_block(n_gateways), free_port_block(n_rasa), free_port_block(n_actions)
        env = {
            **os.environ,
            "DATA_DIR": str(self.data_dir),
            "GATEWAY_PORT": str(gateway),
            "RASA_PORT": str(rasa),
            "ACTIONS_PORT": str(actions),
            "PYTHONPATH": str(self.root),
            "MODELS_DIR": str(self.root / "models"),
            "LOG_LEVEL": "WARNING",
            "STAFFED_HOURS": "00:00-24:00",
            # Load from one address: the customer rate limits (README "Security") would refuse it.
            "RATE_LIMIT_CONVERSATION": "off",
            "RATE_LIMIT_CLIENT": "off",
            **self.extra_env,
        }
        for name in ("DATABASE_URL", "REDIS_URL", "RASA_URL", "RASA_URLS"):
            env.pop(name, None)
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        cmd = [sys.executable, "-m", "bot", "serve"]
        if max(n_gateways, n_rasa, n_actions) > 1:
            cmd += ["--gateways", str(n_gateways), "--rasa", str(n_rasa), "--actions", str(n_actions)]
        self.log = self.data_dir / "serve.out"
        with open(self.log, "w") as out:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                cmd, cwd=self.root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.gateway_urls = [f"http://127.0.0.1:{gateway + i}" for i in range(n_gateways)]
        self.rasa_urls = [f"http://127.0.0.1:{rasa + i}" for i in range(n_rasa)]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.label}: serve exited:\n{self.log.read_text()[-3000:]}")
            if "is running" in self.log.read_text(errors="replace"):
                return
            time.sleep(1)
        raise RuntimeError(f"{self.label}: not ready within {timeout_s:.0f} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def _descendants(self) -> list[tuple[int, str]]:
        """(pid, role) of every process under the serve process."""
        assert self.proc is not None
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
        found: list[tuple[int, str]] = []
        todo = list(children.get(self.proc.pid, []))
        while todo:
            pid = todo.pop()
            todo += children.get(pid, [])
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            found.append((pid, role_of(cmdline)))
        return found

    def memory_by_role(self) -> dict[str, float]:
        """Resident memory (MB) of the serve process's descendants, summed per role."""
        totals: dict[str, float] = {}
        for pid, role in self._descendants():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            rss_kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
            totals[role] = totals.get(role, 0.0) + rss_kb / 1024
        return totals

    def cpu_seconds_by_role(self) -> dict[str, float]:
        """CPU time (user + system, s) used so far by the serve process's descendants, per role."""
        tick = os.sysconf("SC_CLK_TCK")
        totals: dict[str, float] = {}
        for pid, role in self._descendants():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            totals[role] = totals.get(role, 0.0) + (int(fields[11]) + int(fields[12])) / tick
        return totals


def role_of(cmdline: str) -> str:
    words = f" {cmdline} "
    if "rasa_sdk" in words or "bot.actions_server" in words or "--only actions" in words:
        return "actions"
    if "bot.rasa_server" in words or " rasa " in words or "--only rasa" in words:
        return "rasa"
    if "bot.gateway" in words or "--only gateway" in words:
        return "gateway"
    return "other"


# --- load ------------------------------------------------------------------------


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0
    error_samples: list[str] = field(default_factory=list)

    def row(self) -> dict[str, float]:
        ms = [s * 1000 for s in self.latencies]
        return {
            "msg/s": len(self.latencies) / self.elapsed if self.elapsed else 0.0,
            "p50": percentile(ms, 50),
            "p95": percentile(ms, 95),
            "errors": float(self.errors),
            "n": float(len(self.latencies)),
        }


async def one_message(
    http: aiohttp.ClientSession, url: str, sender: str, text: str, result: Result, timeout_s: float
) -> None:
    started = time.perf_counter()
    try:
        async with http.post(
            f"{url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            headers=secret_header(sender),
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as response:
            body = await response.json(content_type=None)
            keep_secret(sender, response)
            ok = response.status == 200 and isinstance(body, list) and bool(body)
            texts = " ".join(str(r.get("text", "")) for r in body) if isinstance(body, list) else ""
            if ok and any(marker in texts for marker in BUSY_MARKERS):
                ok = False
            if not ok and len(result.error_samples) < 3:
                result.error_samples.append(f"{response.status} {str(body)[:160]}")
    except (asyncio.TimeoutError, aiohttp.ClientError, ValueError) as error:
        ok = False
        if len(result.error_samples) < 3:
            result.error_samples.append(repr(error)[:160])
    result.latencies.append(time.perf_counter() - started)
    if not ok:
        result.errors += 1


async def run_load(urls: list[str], customers: int, concurrency: int, tag: str, timeout_s: float) -> Result:
    """`customers` conversations (scripts round-robin), `concurrency` at a time; customer
    i talks to urls[i % len(urls)]."""
    result = Result()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(customers):
        queue.put_nowait(i)
    run_id = uuid.uuid4().hex[:8]
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                sender = f"bench-{tag}-{run_id}-{i}"
                for text in SCRIPTS[i % len(SCRIPTS)]:
                    await one_message(http, urls[i % len(urls)], sender, text, result, timeout_s)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.elapsed = time.perf_counter() - started
    return result


def customers_for(concurrency: int, minimum_messages: int) -> int:
    per_customer = sum(len(s) for s in SCRIPTS) / len(SCRIPTS)
    return max(concurrency * 3, int(minimum_messages / per_customer) + 1)


async def measure(
    stack: Stack, what: str, urls: list[str], customers: int, concurrency: int, timeout_s: float
) -> dict[str, float]:
    """One figure row, with the CPU time each role spent per message meanwhile."""
    cpu_before = stack.cpu_seconds_by_role()
    result = await run_load(urls, customers, concurrency, what.replace(" ", "-"), timeout_s)
    cpu_after = stack.cpu_seconds_by_role()
    row = result.row()
    for role, seconds in cpu_after.items():
        if role != "other" and result.latencies:
            row[f"cpu ms/msg {role}"] = (seconds - cpu_before.get(role, 0.0)) * 1000 / len(result.latencies)
    _print_row(stack.label, what, result, row)
    return row


async def measure_all(
    stacks: list[Stack], levels: list[int], sequential_customers: int, minimum_messages: int, timeout_s: float
) -> dict[str, dict[str, dict[str, float]]]:
    """Every stack is running; each figure is taken for every stack in turn before the
    next one, so a change of machine load (other work on the machine) hits all alike."""
    figures: dict[str, dict[str, dict[str, float]]] = {stack.label: {} for stack in stacks}

    def targets(stack: Stack) -> list[tuple[str, list[str]]]:
        return [("gateway", stack.gateway_urls), ("rasa", stack.rasa_urls)]

    for stack in stacks:  # warm-up: every script once through every instance (first turns load lazily)
        for name, urls in targets(stack):
            await run_load(urls, len(SCRIPTS) * len(urls), len(urls), f"warm-{name}", timeout_s)
    plan = [("sequential", sequential_customers, 1)] + [
        (f"{level} concurrent", customers_for(level, minimum_messages), level) for level in levels
    ]
    for what, customers, concurrency in plan:
        for name in ("gateway", "rasa"):
            for stack in stacks:
                urls = dict(targets(stack))[name]
                figures[stack.label][f"{name} {what}"] = await measure(
                    stack, f"{name} {what}", urls, customers, concurrency, timeout_s
                )
    return figures


def _print_row(label: str, what: str, result: Result, row: dict[str, float]) -> None:
    cpu = "  ".join(f"{k[len('cpu ms/msg ') :]} {v:.1f}" for k, v in row.items() if k.startswith("cpu ms/msg"))
    print(
        f"  [{label}] {what:<24} n={int(row['n']):<5} {row['msg/s']:7.1f} msg/s  p50={row['p50']:7.1f} ms  "
        f"p95={row['p95']:7.1f} ms  errors={int(row['errors'])}  cpu ms/msg: {cpu}"
        + (f"  e.g. {result.error_samples[0]}" if result.error_samples else ""),
        flush=True,
    )


# --- PostgreSQL / Redis for several instances --------------------------------------


def create_database(admin_url: str, name: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


# --- report ------------------------------------------------------------------------


def print_table(results: dict[str, dict[str, dict[str, float]]], memory: dict[str, dict[str, float]]) -> None:
    labels = list(results)
    rows = list(dict.fromkeys(itertools.chain.from_iterable(r.keys() for r in results.values())))
    width = 34
    print("\n=== Side by side (same run) ===")
    print(f"{'':<28}" + "".join(f"{label:>{width}}" for label in labels))
    print(f"{'':<28}" + "".join(f"{'msg/s   p50 ms   p95 ms  err':>{width}}" for _ in labels))
    for row in rows:
        line = f"{row:<28}"
        for label in labels:
            fig = results[label].get(row)
            cell = f"{fig['msg/s']:6.1f} {fig['p50']:8.1f} {fig['p95']:8.1f} {int(fig['errors']):4d}" if fig else "-"
            line += f"{cell:>{width}}"
        print(line)
    print("\ngateway / direct Rasa (p50 ratio; throughput ratio)")
    for label in labels:
        parts = []
        for row in rows:
            if not row.startswith("gateway "):
                continue
            g, r = results[label].get(row), results[label].get("rasa " + row[len("gateway ") :])
            if g and r and r["p50"] and g["msg/s"]:
                parts.append(f"{row[len('gateway ') :]}: {g['p50'] / r['p50']:.2f}x; {r['msg/s'] / g['msg/s']:.2f}x")
        print(f"  {label}: " + " | ".join(parts))
    print("\nCPU time per message by role (ms; user+system of every process of the role during the figure)")
    for label in labels:
        for row in rows:
            fig = results[label].get(row) or {}
            cpu = {k[len("cpu ms/msg ") :]: v for k, v in fig.items() if k.startswith("cpu ms/msg ")}
            if cpu:
                print(
                    f"  {label:<14} {row:<24} "
                    + "  ".join(f"{role} {ms:6.1f}" for role, ms in sorted(cpu.items()))
                    + f"  | all {sum(cpu.values()):6.1f} -> {1000 / max(sum(cpu.values()), 1e-9):5.1f} msg/s per core"
                )
    print("\nresident memory after the load (MB)")
    for label in labels:
        mem = memory.get(label, {})
        total = sum(v for k, v in mem.items() if k != "other")
        print(
            f"  {label}: " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(mem.items())) + f"  (roles total {total:.0f})"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (with its trained model in models/) measured first, one instance of each role",
    )
    parser.add_argument("--instances", default="1", help="comma-separated instance counts of this checkout, e.g. 1,2")
    parser.add_argument("--concurrency", default="16,32,64", help="concurrent customers, comma-separated")
    parser.add_argument("--sequential-customers", type=int, default=30, help="conversations sent one message at a time")
    parser.add_argument("--messages", type=int, default=300, help="at least this many messages per concurrency level")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a message counts as an error")
    parser.add_argument(
        "--admin-database-url",
        default=os.environ.get("BENCH_ADMIN_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"),
        help="PostgreSQL server for stacks with several instances (a database is created per run)",
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument(
        "--postgres-single",
        action="store_true",
        help="run the single-instance stack of this checkout on PostgreSQL + Redis too",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    levels = [int(x) for x in args.concurrency.split(",") if x.strip()]
    stacks: list[Stack] = []
    if args.baseline:
        stacks.append(Stack("baseline x1", args.baseline.resolve(), 1))
    for n in [int(x) for x in args.instances.split(",") if x.strip()]:
        stacks.append(Stack(f"current x{n}", ROOT, n))
    memory: dict[str, dict[str, float]] = {}
    databases: list[str] = []
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start", flush=True)
    try:
        for stack in stacks:
            if stack.instances > 1 or (args.postgres_single and stack.root == ROOT):
                database = f"bench_scale_{uuid.uuid4().hex[:8]}"
                stack.database_url = create_database(args.admin_database_url, database)
                databases.append(database)
                stack.redis_url = args.redis_url
                stack.extra_env["REDIS_KEY_PREFIX"] = f"bench:{database}:"
            print(f"==> starting {stack.label} ({stack.root})", flush=True)
            started = time.monotonic()
            stack.start()
            print(f"    ready in {time.monotonic() - started:.0f} s", flush=True)
        results = asyncio.run(measure_all(stacks, levels, args.sequential_customers, args.messages, args.timeout))
        for stack in stacks:
            memory[stack.label] = stack.memory_by_role()
    finally:
        for stack in stacks:
            stack.stop()
        for database in databases:
            drop_database(args.admin_database_url, database)
    print(f"machine load average {os.getloadavg()[0]:.2f} at the end", flush=True)
    print_table(results, memory)
    if args.json:
        args.json.write_text(json.dumps({"results": results, "memory": memory}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
