"""Short-lived signed links: the customer's evidence upload page and the agents' view of
an attachment. A link carries what it opens and until when, signed with HMAC-SHA256
(LINK_SECRET, or a random key kept under DATA_DIR), so it cannot be forged or extended
and needs no table; an expired or altered link is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import Settings

_KEY_FILE = "link_secret.key"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_secret(settings: Settings) -> bytes:
    """LINK_SECRET, else a random key created once under DATA_DIR (shared by the processes of one host)."""
    if settings.link_secret:
        return settings.link_secret.encode("utf-8")
    path = Path(settings.data_dir) / _KEY_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
    except FileExistsError:  # another process made it first: use theirs
        return bytes.fromhex(path.read_text().strip())
    return bytes.fromhex(key)


@dataclass(frozen=True)
class LinkClaims:
    purpose: str  # "upload" | "file"
    subject: int  # case id (upload) or attachment id (file)
    expires: int  # unix seconds
    extra: dict[str, Any]


class LinkSigner:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("LINK_SECRET must be at least 16 characters")
        self._secret = secret

    def sign(self, purpose: str, subject: int, expires_at: datetime, **extra: Any) -> str:
        body = _b64(
            json.dumps(
                {
                    "p": purpose,
                    "s": int(subject),
                    "e": int(expires_at.timestamp()),
                    "x": extra,
                    "n": secrets.token_hex(4),
                },
                separators=(",", ":"),
            ).encode("utf-8")
        )
        mac = hmac.new(self._secret, body.encode("ascii"), hashlib.sha256).digest()
        return f"{body}.{_b64(mac[:20])}"

    def verify(self, token: str, purpose: str, now: datetime) -> LinkClaims | None:
        """The claims of a valid, unexpired link for `purpose`; None otherwise."""
        if not isinstance(token, str) or len(token) > 1024 or token.count(".") != 1:
            return None
        body, mac = token.split(".")
        try:
            expected = hmac.new(self._secret, body.encode("ascii"), hashlib.sha256).digest()[:20]
            if not hmac.compare_digest(expected, _unb64(mac)):
                return None
            data = json.loads(_unb64(body))
        except (ValueError, UnicodeError):
            return None
        if not isinstance(data, dict) or data.get("p") != purpose:
            return None
        subject, expires, extra = data.get("s"), data.get("e"), data.get("x") or {}
        if not isinstance(subject, int) or not isinstance(expires, int) or not isinstance(extra, dict):
            return None
        if now.timestamp() >= expires:
            return None
        return LinkClaims(purpose, subject, expires, extra)


def upload_link(signer: LinkSigner, settings: Settings, case_id: int, conversation_id: str, now: datetime) -> str:
    expires = now + timedelta(minutes=settings.upload_link_ttl_minutes)
    return f"{settings.public_url}/upload/{signer.sign('upload', case_id, expires, c=conversation_id)}"
