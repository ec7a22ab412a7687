"""`python -m bot serve`: start the action server(s), the Rasa server(s) and the
gateway(s), wait until each answers, print where to chat, keep them running (a crashed
process is restarted with backoff, bot/supervisor.py), stop all on Ctrl-C.

  python -m bot serve                                   one of each (SQLite, no Redis: the default)
  python -m bot serve --gateways 2 --rasa 2 --actions 2 several of each, consecutive ports
  python -m bot serve --only gateway                    one role (a process manager or container)

Instance i of a role listens on its base port + i (GATEWAY_PORT, RASA_PORT, ACTIONS_PORT).
More than one instance of any role (or RASA_WORKERS > 1) shares conversations, locks and
events between processes: that needs REDIS_URL and a database server (DATABASE_URL not
SQLite); `serve` refuses to start such a layout without them."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config import ROOT_DIR, Settings, load_settings
from bot.rasa_server import apply_tf_thread_defaults
from bot.supervisor import ManagedProcess, Supervisor

ROLES = ("gateway", "rasa", "actions")

__all__ = ["Layout", "ManagedProcess", "build_processes", "serve"]


@dataclass(frozen=True)
class Layout:
    """How many processes of each role `serve` runs on this machine."""

    gateways: int = 1
    rasa: int = 1
    actions: int = 1

    def count(self, role: str) -> int:
        return {"gateway": self.gateways, "rasa": self.rasa, "actions": self.actions}[role]

    @property
    def roles(self) -> list[str]:
        return [role for role in ROLES if self.count(role) > 0]

    def describe(self) -> str:
        return ", ".join(f"{self.count(role)} {role}" for role in self.roles)


def layout_problem(layout: Layout, settings: Settings) -> str | None:
    """Why this layout cannot run with these settings (None: it can)."""
    counts = {role: layout.count(role) for role in ROLES}
    if any(n < 0 for n in counts.values()):
        return "instance counts must be 0 or more"
    if not layout.roles:
        return "nothing to run: every role has 0 instances"
    several = [f"{n} {role} instances" for role, n in counts.items() if n > 1]
    if settings.rasa_workers > 1 and layout.rasa:
        several.append(f"RASA_WORKERS={settings.rasa_workers}")
    if len(layout.roles) < len(ROLES) and not (settings.rasa_token and settings.actions_token):
        return (
            "the roles of one deployment run in separate processes here, so they must share the internal "
            "tokens: set RASA_TOKEN and ACTIONS_TOKEN (the same values for every role, e.g. from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )
    if several and not settings.shares_state:
        missing = []
        if not settings.redis_url:
            missing.append("REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
        if settings.database_url.startswith("sqlite"):
            missing.append("a database server in DATABASE_URL (e.g. postgresql+psycopg2://user@127.0.0.1/parcel)")
        return (
            f"{' and '.join(several)} share conversations, locks and events between processes, which needs "
            f"{' and '.join(missing)}. The default (SQLite, no Redis) runs one instance of each role."
        )
    return None


# --- configuration files of Rasa ------------------------------------------------------


def redis_lock_store_lines(redis_url: str, key_prefix: str) -> list[str]:
    parsed = urllib.parse.urlparse(redis_url)
    database = (parsed.path or "/0").lstrip("/") or "0"
    lines = [
        "lock_store:",
        "  type: redis",
        f'  url: "{parsed.hostname or "localhost"}"',
        f"  port: {parsed.port or 6379}",
        f"  db: {int(database) if database.isdigit() else 0}",
        # Rasa accepts only letters and digits here (it adds ":lock:")
        f'  key_prefix: "{"".join(ch for ch in key_prefix if ch.isalnum()) or "parcel"}"',
    ]
    if parsed.password:
        lines.append(f'  password: "{urllib.parse.unquote(parsed.password)}"')
    return lines


def rasa_endpoints_yaml(settings: Settings, actions_url: str | None = None) -> str:
    """Action server, tracker store (same database server; SQLite file by default)
    and lock store (Redis when REDIS_URL is set, for several Rasa instances)."""
    # Selective domain: the actions never read the domain, so Rasa does not serialise and
    # send it with every action call (an action that needs it declares `send_domain: true`).
    lines = [
        "action_endpoint:",
        f'  url: "{actions_url or settings.actions_url}"',
        "  enable_selective_domain: true",
    ]
    if settings.actions_token:
        lines += ["  headers:", f'    Authorization: "Bearer {settings.actions_token}"']
    lines += ["tracker_store:", "  type: SQL"]
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        lines += ["  dialect: sqlite", f'  db: "{settings.data_dir / "rasa_tracker.db"}"']
    else:
        lines += [
            f"  dialect: {url.get_backend_name()}",
            f'  url: "{url.host or "localhost"}"',
            f"  port: {url.port or 5432}",
            f'  username: "{url.username or ""}"',
            f'  password: "{url.password or ""}"',
            f'  db: "{url.database}"',
        ]
    if settings.redis_url:
        lines += redis_lock_store_lines(settings.redis_url, settings.redis_key_prefix)
    return "\n".join(lines) + "\n"


# --- demo data -----------------------------------------------------------------------


def seed_demo_if_empty(settings: Settings, count: int = 300) -> bool:
    from sqlalchemy import func, select

    from bot.db import init_db, make_engine, make_session_factory
    from bot.store.demo import generate_demo_records
    from bot.store.importer import import_jsonl
    from bot.store.models import Shipment

    engine = make_engine(settings.database_url)
    init_db(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        existing = session.execute(select(func.count(Shipment.id))).scalar_one()
    loaded = False
    if existing:
        print(f"==> Shipment store has {existing} shipments", flush=True)
    else:
        import json

        lines = [json.dumps(r, ensure_ascii=False, default=str) for r in generate_demo_records(count=count, seed=7)]
        summary = import_jsonl(lines, factory, progress=False)
        print(f"==> Loaded demo shipments: inserted={summary.inserted} rejected={summary.rejected}", flush=True)
        loaded = summary.inserted > 0
    engine.dispose()
    return loaded


DEMO_AGENT = "demo"


def ensure_demo_agent(settings: Settings) -> str:
    """A supervisor account for trying the console on a laptop, created with a random
    password and kept in DATA_DIR/demo-agent.txt. Only made in the run that loads the demo
    shipments into an empty store: never in a store with real data, never re-created."""
    import secrets

    from bot.gateway.cli import add_agent

    path = settings.data_dir / "demo-agent.txt"
    if path.exists():
        password = path.read_text().strip()
    else:
        password = secrets.token_urlsafe(9)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(password + "\n")
        path.chmod(0o600)
    add_agent(
        DEMO_AGENT, password, role="supervisor", tier=3, display_name="演示主管", database_url=settings.database_url
    )
    return password


def prepare_demo(settings: Settings, seed_demo: bool) -> str | None:
    """Demo shipments into an empty store and, in that same run only, the demo supervisor;
    returns the demo password to print (also on later runs of that demo store)."""
    if not seed_demo:
        return None
    if seed_demo_if_empty(settings):
        return ensure_demo_agent(settings)
    return existing_demo_password(settings)


def existing_demo_password(settings: Settings) -> str | None:
    """The demo supervisor's password from an earlier run (to print it again), if any."""
    path = settings.data_dir / "demo-agent.txt"
    return path.read_text().strip() if path.exists() else None


