"""Agents' websockets (GET /api/ws?token=...): live queue and conversation events.

Events: {"type": "queue_changed"}, {"type": "message", "conversation_id", "message"},
{"type": "conversation_updated", "conversation_id", "state"}. An open websocket
keeps its agent "seen" (no grace-period return of their chats)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import WSCloseCode, web

from bot.contract import AgentRole, HandoffStatus
from bot.gateway.models import Handoff, Message
from bot.gateway.serializers import mask_many, message_view

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Viewer:
    agent_id: int
    role: str
    tier: int


def audience_filter(handoff: Handoff | None, former_agent: bool = False) -> Callable[[Viewer], bool]:
    """Who hears about a conversation: supervisors, the agent holding it (or who
    resolved it: they see the satisfaction rating arrive), and while it waits every
    agent of its tier or above."""

    def allowed(viewer: Viewer) -> bool:
        if viewer.role == AgentRole.SUPERVISOR:
            return True
        if handoff is None:
            return False
        if handoff.agent_id == viewer.agent_id:
            # assigned to them, or resolved by them (they see the rating arrive); a chat they
            # handed back to the bot is none of their business any more
            # (`former_agent`: a state change without content still tells them it is gone)
            return former_agent or handoff.status != HandoffStatus.RETURNED_TO_BOT
        if handoff.status == HandoffStatus.WAITING:
            return viewer.tier >= handoff.tier
        return False

    return allowed


class Hub:
    def __init__(self) -> None:
        self._sockets: dict[int, set[web.WebSocketResponse]] = {}
        self._viewers: dict[int, Viewer] = {}
        self._tokens: dict[web.WebSocketResponse, str] = {}  # socket -> digest of the token that opened it
        self._order = asyncio.Lock()

    def add(self, viewer: Viewer, ws: web.WebSocketResponse, token_digest: str = "") -> None:
        self._viewers[viewer.agent_id] = viewer
        self._sockets.setdefault(viewer.agent_id, set()).add(ws)
        self._tokens[ws] = token_digest

    async def close_token(self, token_digest: str, reason: str = "session ended") -> int:
        """Close the websockets opened with a token (its agent logged out); returns how many."""
        closing = [ws for ws, digest in list(self._tokens.items()) if digest == token_digest]
        for ws in closing:
            await ws.close(code=4001, message=reason.encode()[:120])
        return len(closing)

    def remove(self, agent_id: int, ws: web.WebSocketResponse) -> None:
        self._tokens.pop(ws, None)
        sockets = self._sockets.get(agent_id)
        if sockets is not None:
            sockets.discard(ws)
            if not sockets:
                del self._sockets[agent_id]
                self._viewers.pop(agent_id, None)

    def connected_agent_ids(self) -> set[int]:
        return set(self._sockets)

    def is_connected(self, agent_id: int) -> bool:
        return bool(self._sockets.get(agent_id))

    async def _send(self, viewers: Iterable[Viewer], event: dict[str, Any]) -> None:
        for viewer in list(viewers):
            for ws in list(self._sockets.get(viewer.agent_id, ())):
                if ws.closed:
                    continue
                try:
                    await ws.send_json(event)
                except (ConnectionError, RuntimeError):
                    logger.debug("websocket of agent %s is gone", viewer.agent_id)

    async def broadcast(self, event: dict[str, Any]) -> None:
        await self._send(self._viewers.values(), event)

    async def queue_changed(self) -> None:
        await self.broadcast({"type": "queue_changed"})

    async def conversation_updated(
        self, conversation_id: str, state: str, handoff: Handoff | None, csat: int | None = None
    ) -> None:
        """State change of a conversation; `csat` when it closed with the customer's rating."""
        allowed = audience_filter(handoff, former_agent=True)
        viewers = [v for v in self._viewers.values() if allowed(v)]
        event: dict[str, Any] = {"type": "conversation_updated", "conversation_id": conversation_id, "state": state}
        if csat is not None:
            event["csat"] = csat
        await self._send(viewers, event)

    async def message(
        self, message: Message, verified: bool, handoff: Handoff | None, agent_name: str | None = None
    ) -> None:
        allowed = audience_filter(handoff)
        viewers = [v for v in self._viewers.values() if allowed(v)]
        if not viewers:
            return
        async with self._order:  # events leave in the order the messages were stored
            (text,) = await mask_many([message.text], verified)
            view = message_view(message, agent_names={message.agent_id: agent_name} if message.agent_id else None)
            view["text"] = text
            await self._send(viewers, {"type": "message", "conversation_id": message.conversation_id, "message": view})

    async def case_overdue(self, item: dict[str, Any]) -> None:
        """A case passed its due time: supervisors and its owner hear it at once."""
        viewers = [
            v for v in self._viewers.values() if v.role == AgentRole.SUPERVISOR or v.agent_id == item.get("owner_id")
        ]
        await self._send(viewers, {"type": "case_overdue", "case": item})

    async def close_all(self) -> None:
        for sockets in list(self._sockets.values()):
            for ws in list(sockets):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
        self._sockets.clear()
        self._viewers.clear()
        self._tokens.clear()
