"""Finding tracking numbers in free text (issue 8, class 1): every plausible token is a
candidate, carrier formats only name the carrier; phones, IDs, dates and case
references are never candidates."""

from __future__ import annotations

import pytest

from bot.store.tracking_numbers import (
    find_tracking_numbers,
    is_plausible,
    prefix_mismatch,
    well_formed_numbers,
)


def keys(text: str) -> list[str]:
    return [found.key for found in find_tracking_numbers(text)]


@pytest.mark.parametrize(
    ("text", "key", "carrier"),
    [
        ("中通 7391 0284 7561 02", "73910284756102", "ZTO"),
        ("jt4401928375610", "JT4401928375610", "JTEXPRESS"),
        ("德邦DPK201938475610的件", "DPK201938475610", "DEPPON"),
        ("申通773401234567890", "773401234567890", "STO"),
        ("韵达 431029384756102", "431029384756102", "YUNDA"),
        ("韵达 4312345678901", "4312345678901", "YUNDA"),
        ("JDX029384756120-1-1-", "JDX029384756120", "JD"),
        ("jdva-0123-4567-890", "JDVA01234567890", "JD"),
        ("LP00481726354910 清关", "LP00481726354910", "CAINIAO"),
        ("sf 1402-3456 7890 1", "SF1402345678901", "SF"),
    ],
)
def test_current_carrier_formats_are_found_and_named(text: str, key: str, carrier: str) -> None:
    found = find_tracking_numbers(text)
    assert [f.key for f in found] == [key]
    assert carrier in found[0].carriers and found[0].well_formed


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("SF14023456789012 查不到", "SF14023456789012"),  # one digit too many: still looked up
        ("淘宝订单号 4150029374615502871", "4150029374615502871"),  # a shop's order number
        ("单号 88001122334455667", "88001122334455667"),
        ("No. 8800 1122 3344", "880011223344"),
    ],
)
def test_plausible_numbers_of_no_format_are_candidates(text: str, key: str) -> None:
    assert keys(text) == [key]
    assert not well_formed_numbers(text) or well_formed_numbers(text)[0].key == key


@pytest.mark.parametrize(
    "text",
    [
        "13912345678 是我的电话",
        "+86 139 1234 5678",
        "座机 0571-86419920",
        "身份证 110101199003071237",
        "2026-11-30 下的单",
        "20261130153000",
        "CS20261130-0042 进度",
        "单号好像是20394",
        "运单号 ABCDEFG",
        "ABC12345 is short",
    ],
)
def test_phones_ids_dates_references_and_short_tokens_are_not_candidates(text: str) -> None:
    assert keys(text) == []


def test_a_number_next_to_a_phone_number() -> None:
    assert keys("73910284756102 收件人电话13705512846") == ["73910284756102"]


def test_several_numbers_keep_their_order_without_duplicates() -> None:
    text = "73910284756102 和 JT4401928375610 还有 7391-0284-7561-02"
    assert keys(text) == ["73910284756102", "JT4401928375610"]


def test_plausibility_bounds() -> None:
    assert is_plausible("12345678")
    assert not is_plausible("1234567")
    assert not is_plausible("1" * 26)
    assert not is_plausible("ABCDEFGH1")


def test_prefix_mismatch_names_the_carrier_and_the_length() -> None:
    mismatch = prefix_mismatch("SF14023456789012")
    assert mismatch is not None
    assert (mismatch.carrier, mismatch.digits, mismatch.min_digits, mismatch.max_digits) == ("SF", 14, 12, 13)
    assert prefix_mismatch("SF1402345678901") is None
    jt = prefix_mismatch("JT12345")
    assert jt is not None and jt.carrier == "JTEXPRESS"
