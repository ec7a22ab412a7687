"""The two WeChat-family ``Channel``s: the Official Account (公众号, ``wechat``) and WeCom
(企业微信, ``wecom``). Each is enabled when its token is set (settings checked in
``bot.config``), adds its callback routes and sends later messages through the
send-message API, one customer at a time in order."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from bot.config import Settings
from bot.contract import ChannelName
from bot.gateway import hooks
from bot.gateway.channels.wechat.api import WeChatCustomerServiceClient, WeChatSendError, WeComMessageClient
from bot.gateway.channels.wechat.callbacks import (
    OfficialAccountCallback,
    RouteFn,
    WorkCallback,
    _CallbackBase,
)
from bot.gateway.channels.wechat.media import MediaIntake
from bot.gateway.channels.wechat.nonces import RedisNonces, nonce_store
from bot.gateway.channels.wechat.rendering import ButtonMemory, RedisButtonMemory, render_text
from bot.gateway.cluster import SeenOnce
from bot.gateway.keys import BUS_KEY, CHANNELS_KEY, DB_KEY, REGISTRY_KEY, ROUTER_KEY
from bot.gateway.locks import KeyedLocks
from bot.gateway.messages import OutboundMessage
from bot.gateway.models import Conversation

log = logging.getLogger(__name__)


class TextSender(Protocol):
    async def send_text(self, user_id: str, text: str) -> None: ...

    def close(self) -> None: ...


@dataclass
class WeChatChannels:
    """The callbacks set up on an app (kept in ``app[CHANNELS_KEY]["wechat"]``)."""

    wechat: OfficialAccountCallback | None = None
    wecom: WorkCallback | None = None

    @property
    def callbacks(self) -> list[_CallbackBase]:
        return [c for c in (self.wechat, self.wecom) if c is not None]


def installed(app: web.Application) -> WeChatChannels:
    """The WeChat callbacks of `app` (created empty on first use)."""
    if CHANNELS_KEY not in app:
        app[CHANNELS_KEY] = {}
    return app[CHANNELS_KEY].setdefault("wechat", WeChatChannels())


class WeChatChannel:
    """What both WeChat channels share: later messages through the send-message API.

    Sends to one customer go out one at a time (a lock per customer, held only
    while calling the API), so they arrive in the order they were sent.
    """

    name: ChannelName
    path: str  # of the callback

    def __init__(self) -> None:
        self.sender: TextSender | None = None
        self.buttons = ButtonMemory()
        self._send_locks = KeyedLocks()

    async def push(self, conversation: Conversation, message: OutboundMessage) -> None:
        await self.send(conversation.channel_user_id, [message], conversation.language)

    async def send(
        self,
        user_id: str,
        messages: list[OutboundMessage],
        language: str | None = None,
        remember_options: bool = True,
    ) -> None:
        text, options = render_text(messages, language)
        if not text:
            return  # e.g. only a custom payload: nothing WeChat can show
        if self.sender is None:
            raise WeChatSendError(
                f"{self.name}: cannot send to {user_id}: the send-message API is not configured "
                "(WECHAT_APP_ID/WECHAT_APP_SECRET or WECOM_CORP_ID/WECOM_SECRET/WECOM_AGENT_ID)"
            )
        async with self._send_locks.hold(user_id):
            await self.sender.send_text(user_id, text)
        if remember_options:
            await self.buttons.aremember(user_id, options)

    @staticmethod
    def _router(app: web.Application) -> RouteFn:
        async def route(
            channel: str, user_id: str, text: str, metadata: dict[str, Any] | None
        ) -> list[OutboundMessage]:
            return await app[ROUTER_KEY].handle_customer_message(channel, user_id, text, metadata)

        return route

    def _install(self, app: web.Application, settings: Settings, callback: _CallbackBase) -> None:
        """Routes of the callback, evidence intake, the nonce store, and the shutdown hooks.
        With several gateway instances (REDIS_URL), options shown and messages seen are kept
        in Redis."""
        callback.media = MediaIntake(app)
        callback.nonces = nonces = nonce_store(settings.redis_url, settings.redis_key_prefix, app[DB_KEY].factory)
        if BUS_KEY in app:
            bus = app[BUS_KEY]
            self.buttons = RedisButtonMemory(bus.redis, bus.key("wechat", "buttons", self.name, ""))
            callback.seen = SeenOnce(bus.redis, bus.key("wechat", "msg", self.name, ""))
        app.router.add_get(self.path, callback.get)
        app.router.add_post(self.path, callback.post)

        async def drain(app: web.Application) -> None:
            await callback.drain()

        async def close(app: web.Application) -> None:
            if self.sender is not None:
                self.sender.close()
            if isinstance(nonces, RedisNonces):
                await nonces.close()

        hooks.on_shutdown(app, drain)
        hooks.on_cleanup(app, close)


class OfficialAccountChannel(WeChatChannel):
    """WeChat Official Account (公众号): ``/wechat/callback``, customers by openid."""

    name = ChannelName.WECHAT
    path = "/wechat/callback"

    def setup(self, app: web.Application, settings: Settings) -> bool:
        if not settings.wechat_token:
            return False
        if settings.wechat_app_id and settings.wechat_app_secret:
            self.sender = WeChatCustomerServiceClient(
                settings.wechat_app_id, settings.wechat_app_secret, settings.wechat_api_base
            )
        else:
            log.warning(
                "WeChat: WECHAT_APP_ID/WECHAT_APP_SECRET not set: only passive replies, "
                "agent replies cannot reach WeChat customers"
            )
        callback = OfficialAccountCallback(
            self,
            self._router(app),
            settings.wechat_reply_timeout_s,
            settings.wechat_token,
            app_id=settings.wechat_app_id,
            encoding_aes_key=settings.wechat_encoding_aes_key,
        )
        self._install(app, settings, callback)
        installed(app).wechat = callback
        return True


class WeComChannel(WeChatChannel):
    """WeCom (企业微信): ``/wecom/callback`` (always encrypted), members by userid."""

    name = ChannelName.WECOM
    path = "/wecom/callback"

    def setup(self, app: web.Application, settings: Settings) -> bool:
        if not settings.wecom_token:
            return False
        if settings.wecom_secret and settings.wecom_agent_id:
            self.sender = WeComMessageClient(
                settings.wecom_corp_id, settings.wecom_secret, int(settings.wecom_agent_id), settings.wecom_api_base
            )
        else:
            log.warning(
                "WeCom: WECOM_SECRET/WECOM_AGENT_ID not set: only passive replies, "
                "agent replies cannot reach WeCom members"
            )
        callback = WorkCallback(
            self,
            self._router(app),
            settings.wechat_reply_timeout_s,
            settings.wecom_token,
            settings.wecom_encoding_aes_key,
            settings.wecom_corp_id,
        )
        self._install(app, settings, callback)
        installed(app).wecom = callback
        return True


def setup_wechat(app: web.Application, settings: Settings) -> WeChatChannels:
    """Both WeChat channels on `app` (what the app factory does for them, for scripts and
    tests); enabled ones are registered when the app has a channel registry."""
    for channel in (OfficialAccountChannel(), WeComChannel()):
        if channel.setup(app, settings) and REGISTRY_KEY in app:
            app[REGISTRY_KEY].register(channel)
    return installed(app)
