"""Text normalisation before NLU: Traditional -> Simplified, full-width -> half-width,
and a light language guess (zh / en) for choosing the reply language."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from opencc import OpenCC  # opencc-python-reimplemented ships its dictionaries

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_MARKUP = re.compile(r"<[^>]{0,200}>")
_ENGLISH_CUES = {
    "hello",
    "hi",
    "hey",
    "thanks",
    "thank",
    "help",
    "agent",
    "human",
    "where",
    "when",
    "why",
    "parcel",
    "package",
    "tracking",
    "delivery",
    "return",
    "refund",
    "customs",
}


@lru_cache(maxsize=1)
def _converter() -> OpenCC:
    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _converter().convert(text) if _CJK.search(text) else text


# Common input-method slips (homophones typed by pinyin) and the pinyin abbreviations
# customers use in chats, written the usual way. Whole words only: "kd" inside a tracking
# number or an English word stays.
_TYPOS: tuple[tuple[str, str], ...] = (
    ("快第", "快递"),
    ("块递", "快递"),
    ("物留", "物流"),
    ("无流", "物流"),
    ("单好", "单号"),
    ("蛋号", "单号"),
    ("到那了", "到哪了"),
    ("到那里了", "到哪里了"),
    ("在那里了", "在哪里了"),
    ("啥时侯", "啥时候"),
    ("什么时侯", "什么时候"),
    ("签受", "签收"),
)
_ABBREVIATIONS = {"kd": "快递", "wl": "物流", "dd": "订单", "ydh": "运单号"}
_ABBREVIATION = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(_ABBREVIATIONS) + r")(?![A-Za-z0-9])", re.IGNORECASE)


def fix_typos(text: str) -> str:
    """Common slips and pinyin abbreviations in a Chinese message, written out."""
    if not _CJK.search(text):  # "dd" in an English message is no abbreviation
        return text
    for wrong, right in _TYPOS:
        text = text.replace(wrong, right)
    return _ABBREVIATION.sub(lambda m: _ABBREVIATIONS[m.group(1).lower()], text)


def normalize_text(text: str) -> str:
    """NFKC (full-width letters/digits/punctuation to half-width), Traditional to
    Simplified, common typos and pinyin abbreviations written out, collapsed
    whitespace."""
    text = unicodedata.normalize("NFKC", text or "")
    text = fix_typos(to_simplified(text))
    return re.sub(r"\s+", " ", text).strip()


def guess_language(text: str, default: str = "zh") -> str:
    """'zh' when the message has Chinese characters, 'en' when it has English words
    and no Chinese, otherwise `default` (a bare tracking number or digits keep the
    conversation's language)."""
    from bot.store.tracking_numbers import find_tracking_numbers

    text = text or ""
    if _CJK.search(text):
        return "zh"
    for found in reversed(find_tracking_numbers(text)):
        text = text[: found.start] + " " + text[found.end :]
    text = _MARKUP.sub(" ", text)
    words = [w.lower() for w in _LATIN_WORD.findall(text)]
    # One short word ("ok", "no") says nothing about the language; two words or an
    # unmistakably English one do.
    if len(words) >= 2 or (words and words[0] in _ENGLISH_CUES):
        return "en"
    return default
