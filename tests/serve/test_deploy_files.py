"""The deployment files (Dockerfile, compose.yaml, deploy/nginx.conf) agree with the code:
every container runs a role `serve --only` accepts with the settings the compose file
gives it, the gateways know every Rasa instance, the proxy knows every gateway and keeps
socket.io sessions sticky. Docker itself does not run here: this reads the files (and
runs `nginx -t` on the proxy configuration where nginx is installed)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import ROOT_DIR, Settings
from bot.serve import ROLES, layout_from_args, layout_problem

APP_IMAGE = "parcel-assistant:latest"
_VARIABLE = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")


def _env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT_DIR / "deploy" / "env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def _interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error} (a required secret gets a stand-in)."""
    if isinstance(value, dict):
        return {k: _interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        if env.get(name):
            return env[name]
        if kind == "-":
            return rest
        return f"stand-in-{name.lower()}"

    return _VARIABLE.sub(substitute, value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT_DIR / "compose.yaml").read_text())


def _dockerfile_env() -> dict[str, str]:
    """ENV values of the application stage of the Dockerfile."""
    text = (ROOT_DIR / "Dockerfile").read_text().replace("\\\n", " ")
    stage = text[text.rindex("FROM python:") :]
    env: dict[str, str] = {}
    for line in stage.splitlines():
        if line.startswith("ENV "):
            env.update(dict(pair.split("=", 1) for pair in line[4:].split()))
    return env


def _app_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in compose["services"].items() if s.get("image") == APP_IMAGE and name != "init"}


def _role(service: dict[str, Any]) -> str:
    command = service["command"]
    assert command[:4] == ["python", "-m", "bot", "serve"], command
    from bot.__main__ import build_parser

    args = build_parser().parse_args(command[3:])
    layout = layout_from_args(args)
    assert len(layout.roles) == 1 and layout.count(layout.roles[0]) == 1, command  # one process per container
    return layout.roles[0]


def test_the_image_is_python_310_slim_and_runs_every_role() -> None:
    text = (ROOT_DIR / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.10-slim\b", text, re.M)
    env = _dockerfile_env()
    assert env["BIND_HOST"] == "0.0.0.0" and env["INTERNAL_HOST"] == "0.0.0.0"  # reachable from other containers
    assert env["MODELS_DIR"] == "/app/models"
    for needed in ("config.yml", "domain.yml", "nlu_data", "actions", "bot"):  # the model's inputs and the code
        assert re.search(rf"^COPY .*\b{re.escape(needed)}\b", text, re.M), needed
    assert "python -m bot train" in text


def test_every_container_runs_one_role_that_serve_accepts_with_its_settings(compose: dict[str, Any]) -> None:
    services = _app_services(compose)
    roles = {name: _role(service) for name, service in services.items()}
    for role in ROLES:  # the multi-instance layout: at least two of each
        assert sum(r == role for r in roles.values()) >= 2, (role, roles)
    secrets = _env_example()
    base = _dockerfile_env()
    for name, service in services.items():
        env = {**base, **_interpolate(service["environment"], secrets)}
        saved = dict(os.environ)
        try:
            os.environ.clear()
            os.environ.update({k: str(v) for k, v in env.items()})
            settings = Settings()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        command = service["command"]
        from bot.__main__ import build_parser

        layout = layout_from_args(build_parser().parse_args(command[3:]))
        assert layout_problem(layout, settings) is None, name
        assert settings.shares_state, f"{name}: every instance shares PostgreSQL and Redis"
        assert settings.database_url.startswith("postgresql") and "@postgres:" in settings.database_url
        if roles[name] in ("gateway", "actions"):
            assert "--no-demo" in command, f"{name}: the init service loads the store once, not every instance"


def test_gateways_know_every_rasa_and_each_rasa_its_action_server(compose: dict[str, Any]) -> None:
    services = _app_services(compose)
    roles = {name: _role(service) for name, service in services.items()}
    rasa = sorted(n for n, r in roles.items() if r == "rasa")
    actions = {n for n, r in roles.items() if r == "actions"}
    rasa_port = 5005  # RASA_PORT's default: the Rasa containers do not set it
    assert not any("RASA_PORT" in services[n]["environment"] for n in rasa)
    for name in (n for n, r in roles.items() if r == "gateway"):
        urls = services[name]["environment"]["RASA_URLS"].split(",")
        assert sorted(urls) == [f"http://{n}:{rasa_port}" for n in rasa], name
        assert "RASA_HOLD_SECONDS" in services[name]["environment"]
    used = set()
    for name in rasa:
        match = re.fullmatch(r"http://([\w-]+):5055/webhook", services[name]["environment"]["ACTIONS_URL"])
        assert match and match.group(1) in actions, name
        used.add(match.group(1))
    assert used == actions, "every action server is used by a Rasa instance"
    init = compose["services"]["init"]
    for name in services:  # no role starts before the tables exist
        condition = services[name]["depends_on"]["init"]["condition"]
        assert condition == "service_completed_successfully", name
    assert init["command"][:3] == ["python", "-m", "bot"]


def _upstreams(conf: str) -> dict[str, tuple[list[str], str]]:
    """upstream name -> (servers, its body)."""
    found = {}
    for name, body in re.findall(r"upstream\s+(\w+)\s*\{([^}]*)\}", conf):
        found[name] = (re.findall(r"^\s*server\s+([\w.-]+:\d+)", body, re.M), body)
    return found


def test_the_proxy_reaches_every_gateway_with_sticky_socketio(compose: dict[str, Any]) -> None:
    conf = (ROOT_DIR / "deploy" / "nginx.conf").read_text()
    services = _app_services(compose)
    gateways = sorted(f"{n}:8080" for n, s in services.items() if _role(s) == "gateway")
    upstreams = _upstreams(conf)
    assert upstreams and all(sorted(servers) == gateways for servers, _ in upstreams.values()), upstreams
    socketio = re.search(r"location /socket\.io/ \{([^}]*)\}", conf)
    assert socketio, "socket.io has its own location"
    sticky = re.search(r"proxy_pass http://(\w+);", socketio.group(1))
    assert sticky and re.search(r"^\s*(ip_hash|hash \S+ consistent|sticky)\b", upstreams[sticky.group(1)][1], re.M)
    assert "Upgrade $http_upgrade" in socketio.group(1)  # websocket transport
    nginx = compose["services"]["nginx"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in nginx["volumes"]
    address = nginx["networks"]["default"]["ipv4_address"]
    for name, service in services.items():
        if _role(service) == "gateway":
            assert service["environment"]["TRUSTED_PROXIES"] == address, name  # X-Forwarded-For from nginx only


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed here")
@pytest.mark.slow  # runs nginx
def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    # The upstream names only resolve inside compose: point them at loopback for the check.
    conf = re.sub(
        r"server (gateway-\d+):8080", r"server 127.0.0.1:8080", (ROOT_DIR / "deploy" / "nginx.conf").read_text()
    )
    path = tmp_path / "nginx.conf"
    path.write_text(f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n" + conf)
    done = subprocess.run(["nginx", "-t", "-c", str(path), "-p", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
