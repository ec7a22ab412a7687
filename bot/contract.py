"""The vocabularies the bot, the gateway and the console share, defined once.

Each vocabulary is a `str` enum (agent tiers: `int`) whose members carry their
Chinese and English labels; `VOCABULARIES` lists them for `GET /api/labels`, which
the console reads instead of keeping label maps of its own. Members compare equal to
their plain values (`Priority.HIGH == "high"`), and `str()` gives the value, so they
go into JSON, SQL and templates as is.

`HandoffPayload` is the bot's handoff message (docs/gateway-contract.md): the actions
build it and send `to_dict()`, the gateway reads it back with `parse()`.

A new value (a category, a reason, a channel ...) is added here, with its labels,
and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, TypeGuard, TypeVar

V = TypeVar("V", bound="Vocabulary")


class _Labelled:
    """Chinese and English labels of a vocabulary member (set by the enums' __new__)."""

    zh: str
    en: str

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    @property
    def labels(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


class Vocabulary(_Labelled, str, Enum):
    """A shared vocabulary: `MEMBER = "value", "中文", "English"`."""

    _value_: str

    # zh/en default to "" only for the type checker: a lookup (`Priority("high")`) passes
    # the value alone (Enum's own __new__ answers it); every member declares both labels.
    def __new__(cls, value: str, zh: str = "", en: str = "") -> Vocabulary:
        member = str.__new__(cls, value)
        member._value_ = value
        member.zh = zh
        member.en = en
        return member

    def __str__(self) -> str:
        return self._value_

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(member._value_ for member in cls)

    @classmethod
    def get(cls: type[V], value: Any, default: V) -> V:
        """The member whose value is `value`, else `default` (for untrusted input)."""
        try:
            return cls(value)
        except (ValueError, TypeError):
            return default


class HandoffCategory(Vocabulary):
    DELAY = "delay", "延误", "delay"
    DAMAGE = "damage", "破损", "damage"
    LOSS = "loss", "丢件", "loss"
    REFUSED = "refused", "拒收", "refused"
    ADDRESS = "address", "地址问题", "address problem"
    CUSTOMS = "customs", "清关", "customs"
    CONSULTATION = "consultation", "咨询", "consultation"
    COMPLAINT = "complaint", "投诉", "complaint"


class Priority(Vocabulary):
    """Handoff priority; the ONE order is the declaration order, most urgent first."""

    URGENT = "urgent", "紧急", "urgent"
    HIGH = "high", "高", "high"
    NORMAL = "normal", "普通", "normal"

    @property
    def rank(self) -> int:
        """0 for the most urgent; the queue sorts by it."""
        return list(Priority).index(self)

    @classmethod
    def most_urgent(cls, levels: Iterable[Any]) -> Priority:
        """The most urgent of `levels` (unknown values and None are ignored); normal if none."""
        known = [cls(level) for level in levels if level in cls.values()]
        return min(known, key=lambda p: p.rank) if known else cls.NORMAL


class HandoffReason(Vocabulary):
    # Decided by the bot (actions/handoff.py).
    CUSTOMER_REQUEST = "customer_request", "客户要求人工服务", "the customer asked for a person"
    COMPLAINT = "complaint", "客户投诉", "customer complaint"
    REPEATED_MISUNDERSTANDING = (
        "repeated_misunderstanding",
        "机器人连续两次未能理解客户",
        "the bot failed to understand twice in a row",
    )
    HIGH_VALUE_CLAIM = "high_value_claim", "高价值包裹理赔", "high-value claim"
    URGENT_MEDICAL = "urgent_medical", "急需药品/医疗物资", "urgent medical goods"
    # The green channel: perishables, documents for a deadline ... held up (bot/signals.py).
    URGENT_GOODS = "urgent_goods", "急需物品（绿色通道）", "urgently needed goods (priority channel)"
    # Strong anger, or a customer upset again after the bot acknowledged it (bot/signals.py).
    CUSTOMER_UPSET = "customer_upset", "客户情绪激动", "the customer is very upset"
    VERIFICATION_FAILED = (
        "verification_failed",
        "收件人手机号验证多次未通过",
        "recipient phone verification failed repeatedly",
    )
    VIP = "vip", "VIP/企业客户包裹异常", "VIP/enterprise customer with a parcel issue"
    # Decided by the gateway (the bot could not be reached).
    SYSTEM_BUSY = "system_busy", "机器人服务暂时不可用", "the bot was unavailable"


class AgentTier(_Labelled, int, Enum):
    """Who may take a handoff: an agent sees items of their tier and below."""

    _value_: int

    def __new__(cls, value: int, zh: str = "", en: str = "") -> AgentTier:  # defaults: see Vocabulary
        member = int.__new__(cls, value)
        member._value_ = value
        member.zh = zh
        member.en = en
        return member

    def __str__(self) -> str:
        return str(self._value_)

    FRONT_LINE = 1, "一线", "front line"
    SPECIALIST = 2, "专家", "specialist"
    MANAGEMENT = 3, "主管", "management"


class ChannelName(Vocabulary):
    REST = "rest", "REST 接口", "REST API"
    SOCKETIO = "socketio", "网页客服", "website chat"
    WECHAT = "wechat", "微信公众号", "WeChat Official Account"
    WECOM = "wecom", "企业微信", "WeCom"


class CustomerTier(Vocabulary):
    REGULAR = "regular", "普通客户", "regular customer"
    VIP = "vip", "VIP客户", "VIP customer"
    ENTERPRISE = "enterprise", "企业客户", "enterprise customer"
    # No parcel known yet, so no tier.
    UNKNOWN = "unknown", "未知（未提供运单号）", "unknown (no tracking number yet)"

    @property
    def rank(self) -> int:
        """Higher ranks are served first; unknown counts as regular."""
        return {"vip": 1, "enterprise": 2}.get(self._value_, 0)


# The tiers a shipment record carries (docs/shipment.schema.json); `unknown` is only
# what a handoff says when no parcel is known.
SHIPMENT_CUSTOMER_TIERS = (CustomerTier.REGULAR, CustomerTier.VIP, CustomerTier.ENTERPRISE)


class ConversationState(Vocabulary):
    BOT = "bot", "机器人接待", "with the bot"
    QUEUED = "queued", "排队中", "queued"
    AGENT = "agent", "人工接待中", "with an agent"
    CSAT_PENDING = "csat_pending", "已解决 · 待评价", "resolved, awaiting rating"
    TICKET = "ticket", "已留言", "message left"
    CLOSED = "closed", "已结束", "closed"


class HandoffStatus(Vocabulary):
    WAITING = "waiting", "等待接入", "waiting"
    ASSIGNED = "assigned", "处理中", "assigned"
    RESOLVED = "resolved", "已解决", "resolved"
    RETURNED_TO_BOT = "returned_to_bot", "已交回机器人", "returned to the bot"


class AgentRole(Vocabulary):
    AGENT = "agent", "客服", "agent"
    SUPERVISOR = "supervisor", "主管", "supervisor"


class MessageRole(Vocabulary):
    CUSTOMER = "customer", "客户", "customer"
    BOT = "bot", "机器人", "bot"
    AGENT = "agent", "客服", "agent"
    SYSTEM = "system", "系统", "system"


class Language(Vocabulary):
    ZH = "zh", "中文", "Chinese"
    EN = "en", "英文", "English"


# --------------------------------------------------------------------------- cases (bot/cases)


class CaseType(Vocabulary):
    DAMAGE_CLAIM = "damage_claim", "破损理赔", "damage claim"
    LOSS_CLAIM = "loss_claim", "丢件调查", "loss investigation"
    NOT_RECEIVED = "not_received", "未收到件调查", "non-receipt investigation"
    RETURN_PICKUP = "return_pickup", "上门取件预约", "return pickup"
    REDELIVERY = "redelivery", "再次派送预约", "redelivery"
    FORWARD = "forward", "改寄申请", "forwarding"
    ADDRESS_CHANGE = "address_change", "改址申请", "address change"
    SELF_PICKUP = "self_pickup", "自取申请", "self-pickup"
    CUSTOMS_DOCUMENTS = "customs_documents", "清关材料", "customs documents"
    TICKET = "ticket", "留言工单", "message ticket"
    CALLBACK = "callback", "电话回访", "callback"


class CaseStatus(Vocabulary):
    OPEN = "open", "已受理，待处理", "received, waiting to be picked up"
    IN_PROGRESS = "in_progress", "处理中", "in progress"
    WAITING_CUSTOMER = "waiting_customer", "等待您补充信息", "waiting for information from you"
    RESOLVED = "resolved", "已处理完成", "resolved"
    CLOSED = "closed", "已关闭", "closed"


class ClaimStage(Vocabulary):
    """受理登记 → 初步评估 → 责任确认 → 赔偿方案 → 客户确认 → 执行赔付."""

    REGISTERED = "registered", "受理登记", "registered"
    ASSESSMENT = "assessment", "初步评估", "initial assessment"
    LIABILITY = "liability", "责任确认", "liability check"
    PROPOSAL = "proposal", "赔偿方案", "compensation proposal"
    CUSTOMER_CONFIRMATION = "customer_confirmation", "客户确认", "your confirmation"
    PAYOUT = "payout", "执行赔付", "payout"


class Remedy(Vocabulary):
    REFUND = "refund", "退款", "refund"
    RESHIP = "reship", "补发", "reshipment"
    COMPENSATION = "compensation", "赔偿", "compensation"


class CaseEventKind(Vocabulary):
    CREATED = "created", "创建", "created"
    STATUS = "status", "状态变更", "status changed"
    STAGE = "stage", "阶段变更", "stage changed"
    ASSIGNED = "assigned", "指派", "assigned"
    PRIORITY = "priority", "优先级变更", "priority changed"
    NOTE = "note", "内部备注", "internal note"  # internal, never shown to the customer
    REPLY = "reply", "回复客户", "reply to the customer"  # an agent's message to the customer
    CUSTOMER_MESSAGE = "customer_message", "客户留言", "customer message"
    EVIDENCE = "evidence", "上传材料", "evidence added"
    AMOUNT = "amount", "金额变更", "amount changed"
    REMEDY = "remedy", "处理方式变更", "remedy changed"
    LINKED = "linked", "关联会话", "conversation linked"  # another conversation of the customer joined the case
    OVERDUE = "overdue", "已逾期", "overdue"
    CSAT = "csat", "客户评分", "customer rating"
    # A message could not reach the customer's channel.
    DELIVERY_FAILED = "delivery_failed", "消息未送达", "message not delivered"


class CaseDetail(Vocabulary):
    """The facts a case keeps in its `details` (set by the actions), as the console names them."""

    NEW_ADDRESS = "new_address", "新地址", "new address"
    PICKUP_POINT = "pickup_point", "自提点", "pickup point"
    TIME_WINDOW = "time_window", "预约时段", "time window"
    DOCUMENTS = "documents", "所需材料", "documents needed"
    PHONE = "phone", "回访电话", "callback number"
    DECLARED_VALUE = "declared_value", "声明价值", "declared value"
    CURRENCY = "currency", "币种", "currency"
    DAYS_WITHOUT_SCAN = "days_without_scan", "无轨迹天数", "days without a scan"
    LAST_SCAN_LOCATION = "last_scan_location", "最后扫描地点", "last scan location"
    SIGNED_BY_CATEGORY = "signed_by_category", "签收方式", "signed for by"


class EvidenceItem(Vocabulary):
    """What a piece of evidence shows (the damage checklist of the seeds, and others)."""

    OUTER_PACKAGING = (
        "outer_packaging",
        "外包装照片（含面单和破损处）",
        "outer packaging photos (label and damage visible)",
    )
    CONTENTS = "contents", "内物照片（破损的商品和内部填充）", "contents photos (the damaged item and inner packing)"
    UNBOXING_VIDEO = "unboxing_video", "开箱视频", "unboxing video"
    PROOF_OF_PURCHASE = (
        "proof_of_purchase",
        "购买凭证（订单截图或发票）",
        "proof of purchase (order screenshot or invoice)",
    )
    CUSTOMS_DOCUMENT = "customs_document", "清关材料", "customs document"
    OTHER = "other", "其他材料", "other"


# --------------------------------------------------------------------------- parcels and reports (bot/reports)


class ExceptionType(Vocabulary):
    """The open problem on a shipment (docs/shipment.schema.json). NONE is not a store
    value: the reports' cause of a complaint about a parcel that had no exception."""

    DELAY = "delay", "延误", "delay"
    LOST = "lost", "丢失", "lost"
    DAMAGED = "damaged", "破损", "damaged"
    MISDELIVERED = "misdelivered", "错派", "misdelivered"
    REFUSED = "refused", "拒收", "refused"
    ADDRESS_PROBLEM = "address_problem", "地址问题", "address problem"
    OUT_OF_AREA = "out_of_area", "超出派送范围", "out of the delivery area"
    CUSTOMS_HOLD = "customs_hold", "海关扣留", "held in customs"
    HELD_AT_STATION = "held_at_station", "滞留网点", "held at the station"
    NONE = "none", "无异常记录", "no exception on record"


# The handoff category of a conversation about a parcel with this exception.
EXCEPTION_CATEGORY: dict[ExceptionType, HandoffCategory] = {
    ExceptionType.DELAY: HandoffCategory.DELAY,
    ExceptionType.HELD_AT_STATION: HandoffCategory.DELAY,
    ExceptionType.LOST: HandoffCategory.LOSS,
    ExceptionType.MISDELIVERED: HandoffCategory.LOSS,
    ExceptionType.DAMAGED: HandoffCategory.DAMAGE,
    ExceptionType.REFUSED: HandoffCategory.REFUSED,
    ExceptionType.ADDRESS_PROBLEM: HandoffCategory.ADDRESS,
    ExceptionType.OUT_OF_AREA: HandoffCategory.ADDRESS,
    ExceptionType.CUSTOMS_HOLD: HandoffCategory.CUSTOMS,
}


class ReportGrouping(Vocabulary):
    """How a report splits its period."""

    DAY = "day", "按日", "by day"
    WEEK = "week", "按周", "by week"
    MONTH = "month", "按月", "by month"
    CHANNEL = "channel", "按渠道", "by channel"
    LANGUAGE = "language", "按语言", "by language"
    CATEGORY = "category", "按类别", "by category"

    @property
    def is_time(self) -> bool:
        return self in (ReportGrouping.DAY, ReportGrouping.WEEK, ReportGrouping.MONTH)


class ReportMetric(Vocabulary):
    """The numbers of the reports (bot/reports/metrics.py defines each), their breakdowns
    and the agents' workload."""

    CONVERSATIONS = "conversations", "会话量", "conversations"
    CUSTOMER_MESSAGES = "customer_messages", "客户消息数", "customer messages"
    BOT_CONTAINMENT = "bot_containment", "机器人独立解决率", "bot containment"
    HANDOFF_RATE = "handoff_rate", "转人工率", "handoff rate"
    HANDOFFS = "handoffs", "转人工排队数", "handoffs"
    ANSWER_RATE = "answer_rate", "人工接通率", "answer rate"
    AVG_ANSWER_SECONDS = "avg_answer_seconds", "平均应答时长", "average answer time"
    FIRST_RESPONSE_P50_SECONDS = "first_response_p50_seconds", "首次响应中位数", "first response (median)"
    FIRST_RESPONSE_P90_SECONDS = "first_response_p90_seconds", "首次响应 P90", "first response (p90)"
    FIRST_RESPONSE_SLA_RATE = "first_response_sla_rate", "首次响应达标率", "first response within SLA"
    EXCEPTION_FIRST_RESPONSE_RATE = (
        "exception_first_response_rate",
        "异常件15分钟内首次响应率",
        "exceptions answered within 15 min",
    )
    SLA_BREACHES = "sla_breaches", "SLA 超时", "SLA breaches"
    QUEUE_WAITING = "queue_waiting", "仍在排队", "still waiting"
    QUEUE_ABANDONED = "queue_abandoned", "放弃排队", "abandoned"
    AVG_HANDLE_SECONDS = "avg_handle_seconds", "平均处理时长", "average handle time"
    ONLINE_REPLY_RATE = "online_reply_rate", "在线回复率", "online reply rate"
    FCR_RATE = "fcr_rate", "首次解决率", "first-contact resolution"
    CSAT_BOT_AVG = "csat_bot_avg", "智能客服满意度", "CSAT (bot)"
    CSAT_HUMAN_AVG = "csat_human_avg", "人工服务满意度", "CSAT (agents)"
    COMPLAINTS = "complaints", "投诉量", "complaints"
    COMPLAINT_RATE = "complaint_rate", "投诉率", "complaint rate"
    CASES_OPENED = "cases_opened", "新建工单", "cases opened"
    RESOLVED_WITHIN_DUE_RATE = "resolved_within_due_rate", "按时处理率（24小时）", "handled in time (24 h)"
    HANDLING_SUCCESS_RATE = "handling_success_rate", "处理成功率", "handling success"
    RESOLVE_MEDIAN_SECONDS = "resolve_median_seconds", "处理时长中位数", "time to resolve (median)"
    CASES_OVERDUE = "cases_overdue", "逾期工单", "overdue cases"
    CSAT_CASE_AVG = "csat_case_avg", "工单满意度", "CSAT (cases)"
    HANDOFFS_BY_REASON = "handoffs_by_reason", "转人工原因", "handoff reasons"
    HANDOFFS_BY_CATEGORY = "handoffs_by_category", "转人工类别", "handoff categories"
    CSAT_BOT_DISTRIBUTION = "csat_bot_distribution", "智能客服评分分布", "bot ratings"
    CSAT_HUMAN_DISTRIBUTION = "csat_human_distribution", "人工评分分布", "agent ratings"
    COMPLAINT_CAUSES = "complaint_causes", "投诉原因（异常类型）", "complaint causes"
    COMPLAINT_REASONS = "complaint_reasons", "投诉原因（具体）", "complaint reasons"
    CLAIMS_BY_STAGE = "claims_by_stage", "理赔进度", "claims by stage"
    CHATS_HANDLED = "chats_handled", "处理会话", "chats handled"
    CSAT_AVG = "csat_avg", "满意度", "CSAT"
    CASES_RESOLVED = "cases_resolved", "完成工单", "cases resolved"


class KpiStatus(Vocabulary):
    """A KPI against its target (bot/reports/targets.py)."""

    GREEN = "green", "达标", "on target"
    AMBER = "amber", "接近目标", "close to target"
    RED = "red", "未达标", "missed"
    NONE = "none", "无数据", "no data"


class HotspotDimension(Vocabulary):
    DESTINATION = "destination", "目的地", "destination"
    ROUTE = "route", "线路", "route"
    CARRIER = "carrier", "承运商", "carrier"


# Served by GET /api/labels under these names, members in declaration order.
VOCABULARIES: dict[str, type[Vocabulary] | type[AgentTier]] = {
    "handoff_categories": HandoffCategory,
    "priorities": Priority,
    "handoff_reasons": HandoffReason,
    "agent_tiers": AgentTier,
    "channels": ChannelName,
    "customer_tiers": CustomerTier,
    "conversation_states": ConversationState,
    "handoff_statuses": HandoffStatus,
    "agent_roles": AgentRole,
    "message_roles": MessageRole,
    "languages": Language,
    "case_types": CaseType,
    "case_statuses": CaseStatus,
    "claim_stages": ClaimStage,
    "remedies": Remedy,
    "case_event_kinds": CaseEventKind,
    "case_details": CaseDetail,
    "evidence_items": EvidenceItem,
    "exception_types": ExceptionType,
    "report_groupings": ReportGrouping,
    "report_metrics": ReportMetric,
    "kpi_statuses": KpiStatus,
    "hotspot_dimensions": HotspotDimension,
}


def label(vocabulary: str, value: Any, lang: str = "zh") -> str:
    """The label of `value` in the vocabulary called `vocabulary` (a VOCABULARIES name);
    a value the vocabulary does not know is shown as it is, no value as ""."""
    if value is None or value == "":
        return ""
    key = value.value if isinstance(value, Enum) else value
    try:
        return VOCABULARIES[vocabulary](key).label(lang)
    except (ValueError, TypeError):
        return str(key)


def labels_document() -> dict[str, list[dict[str, Any]]]:
    """Every vocabulary with its labels, in canonical order (the body of GET /api/labels)."""
    return {
        name: [{"value": member._value_, "label": member.labels} for member in vocabulary]
        for name, vocabulary in VOCABULARIES.items()
    }


# --------------------------------------------------------------------------- handoff payload

MAX_TRACKING_NUMBERS = 10
MAX_SLA_MINUTES = 7 * 24 * 60
_EXTRAS = ("tier",)


@dataclass
class HandoffPayload:
    """The bot's request to hand a conversation to a human: `{"handoff": to_dict()}`."""

    reason: HandoffReason = HandoffReason.CUSTOMER_REQUEST
    category: HandoffCategory = HandoffCategory.CONSULTATION
    priority: Priority = Priority.NORMAL
    tracking_numbers: list[str] = field(default_factory=list)
    summary: str | None = None
    language: Language | None = None
    customer_tier: CustomerTier | None = None
    sla_minutes: int | None = None
    verified: bool = False
    # Optional extra: the agent tier the item starts at (front line when absent).
    tier: AgentTier | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (enum members become their values); extras only when set."""
        items = asdict(self).items()
        return {
            key: value._value_ if isinstance(value, Enum) else value
            for key, value in items
            if not (key in _EXTRAS and value is None)
        }

    @classmethod
    def parse(cls, raw: Any) -> HandoffPayload:
        """Read a payload that came over the wire: anything malformed falls back to a
        safe default, texts are cut to their column sizes, nothing raises."""
        data: Mapping[str, Any] = raw if isinstance(raw, dict) else {}

        def text(name: str, limit: int) -> str | None:
            value = data.get(name)
            return str(value)[:limit] if isinstance(value, (str, int, float)) and str(value) else None

        numbers = data.get("tracking_numbers") or []
        if isinstance(numbers, str):
            numbers = [numbers]
        if not isinstance(numbers, list):
            numbers = []
        sla = data.get("sla_minutes")
        tier = data.get("tier")
        language = data.get("language")
        customer_tier = text("customer_tier", 32)
        return cls(
            reason=HandoffReason.get(data.get("reason"), HandoffReason.CUSTOMER_REQUEST),
            category=HandoffCategory.get(data.get("category"), HandoffCategory.CONSULTATION),
            priority=Priority.get(data.get("priority"), Priority.NORMAL),
            tracking_numbers=[str(n)[:40] for n in numbers if isinstance(n, (str, int))][:MAX_TRACKING_NUMBERS],
            summary=text("summary", 2000),
            language=Language(language) if language in Language.values() else None,
            customer_tier=CustomerTier.get(customer_tier, CustomerTier.UNKNOWN) if customer_tier else None,
            sla_minutes=int(sla) if _is_number(sla) and 0 < sla <= MAX_SLA_MINUTES else None,
            verified=data.get("verified") is True,
            tier=AgentTier(tier) if type(tier) is int and tier in AgentTier._value2member_map_ else None,
        )


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
