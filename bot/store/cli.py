"""`python -m bot shipments ...`: import a JSON Lines file, or load demo shipments.

  shipments import FILE [--database-url URL]
  shipments demo --count N [--seed S] [--database-url URL] [--output FILE]

Exit codes: 0 on success (also when some lines were rejected: they are listed),
1 when the database fails, 2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.config import load_settings
from bot.db import init_db, make_engine, make_session_factory
from bot.store.importer import ImportSummary, import_jsonl

EXIT_OK, EXIT_DATABASE, EXIT_UNREADABLE = 0, 1, 2
DEMO_PROGRESS_MIN = 5000  # records; smaller demo sets load too fast for a bar


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "shipments",
        help="import shipments or load demo data",
        description="Load shipments into the store (see docs/shipment.schema.json).",
    )
    commands = parser.add_subparsers(dest="shipments_command", required=True)

    imp = commands.add_parser("import", help="import a .jsonl file (upsert by tracking number)")
    imp.add_argument("file", help="JSON Lines file, one shipment per line ('-' for standard input)")
    _add_database_option(imp)
    imp.set_defaults(handler=run_import)

    demo = commands.add_parser("demo", help="generate realistic demo shipments and import them")
    demo.add_argument("--count", type=_positive_int, default=200, help="number of shipments (default 200)")
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    demo.add_argument("--output", help="also write the generated records to this .jsonl file")
    _add_database_option(demo)
    demo.set_defaults(handler=run_demo)
    return parser


def _add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: DATABASE_URL or DATA_DIR/parcel.db)")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _session_factory(database_url: str | None) -> Any:
    engine = make_engine(database_url or load_settings().database_url)
    init_db(engine)
    return make_session_factory(engine)


def print_summary(summary: ImportSummary) -> None:
    for line_no, reason in summary.errors:
        print(f"line {line_no}: {reason}")
    if summary.errors_truncated:
        print(f"... {summary.rejected - len(summary.errors)} more rejected lines not listed")
    print(str(summary))


def _open_store(database_url: str | None) -> Any:
    """The session factory, or None after printing why the database cannot be used."""
    try:
        return _session_factory(database_url)
    except (SQLAlchemyError, OSError) as exc:
        print(f"error: cannot open the database: {_first_line(exc)}", file=sys.stderr)
        return None


def run_import(args: argparse.Namespace) -> int:
    source: Any = sys.stdin.buffer if args.file == "-" else args.file
    if source is not sys.stdin.buffer:
        try:
            with open(source, "rb"):
                pass  # fail early, before touching the database
        except OSError as exc:
            print(f"error: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_UNREADABLE
    factory = _open_store(args.database_url)
    if factory is None:
        return EXIT_DATABASE
    try:
        summary = import_jsonl(source, factory, progress=sys.stderr.isatty())
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    except SQLAlchemyError as exc:
        print(f"error: database: {_first_line(exc)}", file=sys.stderr)
        return EXIT_DATABASE
    print_summary(summary)
    return EXIT_OK


def run_demo(args: argparse.Namespace) -> int:
    from bot.store.demo import demo_lines, write_demo_jsonl

    if args.output:
        try:
            write_demo_jsonl(args.output, args.count, args.seed)
        except OSError as exc:
            print(f"error: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_UNREADABLE
    factory = _open_store(args.database_url)
    if factory is None:
        return EXIT_DATABASE
    try:
        if args.output:
            summary = import_jsonl(args.output, factory, progress=sys.stderr.isatty())
        else:
            show = sys.stderr.isatty() and args.count >= DEMO_PROGRESS_MIN
            summary = import_jsonl(demo_lines(args.count, args.seed), factory, progress=show)
    except SQLAlchemyError as exc:
        print(f"error: database: {_first_line(exc)}", file=sys.stderr)
        return EXIT_DATABASE
    print_summary(summary)
    return EXIT_OK


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.splitlines()[0] if text else type(exc).__name__
