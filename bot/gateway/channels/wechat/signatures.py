"""WeChat/WeCom callback signatures, compared in constant time.

WeChat signs a callback with SHA-1 over the sorted concatenation of the token, the
timestamp, the nonce (and, for encrypted messages, the `Encrypt` field). wechatpy
compares signatures with `!=`, which returns at the first differing character; every
comparison here uses `hmac.compare_digest` instead, and encrypted bodies are decrypted
only after their signature matched (wechatpy's own check then never sees a forgery).
"""

from __future__ import annotations

import hmac
from typing import Any

import xmltodict
from wechatpy.crypto import PrpCrypto as OfficialPrpCrypto
from wechatpy.enterprise.crypto import PrpCrypto as WorkPrpCrypto
from wechatpy.utils import WeChatSigner


class ForgedSignature(Exception):
    """The signature does not match (or is missing)."""


def expected_signature(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return str(signer.signature)


def matches(given: str | None, *parts: str) -> bool:
    """Whether `given` is the signature of `parts` (constant time in the signature)."""
    if not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected_signature(*parts).encode("ascii"))


def require(given: str | None, *parts: str) -> None:
    if not matches(given, *parts):
        raise ForgedSignature()


def encrypted_field(body: bytes | str) -> str:
    """The `Encrypt` field of an encrypted callback body (ValueError when there is none)."""
    try:
        envelope: Any = xmltodict.parse(body)["xml"]
        encrypt = envelope["Encrypt"]
    except Exception as exc:  # ExpatError, KeyError, TypeError
        raise ValueError(f"no Encrypt field: {exc.__class__.__name__}") from exc
    if not isinstance(encrypt, str) or not encrypt.strip():
        raise ValueError("empty Encrypt field")
    return encrypt.strip()


def decrypt(crypto: Any, encrypt: str, owner_id: str, work: bool = False) -> str:
    """Decrypt a checked `Encrypt` field with the channel's key (`crypto` is wechatpy's
    WeChatCrypto of either channel); raises wechatpy's InvalidAppIdException /
    InvalidCorpIdException when the message is for another account."""
    prp = (WorkPrpCrypto if work else OfficialPrpCrypto)(crypto.key)
    return str(prp.decrypt(encrypt, owner_id))
