"""`python -m bot reports ...`: the daily report (from cron), a summary for any period,
and a demo history for trying the reports on large data.

  reports daily [--date YYYY-MM-DD] [--format md|csv]         (default: yesterday, Markdown)
  reports summary --from YYYY-MM-DD --to YYYY-MM-DD [--group-by day|week|month|channel|language|category]
                  [--format json|csv]
  reports demo-history [--conversations N] [--messages N] [--days N] [--end YYYY-MM-DD] [--seed S]
  reports relink                                               (recompute who came back about what)

Every command takes --database-url (default: DATABASE_URL). Exit codes: 0 done, 1 the
database failed, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.clock import utcnow
from bot.config import load_settings
from bot.db import init_db, make_engine, make_session_factory
from bot.reports.daily import daily_csv, daily_markdown, daily_report
from bot.reports.period import Period, PeriodError, parse_day, parse_group_by, zone
from bot.reports.summary import build_scope, summary, to_csv

EXIT_OK, EXIT_DATABASE, EXIT_USAGE = 0, 1, 2


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "reports",
        help="service reports: daily report, summaries, demo history",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="reports_command", required=True)

    daily = commands.add_parser("daily", help="print one day's report (日报)")
    daily.add_argument("--date", help="local day YYYY-MM-DD (default: yesterday)")
    daily.add_argument("--format", choices=("md", "csv"), default="md")
    _database_option(daily)
    daily.set_defaults(handler=run_daily)

    period = commands.add_parser("summary", help="print every metric of a period")
    period.add_argument("--from", dest="first", required=True, help="first local day YYYY-MM-DD")
    period.add_argument("--to", dest="last", required=True, help="last local day YYYY-MM-DD")
    period.add_argument("--group-by", help="day, week, month, channel, language or category")
    period.add_argument("--format", choices=("json", "csv"), default="json")
    _database_option(period)
    period.set_defaults(handler=run_summary)

    demo = commands.add_parser("demo-history", help="write a realistic demo history of conversations")
    demo.add_argument("--conversations", type=_positive, default=2000)
    demo.add_argument("--messages", type=_positive, help="total messages (default: 5 per conversation)")
    demo.add_argument("--days", type=_positive, default=30)
    demo.add_argument("--end", help="last local day YYYY-MM-DD (default: yesterday)")
    demo.add_argument("--seed", type=int, default=2026)
    _database_option(demo)
    demo.set_defaults(handler=run_demo_history)

    relink = commands.add_parser("relink", help="recompute the contact links of every conversation from history")
    _database_option(relink)
    relink.set_defaults(handler=run_relink)
    return parser


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: DATABASE_URL or DATA_DIR/parcel.db)")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _factory(url: str | None) -> Any:
    engine = make_engine(url or load_settings().database_url, hide_parameters=True)
    init_db(engine)
    return make_session_factory(engine)


def _fail(error: Exception) -> int:
    text = str(error).strip().splitlines()[0] if str(error).strip() else error.__class__.__name__
    print(f"error: {text}", file=sys.stderr)
    return EXIT_DATABASE if isinstance(error, (SQLAlchemyError, OSError)) else EXIT_USAGE


def run_daily(args: argparse.Namespace) -> int:
    settings = load_settings()
    now = utcnow()
    try:
        tz = zone(settings.staffed_tz)
        day = parse_day(args.date, "--date") or (now.astimezone(tz).date() - timedelta(days=1))
        factory = _factory(args.database_url)
        with factory() as session:
            report = daily_report(session, settings, day, now)
    except (PeriodError, SQLAlchemyError, OSError) as error:
        return _fail(error)
    sys.stdout.write(daily_csv(report) if args.format == "csv" else daily_markdown(report))
    return EXIT_OK


def run_summary(args: argparse.Namespace) -> int:
    settings = load_settings()
    now = utcnow()
    try:
        tz = zone(settings.staffed_tz)
        first, last = parse_day(args.first, "--from"), parse_day(args.last, "--to")
        assert first is not None and last is not None
        period = Period(first, last, tz)
        group_by = parse_group_by(args.group_by)
        factory = _factory(args.database_url)
        with factory() as session:
            report = summary(session, settings, build_scope(settings, period, group_by, now))
    except (PeriodError, SQLAlchemyError, OSError) as error:
        return _fail(error)
    if args.format == "csv":
        sys.stdout.write(to_csv(report))
    else:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    return EXIT_OK


def run_demo_history(args: argparse.Namespace) -> int:
    from bot.reports.demo_history import Plan, generate

    settings = load_settings()
    try:
        tz = zone(settings.staffed_tz)
        end: date | None = parse_day(args.end, "--end")
        plan = Plan(
            conversations=args.conversations,
            messages=args.messages or 5 * args.conversations,
            days=args.days,
            end=end,
            seed=args.seed,
            tz=tz,
        )
        factory = _factory(args.database_url)
        started = time.monotonic()
        done = 0

        def progress(n: int) -> None:
            nonlocal done
            done += n
            print(f"\r  {done}/{plan.conversations} conversations", end="", file=sys.stderr, flush=True)

        written = generate(factory, settings, plan, progress)
    except (PeriodError, SQLAlchemyError, OSError) as error:
        return _fail(error)
    print(file=sys.stderr)
    print(f"{written} in {time.monotonic() - started:.1f} s")
    return EXIT_OK


def run_relink(args: argparse.Namespace) -> int:
    from bot.reports.links import recompute_contact_links

    try:
        factory = _factory(args.database_url)
        with factory() as session:
            count = recompute_contact_links(session)
            session.commit()
    except (SQLAlchemyError, OSError) as error:
        return _fail(error)
    print(f"contact links recomputed for {count} conversations")
    return EXIT_OK
