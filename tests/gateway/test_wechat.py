"""WeChat Official Account and WeCom channels, end to end on loopback.

Every test runs the real gateway app (``create_app``) on a real loopback port, in
front of the gateway tests' fake Rasa (tests/gateway/fake_rasa.py: "echo: <text>",
"buttons", "image", "转人工" hands off, "sleep:<s> <text>" answers late) and of
``FakeWeChatAPI`` (tests/gateway/fake_wechat_api.py, a real aiohttp server standing
in for api.weixin.qq.com and qyapi.weixin.qq.com). Callbacks are signed and
encrypted with wechatpy, as WeChat's servers do.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import time
from dataclasses import dataclass
from typing import Any

import pytest
import xmltodict
from aiohttp import web
from sqlalchemy import func, select
from wechatpy.crypto import WeChatCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WorkCrypto
from wechatpy.utils import WeChatSigner

from bot.cases.models import CaseAttachment
from bot.config import Settings
from bot.gateway.channels.wechat.api import (
    WeChatCustomerServiceClient,
    WeChatSendError,
    WeComMessageClient,
    split_text,
)
from bot.gateway.channels.wechat.callbacks import UNSUPPORTED_TEXT, WELCOME_TEXT
from bot.gateway.channels.wechat.channel import setup_wechat
from bot.gateway.channels.wechat.rendering import ButtonMemory, render_text
from bot.gateway.keys import CHANNELS_KEY, DB_KEY, REGISTRY_KEY
from bot.gateway.messages import OutboundMessage
from bot.gateway.models import Conversation, Message
from bot.privacy import pseudonym
from tests.gateway.conftest import add_agent, login, queue_items
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.fake_wechat_api import FakeWeChatAPI
from tests.gateway.test_cases import bot_opens_cases, cases, detail
from tests.gateway.test_evidence import MP4, jpeg

TOKEN = "parcel-wechat-token"
APP_ID = "wx5c1d2e3f4a5b6c7d"
APP_SECRET = "mp-app-secret"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"  # 43 characters, like the admin page's
ACCOUNT_ID = "gh_0123456789ab"  # the Official Account's own id (ToUserName)
OPENID = "oABCD1234567890abcdefghijklm"

CORP_ID = "ww1234567890abcdef"
CORP_SECRET = "corp-app-secret"
WECOM_TOKEN = "parcel-wecom-token"
WECOM_AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
WECOM_AGENT_ID = 1000002
WECOM_USER = "zhangsan"

REPLY_TIMEOUT_S = 0.8  # WeChat's 4 s budget, scaled down
SLOW_BOT_S = 2.0
SLOW = f"sleep:{SLOW_BOT_S} "  # fake Rasa: answer this message SLOW_BOT_S late


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


def texts(fake_rasa: FakeRasa) -> list[str]:
    """What Rasa was asked, in order."""
    return [r["message"] for r in fake_rasa.received]


@pytest.fixture
async def fake_api() -> Any:
    api = FakeWeChatAPI(app_id=APP_ID, app_secret=APP_SECRET, corp_id=CORP_ID, corp_secret=CORP_SECRET)
    await api.start()
    yield api
    await api.close()


def wechat_settings(api_base: str, safe_mode: bool = False) -> dict[str, Any]:
    """Both channels; the Official Account in plaintext mode, or in safe mode (AES key set:
    only encrypted callbacks are accepted)."""
    return {
        "wechat_token": TOKEN,
        "wechat_app_id": APP_ID,
        "wechat_app_secret": APP_SECRET,
        "wechat_encoding_aes_key": AES_KEY if safe_mode else "",
        "wechat_api_base": api_base,
        "wecom_corp_id": CORP_ID,
        "wecom_token": WECOM_TOKEN,
        "wecom_encoding_aes_key": WECOM_AES_KEY,
        "wecom_agent_id": str(WECOM_AGENT_ID),
        "wecom_secret": CORP_SECRET,
        "wecom_api_base": api_base,
        "wechat_reply_timeout_s": REPLY_TIMEOUT_S,
        "rasa_timeout_s": 10.0,
    }


@dataclass
class Gateway:
    client: Any  # aiohttp TestClient: the app on a real loopback port
    settings: Settings

    @property
    def app(self) -> web.Application:
        return self.client.app

    @property
    def wechat(self) -> Any:
        return self.app[CHANNELS_KEY]["wechat"]

    def count(self, model: Any) -> int:
        with self.app[DB_KEY].session() as session:
            return session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture(scope="session", autouse=True)
def _masker_loaded() -> None:
    """Load the personal-data masker once: the app warms it up in a thread at startup,
    which would otherwise hold the GIL during the first test's timing-sensitive calls."""
    from bot.gateway.app import _warm_up_masking

    _warm_up_masking()


