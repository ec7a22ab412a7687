"""Import shipments from a JSON Lines file (docs/shipment.schema.json).

One JSON object per line. Each line is validated by hand-written checks that
follow the schema (required fields, enums, ISO 8601 date-times with an offset,
non-negative numbers, tracking number length, event shape) plus the column
limits of the store. A bad line is reported with its line number and a reason;
the other lines still import.

Records are upserted by ``tracking_key = normalize(tracking_number)``: importing
a parcel again replaces its fields, events, exception, proof of delivery and
customs record (the row keeps its id, so service requests stay attached). Fields
of the schema left out of a re-imported record are cleared, because a record is
the parcel's full current state.

Leniencies and additions, on purpose:
  * ``null`` for an optional field means "absent".
  * Unknown top-level fields are kept in ``Shipment.extra``; unknown fields inside
    nested objects (events, exception, ...) are ignored, as the schema allows.
  * A tracking number must be 6-40 letters and digits once spaces, dashes and
    underscores are removed (anything else could never be typed into the chat).
  * Events are stored oldest first, stably sorted by time.

The file is streamed: it is never held in memory, lines longer than
``MAX_LINE_BYTES`` are skipped without being read into memory whole, and the
database is written in batches of ``BATCH_SIZE`` records with a few bulk
statements per batch.
"""

from __future__ import annotations

import codecs
import io
import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from typing import IO, Any, TypeGuard, Union, cast

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import utcnow
from bot.contract import SHIPMENT_CUSTOMER_TIERS, CustomerTier
from bot.db import session_scope
from bot.store.models import (
    CUSTOMS_STATUSES,
    EXCEPTION_TYPES,
    SERVICES,
    SHIPMENT_STATUSES,
    CustomsRecord,
    ProofOfDelivery,
    Shipment,
    ShipmentException,
    TrackingEvent,
)
from bot.store.tracking_numbers import normalize

MAX_LINE_BYTES = 1024 * 1024
BATCH_SIZE = 500
MAX_STORED_ERRORS = 1000
PROGRESS_MIN_BYTES = 1024 * 1024
TRACKING_KEY_MIN, TRACKING_KEY_MAX = 6, 40
CUSTOMER_TIERS = tuple(tier.value for tier in SHIPMENT_CUSTOMER_TIERS)

_SHIPMENTS = Shipment.__table__
_EVENTS = TrackingEvent.__table__
_EXCEPTIONS = ShipmentException.__table__
_DELIVERIES = ProofOfDelivery.__table__
_CUSTOMS = CustomsRecord.__table__
_CHILD_TABLES = (_EVENTS, _EXCEPTIONS, _DELIVERIES, _CUSTOMS)

KNOWN_FIELDS = frozenset(
    {
        "tracking_number",
        "carrier",
        "carrier_name",
        "service",
        "order_id",
        "status",
        "origin",
        "destination",
        "cross_border",
        "sender",
        "recipient",
        "customer_tier",
        "declared_value",
        "currency",
        "weight_kg",
        "shipped_at",
        "promised_by",
        "eta",
        "events",
        "exception",
        "delivery",
        "customs",
    }
)
REQUIRED_FIELDS = ("tracking_number", "carrier", "status", "origin", "destination", "events")

Source = Union[str, "os.PathLike[str]", IO[bytes], IO[str], Iterable[str | bytes]]


@dataclass
class ImportSummary:
    inserted: int = 0
    updated: int = 0
    rejected: int = 0
    # (line number, reason); at most MAX_STORED_ERRORS are kept, `rejected` counts all.
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def errors_truncated(self) -> bool:
        return self.rejected > len(self.errors)

    def reject(self, line_no: int, reason: str, max_errors: int) -> None:
        self.rejected += 1
        if len(self.errors) < max_errors:
            self.errors.append((line_no, reason))

    def __str__(self) -> str:
        return f"inserted={self.inserted} updated={self.updated} rejected={self.rejected}"


