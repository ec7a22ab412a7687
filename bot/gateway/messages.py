"""`OutboundMessage`: what the gateway sends to a customer, whatever the channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.contract import MessageRole
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


def _clean_buttons(raw: Any) -> list[dict[str, str]]:
    buttons: list[dict[str, str]] = []
    if isinstance(raw, list):
        for b in raw:
            if isinstance(b, dict) and ("title" in b or "payload" in b):
                title = str(b.get("title", b.get("payload", "")))
                buttons.append({"title": title, "payload": str(b.get("payload", title))})
    return buttons


def from_rasa_reply(item: dict[str, Any]) -> OutboundMessage | None:
    """One element of Rasa's REST reply list -> a bot OutboundMessage (None if empty)."""
    if not isinstance(item, dict):
        return None
    text = item.get("text")
    custom = item.get("custom")
    image = item.get("image")
    attachment = item.get("attachment")
    if not image and isinstance(attachment, dict) and attachment.get("type") == "image":
        image = (attachment.get("payload") or {}).get("src")
    message = OutboundMessage(
        role=MessageRole.BOT,
        text=text if isinstance(text, str) and text else None,
        buttons=_clean_buttons(item.get("buttons") or item.get("quick_replies")),
        image=image if isinstance(image, str) and image else None,
        custom=custom if isinstance(custom, dict) else None,
    )
    if message.text is None and not message.buttons and message.image is None and message.custom is None:
        return None
    return message


def to_rest(recipient_id: str, message: OutboundMessage, with_id: bool = False) -> list[dict[str, Any]]:
    """Rasa REST channel format: one dict per text(+buttons) / image / custom part."""
    out: list[dict[str, Any]] = []
    extra = {"id": message.id} if with_id else {}
    if message.text is not None or message.buttons:
        item: dict[str, Any] = {"recipient_id": recipient_id, "text": message.text or ""}
        if message.buttons:
            item["buttons"] = [{"title": b["title"], "payload": b["payload"]} for b in message.buttons]
        out.append({**item, **extra})
    if message.image:
        out.append({"recipient_id": recipient_id, "image": message.image, **extra})
    if message.custom is not None:
        out.append({"recipient_id": recipient_id, "custom": message.custom, **extra})
    return out


def to_socketio(message: OutboundMessage) -> list[dict[str, Any]]:
    """Rasa SocketIOOutput format (`bot_uttered` payloads), text split on blank lines."""
    out: list[dict[str, Any]] = []
    if message.text is not None or message.buttons:
        parts = [p for p in (message.text or "").strip().split("\n\n") if p] or [message.text or ""]
        items: list[dict[str, Any]] = [{"text": p} for p in parts]
        if message.buttons:
            items[-1]["quick_replies"] = [
                {"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in message.buttons
            ]
        out.extend(items)
    if message.image:
        out.append({"attachment": {"type": "image", "payload": {"src": message.image}}})
    if message.custom is not None:
        out.append(dict(message.custom))
    return out
