"""Understanding evaluation (issue 8): the held-out conversations and messages of
tests/understanding/ run against a real trained stack, scored separately for train-like
and unseen wording.

Self-contained (default): a temporary SQLite store holding only the evaluation
shipments (tests/understanding/shipments.jsonl, dates shifted to now), the action
server and the Rasa server on free ports with the current model (or --model), and the
gateway in this process. Every conversation goes through the gateway's REST channel
(handoffs are read from the agents' queue); every message through Rasa's /model/parse.

    source scripts/env.sh
    python benchmarks/eval_understanding.py                       # print the scores
    python benchmarks/eval_understanding.py --baseline benchmarks/results/understanding-before.json
    python benchmarks/eval_understanding.py --save benchmarks/results/understanding-after.json -v

Prints: containment of routine conversations, handoff recall/precision, intent accuracy,
tracking-number F1, feeling and urgency detection, per wording; with --baseline each cell
reads "before -> now"; -v lists every conversation that failed with the bot's replies.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.understanding import evaluation  # noqa: E402

AGENT = "eval-supervisor"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _run_with_stack(args: argparse.Namespace) -> tuple[dict[str, Any], list[Any], list[Any], dict[str, Any]]:
    from aiohttp import web

    from bot.config import Settings
    from bot.gateway.app import create_app
    from bot.gateway.cli import add_agent
    from bot.serve import build_processes
    from bot.training import model_path

    model = Path(args.model) if args.model else model_path()
    if not model.exists():
        raise SystemExit(f"no trained model at {model}: run `python -m bot train` first")
    data_dir = Path(tempfile.mkdtemp(prefix="eval-understanding-"))
    env = {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'parcel.db'}",
        "RASA_PORT": str(_free_port()),
        "ACTIONS_PORT": str(_free_port()),
        "GATEWAY_PORT": str(_free_port()),
        "BIND_HOST": "127.0.0.1",
        # Rasa's HTTP API and the action server accept only callers knowing these (bot/serve.py);
        # the gateway built below reads them from the environment too.
        "RASA_TOKEN": os.environ.get("RASA_TOKEN") or secrets.token_urlsafe(32),
        "ACTIONS_TOKEN": os.environ.get("ACTIONS_TOKEN") or secrets.token_urlsafe(32),
    }
    os.environ.update(env)
    os.environ.pop("RASA_URL", None)
    settings = Settings()
    evaluation.import_fixture(settings.database_url)
    password = secrets.token_urlsafe(12)
    add_agent(AGENT, password, role="supervisor", tier=3, max_chats=1000, database_url=settings.database_url)
    processes = [p for p in build_processes(settings, model) if p.name != "gateway"]
    started = time.monotonic()
    runner: web.AppRunner | None = None
    try:
        for proc in processes:
            proc.start()
        for proc in processes:
            proc.wait_ready(600)
        ready_s = time.monotonic() - started
        # Every conversation comes from this one address: no customer rate limits.
        gateway_settings = Settings(
            staffed_hours="00:00-24:00", rasa_timeout_s=60.0, rate_limit_conversation="off", rate_limit_client="off"
        )
        runner = web.AppRunner(create_app(gateway_settings, monitor=False), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", settings.gateway_port).start()
        base = f"http://127.0.0.1:{settings.gateway_port}"
        started = time.monotonic()
        scores, conversations, parses = await evaluation.evaluate(
            base,
            settings.rasa_url,
            AGENT,
            password,
            rasa_token=getattr(settings, "rasa_token", None) or None,
            only=args.only,
            concurrency=args.concurrency,
        )
        meta = {
            "model": model.name,
            "stack_ready_s": round(ready_s, 1),
            "evaluation_s": round(time.monotonic() - started, 1),
        }
        return scores, conversations, parses, meta
    finally:
        if runner is not None:
            await runner.cleanup()
        for proc in reversed(processes):
            proc.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model archive (default: the current model of the training data)")
    parser.add_argument("--baseline", help="a results file saved earlier (--save): show before -> now")
    parser.add_argument("--save", help="write scores and every result to this JSON file")
    parser.add_argument("--save-summary", help="write scores and only the failures (no replies): a baseline")
    parser.add_argument("--only", help="run only conversations whose id contains this text")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("-v", "--verbose", action="store_true", help="list failed conversations with the replies")
    args = parser.parse_args()
    scores, conversations, parses, meta = asyncio.run(_run_with_stack(args))
    baseline = None
    if args.baseline:
        baseline = json.loads(Path(args.baseline).read_text(encoding="utf-8"))["scores"]
    if args.verbose:
        print(evaluation.failures_text(conversations))
        print()
    print(f"model {meta['model']}; stack ready in {meta['stack_ready_s']} s; evaluation {meta['evaluation_s']} s")
    print(evaluation.format_report(scores, baseline))
    if args.save:
        Path(args.save).parent.mkdir(parents=True, exist_ok=True)
        Path(args.save).write_text(
            json.dumps(evaluation.results_json(scores, conversations, parses, **meta), ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
        print(f"saved to {args.save}")
    if args.save_summary:
        Path(args.save_summary).parent.mkdir(parents=True, exist_ok=True)
        summary = evaluation.results_json(scores, conversations, parses, replies=False, **meta)
        Path(args.save_summary).write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"summary saved to {args.save_summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
