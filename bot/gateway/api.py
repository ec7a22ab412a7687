"""The agent API (docs/gateway-contract.md): JSON routes under /api and the agents'
websocket. Every route but login needs `Authorization: Bearer <token>`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from aiohttp import WSMsgType, web
from sqlalchemy import select

from bot.cases import service as case_service
from bot.cases.service import CaseError
from bot.contract import AgentRole, ConversationState, HandoffStatus, Language, labels_document
from bot.gateway import auth as authn
from bot.gateway.clients import request_client
from bot.gateway.db import (
    active_handoff,
    assigned_count,
    current_handoff,
    last_customer_texts,
    latest_csat,
    waiting_handoffs,
)
from bot.gateway.hub import Viewer
from bot.gateway.inputs import clean_text, is_clean_id, is_uuid, parse_db_int, read_json_object
from bot.gateway.keys import DB_KEY, HUB_KEY, LOGIN_LOCKOUT_KEY, QUEUE_KEY, SETTINGS_KEY
from bot.gateway.models import Agent, Conversation, Handoff, Message, Note
from bot.gateway.queue import QueueError, can_view
from bot.gateway.responses import bad_request, json_error, json_response
from bot.gateway.serializers import (
    agent_view,
    conversation_view,
    handoff_view,
    mask_each,
    mask_many,
    message_view,
    note_view,
    queue_item,
)
from bot.gateway.texts import canned_replies
from bot.security import LOGIN_CLIENT, LOGIN_USER, Subject

logger = logging.getLogger(__name__)

AGENT = "agent"  # request key of the authenticated Agent
TOKEN = "token"
# The labels hold no data, only the shared vocabularies: the login page may use them too;
# the API's description (bot/gateway/openapi.py) holds none either.
PUBLIC_API = {"/api/login", "/api/ws", "/api/labels", "/api/openapi.json"}
MAX_TEXT = 4000
MAX_TRANSCRIPT = 1000
# Close code of an agent websocket whose session ended (logout, expiry, deactivation): 4000-4999 are the application's.
WS_SESSION_ENDED = 4001


def _now(request: web.Request) -> datetime:
    """The gateway's clock (injectable in tests)."""
    return request.app[QUEUE_KEY].clock()


async def read_json(request: web.Request) -> dict[str, Any]:
    return await read_json_object(request)


def _text_field(body: dict[str, Any], name: str, required: bool = True, limit: int = MAX_TEXT) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if isinstance(value, str):
        value = clean_text(value).strip()
    if not isinstance(value, str) or (required and not value) or len(value) > limit:
        raise bad_request(f"'{name}' must be a non-empty string of at most {limit} characters")
    return value


