"""WeChat/WeCom callbacks cannot be downgraded or replayed (issue 6).

The real gateway app on loopback (two instances sharing one database or one Redis,
as behind a load balancer), the gateway tests' fake Rasa, and callbacks built with
wechatpy's real crypto as WeChat's servers build them."""

from __future__ import annotations

import dataclasses
import secrets
import time
from typing import Any

import pytest
from wechatpy.crypto import WeChatCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WorkCrypto

from bot.config import Settings
from bot.gateway.channels.wechat import signatures
from bot.gateway.channels.wechat.callbacks import MAX_CLOCK_SKEW_S
from bot.gateway.models import Conversation, Message
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.fake_wechat_api import FakeWeChatAPI
from tests.gateway.test_wechat import (
    ACCOUNT_ID,
    AES_KEY,
    APP_ID,
    CORP_ID,
    OPENID,
    TOKEN,
    WECOM_AES_KEY,
    WECOM_AGENT_ID,
    WECOM_TOKEN,
    Gateway,
    decrypt_reply,
    reply_of,
    signed_query,
    text_xml,
    texts,
    wechat_settings,
)

VICTIM = OPENID
REDIS_URL = "redis://127.0.0.1:6379/2"  # issue-6b's Redis database
# These tests look at passive replies: give the bot WeChat's real budget (a loaded test
# machine must not push the reply to the send-message API instead).
REPLY_TIMEOUT_S = 4.0


async def _gateways(make_client: Any, settings: Settings, count: int = 2, **changes: Any) -> list[Gateway]:
    """`count` gateway instances on one database (and one Redis when REDIS_URL is given)."""
    gateways = []
    for _ in range(count):
        client = await make_client(settings, **changes)
        gateways.append(Gateway(client, dataclasses.replace(settings, **changes)))
    return gateways


@pytest.fixture
def safe_settings(settings: Settings, fake_api: FakeWeChatAPI) -> Settings:
    return dataclasses.replace(
        settings, **{**wechat_settings(fake_api.base_url, safe_mode=True), "wechat_reply_timeout_s": REPLY_TIMEOUT_S}
    )


@pytest.fixture
def plain_settings(settings: Settings, fake_api: FakeWeChatAPI) -> Settings:
    return dataclasses.replace(
        settings, **{**wechat_settings(fake_api.base_url, safe_mode=False), "wechat_reply_timeout_s": REPLY_TIMEOUT_S}
    )


def encrypted_callback(
    xml: str, timestamp: str | None = None, nonce: str | None = None
) -> tuple[dict[str, str], bytes]:
    """A safe-mode callback as WeChat sends it: the signed URL and the ciphertext body."""
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    query = signed_query(timestamp=timestamp, nonce=nonce)
    envelope = reply_of(crypto.encrypt_message(xml, query["nonce"], query["timestamp"]))
    body = (
        f"<xml><ToUserName><![CDATA[{ACCOUNT_ID}]]></ToUserName>"
        f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
    )
    params = {**query, "encrypt_type": "aes", "msg_signature": envelope["MsgSignature"], "openid": VICTIM}
    return params, body.encode("utf-8")


async def post(gw: Gateway, params: dict[str, str], body: bytes, path: str = "/wechat/callback") -> tuple[int, str]:
    response = await gw.client.post(path, params=params, data=body, headers={"Content-Type": "text/xml"})
    return response.status, await response.text()


# --- safe mode cannot be downgraded -----------------------------------------------


async def test_plaintext_post_is_refused_in_safe_mode(
    make_client: Any, safe_settings: Settings, fake_rasa: FakeRasa
) -> None:
    (gw,) = await _gateways(make_client, safe_settings, count=1)
    # A correctly signed URL (e.g. captured from a GET verification, or any earlier
    # callback) with a plaintext body that speaks as the victim's openid.
    status, body = await post(gw, signed_query(), text_xml("我的取件码是多少", openid=VICTIM).encode())
    assert status == 403
    assert "取件码" not in body and "echo" not in body
    assert fake_rasa.received == []
    assert gw.count(Conversation) == 0 and gw.count(Message) == 0

    # The same message encrypted by WeChat is answered (and the answer is encrypted).
    params, encrypted = encrypted_callback(text_xml("我的快递到哪了", openid=VICTIM))
    status, body = await post(gw, params, encrypted)
    assert status == 200
    assert decrypt_reply(WeChatCrypto(TOKEN, AES_KEY, APP_ID), body)["Content"] == "echo: 我的快递到哪了"
    assert texts(fake_rasa) == ["我的快递到哪了"]


@pytest.mark.parametrize("offset", [-(MAX_CLOCK_SKEW_S + 60), MAX_CLOCK_SKEW_S + 60])
async def test_encrypted_callback_outside_the_timestamp_window_is_refused(
    make_client: Any, safe_settings: Settings, fake_rasa: FakeRasa, offset: int
) -> None:
    (gw,) = await _gateways(make_client, safe_settings, count=1)
    params, body = encrypted_callback(text_xml("你好"), timestamp=str(int(time.time()) + offset))
    status, _ = await post(gw, params, body)
    assert status == 403
    assert fake_rasa.received == []


# --- nonces are remembered for the whole window, by every instance -------------


