"""Agent API: authentication, visibility, queue ordering, claims, the agent's chat
actions (reply, note, escalate, resolve + CSAT, hand back), SLA flag, after-hours tickets (cases)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select

from bot.clock import utcnow
from bot.gateway.db import Database, assigned_count
from bot.gateway.keys import DB_KEY, SETTINGS_KEY
from bot.gateway.models import AgentToken, Conversation, CsatAnswer, Handoff, Note
from bot.gateway.queue import claim_handoff
from tests.gateway.conftest import add_agent, login, queue_items, say, secret_headers, sender


def settings_of(client):
    return client.app[SETTINGS_KEY]


async def handoff(client, fake_rasa, sender, **payload):
    fake_rasa.handoff = payload or None
    await say(client, sender, "转人工")
    fake_rasa.handoff = None


async def test_every_route_but_login_needs_a_token(client):
    routes = [
        ("GET", "/api/me"),
        ("GET", "/api/queue"),
        ("GET", "/api/conversations"),
        ("GET", "/api/conversations/x"),
        ("POST", "/api/handoffs/1/claim"),
        ("POST", "/api/conversations/x/messages"),
        ("POST", "/api/conversations/x/notes"),
        ("POST", "/api/conversations/x/escalate"),
        ("POST", "/api/conversations/x/resolve"),
        ("POST", "/api/conversations/x/handback"),
        ("GET", "/api/canned-replies"),
        ("GET", "/api/cases"),
        ("GET", "/api/cases/1"),
        ("POST", "/api/cases/1/status"),
        ("POST", "/api/logout"),
        ("GET", "/api/ws"),
        ("GET", "/api/nothing-here"),
    ]
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
            response = await client.request(method, path, headers=headers)
            assert response.status == 401, (method, path, headers)
            assert (await response.json())["error"] == "unauthorized"


async def test_login_logout_and_me(client):
    add_agent(settings_of(client), "amy", tier=2, display_name="小艾")
    bad = await client.post("/api/login", json={"username": "amy", "password": "wrong"})
    assert bad.status == 401 and (await bad.json())["error"] == "invalid_credentials"
    unknown = await client.post("/api/login", json={"username": "nobody", "password": "x"})
    assert unknown.status == 401
    assert (await client.post("/api/login", data=b"{")).status == 400
    assert (await client.post("/api/login", json={"username": 1, "password": "x"})).status == 400
    response = await client.post("/api/login", json={"username": "amy", "password": "pw-xxxxxxxx"})
    body = await response.json()
    assert body["agent"] == {
        "id": body["agent"]["id"],
        "username": "amy",
        "display_name": "小艾",
        "role": "agent",
        "tier": 2,
    }
    headers = {"Authorization": f"Bearer {body['token']}"}
    me = await (await client.get("/api/me", headers=headers)).json()
    assert me["agent"]["username"] == "amy" and me["assigned"] == 0 and me["max_chats"] == 5
    with client.app[DB_KEY].session() as session:  # only a digest of the token is stored
        stored = session.execute(select(AgentToken.token_hash)).scalar_one()
    assert body["token"] not in stored and len(stored) == 64
    assert (await client.post("/api/logout", headers=headers)).status == 200
    assert (await client.get("/api/me", headers=headers)).status == 401


async def test_login_is_throttled(client):
    add_agent(settings_of(client), "eve")
    for _ in range(10):
        await client.post("/api/login", json={"username": "eve", "password": "guess"})
    blocked = await client.post("/api/login", json={"username": "eve", "password": "pw-xxxxxxxx"})
    assert blocked.status == 429


async def test_queue_order_and_tier_visibility(client, fake_rasa):
    await handoff(client, fake_rasa, "n1", priority="normal")
    await handoff(client, fake_rasa, "h1", priority="high")
    await handoff(client, fake_rasa, "u1", priority="urgent", category="loss")
    await handoff(client, fake_rasa, "n2", priority="normal")
    await handoff(client, fake_rasa, "t2", priority="urgent", tier=2)
    settings = settings_of(client)
    add_agent(settings, "front", tier=1)
    add_agent(settings, "spec", tier=2)
    add_agent(settings, "boss", role="supervisor", tier=3)
    front = await queue_items(client, await login(client, "front"))
    assert [sender(i) for i in front] == ["u1", "h1", "n1", "n2"]  # priority, then waiting time
    spec = await queue_items(client, await login(client, "spec"))
    assert [sender(i) for i in spec] == ["u1", "t2", "h1", "n1", "n2"]
    boss = await queue_items(client, await login(client, "boss"))
    assert len(boss) == 5
    item = front[0]
    assert set(item) >= {
        "handoff_id",
        "conversation_id",
        "sender_id",
        "channel",
        "reason",
        "category",
        "priority",
        "tier",
        "waiting_since",
        "sla_due_at",
        "sla_breached",
        "summary",
        "tracking_numbers",
        "preview",
    }
    assert item["preview"] == "转人工"
    # A tier-1 agent may neither see nor claim a tier-2 item.
    t2 = next(i for i in spec if sender(i) == "t2")
    front_headers = await login(client, "front")
    assert (await client.get(f"/api/conversations/{t2['conversation_id']}", headers=front_headers)).status == 403
    assert (await client.post(f"/api/handoffs/{t2['handoff_id']}/claim", headers=front_headers)).status == 403
    assert (await client.post("/api/handoffs/999/claim", headers=front_headers)).status == 404


async def test_concurrent_claims_exactly_one_wins(client, fake_rasa):
    await handoff(client, fake_rasa, "race")
    settings = settings_of(client)
    names = [f"agent{i}" for i in range(8)]
    for name in names:
        add_agent(settings, name)
    headers = [await login(client, name) for name in names]
    item = (await queue_items(client, headers[0]))[0]
    responses = await asyncio.gather(
        *[client.post(f"/api/handoffs/{item['handoff_id']}/claim", headers=h) for h in headers]
    )
    statuses = sorted(r.status for r in responses)
    assert statuses == [200] + [409] * 7
    for response in responses:
        if response.status == 409:
            assert (await response.json())["error"] == "already_claimed"
    assert await queue_items(client, headers[0]) == []


def _race_setup(url, handoffs, agents):
    from bot.gateway.auth import hash_password
    from bot.gateway.models import Agent

    db = Database(url)
    db.init()
    now = utcnow()
    with db.session() as session:
        items = []
        for index in range(handoffs):
            conversation = Conversation(channel="rest", channel_user_id=f"c{index}", state="queued")
            session.add(conversation)
            session.flush()
            items.append(
                Handoff(conversation_id=conversation.id, sla_due_at=now + timedelta(minutes=15), waiting_since=now)
            )
        rows = [
            Agent(username=f"a{i}", display_name=f"A{i}", password_hash=hash_password("x", 1000)) for i in range(agents)
        ]
        session.add_all(items + rows)
        session.flush()
        return db, [h.id for h in items], [a.id for a in rows]


def _claim_in_threads(db, claims, cap):
    """(handoff id, agent id) claims at once, each on its own connection; who won."""

    def attempt(claim):
        with db.session() as session:
            return claim_handoff(session, claim[0], claim[1], cap=cap, now=utcnow())

    with ThreadPoolExecutor(max_workers=len(claims)) as pool:
        return list(pool.map(attempt, claims))


def test_atomic_claim_with_threads(database_url):
    """The claim is one conditional UPDATE: racing database connections, one winner."""
    db, (handoff_id,), agent_ids = _race_setup(database_url, handoffs=1, agents=16)

    results = _claim_in_threads(db, [(handoff_id, agent_id) for agent_id in agent_ids], cap=5)
    assert results.count(True) == 1
    with db.session() as session:
        winner = session.get(Handoff, handoff_id)
        assert winner.status == "assigned" and winner.agent_id == agent_ids[results.index(True)]
    db.dispose()


def test_cap_holds_when_one_agent_claims_many_at_once(database_url):
    """One agent's claims racing on different items (two consoles, two gateway
    processes): the cap still holds."""
    db, handoff_ids, (agent_id,) = _race_setup(database_url, handoffs=12, agents=1)

    results = _claim_in_threads(db, [(handoff_id, agent_id) for handoff_id in handoff_ids], cap=3)
    assert results.count(True) == 3
    with db.session() as session:
        assert assigned_count(session, agent_id) == 3
    db.dispose()


async def test_cap_on_concurrent_chats(client, fake_rasa):
    for name in ("c1", "c2", "c3"):
        await handoff(client, fake_rasa, name)
    add_agent(settings_of(client), "capped", max_chats=2)
    headers = await login(client, "capped")
    items = await queue_items(client, headers)
    for item in items[:2]:
        assert (await client.post(f"/api/handoffs/{item['handoff_id']}/claim", headers=headers)).status == 200
    third = await client.post(f"/api/handoffs/{items[2]['handoff_id']}/claim", headers=headers)
    assert third.status == 409 and (await third.json())["error"] == "cap_reached"
    mine = await (await client.get("/api/conversations", headers=headers)).json()
    assert sorted(sender(c) for c in mine["items"]) == ["c1", "c2"]


async def test_agent_chat_escalate_resolve_csat(client, fake_rasa):
    await handoff(client, fake_rasa, "cust", category="damage", priority="high")
    settings = settings_of(client)
    add_agent(settings, "li", display_name="小李")
    add_agent(settings, "wang", tier=2, display_name="王经理")
    add_agent(settings, "other")
    li, wang, other = await login(client, "li"), await login(client, "wang"), await login(client, "other")
    item = (await queue_items(client, li))[0]
    cid = item["conversation_id"]
    assert (await client.post(f"/api/handoffs/{item['handoff_id']}/claim", headers=li)).status == 200
    joined = await (
        await client.get(
            "/webhooks/rest/messages", params={"sender": "cust", "since": 0}, headers=secret_headers(client, "cust")
        )
    ).json()
    assert joined[-1]["text"] == "客服 小李 已接入，很高兴为您服务。"
    # Another agent cannot read or write this chat any more.
    assert (await client.get(f"/api/conversations/{cid}", headers=other)).status == 403
    assert (await client.post(f"/api/conversations/{cid}/messages", headers=other, json={"text": "hi"})).status == 403
    # Customer and agent talk; the bot stays silent.
    assert await say(client, "cust", "箱子压坏了") == []
    sent = await client.post(f"/api/conversations/{cid}/messages", headers=li, json={"text": "请拍照发给我"})
    message = (await sent.json())["message"]
    assert message["role"] == "agent" and message["agent"] == "小李"
    for bad in ({}, {"text": ""}, {"text": 5}, {"text": "x" * 4001}):
        assert (await client.post(f"/api/conversations/{cid}/messages", headers=li, json=bad)).status == 400
    assert (
        await client.post(f"/api/conversations/{cid}/notes", headers=li, json={"text": "客户情绪激动"})
    ).status == 200
    detail = await (await client.get(f"/api/conversations/{cid}", headers=li)).json()
    assert [m["role"] for m in detail["messages"]] == ["customer", "bot", "system", "system", "customer", "agent"]
    assert detail["notes"][0]["text"] == "客户情绪激动" and detail["handoff"]["first_agent_response_at"]
    assert detail["conversation"]["state"] == "agent"
    # Escalate: back to the queue one tier up, visible to the specialist only.
    escalated = await client.post(f"/api/conversations/{cid}/escalate", headers=li, json={"note": "需要理赔专员"})
    assert escalated.status == 200 and (await escalated.json())["handoff"]["tier"] == 2
    assert await queue_items(client, li) == []
    spec_item = (await queue_items(client, wang))[0]
    assert spec_item["waiting_since"] == item["waiting_since"]
    assert (await client.post(f"/api/handoffs/{spec_item['handoff_id']}/claim", headers=wang)).status == 200
    with client.app[DB_KEY].session() as session:
        notes = [n.text for n in session.execute(select(Note).order_by(Note.id)).scalars()]
    assert "需要理赔专员" in notes[-1]
    # Resolve: the customer gets the 1-5 question with buttons, then answers.
    assert (await client.post(f"/api/conversations/{cid}/resolve", headers=wang)).status == 200
    pushed = await (
        await client.get(
            "/webhooks/rest/messages", params={"sender": "cust", "since": 0}, headers=secret_headers(client, "cust")
        )
    ).json()
    csat = pushed[-1]
    assert "1-5" in csat["text"] and [b["payload"] for b in csat["buttons"]] == ["1", "2", "3", "4", "5"]
    thanks = await say(client, "cust", "5")
    assert "感谢您的评价" in thanks[0]["text"]
    with client.app[DB_KEY].session() as session:
        answer = session.execute(select(CsatAnswer)).scalar_one()
        assert answer.score == 5 and answer.conversation_id == cid
        assert session.get(Conversation, cid).state == "closed"
    # The next message starts a fresh conversation with the bot.
    assert (await say(client, "cust", "你好"))[0]["text"] == "echo: 你好"
    with client.app[DB_KEY].session() as session:
        states = sorted(c.state for c in session.execute(select(Conversation)).scalars())
    assert states == ["bot", "closed"]


async def test_csat_other_answer_goes_to_the_bot(client, fake_rasa):
    await handoff(client, fake_rasa, "skip")
    add_agent(settings_of(client), "zhao")
    headers = await login(client, "zhao")
    item = (await queue_items(client, headers))[0]
    await client.post(f"/api/handoffs/{item['handoff_id']}/claim", headers=headers)
    await client.post(f"/api/conversations/{item['conversation_id']}/resolve", headers=headers)
    replies = await say(client, "skip", "还有一个件 SF1402345678901")
    assert replies[0]["text"] == "echo: 还有一个件 SF1402345678901"
    with client.app[DB_KEY].session() as session:
        assert session.execute(select(CsatAnswer)).first() is None


async def test_handback_resets_the_bot(client, fake_rasa):
    await handoff(client, fake_rasa, "back", language="en")
    add_agent(settings_of(client), "sun", display_name="Sun")
    headers = await login(client, "sun")
    item = (await queue_items(client, headers))[0]
    await client.post(f"/api/handoffs/{item['handoff_id']}/claim", headers=headers)
    response = await client.post(f"/api/conversations/{item['conversation_id']}/handback", headers=headers)
    assert response.status == 200 and (await response.json())["conversation"]["state"] == "bot"
    assert fake_rasa.events == [(item["conversation_id"], {"event": "slot", "name": "handed_off", "value": False})]
    pushed = await (
        await client.get(
            "/webhooks/rest/messages", params={"sender": "back", "since": 0}, headers=secret_headers(client, "back")
        )
    ).json()
    assert pushed[0]["text"].startswith("Sun from customer service has joined")
    assert pushed[-1]["text"].startswith("The assistant is back")
    assert (await say(client, "back", "thanks"))[0]["text"] == "echo: thanks"
    # Actions on a chat that is not assigned any more are refused.
    again = await client.post(f"/api/conversations/{item['conversation_id']}/resolve", headers=headers)
    assert again.status in (403, 409)


async def test_sla_breach_flag(client, fake_rasa, clock):
    await handoff(client, fake_rasa, "late", category="loss")  # 15 minutes
    await handoff(client, fake_rasa, "calm", category="consultation")  # 30 minutes
    add_agent(settings_of(client), "qian")
    headers = await login(client, "qian")
    items = await queue_items(client, headers)
    assert not any(i["sla_breached"] for i in items)
    clock.advance(minutes=16)
    headers = await login(client, "qian")
    flags = {sender(i): i["sla_breached"] for i in await queue_items(client, headers)}
    assert flags == {"late": True, "calm": False}
    # Answered late stays breached; a bot-provided sla_minutes wins over the category default.
    await handoff(client, fake_rasa, "vip", category="consultation", sla_minutes=5)
    vip = next(i for i in await queue_items(client, headers) if sender(i) == "vip")
    clock.advance(minutes=6)
    assert (await client.post(f"/api/handoffs/{vip['handoff_id']}/claim", headers=headers)).status == 200
    await client.post(f"/api/conversations/{vip['conversation_id']}/messages", headers=headers, json={"text": "在的"})
    detail = await (await client.get(f"/api/conversations/{vip['conversation_id']}", headers=headers)).json()
    assert detail["handoff"]["sla_breached"] is True


async def test_transcript_masks_personal_data_unless_verified(client, fake_rasa):
    await say(client, "pii", "我叫张三，电话13812345678")
    await handoff(client, fake_rasa, "pii")
    await say(client, "ok", "我叫李四，电话13912345678")
    await handoff(client, fake_rasa, "ok", verified=True)
    add_agent(settings_of(client), "sup", role="supervisor", tier=3)
    headers = await login(client, "sup")
    items = {sender(i): i for i in await queue_items(client, headers)}
    masked = await (await client.get(f"/api/conversations/{items['pii']['conversation_id']}", headers=headers)).json()
    first = masked["messages"][0]["text"]
    assert "13812345678" not in first and "138****5678" in first
    clear = await (await client.get(f"/api/conversations/{items['ok']['conversation_id']}", headers=headers)).json()
    assert "13912345678" in clear["messages"][0]["text"]
    # Supervisors list all open conversations.
    listed = await (await client.get("/api/conversations", headers=headers)).json()
    assert {sender(c) for c in listed["items"]} == {"pii", "ok"}


async def test_canned_replies(client):
    add_agent(settings_of(client), "can")
    headers = await login(client, "can")
    everything = await (await client.get("/api/canned-replies", headers=headers)).json()
    ids = {c["id"] for c in everything}
    for topic in (
        "delay_apology",
        "damage_evidence",
        "return_steps",
        "address_change",
        "customs_documents",
        "lost_parcel_investigation",
    ):
        assert f"{topic}.zh" in ids and f"{topic}.en" in ids
    english = await (await client.get("/api/canned-replies?language=en", headers=headers)).json()
    assert english and all(set(c) >= {"id", "title", "text"} and c["language"] == "en" for c in english)


async def test_staffed_hours_ticket(make_client, settings, fake_rasa, clock):
    from datetime import datetime, timezone

    shanghai_hour = (datetime.now(timezone.utc) + timedelta(hours=8)).hour
    closed_window = f"{(shanghai_hour + 2) % 24:02d}:00-{(shanghai_hour + 3) % 24:02d}:00"
    client = await make_client(settings, staffed_hours=closed_window)
    replies = await say(client, "night", "转人工")
    assert "服务时间" in replies[-1]["text"] and closed_window in replies[-1]["text"]
    # The bot has just said it transfers the customer: the notice corrects that nobody can join now.
    assert replies[0]["text"] == "好的，正在为您转接人工客服。"
    assert replies[-1]["text"].startswith("不过现在不在人工客服的服务时间") and "留言" in replies[-1]["text"]
    confirm = await say(client, "night", "我的包裹 SF1402345678901 破了，请尽快联系我")
    assert "已收到您的留言" in confirm[0]["text"]
    add_agent(settings, "morning")
    headers = await login(client, "morning")
    assert await queue_items(client, headers) == []
    (ticket,) = (await (await client.get("/api/cases?type=ticket", headers=headers)).json())["items"]
    timeline = (await (await client.get(f"/api/cases/{ticket['id']}", headers=headers)).json())["timeline"]
    assert [e["text"] for e in timeline if e["kind"] == "customer_message"] == [
        "我的包裹 SF1402345678901 破了，请尽快联系我"
    ]
    # When the agents are back, the customer's next message puts them in the queue.
    clock.advance(hours=2)
    back = await say(client, "night", "有人吗")
    assert "第 1 位" in back[0]["text"]
    assert [sender(i) for i in await queue_items(client, await login(client, "morning"))] == ["night"]


async def test_rasa_down_outside_hours_leaves_a_ticket(make_client, settings, fake_rasa):
    from datetime import datetime, timezone

    hour = (datetime.now(timezone.utc) + timedelta(hours=8)).hour
    client = await make_client(settings, staffed_hours=f"{(hour + 2) % 24:02d}:00-{(hour + 3) % 24:02d}:00")
    await fake_rasa.stop()
    replies = await say(client, "nightdown", "包裹丢了")
    assert "留言" in replies[-1]["text"]
    add_agent(settings, "n")
    headers = await login(client, "n")
    (ticket,) = (await (await client.get("/api/cases?type=ticket", headers=headers)).json())["items"]
    timeline = (await (await client.get(f"/api/cases/{ticket['id']}", headers=headers)).json())["timeline"]
    assert [e["text"] for e in timeline if e["kind"] == "customer_message"] == ["包裹丢了"]


async def test_handback_is_refused_while_the_bot_is_down(client, fake_rasa):
    """Handing back needs Rasa to forget the handoff (slot handed_off): otherwise the bot
    would answer the next "转人工" with "a colleague is already on it" while nobody is.
    With Rasa down the agent keeps the chat and is told why."""
    await handoff(client, fake_rasa, "stuck")
    add_agent(settings_of(client), "hb")
    headers = await login(client, "hb")
    item = (await queue_items(client, headers))[0]
    cid = item["conversation_id"]
    await client.post(f"/api/handoffs/{item['handoff_id']}/claim", headers=headers)
    fake_rasa.down_status = 503
    refused = await client.post(f"/api/conversations/{cid}/handback", headers=headers)
    assert refused.status == 503 and (await refused.json())["error"] == "bot_unavailable"
    detail = await (await client.get(f"/api/conversations/{cid}", headers=headers)).json()
    assert detail["conversation"]["state"] == "agent" and detail["handoff"]["status"] == "assigned"
    assert (
        await client.post(f"/api/conversations/{cid}/messages", headers=headers, json={"text": "我继续为您处理"})
    ).status == 200
    fake_rasa.down_status = None
    assert (await client.post(f"/api/conversations/{cid}/handback", headers=headers)).status == 200


async def test_escalation_follows_the_three_lines(client, fake_rasa):
    """Tier 1 -> specialist (2) -> management (3); management cannot escalate further."""
    await handoff(client, fake_rasa, "lines", category="complaint")
    settings = settings_of(client)
    add_agent(settings, "t1", tier=1)
    add_agent(settings, "t2", tier=2)
    add_agent(settings, "t3", tier=3)
    tiers = {name: await login(client, name) for name in ("t1", "t2", "t3")}
    cid = None
    for name, expected_next in (("t1", 2), ("t2", 3)):
        item = (await queue_items(client, tiers[name]))[0]
        cid = item["conversation_id"]
        assert (await client.post(f"/api/handoffs/{item['handoff_id']}/claim", headers=tiers[name])).status == 200
        response = await client.post(
            f"/api/conversations/{cid}/escalate", headers=tiers[name], json={"note": f"{name} 无法处理"}
        )
        assert response.status == 200 and (await response.json())["handoff"]["tier"] == expected_next
    assert await queue_items(client, tiers["t2"]) == []  # a tier-3 item is for management only
    item = (await queue_items(client, tiers["t3"]))[0]
    assert (await client.post(f"/api/handoffs/{item['handoff_id']}/claim", headers=tiers["t3"])).status == 200
    top = await client.post(f"/api/conversations/{cid}/escalate", headers=tiers["t3"], json={"note": "?"})
    assert top.status == 409 and (await top.json())["error"] == "top_tier"
    detail = await (await client.get(f"/api/conversations/{cid}", headers=tiers["t3"])).json()
    assert detail["handoff"]["status"] == "assigned" and detail["conversation"]["state"] == "agent"
    assert [n["text"].split("：")[0] for n in detail["notes"]] == ["升级 1 → 2 级（T1）", "升级 2 → 3 级（T2）"]
