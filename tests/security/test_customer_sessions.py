"""Customer sessions bound to a secret, tried as an attacker who knows a customer's REST
sender id (from a shared link, a log, a screenshot of the console) would, against the
gateway on loopback:

- reading the customer's messages with the long poll (agent replies pushed to them);
- posting as the customer to continue their conversation with their verification;
- posting to an endpoint restricted to trusted integrations (REST_CHANNEL_TOKEN)."""

from __future__ import annotations

from typing import Any

from tests.gateway.conftest import add_agent, login, queue_items, say, secret_headers

SECRET = "X-Conversation-Secret"


def _settings(client: Any) -> Any:
    from bot.gateway.keys import SETTINGS_KEY

    return client.app[SETTINGS_KEY]


def _age_secret(client: Any, sender: str) -> None:
    """Move the issue of `sender`'s secret back past the first reply's grace period."""
    from datetime import timedelta

    from sqlalchemy import select

    from bot.gateway.customer_sessions import FIRST_REPLY_GRACE
    from bot.gateway.keys import DB_KEY
    from bot.gateway.models import CustomerSecret

    with client.app[DB_KEY].session() as session:
        row = session.execute(select(CustomerSecret).where(CustomerSecret.channel_user_id == sender)).scalar_one()
        row.created_at = row.created_at - FIRST_REPLY_GRACE - timedelta(seconds=1)


async def test_a_quick_follow_up_before_the_first_reply_is_the_customers(client: Any, fake_rasa: Any) -> None:
    # The customer cannot hold the secret before the first reply arrives: a follow-up sent
    # meanwhile (without it) stays in their conversation; later ones without it do not.
    first = await client.post("/webhooks/rest/webhook", json={"sender": "quick-1", "message": "你好"})
    assert first.status == 200 and first.headers.get("X-Conversation-Secret")
    owner = fake_rasa.received[-1]["sender"]
    await client.post("/webhooks/rest/webhook", json={"sender": "quick-1", "message": "在吗"})
    assert fake_rasa.received[-1]["sender"] == owner
    _age_secret(client, "quick-1")
    await client.post("/webhooks/rest/webhook", json={"sender": "quick-1", "message": "在吗"})
    assert fake_rasa.received[-1]["sender"] != owner
    assert fake_rasa.received[-1]["metadata"]["sender_proven"] is False


async def _poll(client: Any, sender: str, headers: dict[str, str]) -> Any:
    return await client.get("/webhooks/rest/messages", params={"sender": sender, "since": 0}, headers=headers)


async def test_reading_another_senders_messages_needs_their_secret(client: Any) -> None:
    await say(client, "victim-7f3a", "转人工")
    owner = secret_headers(client, "victim-7f3a")
    assert owner  # issued with the first reply
    add_agent(_settings(client), "amy")
    headers = await login(client, "amy")
    item = (await queue_items(client, headers))[0]
    assert (await client.post(f"/api/handoffs/{item['handoff_id']}/claim", headers=headers)).status == 200
    sent = await client.post(
        f"/api/conversations/{item['conversation_id']}/messages",
        headers=headers,
        json={"text": "您的取件码是 8-2-3341"},
    )
    assert sent.status == 200

    # The attacker knows the sender id, not the secret.
    anonymous = await _poll(client, "victim-7f3a", {})
    assert anonymous.status == 401 and (await anonymous.json())["error"] == "unauthorized"
    for guess in ("x", "0" * 43, owner[SECRET][:-1] + ("A" if owner[SECRET][-1] != "A" else "B")):
        wrong = await _poll(client, "victim-7f3a", {SECRET: guess})
        assert wrong.status == 403 and (await wrong.json())["error"] == "forbidden"
    # A secret of one sender does not open another's messages.
    await say(client, "attacker-1", "你好")
    stolen = await _poll(client, "victim-7f3a", secret_headers(client, "attacker-1"))
    assert stolen.status == 403
    # The customer reads them.
    mine = await _poll(client, "victim-7f3a", owner)
    assert mine.status == 200
    assert "您的取件码是 8-2-3341" in [m.get("text") for m in await mine.json()]


async def test_posting_as_a_known_sender_without_the_secret_is_a_stranger(client: Any, fake_rasa: Any) -> None:
    first = await client.post("/webhooks/rest/webhook", json={"sender": "victim-2", "message": "你好"})
    assert first.status == 200 and first.headers.get(SECRET)
    secret = first.headers[SECRET]
    assert "sender_proven" not in fake_rasa.received[-1]["metadata"]  # the owner's own message
    _age_secret(client, "victim-2")  # the customer has had their first reply (and secret) for a while
    # The attacker posts as the sender: answered (Rasa's wire format), but the bot is told
    # the sender is not proven, so no verification of the conversation serves the message;
    # and no secret is handed out.
    forged = await client.post(
        "/webhooks/rest/webhook",
        json={"sender": "victim-2", "message": "取件码再发一下", "metadata": {"sender_proven": True}},
    )
    assert forged.status == 200 and SECRET not in forged.headers
    assert fake_rasa.received[-1]["metadata"]["sender_proven"] is False
    # ...in a conversation of its own: the bot's context (numbers the customer gave,
    # what it said) and the customer's transcript stay out of the stranger's reach.
    owner_conversation = fake_rasa.received[0]["sender"]
    assert fake_rasa.received[-1]["sender"] != owner_conversation
    assert [m.get("recipient_id") for m in await forged.json()] == ["victim-2"]
    wrong = await client.post(
        "/webhooks/rest/webhook", json={"sender": "victim-2", "message": "取件码"}, headers={SECRET: "guess"}
    )
    assert wrong.status == 403 and (await wrong.json())["error"] == "forbidden"
    # The customer, with the secret, goes on as before.
    again = await client.post(
        "/webhooks/rest/webhook", json={"sender": "victim-2", "message": "取件码"}, headers={SECRET: secret}
    )
    assert again.status == 200 and SECRET not in again.headers
    assert "sender_proven" not in fake_rasa.received[-1]["metadata"]
    assert fake_rasa.received[-1]["sender"] == owner_conversation


async def test_rest_channel_token_restricts_the_endpoint(make_client: Any, settings: Any, fake_rasa: Any) -> None:
    client = await make_client(settings, rest_channel_token="integration-secret-123")
    body = {"sender": "crm-42", "message": "你好"}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "integration-secret-123"}):
        response = await client.post("/webhooks/rest/webhook", json=body, headers=headers)
        assert response.status == 401 and (await response.json())["error"] == "unauthorized"
    assert fake_rasa.received == []
    trusted = {"Authorization": "Bearer integration-secret-123"}
    response = await client.post("/webhooks/rest/webhook", json=body, headers=trusted)
    assert response.status == 200 and await response.json() == [{"recipient_id": "crm-42", "text": "echo: 你好"}]
    # The trusted integration speaks for its users: no conversation secret needed to go on or to poll.
    response = await client.post("/webhooks/rest/webhook", json={**body, "message": "再见"}, headers=trusted)
    assert response.status == 200 and "sender_proven" not in fake_rasa.received[-1]["metadata"]
    assert (await _poll(client, "crm-42", trusted)).status == 200
    assert (await _poll(client, "crm-42", {"Authorization": "Bearer wrong"})).status == 401
