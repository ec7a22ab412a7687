"""Text normalisation before NLU: Traditional -> Simplified, full-width -> half-width,
and a light language guess (zh / en) for choosing the reply language."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


@lru_cache(maxsize=1)
def _converter():  # type: ignore[no-untyped-def]
    from opencc import OpenCC  # opencc-python-reimplemented ships its dictionaries

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
    and no Chinese, otherwise `default` (a bare number keeps the conversation's language)."""
    if _CJK.search(text or ""):
        return "zh"
    if len(_LATIN_WORD.findall(text or "")) >= 1 and not re.fullmatch(r"[\sA-Za-z]{0,2}\d[\d\sA-Za-z\-]*", text.strip()):
        return "en"
    return default
