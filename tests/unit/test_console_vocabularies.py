"""The console's vocabularies are the server's: every name in core/labels.js's VOCAB is
a vocabulary GET /api/labels serves (bot/contract.py), every VOCAB.<name> the console's
modules use is declared there, and the case timeline's actors (bot/cases) are labelled."""

from __future__ import annotations

import re
from pathlib import Path

from bot.cases.service import BOT, SYSTEM, Actor
from bot.contract import VOCABULARIES, MessageRole, labels_document

CONSOLE = Path(__file__).resolve().parents[2] / "bot" / "gateway" / "static" / "console"


def console_vocab() -> dict[str, str]:
    """VOCAB of core/labels.js: the console's name -> the server's vocabulary."""
    source = (CONSOLE / "core" / "labels.js").read_text(encoding="utf-8")
    block = re.search(r"export const VOCAB = Object\.freeze\(\{(.*?)\}\);", source, re.DOTALL)
    assert block, "VOCAB not found in core/labels.js"
    return dict(re.findall(r"^\s*(\w+):\s*\"(\w+)\",?\s*$", block.group(1), re.MULTILINE))


def test_every_console_vocabulary_is_served() -> None:
    vocab = console_vocab()
    assert len(vocab) >= 15  # the parse above found the table
    served = set(labels_document())
    assert set(VOCABULARIES) == served
    unserved = {name: key for name, key in vocab.items() if key not in served}
    assert not unserved, f"VOCAB names vocabularies /api/labels does not serve: {unserved}"


def test_every_vocab_name_the_console_uses_is_declared() -> None:
    vocab = console_vocab()
    used: dict[str, set[str]] = {}
    for module in CONSOLE.rglob("*.js"):
        for name in re.findall(r"\bVOCAB\.([A-Za-z]\w*)", module.read_text(encoding="utf-8")):
            used.setdefault(name, set()).add(str(module.relative_to(CONSOLE)))
    used.pop("x", None)  # the example in main.js's comment
    assert used, "no VOCAB use found in the console"
    undeclared = {name: sorted(where) for name, where in used.items() if name not in vocab}
    assert not undeclared, f"VOCAB names used but not declared in core/labels.js: {undeclared}"


def test_the_console_keeps_no_label_maps_of_its_own() -> None:
    """Labels come from /api/labels: no `..._LABELS = {` table in the console's modules."""
    own = [
        str(module.relative_to(CONSOLE))
        for module in CONSOLE.rglob("*.js")
        if re.search(r"\b[A-Z_]*LABELS\s*=\s*\{", module.read_text(encoding="utf-8"))
    ]
    assert not own, own
    detail = (CONSOLE / "cases" / "detail.js").read_text(encoding="utf-8")
    assert "label(VOCAB.caseDetails, k)" in detail


def test_case_timeline_actors_are_message_roles_with_labels() -> None:
    """A timeline event's actor_type is a MessageRole value; the console labels it with
    VOCAB.messageRoles (there is no separate actor vocabulary to drift)."""
    assert console_vocab()["messageRoles"] == "message_roles"
    roles = {entry["value"]: entry["label"] for entry in labels_document()["message_roles"]}
    for actor in (BOT, SYSTEM, Actor(MessageRole.AGENT, agent_id=1), Actor(MessageRole.CUSTOMER)):
        assert isinstance(actor.type, MessageRole)
        assert roles[actor.type.value]["zh"] and roles[actor.type.value]["en"]
    detail = (CONSOLE / "cases" / "detail.js").read_text(encoding="utf-8")
    assert "label(VOCAB.messageRoles, e.actor_type)" in detail
