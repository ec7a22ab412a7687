"""bot/pii.py: each detector masks what it should (phones, ID numbers, e-mail addresses,
addresses, names, pickup codes, credentials) and leaves alone what is not personal data
(tracking numbers, "last four digits" answers, plain English)."""

from __future__ import annotations

import pytest

from bot.pii import (
    is_national_id,
    mask_address,
    mask_code,
    mask_credentials,
    mask_email,
    mask_log_text,
    mask_name,
    mask_national_id,
    mask_phone,
    mask_text,
)

# A valid resident ID number (check character X) and the same digits with a wrong check digit.
NATIONAL_ID = "11010519491231002X"
BAD_CHECK_DIGIT = "110105194912310021"


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),  # country code and separators dropped
        ("010-12345678", "010****5678"),
        ("8765-4321", "87****21"),  # shorter numbers: two digits each side
        ("123", "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(phone: str | None, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_known_values_keep_only_what_is_useful() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("张三丰") == "张**"
    assert mask_name("欧阳娜娜") == "欧**娜"
    assert mask_name(None) == ""
    assert mask_address("上海市浦东新区张江路100号") == "上海市****"  # the city is kept, not the street
    assert mask_address("长安街1号") == "长安街****"  # no city or district: three characters
    assert mask_code("8-2-1234") == "****" and mask_code("") == ""
    assert mask_national_id(NATIONAL_ID) == "110***********002X"
    assert mask_email("zhang.san@example.com") == "z***@example.com"
    assert mask_email("not-an-address") == "***"


def test_national_id_check_character() -> None:
    assert is_national_id(NATIONAL_ID)
    assert is_national_id(NATIONAL_ID.lower())  # a lower-case x is the same check character
    assert not is_national_id(BAD_CHECK_DIGIT)
    assert not is_national_id(NATIONAL_ID[:-1])


@pytest.mark.parametrize(
    ("text", "secret", "masked"),
    [
        ("我的手机号是13812345678，请联系", "13812345678", "我的手机号是138****5678，请联系"),
        ("电话 138-1234-5678", "138-1234-5678", "电话 138****5678"),
        ("座机 010-12345678", "010-12345678", "座机 010****5678"),
        ("收件人张三丰，地址北京市朝阳区建国路88号", "建国路88号", "收件人张**，地址北京市****"),
        ("我叫李小明", "李小明", "我叫李**"),
        ("取件码是 8-2-1234", "8-2-1234", "取件码是 ****"),
        ("pickup code 5-3-2201", "5-3-2201", "pickup code ****"),
        ("邮箱 zhang.san@example.com", "zhang.san@example.com", "邮箱 z***@example.com"),
        (f"身份证 {NATIONAL_ID}", NATIONAL_ID, "身份证 110***********002X"),
    ],
)
def test_mask_text_finds_personal_data_in_free_text(text: str, secret: str, masked: str) -> None:
    result = mask_text(text)
    assert secret not in result
    assert result == masked


@pytest.mark.parametrize(
    "text",
    [
        "运单 SF1402345678901 到哪了",  # tracking numbers are not personal data
        "The parcel SF1402345678901 is late",
        "手机尾号 5678",  # four digits alone identify nobody (a verification answer)
        "my last four digits are 1234",
        f"身份证 {BAD_CHECK_DIGIT}",  # not a valid ID number
        "Hello, where is my parcel?",
        "",
    ],
)
def test_mask_text_leaves_other_text_alone(text: str) -> None:
    assert mask_text(text) == text


def test_a_long_text_is_masked_past_the_chunk_size() -> None:
    filler = "包裹状态正常。\n" * 2000  # ~16,000 characters: more than one chunk
    masked = mask_text(filler + "我的手机号是13812345678")
    assert "13812345678" not in masked and masked.endswith("138****5678")
    assert len(masked) == len(filler) + len("我的手机号是138****5678")


def test_credentials_are_masked() -> None:
    url = "GET https://api.weixin.qq.com/cgi-bin/token?appid=wx0&secret=d4624c36b6795d&grant_type=x"
    assert mask_credentials(url) == "GET https://api.weixin.qq.com/cgi-bin/token?appid=wx0&secret=****&grant_type=x"
    assert mask_credentials('{"access_token": "abc.def"}') == '{"access_token": "****"}'
    assert mask_credentials("Authorization: Bearer Zm9vYmFyYmF6cXV4") == "Authorization: Bearer ****"
    assert mask_credentials("the token budget") == "the token budget"  # a word, not a credential


def test_log_text_masks_personal_data_and_credentials() -> None:
    line = "customer 13812345678 (li.na@example.com) called /token?secret=s3cr3t"
    assert mask_log_text(line) == "customer 138****5678 (l***@example.com) called /token?secret=****"