def with_internal_tokens(settings: Settings) -> Settings:
    """`settings` with RASA_TOKEN / ACTIONS_TOKEN, random ones for this run when unset
    (Rasa's HTTP API and the action server accept only callers that know them)."""
    import dataclasses
    import secrets

    return dataclasses.replace(
        settings,
        rasa_token=settings.rasa_token or secrets.token_urlsafe(32),
        actions_token=settings.actions_token or secrets.token_urlsafe(32),
    )


# --- the processes -------------------------------------------------------------------


def _name(base: str, index: int, count: int) -> str:
    return base if count == 1 else f"{base} {index + 1}"


def build_processes(settings: Settings, model: Path | None, layout: Layout | None = None) -> list[ManagedProcess]:
    """The processes of `layout` (default: one of each), action servers first, gateways
    last. Instance i of a role listens on the role's base port + i; Rasa instance i uses
    action server i (modulo their number), every gateway knows every Rasa instance."""
    layout = layout or Layout()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT_DIR),
        "DATABASE_URL": settings.database_url,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "INTERNAL_HOST": settings.internal_host,
        "RASA_TOKEN": settings.rasa_token,
        "ACTIONS_TOKEN": settings.actions_token,
    }
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    internal = settings.internal_address
    logs = settings.data_dir / "logs"
    processes: list[ManagedProcess] = []

    actions_urls = [f"http://{internal}:{settings.actions_port + i}/webhook" for i in range(layout.actions)]
    for i in range(layout.actions):
        port = settings.actions_port + i
        processes.append(
            ManagedProcess(
                _name("action server", i, layout.actions),
                [sys.executable, "-m", "bot.actions_server", "--port", str(port)],
                f"http://{internal}:{port}/health",
                logs / ("actions.log" if layout.actions == 1 else f"actions-{i + 1}.log"),
                {**env, "ACTIONS_WARM_UP": "1"},
            )
        )

    rasa_urls = [f"http://{internal}:{settings.rasa_port + i}" for i in range(layout.rasa)]
    if layout.rasa:
        if model is None:
            raise ValueError("a trained model is needed to run Rasa")
        rasa_dir = settings.data_dir / "rasa"
        rasa_dir.mkdir(parents=True, exist_ok=True)
        credentials = rasa_dir / "credentials.yml"
        credentials.write_text("rest: {}\n")
    for i in range(layout.rasa):
        port = settings.rasa_port + i
        endpoints = settings.data_dir / "rasa" / ("endpoints.yml" if layout.rasa == 1 else f"endpoints-{i + 1}.yml")
        endpoints.touch(mode=0o600)
        endpoints.chmod(0o600)  # it holds the action server's token
        endpoints.write_text(
            rasa_endpoints_yaml(settings, actions_urls[i % len(actions_urls)] if actions_urls else None)
        )
        processes.append(
            ManagedProcess(
                _name("Rasa server", i, layout.rasa),
                [
                    sys.executable,
                    "-m",
                    "bot.rasa_server",
                    "run",
                    "--model",
                    str(model),
                    "--port",
                    str(port),
                    "--interface",
                    settings.internal_host,
                    "--enable-api",
                    "--auth-token",
                    settings.rasa_token,
                    "--endpoints",
                    str(endpoints),
                    "--credentials",
                    str(credentials),
                ],
                f"http://{internal}:{port}/status?token={settings.rasa_token}",
                logs / ("rasa.log" if layout.rasa == 1 else f"rasa-{i + 1}.log"),
                apply_tf_thread_defaults({**env, "SANIC_WORKERS": str(max(1, settings.rasa_workers))}),
            )
        )

    for i in range(layout.gateways):
        port = settings.gateway_port + i
        gateway_env = {**env, "GATEWAY_PORT": str(port)}
        # The Rasa instances started here; RASA_URL(S) from the environment when Rasa runs
        # elsewhere (--only gateway), and also wins over a single local one (as it always has).
        chosen_elsewhere = bool(os.environ.get("RASA_URL") or os.environ.get("RASA_URLS"))
        if len(rasa_urls) > 1 or (rasa_urls and not chosen_elsewhere):
            gateway_env["RASA_URLS"] = ",".join(rasa_urls)
            gateway_env.pop("RASA_URL", None)
        processes.append(
            ManagedProcess(
                _name("gateway", i, layout.gateways),
                [sys.executable, "-m", "bot.gateway"],
                f"http://127.0.0.1:{port}/health",
                logs / ("gateway.log" if layout.gateways == 1 else f"gateway-{i + 1}.log"),
                gateway_env,
            )
        )
    return processes


