"""A realistic demo history of customer service for the reports: conversations over
several weeks (daily and hourly rhythm, channels, languages), their messages, handoffs
with waits and SLAs, satisfaction answers, customers coming back about the same parcel,
and cases. Parcels come from the shipment store when it has any (so exceptions and hot
spots are real), else from made-up tracking numbers.

It writes the rows in bulk (Core INSERTs in chunks), as the gateway would have recorded
them, including the report facts of bot/gateway/stats.py. Meant for demos and the
reports benchmark (`benchmarks/bench_reports.py`: 200 000 conversations / 1 M messages),
never for a production database: its agents are inactive accounts named history-agent-NN."""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cases.models import Case, CaseConversation
from bot.cases.vocabulary import CLAIM_TYPES
from bot.clock import CHINA_TZ, local, utcnow
from bot.config import Settings
from bot.contract import CaseStatus, CaseType, ClaimStage, ConversationState, HandoffStatus
from bot.gateway.models import (
    Agent,
    Conversation,
    ConversationParcel,
    ConversationStats,
    CsatAnswer,
    Handoff,
    Message,
)
from bot.reports.links import recompute_contact_links
from bot.reports.vocabulary import COMPLAINT_REASON, EXCEPTION_CATEGORY
from bot.store.models import Shipment, ShipmentException

CHANNELS = (("socketio", 0.45), ("wechat", 0.35), ("rest", 0.12), ("wecom", 0.08))
# Share of contacts per hour of the local day (0..23).
HOURLY = (1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 3, 6, 9, 10, 9, 7, 7, 9, 9, 8, 7, 6, 7, 8, 7, 5, 2)
REASONS = (
    ("customer_request", 0.45),
    (COMPLAINT_REASON, 0.2),
    ("repeated_misunderstanding", 0.15),
    ("high_value_claim", 0.06),
    ("urgent_medical", 0.03),
    ("verification_failed", 0.05),
    ("vip", 0.03),
    ("system_busy", 0.03),
)
SLA_MINUTES = {"consultation": 30, "complaint": 30}  # parcel exceptions: 15
CSAT_HUMAN = (0.03, 0.04, 0.08, 0.30, 0.55)
CSAT_BOT = (0.05, 0.06, 0.14, 0.35, 0.40)
CUSTOMER_TEXTS = (
    "{n} 到哪了",
    "我的快递怎么还没到",
    "什么时候能送到",
    "{n} 为什么这么慢",
    "显示签收了但我没收到",
    "我要退货",
    "快递丢了怎么办",
    "东西摔坏了",
    "转人工",
    "好的谢谢",
    "where is my parcel {n}",
)
BOT_TEXTS = (
    "您的包裹正在运输途中，预计明天送达。",
    "非常抱歉让您久等了，包裹因天气原因延误。",
    "好的，已为您登记。",
    "不客气，还有其他问题吗？",
)
AGENT_TEXTS = ("您好，我是客服，马上为您处理。", "已为您联系网点加急派送。", "请问还有其他可以帮您的吗？")
CASE_BY_CATEGORY = {
    "damage": CaseType.DAMAGE_CLAIM,
    "loss": CaseType.LOSS_CLAIM,
    "address": CaseType.ADDRESS_CHANGE,
    "delay": CaseType.REDELIVERY,
    "complaint": CaseType.CALLBACK,
    "customs": CaseType.CUSTOMS_DOCUMENTS,
}


@dataclass
class Plan:
    conversations: int = 2000
    messages: int = 10000
    days: int = 30
    end: date | None = None  # last local day (default: yesterday)
    seed: int = 2026
    tz: tzinfo = CHINA_TZ
    agents: int = 12
    chunk: int = 2000


@dataclass
class Written:
    conversations: int = 0
    messages: int = 0
    handoffs: int = 0
    csat_answers: int = 0
    cases: int = 0
    parcels: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return (
            f"conversations={self.conversations} messages={self.messages} handoffs={self.handoffs} "
            f"csat_answers={self.csat_answers} cases={self.cases} parcels={self.parcels}"
        )


