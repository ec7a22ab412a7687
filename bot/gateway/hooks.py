"""Typed registration of the aiohttp application's signal handlers.

aiohttp 3.9 annotates its signals (`app.on_shutdown`, ...) for aiosignal < 1.4, whose
`Signal` took the handler type; aiosignal 1.4 (what pip installs) takes the handlers'
argument types instead, so a correct handler does not type-check at the `append`. The
mismatch is confined here: callers register properly typed handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

AppHandler = Callable[[web.Application], Awaitable[None]]
PrepareHandler = Callable[[web.Request, web.StreamResponse], Awaitable[None]]


def on_shutdown(app: web.Application, handler: AppHandler) -> None:
    app.on_shutdown.append(handler)  # type: ignore[arg-type]  # aiosignal 1.4 vs aiohttp 3.9, see above


def on_cleanup(app: web.Application, handler: AppHandler) -> None:
    app.on_cleanup.append(handler)  # type: ignore[arg-type]  # aiosignal 1.4 vs aiohttp 3.9, see above


def on_response_prepare(app: web.Application, handler: PrepareHandler) -> None:
    app.on_response_prepare.append(handler)  # type: ignore[arg-type]  # aiosignal 1.4 vs aiohttp 3.9