class RecordError(ValueError):
    """A line that cannot be imported; the message is shown to the operator."""


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class _RawLine:
    line_no: int
    text: str | None  # None when the line could not be read (see error)
    error: str | None
    nbytes: int


_TOO_LARGE = f"line is larger than {MAX_LINE_BYTES // (1024 * 1024)} MB ({MAX_LINE_BYTES} bytes); skipped"


def _read_binary(fh: IO[bytes]) -> Iterator[_RawLine]:
    """Lines of a binary file; an oversized line is skipped chunk by chunk."""
    line_no = 0
    while True:
        chunk = fh.readline(MAX_LINE_BYTES + 1)
        if not chunk:
            return
        line_no += 1
        nbytes = len(chunk)
        if nbytes > MAX_LINE_BYTES and not chunk.endswith(b"\n"):
            while not chunk.endswith(b"\n"):
                chunk = fh.readline(64 * 1024)
                if not chunk:
                    break
                nbytes += len(chunk)
            yield _RawLine(line_no, None, _TOO_LARGE, nbytes)
            continue
        if line_no == 1 and chunk.startswith(codecs.BOM_UTF8):
            chunk = chunk[len(codecs.BOM_UTF8) :]
        try:
            yield _RawLine(line_no, chunk.decode("utf-8"), None, nbytes)
        except UnicodeDecodeError as exc:
            yield _RawLine(line_no, None, f"line is not valid UTF-8 (byte {exc.start + 1})", nbytes)


def _read_items(items: Iterable[str | bytes]) -> Iterator[_RawLine]:
    """Lines given as strings or bytes (one record each, newline optional)."""
    for line_no, item in enumerate(items, start=1):
        if isinstance(item, bytes):
            raw = item
            if len(raw) > MAX_LINE_BYTES + 2:  # allow a trailing "\r\n"
                yield _RawLine(line_no, None, _TOO_LARGE, len(raw))
                continue
            try:
                text = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield _RawLine(line_no, None, f"line is not valid UTF-8 (byte {exc.start + 1})", len(raw))
                continue
        elif isinstance(item, str):
            text = item
        else:
            yield _RawLine(line_no, None, f"line is a {type(item).__name__}, not text", 0)
            continue
        nbytes = len(text) if len(text) * 4 <= MAX_LINE_BYTES else len(text.encode("utf-8", "surrogatepass"))
        if nbytes > MAX_LINE_BYTES + 2:
            yield _RawLine(line_no, None, _TOO_LARGE, nbytes)
            continue
        yield _RawLine(line_no, text.lstrip("\ufeff") if line_no == 1 else text, None, nbytes)


def _is_path(source: Any) -> TypeGuard[str | os.PathLike[str]]:
    return isinstance(source, (str, os.PathLike))


# --------------------------------------------------------------------------- validation


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid JSON number")


