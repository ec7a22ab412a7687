"""Every topic for every parcel of the store's shared fixture: an answer without
errors, and no personal data before verification."""

from __future__ import annotations

import json
import re

import pytest

from tests.actions.conftest import SHARED_FIXTURE, Conversation

pytestmark = pytest.mark.slow  # every topic against every shared parcel

TOPIC_INTENTS = (
    "track_parcel",
    "ask_eta",
    "ask_delay",
    "signed_not_received",
    "damaged_goods",
    "lost_parcel",
    "delivery_failed",
    "change_address",
    "customs_duties",
    "return_goods",
)
FAILURE_TEXTS = ("出了点小问题", "系统查询暂时有点繁忙", "没有查到记录")


def _secrets(record: dict) -> list[str]:
    values = []
    for party in ("sender", "recipient"):
        for field in ("name", "phone", "address"):
            value = (record.get(party) or {}).get(field)
            if value:
                values.append(value)
    code = (record.get("delivery") or {}).get("pickup_code")
    if code:
        values.append(code)
    return values


def test_every_topic_answers_every_shared_parcel_without_leaking(shared_store) -> None:
    records = [json.loads(line) for line in SHARED_FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert records
    for record in records:
        number = record["tracking_number"]
        secrets = _secrets(record)
        for intent in TOPIC_INTENTS:
            conv = Conversation()
            turn = conv.say(f"{number} 帮我看看", intent)
            text = turn.text + json.dumps(turn.handoffs, ensure_ascii=False)
            assert turn.messages, (number, intent)
            for failure in FAILURE_TEXTS:
                assert failure not in text, (number, intent, text)
            for secret in secrets:
                assert secret not in text, (number, intent, secret)
            # codes are translated to words
            assert not re.search(r"\b(in_transit|out_for_delivery|delivery_failed|customs_hold)\b", text)
