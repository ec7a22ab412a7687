"""Building conversation histories for the metric tests, at exact times, through the
gateway's own write functions (messages counted by `add_message`, parcels and handoff
requests noted by `bot.gateway.stats`), so the tests also check what the gateway records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import update

from bot.contract import ConversationState, HandoffStatus
from bot.gateway import stats
from bot.gateway.db import Database, add_message
from bot.gateway.models import (
    Agent,
    Conversation,
    CsatAnswer,
    Handoff,
)
from bot.store.models import Shipment, ShipmentException

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: date, hour: int, minute: int = 0, second: int = 0, tz: tzinfo = SHANGHAI) -> datetime:
    """A local wall-clock time in the business time zone, as an aware UTC datetime."""
    return datetime.combine(day, time(hour, minute, second), tz).astimezone(timezone.utc)


@dataclass
class Chat:
    history: History
    id: str
    handoff_id: int | None = None

    def say(self, role: str, at: datetime, text: str = "…", agent_id: int | None = None) -> Chat:
        with self.history.db.session() as session:
            conversation = session.get(Conversation, self.id)
            add_message(session, conversation, role, text, agent_id=agent_id, now=at)
            if role == "customer":
                conversation.last_customer_message_at = at
                stats.note_parcels_in_text(session, self.id, text, at)
        return self

    def hand_off(
        self,
        at: datetime,
        reason: str,
        category: str,
        sla_minutes: int,
        tracking_numbers: tuple[str, ...] = (),
        bot_says: bool = True,
    ) -> Chat:
        """The bot's handoff: its message (none when the gateway queues because the bot is
        down), then the queue item, as the router does."""
        if bot_says:
            self.say("bot", at, "正在为您转接人工客服")
        with self.history.db.session() as session:
            stats.note_handoff(session, self.id, reason, category, at)
            stats.note_parcels(session, self.id, tracking_numbers, at)
            handoff = Handoff(
                conversation_id=self.id,
                reason=reason,
                category=category,
                priority="normal",
                tier=1,
                status=HandoffStatus.WAITING.value,
                waiting_since=at,
                sla_due_at=at + timedelta(minutes=sla_minutes),
                tracking_numbers=list(tracking_numbers),
            )
            session.add(handoff)
            session.flush()
            self.handoff_id = handoff.id
            session.get(Conversation, self.id).state = "queued"
        return self

    def claim(self, at: datetime, agent: str = "alice") -> Chat:
        agent_id = self.history.agent(agent)
        with self.history.db.session() as session:
            handoff = session.get(Handoff, self.handoff_id)
            handoff.status, handoff.agent_id, handoff.claimed_at = HandoffStatus.ASSIGNED.value, agent_id, at
            session.get(Conversation, self.id).state = "agent"
        return self

    def agent_says(self, at: datetime, agent: str = "alice") -> Chat:
        agent_id = self.history.agent(agent)
        self.say("agent", at, "您好，我来帮您处理", agent_id=agent_id)
        with self.history.db.session() as session:
            handoff = session.get(Handoff, self.handoff_id)
            if handoff.first_agent_response_at is None:
                handoff.first_agent_response_at = at
        return self

    def close(self, at: datetime, status: str = HandoffStatus.RESOLVED.value) -> Chat:
        with self.history.db.session() as session:
            handoff = session.get(Handoff, self.handoff_id)
            handoff.status, handoff.resolved_at = status, at
            session.get(Conversation, self.id).state = "csat_pending"
        return self

    def rate(self, score: int, at: datetime) -> Chat:
        """A satisfaction answer: after an agent's chat when there was a handoff, else the bot's."""
        with self.history.db.session() as session:
            if self.handoff_id is None:
                stats.mark_csat_asked(session, self.id, at - timedelta(seconds=1))
            session.add(CsatAnswer(conversation_id=self.id, handoff_id=self.handoff_id, score=score, created_at=at))
            session.get(Conversation, self.id).state = ConversationState.CLOSED.value
        return self


class History:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._agents: dict[str, int] = {}

    def agent(self, username: str) -> int:
        if username not in self._agents:
            with self.db.session() as session:
                agent = Agent(
                    username=username, display_name=username.capitalize(), password_hash="x", role="agent", tier=1
                )
                session.add(agent)
                session.flush()
                self._agents[username] = agent.id
        return self._agents[username]

    def shipment(
        self,
        number: str,
        carrier: str,
        origin: str,
        destination: str,
        exception: str | None = None,
        reason: str | None = None,
        reported_at: datetime | None = None,
    ) -> None:
        with self.db.session() as session:
            shipment = Shipment(
                tracking_key=number,
                tracking_number=number,
                carrier=carrier,
                carrier_name=carrier,
                status="exception" if exception else "in_transit",
                origin=origin,
                destination=destination,
            )
            session.add(shipment)
            session.flush()
            if exception:
                session.add(
                    ShipmentException(shipment_id=shipment.id, type=exception, reason=reason, reported_at=reported_at)
                )

    def chat(
        self,
        user: str,
        at: datetime,
        text: str = "你好",
        channel: str = "rest",
        language: str = "zh",
        answered: bool = True,
    ) -> Chat:
        """A conversation opened by a customer message at `at`; the bot answers 2 s later
        unless `answered` is False."""
        with self.db.session() as session:
            # The customer's earlier contact on the channel is over (the router closes it when
            # the next one starts): one open conversation per customer (uq_gw_conversations_open).
            session.execute(
                update(Conversation)
                .where(
                    Conversation.channel == channel,
                    Conversation.channel_user_id == user,
                    Conversation.state != "closed",
                )
                .values(state="closed")
                .execution_options(synchronize_session=False)
            )
            conversation = Conversation(
                channel=channel,
                channel_user_id=user,
                state="bot",
                language=language,
                verified=False,
                created_at=at,
                updated_at=at,
            )
            session.add(conversation)
            session.flush()
            stats.open_conversation(session, conversation)
            chat = Chat(self, conversation.id)
        chat.say("customer", at, text)
        if answered:
            chat.say("bot", at + timedelta(seconds=2), "好的")
        return chat


SF1, JD1 = "SF1402345678901", "JDVA01234567890"
MON = date(2024, 5, 6)  # the canonical week: Monday 2024-05-06 .. Sunday 2024-05-12, Asia/Shanghai
REPORT_TIME = local(date(2024, 5, 20), 12)


def day(n: int) -> date:
    return MON + timedelta(days=n)


def canonical_week(h: History) -> None:
    """The week the metric tests know by heart (their numbers are worked out by hand).

    The week 2024-05-06 (Mon) .. 2024-05-12 in Asia/Shanghai; report time 2024-05-20.

     conv user  local start        what happens                                        category
     A    u1    05-06 10:00        asks about SF1 (delay); bot answers                  delay
     B    u2    05-07 09:00 (en)   asks about SF1 again (another customer, 23 h later)  delay
     C    u3    05-06 23:50        chats with the bot until 00:15 the next day          consultation
     D    u4    05-07 00:30        (16:30 UTC on 05-06) hands off 00:31 (request, delay,
                                   SLA 15'), claimed 00:32, answered 00:33 (120 s),
                                   closed 00:40 (handled 480 s), rates 5                delay
     E    u5    05-08 14:00        complaint about JD1 (damaged), hands off 14:01
                                   (SLA 30'), never answered: still waiting             complaint
     F    u6    05-08 15:00        hands off 15:01 (misunderstanding, SLA 30'), claimed
                                   15:40, answered 15:41 (2400 s, late), closed 15:50
                                   (600 s), rates 2                                     consultation
     G    u7    05-09 11:00 wechat bot only, rates the bot 4; u7 back 6 days later (H)  consultation
     I    u8    05-09 12:00 wechat bot only; u8 back 8 days later (J)                   consultation
     K    u9    05-09 13:00        the bot is down: queued as system_busy with no
                                   answer, closed from the queue at 13:05               consultation
     L    u10   05-10 09:00        the bot never answers                                consultation
     H, J: 05-15, 05-17, after the period.
    """
    h.shipment(SF1, "SF", "深圳市南山区", "北京市朝阳区", "delay", "当地暴雨导致道路中断")
    h.shipment(JD1, "JD", "上海市浦东新区", "南京市鼓楼区", "damaged", "外包装严重破损")
    h.chat("u1", local(day(0), 10), f"{SF1} 到哪了")  # A
    h.chat("u2", local(day(1), 9), f"where is {SF1}", language="en")  # B
    c = h.chat("u3", local(day(0), 23, 50))  # C
    c.say("customer", local(day(1), 0, 15), "还有个问题").say("bot", local(day(1), 0, 15, 2))
    d = h.chat("u4", local(day(1), 0, 30), "我要转人工")  # D
    d.hand_off(local(day(1), 0, 31), "customer_request", "delay", 15)
    d.claim(local(day(1), 0, 32)).agent_says(local(day(1), 0, 33)).close(local(day(1), 0, 40))
    d.rate(5, local(day(1), 0, 41))
    e = h.chat("u5", local(day(2), 14), f"{JD1} 摔坏了，我要投诉")  # E
    e.hand_off(local(day(2), 14, 1), "complaint", "complaint", 30, (JD1,))
    f = h.chat("u6", local(day(2), 15), "？？")  # F
    f.hand_off(local(day(2), 15, 1), "repeated_misunderstanding", "consultation", 30)
    f.claim(local(day(2), 15, 40), "bob").agent_says(local(day(2), 15, 41), "bob").close(local(day(2), 15, 50))
    f.rate(2, local(day(2), 15, 51))
    h.chat("u7", local(day(3), 11), "运费多少", channel="wechat").rate(4, local(day(3), 11, 10))  # G
    h.chat("u7", local(day(9), 11), channel="wechat")  # H
    h.chat("u8", local(day(3), 12), channel="wechat")  # I
    h.chat("u8", local(day(11), 12), channel="wechat")  # J
    k = h.chat("u9", local(day(3), 13), "在吗", answered=False)  # K
    k.hand_off(local(day(3), 13, 0, 1), "system_busy", "consultation", 30, bot_says=False)
    k.close(local(day(3), 13, 5))
    h.chat("u10", local(day(4), 9), answered=False)  # L
