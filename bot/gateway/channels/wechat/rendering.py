"""How ``OutboundMessage``s look on WeChat: plain text only, so buttons become numbered
options ("回复 1 …") that ``ButtonMemory`` turns back into payloads, and images links."""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from bot.contract import Language
from bot.gateway.messages import OutboundMessage

# Numbered options stay valid this long after they were shown.
BUTTONS_TTL_S = 24 * 3600

_CJK = re.compile(r"[\u3400-\u9fff]")


def _is_english(language: str | None, messages: Iterable[OutboundMessage]) -> bool:
    if language:
        return language == Language.EN
    texts = "".join((m.text or "") + "".join(b.get("title", "") for b in m.buttons) for m in messages)
    return bool(texts.strip()) and not _CJK.search(texts)


def _option_line(number: int, title: str, english: bool) -> str:
    title = title.strip()
    # "1 非常不满意" already carries its number: "回复 1 非常不满意".
    if title == str(number) or re.match(rf"^{number}(\s|[.、:：)）])", title):
        return f"Reply {title}" if english else f"回复 {title}"
    return f"Reply {number}: {title}" if english else f"回复 {number}：{title}"


def render_text(messages: Iterable[OutboundMessage], language: str | None = None) -> tuple[str, list[dict[str, str]]]:
    """The text WeChat shows for these messages, and their buttons in option order.

    Buttons are numbered across all the messages; images become links; custom
    payloads (already stripped of handoff data by the router) are not shown.
    """
    messages = list(messages)
    english = _is_english(language, messages)
    blocks: list[str] = []
    options: list[dict[str, str]] = []
    for message in messages:
        lines: list[str] = []
        if message.text and message.text.strip():
            lines.append(message.text.strip())
        for button in message.buttons:
            options.append(button)
            lines.append(_option_line(len(options), button.get("title") or button.get("payload", ""), english))
        if message.image:
            lines.append(f"Picture: {message.image}" if english else f"图片：{message.image}")
        if lines:
            blocks.append("\n".join(lines))
    return "\n\n".join(blocks), options


_OPTION_PUNCT = " \t.。、,，:：)）"


class ButtonMemory:
    """The numbered options last shown to each customer, to map "1" back to a payload."""

    def __init__(self, ttl_s: float = BUTTONS_TTL_S, max_users: int = 100_000) -> None:
        self._ttl = ttl_s
        self._max = max_users
        self._data: OrderedDict[str, tuple[float, list[dict[str, str]]]] = OrderedDict()

    def remember(self, user_id: str, options: list[dict[str, str]]) -> None:
        """Options of the latest batch sent to the user (an empty list forgets the old ones)."""
        self._data.pop(user_id, None)
        if options:
            self._data[user_id] = (time.monotonic() + self._ttl, list(options))
            while len(self._data) > self._max:
                self._data.popitem(last=False)

    def resolve(self, user_id: str, text: str) -> dict[str, str] | None:
        """The button the user chose by typing its number or its title, if any."""
        entry = self._data.get(user_id)
        if entry is None:
            return None
        expires_at, options = entry
        if time.monotonic() > expires_at:
            self._data.pop(user_id, None)
            return None
        return chosen_option(options, text)

    # What the channels call (the Redis memory of several gateway instances overrides these).
    async def aremember(self, user_id: str, options: list[dict[str, str]]) -> None:
        self.remember(user_id, options)

    async def aresolve(self, user_id: str, text: str) -> dict[str, str] | None:
        return self.resolve(user_id, text)


def chosen_option(options: list[dict[str, str]], text: str) -> dict[str, str] | None:
    """The option a customer typed (its number or its title), if any."""
    typed = unicodedata.normalize("NFKC", text).strip().strip(_OPTION_PUNCT)
    if typed.isdigit() and 1 <= int(typed) <= len(options):
        return options[int(typed) - 1]
    lowered = typed.casefold()
    for option in options:
        if lowered and option.get("title", "").strip().casefold() == lowered:
            return option
    return None


class RedisButtonMemory(ButtonMemory):
    """ButtonMemory shared by the gateway instances (REDIS_URL): the options shown to a
    customer live in Redis (`wechat:buttons:<channel>:<user>`, JSON, expiring with
    BUTTONS_TTL_S), so "1" means the same on whichever instance the next message lands."""

    def __init__(self, redis: Any, key_prefix: str, ttl_s: float = BUTTONS_TTL_S) -> None:
        super().__init__(ttl_s)
        self.redis = redis
        self.key_prefix = key_prefix  # e.g. "parcel:wechat:buttons:wechat:"

    async def aremember(self, user_id: str, options: list[dict[str, str]]) -> None:
        key = self.key_prefix + user_id
        if options:
            await self.redis.set(key, json.dumps(options, ensure_ascii=False), ex=int(self._ttl))
        else:
            await self.redis.delete(key)

    async def aresolve(self, user_id: str, text: str) -> dict[str, str] | None:
        raw = await self.redis.get(self.key_prefix + user_id)
        if raw is None:
            return None
        try:
            options = [o for o in json.loads(raw) if isinstance(o, dict)]
        except (TypeError, ValueError):
            return None
        return chosen_option(options, text)
