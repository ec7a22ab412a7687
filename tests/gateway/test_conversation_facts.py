"""What the gateway records for the reports as conversations happen (through the real
router, fake Rasa): counters and answers, parcels and their exceptions, handoff
requests, contacts ending after a quiet spell and linked to the next one; and the
satisfaction question for conversations the bot handled alone (on goodbye, or when a
finished conversation goes quiet; never mid-flow, never twice, never after a human)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.gateway.keys import DB_KEY, ROUTER_KEY
from bot.gateway.models import Conversation, ConversationParcel, ConversationStats, CsatAnswer
from bot.store.models import Shipment, ShipmentException
from tests.gateway.conftest import say, secret_headers

SF1 = "SF1402345678901"


def conversations_of(client: Any, sender: str) -> list[tuple[Conversation, ConversationStats]]:
    with client.app[DB_KEY].session() as session:
        return list(
            session.execute(
                select(Conversation, ConversationStats)
                .join(ConversationStats)
                .where(Conversation.channel_user_id == sender)
                .order_by(Conversation.created_at)
            ).all()
        )


def add_delayed_parcel(client: Any) -> None:
    with client.app[DB_KEY].session() as session:
        shipment = Shipment(
            tracking_key=SF1,
            tracking_number=SF1,
            carrier="SF",
            status="in_transit",
            origin="深圳市",
            destination="北京市朝阳区",
        )
        session.add(shipment)
        session.flush()
        session.add(ShipmentException(shipment_id=shipment.id, type="delay", reason="暴雨"))


async def pushed(client: Any, sender: str) -> list[dict[str, Any]]:
    response = await client.get(
        "/webhooks/rest/messages", params={"sender": sender, "since": 0}, headers=secret_headers(client, sender)
    )
    return await response.json()


async def test_counters_parcels_and_handoff_are_recorded(client: Any, fake_rasa: Any) -> None:
    add_delayed_parcel(client)
    await say(client, "c1", f"{SF1} 到哪了")
    [(conversation, stats)] = conversations_of(client, "c1")
    assert (stats.customer_messages, stats.bot_messages, stats.unanswered_since) == (1, 1, None)
    assert (stats.channel, stats.created_at) == ("rest", conversation.created_at)
    assert (stats.exception_type, stats.exception_reason, stats.category) == ("delay", "暴雨", "delay")
    await say(client, "c1", "转人工")
    [(_, stats)] = conversations_of(client, "c1")
    assert (stats.handoff_reason, stats.category, stats.complained_at) == ("customer_request", "delay", None)
    assert stats.handoff_at is not None
    await say(client, "c1", "还在吗")  # queued: a notice is no answer
    [(_, stats)] = conversations_of(client, "c1")
    assert stats.customer_messages == 3 and stats.unanswered_since is not None
    with client.app[DB_KEY].session() as session:
        assert session.execute(select(ConversationParcel.tracking_key)).scalars().all() == [SF1]


async def test_a_quiet_conversation_ends_and_the_next_one_is_linked(client: Any, clock: Any, settings: Any) -> None:
    await say(client, "c2", f"{SF1} 到哪了")
    clock.advance(minutes=119)
    await say(client, "c2", "还有个问题")  # still the same conversation
    assert len(conversations_of(client, "c2")) == 1
    clock.advance(minutes=121)
    await say(client, "c2", "又是我")
    (first, first_stats), (second, second_stats) = conversations_of(client, "c2")
    assert first.state == "closed" and second.state == "bot"
    assert first_stats.next_contact_at == second.created_at
    assert second_stats.previous_contact_end_at == first_stats.last_message_at
    await say(client, "someone-else", f"{SF1} 呢")  # another customer about the same parcel
    assert conversations_of(client, "c2")[0][1].next_parcel_contact_at is not None


async def test_goodbye_brings_the_satisfaction_question_once(client: Any, settings: Any) -> None:
    await say(client, "c3", "你好")
    replies = await say(client, "c3", "再见")
    assert [r.get("text", "")[:6] for r in replies] == ["感谢您的咨询", "请问您对本次"]
    assert [b["payload"] for b in replies[1]["buttons"]] == ["1", "2", "3", "4", "5"]
    assert not any("custom" in r for r in replies)  # the marker stays between bot and gateway
    [(conversation, stats)] = conversations_of(client, "c3")
    assert conversation.state == "csat_pending" and stats.csat_asked_at is not None
    replies = await say(client, "c3", "5")
    assert replies[0]["text"].startswith("感谢您的评价")
    with client.app[DB_KEY].session() as session:
        answer = session.execute(select(CsatAnswer)).scalar_one()
    assert (answer.score, answer.handoff_id) == (5, None)
    # A new conversation the same day: no second survey.
    replies = await say(client, "c3", "再见")
    assert [r.get("text", "")[:6] for r in replies] == ["感谢您的咨询"]


async def test_quiet_finished_conversation_is_asked_then_goes_on(client: Any, clock: Any, settings: Any) -> None:
    survey = client.app[ROUTER_KEY].survey
    await say(client, "c4", "运费多少")
    clock.advance(minutes=9)
    assert await survey.ask_quiet_conversations() == 0  # not quiet long enough
    clock.advance(minutes=2)
    assert await survey.ask_quiet_conversations() == 1
    [question] = await pushed(client, "c4")
    assert question["text"].startswith("请问您对本次智能客服的服务满意吗")
    replies = await say(client, "c4", "那多久能到")  # not a score: the bot carries on
    assert replies[0]["text"] == "echo: 那多久能到"
    [(conversation, stats)] = conversations_of(client, "c4")
    assert conversation.state == "bot" and stats.customer_messages == 2
    clock.advance(minutes=30)
    assert await survey.ask_quiet_conversations() == 0  # never twice


async def test_no_question_mid_flow_after_a_human_or_while_the_bot_is_down(
    client: Any, clock: Any, settings: Any, fake_rasa: Any
) -> None:
    survey = client.app[ROUTER_KEY].survey
    await say(client, "waiting", "我要改地址")
    [(conversation, _)] = conversations_of(client, "waiting")
    fake_rasa.slots[conversation.id] = {"awaiting": "new_address"}
    await say(client, "human", "转人工")
    await say(client, "down", "你好")
    clock.advance(minutes=11)
    fake_rasa.down_status = 500
    assert await survey.ask_quiet_conversations() == 0  # postponed
    fake_rasa.down_status = None
    assert await survey.ask_quiet_conversations() == 1  # only "down", now that the bot answers
    assert [c.state for c, _ in conversations_of(client, "waiting")] == ["bot"]
    assert [c.state for c, _ in conversations_of(client, "human")] == ["queued"]
    assert [c.state for c, _ in conversations_of(client, "down")] == ["csat_pending"]
    fake_rasa.slots[conversation.id] = {}
    await say(client, "waiting", "北京市朝阳区望京街1号")  # the flow finished: asked once it is quiet
    clock.advance(minutes=11)
    assert await survey.ask_quiet_conversations() == 1


async def test_privacy_purge_keeps_the_counts_not_the_parcels(client: Any, settings: Any) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from bot.clock import utcnow
    from bot.privacy import purge

    add_delayed_parcel(client)
    await say(client, "old", f"{SF1} 到哪了")
    [(conversation, _)] = conversations_of(client, "old")
    with client.app[DB_KEY].session() as session:
        session.execute(
            update(Conversation)
            .where(Conversation.id == conversation.id)
            .values(updated_at=utcnow() - timedelta(days=40))
        )
    purge(settings, timedelta(days=30))
    with client.app[DB_KEY].session() as session:
        stats = session.get(ConversationStats, conversation.id)
        assert (stats.customer_messages, stats.bot_messages, stats.exception_type) == (1, 1, "delay")
        assert stats.exception_tracking_key is None
        assert session.execute(select(ConversationParcel)).scalars().all() == []
