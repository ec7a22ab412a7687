"""Images and videos a WeChat / WeCom customer sends in the chat become evidence of
their open case: downloaded through the platform's media API (临时素材), checked like an
upload (type from the bytes, size limits), stored and recorded on the case; the customer
is told what was received and what is still missing. Without an open case that collects
evidence nothing is kept (a photo without a purpose is personal data we do not need)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from bot.cases import evidence, service, wording
from bot.cases.service import CaseError
from bot.cases.vocabulary import EVIDENCE_TYPES
from bot.contract import EvidenceItem, label
from bot.gateway.case_desk import add_evidence
from bot.gateway.channels.wechat.api import MediaTooLarge, WeChatSendError
from bot.gateway.db import open_conversation
from bot.gateway.keys import DB_KEY, QUEUE_KEY
from bot.gateway.models import Conversation

log = logging.getLogger(__name__)

MEDIA_TYPES = ("image", "video", "shortvideo")

_TEXT = {
    "zh": {
        "no_case": "收到您的{what}啦。目前您没有需要补充材料的事项；如果包裹破损或需要提交清关材料，请先告诉我运单号和情况，我为您登记后再发给我。",
        "received": "已收到，{what}已添加到您的{case}（{item}）。",
        "missing": "还需要：{items}。",
        "complete": "材料已齐，专员会尽快审核。",
        "rejected": "抱歉，这个{what}没能保存（{reason}）。请换一张重新发送，或通过上传链接提交。",
        "failed": "抱歉，{what}暂时没能接收，请稍后再发一次，或通过上传链接提交。",
        "image": "图片",
        "video": "视频",
    },
    "en": {
        "no_case": "Thanks for the {what}. There is nothing waiting for evidence from you right now; if a parcel arrived "
        "damaged or customs need documents, tell me the tracking number first and I'll register it.",
        "received": "Got it: the {what} was added to your {case} ({item}).",
        "missing": "Still needed: {items}.",
        "complete": "That's everything; a specialist will review it soon.",
        "rejected": "Sorry, that {what} could not be saved ({reason}). Please send another one or use the upload link.",
        "failed": "Sorry, I couldn't receive that {what} just now. Please send it again later or use the upload link.",
        "image": "photo",
        "video": "video",
    },
}
_REASONS = {
    "zh": {
        "bad_type": "格式不支持",
        "too_large": "文件太大",
        "empty": "文件是空的",
        "bad_file": "文件无法识别",
        "too_many": "已达到文件数量上限",
    },
    "en": {
        "bad_type": "unsupported format",
        "too_large": "too large",
        "empty": "empty",
        "bad_file": "unreadable",
        "too_many": "too many files",
    },
}


class MediaIntake:
    def __init__(self, app: web.Application) -> None:
        self.app = app

    def _case(self, channel: str, user_id: str) -> tuple[str, Any | None]:
        """(language, the newest open evidence-collecting case of the customer's conversation)."""
        with self.app[DB_KEY].session() as session:
            conversation = open_conversation(session, channel, user_id)
            if conversation is None:
                return "zh", None
            language = conversation.language if conversation.language in ("zh", "en") else "zh"
            for case in service.cases_for_conversations(session, [conversation.id], include_done=False):
                if case.type in {t.value for t in EVIDENCE_TYPES}:
                    missing = [m.value for m in evidence.missing_items(session, case)]
                    session.expunge(case)
                    return language, (case, missing)
        return language, None

    async def receive(self, channel: str, user_id: str, kind: str, media_id: str, sender: Any) -> str:
        """The reply to an image or video message."""
        language, found = await asyncio.get_running_loop().run_in_executor(None, self._case, channel, user_id)
        t = _TEXT[language]
        what = t["video"] if kind in ("video", "shortvideo") else t["image"]
        if found is None:
            return t["no_case"].format(what=what)
        case, missing = found
        if kind in ("video", "shortvideo"):
            item = EvidenceItem.UNBOXING_VIDEO.value
        else:
            images = [m for m in missing if m != EvidenceItem.UNBOXING_VIDEO.value]
            item = images[0] if images else EvidenceItem.OTHER.value
        settings = self.app[QUEUE_KEY].settings
        family = "video" if kind in ("video", "shortvideo") else "image"
        if sender is None or not media_id:
            return t["failed"].format(what=what)
        try:
            data, _ = await sender.download_media(media_id, evidence.limit_bytes(settings, family))
        except MediaTooLarge:
            return t["rejected"].format(what=what, reason=_REASONS[language]["too_large"])
        except WeChatSendError as exc:
            log.warning("%s: media %s of %s not downloaded: %s", channel, media_id[:16], user_id[:8], exc)
            return t["failed"].format(what=what)
        try:
            result = await add_evidence(
                self.app[QUEUE_KEY].cases, case.id, [(item, data, f"{channel}-{kind}")], channel, tell_customer=False
            )
        except CaseError:
            return t["no_case"].format(what=what)
        if not result.accepted:
            reason = result.rejected[0][1] if result.rejected else "bad_file"
            return t["rejected"].format(what=what, reason=_REASONS[language].get(reason, reason))
        reply = t["received"].format(
            what=what,
            case=wording.case_name(case, language),
            item=label("evidence_items", result.accepted[0], language),
        )
        if result.missing:
            joiner = "、" if language == "zh" else ", "
            reply += t["missing"].format(
                items=joiner.join(label("evidence_items", m, language) for m in result.missing)
            )
        elif evidence.wanted_items(case):
            reply += t["complete"]
        return reply


def conversation_language(conversation: Conversation | None) -> str:
    return conversation.language if conversation is not None and conversation.language == "en" else "zh"
