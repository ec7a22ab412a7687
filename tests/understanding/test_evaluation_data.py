"""The held-out evaluation data (tests/understanding/) is big enough, well-formed, about
the customers' own parcels (not the demo data), and kept out of the training data."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.config import ROOT_DIR
from tests.understanding import evaluation

TRAINING_DATA = ROOT_DIR / "nlu_data"
MIN_MESSAGES = 300
MIN_MULTI_TURN_CONVERSATIONS = 80
# Intents the evaluation expects although the domain does not have them yet (issue 8 work in progress).
PLANNED_INTENTS = {"find_by_phone"}

_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")
_NUMBER_TOKEN = re.compile(r"[A-Za-z0-9]*\d[A-Za-z0-9\-]*")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def comparable(text: str) -> str:
    """A sentence as compared for leaks: entity markup removed, full-width, Traditional and
    case folded, every token with digits (numbers, codes) the same, no spaces/punctuation."""
    from bot.nlu.text import to_simplified

    text = _ANNOTATION.sub(r"\1", text)
    text = to_simplified(unicodedata.normalize("NFKC", text)).lower()
    text = _NUMBER_TOKEN.sub("0", text)
    return _NOT_WORD.sub("", text)


def training_sentences() -> list[str]:
    sentences: list[str] = []
    for path in sorted(TRAINING_DATA.rglob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            examples = block.get("examples")
            if isinstance(examples, str) and ("intent" in block or "synonym" in block):
                sentences += [line.strip()[2:] for line in examples.splitlines() if line.strip().startswith("- ")]
        for section in ("stories", "rules"):
            for story in data.get(section) or []:
                sentences += [str(step["user"]) for step in story.get("steps") or [] if "user" in step]
    return sentences


@pytest.fixture(scope="module")
def conversations() -> list[evaluation.Conversation]:
    return evaluation.load_conversations()


@pytest.fixture(scope="module")
def all_messages(conversations: list[evaluation.Conversation]) -> list[evaluation.LabelledMessage]:
    return evaluation.labelled_messages(conversations, evaluation.load_messages())


def test_no_evaluation_sentence_is_in_the_training_data(all_messages: list[evaluation.LabelledMessage]) -> None:
    training = {comparable(s) for s in training_sentences()}
    training.discard("")
    # A message that is only a number or code (a bare tracking number, "1", "5678") is no sentence.
    leaked = sorted({m.text for m in all_messages if comparable(m.text) in training - {"0"}})
    assert not leaked, f"evaluation sentences found in {TRAINING_DATA.name}/: {leaked}"


def test_the_leak_check_catches_a_copied_sentence() -> None:
    sentence = training_sentences()[0]
    assert comparable(sentence.upper() + "。") in {comparable(s) for s in training_sentences()}
    assert comparable("帮我查下 [SF1402345678901](tracking_number) 到哪了") == comparable(
        "幫我查下 JT5038817264519 到哪了"
    )


def test_enough_messages_and_multi_turn_conversations(
    conversations: list[evaluation.Conversation], all_messages: list[evaluation.LabelledMessage]
) -> None:
    assert len(all_messages) >= MIN_MESSAGES
    assert sum(len(c.turns) >= 2 for c in conversations) >= MIN_MULTI_TURN_CONVERSATIONS
    ids = [c.id for c in conversations]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]


def test_labels_use_known_values(
    conversations: list[evaluation.Conversation], all_messages: list[evaluation.LabelledMessage]
) -> None:
    domain = yaml.safe_load((ROOT_DIR / "domain.yml").read_text(encoding="utf-8"))
    intents = set(domain["intents"]) | {"nlu_fallback"} | PLANNED_INTENTS
    entities = set(domain["entities"])
    for conversation in conversations:
        assert conversation.wording in evaluation.WORDINGS, conversation.id
        assert conversation.outcome in evaluation.OUTCOMES, conversation.id
        assert set(conversation.classes) <= set(evaluation.CLASSES), conversation.id
        assert conversation.priority in (None, *evaluation.PRIORITY_RANK), conversation.id
        assert conversation.turns, conversation.id
        if conversation.outcome == "handoff":
            assert any(t.handoff for t in conversation.turns), f"{conversation.id}: which turn hands off?"
    for message in all_messages:
        assert message.wording in evaluation.WORDINGS, message.text
        assert set(message.intent or ()) <= intents, message.text
        assert set(message.entities or {}) <= entities, message.text
        assert message.emotion in (None, *evaluation.EMOTIONS), message.text
        assert message.urgent in (None, True, False), message.text


def test_every_class_wording_and_outcome_is_covered(conversations: list[evaluation.Conversation]) -> None:
    for name in evaluation.CLASSES:
        assert sum(name in c.classes for c in conversations) >= 5, name
    for wording in evaluation.WORDINGS:
        for outcome in evaluation.OUTCOMES:
            assert any(c.wording == wording and c.outcome == outcome for c in conversations), (wording, outcome)


def test_the_customers_parcels_are_not_the_demo_data(tmp_path: Path) -> None:
    from bot.store.demo import generate_demo_records
    from bot.store.demo_data import SHOWCASE

    records = evaluation.fixture_records()
    ours = {evaluation.normalize_number(r["tracking_number"]) for r in records}
    demo = generate_demo_records(300, seed=7)  # what `python -m bot serve` loads
    demo_numbers = {evaluation.normalize_number(r["tracking_number"]) for r in demo}
    demo_phones = {(r.get("recipient") or {}).get("phone") for r in demo} | {s["recipient_phone"] for s in SHOWCASE}
    assert not ours & demo_numbers
    assert not {(r.get("recipient") or {}).get("phone") for r in records} & demo_phones
    summary = evaluation.import_fixture(f"sqlite:///{tmp_path / 'eval.db'}")
    assert (summary.inserted, summary.rejected) == (len(records), 0)


def test_fixture_dates_follow_the_clock() -> None:
    import json
    from datetime import datetime, timedelta, timezone

    later = evaluation.REFERENCE_NOW + timedelta(days=40)
    first = json.loads(evaluation.shifted_fixture(evaluation.REFERENCE_NOW)[0])
    moved = json.loads(evaluation.shifted_fixture(later)[0])
    original = evaluation.fixture_records()[0]
    assert first["eta"] == original["eta"]
    assert datetime.fromisoformat(moved["eta"]) - datetime.fromisoformat(first["eta"]) == timedelta(days=40)
    assert datetime.fromisoformat(moved["events"][-1]["time"]).tzinfo is not None
    assert datetime.now(timezone.utc) - datetime.fromisoformat(
        json.loads(evaluation.shifted_fixture()[0])["events"][-1]["time"]
    ) < timedelta(days=1)


def test_reply_checks_judge_facts_privacy_and_failures() -> None:
    matchers = evaluation.catalogue_matchers(evaluation.ALWAYS_FAILURES + evaluation.FAILURES_WHEN_NUMBER_KNOWN)
    from actions import texts

    turn = evaluation.Turn(user="x", entities={"tracking_number": ["SF1"]}, says=("浦东",), not_says=("1234",))
    assert evaluation.check_turn(turn, ["已到达浦东转运中心"], {"SF1"}, matchers, False) == []
    assert evaluation.check_turn(turn, ["到了 1234"], {"SF1"}, matchers, False) == [
        "missing ['浦东']",
        "revealed ['1234']",
    ]
    fallback = texts.t("zh", "fallback_first")
    assert "reply: fallback_first" in evaluation.check_turn(turn, [fallback + " 浦东"], {"SF1"}, matchers, False)
    asked = texts.t("zh", "ask_number", purpose="查询物流")
    failures = evaluation.check_turn(turn, [asked + " 浦东"], {"SF1"}, matchers, False)
    assert any("ask_number" in f for f in failures)
    assert evaluation.check_turn(turn, [asked + " 浦东"], set(), matchers, False) == []
