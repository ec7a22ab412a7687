"""The OpenAPI 3 description of the agent API (conversations, queue, cases, reports,
labels), served at GET /api/openapi.json.

Written by hand next to the routes it describes; tests/gateway/test_openapi.py checks
that every /api route the app registers is described here and nothing else is, and
tests/security/test_api_fuzz.py fuzzes the API from this document (no 5xx; every 4xx
has the error shape of bot/gateway/responses.py). A new /api route needs its entry here.
"""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from bot.contract import CaseStatus, CaseType, Language
from bot.gateway.responses import json_response

Schema = dict[str, Any]

ERROR: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "description": "a stable code, e.g. bad_request, not_found"},
        "detail": {"type": "string", "description": "for people: what was wrong"},
    },
    "additionalProperties": False,
}

_ERROR_TEXTS = {
    400: "the request is malformed (body, parameters)",
    401: "no valid `Authorization: Bearer <token>`",
    403: "the agent may not do this",
    404: "no such object",
    405: "method not allowed",
    409: "not possible in the object's current state",
    413: "the body is too large",
    429: "too many attempts",
    503: "the bot is unavailable",
}
# What any route can answer: a body that is too large, a wrong method.
_ALWAYS = (405, 413)


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Schema] | None = None, required: list[str] | None = None) -> Schema:
    schema: Schema = {"type": "object"}
    if properties:
        schema["properties"] = properties
    if required:
        schema["required"] = required
    return schema


def _nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


STRING: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
BOOL: Schema = {"type": "boolean"}
TIME: Schema = _nullable({"type": "string", "format": "date-time"})
TEXT_BODY: Schema = _obj({"text": {"type": "string", "minLength": 1, "maxLength": 4000}}, ["text"])

SCHEMAS: dict[str, Schema] = {
    "Error": ERROR,
    "Agent": _obj(
        {"id": INT, "username": STRING, "display_name": STRING, "role": STRING, "tier": INT},
        ["id", "username", "display_name", "role", "tier"],
    ),
    "Conversation": _obj(
        {
            "id": STRING,
            "channel": STRING,
            "sender_id": STRING,
            "state": STRING,
            "language": STRING,
            "verified": BOOL,
            "created_at": TIME,
            "updated_at": TIME,
        },
        ["id", "channel", "state", "language", "verified"],
    ),
    "Handoff": _obj(
        {
            "id": INT,
            "handoff_id": INT,
            "conversation_id": STRING,
            "reason": STRING,
            "category": STRING,
            "priority": STRING,
            "tier": INT,
            "status": STRING,
            "tracking_numbers": {"type": "array", "items": STRING},
            "summary": _nullable(STRING),
        },
        ["id", "conversation_id", "status"],
    ),
    "Message": _obj(
        {"id": INT, "conversation_id": STRING, "role": STRING, "text": _nullable(STRING), "created_at": TIME},
        ["id", "conversation_id", "role"],
    ),
    "Note": _obj({"id": INT, "conversation_id": STRING, "text": STRING, "created_at": TIME}, ["id", "text"]),
    "CaseItem": _obj(
        {
            "id": INT,
            "reference": STRING,
            "type": STRING,
            "status": STRING,
            "priority": STRING,
            "due_at": TIME,
            "overdue": BOOL,
            "summary": _nullable(STRING),
        },
        ["id", "reference", "type", "status"],
    ),
    "CaseDetail": _obj(
        {
            "case": _ref("CaseItem"),
            "timeline": {"type": "array", "items": _obj()},
            "attachments": {"type": "array", "items": _obj()},
            "transcript": _nullable(_obj()),
            "csat": _nullable(INT),
        },
        ["case", "timeline", "attachments"],
    ),
}


def _op(
    summary: str,
    ok: Schema | None,
    errors: tuple[int, ...] = (),
    public: bool = False,
    body: Schema | None = None,
    body_required: bool = True,
    params: list[Schema] | None = None,
    ok_status: str = "200",
    ok_type: str = "application/json",
) -> Schema:
    """One operation: its success response and the errors it can answer (all JSON `Error`)."""
    codes = set(errors) | set(_ALWAYS) | (set() if public else {401})
    if body is not None or params:
        codes.add(400)
    responses: dict[str, Schema] = {
        ok_status: {"description": "OK", **({"content": {ok_type: {"schema": ok}}} if ok is not None else {})}
    }
    for code in sorted(codes):
        responses[str(code)] = {
            "description": _ERROR_TEXTS[code],
            "content": {"application/json": {"schema": _ref("Error")}},
        }
    operation: Schema = {"summary": summary, "responses": responses}
    if public:
        operation["security"] = []
    if body is not None:
        operation["requestBody"] = {"required": body_required, "content": {"application/json": {"schema": body}}}
    if params:
        operation["parameters"] = params
    return operation


