"""Agents' websockets (GET /api/ws?token=...): live queue and conversation events.

Events: {"type": "queue_changed"}, {"type": "message", "conversation_id", "message"},
{"type": "conversation_updated", "conversation_id", "state"}. An open websocket
keeps its agent "seen" (no grace-period return of their chats)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, web

from bot.contract import AgentRole, HandoffStatus
from bot.gateway.models import Handoff, Message
from bot.gateway.serializers import mask_many, message_view

if TYPE_CHECKING:
    from bot.gateway.cluster import RedisBus

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


def _audience(handoff: Handoff | None) -> dict[str, Any] | None:
    """What `audience_filter` reads of a handoff, as sent to the other gateway instances."""
    if handoff is None:
        return None
    return {"agent_id": handoff.agent_id, "status": str(handoff.status), "tier": handoff.tier}


def _handoff_like(audience: dict[str, Any] | None) -> Any:
    return None if audience is None else SimpleNamespace(**audience)


class Hub:
    """The agents' websockets of this gateway. With a bus (REDIS_URL: several gateway
    instances), every event is also published, and the events other instances publish
    reach the websockets here: an agent sees the same events whichever instance they
    are connected to."""

    def __init__(self, bus: RedisBus | None = None) -> None:
        self._sockets: dict[int, set[web.WebSocketResponse]] = {}
        self._viewers: dict[int, Viewer] = {}
        self._tokens: dict[web.WebSocketResponse, str] = {}  # socket -> digest of the token that opened it
        self._order = asyncio.Lock()
        self._bus = bus
        if bus is not None:
            bus.on("hub", self._remote)

    def add(self, viewer: Viewer, ws: web.WebSocketResponse, token_digest: str = "") -> None:
        self._viewers[viewer.agent_id] = viewer
        self._sockets.setdefault(viewer.agent_id, set()).add(ws)
        self._tokens[ws] = token_digest

    async def close_token(self, token_digest: str, reason: str = "session ended") -> int:
        """Close the websockets opened with a token (its agent logged out), on every
        instance; returns how many were open here."""
        await self._publish({"type": "close_token", "digest": token_digest, "reason": reason})
        return await self._close_token(token_digest, reason)

    async def _close_token(self, token_digest: str, reason: str) -> int:
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
        """Agents with a websocket open on this instance (each instance marks its own as seen)."""
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

    async def _publish(self, data: dict[str, Any]) -> None:
        if self._bus is not None:
            await self._bus.publish("hub", data)

    async def _remote(self, data: dict[str, Any]) -> None:
        """An event published by another gateway instance: delivered to the websockets here."""
        kind = data.get("type")
        if kind == "broadcast":
            await self._broadcast(data["event"])
        elif kind == "conversation":
            await self._conversation_event(data["event"], data.get("audience"))
        elif kind == "message":
            await self._message_view(
                data["conversation_id"], data["view"], bool(data.get("verified")), data.get("audience")
            )
        elif kind == "case_overdue":
            await self._case_overdue(data["case"])
        elif kind == "close_token":
            await self._close_token(str(data.get("digest", "")), str(data.get("reason", "session ended")))

    async def broadcast(self, event: dict[str, Any]) -> None:
        await self._publish({"type": "broadcast", "event": event})
        await self._broadcast(event)

    async def _broadcast(self, event: dict[str, Any]) -> None:
        await self._send(self._viewers.values(), event)

    async def queue_changed(self) -> None:
        await self.broadcast({"type": "queue_changed"})

    async def conversation_updated(
        self, conversation_id: str, state: str, handoff: Handoff | None, csat: int | None = None
    ) -> None:
        """State change of a conversation; `csat` when it closed with the customer's rating."""
        event: dict[str, Any] = {
            "type": "conversation_updated",
            "conversation_id": conversation_id,
            "state": str(state),
        }
        if csat is not None:
            event["csat"] = csat
        audience = _audience(handoff)
        await self._publish({"type": "conversation", "event": event, "audience": audience})
        await self._conversation_event(event, audience)

    async def _conversation_event(self, event: dict[str, Any], audience: dict[str, Any] | None) -> None:
        allowed = audience_filter(_handoff_like(audience), former_agent=True)
        await self._send([v for v in self._viewers.values() if allowed(v)], event)

    async def message(
        self, message: Message, verified: bool, handoff: Handoff | None, agent_name: str | None = None
    ) -> None:
        view = message_view(message, agent_names={message.agent_id: agent_name} if message.agent_id else None)
        audience = _audience(handoff)
        if self._bus is not None:  # each instance masks for its own viewers (none: no masking work)
            await self._publish(
                {
                    "type": "message",
                    "conversation_id": message.conversation_id,
                    "view": view,
                    "verified": verified,
                    "audience": audience,
                }
            )
        await self._message_view(message.conversation_id, view, verified, audience)

    async def _message_view(
        self, conversation_id: str, view: dict[str, Any], verified: bool, audience: dict[str, Any] | None
    ) -> None:
        allowed = audience_filter(_handoff_like(audience))
        viewers = [v for v in self._viewers.values() if allowed(v)]
        if not viewers:
            return
        async with self._order:  # events leave in the order the messages were stored
            (text,) = await mask_many([view.get("text")], verified)
            await self._send(
                viewers, {"type": "message", "conversation_id": conversation_id, "message": {**view, "text": text}}
            )

    async def case_overdue(self, item: dict[str, Any]) -> None:
        """A case passed its due time: supervisors and its owner hear it at once."""
        await self._publish({"type": "case_overdue", "case": item})
        await self._case_overdue(item)

    async def _case_overdue(self, item: dict[str, Any]) -> None:
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
