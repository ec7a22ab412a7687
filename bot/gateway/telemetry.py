"""Operations metrics of a gateway process in Prometheus' text format (GET /metrics,
prometheus_client): messages in and out by channel, bot turn latency, Rasa errors, the
queue (length, oldest wait, first-response waits, SLA breaches), agents connected.

Counters and histograms count what this process did (Prometheus sums them over several
gateways); the queue gauges are read from the shared database at scrape time, so every
gateway reports the same values (take their max, not their sum). Labels carry only
channels, outcomes and priorities: no customer, agent or message ever appears here.

Who may scrape: with METRICS_TOKEN set, callers presenting `Authorization: Bearer
<token>`; always the addresses of METRICS_ALLOWED_NETWORKS (default: loopback only)."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.contract import HandoffStatus, Priority
from bot.gateway.models import Handoff

TURN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
WAIT_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)


class Telemetry:
    """The metrics of one gateway app (its own registry: several apps in one process, as in
    the tests, do not share counts)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        self.messages = Counter(
            "parcel_messages",
            "Messages from customers (in) and to customers (out), by channel.",
            ["channel", "direction"],
            registry=self.registry,
        )
        self.turn_seconds = Histogram(
            "parcel_bot_turn_seconds",
            "Time from a customer message to the replies sent back on its channel.",
            ["channel"],
            buckets=TURN_BUCKETS,
            registry=self.registry,
        )
        self.rasa_errors = Counter(
            "parcel_rasa_errors",
            "Calls to Rasa that failed (timeout, refused, server error, bad answer).",
            ["kind"],
            registry=self.registry,
        )
        self.first_response_wait = Histogram(
            "parcel_queue_wait_seconds",
            "Wait from handoff to the first agent message, by priority.",
            ["priority"],
            buckets=WAIT_BUCKETS,
            registry=self.registry,
        )
        self.sla_breaches = Counter(
            "parcel_sla_breaches",
            "Handoffs this gateway's monitor saw pass their first-response SLA.",
            registry=self.registry,
        )

    def message_in(self, channel: str) -> None:
        self.messages.labels(channel=channel, direction="in").inc()

    def messages_out(self, channel: str, count: int = 1) -> None:
        if count:
            self.messages.labels(channel=channel, direction="out").inc(count)

    def rasa_error(self, kind: str) -> None:
        self.rasa_errors.labels(kind=kind).inc()

    def watch(self, queue_state: Callable[[], Iterator[GaugeMetricFamily]]) -> None:
        """Gauges computed at each scrape (the queue, connected agents)."""
        self.registry.register(_Gauges(queue_state))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _Gauges(Collector):
    def __init__(self, produce: Callable[[], Iterator[GaugeMetricFamily]]) -> None:
        self.produce = produce

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self.produce()

    def describe(self) -> list[GaugeMetricFamily]:
        return []


def queue_gauges(
    session_factory: Callable[[], Session], now: Callable[[], datetime], agents_online: Callable[[], int]
) -> Callable[[], Iterator[GaugeMetricFamily]]:
    """The gauges read at scrape time: waiting handoffs by priority, the oldest wait, open
    handoffs past their SLA without a first response, agents with an open console."""

    def produce() -> Iterator[GaugeMetricFamily]:
        moment = now()
        with session_factory() as session:
            waiting = dict(
                session.execute(
                    select(Handoff.priority, func.count())
                    .where(Handoff.status == HandoffStatus.WAITING.value)
                    .group_by(Handoff.priority)
                ).all()
            )
            oldest = session.execute(
                select(func.min(Handoff.waiting_since)).where(Handoff.status == HandoffStatus.WAITING.value)
            ).scalar()
            breached = session.execute(
                select(func.count()).where(
                    Handoff.status.in_((HandoffStatus.WAITING.value, HandoffStatus.ASSIGNED.value)),
                    Handoff.first_agent_response_at.is_(None),
                    Handoff.sla_due_at < moment,
                )
            ).scalar_one()
        length = GaugeMetricFamily(
            "parcel_queue_waiting", "Handoffs waiting for an agent, by priority.", labels=["priority"]
        )
        for priority in Priority.values():
            length.add_metric([priority], float(waiting.get(priority, 0)))
        yield length
        yield GaugeMetricFamily(
            "parcel_queue_oldest_wait_seconds",
            "How long the longest-waiting customer has waited.",
            value=(moment - oldest).total_seconds() if oldest is not None else 0.0,
        )
        yield GaugeMetricFamily(
            "parcel_sla_breached_open", "Open handoffs past their SLA without a first response.", value=float(breached)
        )
        yield GaugeMetricFamily(
            "parcel_agents_connected",
            "Agents with an open console websocket on this gateway.",
            value=float(agents_online()),
        )

    return produce


def _allowed(request: web.Request, token: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    if token:
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode()):
            return True
    try:
        address = ipaddress.ip_address(request.remote or "")
    except ValueError:
        return False
    return any(address in network for network in networks)


def parse_networks(spec: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """ "127.0.0.1/32,::1/128" -> networks (ValueError on a bad entry)."""
    return [ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip()]


def metrics_handler(
    telemetry: Telemetry, token: str, networks_spec: str
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    networks = parse_networks(networks_spec)

    async def handler(request: web.Request) -> web.Response:
        if not _allowed(request, token, networks):
            return web.json_response(
                {"error": "forbidden", "detail": "metrics are for the monitoring system"}, status=403
            )
        return web.Response(
            body=telemetry.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}
        )

    return handler
