"""Pushing later messages (agent replies, queue notices, the CSAT question) to the
customer's channel."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.gateway.channels.base import Channel
from bot.gateway.messages import OutboundMessage
from bot.gateway.models import Conversation

logger = logging.getLogger(__name__)


class ChannelRegistry:
    """The enabled channels by name (the app factory registers them)."""

    def __init__(self, on_delivered: Callable[[str], None] | None = None) -> None:
        self._adapters: dict[str, Channel] = {}
        self._on_delivered = on_delivered  # the channel's name, for each message pushed

    def register(self, channel: Channel) -> None:
        self._adapters[channel.name] = channel

    def get(self, name: str) -> Channel | None:
        return self._adapters.get(name)

    @property
    def names(self) -> list[str]:
        return sorted(self._adapters)

    async def deliver(self, conversation: Conversation, message: OutboundMessage) -> bool:
        """Push `message` (already stored) to the conversation's channel; False when it
        could not be pushed now (it stays in the transcript and in the long-poll feed)."""
        adapter = self._adapters.get(conversation.channel)
        if adapter is None:
            logger.warning("no channel adapter %r for conversation %s", conversation.channel, conversation.id)
            return False
        try:
            await adapter.push(conversation, message)
            if self._on_delivered is not None:
                self._on_delivered(conversation.channel)
            return True
        except Exception:  # a channel failure must not break the agent's action
            logger.exception("pushing message %s to channel %s failed", message.id, conversation.channel)
            return False
