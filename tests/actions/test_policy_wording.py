"""One source for policy wording: the bot's messages and the agents' canned replies about
returns, damage, loss and address changes say the same thing, and every deadline they
name is the one the case desk works to (CASE_SLA)."""

from __future__ import annotations

import re

import pytest

from bot import policy
from bot.config import load_settings
from bot.gateway.texts import canned_replies
from tests.actions.conftest import Conversation

_LIMIT = re.compile(r"(\d+(?:[–-]\d+)?)\s*(分钟|小时|天|个工作日|minutes?|hours?|days?|working days)")


def canned(topic: str, lang: str) -> str:
    return next(c["text"] for c in canned_replies(lang) if c["id"] == f"{topic}.{lang}")


def limits(text: str) -> set[str]:
    return {"".join(m.groups()).replace(" ", "") for m in _LIMIT.finditer(text)}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_canned_replies_are_built_from_the_policy(lang: str) -> None:
    settings = load_settings()
    assert policy.damage_checklist(lang) in canned("damage_evidence", lang)
    assert policy.damage_deadlines(lang, settings) in canned("damage_evidence", lang)
    assert canned("return_steps", lang) == policy.return_steps(lang)
    assert policy.address_change(lang, settings) in canned("address_change", lang)
    assert policy.loss_investigation(lang, settings) in canned("lost_parcel_investigation", lang)
    assert policy.compensation_rules(lang) in canned("lost_parcel_investigation", lang)


def test_the_bot_says_the_same_as_the_canned_replies(conv: Conversation, monkeypatch) -> None:
    monkeypatch.setenv("CLAIM_HANDOFF_VALUE", "100000")
    damage = conv.say("SF1409876543210 收到的东西摔坏了", "damaged_goods").text
    assert policy.damage_checklist("zh") in damage and policy.damage_checklist("zh") in canned("damage_evidence", "zh")
    returns = Conversation().say("我要退货", "return_goods").text
    assert policy.return_steps("zh") in returns
    lost = Conversation().say("751234567890 好几天没动静了", "lost_parcel").text
    assert policy.loss_investigation("zh") in lost and policy.compensation_rules("zh") in lost


def test_deadlines_follow_the_case_sla(monkeypatch) -> None:
    """Changing the SLA changes the bot's and the agents' words alike (nothing hard-coded)."""
    monkeypatch.setenv("CASE_SLA", "damage_claim=2h/48h,address_change=4h,loss_claim=15m/5d")
    assert "2小时内联系您，2天内给出处理意见" in canned("damage_evidence", "zh")
    assert "4小时内生效" in canned("address_change", "zh")
    assert "5天内" in canned("lost_parcel_investigation", "zh")
    assert "within 4 hours" in canned("address_change", "en")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_canned_reply_names_a_limit_the_policy_does_not(lang: str) -> None:
    settings = load_settings()
    known = set()
    for text in (
        policy.return_steps(lang),
        policy.damage_deadlines(lang, settings),
        policy.address_change(lang, settings),
        policy.loss_investigation(lang, settings),
        policy.non_receipt_investigation(lang, settings),
        policy.self_pickup_hold(lang),
    ):
        known |= limits(text)
    customs = {"1-3个工作日", "1-3workingdays"}  # customs clearance time: the customs wording's own fact
    for reply in canned_replies(lang):
        unknown = limits(reply["text"]) - known - customs
        assert not unknown, f"{reply['id']} names {unknown} that bot/policy.py does not"
