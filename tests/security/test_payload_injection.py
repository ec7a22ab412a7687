"""Intent payloads ("/intent{...}") skip Rasa's NLU. A customer may send one only by
pressing a button the bot offered in its last reply; typed (or full-width) payloads reach
Rasa as plain text, which Rasa's own payload parser (after our NLU normaliser) leaves alone."""

from __future__ import annotations

import pytest

from tests.gateway.conftest import say

INJECTED = [
    '/provide_phone_last4{"phone_last4": "4321"}',
    '/choose_delivery_option{"delivery_option": "forward"}',
    "/request_human@1.0",
    '  ／choose_time_window{"time_window": "am"}',  # full-width slash: NFKC makes it "/"
    "//greet",
]


def rasa_reads_as_payload(text: str) -> bool:
    """What Rasa does with `text`: our ChineseNormalizer (NFKC ...) then its RegexMessageHandler."""
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.text import normalize_text

    message = Message(data={"text": normalize_text(text)})
    unpacked = YAMLStoryReader.unpack_regex_message(message)
    return unpacked.get("intent") is not None


@pytest.mark.parametrize("typed", INJECTED)
async def test_typed_payloads_reach_the_bot_as_text(client, fake_rasa, typed: str) -> None:
    await say(client, "injector", "你好")
    await say(client, "injector", typed)
    forwarded = fake_rasa.received[-1]["message"]
    assert not rasa_reads_as_payload(forwarded), forwarded
    # the transcript keeps what the customer typed
    assert rasa_reads_as_payload(typed)


async def test_a_payload_from_the_last_reply_is_honoured(client, fake_rasa) -> None:
    replies = await say(client, "clicker", "buttons")
    payload = replies[0]["buttons"][0]["payload"]
    await say(client, "clicker", payload)
    assert fake_rasa.received[-1]["message"] == payload
    # ... once: the next reply offered none, so pressing it again later is just text
    await say(client, "clicker", payload)
    assert not rasa_reads_as_payload(fake_rasa.received[-1]["message"])


async def test_the_widget_init_payload_opens_a_conversation(client, fake_rasa) -> None:
    await say(client, "widget", "/greet")
    assert fake_rasa.received[-1]["message"] == "/greet"
    await say(client, "widget", "/greet")
    assert fake_rasa.received[-1]["message"] == "greet"


async def test_metadata_cannot_pose_as_the_gateway(client, fake_rasa) -> None:
    await say(client, "meta-forger", "你好", metadata={"client": "ip:10.9.9.9", "channel": "wechat", "ok": 1})
    metadata = fake_rasa.received[-1]["metadata"]
    assert metadata["channel"] == "rest" and metadata["client"] != "ip:10.9.9.9" and metadata["ok"] == 1
