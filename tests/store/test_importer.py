"""The JSON Lines importer: validation, upsert, streaming, and the CLI."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.config import ROOT_DIR
from bot.db import session_scope
from bot.store import importer
from bot.store.demo import demo_lines
from bot.store.importer import MAX_LINE_BYTES, import_jsonl
from bot.store.models import (
    CustomsRecord,
    ProofOfDelivery,
    Shipment,
    ShipmentException,
    TrackingEvent,
)
from bot.store.repository import get_shipment

from .conftest import SHIPMENTS_FIXTURE


def record(**overrides: Any) -> dict[str, Any]:
    """A minimal valid record."""
    base: dict[str, Any] = {
        "tracking_number": "SF1402345678901",
        "carrier": "SF",
        "status": "in_transit",
        "origin": "深圳",
        "destination": "北京市朝阳区",
        "events": [
            {
                "time": "2026-11-20T09:00:00+08:00",
                "location": "深圳市南山区",
                "status": "picked_up",
                "description": "【南山区科技营业点】快递员 张伟 已揽收",
            },
            {
                "time": "2026-11-20T18:00:00+08:00",
                "location": "深圳市",
                "status": "in_transit",
                "description": "【深圳转运中心】已发出，下一站【北京转运中心】",
            },
        ],
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not _DROP}


_DROP = object()


def line(**overrides: Any) -> str:
    return json.dumps(record(**overrides), ensure_ascii=False)


def count(factory: sessionmaker, model: Any) -> int:
    with factory() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- good data


def test_fixture_file_imports_completely(session_factory: sessionmaker) -> None:
    summary = import_jsonl(SHIPMENTS_FIXTURE, session_factory, progress=False)

    assert (summary.inserted, summary.updated, summary.rejected, summary.errors) == (18, 0, 0, [])
    assert count(session_factory, Shipment) == 18
    with session_factory() as session:
        delayed = get_shipment(session, "SF1402345678901")
        assert delayed is not None and delayed.exception is not None
        assert delayed.exception.type == "delay"
        assert delayed.exception.reason == "当地暴雨导致道路中断"
        assert delayed.exception.new_eta is not None and delayed.exception.new_eta.tzinfo is not None
        locker = get_shipment(session, "YT2290112345678")
        assert locker is not None and locker.delivery is not None
        assert locker.recipient_phone == "13812345678"
        assert locker.delivery.pickup_code == "352817"
        assert locker.delivery.signed_by == "快递柜"
        customs = get_shipment(session, "4019283741")
        assert customs is not None and customs.cross_border and customs.customs is not None
        assert customs.customs.status == "duty_unpaid"
        assert customs.customs.duty_amount == pytest.approx(286.5)
        assert "身份证正反面" in customs.customs.required_documents
        damaged = get_shipment(session, "JDVA01234567890")
        assert damaged is not None and damaged.declared_value == 3500.0
        assert damaged.extra == {"goods": "笔记本电脑"}


def test_stored_fields_and_times(session_factory: sessionmaker) -> None:
    rec = record(
        carrier="sf",
        carrier_name="顺丰速运",
        service="express",
        customer_tier="vip",
        declared_value=5999,
        weight_kg=0.4,
        cross_border=False,
        shipped_at="2026-11-20T01:00:00Z",
        promised_by=None,
        eta="2026-11-22T18:00:00+08:00",
        sender={"name": "张伟", "phone": "13800000000", "address": "深圳市"},
        recipient={"name": "李娜", "phone": "13812345678", "address": "北京市朝阳区望京街1号"},
    )
    summary = import_jsonl([json.dumps(rec)], session_factory, progress=False)
    assert summary.inserted == 1

    with session_factory() as session:
        shipment = get_shipment(session, "SF1402345678901")
        assert shipment is not None
        assert shipment.carrier == "SF"  # codes are upper-cased
        assert shipment.customer_tier == "vip" and shipment.currency == "CNY"
        assert shipment.shipped_at == datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)
        assert shipment.eta == datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
        assert shipment.promised_by is None
        assert shipment.recipient_name == "李娜" and shipment.recipient_phone == "13812345678"
        assert [e.seq for e in shipment.events] == [0, 1]
        assert shipment.latest_event is not None
        assert shipment.latest_event.description.startswith("【深圳转运中心】已发出")
        assert shipment.extra is None


def test_events_are_stored_oldest_first(session_factory: sessionmaker) -> None:
    events = record()["events"]
    import_jsonl([line(events=list(reversed(events)))], session_factory, progress=False)
    with session_factory() as session:
        shipment = get_shipment(session, "SF1402345678901")
        assert shipment is not None
        assert [e.status for e in shipment.events] == ["picked_up", "in_transit"]


def test_defaults_when_optional_fields_absent(session_factory: sessionmaker) -> None:
    import_jsonl([line(events=[])], session_factory, progress=False)
    with session_factory() as session:
        shipment = get_shipment(session, "SF1402345678901")
        assert shipment is not None
        assert shipment.customer_tier == "regular" and shipment.cross_border is False
        assert shipment.events == [] and shipment.exception is None and shipment.customs is None


def test_unknown_fields_are_kept_in_extra(session_factory: sessionmaker) -> None:
    import_jsonl([line(goods="手机", pieces=2, tags=["易碎"], meta={"source": "TMS"})], session_factory, progress=False)
    with session_factory() as session:
        shipment = get_shipment(session, "SF1402345678901")
        assert shipment is not None
        assert shipment.extra == {"goods": "手机", "pieces": 2, "tags": ["易碎"], "meta": {"source": "TMS"}}


# --------------------------------------------------------------------------- bad lines


BAD_LINES: list[tuple[str, str]] = [
    ('{"tracking_number": "SF1", ', "invalid JSON"),
    ("[1, 2, 3]", "record must be a JSON object, not an array"),
    ('"just a string"', "record must be a JSON object, not a string"),
    (line(carrier=_DROP), "missing field 'carrier'"),
    (line(events=_DROP), "missing field 'events'"),
    (line(origin=None), "missing field 'origin'"),
    (line(destination="   "), "field 'destination' is empty"),
    (line(status="teleported"), "field 'status' has invalid value 'teleported'"),
    (line(service="overnight"), "field 'service' has invalid value 'overnight'"),
    (line(customer_tier="gold"), "field 'customer_tier' has invalid value 'gold'"),
    (line(exception={"type": "stolen"}), "field 'exception.type' has invalid value 'stolen'"),
    (line(exception={"reason": "没有类型"}), "missing field 'exception.type'"),
    (line(customs={"status": "pending"}), "field 'customs.status' has invalid value 'pending'"),
    (line(shipped_at="2026-11-20T10:00:00"), "field 'shipped_at' has no UTC offset"),
    (line(eta="2026-11-20"), "field 'eta' has no UTC offset"),
    (line(promised_by="next tuesday"), "field 'promised_by' is not an ISO 8601 date-time"),
    (line(shipped_at=20261120), "field 'shipped_at' must be a string, not a number"),
    (line(declared_value=-1), "field 'declared_value' must be >= 0"),
    (line(weight_kg="2kg"), "field 'weight_kg' must be a number, not a string"),
    (line(declared_value=True), "field 'declared_value' must be a number, not a boolean"),
    (line(declared_value=10**400), "field 'declared_value' is too large"),
    (line(customs={"status": "duty_unpaid", "duty_amount": -5}), "field 'customs.duty_amount' must be >= 0"),
    (line(customs={"required_documents": "身份证"}), "field 'customs.required_documents' must be an array"),
    (line(cross_border="yes"), "field 'cross_border' must be true or false"),
    (line(tracking_number="SF-12"), "field 'tracking_number' must be 6-40 characters"),
    (line(tracking_number="SF" + "1" * 39), "field 'tracking_number' must be 6-40 characters"),
    (line(tracking_number="SF<script>1234"), "field 'tracking_number' may contain only letters, digits"),
    (line(tracking_number=1402345678901), "field 'tracking_number' must be a string, not a number"),
    (line(carrier="X" * 17), "field 'carrier' is longer than 16 characters"),
    (line(origin="深" * 129), "field 'origin' is longer than 128 characters"),
    (line(recipient="李娜"), "field 'recipient' must be an object, not a string"),
    (line(recipient={"phone": 13812345678}), "field 'recipient.phone' must be a string, not a number"),
    (line(events={"time": "x"}), "field 'events' must be an array, not an object"),
    (line(events=["已揽收"]), "field 'events[0]' must be an object, not a string"),
    (
        line(events=[{"time": "2026-11-20T09:00:00+08:00", "status": "picked_up"}]),
        "missing field 'events[0].description'",
    ),
    (
        line(events=[{"time": "yesterday", "status": "picked_up", "description": "已揽收"}]),
        "field 'events[0].time' is not an ISO 8601 date-time",
    ),
    (
        line(events=[{"time": "0001-01-01T00:00:00+08:00", "status": "x", "description": "y"}]),
        "field 'events[0].time' is out of range",
    ),
    (line(carrier_name="顺丰\u0000速运"), "field 'carrier_name' contains a NUL character"),
    (
        '{"tracking_number": "SF1402345678901", "carrier": "SF", "status": "in_transit", "origin": "\\ud800", '
        '"destination": "x", "events": []}',
        "field 'origin' contains invalid Unicode",
    ),
    (line(declared_value=float("nan")), "invalid JSON: NaN is not a valid JSON number"),
    ("[" * 200_000 + "]" * 200_000, "invalid JSON: nested too deeply"),
]


@pytest.mark.parametrize("bad_line, reason", BAD_LINES, ids=[reason for _, reason in BAD_LINES])
def test_each_bad_line_is_rejected_with_its_reason(session_factory: sessionmaker, bad_line: str, reason: str) -> None:
    lines = [line(tracking_number="SF1000000000001"), bad_line, line(tracking_number="SF1000000000003")]
    summary = import_jsonl(lines, session_factory, progress=False)

    assert summary.inserted == 2 and summary.rejected == 1
    assert len(summary.errors) == 1
    line_no, message = summary.errors[0]
    assert line_no == 2
    assert message.startswith(reason), message
    assert count(session_factory, Shipment) == 2


def test_mixed_file_reports_physical_line_numbers(tmp_path: Path, session_factory: sessionmaker) -> None:
    path = write(
        tmp_path / "mixed.jsonl",
        [
            line(tracking_number="SF1000000000001"),
            "",
            "   ",
            line(tracking_number="SF1000000000002", carrier=_DROP),
            line(tracking_number="SF1000000000003"),
            "{oops",
            line(tracking_number="SF1000000000005", status="lost"),
            line(tracking_number="SF1000000000006"),
        ],
    )
    summary = import_jsonl(path, session_factory, progress=False)

    assert (summary.inserted, summary.updated, summary.rejected) == (3, 0, 3)
    assert [n for n, _ in summary.errors] == [4, 6, 7]
    assert summary.errors[0] == (4, "missing field 'carrier'")
    assert summary.errors[1][1].startswith("invalid JSON")
    assert str(summary) == "inserted=3 updated=0 rejected=3"


def test_invalid_utf8_line_is_rejected(tmp_path: Path, session_factory: sessionmaker) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(
        line(tracking_number="SF1000000000001").encode()
        + b"\n"
        + line(tracking_number="SF1000000000002", origin="Z\u00fcrich").encode("latin-1", "replace")
        + b"\n"
        + line(tracking_number="SF1000000000003").encode()
        + b"\n"
    )
    summary = import_jsonl(path, session_factory, progress=False)
    assert summary.inserted == 2 and summary.rejected == 1
    assert summary.errors[0][0] == 2
    assert summary.errors[0][1].startswith("line is not valid UTF-8 (byte ")


def test_huge_line_is_rejected_and_the_rest_imports(tmp_path: Path, session_factory: sessionmaker) -> None:
    huge = line(tracking_number="SF1000000000002", padding="x" * (MAX_LINE_BYTES + 10))
    path = write(
        tmp_path / "huge.jsonl",
        [
            line(tracking_number="SF1000000000001"),
            huge,
            line(tracking_number="SF1000000000003"),
        ],
    )
    summary = import_jsonl(path, session_factory, progress=False)

    assert (summary.inserted, summary.rejected) == (2, 1)
    assert summary.errors[0][0] == 2
    assert "larger than 1 MB" in summary.errors[0][1]
    with session_factory() as session:
        assert get_shipment(session, "SF1000000000003") is not None


def test_huge_last_line_without_newline(tmp_path: Path, session_factory: sessionmaker) -> None:
    path = tmp_path / "tail.jsonl"
    path.write_bytes(line(tracking_number="SF1000000000001").encode() + b"\n" + b"{" * (3 * MAX_LINE_BYTES))
    summary = import_jsonl(path, session_factory, progress=False)
    assert (summary.inserted, summary.rejected) == (1, 1)
    assert summary.errors[0][0] == 2 and "larger than 1 MB" in summary.errors[0][1]


def test_huge_line_in_an_iterable(session_factory: sessionmaker) -> None:
    summary = import_jsonl(["x" * (MAX_LINE_BYTES + 100), line()], session_factory, progress=False)
    assert (summary.inserted, summary.rejected) == (1, 1)
    assert summary.errors[0][0] == 1 and "larger than 1 MB" in summary.errors[0][1]


def test_line_just_under_the_limit_imports(tmp_path: Path, session_factory: sessionmaker) -> None:
    base = line(note="")
    padded = line(note="x" * (MAX_LINE_BYTES - len(base.encode())))
    assert len(padded.encode()) == MAX_LINE_BYTES
    summary = import_jsonl(write(tmp_path / "edge.jsonl", [padded]), session_factory, progress=False)
    assert (summary.inserted, summary.rejected) == (1, 0)


def test_error_list_is_capped_but_all_rejections_counted(session_factory: sessionmaker) -> None:
    summary = import_jsonl(["{bad"] * 25 + [line()], session_factory, progress=False, max_errors=10)
    assert summary.rejected == 25 and len(summary.errors) == 10 and summary.errors_truncated
    assert summary.inserted == 1


# --------------------------------------------------------------------------- empty input, sources


def test_empty_file(tmp_path: Path, session_factory: sessionmaker) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    summary = import_jsonl(path, session_factory, progress=False)
    assert (summary.inserted, summary.updated, summary.rejected, summary.errors) == (0, 0, 0, [])


def test_blank_lines_only(tmp_path: Path, session_factory: sessionmaker) -> None:
    path = tmp_path / "blank.jsonl"
    path.write_text("\n\n  \n\t\n", encoding="utf-8")
    summary = import_jsonl(path, session_factory, progress=False)
    assert (summary.inserted, summary.rejected) == (0, 0)


def test_bom_and_crlf(tmp_path: Path, session_factory: sessionmaker) -> None:
    path = tmp_path / "windows.jsonl"
    body = "\r\n".join([line(tracking_number="SF1000000000001"), line(tracking_number="SF1000000000002")])
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8") + b"\r\n")
    summary = import_jsonl(path, session_factory, progress=False)
    assert (summary.inserted, summary.rejected) == (2, 0)


def test_binary_stream_and_bytes_lines(session_factory: sessionmaker) -> None:
    stream = io.BytesIO((line(tracking_number="SF1000000000001") + "\n").encode())
    assert import_jsonl(stream, session_factory, progress=False).inserted == 1
    summary = import_jsonl(
        [line(tracking_number="SF1000000000002").encode(), b"\xff\xfe"], session_factory, progress=False
    )
    assert summary.inserted == 1 and summary.errors[0][0] == 2


def test_missing_file_raises_oserror(tmp_path: Path, session_factory: sessionmaker) -> None:
    with pytest.raises(FileNotFoundError):
        import_jsonl(tmp_path / "nope.jsonl", session_factory, progress=False)


# --------------------------------------------------------------------------- upsert


def test_reimport_updates_instead_of_duplicating(session_factory: sessionmaker) -> None:
    first = record(
        exception={"type": "delay", "reason": "航班延误"},
        goods="手机",
        customs={"status": "in_progress"},
        delivery={"signed_by": "本人"},
    )
    import_jsonl([json.dumps(first)], session_factory, progress=False)
    with session_factory() as session:
        before = get_shipment(session, "SF1402345678901")
        assert before is not None
        shipment_id, created_at = before.id, before.created_at

    second = record(
        status="delivered",
        tracking_number="sf 1402-3456 7890 1",
        events=record()["events"][:1],
        delivery={"signed_by": "家人代收", "location": "北京市朝阳区"},
    )
    summary = import_jsonl([json.dumps(second)], session_factory, progress=False)

    assert (summary.inserted, summary.updated, summary.rejected) == (0, 1, 0)
    assert count(session_factory, Shipment) == 1
    assert count(session_factory, TrackingEvent) == 1
    assert count(session_factory, ShipmentException) == 0
    assert count(session_factory, CustomsRecord) == 0
    assert count(session_factory, ProofOfDelivery) == 1
    with session_factory() as session:
        after = get_shipment(session, "SF1402345678901")
        assert after is not None
        assert after.id == shipment_id and after.created_at == created_at
        assert after.updated_at >= created_at
        assert after.status == "delivered"
        assert after.tracking_number == "sf 1402-3456 7890 1"
        assert after.exception is None and after.customs is None
        assert after.delivery is not None and after.delivery.signed_by == "家人代收"
        assert after.extra is None  # the new record has no unknown fields


def test_same_parcel_twice_in_one_file_last_wins(session_factory: sessionmaker) -> None:
    lines = [line(status="in_transit"), line(tracking_number="SF-1402-3456-7890-1", status="delivered")]
    summary = import_jsonl(lines, session_factory, progress=False)
    assert (summary.inserted, summary.updated) == (1, 1)
    with session_factory() as session:
        shipment = get_shipment(session, "SF1402345678901")
        assert shipment is not None and shipment.status == "delivered"
        assert len(shipment.events) == 2


def test_reimport_keeps_cases_attached(session_factory: sessionmaker, tmp_path: Path) -> None:
    from bot.cases import service as case_service
    from bot.config import Settings

    import_jsonl([line()], session_factory, progress=False)
    with session_scope(session_factory) as session:
        shipment = get_shipment(session, "SF1402345678901")
        case_service.open_case(
            session,
            Settings(data_dir=tmp_path),
            "redelivery",
            datetime.now(timezone.utc),
            conversation_id="conv-1",
            parcels=[(shipment.tracking_key, shipment.tracking_number)],
        )
    import_jsonl([line(status="out_for_delivery")], session_factory, progress=False)
    with session_factory() as session:
        shipment = get_shipment(session, "SF1402345678901")
        (case,) = case_service.open_cases_for_parcel(session, shipment.tracking_key)
        assert case.type == "redelivery" and shipment.status == "out_for_delivery"


@pytest.mark.slow  # imports thousands of records
def test_many_records_across_batches(session_factory: sessionmaker) -> None:
    summary = import_jsonl(demo_lines(1234, seed=3), session_factory, progress=False, batch_size=100)
    assert (summary.inserted, summary.updated, summary.rejected) == (1234, 0, 0)
    again = import_jsonl(demo_lines(1234, seed=3), session_factory, progress=False, batch_size=500)
    assert (again.inserted, again.updated, again.rejected) == (0, 1234, 0)
    assert count(session_factory, Shipment) == 1234


def test_database_rejection_only_loses_that_record(
    session_factory: sessionmaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = importer._write_batch

    def failing_write(session: Any, records: list[importer.ValidRecord]) -> tuple[int, int]:
        if any(r.key == "SF1000000000002" for r in records):
            raise IntegrityError("INSERT ...", {}, Exception("CHECK constraint failed"))
        return real_write(session, records)

    monkeypatch.setattr(importer, "_write_batch", failing_write)
    lines = [line(tracking_number=f"SF100000000000{i}") for i in range(1, 6)]
    summary = import_jsonl(lines, session_factory, progress=False)

    assert (summary.inserted, summary.rejected) == (4, 1)
    assert summary.errors == [(2, "database rejected the record: CHECK constraint failed")]
    assert count(session_factory, Shipment) == 4


# --------------------------------------------------------------------------- progress


@pytest.mark.slow  # imports thousands of records
def test_progress_bar_only_when_asked_and_large(
    tmp_path: Path, session_factory: sessionmaker, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "big.jsonl"
    big.write_text("\n".join(demo_lines(700, seed=5)) + "\n", encoding="utf-8")
    assert big.stat().st_size > importer.PROGRESS_MIN_BYTES

    import_jsonl(big, session_factory, progress=False)
    assert capsys.readouterr().err == ""
    import_jsonl(big, session_factory, progress=True)
    assert "import" in capsys.readouterr().err

    small = write(tmp_path / "small.jsonl", [line()])
    import_jsonl(small, session_factory, progress=True)
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------- command line


def run_cli(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT_DIR), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot", "shipments", *args],
        cwd=ROOT_DIR,
        env=full_env,
        input=stdin,
        capture_output=True,
        timeout=120,
    )


@pytest.mark.slow  # the CLI in a subprocess
def test_cli_import_prints_errors_and_summary(tmp_path: Path, db_url: str) -> None:
    path = write(
        tmp_path / "in.jsonl",
        [
            line(tracking_number="SF1000000000001"),
            line(tracking_number="SF1000000000002", carrier=_DROP),
            line(tracking_number="SF1000000000003", status="teleported"),
            line(tracking_number="SF1000000000004"),
        ],
    )
    result = run_cli("import", str(path), "--database-url", db_url)

    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    lines = out.strip().splitlines()
    assert lines[0] == "line 2: missing field 'carrier'"
    assert lines[1].startswith("line 3: field 'status' has invalid value 'teleported'")
    assert lines[-1] == "inserted=2 updated=0 rejected=2"

    again = run_cli("import", str(path), "--database-url", db_url)
    assert again.stdout.decode().strip().splitlines()[-1] == "inserted=0 updated=2 rejected=2"


@pytest.mark.slow  # the CLI in a subprocess
def test_cli_import_uses_database_url_from_environment(
    tmp_path: Path, db_url: str, session_factory: sessionmaker
) -> None:
    result = run_cli("import", str(SHIPMENTS_FIXTURE), env={"DATABASE_URL": db_url})
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().strip() == "inserted=18 updated=0 rejected=0"
    assert count(session_factory, Shipment) == 18


@pytest.mark.slow  # the CLI in a subprocess
def test_cli_import_from_stdin(db_url: str) -> None:
    result = run_cli("import", "-", "--database-url", db_url, stdin=(line() + "\n").encode())
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().strip() == "inserted=1 updated=0 rejected=0"


@pytest.mark.slow  # the CLI in a subprocess
def test_cli_import_unreadable_file_exits_2(tmp_path: Path, db_url: str) -> None:
    missing = run_cli("import", str(tmp_path / "missing.jsonl"), "--database-url", db_url)
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr.decode() and "missing.jsonl" in missing.stderr.decode()
    directory = run_cli("import", str(tmp_path), "--database-url", db_url)
    assert directory.returncode == 2


@pytest.mark.slow  # the CLI in a subprocess
def test_cli_bad_database_url_exits_1(tmp_path: Path) -> None:
    result = run_cli("import", str(SHIPMENTS_FIXTURE), "--database-url", "nosuchdb://x")
    assert result.returncode == 1
    assert "cannot open the database" in result.stderr.decode()


@pytest.mark.slow  # the CLI in a subprocess
def test_cli_demo_imports_and_reimports(tmp_path: Path, db_url: str, session_factory: sessionmaker) -> None:
    first = run_cli("demo", "--count", "60", "--seed", "5", "--database-url", db_url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.decode().strip() == "inserted=60 updated=0 rejected=0"
    second = run_cli("demo", "--count", "60", "--seed", "5", "--database-url", db_url)
    assert second.stdout.decode().strip() == "inserted=0 updated=60 rejected=0"
    assert count(session_factory, Shipment) == 60
    with session_factory() as session:
        assert get_shipment(session, "SF1402345678901") is not None


@pytest.mark.slow  # the CLI in a subprocess
def test_cli_demo_can_write_the_file(tmp_path: Path, db_url: str) -> None:
    out = tmp_path / "demo.jsonl"
    result = run_cli("demo", "--count", "20", "--output", str(out), "--database-url", db_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().strip() == "inserted=20 updated=0 rejected=0"
    assert len(out.read_text(encoding="utf-8").splitlines()) == 20


@pytest.mark.slow  # the CLI in a subprocess
def test_cli_demo_rejects_a_bad_count(db_url: str) -> None:
    result = run_cli("demo", "--count", "0", "--database-url", db_url)
    assert result.returncode == 2 and "at least 1" in result.stderr.decode()