@pytest.fixture
async def gateway(make_client: Any, settings: Settings, fake_api: FakeWeChatAPI) -> Any:
    """The Official Account in plaintext mode (and WeCom, always encrypted)."""
    settings = dataclasses.replace(settings, **wechat_settings(fake_api.base_url))
    client = await make_client(settings)
    yield Gateway(client, settings)
    await client.close()  # late replies drain while the fake WeChat API still runs


@pytest.fixture
async def safe_gateway(make_client: Any, settings: Settings, fake_api: FakeWeChatAPI) -> Any:
    """The Official Account in safe mode (WECHAT_ENCODING_AES_KEY set)."""
    settings = dataclasses.replace(settings, **wechat_settings(fake_api.base_url, safe_mode=True))
    client = await make_client(settings)
    yield Gateway(client, settings)
    await client.close()


# --------------------------------------------------------------------------
# What WeChat's servers do
# --------------------------------------------------------------------------


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def signed_query(token: str = TOKEN, timestamp: str | None = None, nonce: str | None = None) -> dict[str, str]:
    """A callback URL's query as WeChat signs it (a fresh random nonce unless given)."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**10))
    return {"signature": sign(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}


_msg_ids = iter(range(24000000000000000, 25000000000000000))


def text_xml(
    content: str,
    openid: str = OPENID,
    msg_id: int | None = None,
    agent_id: int | None = None,
    to: str = ACCOUNT_ID,
) -> str:
    agent = f"<AgentID>{agent_id}</AgentID>" if agent_id is not None else ""
    return (
        f"<xml><ToUserName><![CDATA[{to}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id or next(_msg_ids)}</MsgId>{agent}</xml>"
    )


def event_xml(event: str, openid: str = OPENID) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT_ID}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event></xml>"
    )


def media_xml(kind: str, openid: str = OPENID) -> str:
    extra = {
        "image": "<PicUrl><![CDATA[https://mmbiz.qpic.cn/x.jpg]]></PicUrl><MediaId><![CDATA[m1]]></MediaId>",
        "voice": "<MediaId><![CDATA[m2]]></MediaId><Format><![CDATA[amr]]></Format>",
    }[kind]
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT_ID}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[{kind}]]></MsgType>{extra}<MsgId>{next(_msg_ids)}</MsgId></xml>"
    )


async def post_plain(gw: Gateway, xml: str, query: dict[str, str] | None = None) -> tuple[int, str]:
    response = await gw.client.post(
        "/wechat/callback",
        params=signed_query() if query is None else query,
        data=xml.encode("utf-8"),
        headers={"Content-Type": "text/xml"},
    )
    return response.status, await response.text()


def reply_of(body: str) -> dict[str, Any]:
    """The passive reply's fields."""
    return xmltodict.parse(body)["xml"]