def _path_id(description: str, schema: Schema) -> Schema:
    return {"name": "id", "in": "path", "required": True, "description": description, "schema": schema}


def _query(name: str, schema: Schema, description: str = "") -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


CONVERSATION_ID = _path_id("conversation id (UUID)", {"type": "string"})
HANDOFF_ID = _path_id("handoff id", {"type": "string", "pattern": "^[0-9]+$"})
CASE_ID = _path_id("case id", {"type": "string", "pattern": "^[0-9]+$"})
DAY = {"type": "string", "format": "date"}
GROUP_BY = {"type": "string", "enum": ["day", "week", "month", "channel", "language", "category"]}
CONVERSATION_AND_HANDOFF = _obj({"conversation": _ref("Conversation"), "handoff": _ref("Handoff")})
_CASE_STATUSES = sorted({s.value for s in CaseStatus} | {"active"})

PATHS: dict[str, dict[str, Schema]] = {
    "/api/openapi.json": {"get": _op("This document", _obj(), public=True)},
    "/api/labels": {
        "get": _op("Every shared vocabulary with zh/en labels (bot/contract.py)", _obj(), public=True),
    },
    "/api/login": {
        "post": _op(
            "Log in: a bearer token (failed logins are limited per user and per client)",
            _obj({"token": STRING, "agent": _ref("Agent")}, ["token", "agent"]),
            errors=(401, 429),
            public=True,
            body=_obj(
                {
                    "username": {"type": "string", "minLength": 1, "maxLength": 64},
                    "password": {"type": "string", "minLength": 1, "maxLength": 256},
                },
                ["username", "password"],
            ),
        )
    },
    "/api/logout": {"post": _op("End this token's session (its websocket closes)", _obj({"ok": BOOL}))},
    "/api/me": {
        "get": _op(
            "The agent, their open chats and their limit",
            _obj({"agent": _ref("Agent"), "assigned": INT, "max_chats": INT}, ["agent"]),
        )
    },
    "/api/queue": {
        "get": _op(
            "Waiting hand-offs the agent may take, most urgent first",
            _obj({"items": {"type": "array", "items": _obj()}, "overdue_cases": INT}, ["items"]),
        )
    },
    "/api/conversations": {
        "get": _op(
            "The agent's chats (supervisors: every open chat)",
            _obj({"items": {"type": "array", "items": _ref("Conversation")}}, ["items"]),
        )
    },
    "/api/conversations/{id}": {
        "get": _op(
            "A conversation with its transcript (personal data masked unless verified)",
            _obj(
                {
                    "conversation": _ref("Conversation"),
                    "handoff": _nullable(_ref("Handoff")),
                    "messages": {"type": "array", "items": _ref("Message")},
                    "notes": {"type": "array", "items": _ref("Note")},
                },
                ["conversation", "messages", "notes"],
            ),
            errors=(403, 404),
            params=[CONVERSATION_ID],
        )
    },
    "/api/handoffs/{id}/claim": {
        "post": _op(
            "Take a waiting hand-off", _obj({"handoff": _ref("Handoff")}), errors=(403, 404, 409), params=[HANDOFF_ID]
        )
    },
    "/api/conversations/{id}/messages": {
        "post": _op(
            "Reply to the customer",
            _obj({"message": _ref("Message")}),
            errors=(403, 404, 409),
            body=TEXT_BODY,
            params=[CONVERSATION_ID],
        )
    },
    "/api/conversations/{id}/notes": {
        "post": _op(
            "An internal note",
            _obj({"note": _ref("Note")}),
            errors=(403, 404, 409),
            body=TEXT_BODY,
            params=[CONVERSATION_ID],
        )
    },
    "/api/conversations/{id}/escalate": {
        "post": _op(
            "Hand the chat to the next tier",
            CONVERSATION_AND_HANDOFF,
            errors=(403, 404, 409),
            body=_obj({"note": {"type": "string", "maxLength": 4000}}),
            body_required=False,
            params=[CONVERSATION_ID],
        )
    },
    "/api/conversations/{id}/resolve": {
        "post": _op(
            "Resolve (the customer is asked for a rating)",
            CONVERSATION_AND_HANDOFF,
            errors=(403, 404, 409),
            params=[CONVERSATION_ID],
        )
    },
    "/api/conversations/{id}/handback": {
        "post": _op(
            "Give the chat back to the bot (the agent's access ends)",
            CONVERSATION_AND_HANDOFF,
            errors=(403, 404, 409, 503),
            params=[CONVERSATION_ID],
        )
    },
    "/api/canned-replies": {
        "get": _op(
            "Canned replies",
            {
                "type": "array",
                "items": _obj(
                    {"id": STRING, "language": STRING, "title": STRING, "text": STRING}, ["id", "language", "text"]
                ),
            },
            params=[_query("language", {"type": "string", "enum": Language.values()})],
        )
    },
    "/api/ws": {
        "get": _op(
            "The agent's live events (websocket; `?token=`); closed with 4001 when the session ends",
            None,
            errors=(401,),
            public=True,
            ok_status="101",
            params=[_query("token", STRING, "the bearer token")],
        )
    },
    "/api/cases": {
        "get": _op(
            "Cases by due time",
            _obj({"items": {"type": "array", "items": _ref("CaseItem")}}, ["items"]),
            params=[
                _query("status", STRING, "comma-separated among " + ", ".join(_CASE_STATUSES)),
                _query("type", STRING, "comma-separated among " + ", ".join(sorted(t.value for t in CaseType))),
                _query("owner", STRING, "me, none or an agent id"),
                _query("overdue", {"type": "string", "enum": ["true", "false", "1", "0"]}),
                _query("tracking", STRING, "a tracking number"),
                _query("limit", {"type": "string", "pattern": "^[0-9]+$"}),
            ],
        )
    },
    "/api/cases/{id}": {
        "get": _op("A case, its timeline and evidence links", _ref("CaseDetail"), errors=(403, 404), params=[CASE_ID])
    },
    "/api/cases/{id}/assign": {
        "post": _op(
            "Give the case to an agent (agents: themselves or nobody)",
            _ref("CaseDetail"),
            errors=(403, 404, 409),
            body=_obj(
                {"agent_id": {"anyOf": [{"type": "integer"}, {"type": "null"}, {"type": "string", "enum": ["me"]}]}},
                ["agent_id"],
            ),
            params=[CASE_ID],
        )
    },
    "/api/cases/{id}/status": {
        "post": _op(
            "Move the case on (status, claim stage, amount, remedy, a note)",
            _ref("CaseDetail"),
            errors=(403, 404, 409),
            body=_obj(
                {
                    "status": STRING,
                    "stage": STRING,
                    "note": {"type": "string", "maxLength": 4000},
                    "amount": {"anyOf": [{"type": "number"}, {"type": "string"}]},
                    "currency": STRING,
                    "remedy": STRING,
                }
            ),
            params=[CASE_ID],
        )
    },
    "/api/cases/{id}/reply": {
        "post": _op(
            "A message to the customer on their channel",
            _ref("CaseDetail"),
            errors=(403, 404, 409),
            body=TEXT_BODY,
            params=[CASE_ID],
        )
    },
    "/api/cases/{id}/notes": {
        "post": _op("An internal note", _ref("CaseDetail"), errors=(403, 404, 409), body=TEXT_BODY, params=[CASE_ID])
    },
    "/api/reports/summary": {
        "get": _op(
            "Service figures of a period (supervisors)",
            _obj(),
            errors=(403,),
            params=[
                _query("from", DAY),
                _query("to", DAY),
                _query(
                    "group_by", {"type": "string", "enum": ["day", "week", "month", "channel", "language", "category"]}
                ),
            ],
        )
    },
    "/api/reports/summary.csv": {
        "get": _op(
            "The same as CSV (supervisors)",
            STRING,
            errors=(403,),
            ok_type="text/csv",
            params=[
                _query("from", DAY),
                _query("to", DAY),
                _query(
                    "group_by", {"type": "string", "enum": ["day", "week", "month", "channel", "language", "category"]}
                ),
            ],
        )
    },
    "/api/reports/hotspots": {
        "get": _op(
            "Unusual rises by place, route and reason (supervisors)",
            _obj(),
            errors=(403,),
            params=[_query("from", DAY), _query("to", DAY), _query("limit", {"type": "integer", "minimum": 1})],
        )
    },
    "/api/reports/daily": {
        "get": _op(
            "The daily report as Markdown (supervisors)",
            STRING,
            errors=(403,),
            ok_type="text/markdown",
            params=[_query("date", DAY)],
        )
    },
}


def document() -> dict[str, Any]:
    """The document (a fresh copy: callers may change it)."""
    return copy.deepcopy(_document())


def _document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Parcel assistant: agent API",
            "version": "1",
            "description": "The agent console's API (docs/gateway-contract.md). Every error is "
            '`{"error": code, "detail"?: text}`.',
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": PATHS,
    }


async def get_openapi(request: web.Request) -> web.Response:
    return json_response(document())


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/openapi.json", get_openapi)
