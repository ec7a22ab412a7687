"""`OutboundMessage`: what the gateway sends to a customer, whatever the channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.gateway.models import Message


@dataclass
class OutboundMessage:
    role: str  # bot | agent | system
    text: str | None = None
    buttons: list[dict[str, str]] = field(default_factory=list)  # [{"title", "payload"}]
    image: str | None = None  # url
    custom: dict[str, Any] | None = None
    id: int | None = None  # gw_messages.id once stored
    created_at: datetime | None = None

    def payload(self) -> dict[str, Any] | None:
        """The non-text parts, as stored in Message.payload."""
        data: dict[str, Any] = {}
        if self.buttons:
            data["buttons"] = self.buttons
        if self.image:
            data["image"] = self.image
        if self.custom is not None:
            data["custom"] = self.custom
        return data or None

    @classmethod
    def from_row(cls, row: Message) -> OutboundMessage:
        payload = row.payload or {}
        return cls(
            role=row.role,
            text=row.text,
            buttons=list(payload.get("buttons") or []),
            image=payload.get("image"),
            custom=payload.get("custom"),
            id=row.id,
            created_at=row.created_at,
        )