def decrypt_reply(crypto: Any, body: str) -> dict[str, Any]:
    envelope = reply_of(body)
    plain = crypto.decrypt_message(body, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"])
    return reply_of(plain)


async def post_wecom(
    gw: Gateway, xml: str, crypto: Any = None, nonce: str | None = None, msg_signature: str | None = None
) -> tuple[int, str]:
    crypto = crypto or WorkCrypto(WECOM_TOKEN, WECOM_AES_KEY, CORP_ID)
    nonce = nonce or str(secrets.randbelow(10**10))
    timestamp = str(int(time.time()))
    envelope = reply_of(crypto.encrypt_message(xml, nonce, timestamp))
    body = (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><AgentID>{WECOM_AGENT_ID}</AgentID>"
        f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
    )
    query = {"msg_signature": msg_signature or envelope["MsgSignature"], "timestamp": timestamp, "nonce": nonce}
    response = await gw.client.post("/wecom/callback", params=query, data=body.encode("utf-8"))
    return response.status, await response.text()


async def eventually(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


# --------------------------------------------------------------------------
# Official Account: URL verification and signatures
# --------------------------------------------------------------------------


async def test_url_verification_echoes_echostr_on_a_valid_signature(gateway: Gateway) -> None:
    response = await gateway.client.get("/wechat/callback", params={**signed_query(), "echostr": "7139871234567890"})
    assert response.status == 200
    assert await response.text() == "7139871234567890"


@pytest.mark.parametrize(
    "query",
    [
        {"signature": "0" * 40},  # forged
        {"signature": None},  # missing
        {"signature": sign("not-our-token", "1700000000", "n"), "timestamp": "1700000000", "nonce": "n"},
    ],
)
async def test_url_verification_refuses_a_forged_signature(gateway: Gateway, query: dict[str, Any]) -> None:
    params = {**signed_query(), "echostr": "secret-echo", **query}
    params = {k: v for k, v in params.items() if v is not None}
    response = await gateway.client.get("/wechat/callback", params=params)
    assert response.status == 403
    assert "secret-echo" not in await response.text()


# --------------------------------------------------------------------------
# Official Account: text messages
# --------------------------------------------------------------------------


async def test_text_message_gets_the_bot_reply_as_passive_xml(
    gateway: Gateway, fake_rasa: FakeRasa, fake_api: FakeWeChatAPI
) -> None:
    status, body = await post_plain(gateway, text_xml("我的快递到哪了"))
    assert status == 200
    reply = reply_of(body)
    assert reply["MsgType"] == "text"
    assert reply["ToUserName"] == OPENID and reply["FromUserName"] == ACCOUNT_ID
    assert reply["Content"] == "echo: 我的快递到哪了"

    assert texts(fake_rasa) == ["我的快递到哪了"]
    assert fake_rasa.received[0]["metadata"]["channel"] == "wechat"
    with gateway.app[DB_KEY].session() as session:
        conversation = session.execute(select(Conversation)).scalar_one()
        assert (conversation.channel, conversation.channel_user_id) == ("wechat", OPENID)
        roles = [m.role for m in session.execute(select(Message).order_by(Message.id)).scalars()]
        assert roles == ["customer", "bot"]
    assert fake_api.calls == []  # answered in the reply, no API call


async def test_buttons_become_numbered_options_and_the_number_selects_the_payload(
    gateway: Gateway, fake_rasa: FakeRasa
) -> None:
    status, body = await post_plain(gateway, text_xml("buttons"))
    assert status == 200
    assert reply_of(body)["Content"].splitlines() == ["请选择派送时间：", "回复 1：上午", "回复 2：下午"]

    status, body = await post_plain(gateway, text_xml("２"))  # full-width digit
    assert status == 200
    assert texts(fake_rasa) == ["buttons", '/choose_time_window{"time_window":"pm"}']
    assert fake_rasa.received[1]["metadata"]["button"] == {"title": "下午", "typed": "２"}

    # No options on the last reply: a number is just text again.
    await post_plain(gateway, text_xml("2"))
    assert texts(fake_rasa)[-1] == "2"

    # Images are shown as links.
    status, body = await post_plain(gateway, text_xml("image"))
    assert reply_of(body)["Content"] == "图片：https://example.com/pod.jpg"


async def test_a_reply_too_long_for_one_message_continues_through_the_api(
    gateway: Gateway, fake_api: FakeWeChatAPI
) -> None:
    question = "长" * 1500  # the echo is about 4.5 kB, WeChat takes 2048 bytes per message
    status, body = await post_plain(gateway, text_xml(question))
    first = reply_of(body)["Content"]
    assert status == 200 and len(first.encode("utf-8")) <= 2048
    sent = await fake_api.wait_for_sent(2)
    rest = [s["text"]["content"] for s in sent]
    assert all(s["touser"] == OPENID for s in sent)
    assert all(len(piece.encode("utf-8")) <= 2048 for piece in rest)
    assert first + "".join(rest) == "echo: " + question


async def test_a_retried_message_is_routed_once(gateway: Gateway, fake_rasa: FakeRasa) -> None:
    xml = text_xml("你好", msg_id=987654321)
    query = signed_query()
    first = await post_plain(gateway, xml, query)
    again = await post_plain(gateway, xml, query)  # WeChat retries: same URL, same body
    assert first[0] == again[0] == 200
    assert reply_of(first[1])["Content"] == reply_of(again[1])["Content"] == "echo: 你好"
    assert texts(fake_rasa) == ["你好"]


@pytest.mark.parametrize("case", ["forged", "missing", "wrong_token", "stale", "no_nonce"])
async def test_forged_or_missing_signature_is_refused_and_nothing_is_routed(
    gateway: Gateway, fake_rasa: FakeRasa, case: str
) -> None:
    query = signed_query()
    if case == "forged":
        query["signature"] = "f" * 40
    elif case == "missing":
        del query["signature"]
    elif case == "wrong_token":
        query = signed_query(token="guessed-token")
    elif case == "stale":  # a captured, correctly signed URL replayed much later
        query = signed_query(timestamp=str(int(time.time()) - 3600))
    elif case == "no_nonce":
        del query["nonce"]
    status, body = await post_plain(gateway, text_xml("你好"), query=query)
    assert status == 403
    assert "你好" not in body
    assert fake_rasa.received == []
    assert gateway.count(Conversation) == 0 and gateway.count(Message) == 0


@pytest.mark.parametrize(
    "body",
    [
        "<xml><ToUserName>gh</ToUserName><FromUser",  # truncated
        "not xml at all",
        "",
        "<root><MsgType>text</MsgType></root>",  # no <xml>
        "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><Content>hi</Content></xml>",  # no MsgType
        "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><MsgType>text</MsgType>"
        "<Content><b>x</b></Content></xml>",  # nested element instead of text
        "<xml><ToUserName>gh</ToUserName><MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>",  # no user
        "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><MsgType>text</MsgType>"
        "<Content>hi</Content><MsgId>x1</MsgId></xml>",  # MsgId not a number
        "<xml><FromUserName>o1</FromUserName><FromUserName>o2</FromUserName><MsgType>text</MsgType></xml>",
        "<xml><ToUserName><a/></ToUserName><FromUserName>o1</FromUserName><MsgType>event</MsgType>"
        "<Event>subscribe</Event></xml>",
        '<!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><FromUserName>&a;</FromUserName><MsgType>text</MsgType></xml>',
    ],
)
async def test_malformed_xml_is_a_400_not_a_500(gateway: Gateway, fake_rasa: FakeRasa, body: str) -> None:
    status, _ = await post_plain(gateway, body)
    assert status == 400
    assert fake_rasa.received == []
    assert gateway.count(Message) == 0


@pytest.mark.parametrize(
    "xml, expected",
    [
        (event_xml("subscribe"), WELCOME_TEXT),
        (media_xml("voice"), UNSUPPORTED_TEXT),  # (images and videos are case evidence: test_wechat_cases.py)
    ],
)
async def test_non_text_messages_get_a_polite_reply(
    gateway: Gateway, fake_rasa: FakeRasa, xml: str, expected: str
) -> None:
    status, body = await post_plain(gateway, xml)
    assert status == 200
    reply = reply_of(body)
    assert reply["Content"] == expected and reply["ToUserName"] == OPENID
    assert fake_rasa.received == []


async def test_unsubscribe_is_acknowledged_silently(gateway: Gateway, fake_rasa: FakeRasa) -> None:
    status, body = await post_plain(gateway, event_xml("unsubscribe"))
    assert (status, body) == (200, "success")
    assert fake_rasa.received == []


# --------------------------------------------------------------------------
# Official Account: safe mode (encrypted messages)
# --------------------------------------------------------------------------


async def test_safe_mode_encrypted_round_trip(safe_gateway: Gateway, fake_rasa: FakeRasa) -> None:
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    query = signed_query(nonce="safe-nonce")
    envelope = reply_of(crypto.encrypt_message(text_xml("查快递 SF1234567890"), query["nonce"], query["timestamp"]))
    # WeChat's safe-mode body: the ciphertext only.
    body = (
        f"<xml><ToUserName><![CDATA[{ACCOUNT_ID}]]></ToUserName>"
        f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
    )
    params = {**query, "encrypt_type": "aes", "msg_signature": envelope["MsgSignature"], "openid": OPENID}
    response = await safe_gateway.client.post("/wechat/callback", params=params, data=body.encode())
    assert response.status == 200
    text = await response.text()
    assert "<Encrypt>" in text and "SF1234567890" not in text  # the reply is encrypted too
    reply = decrypt_reply(crypto, text)
    assert reply["Content"] == "echo: 查快递 SF1234567890"
    assert reply["ToUserName"] == OPENID
    assert texts(fake_rasa) == ["查快递 SF1234567890"]


@pytest.mark.parametrize("case", ["forged_msg_signature", "missing_msg_signature", "other_app"])
async def test_safe_mode_refuses_a_bad_msg_signature(safe_gateway: Gateway, fake_rasa: FakeRasa, case: str) -> None:
    crypto = WeChatCrypto(TOKEN, AES_KEY, "wxsomeoneelse0000" if case == "other_app" else APP_ID)
    query = signed_query()
    envelope = reply_of(crypto.encrypt_message(text_xml("你好"), query["nonce"], query["timestamp"]))
    body = f"<xml><ToUserName>{ACCOUNT_ID}</ToUserName><Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
    params = {**query, "encrypt_type": "aes", "msg_signature": envelope["MsgSignature"]}
    if case == "forged_msg_signature":
        params["msg_signature"] = "a" * 40
    elif case == "missing_msg_signature":
        del params["msg_signature"]
    response = await safe_gateway.client.post("/wechat/callback", params=params, data=body.encode())
    assert response.status == 403
    assert fake_rasa.received == []


async def test_safe_mode_garbage_ciphertext_is_a_400(safe_gateway: Gateway, fake_rasa: FakeRasa) -> None:
    query = signed_query()
    encrypt = "bm90IHJlYWxseSBlbmNyeXB0ZWQ="
    params = {**query, "encrypt_type": "aes", "msg_signature": sign(TOKEN, query["timestamp"], query["nonce"], encrypt)}
    body = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    response = await safe_gateway.client.post("/wechat/callback", params=params, data=body.encode())
    assert response.status == 400
    assert fake_rasa.received == []


# --------------------------------------------------------------------------
# Later messages: handoff to an agent, slow bot
# --------------------------------------------------------------------------


async def test_agent_reply_after_handoff_goes_through_the_customer_service_api(
    gateway: Gateway, fake_rasa: FakeRasa, fake_api: FakeWeChatAPI
) -> None:
    status, body = await post_plain(gateway, text_xml("转人工"))
    assert status == 200
    content = reply_of(body)["Content"]
    assert content.startswith("好的，正在为您转接人工客服。") and "排在第 1 位" in content
    assert "handoff" not in content

    add_agent(gateway.settings, "li.na", display_name="李娜")
    headers = await login(gateway.client, "li.na")
    items = await queue_items(gateway.client, headers)
    # Agents see a pseudonym of the openid, never the openid.
    assert [(i["channel"], i["sender_id"]) for i in items] == [("wechat", pseudonym("wechat", OPENID))]
    handoff_id, conversation_id = items[0]["handoff_id"], items[0]["conversation_id"]

    response = await gateway.client.post(f"/api/handoffs/{handoff_id}/claim", headers=headers)
    assert response.status == 200
    response = await gateway.client.post(
        f"/api/conversations/{conversation_id}/messages",
        headers=headers,
        json={"text": "您好，我是客服李娜，正在为您查询。"},
    )
    assert response.status == 200

    sent = await fake_api.wait_for_sent(2)
    assert [s["touser"] for s in sent] == [OPENID, OPENID]
    assert sent[0]["text"]["content"] == "客服 李娜 已接入，很高兴为您服务。"
    assert sent[1] == {"touser": OPENID, "msgtype": "text", "text": {"content": "您好，我是客服李娜，正在为您查询。"}}
    # One access token, fetched with the account's credentials, reused for both messages.
    token_calls = fake_api.calls_to("/cgi-bin/token")
    assert len(token_calls) == 1
    assert token_calls[0].query == {"grant_type": "client_credential", "appid": APP_ID, "secret": APP_SECRET}
    sends = fake_api.calls_to("/cgi-bin/message/custom/send")
    assert {c.query["access_token"] for c in sends} == {"mp-token-1"}

    # While the agent is in charge the bot stays silent: the callback answers "success".
    status, body = await post_plain(gateway, text_xml("好的谢谢"))
    assert (status, body) == (200, "success")
    assert texts(fake_rasa) == ["转人工"]

    # Resolving asks for a 1-5 score with numbered options; "5" is the answer.
    response = await gateway.client.post(f"/api/conversations/{conversation_id}/resolve", headers=headers)
    assert response.status == 200
    sent = await fake_api.wait_for_sent(3)
    assert sent[2]["touser"] == OPENID and "回复 5 非常满意" in sent[2]["text"]["content"]
    status, body = await post_plain(gateway, text_xml("5"))
    assert status == 200 and "感谢您的评价" in reply_of(body)["Content"]


async def test_slow_bot_answers_success_then_pushes_the_reply(
    gateway: Gateway, fake_rasa: FakeRasa, fake_api: FakeWeChatAPI
) -> None:
    xml = text_xml(SLOW + "查 SF1234567890")
    started = time.monotonic()
    status, body = await post_plain(gateway, xml)
    elapsed = time.monotonic() - started
    assert (status, body) == (200, "success")
    assert elapsed < SLOW_BOT_S - 0.5  # did not wait for the bot
    assert fake_api.sent == []

    # WeChat retries while the bot still thinks: no second routing, still "success".
    assert await post_plain(gateway, xml) == (200, "success")

    sent = await fake_api.wait_for_sent(1)
    assert sent == [{"touser": OPENID, "msgtype": "text", "text": {"content": "echo: 查 SF1234567890"}}]
    assert texts(fake_rasa) == [SLOW + "查 SF1234567890"]
    await asyncio.sleep(0.2)
    assert len(fake_api.sent) == 1


async def test_replies_after_a_slow_one_keep_their_order(
    gateway: Gateway, fake_rasa: FakeRasa, fake_api: FakeWeChatAPI
) -> None:
    fake_api.send_delay_s = 1.0  # the slow answer is still on its way when the next one is ready
    gateway.wechat.wechat.reply_timeout_s = 1.5  # wider margins for the timing below
    first = asyncio.ensure_future(post_plain(gateway, text_xml(SLOW + "第一条")))
    await eventually(lambda: len(fake_rasa.received) == 1)
    await asyncio.sleep(1.0)
    # The bot answers this one within the callback's deadline (about 1 s from now, after
    # the first), but a passive reply would overtake the first answer, which is still
    # being sent: it follows it through the API instead.
    second = await post_plain(gateway, text_xml("第二条"))
    assert await first == (200, "success")
    assert second == (200, "success")
    sent = await fake_api.wait_for_sent(2)
    assert [s["text"]["content"] for s in sent] == ["echo: 第一条", "echo: 第二条"]

    # Once those are out, replies are passive again.
    await eventually(lambda: gateway.wechat.wechat.pending(OPENID) == 0)
    _status, body = await post_plain(gateway, text_xml("第三条"))
    assert reply_of(body)["Content"] == "echo: 第三条"


async def test_a_push_failure_is_reported_to_the_registry(gateway: Gateway, fake_api: FakeWeChatAPI) -> None:
    fake_api.fail_sends_with = 45015  # more than 48 h since the customer's last message
    conversation = Conversation(id="c1", channel="wechat", channel_user_id=OPENID, language="zh")
    delivered = await gateway.app[REGISTRY_KEY].deliver(conversation, OutboundMessage(role="agent", text="在吗？"))
    assert delivered is False


# --------------------------------------------------------------------------
# WeCom (企业微信)
# --------------------------------------------------------------------------


async def test_wecom_url_verification_decrypts_echostr(gateway: Gateway) -> None:
    crypto = WorkCrypto(WECOM_TOKEN, WECOM_AES_KEY, CORP_ID)
    timestamp, nonce = str(int(time.time())), "verify-nonce"
    envelope = reply_of(crypto.encrypt_message("echo-4711", nonce, timestamp))
    params = {
        "msg_signature": envelope["MsgSignature"],
        "timestamp": timestamp,
        "nonce": nonce,
        "echostr": envelope["Encrypt"],
    }
    response = await gateway.client.get("/wecom/callback", params=params)
    assert response.status == 200
    assert await response.text() == "echo-4711"

    params["msg_signature"] = "b" * 40
    response = await gateway.client.get("/wecom/callback", params=params)
    assert response.status == 403
    assert "echo-4711" not in await response.text()


async def test_wecom_encrypted_round_trip(gateway: Gateway, fake_rasa: FakeRasa) -> None:
    crypto = WorkCrypto(WECOM_TOKEN, WECOM_AES_KEY, CORP_ID)
    status, body = await post_wecom(
        gateway, text_xml("查件 SF1234567890", openid=WECOM_USER, to=CORP_ID, agent_id=WECOM_AGENT_ID), crypto
    )
    assert status == 200
    assert "SF1234567890" not in body
    reply = decrypt_reply(crypto, body)
    assert reply["Content"] == "echo: 查件 SF1234567890"
    assert reply["ToUserName"] == WECOM_USER and reply["AgentID"] == str(WECOM_AGENT_ID)
    assert texts(fake_rasa) == ["查件 SF1234567890"]
    assert fake_rasa.received[0]["metadata"]["channel"] == "wecom"
    with gateway.app[DB_KEY].session() as session:
        conversation = session.execute(select(Conversation)).scalar_one()
        assert (conversation.channel, conversation.channel_user_id) == ("wecom", WECOM_USER)


async def test_wecom_refuses_a_forged_signature(gateway: Gateway, fake_rasa: FakeRasa) -> None:
    status, _ = await post_wecom(
        gateway, text_xml("你好", openid=WECOM_USER, agent_id=WECOM_AGENT_ID), msg_signature="c" * 40
    )
    assert status == 403
    other = WorkCrypto(WECOM_TOKEN, WECOM_AES_KEY, "wwanothercorp0000")
    status, _ = await post_wecom(gateway, text_xml("你好", openid=WECOM_USER, agent_id=WECOM_AGENT_ID), other)
    assert status == 403
    response = await gateway.client.post("/wecom/callback", data=b"<xml/>")
    assert response.status == 403
    assert fake_rasa.received == []


async def test_wecom_slow_bot_is_pushed_through_the_message_api(gateway: Gateway, fake_api: FakeWeChatAPI) -> None:
    status, body = await post_wecom(
        gateway, text_xml(SLOW + "查 SF1234567890", openid=WECOM_USER, agent_id=WECOM_AGENT_ID)
    )
    assert (status, body) == (200, "success")
    sent = await fake_api.wait_for_sent(1)
    assert sent[0]["touser"] == WECOM_USER and sent[0]["agentid"] == WECOM_AGENT_ID
    assert sent[0]["text"]["content"] == "echo: 查 SF1234567890"
    assert fake_api.calls_to("/cgi-bin/gettoken")[0].query == {"corpid": CORP_ID, "corpsecret": CORP_SECRET}
    assert fake_api.calls_to("/cgi-bin/message/custom/send") == []


# --------------------------------------------------------------------------
# API clients, rendering, configuration
# --------------------------------------------------------------------------


async def test_client_refreshes_an_expired_token_once(fake_api: FakeWeChatAPI) -> None:
    client = WeChatCustomerServiceClient(APP_ID, APP_SECRET, fake_api.base_url)
    try:
        await client.send_text(OPENID, "第一条")
        fake_api.expire_tokens()  # WeChat invalidated it early (e.g. fetched elsewhere)
        await client.send_text(OPENID, "第二条")
        assert [s["text"]["content"] for s in fake_api.sent] == ["第一条", "第二条"]
        assert len(fake_api.calls_to("/cgi-bin/token")) == 2

        fake_api.fail_sends_with = 45015
        with pytest.raises(WeChatSendError) as error:
            await client.send_text(OPENID, "第三条")
        assert error.value.errcode == 45015
    finally:
        client.close()


async def test_clients_report_wrong_credentials(fake_api: FakeWeChatAPI) -> None:
    client = WeComMessageClient(CORP_ID, "wrong-secret", WECOM_AGENT_ID, fake_api.base_url)
    try:
        with pytest.raises(WeChatSendError):
            await client.send_text(WECOM_USER, "你好")
    finally:
        client.close()
    assert fake_api.sent == []


def test_long_text_is_split_within_wechats_limit() -> None:
    text = "\n".join(f"第{i}行：您的包裹正在运输途中，请耐心等待。" for i in range(200))
    pieces = split_text(text)
    assert len(pieces) > 1
    assert all(len(p.encode("utf-8")) <= 2048 for p in pieces)
    assert "\n".join(pieces) == text
    assert split_text("短消息") == ["短消息"]
    assert all(len(p.encode()) <= 2048 for p in split_text("长" * 3000))


def test_render_text_for_english_conversations() -> None:
    text, options = render_text(
        [
            OutboundMessage(
                role="bot",
                text="How satisfied were you?",
                buttons=[{"title": "1 Very poor", "payload": "1"}, {"title": "Good", "payload": "4"}],
            )
        ],
        language="en",
    )
    assert text.splitlines() == ["How satisfied were you?", "Reply 1 Very poor", "Reply 2: Good"]
    memory = ButtonMemory()
    memory.remember("u", options)
    assert memory.resolve("u", "2.")["payload"] == "4"
    assert memory.resolve("u", "good")["payload"] == "4"
    assert memory.resolve("u", "3") is None


def test_channels_are_off_without_a_token_and_incomplete_config_fails(settings: Settings) -> None:
    app = web.Application()
    off = dataclasses.replace(
        settings, **{**wechat_settings("http://127.0.0.1:9"), "wechat_token": "", "wecom_token": ""}
    )
    installed = setup_wechat(app, off)
    assert installed.callbacks == [] and len(app.router.routes()) == 0

    on = dataclasses.replace(settings, **wechat_settings("http://127.0.0.1:9"))
    with pytest.raises(ValueError, match="WECOM_ENCODING_AES_KEY"):
        setup_wechat(web.Application(), dataclasses.replace(on, wecom_encoding_aes_key=""))
    with pytest.raises(ValueError, match="WECHAT_ENCODING_AES_KEY"):
        setup_wechat(web.Application(), dataclasses.replace(on, wechat_encoding_aes_key="too-short"))


async def test_the_app_without_wechat_settings_has_no_callback(client: Any) -> None:
    response = await client.get("/wechat/callback", params=signed_query())
    assert response.status == 404


# --------------------------------------------------------------------------
# Cases on WeChat / WeCom: an image or video the customer sends becomes evidence of their
# open case, downloaded through the media API of the fake WeChat server; without a case
# nothing is kept; case replies and status news go out through the customer-service API.
# --------------------------------------------------------------------------

_ids = iter(range(26000000000000000, 27000000000000000))


def image_xml(
    media_id: str, openid: str = OPENID, kind: str = "image", to: str = ACCOUNT_ID, agent_id: Any = None
) -> str:
    extra = (
        f"<PicUrl><![CDATA[https://mmbiz.qpic.cn/x.jpg]]></PicUrl><MediaId><![CDATA[{media_id}]]></MediaId>"
        if kind == "image"
        else f"<MediaId><![CDATA[{media_id}]]></MediaId><ThumbMediaId><![CDATA[t{media_id}]]></ThumbMediaId>"
    )
    agent = f"<AgentID>{agent_id}</AgentID>" if agent_id is not None else ""
    return (
        f"<xml><ToUserName><![CDATA[{to}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>{extra}"
        f"<MsgId>{next(_ids)}</MsgId>{agent}</xml>"
    )


def attachments(gw: Any) -> int:
    with gw.app[DB_KEY].session() as session:
        return session.execute(select(func.count(CaseAttachment.id))).scalar_one()


async def test_an_image_without_a_case_is_not_kept(gateway, fake_api: FakeWeChatAPI) -> None:
    fake_api.media["m-photo"] = (jpeg(), "image/jpeg")
    status, body = await post_plain(gateway, image_xml("m-photo"))
    assert status == 200 and "目前您没有需要补充材料的事项" in reply_of(body)["Content"]
    assert fake_api.calls_to("/cgi-bin/media/get") == [] and attachments(gateway) == 0


async def test_wechat_image_and_video_become_evidence_of_the_open_case(gateway, fake_rasa, fake_api, clock) -> None:
    fake_rasa.on_message = bot_opens_cases(gateway.settings, clock)
    status, body = await post_plain(gateway, text_xml("快递破损了"))
    content = reply_of(body)["Content"]
    assert status == 200
    assert (
        "已为您登记破损理赔申请" in content and "/upload/" in content and "也可以直接在对话里发送图片或视频" in content
    )
    fake_api.media["m-box"] = (jpeg(color="blue"), "image/jpeg")
    _, body = await post_plain(gateway, image_xml("m-box"))
    reply = reply_of(body)["Content"]
    assert "图片已添加到您的破损理赔" in reply and "外包装照片" in reply and "还需要：内物照片" in reply
    (download,) = fake_api.calls_to("/cgi-bin/media/get")
    assert download.query["media_id"] == "m-box" and download.query["access_token"].startswith("mp-token")
    fake_api.media["m-video"] = (MP4, "video/mp4")
    _, body = await post_plain(gateway, image_xml("m-video", kind="video"))
    assert "开箱视频" in reply_of(body)["Content"]
    # Not an image at all: refused politely, nothing stored.
    fake_api.media["m-junk"] = (b"not an image", "image/jpeg")
    _, body = await post_plain(gateway, image_xml("m-junk"))
    assert "没能保存" in reply_of(body)["Content"]
    # An unknown media id (expired on WeChat's side).
    _status, body = await post_plain(gateway, image_xml("m-gone"))
    assert "暂时没能接收" in reply_of(body)["Content"]
    add_agent(gateway.settings, "ma")
    headers = await login(gateway.client, "ma")
    (item,) = await cases(gateway.client, headers)
    case = await detail(gateway.client, headers, item["id"])
    assert sorted((a["item"], a["source"]) for a in case["attachments"]) == [
        ("outer_packaging", "wechat"),
        ("unboxing_video", "wechat"),
    ]


async def test_wecom_image_is_downloaded_with_the_work_token(gateway, fake_rasa, fake_api, clock) -> None:
    fake_rasa.on_message = bot_opens_cases(gateway.settings, clock)
    crypto = WorkCrypto(WECOM_TOKEN, WECOM_AES_KEY, CORP_ID)
    await post_wecom(gateway, text_xml("包裹破损了", openid="zhangsan", agent_id=WECOM_AGENT_ID, to=CORP_ID))
    fake_api.media["w-1"] = (jpeg(), "image/jpeg")
    status, body = await post_wecom(gateway, image_xml("w-1", openid="zhangsan", to=CORP_ID, agent_id=WECOM_AGENT_ID))
    assert status == 200 and "图片已添加到您的破损理赔" in decrypt_reply(crypto, body)["Content"]
    (download,) = fake_api.calls_to("/cgi-bin/media/get")
    assert download.query["access_token"].startswith("work-token")


async def test_case_reply_and_news_go_through_the_customer_service_api(gateway, fake_rasa, fake_api, clock) -> None:
    fake_rasa.on_message = bot_opens_cases(gateway.settings, clock)
    await post_plain(gateway, text_xml("快递破损了"))
    add_agent(gateway.settings, "niu")
    headers = await login(gateway.client, "niu")
    (item,) = await cases(gateway.client, headers)
    response = await gateway.client.post(
        f"/api/cases/{item['id']}/reply", headers=headers, json={"text": "您好，照片已收到，正在评估。"}
    )
    assert (await response.json())["delivered"] is True
    response = await gateway.client.post(
        f"/api/cases/{item['id']}/status", headers=headers, json={"status": "in_progress", "stage": "assessment"}
    )
    sent = await fake_api.wait_for_sent(2)
    assert [s["touser"] for s in sent] == [OPENID, OPENID]
    assert sent[0]["text"]["content"].endswith("您好，照片已收到，正在评估。")
    assert "有新进展：处理中（初步评估）" in sent[1]["text"]["content"]
    # Outside WeChat's 48-hour window the push fails: the agent is told, the timeline says so.
    fake_api.fail_sends_with = 45015
    response = await gateway.client.post(f"/api/cases/{item['id']}/reply", headers=headers, json={"text": "还在吗？"})
    body = await response.json()
    assert body["delivered"] is False
    assert body["timeline"][-1]["kind"] == "delivery_failed"
