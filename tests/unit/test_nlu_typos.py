"""Input-method slips and pinyin abbreviations are written out before featurisation
(issue 8, NLU robustness); English, tracking numbers and ordinary words stay."""

from __future__ import annotations

import pytest

from bot.nlu.text import fix_typos, normalize_text


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("我的快第到那了", "我的快递到哪了"),
        ("物留信息怎么不更新", "物流信息怎么不更新"),
        ("单好是多少", "单号是多少"),
        ("kd 啥时侯到", "快递 啥时候到"),
        ("KD还没到 wl也不动", "快递还没到 物流也不动"),
        ("dd 号多少", "订单 号多少"),
    ],
)
def test_slips_and_abbreviations_are_written_out(text: str, normal: str) -> None:
    assert normalize_text(text) == normal


@pytest.mark.parametrize(
    "text",
    [
        "where is my kd",  # English: no abbreviation
        "JDD012345678901 到哪了",  # letters inside a number
        "那里有个快递柜",  # an ordinary 那里
        "kdd 是什么",  # not a whole abbreviation
    ],
)
def test_english_numbers_and_ordinary_words_stay(text: str) -> None:
    assert fix_typos(text) == text
