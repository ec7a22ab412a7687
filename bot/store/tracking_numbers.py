"""Tracking numbers: normalisation, carrier formats and finding them in free text.

Matching is case-insensitive and ignores spaces and dashes, so a customer may type
"sf 1402-3456 7890 1" for SF1402345678901.

The store is the source of truth: any plausible token in a message (8-25 letters and
digits, at least 7 of them digits, separators tolerated) is a candidate to look up.
Carrier formats only name the carrier and rank candidates: a candidate that fits one
is "well formed" (a miss in the store is then "no record of this number"), one that
fits none is looked up all the same (a carrier's new format, an order number). Phone
numbers, national ID numbers, dates and case references are not candidates.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# One pattern per carrier format (upper-case, separators removed). The same
# patterns are the regex features of the NLU (nlu_data/) so both agree.
CARRIER_PATTERNS: dict[str, str] = {
    "SF": r"SF\d{12,13}",
    # JD + 13 digits; JDV[A-E] + 11 digits; JDX + 12 digits (a package suffix "-1-1-" is not part of it)
    "JD": r"JD[A-Z]{0,2}\d{10,13}",
    "YTO": r"YT\d{13,15}",
    # legacy 12 digits (7[1-6]...), current 14 digits (7...)
    "ZTO": r"(?:ZTO)?7[1-6]\d{10}|7\d{13}",
    "JTEXPRESS": r"JT\d{13}",
    "DEPPON": r"DP[KL]\d{10,12}",
    "STO": r"(?:77[0-9]|268|368|468|568|668|868|968)\d{9,12}",
    # 13 digits (1-5...), 15 digits (3.../4...)
    "YUNDA": r"(?:YD)?[1-5]\d{12}|[34]\d{14}",
    "CAINIAO": r"LP\d{14}",
    "EMS": r"[A-Z]{2}\d{9}[A-Z]{2}|1[01]\d{11}|5[01]\d{11}",  # UPU S10 (EA123456789CN); domestic 13 digits
    "CNPOST": r"9\d{12}",
    "UPS": r"1Z[0-9A-Z]{16}",
    "DHL": r"[1-9]\d{9}",
    "FEDEX": r"[1-9]\d{11}|[1-9]\d{14}",
}
# Carrier names for replies: (zh, en).
CARRIER_NAMES: dict[str, tuple[str, str]] = {
    "SF": ("顺丰", "SF Express"),
    "JD": ("京东", "JD Logistics"),
    "YTO": ("圆通", "YTO"),
    "ZTO": ("中通", "ZTO"),
    "JTEXPRESS": ("极兔", "J&T Express"),
    "DEPPON": ("德邦", "Deppon"),
    "STO": ("申通", "STO"),
    "YUNDA": ("韵达", "Yunda"),
    "CAINIAO": ("菜鸟", "Cainiao"),
    "EMS": ("EMS", "EMS"),
    "CNPOST": ("中国邮政", "China Post"),
    "UPS": ("UPS", "UPS"),
    "DHL": ("DHL", "DHL"),
    "FEDEX": ("FedEx", "FedEx"),
}
# Letter prefixes that name a carrier, with the digits that follow in its numbers: a number
# starting so but of another length was mistyped (one digit too many or too few).
CARRIER_PREFIXES: tuple[tuple[str, str, int, int], ...] = (
    ("SF", "SF", 12, 13),
    ("JT", "JTEXPRESS", 13, 13),
    ("YT", "YTO", 13, 15),
    ("DPK", "DEPPON", 10, 12),
    ("LP", "CAINIAO", 14, 14),
)
_COMPILED = {code: re.compile(pattern) for code, pattern in CARRIER_PATTERNS.items()}
_CHUNK = re.compile(r"[A-Za-z0-9]+")
_SEPARATOR = re.compile(r"[ \-\u00a0]{1,2}")
_MAX_CHUNKS = 6  # "SF 1402 3456 7890 1" is five chunks

MIN_LENGTH = 8
MAX_LENGTH = 25
MIN_DIGITS = 7
# Not tracking numbers: mobile phones (+86 too), landlines, national ID numbers, dates and times.
_MOBILE = re.compile(r"(?:0{0,2}86)?1[3-9]\d{9}")
_LANDLINE = re.compile(r"0[1-9]\d{8,10}")
_NATIONAL_ID = re.compile(r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9X]")
_DATE_TIME = re.compile(r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[01]\d|2[0-3])?(?:[0-5]\d){0,2}")
# Case references (CS20261130-0042) belong to bot/cases.
_CASE_REFERENCE = re.compile(r"(?<![A-Za-z0-9])CS\s?\d{8}\s?[-－—_ ]?\s?\d{4,6}(?![0-9])", re.I)
# A multi-package suffix ("JDVA25071836492-1-1-": package 1 of 1) is not part of the number.
_PACKAGE_SUFFIX = re.compile(r"(?<=[0-9A-Za-z])-\d{1,3}-\d{1,3}(?![0-9A-Za-z])-?")


def normalize(raw: str) -> str:
    """The lookup key of a tracking number: NFKC, upper case, no spaces or dashes."""
    text = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"[\s\-_]+", "", text).upper()


def carriers_matching(key: str) -> list[str]:
    """Carrier codes whose format the normalised number fits (may be several)."""
    return [code for code, rx in _COMPILED.items() if rx.fullmatch(key)]


def looks_like_tracking_number(raw: str) -> bool:
    """The number fits a carrier format (a well-formed number)."""
    return bool(carriers_matching(normalize(raw)))


def is_not_a_tracking_number(key: str) -> bool:
    """A phone number, national ID number or date: never a candidate."""
    return any(rx.fullmatch(key) for rx in (_MOBILE, _LANDLINE, _NATIONAL_ID, _DATE_TIME))


def is_plausible(key: str) -> bool:
    """Could be a tracking number of some carrier (looked up even when it fits no format)."""
    if not (MIN_LENGTH <= len(key) <= MAX_LENGTH) or not key.isalnum() or not key.isascii():
        return False
    if sum(ch.isdigit() for ch in key) < MIN_DIGITS:
        return False
    return not is_not_a_tracking_number(key)


@dataclass(frozen=True)
class PrefixMismatch:
    """A number with a carrier's prefix but not its length."""

    carrier: str
    prefix: str
    min_digits: int
    max_digits: int
    digits: int  # digits the customer typed after the prefix


