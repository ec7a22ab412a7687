"""Intent payloads ("/intent{"entity": "value"}") skip Rasa's NLU: Rasa takes the intent and
entities as written. Customers may send them only by pressing a button the bot offered
in its last reply (the widget sends the button's payload as the message); anything else
that looks like a payload is turned into plain text for NLU.

Rasa strips the message and checks for a leading "/" after our NLU normaliser has applied
NFKC (a full-width "／" becomes "/"), so the check here does the same."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

# Sent by the stock widget as the first message of a session (rasa-webchat `initPayload`).
INIT_PAYLOADS = frozenset({"/greet"})
PREFIX = "/"


def _normalised(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def looks_like_payload(text: str) -> bool:
    return _normalised(text).startswith(PREFIX)


def as_plain_text(text: str) -> str:
    """`text` without the leading slash(es) that would make Rasa read it as a payload."""
    while looks_like_payload(text):
        stripped = text.lstrip()
        # drop the first visible character (the slash, or whatever NFKC turns into one)
        text = stripped[1:]
        if not text.strip():
            return ""
    return text


def for_the_bot(text: str, offered: Iterable[str], first_message: bool) -> str | None:
    """What to send Rasa for a customer message: the payload itself when it is one the bot
    offered in its last reply (or the widget's init payload opening a conversation),
    otherwise the message as plain text. None: nothing left to say."""
    if not looks_like_payload(text):
        return text
    wanted = text.strip()
    if wanted in {payload.strip() for payload in offered}:
        return wanted
    if first_message and wanted in INIT_PAYLOADS:
        return wanted
    plain = as_plain_text(text)
    return plain if plain.strip() else None
