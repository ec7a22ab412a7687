"""Where the gateway's own CPU time per message goes: the gateway in this process (SQLite
in a temporary directory) in front of a fake Rasa that answers at once with a reply
shaped like a real tracking answer, N customer messages one after another over the REST
channel, profiled with cProfile on CPU time (not wall time: the machine may be busy).

    source scripts/env.sh
    python benchmarks/profile_gateway.py -n 300 [--top 25]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REPLY = (
    "您的快递 SF1402345678901（顺丰速运）目前在运输途中。\n"
    "路线：深圳 → 上海\n最新扫描：2026-11-29 18:40 杭州转运中心 已发出\n"
    "因华东地区暴雨，预计延误 1 天，新的预计送达时间为 12月2日 18:00 前。给您带来不便，非常抱歉。"
)
MESSAGES = ["我的快递 SF1402345678901 到哪了", "什么时候能到", "为什么这么慢", "好的谢谢", "SF1402345678901 现在在哪"]


async def drive(n: int) -> tuple[float, float]:
    from aiohttp import web

    from bot.config import Settings
    from bot.gateway.app import _warm_up_masking, create_app
    from tests.gateway.fake_rasa import FakeRasa, free_port

    fake = await FakeRasa(on_message=lambda sender, text: [{"recipient_id": sender, "text": REPLY}]).start()
    data_dir = Path(tempfile.mkdtemp(prefix="profile-gateway-"))
    port = free_port()
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'gateway.db'}",
        rasa_url=fake.url,
        staffed_hours="00:00-24:00",
        gateway_port=port,
    )
    _warm_up_masking()
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    profile = cProfile.Profile(time.process_time)
    try:
        async with aiohttp.ClientSession() as http:
            for i in range(10):  # warm-up
                async with http.post(url, json={"sender": f"warm-{i}", "message": MESSAGES[i % 5]}) as r:
                    await r.read()
            cpu, wall = time.process_time(), time.perf_counter()
            profile.enable()
            for i in range(n):
                body = {"sender": f"p-{i // len(MESSAGES)}", "message": MESSAGES[i % len(MESSAGES)]}
                async with http.post(url, json=body) as r:
                    assert r.status == 200, await r.text()
                    await r.read()
            profile.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await runner.cleanup()
        await fake.stop()
    profile.dump_stats(str(data_dir / "gateway.prof"))
    print(f"profile: {data_dir / 'gateway.prof'}")
    return cpu, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    cpu, wall = asyncio.run(drive(args.n))
    print(
        f"{args.n} messages: {cpu * 1000 / args.n:.1f} ms CPU per message in this process "
        f"(gateway + the HTTP client + the fake Rasa), {wall * 1000 / args.n:.1f} ms wall"
    )
    prof = next(Path(tempfile.gettempdir()).glob("profile-gateway-*/gateway.prof"), None)
    paths = sorted(Path(tempfile.gettempdir()).glob("profile-gateway-*/gateway.prof"), key=lambda p: p.stat().st_mtime)
    prof = paths[-1] if paths else prof
    if prof:
        stats = pstats.Stats(str(prof))
        stats.sort_stats("cumulative").print_stats(r"bot/|sqlalchemy/orm/session|spacy|jieba", args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
