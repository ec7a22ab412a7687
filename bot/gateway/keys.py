"""Typed application keys shared by the gateway modules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.config import Settings

if TYPE_CHECKING:
    from bot.gateway.auth import LoginThrottle
    from bot.gateway.db import Database
    from bot.gateway.hub import Hub
    from bot.gateway.locks import KeyedLocks
    from bot.gateway.outbound import ChannelRegistry
    from bot.gateway.queue import QueueService
    from bot.gateway.rasa_client import RasaClient
    from bot.gateway.router import Router

SETTINGS_KEY = web.AppKey("settings", Settings)
DB_KEY: web.AppKey[Database] = web.AppKey("db")  # type: ignore[assignment]
RASA_KEY: web.AppKey[RasaClient] = web.AppKey("rasa")  # type: ignore[assignment]
HUB_KEY: web.AppKey[Hub] = web.AppKey("hub")  # type: ignore[assignment]
REGISTRY_KEY: web.AppKey[ChannelRegistry] = web.AppKey("registry")  # type: ignore[assignment]
LOCKS_KEY: web.AppKey[KeyedLocks] = web.AppKey("locks")  # type: ignore[assignment]
QUEUE_KEY: web.AppKey[QueueService] = web.AppKey("queue")  # type: ignore[assignment]
ROUTER_KEY: web.AppKey[Router] = web.AppKey("router")  # type: ignore[assignment]
THROTTLE_KEY: web.AppKey[LoginThrottle] = web.AppKey("login_throttle")  # type: ignore[assignment]
# Extra per-app objects of the channels (socket.io server, long-poll notifier ...).
CHANNELS_KEY: web.AppKey[dict[str, Any]] = web.AppKey("channels")  # type: ignore[assignment]