def parse_json_line(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise RecordError(f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise RecordError("invalid JSON: nested too deeply") from None
    except ValueError as exc:  # NaN/Infinity, integers with too many digits
        raise RecordError(f"invalid JSON: {str(exc)[:120]}") from None


def _text(value: Any, name: str, max_len: int, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise RecordError(f"missing field '{name}'")
        return None
    if not isinstance(value, str):
        raise RecordError(f"field '{name}' must be a string, not {_json_type(value)}")
    if required and not value.strip():
        raise RecordError(f"field '{name}' is empty")
    if len(value) > max_len:
        raise RecordError(f"field '{name}' is longer than {max_len} characters ({len(value)})")
    if "\x00" in value:
        raise RecordError(f"field '{name}' contains a NUL character")
    if not value.isascii():  # only non-ASCII text can hold a lone surrogate
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise RecordError(f"field '{name}' contains invalid Unicode (a lone surrogate)") from None
    return value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _enum(value: Any, name: str, allowed: tuple[str, ...], *, required: bool = False) -> str | None:
    text = _text(value, name, 64, required=required)
    if text is not None and text not in allowed:
        raise RecordError(f"field '{name}' has invalid value {_short(text)} (allowed: {', '.join(allowed)})")
    return text


def _number(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RecordError(f"field '{name}' must be a number, not {_json_type(value)}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise RecordError(f"field '{name}' is too large")
    if number < 0:
        raise RecordError(f"field '{name}' must be >= 0 (got {_short(value)})")
    return number


def _bool(value: Any, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise RecordError(f"field '{name}' must be true or false, not {_json_type(value)}")


def parse_datetime(value: Any, name: str, *, required: bool = False) -> datetime | None:
    """An ISO 8601 date-time that carries a UTC offset (or Z), as aware UTC."""
    text = _text(value, name, 64, required=required)
    if text is None:
        return None
    text = text.strip()
    candidate = text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        raise RecordError(
            f"field '{name}' is not an ISO 8601 date-time: {_short(text)} (expected e.g. 2026-11-20T14:30:00+08:00)"
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise RecordError(f"field '{name}' has no UTC offset: {_short(text)} (expected e.g. 2026-11-20T14:30:00+08:00)")
    try:
        return moment.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        raise RecordError(f"field '{name}' is out of range: {_short(text)}") from None


def _object(value: Any, name: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RecordError(f"field '{name}' must be an object, not {_json_type(value)}")
    return value


@cache
def _column_len(table: Any, column: str) -> int:
    return int(table.c[column].type.length or 10_000)


def _tracking_key(value: Any) -> tuple[str, str]:
    raw = _text(value, "tracking_number", _column_len(_SHIPMENTS, "tracking_number"), required=True)
    assert raw is not None
    raw = raw.strip()
    key = normalize(raw)
    if not TRACKING_KEY_MIN <= len(key) <= TRACKING_KEY_MAX:
        raise RecordError(
            f"field 'tracking_number' must be {TRACKING_KEY_MIN}-{TRACKING_KEY_MAX} characters "
            f"without spaces and dashes (got {len(key)})"
        )
    if not (key.isascii() and key.isalnum()):
        raise RecordError(f"field 'tracking_number' may contain only letters, digits, spaces and dashes: {_short(raw)}")
    return raw, key


def _party(record: dict[str, Any], role: str) -> dict[str, str | None]:
    party = _object(record.get(role), role) or {}
    return {
        f"{role}_name": _text(party.get("name"), f"{role}.name", _column_len(_SHIPMENTS, f"{role}_name")),
        f"{role}_phone": _text(party.get("phone"), f"{role}.phone", _column_len(_SHIPMENTS, f"{role}_phone")),
        f"{role}_address": _text(party.get("address"), f"{role}.address", 2000),
    }


def _events(value: Any) -> list[dict[str, Any]]:
    if value is None:
        raise RecordError("missing field 'events'")
    if not isinstance(value, list):
        raise RecordError(f"field 'events' must be an array, not {_json_type(value)}")
    events: list[dict[str, Any]] = []
    for index, item in enumerate(value):
        name = f"events[{index}]"
        if not isinstance(item, dict):
            raise RecordError(f"field '{name}' must be an object, not {_json_type(item)}")
        for required in ("time", "status", "description"):
            if item.get(required) is None:
                raise RecordError(f"missing field '{name}.{required}'")
        events.append(
            {
                "time": parse_datetime(item["time"], f"{name}.time", required=True),
                "location": _text(item.get("location"), f"{name}.location", _column_len(_EVENTS, "location")),
                "status": _text(item["status"], f"{name}.status", _column_len(_EVENTS, "status"), required=True),
                "description": _text(item["description"], f"{name}.description", 2000, required=True),
            }
        )
    events.sort(key=lambda event: event["time"])  # stable: equal times keep file order
    for seq, event in enumerate(events):
        event["seq"] = seq
    return events


def _exception(value: Any) -> dict[str, Any] | None:
    data = _object(value, "exception")
    if data is None:
        return None
    if data.get("type") is None:
        raise RecordError("missing field 'exception.type'")
    return {
        "type": _enum(data["type"], "exception.type", EXCEPTION_TYPES, required=True),
        "reason": _text(data.get("reason"), "exception.reason", 2000),
        "reported_at": parse_datetime(data.get("reported_at"), "exception.reported_at"),
        "new_eta": parse_datetime(data.get("new_eta"), "exception.new_eta"),
    }


def _delivery(value: Any) -> dict[str, Any] | None:
    data = _object(value, "delivery")
    if data is None:
        return None
    return {
        "signed_at": parse_datetime(data.get("signed_at"), "delivery.signed_at"),
        "signed_by": _text(data.get("signed_by"), "delivery.signed_by", _column_len(_DELIVERIES, "signed_by")),
        "location": _text(data.get("location"), "delivery.location", _column_len(_DELIVERIES, "location")),
        "pickup_code": _text(data.get("pickup_code"), "delivery.pickup_code", _column_len(_DELIVERIES, "pickup_code")),
    }


def _customs(value: Any) -> dict[str, Any] | None:
    data = _object(value, "customs")
    if data is None:
        return None
    documents = data.get("required_documents")
    if documents is not None:
        if not isinstance(documents, list):
            raise RecordError(f"field 'customs.required_documents' must be an array, not {_json_type(documents)}")
        documents = [
            _text(doc, f"customs.required_documents[{i}]", 200, required=True) for i, doc in enumerate(documents)
        ]
    return {
        "status": _enum(data.get("status"), "customs.status", CUSTOMS_STATUSES),
        "duty_amount": _number(data.get("duty_amount"), "customs.duty_amount"),
        "duty_currency": _text(
            data.get("duty_currency"), "customs.duty_currency", _column_len(_CUSTOMS, "duty_currency")
        ),
        "required_documents": documents,
        "note": _text(data.get("note"), "customs.note", 2000),
    }


@dataclass
class ValidRecord:
    key: str
    shipment: dict[str, Any]  # column values of the shipments row
    events: list[dict[str, Any]]
    exception: dict[str, Any] | None
    delivery: dict[str, Any] | None
    customs: dict[str, Any] | None


def validate_record(record: Any) -> ValidRecord:
    """Check one decoded JSON value against the schema; raise RecordError with the reason."""
    if not isinstance(record, dict):
        raise RecordError(f"record must be a JSON object, not {_json_type(record)}")
    for name in REQUIRED_FIELDS:
        if record.get(name) is None:
            raise RecordError(f"missing field '{name}'")
    raw_number, key = _tracking_key(record["tracking_number"])
    shipment: dict[str, Any] = {
        "tracking_key": key,
        "tracking_number": raw_number,
        "carrier": _text(record["carrier"], "carrier", _column_len(_SHIPMENTS, "carrier"), required=True),
        "carrier_name": _text(record.get("carrier_name"), "carrier_name", _column_len(_SHIPMENTS, "carrier_name")),
        "service": _enum(record.get("service"), "service", SERVICES),
        "order_id": _text(record.get("order_id"), "order_id", _column_len(_SHIPMENTS, "order_id")),
        "status": _enum(record["status"], "status", SHIPMENT_STATUSES, required=True),
        "origin": _text(record["origin"], "origin", _column_len(_SHIPMENTS, "origin"), required=True),
        "destination": _text(
            record["destination"], "destination", _column_len(_SHIPMENTS, "destination"), required=True
        ),
        "cross_border": bool(_bool(record.get("cross_border"), "cross_border")),
        "customer_tier": _enum(record.get("customer_tier"), "customer_tier", CUSTOMER_TIERS)
        or CustomerTier.REGULAR.value,
        "declared_value": _number(record.get("declared_value"), "declared_value"),
        "currency": _text(record.get("currency"), "currency", _column_len(_SHIPMENTS, "currency")) or "CNY",
        "weight_kg": _number(record.get("weight_kg"), "weight_kg"),
        "shipped_at": parse_datetime(record.get("shipped_at"), "shipped_at"),
        "promised_by": parse_datetime(record.get("promised_by"), "promised_by"),
        "eta": parse_datetime(record.get("eta"), "eta"),
    }
    shipment["carrier"] = shipment["carrier"].strip().upper()
    shipment.update(_party(record, "sender"))
    shipment.update(_party(record, "recipient"))
    extra = {name: value for name, value in record.items() if name not in KNOWN_FIELDS}
    shipment["extra"] = extra or None
    return ValidRecord(
        key=key,
        shipment=shipment,
        events=_events(record["events"]),
        exception=_exception(record.get("exception")),
        delivery=_delivery(record.get("delivery")),
        customs=_customs(record.get("customs")),
    )


# --------------------------------------------------------------------------- writing


def _existing_ids(session: Session, keys: list[str]) -> dict[str, int]:
    if not keys:
        return {}
    stmt = select(_SHIPMENTS.c.tracking_key, _SHIPMENTS.c.id).where(_SHIPMENTS.c.tracking_key.in_(keys))
    return dict(session.execute(stmt).all())


def _update_statement(columns: list[str]) -> Any:
    values = {column: bindparam(f"b_{column}") for column in columns}
    return update(_SHIPMENTS).where(_SHIPMENTS.c.id == bindparam("b_id")).values(values)


def _write_batch(session: Session, records: list[ValidRecord]) -> tuple[int, int]:
    """Upsert records whose keys are distinct; returns (inserted, updated)."""
    now = utcnow()
    existing = _existing_ids(session, [r.key for r in records])
    new_rows = [{**r.shipment, "created_at": now, "updated_at": now} for r in records if r.key not in existing]
    changed = [r for r in records if r.key in existing]
    if new_rows:
        session.execute(insert(_SHIPMENTS), new_rows)
    if changed:
        columns = [*list(changed[0].shipment), "updated_at"]
        rows = [
            {"b_id": existing[r.key], **{f"b_{c}": v for c, v in r.shipment.items()}, "b_updated_at": now}
            for r in changed
        ]
        session.execute(_update_statement(columns), rows)
        changed_ids = [existing[r.key] for r in changed]
        for table in _CHILD_TABLES:
            session.execute(delete(table).where(table.c.shipment_id.in_(changed_ids)))
    ids = {**existing, **_existing_ids(session, [r.key for r in records if r.key not in existing])}
    _insert_children(session, records, ids)
    return len(new_rows), len(changed)


def _insert_children(session: Session, records: list[ValidRecord], ids: dict[str, int]) -> None:
    events = [{**event, "shipment_id": ids[r.key]} for r in records for event in r.events]
    singles = {
        _EXCEPTIONS: [{**r.exception, "shipment_id": ids[r.key]} for r in records if r.exception],
        _DELIVERIES: [{**r.delivery, "shipment_id": ids[r.key]} for r in records if r.delivery],
        _CUSTOMS: [{**r.customs, "shipment_id": ids[r.key]} for r in records if r.customs],
    }
    if events:
        session.execute(insert(_EVENTS), events)
    for table, rows in singles.items():
        if rows:
            session.execute(insert(table), rows)


@dataclass
class _Batch:
    records: list[ValidRecord] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)

    def add(self, line_no: int, record: ValidRecord) -> None:
        self.records.append(record)
        self.line_numbers.append(line_no)
        self.keys.add(record.key)

    def clear(self) -> None:
        self.records.clear()
        self.line_numbers.clear()
        self.keys.clear()


# Failures that may come from one record's data (a constraint, a value the
# database refuses); OperationalError (locked, disk full, connection lost) is not
# one of them: it aborts the import, since retrying record by record won't help.
_RECORD_FAILURES = (SQLAlchemyError, ValueError, TypeError)


def _is_record_problem(exc: Exception) -> bool:
    return not isinstance(exc, OperationalError)


def _flush(batch: _Batch, factory: sessionmaker, summary: ImportSummary, max_errors: int) -> None:
    if not batch.records:
        return
    try:
        with session_scope(factory) as session:
            inserted, updated = _write_batch(session, batch.records)
    except _RECORD_FAILURES as exc:
        if not _is_record_problem(exc):
            raise
        _flush_one_by_one(batch, factory, summary, max_errors)
    else:
        summary.inserted += inserted
        summary.updated += updated
    batch.clear()


def _flush_one_by_one(batch: _Batch, factory: sessionmaker, summary: ImportSummary, max_errors: int) -> None:
    """The batch failed: write each record alone so only the faulty ones are rejected."""
    for line_no, record in zip(batch.line_numbers, batch.records, strict=True):
        try:
            with session_scope(factory) as session:
                inserted, updated = _write_batch(session, [record])
        except _RECORD_FAILURES as exc:
            if not _is_record_problem(exc):
                raise
            detail = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
            summary.reject(line_no, f"database rejected the record: {detail}", max_errors)
        else:
            summary.inserted += inserted
            summary.updated += updated


# --------------------------------------------------------------------------- entry point


def _progress_bar(total_bytes: int | None, enabled: bool) -> Any:
    from tqdm import tqdm

    if total_bytes is not None:
        return tqdm(
            total=total_bytes,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc="import",
            file=sys.stderr,
            disable=not enabled,
        )
    return tqdm(unit=" lines", desc="import", file=sys.stderr, disable=not enabled)


def _raw_lines(source: Source) -> tuple[Iterator[_RawLine], int | None, Callable[[], None]]:
    """The lines of the source, its size in bytes when known, and a close function."""
    if _is_path(source):
        fh = open(source, "rb")  # noqa: SIM115 (closed by the returned function)
        return _read_binary(fh), os.fstat(fh.fileno()).st_size, fh.close
    if isinstance(source, (io.RawIOBase, io.BufferedIOBase)):
        return _read_binary(cast(IO[bytes], source)), None, lambda: None
    return _read_items(cast(Iterable[str | bytes], source)), None, lambda: None


def import_jsonl(
    path_or_lines: Source,
    session_factory: sessionmaker,
    *,
    progress: bool = False,
    batch_size: int = BATCH_SIZE,
    max_errors: int = MAX_STORED_ERRORS,
) -> ImportSummary:
    """Import a JSON Lines file (path) or an iterable of lines into the store.

    Raises OSError when a path cannot be opened and OperationalError when the
    database itself fails; a bad line never raises, it is counted as rejected.
    """
    lines, size, close = _raw_lines(path_or_lines)
    show = progress and (size is None or size >= PROGRESS_MIN_BYTES)
    summary = ImportSummary()
    batch = _Batch()
    pending_bytes = 0
    try:
        with _progress_bar(size, show) as bar:
            for raw in lines:
                pending_bytes += raw.nbytes if size is not None else 1
                record = _parse_line(raw, summary, max_errors)
                if record is None:
                    continue
                if record.key in batch.keys:  # same parcel twice: the later line updates it
                    _flush(batch, session_factory, summary, max_errors)
                batch.add(raw.line_no, record)
                if len(batch.records) >= batch_size:
                    _flush(batch, session_factory, summary, max_errors)
                    bar.update(pending_bytes)
                    pending_bytes = 0
            _flush(batch, session_factory, summary, max_errors)
            bar.update(pending_bytes)
    finally:
        close()
    summary.errors.sort(key=lambda error: error[0])
    return summary


def _parse_line(raw: _RawLine, summary: ImportSummary, max_errors: int) -> ValidRecord | None:
    if raw.text is None:
        summary.reject(raw.line_no, raw.error or "unreadable line", max_errors)
        return None
    if not raw.text.strip():
        return None
    try:
        return validate_record(parse_json_line(raw.text))
    except RecordError as exc:
        summary.reject(raw.line_no, str(exc), max_errors)
        return None