@pytest.mark.parametrize("store", ["database", "redis"])
async def test_replayed_encrypted_callback_is_not_routed_again_by_any_instance(
    make_client: Any, safe_settings: Settings, fake_rasa: FakeRasa, store: str
) -> None:
    changes: dict[str, Any] = {}
    if store == "redis":
        changes = {"redis_url": REDIS_URL, "redis_key_prefix": f"issue6b-test-{secrets.token_hex(4)}:"}
    first, second = await _gateways(make_client, safe_settings, **changes)
    params, body = encrypted_callback(text_xml("请把快递改送到公司", openid=VICTIM))
    status, _ = await post(first, params, body)
    assert status == 200
    assert texts(fake_rasa) == ["请把快递改送到公司"]

    # The captured request replayed against the other instance (or later than the
    # retry memory of the first one): acknowledged, never said to the bot again.
    assert await post(second, params, body) == (200, "success")
    status, _ = await post(first, params, body)  # (a WeChat retry there: the same encrypted reply)
    assert status == 200
    assert texts(fake_rasa) == ["请把快递改送到公司"]

    # The same signed nonce with another body is a replay, refused.
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    other = reply_of(
        crypto.encrypt_message(text_xml("转人工", openid="o-attacker"), params["nonce"], params["timestamp"])
    )
    forged_body = f"<xml><Encrypt><![CDATA[{other['Encrypt']}]]></Encrypt></xml>".encode()
    status, _ = await post(second, {**params, "msg_signature": other["MsgSignature"]}, forged_body)
    assert status == 403
    assert texts(fake_rasa) == ["请把快递改送到公司"]


async def test_wechat_retry_of_the_same_request_still_gets_its_reply(
    make_client: Any, safe_settings: Settings, fake_rasa: FakeRasa
) -> None:
    """WeChat retries with the same URL and body: that is not an attack."""
    (gw,) = await _gateways(make_client, safe_settings, count=1)
    params, body = encrypted_callback(text_xml("你好", msg_id=777000111))
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    first = await post(gw, params, body)
    again = await post(gw, params, body)
    assert first[0] == again[0] == 200
    assert decrypt_reply(crypto, first[1])["Content"] == decrypt_reply(crypto, again[1])["Content"] == "echo: 你好"
    assert texts(fake_rasa) == ["你好"]


async def test_plaintext_mode_replayed_url_cannot_carry_another_body(
    make_client: Any, plain_settings: Settings, fake_rasa: FakeRasa
) -> None:
    """Plaintext mode (no AES key): the URL's signature does not cover the body, so a
    captured URL must not carry an attacker's message as another openid."""
    first, second = await _gateways(make_client, plain_settings)
    query = signed_query()
    status, _ = await post(first, query, text_xml("你好", openid=VICTIM).encode())
    assert status == 200
    for gw in (first, second):
        status, body = await post(gw, query, text_xml("查一下我的取件码", openid=VICTIM).encode())
        assert status == 403
        assert "取件码" not in body
    assert texts(fake_rasa) == ["你好"]


async def test_wecom_replay_is_not_routed_again(make_client: Any, safe_settings: Settings, fake_rasa: FakeRasa) -> None:
    first, second = await _gateways(make_client, safe_settings)
    crypto = WorkCrypto(WECOM_TOKEN, WECOM_AES_KEY, CORP_ID)
    timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
    envelope = reply_of(
        crypto.encrypt_message(text_xml("报销单进度", openid="zhangsan", agent_id=WECOM_AGENT_ID), nonce, timestamp)
    )
    body = (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><AgentID>{WECOM_AGENT_ID}</AgentID>"
        f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
    ).encode()
    params = {"msg_signature": envelope["MsgSignature"], "timestamp": timestamp, "nonce": nonce}
    assert (await post(first, params, body, "/wecom/callback"))[0] == 200
    assert (await post(second, params, body, "/wecom/callback")) == (200, "success")
    assert texts(fake_rasa) == ["报销单进度"]


# --- constant-time comparisons ------------------------------------------------------


async def test_signatures_are_compared_in_constant_time(
    make_client: Any, safe_settings: Settings, fake_rasa: FakeRasa, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every signature the callbacks check goes through hmac.compare_digest (which takes
    the same time wherever the first difference is), none through `==`/`!=`."""
    compared: list[bytes] = []
    real = signatures.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append(a)
        return real(a, b)

    monkeypatch.setattr(signatures.hmac, "compare_digest", spy)
    (gw,) = await _gateways(make_client, safe_settings, count=1)
    forged_url = {**signed_query(), "signature": "0" * 40}
    params, body = encrypted_callback(text_xml("你好"))
    forged_msg = {**params, "msg_signature": "1" * 40}
    wecom = {"msg_signature": "2" * 40, "timestamp": str(int(time.time())), "nonce": "12345"}
    assert (await post(gw, forged_url, body))[0] == 403
    assert (await post(gw, forged_msg, body))[0] == 403
    assert (await post(gw, wecom, b"<xml><Encrypt>abc</Encrypt></xml>", "/wecom/callback"))[0] == 403
    assert {b"0" * 40, b"1" * 40, b"2" * 40} <= set(compared)
    assert fake_rasa.received == []
