"""Demo data: showcase parcels, realism, coverage, formats, and import."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker

from bot.store.demo import (
    CUSTOMS_DOCUMENT_SETS,
    DELAY_REASONS,
    SIGNERS,
    generate_demo_records,
    s10_check_digit,
    showcase_records,
    ups_check_digit,
    write_demo_jsonl,
)
from bot.store.demo_data import SHOWCASE
from bot.store.importer import import_jsonl, parse_datetime, validate_record
from bot.store.models import CUSTOMS_STATUSES, EXCEPTION_TYPES, SERVICES, SHIPMENT_STATUSES
from bot.store.repository import get_shipment
from bot.store.tracking_numbers import CARRIER_PATTERNS, carriers_matching, normalize

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)
SCHEMA_CARRIERS = ("SF", "JD", "ZTO", "YTO", "YUNDA", "STO", "EMS", "CNPOST", "DHL", "UPS", "FEDEX")
MOBILE = re.compile(r"1[3-9]\d{9}")
CJK_NAME = re.compile(r"[\u4e00-\u9fff]{2,4}")


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return generate_demo_records(600, seed=11, now=NOW)


def by_number(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["tracking_number"]: r for r in records}


def when(value: str) -> datetime:
    parsed = parse_datetime(value, "t", required=True)
    assert parsed is not None
    return parsed


# --------------------------------------------------------------------------- showcase


def test_showcase_comes_first_whatever_the_seed() -> None:
    expected = [item["tracking_number"] for item in SHOWCASE]
    for seed in (1, 2, 999):
        numbers = [r["tracking_number"] for r in generate_demo_records(len(SHOWCASE) + 5, seed=seed, now=NOW)]
        assert numbers[: len(SHOWCASE)] == expected


def test_showcase_constant_describes_the_records() -> None:
    records = showcase_records(NOW)
    assert len(records) == len(SHOWCASE) >= 12
    for item, rec in zip(SHOWCASE, records, strict=True):
        assert rec["tracking_number"] == item["tracking_number"]
        assert rec["carrier"] == item["carrier"] and rec["status"] == item["status"]
        assert (rec.get("exception") or {}).get("type") == item["exception"]
        assert (rec.get("customs") or {}).get("status") == item["customs"]
        assert rec["recipient"]["phone"] == item["recipient_phone"]
        assert item["demonstrates"]


def test_showcase_is_identical_for_any_seed_at_the_same_now() -> None:
    a = generate_demo_records(len(SHOWCASE), seed=1, now=NOW)
    b = generate_demo_records(len(SHOWCASE), seed=2, now=NOW)
    assert a == b


def test_showcase_situations() -> None:
    show = by_number(showcase_records(NOW))

    delayed = show["SF1402345678901"]
    assert delayed["status"] == "in_transit" and delayed["exception"]["type"] == "delay"
    assert delayed["exception"]["reason"] in DELAY_REASONS
    assert when(delayed["exception"]["new_eta"]) > NOW
    assert delayed["eta"] == delayed["exception"]["new_eta"]

    locker = show["YT2290112345678"]
    assert locker["status"] == "delivered" and locker["recipient"]["phone"].endswith("5678")
    assert locker["delivery"]["signed_by"] == "快递柜"
    assert locker["delivery"]["location"].startswith("丰巢快递柜(")
    assert locker["delivery"]["pickup_code"] == "352817"
    # Personal data stays out of the scan texts (they are shown before verification).
    assert "352817" not in json.dumps(locker["events"], ensure_ascii=False)
    assert "13812345678" not in json.dumps(locker["events"], ensure_ascii=False)

    assert show["4312345678901"]["exception"]["type"] == "lost"
    assert show["JDVA01234567890"]["exception"]["type"] == "damaged"
    assert show["JDVA01234567890"]["declared_value"] == 3500
    assert show["773123456789012"]["exception"]["type"] == "out_of_area"
    assert show["751234567890"]["exception"]["type"] == "held_at_station"
    assert show["9812345678901"]["exception"]["type"] == "address_problem"

    dhl = show["4019283741"]
    assert dhl["carrier"] == "DHL" and dhl["cross_border"] and dhl["status"] == "customs_hold"
    assert dhl["customs"]["status"] == "duty_unpaid" and dhl["customs"]["duty_amount"] > 0
    assert dhl["customs"]["required_documents"]

    ups = show["1Z999AA10123456784"]
    assert ups["status"] == "out_for_delivery" and ups["cross_border"]

    ems = show["EA123456789CN"]
    assert ems["carrier"] == "EMS" and ems["cross_border"] and ems["customs"]["status"] == "cleared"

    assert show["SF1409876543210"]["status"] == "returning"
    family = show["JD0012345678901"]
    assert family["status"] == "delivered" and family["delivery"]["signed_by"] == "家人代收"


def test_showcase_dates_follow_now() -> None:
    later = NOW + timedelta(days=30)
    a = by_number(showcase_records(NOW))["SF1402345678901"]
    b = by_number(showcase_records(later))["SF1402345678901"]
    assert when(b["events"][-1]["time"]) - when(a["events"][-1]["time"]) == timedelta(days=30)
    assert when(b["exception"]["new_eta"]) > later


def test_small_count_returns_a_prefix() -> None:
    assert generate_demo_records(0, seed=1, now=NOW) == []
    three = generate_demo_records(3, seed=1, now=NOW)
    assert [r["tracking_number"] for r in three] == [s["tracking_number"] for s in SHOWCASE[:3]]
    with pytest.raises(ValueError):
        generate_demo_records(-1, seed=1, now=NOW)
    with pytest.raises(ValueError):
        generate_demo_records(5, seed=1, now=datetime(2026, 11, 23))


# --------------------------------------------------------------------------- determinism and formats


def test_same_seed_same_records_other_seed_other_records() -> None:
    a = generate_demo_records(80, seed=4, now=NOW)
    assert a == generate_demo_records(80, seed=4, now=NOW)
    b = generate_demo_records(80, seed=5, now=NOW)
    assert a[: len(SHOWCASE)] == b[: len(SHOWCASE)]
    assert a[len(SHOWCASE) :] != b[len(SHOWCASE) :]


def test_tracking_numbers_fit_their_carrier_pattern(records: list[dict[str, Any]]) -> None:
    for rec in records:
        key = normalize(rec["tracking_number"])
        assert re.fullmatch(CARRIER_PATTERNS[rec["carrier"]], key), (rec["carrier"], key)
        assert rec["carrier"] in carriers_matching(key)


def test_tracking_numbers_are_unique(records: list[dict[str, Any]]) -> None:
    keys = [normalize(r["tracking_number"]) for r in records]
    assert len(set(keys)) == len(keys)


def test_check_digits(records: list[dict[str, Any]]) -> None:
    assert ups_check_digit("999AA1012345678") == 4  # the published example 1Z999AA10123456784
    for rec in records[len(SHOWCASE) :]:
        number = rec["tracking_number"]
        if rec["carrier"] == "EMS":
            assert int(number[10]) == s10_check_digit(number[2:10])
        elif rec["carrier"] == "UPS":
            assert int(number[-1]) == ups_check_digit(number[2:-1])
        elif rec["carrier"] == "DHL":
            assert int(number[-1]) == int(number[:-1]) % 7


def test_every_record_passes_the_importer_checks(records: list[dict[str, Any]]) -> None:
    for rec in records:
        validate_record(json.loads(json.dumps(rec, ensure_ascii=False)))


# --------------------------------------------------------------------------- coverage


def test_coverage_in_a_small_set() -> None:
    small = generate_demo_records(40, seed=99, now=NOW)
    assert {r["carrier"] for r in small} == set(SCHEMA_CARRIERS)
    assert {r["status"] for r in small} == set(SHIPMENT_STATUSES)
    assert {r["exception"]["type"] for r in small if r.get("exception")} == set(EXCEPTION_TYPES)
    assert {r["customs"]["status"] for r in small if r.get("customs")} == set(CUSTOMS_STATUSES)
    assert {r["service"] for r in small} == set(SERVICES)
    assert {r["customer_tier"] for r in small} == {"regular", "vip", "enterprise"}


def test_random_part_is_varied(records: list[dict[str, Any]]) -> None:
    tail = records[60:]
    assert set(Counter(r["carrier"] for r in tail)) == set(SCHEMA_CARRIERS)
    assert len(Counter(r["status"] for r in tail)) >= 11
    assert any(r["declared_value"] > 2000 for r in tail)
    assert any(r["declared_value"] < 500 for r in tail)


# --------------------------------------------------------------------------- realism


def test_people_and_places_look_chinese(records: list[dict[str, Any]]) -> None:
    for rec in records:
        recipient = rec["recipient"]
        assert MOBILE.fullmatch(recipient["phone"]), recipient["phone"]
        if rec["destination"][:2] not in ("美国", "德国", "日本", "英国", "澳大", "韩国", "法国", "中国"):
            assert CJK_NAME.fullmatch(recipient["name"]), recipient["name"]
            assert recipient["address"].startswith(rec["destination"])
            assert re.search(r"\d+号", recipient["address"])
        if not rec["cross_border"]:
            assert MOBILE.fullmatch(rec["sender"]["phone"])


def test_timelines_are_in_china_time_and_before_now(records: list[dict[str, Any]]) -> None:
    for rec in records:
        events = rec["events"]
        assert events, rec["tracking_number"]
        times = [when(e["time"]) for e in events]
        assert times == sorted(times)
        assert times[-1] <= NOW
        assert NOW - times[-1] < timedelta(days=14)
        assert all(e["time"].endswith("+08:00") for e in events)
        assert events[0]["status"] == "created"


def test_scan_descriptions_are_realistic(records: list[dict[str, Any]]) -> None:
    texts = [e["description"] for r in records for e in r["events"]]
    assert any(re.fullmatch(r"【.+(转运中心|中转场|分拨中心|分拣中心)】已发出，下一站【.+】", t) for t in texts)
    assert any(t.startswith("快件已到达【") for t in texts)
    assert any(re.search(r"派件员 [\u4e00-\u9fff]{2,4}（1[3-9]\d{9}） 正在为您派件", t) for t in texts)
    assert any("清关" in t for t in texts)


def test_no_personal_data_in_scan_texts(records: list[dict[str, Any]]) -> None:
    for rec in records:
        scans = json.dumps(rec["events"], ensure_ascii=False)
        personal = [
            rec["recipient"]["name"],
            rec["recipient"]["phone"],
            rec["recipient"]["address"],
            rec["sender"]["phone"],
            rec["sender"]["address"],
            (rec.get("delivery") or {}).get("pickup_code"),
        ]
        assert not [value for value in personal if value and value in scans], rec["tracking_number"]


def test_delivered_parcels_have_proof_of_delivery(records: list[dict[str, Any]]) -> None:
    delivered = [r for r in records if r["status"] == "delivered"]
    assert len(delivered) > 50
    signers: Counter[str] = Counter()
    for rec in delivered:
        pod = rec["delivery"]
        signers[pod["signed_by"]] += 1
        assert pod["signed_by"] in SIGNERS
        assert when(pod["signed_at"]) == when(rec["events"][-1]["time"])
        assert rec["eta"] is None
        if pod["signed_by"] == "快递柜":
            assert re.fullmatch(r"\d{6}", pod["pickup_code"])
            assert re.match(r"(丰巢快递柜|京东快递柜|中国邮政易邮柜)\(.+店\)", pod["location"])
        elif pod["signed_by"] == "驿站代收点":
            assert re.fullmatch(r"\d-\d-\d{4}", pod["pickup_code"])
            assert re.match(r"(菜鸟驿站|兔喜生活|妈妈驿站)\(.+店\)", pod["location"])
    assert set(signers) == set(SIGNERS)
    assert not [r for r in records if r["status"] != "delivered" and r.get("delivery")]


def test_exceptions_have_reasons(records: list[dict[str, Any]]) -> None:
    for rec in records:
        exception = rec.get("exception")
        if not exception:
            continue
        assert exception["reason"] and re.search(r"[\u4e00-\u9fff]", exception["reason"])
        if exception["type"] == "delay":
            assert exception["reason"] in DELAY_REASONS
            assert when(exception["new_eta"]) > NOW
        if exception["type"] == "out_of_area" and not rec["cross_border"]:
            assert any(p in rec["destination"] for p in ("西藏", "新疆", "青海", "内蒙古"))


def test_cross_border_parcels(records: list[dict[str, Any]]) -> None:
    cross = [r for r in records if r["cross_border"]]
    assert {r["carrier"] for r in cross} == {"DHL", "UPS", "FEDEX", "EMS"}
    assert all(r["cross_border"] for r in records if r["carrier"] in ("DHL", "UPS", "FEDEX"))
    statuses = set()
    for rec in cross:
        customs = rec["customs"]
        statuses.add(customs["status"])
        assert rec["service"] == "international"
        if customs["status"] == "duty_unpaid":
            assert customs["duty_amount"] > 0 and customs["duty_currency"] == "CNY"
            assert rec["status"] == "customs_hold" and rec["exception"]["type"] == "customs_hold"
        if customs["status"] == "held":
            assert rec["exception"]["type"] == "customs_hold"
        if "required_documents" in customs:
            documents = tuple(customs["required_documents"])
            assert documents in (*CUSTOMS_DOCUMENT_SETS, ("身份证正反面", "购物小票/支付凭证"))
    assert statuses == set(CUSTOMS_STATUSES)
    assert not [r for r in records if not r["cross_border"] and r.get("customs")]


# --------------------------------------------------------------------------- through the importer


def test_demo_file_imports_without_rejections(tmp_path: Path, session_factory: sessionmaker) -> None:
    path = tmp_path / "demo.jsonl"
    assert write_demo_jsonl(path, 150, seed=8, now=NOW) == 150
    summary = import_jsonl(path, session_factory, progress=False)
    assert (summary.inserted, summary.rejected) == (150, 0)
    with session_factory() as session:
        locker = get_shipment(session, "yt 2290 1123 45678")
        assert locker is not None and locker.delivery is not None
        assert locker.delivery.pickup_code == "352817"
        assert locker.extra == {"goods": "衣服"}
