"""Clients for the WeChat Official Account and WeCom (企业微信) send-message APIs.

They send the messages that cannot go back in the 5-second passive reply of a
callback: agent replies after a handoff, queue notices, the satisfaction
question, and bot answers that took too long. Both are thin wrappers over
wechatpy's (synchronous, requests-based) clients, called in a worker thread so
the event loop never blocks:

- ``WeChatCustomerServiceClient.send_text(openid, text)`` — 客服消息
  ``POST {WECHAT_API_BASE}/cgi-bin/message/custom/send`` (token from
  ``/cgi-bin/token``);
- ``WeComMessageClient.send_text(userid, text)`` — 应用消息
  ``POST {WECOM_API_BASE}/cgi-bin/message/send`` (token from
  ``/cgi-bin/gettoken``).

The access token is cached by wechatpy's session storage (in memory, per
client) until shortly before it expires; it is refreshed once and the call
retried once when WeChat says the token is invalid or expired.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

import requests
from wechatpy.client import WeChatClient as _OfficialAccountClient
from wechatpy.enterprise.client import WeChatClient as _WorkClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.memorystorage import MemoryStorage

log = logging.getLogger(__name__)

DEFAULT_WECHAT_API_BASE = "https://api.weixin.qq.com"
DEFAULT_WECOM_API_BASE = "https://qyapi.weixin.qq.com"

# errcodes meaning "get a new access token and try again".
_TOKEN_ERRORS = frozenset({40001, 40014, 42001})
# Bytes WeChat accepts in one text message (客服消息 and 被动回复 alike).
TEXT_LIMIT_BYTES = 2048


class WeChatSendError(RuntimeError):
    """A message could not be sent through the WeChat/WeCom API."""

    def __init__(self, message: str, errcode: int | None = None) -> None:
        super().__init__(message)
        self.errcode = errcode


def _cgi_base(api_base: str) -> str:
    return api_base.rstrip("/") + "/cgi-bin/"


class _TimeoutSession(requests.Session):
    """wechatpy fetches the access token without a timeout; give every request one."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._default_timeout = timeout

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._default_timeout
        return super().request(method, url, *args, **kwargs)


