"""Time-based one-time passwords (RFC 6238: HMAC-SHA1, 6 digits, 30 s steps)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct


def decode_secret(secret: str) -> bytes:
    """Decode a base32 TOTP secret (spaces and case ignored, padding optional)."""
    cleaned = secret.replace(" ", "").replace("-", "").upper()
    cleaned += "=" * (-len(cleaned) % 8)
    try:
        key = base64.b32decode(cleaned)
    except (binascii.Error, ValueError):
        raise ValueError("totp_secret is not valid base32") from None
    if not key:
        raise ValueError("totp_secret is empty")
    return key


def totp(key: bytes, at: float, *, step: int = 30, digits: int = 6) -> str:
    """The code valid at ``at`` (seconds since the epoch) for ``key``."""
    counter = int(at // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)
