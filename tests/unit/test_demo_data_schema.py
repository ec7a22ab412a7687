"""The demo data and the test fixtures are valid import files: every record validates
against docs/shipment.schema.json (the published import format), the demo generator's
whole range of parcels included."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from bot.store.demo import demo_lines, generate_demo_records

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "shipment.schema.json").read_text(encoding="utf-8"))
FIXTURES = [
    ROOT / "tests" / "fixtures" / "shipments.jsonl",
    ROOT / "tests" / "fixtures" / "actions_shipments.jsonl",
    ROOT / "tests" / "understanding" / "shipments.jsonl",
]
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    Draft202012Validator.check_schema(SCHEMA)
    return Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _problems(validator: Draft202012Validator, record: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '(record)'}: {e.message}" for e in validator.iter_errors(record)]


def test_the_schema_rejects_a_broken_record(validator: Draft202012Validator) -> None:
    """The check below can fail: a record missing its tracking number, with an unknown
    status, is reported."""
    record = generate_demo_records(1, now=NOW)[0]
    broken = {key: value for key, value in record.items() if key != "tracking_number"} | {"status": "teleported"}
    problems = _problems(validator, broken)
    assert any("tracking_number" in p for p in problems) and any("teleported" in p for p in problems), problems


def test_demo_records_validate(validator: Draft202012Validator) -> None:
    """The showcase parcels, the coverage plan and random parcels (as the importer reads them)."""
    failures = {}
    for line in demo_lines(400, seed=7, now=NOW):
        record = json.loads(line)
        problems = _problems(validator, record)
        if problems:
            failures[record["tracking_number"]] = problems
    assert not failures, failures


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: str(p.relative_to(ROOT)))
def test_fixture_records_validate(validator: Draft202012Validator, path: Path) -> None:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert lines
    failures = {}
    for number, line in enumerate(lines, start=1):
        problems = _problems(validator, json.loads(line))
        if problems:
            failures[number] = problems
    assert not failures, failures
