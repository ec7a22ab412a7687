"""`python -m bot.gateway`: run the gateway on GATEWAY_PORT (BIND_HOST)."""

from __future__ import annotations

import logging
import sys

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from bot.config import load_settings
from bot.logs import configure_logging


class PathOnlyAccessLogger(AbstractAccessLogger):
    """Access log without query strings (they may carry tokens or customer ids)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %s %.1fms", request.method, request.path, response.status, time * 1000)


def main() -> int:
    from bot.lean_imports import keep_tensorflow_out

    keep_tensorflow_out()  # before spaCy is imported (personal-data masking): ~600 MB less
    settings = load_settings()
    from bot.gateway.app import _warm_up_masking, create_app

    _warm_up_masking()  # load the masker before the logs go through it (a few seconds)
    configure_logging(settings.log_level)

    app = create_app(settings)
    logging.getLogger(__name__).info("gateway listening on http://%s:%s", settings.host, settings.gateway_port)
    web.run_app(
        app,
        host=settings.host,
        port=settings.gateway_port,
        access_log_class=PathOnlyAccessLogger,
        print=None,
        handle_signals=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
