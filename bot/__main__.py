"""Command line: `python -m bot <command>`.

shipments import FILE.jsonl     load shipments (upsert by tracking number)
shipments demo --count N        generate realistic demo shipments
agents add USERNAME             create/update an agent (password on stdin)
train [--force]                 train the Rasa model if its data changed
serve                           start actions + Rasa (+ gateway) and wait
privacy purge --older-than DAYS delete customer text older than DAYS (gateway + Rasa trackers)
reports daily [--date D]        print a day's service report (日报); also summary, demo-history
"""

from __future__ import annotations

import argparse
import sys

from bot import privacy, serve, training
from bot.gateway import cli as agents_cli
from bot.reports import cli as reports_cli
from bot.store import cli as shipments_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    shipments_cli.add_parser(commands)
    agents_cli.add_parser(commands)
    training.add_parser(commands)
    serve.add_parser(commands)
    privacy.add_parser(commands)
    reports_cli.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
