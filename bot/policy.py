"""Company policy in words: the one place where what we say about returns, damage,
loss, address changes and their deadlines is written. The bot's messages
(actions/texts.py) and the agents' canned replies (bot/gateway/texts.py) are built from
these paragraphs, and the deadlines in them come from the case SLA (bot/cases/sla.py,
setting CASE_SLA), so the bot, the agents and the case desk cannot disagree
(tests/cases/test_policy.py checks it)."""

from __future__ import annotations

from datetime import timedelta

from bot.cases.sla import sla_for
from bot.cases.vocabulary import DAMAGE_CHECKLIST
from bot.config import Settings, load_settings
from bot.contract import CaseType, label

# Days a station keeps a parcel for self-pickup.
SELF_PICKUP_HOLD_DAYS = 3
# Days without a scan before the bot opens a loss investigation.
LOSS_CLAIM_AFTER_DAYS = 3
# A shipment ordered for courier pickup is usually collected within this time.
PICKUP_USUAL_WITHIN = timedelta(hours=24)


def duration_text(value: timedelta, lang: str) -> str:
    """ "15分钟" / "1小时" / "3天"; en "15 minutes" / "1 hour" / "3 days"."""
    minutes = int(value.total_seconds() // 60)
    if minutes % (24 * 60) == 0 and minutes >= 48 * 60:
        amount, zh, en = minutes // (24 * 60), "天", "day"
    elif minutes % 60 == 0:
        amount, zh, en = minutes // 60, "小时", "hour"
    else:
        amount, zh, en = minutes, "分钟", "minute"
    if lang == "en":
        return f"{amount} {en}{'' if amount == 1 else 's'}"
    return f"{amount}{zh}"


def _respond(settings: Settings, case_type: CaseType, lang: str) -> str:
    sla = sla_for(settings, case_type.value)
    return duration_text(sla.respond if sla.respond is not None else sla.resolve, lang)


def _resolve(settings: Settings, case_type: CaseType, lang: str) -> str:
    return duration_text(sla_for(settings, case_type.value).resolve, lang)


def _pick(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def return_steps(lang: str) -> str:
    return _pick(
        lang,
        "退货流程是这样的：\n1. 申请退货：在购物平台提交退货申请，商家同意后即可寄回\n"
        "2. 上门取件：告诉我运单号，我帮您预约快递员在您方便的时段上门取件，不用自己下单寄件\n"
        "3. 仓库验货：商家仓库收到后一般1–3个工作日完成验货\n"
        "4. 退款：验货通过后，退款一般1–7个工作日原路退回",
        "Here's how a return works:\n1. Request the return on the shopping platform; once the seller agrees you can send it back\n"
        "2. Pickup: tell me the tracking number and I'll book a courier to collect it in a time window that suits you "
        "— no need to create a shipment yourself\n"
        "3. Inspection: the seller's warehouse checks it, usually within 1–3 working days of receiving it\n"
        "4. Refund: once approved, the refund goes back to your original payment method, usually within 1–7 working days",
    )


def damage_checklist(lang: str) -> str:
    """The evidence a damage claim needs: the seeds' full list, numbered, plus keeping the packaging."""
    lines = [f"{n}. {label('evidence_items', item, lang)}" for n, item in enumerate(DAMAGE_CHECKLIST, 1)]
    lines.append(
        _pick(
            lang,
            f"{len(lines) + 1}. 保留原包装和物品，理赔完成前请先不要丢弃",
            f"{len(lines) + 1}. Please keep the original packaging and the item until the claim is settled",
        )
    )
    return "\n".join(lines)


def damage_deadlines(lang: str, settings: Settings | None = None) -> str:
    settings = settings or load_settings()
    respond, resolve = _respond(settings, CaseType.DAMAGE_CLAIM, lang), _resolve(settings, CaseType.DAMAGE_CLAIM, lang)
    return _pick(
        lang,
        f"理赔专员会在{respond}内联系您，{resolve}内给出处理意见（非服务时间提交的，从客服上班时起算）。",
        f"A claims specialist contacts you within {respond} and gives you a decision within {resolve} "
        "(counted from the next opening when submitted outside service hours).",
    )


def compensation_rules(lang: str) -> str:
    return _pick(
        lang,
        "关于赔偿：如果最终确认丢失或损毁，已保价的包裹按声明价值赔付；未保价的按运费的一定倍数赔付，具体以服务条款为准。",
        "On compensation: if the parcel is confirmed lost or destroyed, insured parcels are compensated at "
        "their declared value, and uninsured ones at a multiple of the shipping fee, as set out in our terms of service.",
    )


def loss_investigation(lang: str, settings: Settings | None = None) -> str:
    settings = settings or load_settings()
    resolve = _resolve(settings, CaseType.LOSS_CLAIM, lang)
    return _pick(
        lang,
        f"网点会核查各环节的扫描和监控记录，一般{resolve}内会有调查结果。",
        f"The branches check every scan and camera record; there is usually a result within {resolve}.",
    )


def non_receipt_investigation(lang: str, settings: Settings | None = None) -> str:
    settings = settings or load_settings()
    resolve = _resolve(settings, CaseType.NOT_RECEIVED, lang)
    return _pick(
        lang,
        f"专员会调取派送记录和签收凭证核实，一般{resolve}内给出结果。",
        f"A specialist checks the delivery records and proof of delivery; there is usually a result within {resolve}.",
    )


def address_change(lang: str, settings: Settings | None = None) -> str:
    settings = settings or load_settings()
    resolve = _resolve(settings, CaseType.ADDRESS_CHANGE, lang)
    return _pick(
        lang,
        f"改址一般在{resolve}内生效，送达时间可能会稍有推迟；已经签收、退回或取消的包裹不能再改址。",
        f"An address change usually takes effect within {resolve} and may delay the delivery slightly; "
        "parcels already delivered, returned or cancelled can no longer be redirected.",
    )


def address_change_verification(lang: str) -> str:
    return _pick(
        lang,
        "为保护收件人信息，改址前需要先核实收件人手机号后4位，再提供新的详细地址（省、市、区和门牌号）。",
        "To protect the recipient, an address change first needs the last 4 digits of the recipient's phone "
        "number, then the full new address (city, district and street address).",
    )


def self_pickup_hold(lang: str) -> str:
    return _pick(
        lang,
        f"包裹一般在自提点保留{SELF_PICKUP_HOLD_DAYS}天。",
        f"The pickup point usually keeps the parcel for {SELF_PICKUP_HOLD_DAYS} days.",
    )


def pickup_wait(lang: str) -> str:
    """How long a courier pickup usually takes after the order (not yet overdue)."""
    hours = int(PICKUP_USUAL_WITHIN.total_seconds() // 3600)
    return _pick(
        lang,
        f"网点一般会在下单后 {hours} 小时内安排快递员上门揽收，揽收后就会有物流轨迹。请保持电话畅通，快递员上门前通常会先联系您。",
        f"The local branch usually sends a courier to collect it within {hours} hours of the order; "
        "tracking starts once it is collected. Please keep your phone on: the courier usually calls first.",
    )
