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


def normalize_text(text: str) -> str:
    """NFKC (full-width letters/digits/punctuation to half-width), Traditional to
    Simplified, collapsed whitespace. Character positions of ASCII content keep
    their meaning for the customer; length may change only for rare ligatures."""
    text = unicodedata.normalize("NFKC", text or "")
    text = to_simplified(text)
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