def _weighted(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def _lognormal_seconds(rng: random.Random, median: float, spread: float) -> float:
    return median * math.exp(rng.gauss(0, spread))


class _Maker:
    def __init__(self, plan: Plan, parcels: list[tuple[str, str | None, str | None]], agent_ids: list[int]):
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.parcels = parcels
        self.parcels_by_key = {key: (kind, reason) for key, kind, reason in parcels}
        self.agent_ids = agent_ids
        # Per conversation: ~2 messages per customer message (question, answer) and ~0.75 more
        # from handoffs (queue notice, agents' messages).
        customer_mean = max(1.0, (plan.messages / max(1, plan.conversations) - 0.75) / 2)
        self.extra_customer_p = 1 - 1 / customer_mean  # geometric: 1 + extra messages
        end = plan.end or (local(utcnow(), plan.tz).date() - timedelta(days=1))
        self.first_day = end - timedelta(days=plan.days - 1)
        self.recent: list[tuple[datetime, str, str, str | None]] = []  # (created, channel, user, parcel)
        self.case_numbers: dict[str, int] = {}

    def start_times(self) -> list[datetime]:
        rng, plan = self.rng, self.plan
        day_weights = [0.8 if (self.first_day + timedelta(days=d)).weekday() >= 5 else 1.0 for d in range(plan.days)]
        days = rng.choices(range(plan.days), weights=day_weights, k=plan.conversations)
        hours = rng.choices(range(24), weights=HOURLY, k=plan.conversations)
        times = []
        for d, h in zip(days, hours, strict=True):
            local = datetime.combine(self.first_day + timedelta(days=d), time(h), plan.tz)
            times.append((local + timedelta(seconds=rng.uniform(0, 3600))).astimezone(timezone.utc))
        times.sort()
        return times

    def conversation(self, created: datetime) -> dict[str, list[dict[str, Any]]]:
        rng = self.rng
        cid = str(uuid.uuid4())
        follow_up = self.recent and rng.random() < 0.12
        if follow_up:
            _, channel, user, key = rng.choice(self.recent[-3000:])
        else:
            channel = _weighted(rng, CHANNELS)
            user = f"demo-{uuid.UUID(int=rng.getrandbits(128)).hex[:16]}"
            key = rng.choice(self.parcels)[0] if self.parcels and rng.random() < 0.75 else None
        self.recent.append((created, channel, user, key))
        exception = self.parcels_by_key.get(key, (None, None)) if key else (None, None)
        language = "en" if rng.random() < 0.08 else "zh"
        mapped = EXCEPTION_CATEGORY.get(exception[0] or "")  # type: ignore[call-overload]
        category = mapped.value if mapped is not None else None
        handoff_p = 0.35 if category else 0.15
        handed_off = rng.random() < handoff_p
        rows: dict[str, list[dict[str, Any]]] = {
            k: [] for k in ("conv", "stats", "parcel", "msg", "handoff", "csat", "case")
        }
        customer = 1
        while rng.random() < self.extra_customer_p and customer < 30:
            customer += 1
        unanswered = rng.random() < 0.015
        moment = created
        messages: list[dict[str, Any]] = []

        def message(role: str, text: str, agent_id: int | None = None) -> None:
            messages.append(
                {
                    "conversation_id": cid,
                    "role": role,
                    "text": text,
                    "channel": channel,
                    "agent_id": agent_id,
                    "pushed": role in ("agent", "system"),
                    "created_at": moment,
                }
            )

        stats: dict[str, Any] = {
            "conversation_id": cid,
            "created_at": created,
            "channel": channel,
            "language": language,
            "customer_messages": customer,
            "bot_messages": 0,
            "agent_messages": 0,
            "first_customer_at": created,
            "category": category,
            "exception_tracking_key": key if exception[0] else None,
            "exception_type": exception[0],
            "exception_reason": (exception[1] or "")[:200] or None,
        }
        for n in range(customer):
            text = rng.choice(CUSTOMER_TEXTS).format(n=key or "")
            message("customer", text)
            stats["last_customer_at"] = moment
            if unanswered and n == customer - 1:
                stats["unanswered_since"] = moment
                break
            moment += timedelta(seconds=rng.uniform(0.3, 2.5))
            message("bot", rng.choice(BOT_TEXTS))
            stats["bot_messages"] += 1
            moment += timedelta(seconds=rng.uniform(8, 90))
        stats["last_message_at"] = messages[-1]["created_at"]
        handoff: dict[str, Any] | None = None
        if handed_off:
            reason = _weighted(rng, REASONS)
            handoff_category = "complaint" if reason == COMPLAINT_REASON else (category or "consultation")
            waiting_since = moment
            handoff = {
                "conversation_id": cid,
                "reason": reason,
                "category": handoff_category,
                "priority": "normal",
                "tier": 1,
                "tracking_numbers": [key] if key else [],
                "status": HandoffStatus.RESOLVED.value,
                "waiting_since": waiting_since,
                "sla_due_at": waiting_since + timedelta(minutes=SLA_MINUTES.get(handoff_category, 15)),
            }
            stats.update(
                handoff_at=waiting_since,
                handoff_reason=reason,
                category=handoff_category,
                complained_at=waiting_since if reason == COMPLAINT_REASON else None,
            )
            message("system", "正在为您转接人工客服，当前排队第 2 位。")
            if rng.random() < 0.06:  # the customer left before an agent answered
                handoff["resolved_at"] = waiting_since + timedelta(seconds=_lognormal_seconds(rng, 600, 0.6))
            else:
                agent_id = rng.choice(self.agent_ids)
                wait = _lognormal_seconds(rng, 35, 1.3)
                handoff.update(
                    agent_id=agent_id,
                    claimed_at=waiting_since + timedelta(seconds=wait * 0.9),
                    first_agent_response_at=waiting_since + timedelta(seconds=wait),
                )
                moment = handoff["first_agent_response_at"]
                for _ in range(rng.randint(1, 6)):
                    message("agent", rng.choice(AGENT_TEXTS), agent_id)
                    stats["agent_messages"] += 1
                    moment += timedelta(seconds=rng.uniform(20, 120))
                stats["last_message_at"] = messages[-1]["created_at"]
                handoff["resolved_at"] = moment
                if rng.random() < 0.08:
                    handoff["status"] = HandoffStatus.RETURNED_TO_BOT.value
                elif rng.random() < 0.6:
                    rows["csat"].append(
                        {
                            "conversation_id": cid,
                            "score": self._score(CSAT_HUMAN),
                            "created_at": moment + timedelta(seconds=rng.uniform(5, 60)),
                            "_handoff": True,
                        }
                    )
            rows["handoff"].append(handoff)
            case_type = CASE_BY_CATEGORY.get(handoff_category)
            if case_type is not None and rng.random() < 0.4:
                rows["case"].append(self._case(cid, case_type, waiting_since, language))
        elif not unanswered and rng.random() < 0.3:
            stats["csat_asked_at"] = moment
            if rng.random() < 0.4:
                rows["csat"].append(
                    {
                        "conversation_id": cid,
                        "score": self._score(CSAT_BOT),
                        "created_at": moment + timedelta(seconds=rng.uniform(5, 120)),
                    }
                )
        rows["conv"].append(
            {
                "id": cid,
                "channel": channel,
                "channel_user_id": user,
                "state": ConversationState.CLOSED.value,
                "language": language,
                "verified": False,
                "created_at": created,
                "updated_at": messages[-1]["created_at"],
                "last_customer_message_at": stats["last_customer_at"],
            }
        )
        rows["stats"].append(stats)
        if key:
            rows["parcel"].append({"conversation_id": cid, "tracking_key": key, "created_at": created})
        rows["msg"] = messages
        return rows

    def _score(self, weights: tuple[float, ...]) -> int:
        return self.rng.choices((1, 2, 3, 4, 5), weights=weights)[0]

    def _case(self, cid: str, case_type: CaseType, opened: datetime, language: str) -> dict[str, Any]:
        rng = self.rng
        local_day = opened.astimezone(self.plan.tz).strftime("%Y%m%d")
        self.case_numbers[local_day] = self.case_numbers.get(local_day, 0) + 1
        resolve_by = opened + timedelta(hours=24)
        done = rng.random() < 0.9
        resolved_at = opened + timedelta(seconds=_lognormal_seconds(rng, 6 * 3600, 0.9)) if done else None
        stage = None
        if case_type in CLAIM_TYPES:
            stage = rng.choice(list(ClaimStage)).value if not done else ClaimStage.PAYOUT.value
        return {
            "reference": f"DM{local_day}-{self.case_numbers[local_day]:04d}",
            "type": case_type.value,
            "status": (CaseStatus.RESOLVED if done else CaseStatus.IN_PROGRESS).value,
            "stage": stage,
            "priority": "normal",
            "language": language,
            "summary": "demo",
            "details": {},
            "respond_by": opened + timedelta(minutes=15),
            "resolve_by": resolve_by,
            "due_at": resolve_by,
            "first_response_at": opened + timedelta(minutes=rng.uniform(1, 20)),
            "resolved_at": resolved_at,
            "created_at": opened,
            "updated_at": resolved_at or opened,
            "_conversation": cid,
        }


def _chunks(items: list[datetime], size: int) -> Iterator[list[datetime]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _agents(session: Session, count: int) -> list[int]:
    ids = []
    for n in range(1, count + 1):
        username = f"history-agent-{n:02d}"
        agent_id = session.execute(select(Agent.id).where(Agent.username == username)).scalar_one_or_none()
        if agent_id is None:
            agent = Agent(
                username=username,
                display_name=f"客服{n:02d}",
                password_hash="!demo-history",
                role="agent",
                tier=1,
                active=False,
            )
            session.add(agent)
            session.flush()
            agent_id = agent.id
        ids.append(agent_id)
    return ids


def _parcels(session: Session, limit: int = 50000) -> list[tuple[str, str | None, str | None]]:
    return [
        (key, kind, reason)
        for key, kind, reason in session.execute(
            select(Shipment.tracking_key, ShipmentException.type, ShipmentException.reason)
            .outerjoin(ShipmentException, ShipmentException.shipment_id == Shipment.id)
            .order_by(Shipment.id)
            .limit(limit)
        )
    ]


def generate(
    factory: sessionmaker, settings: Settings, plan: Plan, progress: Callable[[int], None] | None = None
) -> Written:
    """Write the planned history; `progress(n)` after each chunk of n conversations."""
    with factory() as session:
        agent_ids = _agents(session, plan.agents)
        parcels = _parcels(session)
        session.commit()
    if not parcels:
        rng = random.Random(plan.seed + 1)
        parcels = [(f"SF{rng.randrange(10**12, 10**13)}", None, None) for _ in range(5000)]
    maker = _Maker(plan, parcels, agent_ids)
    written = Written()
    for times in _chunks(maker.start_times(), plan.chunk):
        batch: dict[str, list[dict[str, Any]]] = {}
        for created in times:
            for name, rows in maker.conversation(created).items():
                batch.setdefault(name, []).extend(rows)
        _write(factory, batch, written)
        if progress is not None:
            progress(len(times))
    with factory() as session:  # who came back about what, as the gateway links it
        recompute_contact_links(session)
        session.commit()
    return written


def _write(factory: sessionmaker, batch: dict[str, list[dict[str, Any]]], written: Written) -> None:
    with factory() as session:
        session.execute(insert(Conversation), batch["conv"])
        session.execute(insert(ConversationStats), [_complete_stats(row) for row in batch["stats"]])
        if batch["parcel"]:
            session.execute(insert(ConversationParcel), batch["parcel"])
        session.execute(insert(Message), batch["msg"])
        handoff_ids: dict[str, int] = {}
        if batch["handoff"]:
            session.execute(insert(Handoff), [_complete_handoff(row) for row in batch["handoff"]])
            ids = [row["conversation_id"] for row in batch["handoff"]]
            handoff_ids = dict(
                session.execute(
                    select(Handoff.conversation_id, Handoff.id).where(Handoff.conversation_id.in_(ids))
                ).all()
            )
        answers = [
            {
                "conversation_id": row["conversation_id"],
                "score": row["score"],
                "created_at": row["created_at"],
                "handoff_id": handoff_ids.get(row["conversation_id"]) if row.get("_handoff") else None,
            }
            for row in batch["csat"]
        ]
        if answers:
            session.execute(insert(CsatAnswer), answers)
        if batch["case"]:
            session.execute(
                insert(Case), [{k: v for k, v in row.items() if not k.startswith("_")} for row in batch["case"]]
            )
            references = {row["reference"]: row["_conversation"] for row in batch["case"]}
            links = [
                {"case_id": case_id, "conversation_id": references[reference], "linked_at": opened}
                for case_id, reference, opened in session.execute(
                    select(Case.id, Case.reference, Case.created_at).where(Case.reference.in_(list(references)))
                )
            ]
            session.execute(insert(CaseConversation), links)
        session.commit()
    written.conversations += len(batch["conv"])
    written.messages += len(batch["msg"])
    written.handoffs += len(batch["handoff"])
    written.csat_answers += len(answers)
    written.cases += len(batch["case"])
    written.parcels += len(batch["parcel"])


_STATS_COLUMNS = (
    "unanswered_since",
    "handoff_at",
    "handoff_reason",
    "complained_at",
    "csat_asked_at",
    "last_customer_at",
    "category",
    "exception_tracking_key",
    "exception_type",
    "exception_reason",
)
_HANDOFF_COLUMNS = ("agent_id", "claimed_at", "first_agent_response_at", "resolved_at")


def _complete_stats(row: dict[str, Any]) -> dict[str, Any]:
    """Every row of an executemany needs the same keys."""
    return {**dict.fromkeys(_STATS_COLUMNS), **row}


def _complete_handoff(row: dict[str, Any]) -> dict[str, Any]:
    return {**dict.fromkeys(_HANDOFF_COLUMNS), **row}
