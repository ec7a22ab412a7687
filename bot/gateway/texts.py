"""Customer-facing wording of the gateway (Simplified Chinese and English) and the
agents' canned replies."""

from __future__ import annotations

from typing import Any

from bot import policy
from bot.config import load_settings

_TEXTS: dict[str, dict[str, str]] = {
    "queued": {
        "zh": "已为您转接人工客服，您当前排在第 {position} 位，预计等待约 {minutes} 分钟。"
        "客服接入前您可以继续留言，客服会看到您发送的全部内容。",
        "en": "I'm transferring you to a customer service agent. You are number {position} in the queue; "
        "the expected wait is about {minutes} min. Feel free to keep writing, the agent will see everything you send.",
    },
    "queue_position": {  # right after the bot's own "a colleague takes over" message
        "zh": "您当前排在第 {position} 位，预计等待约 {minutes} 分钟。",
        "en": "You are number {position} in the queue; the expected wait is about {minutes} min.",
    },
    "still_queued": {
        "zh": "您仍在排队中，当前第 {position} 位，预计还需等待约 {minutes} 分钟。您的留言客服都能看到，请稍候。",
        "en": "You are still in the queue: number {position}, about {minutes} min to go. "
        "The agent will see your messages, thank you for waiting.",
    },
    "slow_down": {  # rate limits (bot/gateway/ratelimit.py): the refused message was not processed
        "zh": "您发送消息的速度有点快，请稍等几秒钟再发。刚才的消息未能处理，麻烦您稍后重新发送，谢谢理解！",
        "en": "You're sending messages a little too fast. Please wait a few seconds: your last message "
        "was not processed, so please send it again in a moment. Thank you!",
    },
    "busy": {
        "zh": "系统繁忙，正在为您转接人工客服，您发送的内容客服都能看到，请稍候。",
        "en": "Our system is busy at the moment, I'm transferring you to a customer service agent, "
        "who will see everything you have written. Please hold on.",
    },
    "after_hours": {
        "zh": "非常抱歉，人工客服的服务时间为每天 {hours}（北京时间），现在暂时无人值守。"
        "已为您登记留言工单（编号 {reference}），您可以直接在这里留言，客服会在{due}回复您。",
        "en": "Sorry, our agents are available daily {hours} (Beijing time) and nobody is on duty right now. "
        "I've opened a ticket for you ({reference}): leave your message here and an agent will reply {due}.",
    },
    "after_hours_after_bot": {  # the bot has just promised a colleague
        "zh": "不过现在不在人工客服的服务时间（每天 {hours}，北京时间），同事暂时无法接入。"
        "已为您登记留言工单（编号 {reference}），您可以直接在这里留言，客服会在{due}回复您。",
        "en": "However, our agents are only available daily {hours} (Beijing time), so nobody can join right now. "
        "I've opened a ticket for you ({reference}): leave your message here and an agent will reply {due}.",
    },
    "ticket_received": {
        "zh": "已收到您的留言（工单 {reference}），客服会在{due}回复您，感谢您的耐心。",
        "en": "Thank you, we have received your message (ticket {reference}). An agent will reply {due}.",
    },
    "case_answer_received": {
        "zh": "收到您的补充信息，已转给负责您{case}的专员，处理进展您随时可以问我。",
        "en": "Thank you, I've passed that on to the colleague handling your {case}. Ask me any time for the progress.",
    },
    "agent_joined": {
        "zh": "客服 {name} 已接入，很高兴为您服务。",
        "en": "{name} from customer service has joined the chat and is happy to help.",
    },
    "requeued": {
        "zh": "抱歉让您久等了，刚才的客服暂时离开，已为您重新排队，当前第 {position} 位，请稍候。",
        "en": "Sorry for the wait: the agent had to step away, so you are back in the queue at number {position}. "
        "Please hold on.",
    },
    "escalated": {
        "zh": "为了更好地解决您的问题，正在为您转接更专业的客服，请稍候。",
        "en": "To solve this properly I'm passing you to a specialist colleague. Please hold on.",
    },
    "csat_question": {
        "zh": "本次服务已结束，感谢您的耐心。请为本次服务打分（1-5 分，5 分为非常满意）：",
        "en": "This chat has ended, thank you for your patience. How satisfied were you with our service "
        "(1-5, 5 = very satisfied)?",
    },
    "csat_question_bot": {
        "zh": "请问您对本次智能客服的服务满意吗？方便的话请打个分（1-5 分，5 分为非常满意），您的反馈能帮助我们做得更好。"
        "如果还有其他问题，直接发给我就好。",
        "en": "How satisfied are you with this chat with our assistant? If you have a moment, please rate it "
        "(1-5, 5 = very satisfied); your feedback helps us improve. If there is anything else, just write it here.",
    },
    "csat_thanks": {
        "zh": "感谢您的评价，祝您生活愉快！如有其他问题，随时给我们发消息。",
        "en": "Thank you for your feedback, have a nice day! Write to us any time if you need anything else.",
    },
    "bot_back": {
        "zh": "智能助理已回来为您服务，刚才的问题我都记着呢。还有什么可以帮您？",
        "en": "The assistant is back with you and still has the context of our chat. What else can I do for you?",
    },
}

_CSAT_LABELS = {
    "zh": {1: "1 非常不满意", 2: "2 不满意", 3: "3 一般", 4: "4 满意", 5: "5 非常满意"},
    "en": {1: "1 Very poor", 2: "2 Poor", 3: "3 OK", 4: "4 Good", 5: "5 Excellent"},
}