def prefix_mismatch(key: str) -> PrefixMismatch | None:
    """The carrier whose prefix the number has although it does not fit its format."""
    for prefix, code, low, high in CARRIER_PREFIXES:
        rest = key[len(prefix) :]
        if key.startswith(prefix) and rest.isdigit() and not low <= len(rest) <= high:
            return PrefixMismatch(code, prefix, low, high, len(rest))
    return None


@dataclass(frozen=True)
class FoundNumber:
    key: str  # normalised
    text: str  # as written
    start: int
    end: int
    carriers: tuple[str, ...] = ()  # the carrier formats it fits (empty: plausible only)

    @property
    def well_formed(self) -> bool:
        return bool(self.carriers)


def _is_digit_group(chunk: str) -> bool:
    return chunk.isdigit() and 2 <= len(chunk) <= 6


def find_tracking_numbers(text: str) -> list[FoundNumber]:
    """Every candidate tracking number in a message, in order, without duplicates.

    Consecutive alphanumeric chunks separated by one or two spaces or dashes are
    joined when the joined string fits a carrier format (the longest fit wins), or
    when they are digit groups ("7536 1048 8291 73") forming a plausible number.
    Otherwise a single plausible chunk is a candidate.
    """
    if not text:
        return []
    text = unicodedata.normalize("NFKC", text)[:5000]
    blocked = [(m.start(), m.end()) for rx in (_CASE_REFERENCE, _PACKAGE_SUFFIX) for m in rx.finditer(text)]
    chunks = [c for c in _CHUNK.finditer(text) if not any(s <= c.start() < e for s, e in blocked)]
    found: list[FoundNumber] = []
    seen: set[str] = set()
    i = 0
    while i < len(chunks):
        best_j = -1
        best_carriers: tuple[str, ...] = ()
        grouped_j = excluded_j = -1
        joined = ""
        for j in range(i, min(i + _MAX_CHUNKS, len(chunks))):
            if j > i and not _SEPARATOR.fullmatch(text[chunks[j - 1].end() : chunks[j].start()]):
                break
            part = chunks[j].group(0).upper()
            joined += part
            if len(joined) > MAX_LENGTH + 15:
                break
            if is_not_a_tracking_number(joined):
                excluded_j = j
                continue
            carriers = tuple(carriers_matching(joined))
            if carriers:
                best_j, best_carriers = j, carriers
            elif (
                j > i
                and chunks[i].group(0).isdigit()
                and all(_is_digit_group(c.group(0)) for c in chunks[i + 1 : j + 1])
                and is_plausible(joined)
            ):
                grouped_j = j
        if best_j < 0 and grouped_j < 0 and is_plausible(chunks[i].group(0).upper()):
            grouped_j = i
        end_j = best_j if best_j >= 0 else grouped_j
        if excluded_j > end_j:  # its groups make a phone number or date: none of it is a number
            i = excluded_j + 1
            continue
        if end_j >= 0:
            start, end = chunks[i].start(), chunks[end_j].end()
            key = normalize(text[start:end])
            if key not in seen:
                seen.add(key)
                found.append(FoundNumber(key, text[start:end], start, end, best_carriers if best_j >= 0 else ()))
            i = end_j + 1
        else:
            # a phone number or date written in groups ("0571-86419920") is skipped whole
            i = max(i, excluded_j) + 1
    return found


def well_formed_numbers(text: str) -> list[FoundNumber]:
    """Only the candidates that fit a carrier format."""
    return [found for found in find_tracking_numbers(text) if found.well_formed]
