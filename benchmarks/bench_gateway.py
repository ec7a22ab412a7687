"""Gateway benchmark: message round-trip time through the gateway (p50/p95 over N
messages) and handoff-to-agent-visible time (the customer's "转人工" -> the item is
in GET /api/queue, and -> the agent's websocket got `queue_changed`).

Against a running stack (`python -m bot serve`):
    echo "$AGENT_PASSWORD" | python benchmarks/bench_gateway.py --base-url http://127.0.0.1:8080 \
        --agent xiaowang --password-stdin -n 100
(without --agent only the round trip is measured; the handoffs it makes are claimed and
resolved again so the queue is left as it was)

Self-contained (gateway overhead only: in-process gateway + a scripted fake Rasa):
    python benchmarks/bench_gateway.py --self-contained -n 200
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def report(name: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(
        f"{name:<38} n={len(ms):<4} p50={percentile(ms, 50):8.1f} ms  p95={percentile(ms, 95):8.1f} ms  "
        f"mean={statistics.fmean(ms):8.1f} ms  max={max(ms):8.1f} ms",
        flush=True,
    )


async def round_trips(
    http: aiohttp.ClientSession, base: str, n: int, messages: list[str], turns_per_conversation: int
) -> list[float]:
    times: list[float] = []
    sender = ""
    for i in range(n):
        if i % turns_per_conversation == 0:
            sender = f"bench-{uuid.uuid4().hex[:12]}"
        body = {"sender": sender, "message": messages[i % len(messages)]}
        started = time.perf_counter()
        async with http.post(f"{base}/webhooks/rest/webhook", json=body) as response:
            replies = await response.json()
            if response.status != 200 or not isinstance(replies, list):
                raise RuntimeError(f"unexpected answer {response.status}: {replies}")
        times.append(time.perf_counter() - started)
    return times


async def login(http: aiohttp.ClientSession, base: str, username: str, password: str) -> str:
    async with http.post(f"{base}/api/login", json={"username": username, "password": password}) as response:
        body = await response.json()
        if response.status != 200:
            raise RuntimeError(f"login failed: {response.status} {body}")
        return body["token"]


async def close_bench_items(http: aiohttp.ClientSession, base: str, token: str) -> None:
    """Claim and resolve queue items the benchmark's own conversations produced."""
    headers = {"Authorization": f"Bearer {token}"}
    async with http.get(f"{base}/api/queue", headers=headers) as response:
        items = (await response.json())["items"]
    for item in items:
        if item["sender_id"].startswith("bench-"):
            async with http.post(f"{base}/api/handoffs/{item['handoff_id']}/claim", headers=headers) as claim:
                if claim.status == 200:
                    async with http.post(
                        f"{base}/api/conversations/{item['conversation_id']}/resolve", headers=headers
                    ):
                        pass


