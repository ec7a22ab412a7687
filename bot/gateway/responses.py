"""JSON responses of the gateway: one encoder (UTF-8 text, no \\u escapes) and one
error shape, `{"error": code, "detail": "..."}` (detail only when there is one)."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from aiohttp import web

dumps = partial(json.dumps, ensure_ascii=False)
json_response = partial(web.json_response, dumps=dumps)


def error_body(code: str, detail: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": code}
    if detail:
        body["detail"] = detail
    return body


def json_error(status: int, code: str, detail: str | None = None) -> web.Response:
    """An error answer to return from a handler."""
    return json_response(error_body(code, detail), status=status)


def bad_request(detail: str) -> web.HTTPBadRequest:
    """A 400 to raise from helpers deep inside a handler (same body as `json_error`)."""
    return web.HTTPBadRequest(text=dumps(error_body("bad_request", detail)), content_type="application/json")
