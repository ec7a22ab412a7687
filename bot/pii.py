"""Masking of personal data (PIPL: collect only what is needed, mask it).

`mask_text` masks national ID numbers and e-mail addresses (regular expressions, ID
numbers only with a valid checksum and birth date), then phones, pickup codes,
addresses and names found by the spaCy rules in free text (logs, transcripts shown to
unverified viewers); the `mask_*` helpers mask known values (fields of a shipment).
`mask_log_text` also hides credentials (`secret=`, `access_token=`, bearer tokens) and is
what the logs' formatter applies to whole records (bot/logs.py)."""

from __future__ import annotations

import re

from bot.nlu.spacy_rules import find_personal_data


def mask_phone(phone: str | None) -> str:
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) >= 11:
        digits = digits[-11:]
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) >= 7:
        return f"{digits[:2]}****{digits[-2:]}"
    return "****" if digits else ""


def mask_name(name: str | None) -> str:
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1) if len(name) <= 3 else name[0] + "**" + name[-1]


def mask_address(address: str | None) -> str:
    """Keep the city/district (useful, not identifying), hide street and number."""
    if not address:
        return ""
    m = re.match(r"^(.{0,12}?(?:区|县|市))", address)
    head = m.group(1) if m else address[:3]
    return head + "****"


def mask_code(code: str | None) -> str:
    return "****" if code else ""


def mask_national_id(number: str | None) -> str:
    """110105199003071234 -> 110***********1234 (region prefix and last 4 kept)."""
    if not number:
        return ""
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_email(address: str | None) -> str:
    """zhang.san@example.com -> z***@example.com"""
    if not address:
        return ""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


# 18-digit resident identity card number: region (6), birth date (8), sequence (3), check (digit or X).
_NATIONAL_ID = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx](?![0-9A-Za-z])"
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}"
)
# Credentials that libraries print in URLs and headers (WeChat's token URL has secret=...).
_CREDENTIAL = re.compile(
    r"(?i)\b(secret|appsecret|corpsecret|access_token|refresh_token|token|password|passwd|pwd|"
    r"signature|msg_signature|encodingaeskey|api_key|apikey)(=|\"?\s*:\s*\"?)([^&\s\"',;}]+)"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_LONG_DIGITS = re.compile(r"\d{7,}")


def is_national_id(number: str) -> bool:
    """A valid 18-digit resident ID number (ISO 7064 MOD 11-2 check character)."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def _mask_regex_data(text: str) -> str:
    text = _NATIONAL_ID.sub(lambda m: mask_national_id(m.group(0)) if is_national_id(m.group(0)) else m.group(0), text)
    return _EMAIL.sub(lambda m: mask_email(m.group(0)), text)


def mask_credentials(text: str) -> str:
    """`secret=abc` -> `secret=****`, `Bearer abc...` -> `Bearer ****`."""
    text = _CREDENTIAL.sub(lambda m: f"{m.group(1)}{m.group(2)}****", text)
    return _BEARER.sub(lambda m: f"{m.group(1)} ****", text)


_MASKERS = {
    "PHONE": mask_phone,
    "PHONE_LAST4": lambda s: s,  # four digits alone identify nobody
    "PICKUP_CODE": mask_code,
    "ADDRESS": mask_address,
    "PERSON": mask_name,
}


# find_personal_data reads at most this many characters at once.
_CHUNK_CHARS = 10_000


def mask_text(text: str) -> str:
    """`text` with every national ID number, e-mail address, phone, pickup code,
    address and name masked (long texts in chunks, so nothing past a limit escapes)."""
    if not text:
        return text
    text = _mask_regex_data(text)
    if len(text) > _CHUNK_CHARS:
        return "".join(_mask_spacy(chunk) for chunk in _chunks(text, _CHUNK_CHARS))
    return _mask_spacy(text)


def _chunks(text: str, size: int) -> list[str]:
    """`text` cut into pieces of at most `size` characters, at line ends where possible."""
    pieces: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size) + 1 or size
        pieces.append(text[:cut])
        text = text[cut:]
    pieces.append(text)
    return pieces


# Every pattern of bot.nlu.spacy_rules needs a Chinese character (names, addresses,
# Chinese cues), a run of four digits (phones, "last four digits", bare answers) or an
# English pickup cue: text with none of them (most log lines) skips the spaCy/jieba pass.
_MAY_HOLD_PERSONAL_DATA = re.compile(r"[\u4e00-\u9fff]|\d{4}|pickup|code", re.IGNORECASE)


def _mask_spacy(text: str) -> str:
    if not _MAY_HOLD_PERSONAL_DATA.search(text):
        return text
    out: list[str] = []
    cursor = 0
    for match in find_personal_data(text):
        out.append(text[cursor : match.start])
        out.append(_MASKERS[match.label](match.text))
        cursor = match.end
    out.append(text[cursor:])
    return "".join(out)


def mask_log_text(text: str) -> str:
    """A log record as it may be written: personal data and credentials masked. If the
    masker itself fails, long digit runs and e-mail addresses are still hidden."""
    try:
        masked = mask_text(text)
    except Exception:  # never let a log line out unmasked because the masker broke
        masked = _LONG_DIGITS.sub(lambda m: mask_phone(m.group(0)) or "****", _mask_regex_data(text))
    return mask_credentials(masked)
