"""The trained model against held-out data: end-to-end test conversations
(tests/stories/) and NLU evaluation (tests/nlu_holdout.yml), via `rasa test`.

Custom actions do not run inside `rasa test`: these tests check that customers'
words are understood and the right action is chosen; tests/actions checks what
the actions answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import ROOT_DIR
from bot.training import model_path

pytestmark = pytest.mark.slow  # the trained model and `rasa test`

MIN_STORIES = 40
MIN_INTENT_ACCURACY = 0.85
MIN_ENTITY_F1 = 0.85
FIGURES: dict[str, Any] = {}


@pytest.fixture(scope="module")
def rasa_test_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = model_path()
    if not model.exists():
        pytest.fail(f"no trained model at {model}: run the test command (it trains first)")
    out = tmp_path_factory.mktemp("rasa_test")
    cmd = [
        sys.executable,
        "-m",
        "rasa",
        "test",
        "--model",
        str(model),
        "--stories",
        "tests/stories",
        "--nlu",
        "tests/nlu_holdout.yml",
        "--out",
        str(out),
        "--no-plot",
        "--successes",
        "--quiet",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT_DIR), "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run(cmd, cwd=ROOT_DIR, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def _test_story_names() -> list[str]:
    names: list[str] = []
    for path in sorted((ROOT_DIR / "tests" / "stories").glob("*.yml")):
        names += [s["story"] for s in yaml.safe_load(path.read_text()).get("stories", [])]
    return names


def test_all_test_conversations_pass(rasa_test_results: Path) -> None:
    names = _test_story_names()
    assert len(names) >= MIN_STORIES
    report = json.loads((rasa_test_results / "story_report.json").read_text())
    failed_file = (rasa_test_results / "failed_test_stories.yml").read_text()
    FIGURES["test conversations"] = len(names)
    FIGURES["conversation-level accuracy"] = report.get("conversation_accuracy", {}).get("accuracy")
    assert "story:" not in failed_file, f"failed test conversations:\n{failed_file}"


def test_nlu_holdout_intent_accuracy_and_entity_f1(rasa_test_results: Path) -> None:
    intents = json.loads((rasa_test_results / "intent_report.json").read_text())
    accuracy = intents["accuracy"]
    FIGURES["intent accuracy (held-out)"] = round(accuracy, 3)
    FIGURES["intent macro F1 (held-out)"] = round(intents["macro avg"]["f1-score"], 3)
    # Each entity type has one responsible extractor: rules for tracking numbers and
    # phone digits, DIET for carriers, time windows and delivery options.
    responsible = {
        "tracking_number": "SpacyRuleEntityExtractor",
        "phone_last4": "SpacyRuleEntityExtractor",
        "carrier": "DIETClassifier",
        "time_window": "DIETClassifier",
        "delivery_option": "DIETClassifier",
    }
    entity_f1: dict[str, float] = {}
    for entity, extractor in responsible.items():
        report_file = rasa_test_results / f"{extractor}_report.json"
        report = json.loads(report_file.read_text())
        assert entity in report, f"{entity} missing from {report_file.name}: no held-out example?"
        entity_f1[f"{entity} ({extractor})"] = round(report[entity]["f1-score"], 3)
    FIGURES["entity F1 per type (held-out)"] = entity_f1
    FIGURES["entity F1 macro (held-out)"] = round(sum(entity_f1.values()) / len(entity_f1), 3)
    assert accuracy >= MIN_INTENT_ACCURACY, intents
    assert min(entity_f1.values()) >= MIN_ENTITY_F1, entity_f1
