"""GET /metrics (Prometheus text format): what the gateway counts as it works, the queue
gauges read from the database, who may read it, and that nothing personal shows."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.gateway.conftest import add_agent, login, queue_items, say, sender

PHONE, NUMBER = "13812345678", "SF1402345678901"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def scrape(client: Any, **headers: str) -> Any:
    return await client.get("/metrics", headers=headers)


async def test_counts_turns_queue_and_rasa_errors(client: Any, settings: Any, fake_rasa: Any) -> None:
    await say(client, "m1", f"{NUMBER} 到哪了，我电话 {PHONE}")
    await say(client, "m1", "buttons")
    await say(client, "m2", "转人工")
    fake_rasa.down_status = 500
    await say(client, "m3", "你好")  # the bot is down: queued as system busy
    fake_rasa.down_status = None
    add_agent(settings, "sam", role="supervisor")
    headers = await login(client, "sam")
    item = next(i for i in await queue_items(client, headers) if sender(i) == "m2")
    assert (await client.post(f"/api/handoffs/{item['handoff_id']}/claim", headers=headers)).status == 200
    url = f"/api/conversations/{item['conversation_id']}/messages"
    assert (await client.post(url, json={"text": "您好"}, headers=headers)).status == 200

    response = await scrape(client)
    assert response.status == 200
    assert response.content_type == "text/plain"
    text = await response.text()
    assert PHONE not in text and NUMBER not in text and "m1" not in text
    values = samples(text)
    assert values[("parcel_messages_total", (("channel", "rest"), ("direction", "in")))] == 4
    # Two echo replies, the handoff text + queue notice, the busy + queue notices; then the
    # agent's join notice and reply pushed on the channel.
    assert values[("parcel_messages_total", (("channel", "rest"), ("direction", "out")))] == 8
    assert values[("parcel_bot_turn_seconds_count", (("channel", "rest"),))] == 4
    assert values[("parcel_rasa_errors_total", (("kind", "server_error"),))] == 1
    assert values[("parcel_queue_wait_seconds_count", (("priority", "normal"),))] == 1
    assert values[("parcel_queue_waiting", (("priority", "high"),))] == 1  # m3, queued as busy
    assert values[("parcel_queue_waiting", (("priority", "normal"),))] == 0  # m2 was claimed
    assert values[("parcel_queue_oldest_wait_seconds", ())] >= 0
    assert values[("parcel_sla_breached_open", ())] == 0
    assert values[("parcel_agents_connected", ())] == 0
    assert ("process_resident_memory_bytes", ()) in values


async def test_who_may_read_the_metrics(make_client: Any, settings: Any) -> None:
    closed = await make_client(settings, metrics_allowed_networks="10.0.0.0/8")
    assert (await scrape(closed)).status == 403
    guarded = await make_client(settings, metrics_allowed_networks="10.0.0.0/8", metrics_token="s3cret-token")
    refused = await scrape(guarded, Authorization="Bearer wrong")
    assert refused.status == 403
    assert (await refused.json())["error"] == "forbidden"
    assert (await scrape(guarded, Authorization="Basic s3cret-token")).status == 403
    assert (await scrape(guarded, Authorization="Bearer s3cret-token")).status == 200
    assert (await scrape(await make_client(settings))).status == 200  # loopback by default
