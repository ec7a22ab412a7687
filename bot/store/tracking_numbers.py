"""Tracking numbers: normalisation, carrier formats and finding them in free text.

Matching is case-insensitive and ignores spaces and dashes, so a customer may type
"sf 1402-3456 7890 1" for SF1402345678901.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# One pattern per carrier format (upper-case, separators removed). The same
# patterns are the regex features of the NLU (nlu_data/) so both agree.
CARRIER_PATTERNS: dict[str, str] = {
    "SF": r"SF\d{12,13}",
    "JD": r"JD[A-Z]{0,2}\d{10,13}",
    "YTO": r"YT\d{13,15}",
    "ZTO": r"(?:ZTO)?7[1-6]\d{10}",
    "STO": r"(?:77[0-9]|268|368|468|568|668|868|968)\d{9,12}",
    "YUNDA": r"(?:YD)?[1345]\d{12}",
    "EMS": r"[A-Z]{2}\d{9}[A-Z]{2}",  # UPU S10, e.g. EA123456789CN
    "CNPOST": r"9\d{12}",
    "UPS": r"1Z[0-9A-Z]{16}",
    "DHL": r"\d{10}",
    "FEDEX": r"\d{12}|\d{15}",
}
_COMPILED = {code: re.compile(pattern) for code, pattern in CARRIER_PATTERNS.items()}
_CHUNK = re.compile(r"[A-Za-z0-9]+")
_SEPARATOR = re.compile(r"[ \-\u00a0]{1,2}")
_MAX_CHUNKS = 6  # "SF 1402 3456 7890 1" is five chunks


def normalize(raw: str) -> str:
    """The lookup key of a tracking number: NFKC, upper case, no spaces or dashes."""
    text = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"[\s\-_]+", "", text).upper()


def carriers_matching(key: str) -> list[str]:
    """Carrier codes whose format the normalised number fits (may be several)."""
    return [code for code, rx in _COMPILED.items() if rx.fullmatch(key)]


def looks_like_tracking_number(raw: str) -> bool:
    return bool(carriers_matching(normalize(raw)))


@dataclass(frozen=True)
class FoundNumber:
    key: str  # normalised
    text: str  # as written
    start: int
    end: int


def find_tracking_numbers(text: str) -> list[FoundNumber]:
    """Every tracking number in a message, in order, without duplicates.

    Consecutive alphanumeric chunks separated by a single space or dash are joined
    when the joined string fits a carrier format; the longest fit wins.
    """
    if not text:
        return []
    text = unicodedata.normalize("NFKC", text)[:5000]
    chunks = list(_CHUNK.finditer(text))
    found: list[FoundNumber] = []
    seen: set[str] = set()
    i = 0
    while i < len(chunks):
        best_j = -1
        joined = ""
        for j in range(i, min(i + _MAX_CHUNKS, len(chunks))):
            if j > i and not _SEPARATOR.fullmatch(text[chunks[j - 1].end() : chunks[j].start()]):
                break
            joined += chunks[j].group(0).upper()
            if len(joined) > 40:
                break
            if carriers_matching(joined):
                best_j = j
        if best_j >= 0:
            start, end = chunks[i].start(), chunks[best_j].end()
            key = normalize(text[start:end])
            if key not in seen:
                seen.add(key)
                found.append(FoundNumber(key=key, text=text[start:end], start=start, end=end))
            i = best_j + 1
        else:
            i += 1
    return found
