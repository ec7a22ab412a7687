"""What a customer channel is: the gateway's side of one way customers reach us.

A channel turns its wire format into `Router.handle_customer_message` calls and
`OutboundMessage`s into its wire format. The app factory lists every channel once
(`bot.gateway.app.customer_channels`); docs/adding-a-channel.md has the steps.
"""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from bot.config import Settings
from bot.contract import ChannelName
from bot.gateway.messages import OutboundMessage
from bot.gateway.models import Conversation


class Channel(Protocol):
    # The conversations' `channel` column (a bot.contract.ChannelName value).
    name: ChannelName

    def setup(self, app: web.Application, settings: Settings) -> bool:
        """Add routes and startup/shutdown hooks to `app`; False (and nothing added) when
        the channel is not configured. Only enabled channels receive `push` calls."""
        ...

    async def push(self, conversation: Conversation, message: OutboundMessage) -> None:
        """Send a later message (agent reply, queue notice, CSAT question) to the
        conversation's customer; raise when it cannot be sent now (it stays in the
        transcript)."""
        ...
