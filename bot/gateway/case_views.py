"""JSON shapes of cases for the agent API and the websocket events. Personal data in a
case (new address, callback phone, what the customer wrote) is shown to its owner and
to supervisors; other agents see it masked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.cases.models import Case, CaseAttachment, CaseEvent
from bot.cases.service import is_overdue
from bot.gateway.serializers import iso

Mask = Callable[[str | None], str | None]


def _identity(text: str | None) -> str | None:
    return text


def case_item(case: Case, now: datetime, owner_names: dict[int, str], mask: Mask = _identity) -> dict[str, Any]:
    """One row of GET /api/cases."""
    conversation_ids = case.conversation_ids
    return {
        "id": case.id,
        "reference": case.reference,
        "type": case.type,
        "status": case.status,
        "stage": case.stage,
        "priority": case.priority,
        "tracking_numbers": case.tracking_numbers,
        "conversation_id": conversation_ids[-1] if conversation_ids else None,
        "owner": owner_names.get(case.owner_id) if case.owner_id else None,
        "owner_id": case.owner_id,
        "due_at": iso(case.due_at),
        "overdue": is_overdue(case, now),
        "created_at": iso(case.created_at),
        "updated_at": iso(case.updated_at),
        "summary": mask(case.summary),
        "language": case.language,
    }


def case_detail(case: Case, now: datetime, owner_names: dict[int, str], mask: Mask = _identity) -> dict[str, Any]:
    item = case_item(case, now, owner_names, mask)
    details = {key: (mask(value) if isinstance(value, str) else value) for key, value in (case.details or {}).items()}
    item.update(
        {
            "conversation_ids": case.conversation_ids,
            "details": details,
            "amount": str(case.amount) if case.amount is not None else None,
            "currency": case.currency,
            "remedy": case.remedy,
            "window_start": iso(case.window_start),
            "window_end": iso(case.window_end),
            "respond_by": iso(case.respond_by),
            "resolve_by": iso(case.resolve_by),
            "first_response_at": iso(case.first_response_at),
            "resolved_at": iso(case.resolved_at),
            "closed_at": iso(case.closed_at),
            "overdue_since": iso(case.overdue_since),
        }
    )
    return item


def event_view(event: CaseEvent, names: dict[int, str], mask: Mask = _identity) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": iso(event.created_at),
        "kind": event.kind,
        "actor_type": event.actor_type,
        "agent": names.get(event.agent_id) if event.agent_id else None,
        "from": event.from_value,
        "to": event.to_value,
        "text": mask(event.text),
        "customer_visible": event.customer_visible,
        "data": event.data,
    }


def attachment_view(attachment: CaseAttachment, url: str, thumbnail_url: str | None) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "item": attachment.item,
        "media_type": attachment.media_type,
        "size_bytes": attachment.size_bytes,
        "original_name": attachment.original_name,
        "source": attachment.source,
        "sha256": attachment.sha256,
        "created_at": iso(attachment.created_at),
        "url": url,
        "thumbnail_url": thumbnail_url,
    }