def bearer_token(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@web.middleware
async def api_auth_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Bearer token for /api/* (but login; the websocket checks its own ?token=), JSON errors."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    if request.path not in PUBLIC_API:
        token = bearer_token(request)
        db = request.app[DB_KEY]
        now = _now(request)
        with db.session() as session:
            agent = authn.agent_for_token(session, token, now) if token else None
            if agent is not None:
                authn.touch_agent(session, agent, now)
        if agent is None:
            return json_error(401, "unauthorized", "a valid 'Authorization: Bearer <token>' header is required")
        request[AGENT] = agent
        request[TOKEN] = token
    try:
        response = await handler(request)
    except QueueError as failure:
        return json_error(failure.status, failure.code)
    except CaseError as failure:
        return json_error(failure.status, failure.code, failure.detail)
    except web.HTTPException as exc:
        if exc.content_type == "application/json":
            raise
        return json_error(exc.status, exc.reason.lower().replace(" ", "_"))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- login ----------------------------------------------------------------


async def login(request: web.Request) -> web.Response:
    body = await read_json(request)
    username, password = body.get("username"), body.get("password")
    if (
        not is_clean_id(username, 64)
        or not isinstance(password, str)
        or not password
        or len(password) > 256
        or password != clean_text(password)
    ):
        return json_error(400, "bad_request", "'username' and 'password' are required strings")
    db, settings = request.app[DB_KEY], request.app[SETTINGS_KEY]
    lockout = request.app[LOGIN_LOCKOUT_KEY]
    client = request_client(request, settings.trusted_proxies)
    # The failure is counted *before* the (slow) hash: concurrent guesses cannot all pass the limit.
    ticket = lockout.begin([Subject(LOGIN_USER, username.strip().lower()), Subject(LOGIN_CLIENT, client)])
    if ticket.locked:
        return json_error(429, "too_many_attempts", "too many failed logins, try again in a few minutes")

    now = _now(request)

    def check() -> tuple[str, Agent] | None:
        with db.session() as session:
            agent = authn.authenticate_password(session, username, password)
            if agent is None:
                return None
            token = authn.issue_token(session, agent, timedelta(hours=settings.agent_token_ttl_hours), now)
            authn.touch_agent(session, agent, now, 0)
            return token, agent

    result = await asyncio.get_running_loop().run_in_executor(None, check)  # PBKDF2 is slow on purpose
    if result is None:
        return json_error(401, "invalid_credentials")
    lockout.succeeded(ticket)  # withdraws this attempt only: earlier failures keep counting
    token, agent = result
    return json_response({"token": token, "agent": agent_view(agent)})


async def logout(request: web.Request) -> web.Response:
    with request.app[DB_KEY].session() as session:
        authn.revoke_token(session, request[TOKEN])
    await request.app[HUB_KEY].close_token(authn.token_digest(request[TOKEN]), "logged out")
    return json_response({"ok": True})


async def me(request: web.Request) -> web.Response:
    agent: Agent = request[AGENT]
    settings = request.app[SETTINGS_KEY]
    with request.app[DB_KEY].session() as session:
        assigned = assigned_count(session, agent.id)
    return json_response(
        {"agent": agent_view(agent), "assigned": assigned, "max_chats": agent.max_chats or settings.agent_max_chats}
    )


# --- queue and conversations ------------------------------------------------


async def get_queue(request: web.Request) -> web.Response:
    agent: Agent = request[AGENT]
    now = _now(request)
    with request.app[DB_KEY].session() as session:
        handoffs = waiting_handoffs(session, None if agent.role == AgentRole.SUPERVISOR else agent.tier)
        ids = [h.conversation_id for h in handoffs]
        conversations = (
            {c.id: c for c in session.execute(select(Conversation).where(Conversation.id.in_(ids))).scalars()}
            if ids
            else {}
        )
        previews = last_customer_texts(session, ids)
        overdue_cases = case_service.count_overdue(
            session, now, None if agent.role == AgentRole.SUPERVISOR else agent.id
        )
    pairs: list[tuple[str | None, bool]] = []
    for handoff in handoffs:
        verified = bool(conversations[handoff.conversation_id].verified)
        pairs += [(handoff.summary, verified), (previews.get(handoff.conversation_id), verified)]
    masked = await mask_each(pairs)
    items = []
    for index, handoff in enumerate(handoffs):
        summary, preview = masked[2 * index], masked[2 * index + 1]
        item = queue_item(handoff, conversations[handoff.conversation_id], preview, now, lambda t: t)
        item["summary"] = summary
        items.append(item)
    return json_response({"items": items, "overdue_cases": overdue_cases})


async def _conversation_rows(session: Any, agent: Agent) -> list[tuple[Conversation, Handoff | None]]:
    if agent.role == AgentRole.SUPERVISOR:
        conversations = (
            session.execute(
                select(Conversation)
                .where(Conversation.state != ConversationState.CLOSED)
                .order_by(Conversation.updated_at.desc())
                .limit(200)
            )
            .scalars()
            .all()
        )
        return [(c, current_handoff(session, c.id)) for c in conversations]
    rows = session.execute(
        select(Conversation, Handoff)
        .join(Handoff, Handoff.conversation_id == Conversation.id)
        .where(Handoff.agent_id == agent.id, Handoff.status == HandoffStatus.ASSIGNED)
        .order_by(Handoff.claimed_at)
    ).all()
    return [(c, h) for c, h in rows]


async def list_conversations(request: web.Request) -> web.Response:
    agent: Agent = request[AGENT]
    now = _now(request)
    with request.app[DB_KEY].session() as session:
        rows = await _conversation_rows(session, agent)
        previews = last_customer_texts(session, [c.id for c, _ in rows])
        agent_names = dict(session.execute(select(Agent.id, Agent.display_name)).all())
    masked = await mask_each(
        pair
        for conversation, handoff in rows
        for pair in (
            (previews.get(conversation.id), bool(conversation.verified)),
            (handoff.summary if handoff else None, bool(conversation.verified)),
        )
    )
    items = []
    for index, (conversation, handoff) in enumerate(rows):
        preview, summary = masked[2 * index], masked[2 * index + 1]
        item = conversation_view(conversation)
        item["handoff"] = handoff_view(handoff, now, agent=None) if handoff else None
        if handoff is not None:
            item["handoff"]["agent"] = agent_names.get(handoff.agent_id)
            item["handoff"]["summary"] = summary
        item["preview"] = (preview or "")[:140]
        items.append(item)
    return json_response({"items": items})


def _may_view(session: Any, agent: Agent, conversation: Conversation) -> bool:
    if agent.role == AgentRole.SUPERVISOR:
        return True
    if can_view(agent, active_handoff(session, conversation.id)):
        return True
    # The agent who resolved a chat may read it until the customer rates it (they see the
    # rating arrive); a hand-back to the bot ends the agent's access at once.
    latest = current_handoff(session, conversation.id)
    if (
        latest is not None
        and latest.agent_id == agent.id
        and latest.status == HandoffStatus.RESOLVED
        and conversation.state == ConversationState.CSAT_PENDING
    ):
        return True
    # The owner of a case reads the conversations it came from.
    return any(case.owner_id == agent.id for case in case_service.cases_for_conversations(session, [conversation.id]))


async def get_conversation(request: web.Request) -> web.Response:
    agent: Agent = request[AGENT]
    now = _now(request)
    with request.app[DB_KEY].session() as session:
        conversation_id = request.match_info["id"]
        conversation = session.get(Conversation, conversation_id) if is_uuid(conversation_id) else None
        if conversation is None:
            return json_error(404, "not_found")
        if not _may_view(session, agent, conversation):
            return json_error(403, "forbidden")
        handoff = current_handoff(session, conversation.id)
        messages = list(
            reversed(
                session.execute(
                    select(Message)
                    .where(Message.conversation_id == conversation.id)
                    .order_by(Message.id.desc())
                    .limit(MAX_TRANSCRIPT)
                )
                .scalars()
                .all()
            )
        )
        notes = (
            session.execute(select(Note).where(Note.conversation_id == conversation.id).order_by(Note.id))
            .scalars()
            .all()
        )
        names = dict(session.execute(select(Agent.id, Agent.display_name)).all())
        csat = latest_csat(session, conversation.id)
    verified = conversation.verified
    masked = await mask_many([m.text for m in messages] + [handoff.summary if handoff else None], verified)
    message_items = []
    for message, text in zip(messages, masked, strict=False):
        item = message_view(message, agent_names=names)
        item["text"] = text
        message_items.append(item)
    handoff_item = None
    if handoff is not None:
        handoff_item = handoff_view(handoff, now)
        handoff_item["agent"] = names.get(handoff.agent_id)
        handoff_item["summary"] = masked[-1]
    view = conversation_view(conversation)
    view["csat"] = csat
    return json_response(
        {
            "conversation": view,
            "handoff": handoff_item,
            "messages": message_items,
            "notes": [note_view(n, names) for n in notes],
        }
    )


async def claim(request: web.Request) -> web.Response:
    agent: Agent = request[AGENT]
    handoff_id = parse_db_int(request.match_info["id"])
    if handoff_id is None:
        return json_error(404, "not_found")
    handoff = await request.app[QUEUE_KEY].claim(agent, handoff_id)
    with request.app[DB_KEY].session() as session:
        verified = bool(session.get(Conversation, handoff.conversation_id).verified)
    view = handoff_view(handoff, _now(request), agent=agent)
    (view["summary"],) = await mask_many([handoff.summary], verified)
    return json_response({"handoff": view})


def _may_write(session: Any, agent: Agent, conversation: Conversation) -> bool:
    """Notes and replies: supervisors, the agent holding the chat, agents who may take it."""
    return agent.role == "supervisor" or can_view(agent, active_handoff(session, conversation.id))


async def _check_conversation(request: web.Request) -> str:
    """The conversation of the route, if the agent may act on it (read-only access is not enough)."""
    conversation_id = request.match_info["id"]
    with request.app[DB_KEY].session() as session:
        conversation = session.get(Conversation, conversation_id) if is_uuid(conversation_id) else None
        if conversation is None:
            raise QueueError("not_found", 404)
        if not _may_write(session, request[AGENT], conversation):
            raise QueueError("forbidden", 403)
    return conversation_id


async def post_message(request: web.Request) -> web.Response:
    conversation_id = await _check_conversation(request)
    text = _text_field(await read_json(request), "text")
    agent: Agent = request[AGENT]
    message = await request.app[QUEUE_KEY].send_agent_message(agent, conversation_id, text)
    with request.app[DB_KEY].session() as session:
        verified = bool(session.get(Conversation, conversation_id).verified)
    view = message_view(message, agent_names={agent.id: agent.display_name})
    (view["text"],) = await mask_many([message.text], verified)
    return json_response({"message": view})


async def post_note(request: web.Request) -> web.Response:
    conversation_id = await _check_conversation(request)
    text = _text_field(await read_json(request), "text")
    agent: Agent = request[AGENT]
    note = request.app[QUEUE_KEY].add_note(agent, conversation_id, text)
    return json_response({"note": note_view(note, {agent.id: agent.display_name})})


async def _state_change(request: web.Request, action: str) -> web.Response:
    conversation_id = await _check_conversation(request)
    agent: Agent = request[AGENT]
    queue = request.app[QUEUE_KEY]
    if action == "escalate":
        body = await read_json(request) if request.can_read_body else {}
        note = _text_field(body, "note", required=False)
        conversation, handoff = await queue.escalate(agent, conversation_id, note)
    elif action == "resolve":
        conversation, handoff = await queue.resolve(agent, conversation_id)
    else:
        conversation, handoff = await queue.handback(agent, conversation_id)
    view = handoff_view(handoff, _now(request))
    (view["summary"],) = await mask_many([handoff.summary], conversation.verified)
    return json_response({"conversation": conversation_view(conversation), "handoff": view})


async def escalate(request: web.Request) -> web.Response:
    return await _state_change(request, "escalate")


async def resolve(request: web.Request) -> web.Response:
    return await _state_change(request, "resolve")


async def handback(request: web.Request) -> web.Response:
    return await _state_change(request, "handback")


async def get_canned_replies(request: web.Request) -> web.Response:
    language = request.query.get("language")
    return json_response(canned_replies(language if language in Language.values() else None))


# --- websocket --------------------------------------------------------------


async def websocket(request: web.Request) -> web.StreamResponse:
    """The agent's live events. The token is checked when the socket opens, again on every
    message and every AGENT_WS_RECHECK_SECONDS: logout, expiry and deactivation close it
    (a logout at once, through the hub)."""
    token = request.query.get("token") or bearer_token(request)
    db = request.app[DB_KEY]
    now = _now(request)
    with db.session() as session:
        agent = authn.agent_for_token(session, token, now) if token else None
        if agent is not None:
            authn.touch_agent(session, agent, now, 0)
    if agent is None:
        return json_error(401, "unauthorized", "a valid ?token= is required")
    ws = web.WebSocketResponse(heartbeat=25.0, max_msg_size=64 * 1024)
    await ws.prepare(request)
    hub = request.app[HUB_KEY]
    hub.add(Viewer(agent.id, agent.role, agent.tier), ws, authn.token_digest(token))

    def still_valid() -> bool:
        with db.session() as session:
            current = authn.agent_for_token(session, token, _now(request))
            if current is not None:
                authn.touch_agent(session, current, _now(request))
            return current is not None

    async def recheck() -> None:
        interval = max(0.05, request.app[SETTINGS_KEY].agent_ws_recheck_s)
        while not ws.closed:
            await asyncio.sleep(interval)
            if not ws.closed and not still_valid():
                await ws.close(code=WS_SESSION_ENDED, message=b"session ended")

    checker = asyncio.create_task(recheck())
    try:
        await ws.send_json({"type": "queue_changed"})
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                if not still_valid():
                    await ws.close(code=WS_SESSION_ENDED, message=b"session ended")
                    break
                if msg.data == "ping":
                    await ws.send_str("pong")
            elif msg.type == WSMsgType.ERROR:
                break
    finally:
        checker.cancel()
        hub.remove(agent.id, ws)
        with db.session() as session:
            authn.touch_agent(session, agent, _now(request), 0)  # the grace period starts now
    return ws


async def get_labels(request: web.Request) -> web.Response:
    """Every shared vocabulary with its zh/en labels, in canonical order (bot/contract.py)."""
    return json_response(labels_document())


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/labels", get_labels)
    app.router.add_post("/api/login", login)
    app.router.add_post("/api/logout", logout)
    app.router.add_get("/api/me", me)
    app.router.add_get("/api/queue", get_queue)
    app.router.add_get("/api/conversations", list_conversations)
    app.router.add_get("/api/conversations/{id}", get_conversation)
    app.router.add_post("/api/handoffs/{id}/claim", claim)
    app.router.add_post("/api/conversations/{id}/messages", post_message)
    app.router.add_post("/api/conversations/{id}/notes", post_note)
    app.router.add_post("/api/conversations/{id}/escalate", escalate)
    app.router.add_post("/api/conversations/{id}/resolve", resolve)
    app.router.add_post("/api/conversations/{id}/handback", handback)
    app.router.add_get("/api/canned-replies", get_canned_replies)
    app.router.add_get("/api/ws", websocket)
