"""Does the fast model load (bot/rasa_server.py install_fast_model_load) predict exactly
what Rasa's own load predicts, and how much faster does it load?

Loads the trained model twice, in separate processes (Rasa's way, then the fast way),
parses every held-out NLU example (tests/nlu_holdout.yml) with each and compares intent
rankings (confidences to 6 decimals) and entities; prints the load times.

    source scripts/env.sh
    python benchmarks/check_fast_load.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def holdout_texts() -> list[str]:
    import yaml

    data = yaml.safe_load((ROOT / "tests" / "nlu_holdout.yml").read_text())
    texts = []
    for block in data["nlu"]:
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- "):
                texts.append(line[2:].strip())
    return texts


def child(mode: str) -> None:
    """Runs in the subprocess: load, parse, print one JSON line."""
    import asyncio
    import time

    from bot.rasa_server import TF_THREAD_DEFAULTS, apply_runtime_fixes

    for key, value in TF_THREAD_DEFAULTS.items():
        os.environ.setdefault(key, value)
    if mode == "fast":
        apply_runtime_fixes()
    from rasa.core.agent import Agent

    from bot.training import model_path

    started = time.process_time(), time.perf_counter()
    agent = Agent.load(str(model_path()))
    load_cpu, load_wall = time.process_time() - started[0], time.perf_counter() - started[1]

    async def parse_all() -> list[dict]:
        out = []
        for text in holdout_texts():
            parsed = await agent.parse_message(text)
            out.append(
                {
                    "text": text,
                    "intents": [(i["name"], round(float(i["confidence"]), 6)) for i in parsed["intent_ranking"]],
                    "entities": sorted(
                        (e["entity"], str(e["value"]), e.get("extractor", "")) for e in parsed.get("entities", [])
                    ),
                }
            )
        return out

    results = asyncio.run(parse_all())
    print(json.dumps({"load_cpu_s": load_cpu, "load_wall_s": load_wall, "results": results}, ensure_ascii=False))


def run(mode: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return 0
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)
    stock, fast = run("stock"), run("fast")
    differ = [(a, b) for a, b in zip(stock["results"], fast["results"], strict=False) if a != b]
    print(f"Rasa's load: {stock['load_wall_s']:.1f} s wall, {stock['load_cpu_s']:.1f} s CPU")
    print(f"fast load:   {fast['load_wall_s']:.1f} s wall, {fast['load_cpu_s']:.1f} s CPU")
    print(f"{len(stock['results'])} held-out examples, {len(differ)} with a different prediction")
    for a, b in differ[:5]:
        print(f"  {a['text']}: {a['intents'][:2]} {a['entities']} vs {b['intents'][:2]} {b['entities']}")
    print(f"load average {os.getloadavg()[0]:.2f}")
    return 1 if differ or len(stock["results"]) != len(fast["results"]) else 0


if __name__ == "__main__":
    sys.exit(main())