class _TokenRefreshMixin:
    """One access-token fetch at a time per client (calls run in several threads).

    wechatpy's ``auto_retry`` refetches and retries without a bound, so the
    clients below turn it off and ``_call`` retries once instead.
    """

    _token_lock: threading.Lock
    # Provided by the wechatpy client class each API class combines this mixin with.
    session: Any
    access_token_key: str
    access_token: str
    expires_at: int | None
    message: Any

    def _init_common(self, api_base: str, timeout: float) -> None:
        self._token_lock = threading.Lock()
        self._http = _TimeoutSession(timeout)
        self._api_base = _cgi_base(api_base)
        # Instance attribute: wechatpy's _request reads self.API_BASE_URL.
        self.API_BASE_URL = self._api_base

    def fetch_access_token(self) -> dict:
        seen = self.session.get(self.access_token_key)
        with self._token_lock:
            current = self.session.get(self.access_token_key)
            if current and current != seen:
                # Another thread refreshed it while this one waited.
                return {"access_token": current}
            return self._fetch_token_now()

    def _fetch_token_now(self) -> dict:
        raise NotImplementedError  # each API class asks its own token endpoint

    def _call(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except WeChatClientException as exc:
            if exc.errcode not in _TOKEN_ERRORS:
                raise
            log.info("access token rejected (errcode %s); fetching a new one", exc.errcode)
            self.session.delete(self.access_token_key)
            self.expires_at = None
            return func(*args, **kwargs)


class _OfficialAccountAPI(_TokenRefreshMixin, _OfficialAccountClient):
    def __init__(self, app_id: str, secret: str, api_base: str, timeout: float) -> None:
        super().__init__(app_id, secret, session=MemoryStorage(), timeout=timeout, auto_retry=False)
        self._init_common(api_base, timeout)

    def _fetch_token_now(self) -> dict:
        return self._fetch_access_token(
            url=self._api_base + "token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


class _WorkAPI(_TokenRefreshMixin, _WorkClient):
    def __init__(self, corp_id: str, secret: str, api_base: str, timeout: float) -> None:
        super().__init__(corp_id, secret, session=MemoryStorage(), timeout=timeout, auto_retry=False)
        self._init_common(api_base, timeout)

    def _fetch_token_now(self) -> dict:
        return self._fetch_access_token(
            url=self._api_base + "gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.secret},
        )


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut_line(line: str, limit: int) -> list[str]:
    """Cut one over-long line into pieces of at most ``limit`` UTF-8 bytes."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        n = _utf8_len(char)
        if size + n > limit:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += n
    if current:
        pieces.append("".join(current))
    return pieces


def split_text(text: str, limit: int = TEXT_LIMIT_BYTES) -> list[str]:
    """Split text into pieces of at most ``limit`` UTF-8 bytes, cutting at line breaks when possible."""
    if _utf8_len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        for part in _cut_line(line, limit) if _utf8_len(line) > limit else [line]:
            if current and _utf8_len(current + part) > limit:
                pieces.append(current)
                current = ""
            current += part
    if current:
        pieces.append(current)
    return [p.rstrip("\n") for p in pieces if p.strip()]


class MediaTooLarge(WeChatSendError):
    """A media file over the size the caller accepts."""


class _AsyncSender:
    """Runs the blocking wechatpy call in a worker thread and normalises errors."""

    _client: _TokenRefreshMixin

    async def download_media(self, media_id: str, limit: int) -> tuple[bytes, str]:
        """A customer's image or video (临时素材, ``GET {api}/cgi-bin/media/get``): (bytes, content type).
        At most ``limit`` bytes are read (MediaTooLarge beyond); a rejected token is refreshed once."""
        return await asyncio.to_thread(self._download, media_id, limit)

    def _download(self, media_id: str, limit: int) -> tuple[bytes, str]:
        client = self._client
        http = client._http
        for attempt in (0, 1):
            try:
                response = http.get(
                    client._api_base + "media/get",
                    params={"access_token": client.access_token, "media_id": media_id},
                    stream=True,
                )
            except Exception as exc:  # network errors, timeouts
                raise WeChatSendError(f"media download failed: {exc!r}") from exc
            with response:
                content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                if content_type in ("application/json", "text/plain"):
                    try:
                        body = response.json()
                    except ValueError as exc:
                        raise WeChatSendError("media download: unreadable answer") from exc
                    if isinstance(body, dict) and body.get("video_url"):  # Official Account videos come as a link
                        return self._fetch(http, str(body["video_url"]), limit)
                    errcode = body.get("errcode") if isinstance(body, dict) else None
                    if errcode in _TOKEN_ERRORS and attempt == 0:
                        client.session.delete(client.access_token_key)
                        client.expires_at = None
                        continue
                    raise WeChatSendError(f"media download failed: errcode={errcode}", errcode)
                if response.status_code != 200:
                    raise WeChatSendError(f"media download failed: HTTP {response.status_code}")
                return _read_limited(response, limit), content_type
        raise WeChatSendError("media download failed: access token rejected twice")

    @staticmethod
    def _fetch(http: requests.Session, url: str, limit: int) -> tuple[bytes, str]:
        try:
            with http.get(url, stream=True) as response:
                if response.status_code != 200:
                    raise WeChatSendError(f"media download failed: HTTP {response.status_code}")
                return _read_limited(response, limit), response.headers.get("Content-Type", "")
        except WeChatSendError:
            raise
        except Exception as exc:
            raise WeChatSendError(f"media download failed: {exc!r}") from exc

    async def _send(self, what: str, func: Callable[..., Any], *args: Any) -> dict:
        try:
            return await asyncio.to_thread(self._client._call, func, *args)
        except WeChatClientException as exc:
            raise WeChatSendError(f"{what} failed: errcode={exc.errcode} errmsg={exc.errmsg}", exc.errcode) from exc
        except Exception as exc:  # network errors, timeouts (requests raises its own types)
            raise WeChatSendError(f"{what} failed: {exc!r}") from exc


def _read_limited(response: requests.Response, limit: int) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_content(256 * 1024):
        size += len(chunk)
        if size > limit:
            raise MediaTooLarge(f"media over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class WeChatCustomerServiceClient(_AsyncSender):
    """Official Account customer-service messages (客服消息) to an openid.

    WeChat only accepts them within 48 hours of the customer's last message
    (errcode 45015 otherwise), which is raised as ``WeChatSendError``.
    """

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        api_base: str = DEFAULT_WECHAT_API_BASE,
        timeout: float = 10.0,
    ) -> None:
        self._client = _OfficialAccountAPI(app_id, app_secret, api_base, timeout)

    async def send_text(self, openid: str, text: str) -> None:
        for piece in split_text(text):
            await self._send("WeChat custom message", self._client.message.send_text, openid, piece)

    def close(self) -> None:
        self._client._http.close()


class WeComMessageClient(_AsyncSender):
    """WeCom application messages (应用消息) from one agent (应用) to a member userid."""

    def __init__(
        self,
        corp_id: str,
        secret: str,
        agent_id: int,
        api_base: str = DEFAULT_WECOM_API_BASE,
        timeout: float = 10.0,
    ) -> None:
        self._client = _WorkAPI(corp_id, secret, api_base, timeout)
        self.agent_id = int(agent_id)

    async def send_text(self, userid: str, text: str) -> None:
        for piece in split_text(text):
            result = await self._send("WeCom message", self._client.message.send_text, self.agent_id, userid, piece)
            invalid = (result or {}).get("invaliduser") if isinstance(result, dict) else None
            if invalid:
                raise WeChatSendError(f"WeCom message not delivered to {invalid!r}")

    def close(self) -> None:
        self._client._http.close()
