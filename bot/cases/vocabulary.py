"""The words of the case domain, defined once: case types, statuses and their allowed
transitions, the claim stages of the seeds' claims flow, remedies, timeline event kinds,
evidence checklist items. Each code has a Chinese and an English label (served to the
console by `GET /api/labels` and used in what customers are told)."""

from __future__ import annotations

from enum import Enum


class CaseType(str, Enum):
    DAMAGE_CLAIM = "damage_claim"
    LOSS_CLAIM = "loss_claim"
    NOT_RECEIVED = "not_received"
    RETURN_PICKUP = "return_pickup"
    REDELIVERY = "redelivery"
    FORWARD = "forward"
    ADDRESS_CHANGE = "address_change"
    SELF_PICKUP = "self_pickup"
    CUSTOMS_DOCUMENTS = "customs_documents"
    TICKET = "ticket"
    CALLBACK = "callback"


class CaseStatus(str, Enum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING_CUSTOMER = "waiting_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


class ClaimStage(str, Enum):
    """受理登记 → 初步评估 → 责任确认 → 赔偿方案 → 客户确认 → 执行赔付."""

    REGISTERED = "registered"
    ASSESSMENT = "assessment"
    LIABILITY = "liability"
    PROPOSAL = "proposal"
    CUSTOMER_CONFIRMATION = "customer_confirmation"
    PAYOUT = "payout"


class Remedy(str, Enum):
    REFUND = "refund"
    RESHIP = "reship"
    COMPENSATION = "compensation"


class CasePriority(str, Enum):
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class ActorType(str, Enum):
    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


class CaseEventKind(str, Enum):
    CREATED = "created"
    STATUS = "status"
    STAGE = "stage"
    ASSIGNED = "assigned"
    PRIORITY = "priority"
    NOTE = "note"  # internal, never shown to the customer
    REPLY = "reply"  # an agent's message to the customer
    CUSTOMER_MESSAGE = "customer_message"
    EVIDENCE = "evidence"
    AMOUNT = "amount"
    REMEDY = "remedy"
    LINKED = "linked"  # another conversation of the customer joined the case
    OVERDUE = "overdue"
    CSAT = "csat"
    DELIVERY_FAILED = "delivery_failed"  # a message could not reach the customer's channel


class EvidenceItem(str, Enum):
    """What a piece of evidence shows (the damage checklist of the seeds, and others)."""

    OUTER_PACKAGING = "outer_packaging"
    CONTENTS = "contents"
    UNBOXING_VIDEO = "unboxing_video"
    PROOF_OF_PURCHASE = "proof_of_purchase"
    CUSTOMS_DOCUMENT = "customs_document"
    OTHER = "other"


CLAIM_TYPES = frozenset({CaseType.DAMAGE_CLAIM, CaseType.LOSS_CLAIM, CaseType.NOT_RECEIVED})
# Types whose case collects evidence from the customer (upload link, WeChat images).
EVIDENCE_TYPES = frozenset(
    {CaseType.DAMAGE_CLAIM, CaseType.LOSS_CLAIM, CaseType.NOT_RECEIVED, CaseType.CUSTOMS_DOCUMENTS, CaseType.TICKET}
)
# The evidence a damage claim needs (the seeds' full list), in the order it is asked for.
DAMAGE_CHECKLIST = (
    EvidenceItem.OUTER_PACKAGING,
    EvidenceItem.CONTENTS,
    EvidenceItem.UNBOXING_VIDEO,
    EvidenceItem.PROOF_OF_PURCHASE,
)
CHECKLISTS: dict[CaseType, tuple[EvidenceItem, ...]] = {
    CaseType.DAMAGE_CLAIM: DAMAGE_CHECKLIST,
    CaseType.LOSS_CLAIM: (EvidenceItem.PROOF_OF_PURCHASE,),
    CaseType.NOT_RECEIVED: (EvidenceItem.PROOF_OF_PURCHASE,),
    CaseType.CUSTOMS_DOCUMENTS: (EvidenceItem.CUSTOMS_DOCUMENT,),
}

OPEN_STATUSES = frozenset({CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.WAITING_CUSTOMER})
DONE_STATUSES = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})
# Statuses whose due time counts (waiting for the customer pauses the promise).
SLA_STATUSES = frozenset({CaseStatus.OPEN, CaseStatus.IN_PROGRESS})

# open → in_progress → waiting_customer → resolved → closed, with the ways back a real desk needs:
# a customer's answer resumes the work, a resolved or closed case can be reopened.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset(
        {CaseStatus.IN_PROGRESS, CaseStatus.WAITING_CUSTOMER, CaseStatus.RESOLVED, CaseStatus.CLOSED}
    ),
    CaseStatus.IN_PROGRESS: frozenset({CaseStatus.WAITING_CUSTOMER, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.WAITING_CUSTOMER: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.IN_PROGRESS}),
}
STAGE_ORDER: tuple[ClaimStage, ...] = tuple(ClaimStage)
PRIORITY_ORDER: tuple[CasePriority, ...] = (CasePriority.NORMAL, CasePriority.HIGH, CasePriority.URGENT)


def can_transition(current: str, target: str) -> bool:
    try:
        return CaseStatus(target) in TRANSITIONS[CaseStatus(current)]
    except ValueError:
        return False


def can_move_stage(current: str | None, target: str) -> bool:
    """A claim moves one stage forward at a time, or back to any earlier stage (rework)."""
    try:
        wanted = STAGE_ORDER.index(ClaimStage(target))
    except ValueError:
        return False
    if current is None:
        return wanted == 0
    try:
        now = STAGE_ORDER.index(ClaimStage(current))
    except ValueError:
        return True
    return wanted == now + 1 or wanted < now


