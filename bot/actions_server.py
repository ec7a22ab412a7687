"""`python -m bot.actions_server --port N`: the rasa_sdk action server, hardened.

The stock `python -m rasa_sdk` binds every interface (SANIC_HOST, default 0.0.0.0), allows
any CORS origin, needs no credentials, and answers an action's exception with the whole
request (the tracker, slots and all) in the 500 body. Anyone reaching it can send a
forged tracker. Here:

- it binds `INTERNAL_HOST` (default 127.0.0.1), never BIND_HOST;
- every route but /health needs `Authorization: Bearer <ACTIONS_TOKEN>` (Rasa sends it:
  endpoints.yml `headers`; `python -m bot serve` generates a token per run when unset);
- no CORS headers, no access log, errors answered without echoing the request;
- logs go through the masking formatter (bot/logs.py);
- TensorFlow stays out of memory (bot/lean_imports.py): only spaCy's rule matcher is used here.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import sys
from typing import Any

from bot.config import load_settings
from bot.logs import configure_logging, mask_existing_handlers

logger = logging.getLogger(__name__)

PUBLIC_PATHS = {"/health"}


def create_app(token: str, actions_package: str = "actions") -> Any:
    from rasa_sdk.endpoint import create_app as create_sdk_app
    from sanic import response

    app = create_sdk_app(actions_package, cors_origins=None)

    @app.middleware("request")
    async def require_token(request: Any) -> Any | None:
        if request.path in PUBLIC_PATHS or not token:
            return None
        scheme, _, presented = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), token.encode()):
            return response.json({"error": "unauthorized"}, status=401)
        return None

    async def masked_error(request: Any, exception: Exception) -> Any:
        status = getattr(exception, "status_code", 500) or 500
        if status >= 500:
            logger.error("action server error on %s: %s", request.path, type(exception).__name__, exc_info=exception)
        return response.json({"error": "internal_error" if status >= 500 else "bad_request"}, status=status)

    app.error_handler.add(Exception, masked_error)
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.actions_server", description=__doc__)
    parser.add_argument("--port", type=int, default=None, help="default ACTIONS_PORT")
    parser.add_argument("--actions", default="actions")
    args = parser.parse_args(argv)
    from bot.lean_imports import keep_tensorflow_out

    keep_tensorflow_out()  # before spaCy is imported (personal-data masking): ~600 MB less
    settings = load_settings()
    from bot.pii import mask_text

    mask_text("预热 13800000000")  # load the masker before the logs go through it
    configure_logging(settings.log_level)
    app = create_app(settings.actions_token, args.actions)
    mask_existing_handlers()  # Sanic's own loggers
    port = args.port or settings.actions_port
    if not settings.actions_token:
        logger.warning(
            "ACTIONS_TOKEN is not set: the action server accepts calls from anyone who reaches %s:%s",
            settings.internal_host,
            port,
        )
    logger.info("action server on http://%s:%s", settings.internal_host, port)
    app.run(
        host=settings.internal_host, port=port, workers=max(1, settings.actions_workers), access_log=False, motd=False
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
