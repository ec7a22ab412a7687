"""The gateway application: customer channels (REST, socket.io, WeChat/WeCom when configured) in
front of the Rasa bot, the queue of handoffs to human agents, the agent API and the
static pages (customer widget at /, agent console at /console)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path

from aiohttp import web

from bot.clock import utcnow
from bot.config import Settings, load_settings
from bot.gateway import api, case_api, hooks, openapi, reports_api, upload
from bot.gateway.channels.base import Channel
from bot.gateway.channels.rest import RestChannel
from bot.gateway.channels.socketio import SocketIOChannel
from bot.gateway.channels.wechat.channel import OfficialAccountChannel, WeComChannel
from bot.gateway.cluster import RedisBus, RedisKeyedLocks
from bot.gateway.db import Database
from bot.gateway.hub import Hub
from bot.gateway.keys import (
    BUS_KEY,
    CHANNELS_KEY,
    DB_KEY,
    HUB_KEY,
    LOCKS_KEY,
    LOGIN_LOCKOUT_KEY,
    QUEUE_KEY,
    RASA_KEY,
    REGISTRY_KEY,
    ROUTER_KEY,
    SETTINGS_KEY,
)
from bot.gateway.locks import KeyedLocks
from bot.gateway.outbound import ChannelRegistry
from bot.gateway.queue import QueueService
from bot.gateway.rasa_client import RasaClient
from bot.gateway.ratelimit import customer_limits
from bot.gateway.responses import json_error
from bot.gateway.router import Router
from bot.gateway.survey import BotSurvey
from bot.gateway.telemetry import Telemetry, metrics_handler, queue_gauges
from bot.security import login_lockout

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 256 * 1024

# The pages escape what they display; this policy is a second line of defence.
# Everything is served from here (no CDN): scripts only from this origin. Images may
# come over https: the bot's image replies (relayed as URLs) are shown in the widget.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob: https:; font-src 'self' data:; connect-src 'self' ws: wss:; "
    "frame-ancestors 'self'; base-uri 'self'; form-action 'self'"
)


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if (response.content_type or "").startswith("text/html"):
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)


@web.middleware
async def error_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Unexpected errors become a JSON 500 (logged with the path only, no bodies)."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return json_error(500, "internal_error")


def _page(path: Path) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        if not path.is_file():
            return json_error(404, "not_found", f"{path.relative_to(STATIC_DIR)} is missing")
        return web.FileResponse(path, headers={"Cache-Control": "no-cache"})

    return handler


async def static_file(request: web.Request) -> web.StreamResponse:
    relative = request.match_info.get("path", "")
    root = STATIC_DIR.resolve()
    try:
        target = (root / relative).resolve()
    except (OSError, ValueError):
        raise web.HTTPNotFound() from None
    if root not in target.parents or not target.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(target)


async def rasa_webchat_bundle(request: web.Request) -> web.StreamResponse:
    """The stock rasa-webchat widget (installed from npm by the set-up, WEBCHAT_JS);
    404 lets the demo page fall back to its built-in widget."""
    path = request.app[SETTINGS_KEY].webchat_js
    if not path or not Path(path).is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(
        path, headers={"Content-Type": "application/javascript", "Cache-Control": "public, max-age=3600"}
    )


async def chartjs_bundle(request: web.Request) -> web.StreamResponse:
    """Chart.js for the console's Reports view (installed from npm by the set-up, CHARTJS_JS);
    404 makes the view show its numbers without charts."""
    path = request.app[SETTINGS_KEY].chartjs_js
    if not path or not Path(path).is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(
        path, headers={"Content-Type": "application/javascript", "Cache-Control": "public, max-age=3600"}
    )


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def _warm_up_masking() -> None:
    """Load the spaCy/jieba pipeline used to mask personal data (a few seconds)."""
    try:
        from bot.pii import mask_text

        mask_text("预热 13800000000")
    except Exception:  # masking still loads lazily on first use
        logger.warning("could not pre-load the personal data masker", exc_info=True)


def customer_channels() -> list[Channel]:
    """Every way customers reach us; a new channel is added here (docs/adding-a-channel.md).
    Each one enables itself from the settings (WeChat and WeCom only when configured)."""
    return [RestChannel(), SocketIOChannel(), OfficialAccountChannel(), WeComChannel()]


PURGE_INTERVAL_S = 24 * 3600


async def _purge_daily(settings: Settings) -> None:
    """PRIVACY_RETENTION_DAYS: remove old customer text at start-up, then once a day (bot/privacy.py)."""
    from datetime import timedelta

    from bot.privacy import purge

    loop = asyncio.get_running_loop()
    while True:
        try:
            await loop.run_in_executor(None, purge, settings, timedelta(days=settings.privacy_retention_days))
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("privacy purge failed (retried in a day)")
        await asyncio.sleep(PURGE_INTERVAL_S)


def create_app(
    settings: Settings | None = None, clock: Callable[[], datetime] = utcnow, monitor: bool = True
) -> web.Application:
    settings = settings or load_settings()
    app = web.Application(middlewares=[error_middleware, api.api_auth_middleware], client_max_size=MAX_BODY_BYTES)
    db = Database(settings.database_url)
    telemetry = Telemetry()
    rasa = RasaClient(
        settings.rasa_urls, settings.rasa_timeout_s, token=settings.rasa_token, hold_s=settings.rasa_hold_s
    )
    rasa.on_error = telemetry.rasa_error
    # Several gateway instances (REDIS_URL): locks, agent events and wake-ups go through Redis.
    bus = RedisBus(settings.redis_url, settings.redis_key_prefix) if settings.redis_url else None
    hub = Hub(bus)
    registry = ChannelRegistry(on_delivered=telemetry.messages_out)
    locks = RedisKeyedLocks(bus) if bus is not None else KeyedLocks()
    queue = QueueService(settings, db, registry, hub, rasa, locks, clock, telemetry=telemetry)
    survey = BotSurvey(settings, db, rasa, registry, hub, locks, clock)
    limits = customer_limits(
        settings.rate_limit_conversation, settings.rate_limit_client, settings.redis_url, settings.redis_key_prefix
    )
    router = Router(settings, db, rasa, hub, queue, locks, clock, survey, telemetry, limits)
    telemetry.watch(queue_gauges(db.session, clock, lambda: len(hub.connected_agent_ids())))
    app[SETTINGS_KEY] = settings
    app[DB_KEY] = db
    app[RASA_KEY] = rasa
    app[HUB_KEY] = hub
    app[REGISTRY_KEY] = registry
    app[LOCKS_KEY] = locks
    app[QUEUE_KEY] = queue
    app[ROUTER_KEY] = router
    app[LOGIN_LOCKOUT_KEY] = login_lockout(db.factory, settings, clock)
    app[CHANNELS_KEY] = {}
    if bus is not None:
        app[BUS_KEY] = bus

    async def bus_ctx(app: web.Application) -> AsyncIterator[None]:
        if bus is not None:
            await bus.start()
        yield
        if bus is not None:
            await bus.close()

    async def database_ctx(app: web.Application) -> AsyncIterator[None]:
        db.init()
        yield
        db.dispose()

    async def rasa_ctx(app: web.Application) -> AsyncIterator[None]:
        if monitor:
            rasa.start()  # background health checks of the Rasa instances
        yield
        await rasa.close()

    async def masking_ctx(app: web.Application) -> AsyncIterator[None]:
        warm = asyncio.get_running_loop().run_in_executor(None, _warm_up_masking)
        yield
        await asyncio.wait([warm], timeout=30)

    async def monitor_ctx(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(queue.run_monitor(extra=[survey.ask_quiet_conversations])) if monitor else None
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def privacy_ctx(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(_purge_daily(settings)) if settings.privacy_retention_days > 0 else None
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.cleanup_ctx.extend([bus_ctx, database_ctx, rasa_ctx, masking_ctx, monitor_ctx, privacy_ctx])

    async def close_websockets(app: web.Application) -> None:
        await hub.close_all()

    async def close_limits(app: web.Application) -> None:
        await limits.close()

    hooks.on_cleanup(app, close_limits)

    hooks.on_shutdown(app, close_websockets)
    hooks.on_response_prepare(app, _security_headers)

    app.router.add_get("/health", health)
    app.router.add_get(
        "/metrics", metrics_handler(telemetry, settings.metrics_token, settings.metrics_allowed_networks)
    )
    api.setup_routes(app)
    case_api.setup_routes(app)
    upload.setup_routes(app)
    reports_api.setup_routes(app)
    openapi.setup_routes(app)
    for channel in customer_channels():
        if channel.setup(app, settings):
            registry.register(channel)
    app.router.add_get("/", _page(STATIC_DIR / "widget" / "index.html"))
    app.router.add_get("/console", _page(STATIC_DIR / "console" / "index.html"))
    app.router.add_get("/console/", _page(STATIC_DIR / "console" / "index.html"))
    app.router.add_get("/static/vendor/rasa-webchat.js", rasa_webchat_bundle)
    app.router.add_get("/static/vendor/chart.js", chartjs_bundle)
    app.router.add_get("/static/{path:.+}", static_file)
    return app