def serve(settings: Settings, seed_demo: bool = True, layout: Layout | None = None) -> int:
    layout = layout or Layout()
    problem = layout_problem(layout, settings)
    if problem:
        print(f"Cannot start {layout.describe()}: {problem}", file=sys.stderr)
        return 2
    model = None
    if layout.rasa:
        from bot.training import model_path

        model = model_path(settings.models_dir)
        if not model.exists():
            print(f"No trained model at {model}. Run `python -m bot train` first.", file=sys.stderr)
            return 2
    demo_password = prepare_demo(settings, seed_demo and bool(layout.gateways or layout.actions))
    if not layout.gateways:
        demo_password = None
    settings = with_internal_tokens(settings)
    processes = build_processes(settings, model, layout)
    supervisor = Supervisor(processes)
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        supervisor.start_all(settings.ready_timeout_s)
        print_urls(settings, layout, demo_password)
        supervisor.run(lambda: stopping)
        return 0
    except RuntimeError as error:
        print(f"!! {error}", file=sys.stderr)
        return 1
    finally:
        print("==> Stopping ...", flush=True)
        supervisor.stop_all()
        print("==> Stopped.", flush=True)


def _ports(base: int, count: int) -> str:
    return str(base) if count == 1 else f"{base}-{base + count - 1}"