def raised(priority: str) -> str:
    """One priority level up (urgent stays urgent)."""
    try:
        index = PRIORITY_ORDER.index(CasePriority(priority))
    except ValueError:
        return CasePriority.HIGH.value
    return PRIORITY_ORDER[min(index + 1, len(PRIORITY_ORDER) - 1)].value


# --------------------------------------------------------------------------- labels (zh, en)

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "case_types": {
        CaseType.DAMAGE_CLAIM: ("破损理赔", "damage claim"),
        CaseType.LOSS_CLAIM: ("丢件调查", "loss investigation"),
        CaseType.NOT_RECEIVED: ("未收到件调查", "non-receipt investigation"),
        CaseType.RETURN_PICKUP: ("上门取件预约", "return pickup"),
        CaseType.REDELIVERY: ("再次派送预约", "redelivery"),
        CaseType.FORWARD: ("改寄申请", "forwarding"),
        CaseType.ADDRESS_CHANGE: ("改址申请", "address change"),
        CaseType.SELF_PICKUP: ("自取申请", "self-pickup"),
        CaseType.CUSTOMS_DOCUMENTS: ("清关材料", "customs documents"),
        CaseType.TICKET: ("留言工单", "message ticket"),
        CaseType.CALLBACK: ("电话回访", "callback"),
    },
    "case_statuses": {
        CaseStatus.OPEN: ("已受理，待处理", "received, waiting to be picked up"),
        CaseStatus.IN_PROGRESS: ("处理中", "in progress"),
        CaseStatus.WAITING_CUSTOMER: ("等待您补充信息", "waiting for information from you"),
        CaseStatus.RESOLVED: ("已处理完成", "resolved"),
        CaseStatus.CLOSED: ("已关闭", "closed"),
    },
    "claim_stages": {
        ClaimStage.REGISTERED: ("受理登记", "registered"),
        ClaimStage.ASSESSMENT: ("初步评估", "initial assessment"),
        ClaimStage.LIABILITY: ("责任确认", "liability check"),
        ClaimStage.PROPOSAL: ("赔偿方案", "compensation proposal"),
        ClaimStage.CUSTOMER_CONFIRMATION: ("客户确认", "your confirmation"),
        ClaimStage.PAYOUT: ("执行赔付", "payout"),
    },
    "remedies": {
        Remedy.REFUND: ("退款", "refund"),
        Remedy.RESHIP: ("补发", "reshipment"),
        Remedy.COMPENSATION: ("赔偿", "compensation"),
    },
    "case_priorities": {
        CasePriority.NORMAL: ("普通", "normal"),
        CasePriority.HIGH: ("高", "high"),
        CasePriority.URGENT: ("紧急", "urgent"),
    },
    "case_event_kinds": {
        CaseEventKind.CREATED: ("创建", "created"),
        CaseEventKind.STATUS: ("状态变更", "status changed"),
        CaseEventKind.STAGE: ("阶段变更", "stage changed"),
        CaseEventKind.ASSIGNED: ("指派", "assigned"),
        CaseEventKind.PRIORITY: ("优先级变更", "priority changed"),
        CaseEventKind.NOTE: ("内部备注", "internal note"),
        CaseEventKind.REPLY: ("回复客户", "reply to the customer"),
        CaseEventKind.CUSTOMER_MESSAGE: ("客户留言", "customer message"),
        CaseEventKind.EVIDENCE: ("上传材料", "evidence added"),
        CaseEventKind.AMOUNT: ("金额变更", "amount changed"),
        CaseEventKind.REMEDY: ("处理方式变更", "remedy changed"),
        CaseEventKind.LINKED: ("关联会话", "conversation linked"),
        CaseEventKind.OVERDUE: ("已逾期", "overdue"),
        CaseEventKind.CSAT: ("客户评分", "customer rating"),
        CaseEventKind.DELIVERY_FAILED: ("消息未送达", "message not delivered"),
    },
    "actor_types": {
        ActorType.CUSTOMER: ("客户", "customer"),
        ActorType.BOT: ("机器人", "bot"),
        ActorType.AGENT: ("客服", "agent"),
        ActorType.SYSTEM: ("系统", "system"),
    },
    "evidence_items": {
        EvidenceItem.OUTER_PACKAGING: (
            "外包装照片（含面单和破损处）",
            "outer packaging photos (label and damage visible)",
        ),
        EvidenceItem.CONTENTS: (
            "内物照片（破损的商品和内部填充）",
            "contents photos (the damaged item and inner packing)",
        ),
        EvidenceItem.UNBOXING_VIDEO: ("开箱视频", "unboxing video"),
        EvidenceItem.PROOF_OF_PURCHASE: (
            "购买凭证（订单截图或发票）",
            "proof of purchase (order screenshot or invoice)",
        ),
        EvidenceItem.CUSTOMS_DOCUMENT: ("清关材料", "customs document"),
        EvidenceItem.OTHER: ("其他材料", "other"),
    },
}


def label(table: str, code: object, lang: str = "zh") -> str:
    """The label of `code` in one of LABELS' tables; an unknown code is shown as it is."""
    if code is None or code == "":
        return ""
    key = code.value if isinstance(code, Enum) else str(code)
    for member, pair in LABELS[table].items():
        if member.value == key:
            return pair[1] if lang == "en" else pair[0]
    return key


def labels_json() -> dict[str, dict[str, dict[str, str]]]:
    """{table: {code: {"zh", "en"}}} for the console."""
    return {
        table: {member.value: {"zh": zh, "en": en} for member, (zh, en) in entries.items()}
        for table, entries in LABELS.items()
    }
