"""bot/contract.py: every shared vocabulary once, with labels; the handoff payload
round trip between the actions (to_dict) and the gateway (parse)."""

from __future__ import annotations

import json

import pytest

from bot.contract import (
    VOCABULARIES,
    AgentTier,
    ChannelName,
    CustomerTier,
    HandoffCategory,
    HandoffPayload,
    HandoffReason,
    Language,
    Priority,
    labels_document,
)


@pytest.mark.parametrize("name", sorted(VOCABULARIES))
def test_every_member_has_both_labels_and_a_unique_value(name: str) -> None:
    vocabulary = VOCABULARIES[name]
    values = [member.value for member in vocabulary]
    assert values and len(values) == len(set(values))
    for member in vocabulary:
        assert member.zh.strip() and member.en.strip(), member
        assert member.label("zh") == member.zh and member.label("en") == member.en


def test_members_are_their_plain_values_in_json_sql_and_text() -> None:
    high: str = Priority.HIGH  # a str subclass: usable wherever a plain value is
    assert high == "high" and str(Priority.HIGH) == "high" and f"{Priority.HIGH}" == "high"
    assert json.dumps({"p": Priority.HIGH, "t": AgentTier.SPECIALIST}) == '{"p": "high", "t": 2}'
    assert AgentTier(3) is AgentTier.MANAGEMENT and str(AgentTier.MANAGEMENT) == "3"


def test_one_priority_order_most_urgent_first() -> None:
    assert [p.value for p in Priority] == ["urgent", "high", "normal"]
    assert [p.rank for p in Priority] == [0, 1, 2]
    assert Priority.most_urgent(["normal", None, "high", "bogus"]) is Priority.HIGH
    assert Priority.most_urgent([Priority.NORMAL, Priority.URGENT]) is Priority.URGENT
    assert Priority.most_urgent([None, "whatever"]) is Priority.NORMAL


def test_values_the_old_label_maps_missed_are_there() -> None:
    assert ChannelName("wecom") and HandoffReason("system_busy") and CustomerTier("regular")
    assert CustomerTier.ENTERPRISE.rank > CustomerTier.VIP.rank > CustomerTier.REGULAR.rank == 0


def test_labels_document_lists_every_vocabulary_in_declaration_order() -> None:
    document = labels_document()
    assert set(document) == set(VOCABULARIES)
    assert [item["value"] for item in document["priorities"]] == ["urgent", "high", "normal"]
    assert [item["value"] for item in document["agent_tiers"]] == [1, 2, 3]
    assert document["handoff_categories"][0] == {"value": "delay", "label": {"zh": "延误", "en": "delay"}}
    json.dumps(document)  # plain JSON


def test_payload_round_trip() -> None:
    payload = HandoffPayload(
        reason=HandoffReason.HIGH_VALUE_CLAIM,
        category=HandoffCategory.DAMAGE,
        priority=Priority.HIGH,
        tracking_numbers=["JDVA01234567890"],
        summary="客户反映包裹破损",
        language=Language.ZH,
        customer_tier=CustomerTier.VIP,
        sla_minutes=15,
        verified=True,
    )
    wire = json.loads(json.dumps({"handoff": payload.to_dict()}))["handoff"]
    assert "tier" not in wire  # an extra, sent only when set
    assert HandoffPayload.parse(wire) == payload
    with_tier = HandoffPayload(tier=AgentTier.SPECIALIST)
    assert with_tier.to_dict()["tier"] == 2 and HandoffPayload.parse(with_tier.to_dict()) == with_tier


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "handoff",
        [],
        {"reason": ["x"], "category": {"a": 1}, "priority": 3, "tier": True, "sla_minutes": True},
        {"reason": "bored", "category": "space", "priority": "asap", "tier": 9, "sla_minutes": -5},
        {"tracking_numbers": "SF1402345678901", "language": "fr", "customer_tier": "standard", "tier": 2.0},
        {"tracking_numbers": [{"x": 1}, "A" * 100] + ["N"] * 50, "summary": "x" * 10_000, "verified": "yes"},
    ],
)
def test_parse_never_raises_and_falls_back_to_safe_values(raw: object) -> None:
    payload = HandoffPayload.parse(raw)
    assert payload.reason in HandoffReason and payload.category in HandoffCategory
    assert payload.priority in Priority and payload.tier in (None, *AgentTier)
    assert payload.sla_minutes is None or 0 < payload.sla_minutes <= 7 * 24 * 60
    assert payload.verified is False
    assert len(payload.tracking_numbers) <= 10 and all(len(n) <= 40 for n in payload.tracking_numbers)
    assert payload.summary is None or len(payload.summary) <= 2000
    assert payload.language in (None, *Language)


def test_parse_keeps_what_is_valid() -> None:
    payload = HandoffPayload.parse(
        {"reason": "vip", "tracking_numbers": "SF1402345678901", "customer_tier": "standard", "language": "en"}
    )
    assert payload.reason is HandoffReason.VIP and payload.tracking_numbers == ["SF1402345678901"]
    assert payload.customer_tier is CustomerTier.UNKNOWN and payload.language is Language.EN
