"""bot/signals.py against its calibration examples (tests/unit/signal_examples.yml):
the feeling of every example and the urgency, with the precision the handoffs need."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import signals

EXAMPLES = Path(__file__).with_name("signal_examples.yml")


def load_examples() -> list[dict[str, Any]]:
    return list(yaml.safe_load(EXAMPLES.read_text(encoding="utf-8"))["examples"])


def calibration() -> dict[str, float]:
    """Accuracy of the feeling, precision/recall of upset-or-angry, of angry and of urgency."""
    examples = load_examples()
    read = [(example, signals.read(example["text"])) for example in examples]

    def ratio(hits: int, total: int) -> float:
        return round(hits / total, 3) if total else 1.0

    upset_wanted = [s for e, s in read if e["emotion"] != "none"]
    upset_found = [e for e, s in read if s.upset]
    angry_wanted = [s for e, s in read if e["emotion"] == "angry"]
    angry_found = [e for e, s in read if s.angry]
    urgent_wanted = [s for e, s in read if e.get("urgent")]
    urgent_found = [e for e, s in read if s.urgent]
    return {
        "examples": len(examples),
        "emotion_accuracy": ratio(sum(e["emotion"] == s.emotion for e, s in read), len(read)),
        "upset_recall": ratio(sum(s.upset for s in upset_wanted), len(upset_wanted)),
        "upset_precision": ratio(sum(e["emotion"] != "none" for e in upset_found), len(upset_found)),
        "angry_recall": ratio(sum(s.angry for s in angry_wanted), len(angry_wanted)),
        "angry_precision": ratio(sum(e["emotion"] == "angry" for e in angry_found), len(angry_found)),
        "urgent_recall": ratio(sum(s.urgent for s in urgent_wanted), len(urgent_wanted)),
        "urgent_precision": ratio(sum(bool(e.get("urgent")) for e in urgent_found), len(urgent_found)),
    }


def test_calibration_meets_the_precision_handoffs_need() -> None:
    figures = calibration()
    # Angry and urgent messages are handed to a person: their precision matters most.
    assert figures["angry_precision"] >= 0.95, figures
    assert figures["urgent_precision"] >= 0.95, figures
    assert figures["angry_recall"] >= 0.9, figures
    assert figures["urgent_recall"] >= 0.9, figures
    assert figures["upset_precision"] >= 0.9, figures
    assert figures["upset_recall"] >= 0.9, figures
    assert figures["emotion_accuracy"] >= 0.9, figures


@pytest.mark.parametrize("example", load_examples(), ids=lambda e: e["text"][:24])
def test_calm_messages_are_never_angry_and_never_urgent_by_mistake(example: dict[str, Any]) -> None:
    found = signals.read(example["text"])
    if example["emotion"] == "none":
        assert not found.angry, (example["text"], found.cues)
    if not example.get("urgent"):
        assert not found.urgent, (example["text"], found.cues)


def test_threats_and_profanity_are_decisive_and_numbers_are_no_cues() -> None:
    assert signals.read("再拖我就打12305").angry
    assert signals.read("tmd的件呢").angry
    # 315 and SB inside a tracking number or a phone number say nothing.
    assert signals.read("773315000012345 到哪了").emotion == signals.NONE
    assert signals.read("SB1234567890 到哪了").emotion == signals.NONE
    assert signals.read("I have an issue with my parcel").emotion == signals.NONE


def test_one_repeated_word_does_not_make_a_customer_angry() -> None:
    assert signals.read("好烦好烦好烦").emotion == signals.UPSET


def test_negated_cues_do_not_count() -> None:
    assert signals.read("不着急 慢慢来").emotion == signals.NONE
    assert not signals.read("不是药 是衣服").urgent


def test_traditional_and_full_width_text_read_like_simplified() -> None:
    assert signals.read("你們到底怎麼做事的").angry
    assert signals.read("裡面是藥").urgency == signals.MEDICAL
    assert signals.read("快点！！！").upset


def test_signals_survive_the_parse_result_round_trip() -> None:
    found = signals.read("寄的海鲜 会坏掉吗!!")
    assert signals.Signals.from_dict(found.to_dict()) == found
    assert signals.Signals.from_dict({"emotion": "furious"}) is None
    assert signals.Signals.from_dict(None) is None


def test_urgency_over_several_messages_takes_the_most_pressing_need() -> None:
    assert signals.urgency_of(["寄的是荔枝", "还有我的药"]) == signals.MEDICAL
    assert signals.urgency_of(["急急急", "今天能到吗"]) is None
