"""TOTP codes for MFA: RFC 6238's own test vectors, and base32 secrets as authenticator apps
write them."""

from __future__ import annotations

import base64

import pytest

from frontegg_async._totp import decode_secret, totp

# RFC 6238, appendix B: the SHA1 seed, with the 8-digit codes cut to their last 6 digits.
RFC_KEY = b"12345678901234567890"


@pytest.mark.parametrize(
    ("at", "code"),
    [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")],
)
def test_rfc6238_vectors(at: int, code: str) -> None:
    assert totp(RFC_KEY, at) == code


def test_secret_decoding_is_lenient_about_spacing_case_and_padding() -> None:
    secret = base64.b32encode(RFC_KEY).decode().rstrip("=")
    spaced = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)).lower()
    assert decode_secret(spaced) == RFC_KEY


@pytest.mark.parametrize("bad", ["not base32!", "", "1"])
def test_bad_secret_is_a_value_error(bad: str) -> None:
    with pytest.raises(ValueError, match="totp_secret"):
        decode_secret(bad)
