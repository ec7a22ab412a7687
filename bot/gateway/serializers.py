"""JSON shapes of the agent API (and of the websocket events), with personal data
masked for conversations whose customer has not verified.

Agents never see a customer's channel id (a REST sender or socket.io session id is what
lets a client continue that customer's chat, a WeChat openid identifies the person):
`sender_id` is a short stable pseudonym of it (`bot.privacy.pseudonym`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from bot.contract import HandoffStatus
from bot.gateway.models import Agent, Conversation, Handoff, Message, Note
from bot.privacy import pseudonym

Mask = Callable[[str | None], str | None]


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _identity(text: str | None) -> str | None:
    return text


@lru_cache(maxsize=8192)
def _mask_cached(text: str) -> str:
    from bot.pii import mask_text

    return mask_text(text)


def _mask(text: str | None) -> str | None:
    """Masked text (cached: the queue and transcripts are polled again and again)."""
    if not text:
        return text
    return _mask_cached(text)


def masker(verified: bool) -> Mask:
    return _identity if verified else _mask


async def mask_many(texts: Iterable[str | None], verified: bool) -> list[str | None]:
    """Mask several texts off the event loop (the spaCy/jieba pipeline is CPU work)."""
    items = list(texts)
    if verified or not any(items):
        return items
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, lambda: [_mask(t) for t in items])


async def mask_each(items: Iterable[tuple[str | None, bool]]) -> list[str | None]:
    """Mask (text, verified) pairs in one trip off the event loop."""
    pairs = list(items)
    if all(verified or not text for text, verified in pairs):
        return [text for text, _ in pairs]
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, lambda: [t if v else _mask(t) for t, v in pairs])


def agent_view(agent: Agent) -> dict[str, Any]:
    return {
        "id": agent.id,
        "username": agent.username,
        "display_name": agent.display_name,
        "role": agent.role,
        "tier": agent.tier,
    }


def sla_breached(handoff: Handoff, now: datetime) -> bool:
    """No agent message by the due time (still open and overdue, or answered late)."""
    if handoff.first_agent_response_at is not None:
        return handoff.first_agent_response_at > handoff.sla_due_at
    if handoff.status in (HandoffStatus.WAITING, HandoffStatus.ASSIGNED):
        return now > handoff.sla_due_at
    return False


def handoff_view(handoff: Handoff, now: datetime, mask: Mask = _identity, agent: Agent | None = None) -> dict[str, Any]:
    return {
        "id": handoff.id,
        "handoff_id": handoff.id,
        "conversation_id": handoff.conversation_id,
        "reason": handoff.reason,
        "category": handoff.category,
        "priority": handoff.priority,
        "tier": handoff.tier,
        "status": handoff.status,
        "tracking_numbers": list(handoff.tracking_numbers or []),
        "summary": mask(handoff.summary),
        "customer_tier": handoff.customer_tier,
        "agent_id": handoff.agent_id,
        "agent": agent.display_name if agent else None,
        "waiting_since": iso(handoff.waiting_since),
        "claimed_at": iso(handoff.claimed_at),
        "first_agent_response_at": iso(handoff.first_agent_response_at),
        "sla_due_at": iso(handoff.sla_due_at),
        "sla_breached": sla_breached(handoff, now),
        "resolved_at": iso(handoff.resolved_at),
    }


def queue_item(
    handoff: Handoff, conversation: Conversation, preview: str | None, now: datetime, mask: Mask
) -> dict[str, Any]:
    return {
        "handoff_id": handoff.id,
        "conversation_id": handoff.conversation_id,
        "sender_id": pseudonym(conversation.channel, conversation.channel_user_id),
        "channel": conversation.channel,
        "reason": handoff.reason,
        "category": handoff.category,
        "priority": handoff.priority,
        "tier": handoff.tier,
        "waiting_since": iso(handoff.waiting_since),
        "sla_due_at": iso(handoff.sla_due_at),
        "sla_breached": sla_breached(handoff, now),
        "summary": mask(handoff.summary),
        "tracking_numbers": list(handoff.tracking_numbers or []),
        "preview": (mask(preview) or "")[:140] if preview else "",
        "language": conversation.language,
        "verified": conversation.verified,
    }


def conversation_view(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "channel": conversation.channel,
        "sender_id": pseudonym(conversation.channel, conversation.channel_user_id),
        "state": conversation.state,
        "language": conversation.language,
        "verified": conversation.verified,
        "created_at": iso(conversation.created_at),
        "updated_at": iso(conversation.updated_at),
        "last_customer_message_at": iso(conversation.last_customer_message_at),
    }


def message_view(
    message: Message, mask: Mask = _identity, agent_names: Mapping[int, str | None] | None = None
) -> dict[str, Any]:
    payload = message.payload or {}
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "role": message.role,
        "text": mask(message.text),
        "buttons": list(payload.get("buttons") or []),
        "image": payload.get("image"),
        "custom": payload.get("custom"),
        "created_at": iso(message.created_at),
        "agent": (agent_names or {}).get(message.agent_id) if message.agent_id else None,
    }


def note_view(note: Note, agent_names: dict[int, str] | None = None) -> dict[str, Any]:
    return {
        "id": note.id,
        "conversation_id": note.conversation_id,
        "handoff_id": note.handoff_id,
        "text": note.text,
        "created_at": iso(note.created_at),
        "agent": (agent_names or {}).get(note.agent_id) if note.agent_id else None,
    }
