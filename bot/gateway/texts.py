"""Customer-facing wording of the gateway (Simplified Chinese and English) and the
agents' canned replies."""
from __future__ import annotations

from typing import Any

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
    "busy": {
        "zh": "系统繁忙，正在为您转接人工客服，您发送的内容客服都能看到，请稍候。",
        "en": "Our system is busy at the moment, I'm transferring you to a customer service agent, "
              "who will see everything you have written. Please hold on.",
    },
    "after_hours": {
        "zh": "非常抱歉，人工客服的服务时间为每天 {hours}（北京时间），现在暂时无人值守。"
              "您可以直接在这里留言，客服上班后会第一时间处理并回复您。",
        "en": "Sorry, our agents are available daily {hours} (Beijing time) and nobody is on duty right now. "
              "You can leave a message here and an agent will get back to you as soon as we open.",
    },
    "after_hours_after_bot": {  # the bot has just promised a colleague
        "zh": "不过现在不在人工客服的服务时间（每天 {hours}，北京时间），同事暂时无法接入。"
              "您可以直接在这里留言，客服上班后会第一时间处理并回复您。",
        "en": "However, our agents are only available daily {hours} (Beijing time), so nobody can join right now. "
              "You can leave a message here and an agent will get back to you as soon as we open.",
    },
    "ticket_received": {
        "zh": "已收到您的留言，客服上班后会尽快处理并回复您，感谢您的耐心。",
        "en": "Thank you, we have received your message. An agent will get back to you as soon as we open.",
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


def lang_of(language: str | None) -> str:
    return "en" if language == "en" else "zh"


def text(key: str, language: str | None, **values: Any) -> str:
    return _TEXTS[key][lang_of(language)].format(**values)


def csat_buttons(language: str | None) -> list[dict[str, str]]:
    labels = _CSAT_LABELS[lang_of(language)]
    return [{"title": labels[score], "payload": str(score)} for score in range(1, 6)]


CANNED_REPLIES: list[dict[str, str]] = [
    {"id": "greeting", "language": "zh", "title": "问候",
     "text": "您好，我是人工客服，已经看到您之前的咨询内容，马上为您处理。"},
    {"id": "greeting", "language": "en", "title": "Greeting",
     "text": "Hello, I'm an agent from customer service. I have read your conversation so far and will take care of it now."},
    {"id": "delay_apology", "language": "zh", "title": "延误致歉",
     "text": "非常抱歉您的包裹延误了，给您添麻烦了。我们已联系当地网点加急处理，预计 1-2 天内会有新的物流进展，届时会第一时间通知您。"},
    {"id": "delay_apology", "language": "en", "title": "Delay apology",
     "text": "I'm very sorry your parcel is delayed. We have asked the local branch to prioritise it and expect an update "
             "within 1-2 days; we will let you know right away."},
    {"id": "damage_evidence", "language": "zh", "title": "破损取证清单",
     "text": "很抱歉包裹出现破损。为尽快为您办理理赔，请提供：1. 外包装照片（含面单）；2. 破损物品照片；3. 内件包装/填充物照片；"
             "4. 商品价值凭证（如订单截图或发票）。请保留原包装，收到资料后我们会在 24 小时内给出处理意见。"},
    {"id": "damage_evidence", "language": "en", "title": "Damage evidence list",
     "text": "I'm sorry the parcel arrived damaged. To process your claim quickly please send: 1. photos of the outer "
             "packaging with the waybill label; 2. photos of the damaged item; 3. photos of the inner packaging; "
             "4. proof of value (order screenshot or invoice). Please keep the original packaging; we will reply within 24 hours."},
    {"id": "return_steps", "language": "zh", "title": "退货步骤",
     "text": "退货步骤：1. 先在购物平台提交退货申请并获取退货地址；2. 在我们的小程序或 App 选择“寄件”，填写退货地址；"
             "3. 选择上门取件或就近网点寄出；4. 寄出后把新运单号发给商家。如需帮您预约上门取件，请告诉我方便的时间段。"},
    {"id": "return_steps", "language": "en", "title": "Return steps",
     "text": "To return an item: 1. request the return on the shopping platform and get the return address; 2. create a "
             "shipment in our app with that address; 3. choose a courier pickup or drop it at a nearby branch; 4. send the "
             "new tracking number to the seller. I can book a pickup for you, just tell me a convenient time slot."},
    {"id": "address_change", "language": "zh", "title": "修改地址",
     "text": "可以为您修改派送地址。为保护您的信息安全，请先提供收件人手机号后四位进行验证，再告诉我新的详细地址。"
             "包裹若已在派送途中，修改可能需要多一天，请您谅解。"},
    {"id": "address_change", "language": "en", "title": "Address change",
     "text": "I can change the delivery address. For your security, please first confirm the last four digits of the "
             "recipient's phone number, then send me the new full address. If the parcel is already out for delivery "
             "the change may take one extra day."},
    {"id": "customs_documents", "language": "zh", "title": "清关资料",
     "text": "您的包裹需要补充清关资料：1. 收件人身份证正反面照片（需与收件人姓名一致）；2. 商品购买凭证或发票；"
             "3. 如为个人物品，请说明用途及价值。请通过官方渠道上传，资料审核通过后一般 1-3 个工作日完成清关。"},
    {"id": "customs_documents", "language": "en", "title": "Customs documents",
     "text": "Customs needs a few documents for your parcel: 1. the recipient's ID (both sides, name must match); "
             "2. proof of purchase or invoice; 3. for personal items, a short description of use and value. Please upload "
             "them through our official channel; clearance usually takes 1-3 working days after approval."},
    {"id": "lost_parcel_investigation", "language": "zh", "title": "丢件调查",
     "text": "非常抱歉给您带来困扰。我们已为您发起丢件调查，网点会核查各环节的扫描和监控记录，一般 3 个工作日内给出结果。"
             "如确认丢失，将按保价或赔付标准为您理赔，期间有进展会第一时间通知您。"},
    {"id": "lost_parcel_investigation", "language": "en", "title": "Lost parcel investigation",
     "text": "I'm very sorry about this. We have opened a lost-parcel investigation: the branches will check every scan "
             "and camera record, and we usually have a result within 3 working days. If the parcel is confirmed lost, "
             "you will be compensated according to the declared value or our standard terms. We'll keep you updated."},
    {"id": "refused_parcel", "language": "zh", "title": "拒收处理",
     "text": "包裹已被拒收的话，会按寄件人的要求退回或暂存网点。如您需要重新派送，请告诉我方便的时间，我们为您重新安排。"},
    {"id": "refused_parcel", "language": "en", "title": "Refused parcel",
     "text": "A refused parcel is returned to the sender or held at the branch as the sender requests. If you would like "
             "it delivered again, tell me a convenient time and we will arrange it."},
    {"id": "closing", "language": "zh", "title": "结束语",
     "text": "请问还有其他可以帮您的吗？如果没有的话，本次服务就先到这里，祝您生活愉快！"},
    {"id": "closing", "language": "en", "title": "Closing",
     "text": "Is there anything else I can help you with? If not, thank you for contacting us and have a nice day!"},
]


def canned_replies(language: str | None = None) -> list[dict[str, str]]:
    """Canned replies, optionally of one language; ids are unique per language ("delay_apology.en")."""
    items = [c for c in CANNED_REPLIES if language in (None, "", c["language"])]
    return [{**c, "id": f"{c['id']}.{c['language']}"} for c in items]
