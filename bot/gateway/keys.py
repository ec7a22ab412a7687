"""Typed application keys shared by the gateway modules."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.config import Settings
from bot.gateway.cluster import RedisBus
from bot.gateway.db import Database
from bot.gateway.hub import Hub
from bot.gateway.locks import KeyedLocks
from bot.gateway.outbound import ChannelRegistry
from bot.gateway.queue import QueueService
from bot.gateway.rasa_client import RasaClient
from bot.gateway.router import Router
from bot.security import Lockout

SETTINGS_KEY = web.AppKey("settings", Settings)
DB_KEY = web.AppKey("db", Database)
RASA_KEY = web.AppKey("rasa", RasaClient)
HUB_KEY = web.AppKey("hub", Hub)
REGISTRY_KEY = web.AppKey("registry", ChannelRegistry)
LOCKS_KEY = web.AppKey("locks", KeyedLocks)
QUEUE_KEY = web.AppKey("queue", QueueService)
ROUTER_KEY = web.AppKey("router", Router)
# Failed agent logins (bot.security, shared database).
LOGIN_LOCKOUT_KEY = web.AppKey("login_lockout", Lockout)
# Only with REDIS_URL (several gateway instances): the event bus between them (bot/gateway/cluster.py).
BUS_KEY = web.AppKey("bus", RedisBus)
# Extra per-app objects of the channels (socket.io server, long-poll notifier ...).
CHANNELS_KEY = web.AppKey("channels", dict[str, Any])
