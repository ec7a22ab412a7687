"""Replies about numbers the store does not know, and about things that cannot be numbers.

A well-formed number (it fits a carrier's format) that is not in the store gets "no
record of this number, please check it / it may not be in the system yet", naming the
carrier whose format it has. A plausible number that fits no format gets the same
check, told what was probably mistyped when it has a carrier's prefix. Something the
customer offered as a number that cannot be one (a phone number, five digits, letters)
gets an explanation of what a tracking number looks like.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from actions import texts
from bot.store import tracking_numbers as numbers

# Words that announce a number ("单号是…", "tracking number …").
_NUMBER_CUES = re.compile(r"(单号|运单|快递号|面单|订单号|tracking|number|no\.|waybill)", re.I)
_TOKEN = re.compile(r"\d+(?:[ \-]\d+)*(?![A-Za-z])|[A-Za-z0-9]+")
_PICKUP_CUES = re.compile(r"(取件码|取货码|提货码|pickup code|尾号|后四位|后4位)", re.I)
_MOBILE = re.compile(r"(?:\+?86)?1[3-9]\d{9}")


def carrier_name(lang: str, code: str) -> str:
    pair = numbers.CARRIER_NAMES.get(code)
    return texts.pick(lang, pair) if pair else code


def not_found_text(lang: str, key: str) -> str:
    """Honest reply for a number that is not in the store (never a guessed status)."""
    carriers = numbers.carriers_matching(key)
    # DHL and FedEx formats are bare digit runs: they name no carrier among the others.
    named = [c for c in carriers if c not in ("DHL", "FEDEX")] or carriers
    if len(named) == 1:
        return texts.t(lang, "not_found_carrier", number=key, carrier=carrier_name(lang, named[0]))
    if carriers:
        return texts.t(lang, "not_found", number=key)
    parts = [texts.t(lang, "not_found_plain", number=key)]
    mismatch = numbers.prefix_mismatch(key)
    if mismatch is not None:
        expected = (
            str(mismatch.min_digits)
            if mismatch.min_digits == mismatch.max_digits
            else f"{mismatch.min_digits}–{mismatch.max_digits}"
        )
        more = mismatch.digits > mismatch.max_digits
        parts.append(
            texts.t(
                lang,
                "number_prefix_length",
                carrier=carrier_name(lang, mismatch.carrier),
                prefix=mismatch.prefix,
                digits=expected,
                typed=mismatch.digits,
                more_or_less=texts.t(lang, "number_more" if more else "number_less"),
            )
        )
    else:
        parts.append(texts.t(lang, "number_format_hint"))
    parts.append(texts.t(lang, "not_found_recent"))
    return texts.paragraph(lang, parts)


@dataclass(frozen=True)
class NumberAttempt:
    """Something offered as a tracking number that cannot be one."""

    text: str
    kind: str  # phone | too_short | too_long | no_digits


def attempted_number(text: str) -> NumberAttempt | None:
    """What in `text` the customer meant as a tracking number although it cannot be one
    (None when the message holds a candidate number, or nothing offered as a number)."""
    if not text or numbers.find_tracking_numbers(text):
        return None
    cued = bool(_NUMBER_CUES.search(text))
    if not cued and _PICKUP_CUES.search(text):  # "取件码 5-2-3018" is a pickup code
        return None
    for match in _TOKEN.finditer(text):
        raw = match.group(0)
        key = numbers.normalize(raw)
        digits = sum(ch.isdigit() for ch in key)
        if _MOBILE.fullmatch(key):
            return NumberAttempt(raw, "phone")
        if len(key) > numbers.MAX_LENGTH and digits >= numbers.MIN_DIGITS:
            return NumberAttempt(raw, "too_long")
        if digits == len(key) and (digits >= 5 or (cued and digits >= 3)) and digits < numbers.MIN_LENGTH:
            return NumberAttempt(raw, "too_short")
        if numbers.prefix_mismatch(key) is not None:  # "JT12345": a carrier's prefix, too few digits
            return NumberAttempt(raw, "too_short")
        if cued and len(key) >= 4 and raw.isupper() and digits < numbers.MIN_DIGITS:
            return NumberAttempt(raw, "no_digits" if len(key) >= numbers.MIN_LENGTH or not digits else "too_short")
    return None


def attempt_text(lang: str, attempt: NumberAttempt) -> str:
    """What is wrong with the attempt and what a tracking number looks like."""
    key = numbers.normalize(attempt.text)
    if attempt.kind == "phone":
        first = texts.t(lang, "number_is_phone", number=attempt.text)
    elif attempt.kind == "too_long":
        first = texts.t(lang, "number_too_long", number=attempt.text, count=len(key))
    elif attempt.kind == "no_digits":
        first = texts.t(lang, "number_no_digits", number=attempt.text)
    else:
        first = texts.t(lang, "number_too_short", number=attempt.text, count=len(key))
    return texts.paragraph(lang, [first, texts.t(lang, "number_format_hint")])
