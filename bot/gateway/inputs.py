"""Untrusted input, checked once for every route and channel: JSON bodies, free text,
ids. Nothing a client sends may turn into a 500 (or reach the database in a form
SQLite or PostgreSQL refuses: NUL characters, lone surrogates, integers past 64 bits)."""

from __future__ import annotations

import json
import re
from typing import Any, TypeGuard

from aiohttp import web

from bot.gateway.responses import bad_request

# C0 controls but tab, newline and carriage return; DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Ids chosen by clients (REST sender, usernames): printable, no separators or controls.
_UNSAFE_ID = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\ud800-\udfff]")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MAX_DB_INT = 2**63 - 1


def clean_text(text: str) -> str:
    """Customer or agent text as it can be stored and sent on: lone surrogates become
    U+FFFD, control characters (NUL ...) are dropped; everything else is kept as typed."""
    return _CONTROL.sub("", _SURROGATE.sub("\ufffd", text))


def is_clean_id(value: Any, limit: int) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip()) and len(value) <= limit and not _UNSAFE_ID.search(value)


def is_uuid(value: str) -> bool:
    return bool(_UUID.match(value))


def parse_db_int(value: Any) -> int | None:
    """A non-negative integer that fits a database INTEGER, else None."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= MAX_DB_INT else None


async def read_json_object(request: web.Request, hint: str = "") -> dict[str, Any]:
    """The request body as a JSON object, or a 400 (not JSON, not an object, nested
    absurdly deep, numbers too long to parse)."""
    suffix = f": {hint}" if hint else ""
    try:
        body = await request.json(loads=json.loads)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise bad_request(f"the body must be JSON{suffix}") from None
    if not isinstance(body, dict):
        raise bad_request(f"the body must be a JSON object{suffix}")
    return body
