"""`python -m bot serve`: start the action server, the Rasa server (and the gateway
when present), wait until each answers, print where to chat, stop all on Ctrl-C."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

from bot.config import ROOT_DIR, Settings, load_settings
from bot.rasa_server import apply_tf_thread_defaults

READY_TIMEOUT_S = 300.0


@dataclass
class ManagedProcess:
    name: str
    cmd: list[str]
    ready_url: str
    log_path: Path
    env: dict[str, str]
    process: subprocess.Popen | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - open for the process lifetime, closed in stop()
        self.process = subprocess.Popen(
            self.cmd,
            cwd=ROOT_DIR,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited during start-up:\n{self.tail()}")
            try:
                with urllib.request.urlopen(self.ready_url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.5)
        where = self.ready_url.split("?")[0]  # no token in the message
        raise RuntimeError(f"{self.name} did not answer {where} within {timeout_s:.0f} s:\n{self.tail()}")

    def stop(self, grace_s: float = 10.0) -> None:
        if self.process and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        if self._log:
            self._log.close()

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def rasa_endpoints_yaml(settings: Settings) -> str:
    """Action server, tracker store (same database server; SQLite file by default)
    and lock store (Redis when REDIS_URL is set, for several Rasa instances)."""
    # Selective domain: the actions never read the domain, so Rasa does not serialise and
    # send it with every action call (an action that needs it declares `send_domain: true`).
    lines = [
        "action_endpoint:",
        f'  url: "http://{settings.internal_address}:{settings.actions_port}/webhook"',
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
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        r = make_url(redis_url)
        lines += [
            "lock_store:",
            "  type: redis",
            f'  url: "{r.host or "localhost"}"',
            f"  port: {r.port or 6379}",
            f"  db: {r.database or 0}",
        ]
    return "\n".join(lines) + "\n"


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


def build_processes(settings: Settings, model: Path) -> list[ManagedProcess]:
    """The processes of the stack. Rasa and the action server listen on INTERNAL_HOST (only
    the gateway listens on BIND_HOST) and need the tokens of `with_internal_tokens`."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT_DIR),
        "DATABASE_URL": settings.database_url,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "INTERNAL_HOST": settings.internal_host,
        "RASA_TOKEN": settings.rasa_token,
        "ACTIONS_TOKEN": settings.actions_token,
    }
    rasa_dir = settings.data_dir / "rasa"
    rasa_dir.mkdir(parents=True, exist_ok=True)
    endpoints = rasa_dir / "endpoints.yml"
    endpoints.touch(mode=0o600)
    endpoints.chmod(0o600)  # it holds the action server's token
    endpoints.write_text(rasa_endpoints_yaml(settings))
    credentials = rasa_dir / "credentials.yml"
    credentials.write_text("rest: {}\n")
    logs = settings.data_dir / "logs"
    processes = [
        ManagedProcess(
            "action server",
            [sys.executable, "-m", "bot.actions_server", "--port", str(settings.actions_port)],
            f"http://{settings.internal_address}:{settings.actions_port}/health",
            logs / "actions.log",
            {**env, "ACTIONS_WARM_UP": "1"},
        ),
        ManagedProcess(
            "Rasa server",
            [
                sys.executable,
                "-m",
                "bot.rasa_server",
                "run",
                "--model",
                str(model),
                "--port",
                str(settings.rasa_port),
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
            f"http://{settings.internal_address}:{settings.rasa_port}/status?token={settings.rasa_token}",
            logs / "rasa.log",
            apply_tf_thread_defaults(env),
        ),
        ManagedProcess(
            "gateway",
            [sys.executable, "-m", "bot.gateway"],
            f"http://127.0.0.1:{settings.gateway_port}/health",
            logs / "gateway.log",
            env,
        ),
    ]
    return processes


def serve(settings: Settings, seed_demo: bool = True) -> int:
    from bot.training import model_path

    model = model_path(settings.models_dir)
    if not model.exists():
        print(f"No trained model at {model}. Run `python -m bot train` first.", file=sys.stderr)
        return 2
    demo_password = prepare_demo(settings, seed_demo)
    settings = with_internal_tokens(settings)
    processes = build_processes(settings, model)
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        for proc in processes:
            print(f"==> Starting {proc.name} (log: {proc.log_path})", flush=True)
            proc.start()
        for proc in processes:
            proc.wait_ready(READY_TIMEOUT_S)
            print(f"    {proc.name} is ready", flush=True)
        print_urls(settings, processes, demo_password)
        while not stopping:
            for proc in processes:
                if not proc.alive():
                    print(f"!! {proc.name} stopped unexpectedly:\n{proc.tail()}", file=sys.stderr)
                    return 1
            time.sleep(0.5)
        return 0
    except RuntimeError as error:
        print(f"!! {error}", file=sys.stderr)
        return 1
    finally:
        print("==> Stopping ...", flush=True)
        for proc in reversed(processes):
            proc.stop()
        print("==> Stopped.", flush=True)


def print_urls(settings: Settings, processes: list[ManagedProcess], demo_password: str | None = None) -> None:
    names = {p.name for p in processes}
    print("\n=== Parcel assistant is running (Ctrl-C to stop) ===", flush=True)
    if "gateway" in names:
        base = f"http://127.0.0.1:{settings.gateway_port}"
        print(f"  Chat widget (customer):  {base}/", flush=True)
        print(f"  Agent console:           {base}/console", flush=True)
        print(f"  REST endpoint:           POST {base}/webhooks/rest/webhook", flush=True)
        print(f"  Agent API:               {base}/api/...  (docs/gateway-contract.md)", flush=True)
        if demo_password:
            print(
                f"  Demo console login:      {DEMO_AGENT} / {demo_password}  (supervisor; more agents: "
                "python -m bot agents add NAME)",
                flush=True,
            )
    else:
        print(f"  REST endpoint:  POST http://127.0.0.1:{settings.rasa_port}/webhooks/rest/webhook", flush=True)
        print(
            '  e.g. curl -s -XPOST -d \'{"sender":"me","message":"SF1402345678901 到哪了"}\' '
            f"http://127.0.0.1:{settings.rasa_port}/webhooks/rest/webhook",
            flush=True,
        )
    print(
        f"  Rasa server:   http://{settings.internal_address}:{settings.rasa_port}   Action server: "
        f"http://{settings.internal_address}:{settings.actions_port}  (internal: INTERNAL_HOST)",
        flush=True,
    )
    print(f"  Database:      {make_url(settings.database_url).render_as_string(hide_password=True)}", flush=True)
    print(f"  Logs:          {settings.data_dir / 'logs'}\n", flush=True)


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("serve", help="start actions + Rasa (+ gateway) and wait")
    parser.add_argument("--no-demo", action="store_true", help="do not load demo shipments into an empty store")
    parser.set_defaults(handler=lambda args: serve(load_settings(), seed_demo=not args.no_demo))