async def handoffs(
    http: aiohttp.ClientSession, base: str, token: str, count: int, lead_in: str | None
) -> tuple[list[float], list[float]]:
    headers = {"Authorization": f"Bearer {token}"}
    ws_times: list[float] = []
    queue_times: list[float] = []
    ws_url = base.replace("http", "ws", 1) + f"/api/ws?token={token}"
    async with http.ws_connect(ws_url) as ws:
        await ws.receive_json(timeout=10)  # the initial queue_changed
        for _ in range(count):
            sender = f"bench-handoff-{uuid.uuid4().hex[:10]}"
            if lead_in:
                async with http.post(f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": lead_in}):
                    pass
            while not ws.closed:  # drop events of earlier rounds
                try:
                    await ws.receive_json(timeout=0.05)
                except asyncio.TimeoutError:
                    break
            started = time.perf_counter()
            post = asyncio.create_task(
                http.post(f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": "转人工"})
            )

            async def websocket_event(started: float) -> float:
                while True:
                    event = await ws.receive_json(timeout=60)
                    if event.get("type") == "queue_changed":
                        return time.perf_counter() - started

            async def visible_in_queue(started: float, sender: str) -> tuple[float, dict[str, Any]]:
                while True:
                    async with http.get(f"{base}/api/queue", headers=headers) as response:
                        items = (await response.json())["items"]
                    found = next((i for i in items if i["sender_id"] == sender), None)
                    if found:
                        return time.perf_counter() - started, found
                    await asyncio.sleep(0.005)

            ws_time, (queue_time, item) = await asyncio.gather(
                websocket_event(started), visible_in_queue(started, sender)
            )
            response = await post
            await response.release()
            ws_times.append(ws_time)
            queue_times.append(queue_time)
            # Leave the queue as it was: take the item and close it.
            async with http.post(f"{base}/api/handoffs/{item['handoff_id']}/claim", headers=headers) as claim:
                if claim.status == 200:
                    async with http.post(
                        f"{base}/api/conversations/{item['conversation_id']}/resolve", headers=headers
                    ):
                        pass
    return ws_times, queue_times


async def run(args: argparse.Namespace) -> None:
    base = args.base_url.rstrip("/")
    # Questions the bot answers itself (no handoff: a queued conversation would skip Rasa).
    messages = args.message or [
        "SF1402345678901 到哪了",
        "你好",
        "我的快递什么时候到",
        "谢谢",
        "SF1402345678901 什么时候送到",
    ]
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        async with http.get(f"{base}/health") as response:
            if response.status != 200:
                raise SystemExit(f"gateway at {base} is not healthy ({response.status})")
        await round_trips(http, base, min(5, args.n), messages, args.turns)  # warm-up
        report("message round trip (REST)", await round_trips(http, base, args.n, messages, args.turns))
        if args.agent:
            token = await login(http, base, args.agent, args.password)
            await close_bench_items(http, base, token)
            ws_times, queue_times = await handoffs(http, base, token, args.handoffs, args.lead_in)
            report("handoff -> websocket queue_changed", ws_times)
            report("handoff -> visible in GET /api/queue", queue_times)
        else:
            print("(no --agent: handoff-to-agent-visible time not measured)")


async def self_contained(args: argparse.Namespace) -> None:
    """Gateway + fake Rasa in this process, on free ports, with a temporary database."""
    from aiohttp import web

    from bot.config import Settings
    from bot.gateway.app import _warm_up_masking, create_app
    from bot.gateway.cli import add_agent
    from tests.gateway.fake_rasa import FakeRasa, free_port

    fake = await FakeRasa(delay_s=args.fake_delay).start()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    port = free_port()
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'gateway.db'}",
        rasa_url=fake.url,
        staffed_hours="00:00-24:00",
        gateway_port=port,
        # Load from one address: no customer rate limits (README "Security").
        rate_limit_conversation="off",
        rate_limit_client="off",
    )
    add_agent("bench", "bench-password", role="supervisor", tier=3, max_chats=1000, database_url=settings.database_url)
    _warm_up_masking()  # load the masker first (in a server it loads before the first request)
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        args.base_url = f"http://127.0.0.1:{port}"
        args.agent, args.password = "bench", "bench-password"
        print(f"self-contained: gateway :{port}, fake Rasa :{fake.port} (reply delay {args.fake_delay * 1000:.0f} ms)")
        await run(args)
    finally:
        await runner.cleanup()
        await fake.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default=f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8080')}")
    parser.add_argument("-n", type=int, default=50, help="messages for the round-trip figure")
    parser.add_argument("--turns", type=int, default=5, help="messages per conversation")
    parser.add_argument("--message", action="append", help="message to send (repeatable)")
    parser.add_argument("--agent", help="agent username for the handoff figure")
    parser.add_argument("--password-stdin", action="store_true", help="read the agent's password from stdin")
    parser.add_argument("--handoffs", type=int, default=10)
    parser.add_argument(
        "--lead-in",
        default="我的快递 SF1402345678901 一直没更新",
        help="message sent before each handoff (gives the handoff a parcel)",
    )
    parser.add_argument("--self-contained", action="store_true", help="in-process gateway + fake Rasa")
    parser.add_argument("--fake-delay", type=float, default=0.0, help="fake Rasa reply delay (s)")
    args = parser.parse_args()
    args.password = (
        sys.stdin.readline().rstrip("\n") if args.password_stdin else os.environ.get("BENCH_AGENT_PASSWORD", "")
    )
    if args.agent and not args.password:
        parser.error("give the agent's password with --password-stdin or BENCH_AGENT_PASSWORD")
    import logging

    logging.basicConfig(level=logging.WARNING)
    asyncio.run(self_contained(args) if args.self_contained else run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
