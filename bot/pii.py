"""Masking of personal data (PIPL: collect only what is needed, mask it).

`mask_text` masks phones, pickup codes, addresses and names found by the spaCy
rules in free text (logs, transcripts shown to unverified viewers); the `mask_*`
helpers mask known values (fields of a shipment)."""

from __future__ import annotations

import logging
import re
import threading

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


_MASKERS = {
    "PHONE": mask_phone,
    "PHONE_LAST4": lambda s: s,  # four digits alone identify nobody
    "PICKUP_CODE": mask_code,
    "ADDRESS": mask_address,
    "PERSON": mask_name,
}


def mask_text(text: str) -> str:
    """`text` with every phone, pickup code, address and name masked."""
    if not text:
        return text
    out: list[str] = []
    cursor = 0
    for match in find_personal_data(text):
        out.append(text[cursor : match.start])
        out.append(_MASKERS[match.label](match.text))
        cursor = match.end
    out.append(text[cursor:])
    return "".join(out)


_filter_state = threading.local()


class PiiMaskingFilter(logging.Filter):
    """Logging filter that masks personal data in every record's message.

    Re-entrant safe: the first masking loads jieba and spaCy, which log themselves;
    those records pass unmasked instead of waiting for the masker they came from."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(_filter_state, "active", False):
            return True
        _filter_state.active = True
        try:
            message = record.getMessage()
            masked = mask_text(message)
        except Exception:  # a malformed record is logged as it is
            return True
        finally:
            _filter_state.active = False
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install_log_masking(logger: logging.Logger | None = None) -> None:
    target = logger or logging.getLogger()
    for handler in target.handlers or []:
        handler.addFilter(PiiMaskingFilter())
    target.addFilter(PiiMaskingFilter())