def print_urls(settings: Settings, layout: Layout, demo_password: str | None = None) -> None:
    print("\n=== Parcel assistant is running (Ctrl-C to stop) ===", flush=True)
    internal = settings.internal_address
    if layout.gateways:
        base = f"http://127.0.0.1:{settings.gateway_port}"
        print(f"  Chat widget (customer):  {base}/", flush=True)
        print(f"  Agent console:           {base}/console", flush=True)
        print(f"  REST endpoint:           POST {base}/webhooks/rest/webhook", flush=True)
        print(f"  Agent API:               {base}/api/...  (docs/gateway-contract.md)", flush=True)
        if layout.gateways > 1:
            print(
                f"  Gateways:                ports {_ports(settings.gateway_port, layout.gateways)} "
                "(put a reverse proxy in front: README 'Running at scale')",
                flush=True,
            )
        if demo_password:
            print(
                f"  Demo console login:      {DEMO_AGENT} / {demo_password}  (supervisor; more agents: "
                "python -m bot agents add NAME)",
                flush=True,
            )
    elif layout.rasa:
        print(f"  REST endpoint:  POST http://{internal}:{settings.rasa_port}/webhooks/rest/webhook", flush=True)
        print(
            '  e.g. curl -s -XPOST -d \'{"sender":"me","message":"SF1402345678901 到哪了"}\' '
            f"http://{internal}:{settings.rasa_port}/webhooks/rest/webhook",
            flush=True,
        )
    if layout.rasa:
        print(
            f"  Rasa server:   http://{internal}:{_ports(settings.rasa_port, layout.rasa)}  (internal: INTERNAL_HOST)",
            flush=True,
        )
    if layout.actions:
        print(
            f"  Action server: http://{internal}:{_ports(settings.actions_port, layout.actions)}  "
            "(internal: INTERNAL_HOST)",
            flush=True,
        )
    print(f"  Database:      {make_url(settings.database_url).render_as_string(hide_password=True)}", flush=True)
    if settings.redis_url:
        shown = urllib.parse.urlparse(settings.redis_url)
        print(f"  Redis:         {shown.hostname}:{shown.port or 6379}{shown.path or ''}", flush=True)
    print(f"  Logs:          {settings.data_dir / 'logs'}\n", flush=True)


def layout_from_args(args: argparse.Namespace) -> Layout:
    counts = {"gateway": args.gateways, "rasa": args.rasa, "actions": args.actions}
    if args.only:
        counts = {role: (n if role == args.only else 0) for role, n in counts.items()}
    return Layout(gateways=counts["gateway"], rasa=counts["rasa"], actions=counts["actions"])


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "serve",
        help="start actions + Rasa + gateway (or some of them, several of each) and keep them running",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--no-demo", action="store_true", help="do not load demo shipments into an empty store")
    parser.add_argument("--only", choices=ROLES, help="run only this role (its count from --gateways/--rasa/--actions)")
    parser.add_argument("--gateways", type=int, default=1, metavar="N", help="gateway instances (default 1)")
    parser.add_argument("--rasa", type=int, default=1, metavar="N", help="Rasa server instances (default 1)")
    parser.add_argument("--actions", type=int, default=1, metavar="N", help="action server instances (default 1)")
    parser.set_defaults(
        handler=lambda args: serve(load_settings(), seed_demo=not args.no_demo, layout=layout_from_args(args))
    )
