"""Agent API of cases (docs/gateway-contract.md, "Cases"):

GET  /api/cases                       list (filters: status, type, owner, overdue, tracking), by due time
GET  /api/cases/{id}                  case, timeline, attachments (signed links), transcript link, rating
POST /api/cases/{id}/assign           {"agent_id": id | null}  (agents: themselves or nobody)
POST /api/cases/{id}/status           {"status"?, "stage"?, "note"?, "amount"?, "currency"?, "remedy"?}
POST /api/cases/{id}/reply            {"text"}  reaches the customer on their channel
POST /api/cases/{id}/notes            {"text"}  internal
GET  /files/{token}                   an attachment (signed, short-lived link from GET /api/cases/{id})
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy import select

from bot.cases import service
from bot.cases.models import CaseAttachment, CaseCsat, CaseEvent
from bot.cases.service import CaseError
from bot.contract import CaseStatus, CaseType
from bot.gateway.api import AGENT, _text_field, read_json
from bot.gateway.case_desk import CaseDesk, may_see_personal_data
from bot.gateway.case_views import attachment_view, case_detail, case_item, event_view
from bot.gateway.inputs import parse_db_int
from bot.gateway.keys import DB_KEY, QUEUE_KEY
from bot.gateway.models import Agent
from bot.gateway.responses import json_error, json_response
from bot.gateway.serializers import mask_each

MAX_LIST = 500
FILE_LINK_MINUTES = 15
_STATUSES = {s.value for s in CaseStatus}
_TYPES = {t.value for t in CaseType}


def _desk(request: web.Request) -> CaseDesk:
    return request.app[QUEUE_KEY].cases


def _now(request: web.Request) -> datetime:
    return request.app[QUEUE_KEY].clock()


def _csv(request: web.Request, name: str, allowed: set[str]) -> list[str] | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    values = [v.strip() for v in raw.split(",") if v.strip()]
    bad = [v for v in values if v not in allowed]
    if bad or not values:
        raise CaseError("bad_request", 400, f"'{name}' must be among {', '.join(sorted(allowed))}")
    return values


def _case_id(request: web.Request) -> int:
    case_id = parse_db_int(request.match_info["id"])
    if case_id is None:
        raise CaseError("not_found", 404)
    return case_id


def _names(session: Any) -> dict[int, str]:
    return dict(session.execute(select(Agent.id, Agent.display_name)).all())


async def list_cases(request: web.Request) -> web.Response:
    agent: Agent = request[AGENT]
    now = _now(request)
    statuses = _csv(request, "status", _STATUSES | {"active"})
    if statuses and "active" in statuses:  # everything not done yet
        statuses = sorted(set(statuses) - {"active"} | {"open", "in_progress", "waiting_customer"})
    types = _csv(request, "type", _TYPES)
    owner = request.query.get("owner", "")
    owner_id: int | None = None
    unowned = False
    if owner == "me":
        owner_id = agent.id
    elif owner == "none":
        unowned = True
    elif owner:
        owner_id = parse_db_int(owner)
        if owner_id is None:
            raise CaseError("bad_request", 400, "'owner' must be me, none or an agent id")
    overdue_raw = request.query.get("overdue")
    if overdue_raw not in (None, "", "true", "false", "1", "0"):
        raise CaseError("bad_request", 400, "'overdue' must be true or false")
    overdue = None if overdue_raw in (None, "") else overdue_raw in ("true", "1")
    tracking = request.query.get("tracking")
    from bot.store.tracking_numbers import normalize

    limit = parse_db_int(request.query.get("limit", "200")) or 200
    with request.app[DB_KEY].session() as session:
        cases = service.list_cases(
            session,
            now,
            statuses=statuses,
            types=types,
            owner_id=owner_id,
            unowned=unowned,
            overdue=overdue,
            tracking_key=normalize(tracking)[:40] if tracking else None,
            limit=min(limit, MAX_LIST),
        )
        names = _names(session)
    masked = await mask_each((c.summary, may_see_personal_data(agent, c)) for c in cases)
    items = []
    for case, summary in zip(cases, masked, strict=True):
        item = case_item(case, now, names)
        item["summary"] = summary
        items.append(item)
    return json_response({"items": items})


async def get_case(request: web.Request) -> web.Response:
    agent: Agent = request[AGENT]
    now = _now(request)
    desk = _desk(request)
    case_id = _case_id(request)
    with request.app[DB_KEY].session() as session:
        case = desk.load(session, case_id)
        events = (
            session.execute(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))
            .scalars()
            .all()
        )
        attachments = (
            session.execute(select(CaseAttachment).where(CaseAttachment.case_id == case_id).order_by(CaseAttachment.id))
            .scalars()
            .all()
        )
        csat = session.execute(
            select(CaseCsat.score)
            .where(CaseCsat.case_id == case_id, CaseCsat.score.isnot(None))
            .order_by(CaseCsat.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        names = _names(session)
        customer = desk.customer_conversation(session, case)
    trusted = may_see_personal_data(agent, case)
    texts = [case.summary] + [e.text for e in events] + [v for v in (case.details or {}).values() if isinstance(v, str)]
    masked = await mask_each((t, trusted) for t in texts)
    summary, event_texts, detail_texts = masked[0], masked[1 : 1 + len(events)], iter(masked[1 + len(events) :])
    view = case_detail(case, now, names)
    view["summary"] = summary
    view["details"] = {k: (next(detail_texts) if isinstance(v, str) else v) for k, v in (case.details or {}).items()}
    timeline = []
    for event, text in zip(events, event_texts, strict=True):
        item = event_view(event, names)
        item["text"] = text
        timeline.append(item)
    expires = now + timedelta(minutes=FILE_LINK_MINUTES)
    files = []
    for attachment in attachments:
        url = "/files/" + desk.signer.sign("file", attachment.id, expires, a=agent.id)
        thumb = (
            "/files/" + desk.signer.sign("file", attachment.id, expires, a=agent.id, t=1)
            if attachment.thumbnail_key
            else None
        )
        files.append(attachment_view(attachment, url, thumb))
    transcript = None
    if customer is not None:
        transcript = {
            "conversation_id": customer.id,
            "channel": customer.channel,
            "url": f"/api/conversations/{customer.id}",
        }
    return json_response(
        {"case": view, "timeline": timeline, "attachments": files, "transcript": transcript, "csat": csat}
    )


async def assign(request: web.Request) -> web.Response:
    body = await read_json(request)
    if "agent_id" not in body:
        raise CaseError("bad_request", 400, "'agent_id' (an agent id or null) is required")
    raw = body["agent_id"]
    if raw == "me":
        raw = request[AGENT].id
    if raw is not None and (not isinstance(raw, int) or isinstance(raw, bool) or parse_db_int(str(raw)) is None):
        raise CaseError("bad_request", 400, "'agent_id' must be an agent id or null")
    await _desk(request).assign(request[AGENT], _case_id(request), raw)
    return await get_case(request)


async def change_status(request: web.Request) -> web.Response:
    body = await read_json(request)
    status, stage, remedy, currency = (body.get(k) for k in ("status", "stage", "remedy", "currency"))
    for name, value in (("status", status), ("stage", stage), ("remedy", remedy), ("currency", currency)):
        if value is not None and (not isinstance(value, str) or len(value) > 32):
            raise CaseError("bad_request", 400, f"'{name}' must be a string")
    note = _text_field(body, "note", required=False) or None
    amount = body.get("amount")
    if amount is not None and (
        isinstance(amount, bool) or not isinstance(amount, (int, float, str)) or len(str(amount)) > 16
    ):
        raise CaseError("bad_request", 400, "'amount' must be a number")
    delivered = await _desk(request).change(
        request[AGENT],
        _case_id(request),
        status=status or None,
        stage=stage or None,
        note=note,
        amount=amount,
        currency=currency,
        remedy=remedy or None,
    )
    response = await get_case(request)
    return _with(response, {"delivered": delivered})


def _with(response: web.Response, extra: dict[str, Any]) -> web.Response:
    import json

    body = json.loads(response.body)  # type: ignore[arg-type]
    body.update(extra)
    return json_response(body, status=response.status)


async def reply(request: web.Request) -> web.Response:
    text = _text_field(await read_json(request), "text")
    message, delivered = await _desk(request).reply(request[AGENT], _case_id(request), text)
    response = await get_case(request)
    return _with(response, {"delivered": delivered, "message_id": message.id if message else None})


async def add_note(request: web.Request) -> web.Response:
    text = _text_field(await read_json(request), "text")
    await _desk(request).note(request[AGENT], _case_id(request), text)
    return await get_case(request)


async def get_file(request: web.Request) -> web.StreamResponse:
    """An attachment through a signed link (from GET /api/cases/{id}); images and videos open in the console."""
    desk = _desk(request)
    claims = desk.signer.verify(request.match_info["token"], "file", _now(request))
    if claims is None:
        return json_error(404, "not_found", "the link is unknown or has expired")
    with request.app[DB_KEY].session() as session:
        attachment = session.get(CaseAttachment, claims.subject)
    if attachment is None:
        return json_error(404, "not_found")
    from bot.cases.storage import evidence_store

    store = evidence_store(request.app[QUEUE_KEY].settings)
    key = attachment.thumbnail_key if claims.extra.get("t") and attachment.thumbnail_key else attachment.storage_key
    media_type = "image/jpeg" if key == attachment.thumbnail_key else attachment.media_type
    try:
        data = store.read(key)
    except FileNotFoundError:
        return json_error(404, "not_found", "the file is missing from the evidence storage")
    return web.Response(
        body=data,
        content_type=media_type,
        headers={
            "Cache-Control": "private, max-age=600",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


@web.middleware
async def case_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except CaseError as failure:
        return json_error(failure.status, failure.code, failure.detail)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/cases", list_cases)
    app.router.add_get("/api/cases/{id}", get_case)
    app.router.add_post("/api/cases/{id}/assign", assign)
    app.router.add_post("/api/cases/{id}/status", change_status)
    app.router.add_post("/api/cases/{id}/reply", reply)
    app.router.add_post("/api/cases/{id}/notes", add_note)
    app.router.add_get("/files/{token}", get_file)
