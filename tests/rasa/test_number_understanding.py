"""Issue 8, class 1 in the NLU: with the trained model, every carrier's numbers are
tracking_number entities (whatever the format, grouped, next to a phone number)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.training import model_path

pytestmark = pytest.mark.slow  # loads the trained model


@pytest.fixture(scope="module")
def agent() -> Any:
    from rasa.core.agent import Agent

    model = model_path()
    if not model.exists():
        pytest.fail(f"no trained model at {model}: run the test command (it trains first)")
    return Agent.load(str(model))


def parse(agent: Any, text: str) -> dict[str, Any]:
    return asyncio.run(agent.parse_message(text))


def numbers(parsed: dict[str, Any]) -> list[str]:
    from bot.store.tracking_numbers import normalize

    return [normalize(e["value"]) for e in parsed["entities"] if e["entity"] == "tracking_number"]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("麻烦看下中通 7391 0284 7561 02 走到哪了", "73910284756102"),
        ("极兔jt4401928375610物流呢", "JT4401928375610"),
        ("德邦 DPK201938475610 现在什么情况", "DPK201938475610"),
        ("韵达431029384756102帮我查查", "431029384756102"),
        ("京东的 JDX029384756120-1-1- 到哪儿了", "JDX029384756120"),
    ],
)
def test_every_carriers_number_is_an_entity(agent: Any, text: str, key: str) -> None:
    assert numbers(parse(agent, text)) == [key]


def test_a_phone_number_is_no_tracking_number(agent: Any) -> None:
    parsed = parse(agent, "73910284756102 收件人电话13705512846")
    assert numbers(parsed) == ["73910284756102"]
