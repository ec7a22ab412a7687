"""Cases on WeChat / WeCom: an image or video the customer sends becomes evidence of
their open case, downloaded through the media API of the fake WeChat server; without a
case nothing is kept; an agent's case reply and status news go out through the
customer-service message API."""
from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select

from bot.cases.models import CaseAttachment
from bot.gateway.keys import DB_KEY
from tests.gateway.conftest import add_agent, login
from tests.gateway.fake_wechat_api import FakeWeChatAPI
from tests.gateway.test_cases import bot_opens_cases, cases, detail
from tests.gateway.test_evidence import MP4, jpeg
from tests.gateway.test_wechat import (  # noqa: F401  (fixtures)
    ACCOUNT_ID,
    CORP_ID,
    OPENID,
    WECOM_AGENT_ID,
    _masker_loaded,
    fake_api,
    gateway,
    post_plain,
    post_wecom,
    reply_of,
    decrypt_reply,
    text_xml,
)

_ids = iter(range(26000000000000000, 27000000000000000))


def image_xml(media_id: str, openid: str = OPENID, kind: str = "image", to: str = ACCOUNT_ID,
              agent_id: Any = None) -> str:
    extra = (f"<PicUrl><![CDATA[https://mmbiz.qpic.cn/x.jpg]]></PicUrl><MediaId><![CDATA[{media_id}]]></MediaId>"
             if kind == "image" else
             f"<MediaId><![CDATA[{media_id}]]></MediaId><ThumbMediaId><![CDATA[t{media_id}]]></ThumbMediaId>")
    agent = f"<AgentID>{agent_id}</AgentID>" if agent_id is not None else ""
    return (f"<xml><ToUserName><![CDATA[{to}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>{extra}"
            f"<MsgId>{next(_ids)}</MsgId>{agent}</xml>")


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
    assert "已为您登记破损理赔申请" in content and "/upload/" in content and "也可以直接在对话里发送图片或视频" in content
    fake_api.media["m-box"] = (jpeg(color="blue"), "image/jpeg")
    status, body = await post_plain(gateway, image_xml("m-box"))
    reply = reply_of(body)["Content"]
    assert "图片已添加到您的破损理赔" in reply and "外包装照片" in reply and "还需要：内物照片" in reply
    (download,) = fake_api.calls_to("/cgi-bin/media/get")
    assert download.query["media_id"] == "m-box" and download.query["access_token"].startswith("mp-token")
    fake_api.media["m-video"] = (MP4, "video/mp4")
    status, body = await post_plain(gateway, image_xml("m-video", kind="video"))
    assert "开箱视频" in reply_of(body)["Content"]
    # Not an image at all: refused politely, nothing stored.
    fake_api.media["m-junk"] = (b"not an image", "image/jpeg")
    status, body = await post_plain(gateway, image_xml("m-junk"))
    assert "没能保存" in reply_of(body)["Content"]
    # An unknown media id (expired on WeChat's side).
    status, body = await post_plain(gateway, image_xml("m-gone"))
    assert "暂时没能接收" in reply_of(body)["Content"]
    add_agent(gateway.settings, "ma")
    headers = await login(gateway.client, "ma")
    (item,) = await cases(gateway.client, headers)
    case = await detail(gateway.client, headers, item["id"])
    assert sorted((a["item"], a["source"]) for a in case["attachments"]) == [
        ("outer_packaging", "wechat"), ("unboxing_video", "wechat")]


async def test_wecom_image_is_downloaded_with_the_work_token(gateway, fake_rasa, fake_api, clock) -> None:
    fake_rasa.on_message = bot_opens_cases(gateway.settings, clock)
    from wechatpy.enterprise.crypto import WeChatCrypto as WorkCrypto

    from tests.gateway.test_wechat import WECOM_AES_KEY, WECOM_TOKEN

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
    response = await gateway.client.post(f"/api/cases/{item['id']}/reply", headers=headers,
                                         json={"text": "您好，照片已收到，正在评估。"})
    assert (await response.json())["delivered"] is True
    response = await gateway.client.post(f"/api/cases/{item['id']}/status", headers=headers,
                                         json={"status": "in_progress", "stage": "assessment"})
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