def evidence_received(case: Any, language: str | None, accepted: list[str], missing: list[str]) -> str:
    """Confirmation of uploaded evidence, with what the checklist still lacks."""
    from bot.cases import wording
    from bot.contract import label

    lang = lang_of(language)
    got = (
        "、".join(label("evidence_items", item, lang) for item in accepted)
        if lang == "zh"
        else ", ".join(label("evidence_items", item, lang) for item in accepted)
    )
    if lang == "en":
        text = f"Thank you, we received {len(accepted)} file(s) for your {wording.case_name(case, lang)}: {got}."
        if missing:
            text += " Still needed: " + ", ".join(label("evidence_items", m, lang) for m in missing) + "."
        return text
    text = f"已收到您为{wording.case_name(case, lang)}上传的 {len(accepted)} 个文件：{got}。"
    if missing:
        text += "还需要：" + "、".join(label("evidence_items", m, lang) for m in missing) + "。"
    return text


def lang_of(language: str | None) -> str:
    return "en" if language == "en" else "zh"


def text(key: str, language: str | None, **values: Any) -> str:
    return _TEXTS[key][lang_of(language)].format(**values)


def csat_buttons(language: str | None) -> list[dict[str, str]]:
    labels = _CSAT_LABELS[lang_of(language)]
    return [{"title": labels[score], "payload": str(score)} for score in range(1, 6)]


def _canned(topic: str, zh_title: str, en_title: str, zh: str, en: str) -> list[dict[str, str]]:
    return [
        {"id": topic, "language": "zh", "title": zh_title, "text": zh},
        {"id": topic, "language": "en", "title": en_title, "text": en},
    ]


def _policy_canned() -> list[dict[str, str]]:
    """Canned replies about policy: built from bot/policy.py, like the bot's own messages."""
    settings = load_settings()
    return [
        *_canned(
            "greeting",
            "问候",
            "Greeting",
            "您好，我是人工客服，已经看到您之前的咨询内容，马上为您处理。",
            "Hello, I'm an agent from customer service. I have read your conversation so far and will take care "
            "of it now.",
        ),
        *_canned(
            "delay_apology",
            "延误致歉",
            "Delay apology",
            "非常抱歉您的包裹延误了，给您添麻烦了。我这就联系当地网点核实情况，请您稍等，有结果我马上在这里告诉您。",
            "I'm very sorry your parcel is delayed. I'm contacting the local branch now; please bear with me and "
            "I'll tell you here as soon as I hear back.",
        ),
        *_canned(
            "damage_evidence",
            "破损取证清单",
            "Damage evidence list",
            "很抱歉包裹出现破损。为尽快为您办理理赔，请提供：\n"
            + policy.damage_checklist("zh")
            + "\n"
            + policy.damage_deadlines("zh", settings),
            "I'm sorry the parcel arrived damaged. To process your claim quickly please send:\n"
            + policy.damage_checklist("en")
            + "\n"
            + policy.damage_deadlines("en", settings),
        ),
        *_canned("return_steps", "退货步骤", "Return steps", policy.return_steps("zh"), policy.return_steps("en")),
        *_canned(
            "address_change",
            "修改地址",
            "Address change",
            policy.address_change_verification("zh") + policy.address_change("zh", settings),
            policy.address_change_verification("en") + " " + policy.address_change("en", settings),
        ),
        *_canned(
            "customs_documents",
            "清关资料",
            "Customs documents",
            "您的包裹需要补充清关资料：1. 收件人身份证正反面照片（需与收件人姓名一致）；2. 商品购买凭证或发票；"
            "3. 如为个人物品，请说明用途及价值。我会在会话里发给您上传链接，资料审核通过后一般 1-3 个工作日完成清关。",
            "Customs needs a few documents for your parcel: 1. the recipient's ID (both sides, name must match); "
            "2. proof of purchase or invoice; 3. for personal items, a short description of use and value. I'll "
            "send you an upload link in this chat; clearance usually takes 1-3 working days after approval.",
        ),
        *_canned(
            "lost_parcel_investigation",
            "丢件调查",
            "Lost parcel investigation",
            "非常抱歉给您带来困扰。我们已为您发起丢件调查，"
            + policy.loss_investigation("zh", settings)
            + policy.compensation_rules("zh"),
            "I'm very sorry about this. We have opened a lost-parcel investigation. "
            + policy.loss_investigation("en", settings)
            + " "
            + policy.compensation_rules("en"),
        ),
        *_canned(
            "refused_parcel",
            "拒收处理",
            "Refused parcel",
            "包裹已被拒收的话，会按寄件人的要求退回或暂存网点。如您需要重新派送，请告诉我方便的时间，我们为您重新安排。",
            "A refused parcel is returned to the sender or held at the branch as the sender requests. If you "
            "would like it delivered again, tell me a convenient time and we will arrange it.",
        ),
        *_canned(
            "closing",
            "结束语",
            "Closing",
            "请问还有其他可以帮您的吗？如果没有的话，本次服务就先到这里，祝您生活愉快！",
            "Is there anything else I can help you with? If not, thank you for contacting us and have a nice day!",
        ),
    ]


def canned_replies(language: str | None = None) -> list[dict[str, str]]:
    """Canned replies, optionally of one language; ids are unique per language ("delay_apology.en")."""
    items = [c for c in _policy_canned() if language in (None, "", c["language"])]
    return [{**c, "id": f"{c['id']}.{c['language']}"} for c in items]
