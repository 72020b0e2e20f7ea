"""A table of tokens a verifier must refuse, built from a genuine token of the fake.

Each is what an attacker (or a bug) could send: tokens signed by keys the environment does not
have, or with no signature at all, and tokens the fake's own key signed but that say the wrong
thing (expired, for another audience...). The same table goes through our ``TokenVerifier`` and
through Frontegg's own Python SDK (tests/conformance), so that the two are compared on it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import attrs
import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from frontegg_async.testing import FakeFrontegg

_other_key: rsa.RSAPrivateKey | None = None


def other_key() -> rsa.RSAPrivateKey:
    """An RSA key that is no fake's (made once: making one costs tens of ms)."""
    global _other_key
    if _other_key is None:
        _other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _other_key


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unverified(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    head = b64url(json.dumps(header).encode())
    body = b64url(json.dumps(claims).encode())
    return f"{head}.{body}.{b64url(signature)}"


@attrs.frozen
class Forged:
    """One row: the token, a phrase of the reason our verifier must give, and whether the
    refusal is for a check the official SDK makes too (``sdk_checks``)."""

    token: str
    reason: str
    sdk_checks: bool = True


def _signed_raw(fake: FakeFrontegg, claims: dict[str, Any], exp: str) -> str:
    """``claims`` signed by ``fake``'s key with ``exp`` spelled as given: JSON that Python's
    parsers take but that no JSON encoder writes (``NaN``)."""
    head = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": fake.signing_kid}).encode())
    rest = json.dumps({key: value for key, value in claims.items() if key != "exp"})
    body = b64url((rest[:-1] + ", " + exp + "}").encode())
    signature = fake.signing_key.sign(
        f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    return f"{head}.{body}.{b64url(signature)}"


def forged_tokens(fake: FakeFrontegg, genuine: str, *, now: float) -> dict[str, Forged]:
    """The table, keyed by a name that says what is wrong, from ``genuine`` (a token of
    ``fake``) and the time ``now`` on the verifier's clock."""
    claims = unverified(genuine)
    kid = fake.signing_kid
    pem = fake.public_key_pem().encode()
    hs_input = (
        b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
        + "."
        + b64url(json.dumps(claims).encode())
    )
    hs_signature = hmac.new(pem, hs_input.encode(), hashlib.sha256).digest()
    parts = genuine.split(".")
    tampered_claims = {**claims, "roles": [*claims.get("roles", []), "SuperAdmin"]}
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_pem = ec_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return {
        "alg none": Forged(unsigned({"alg": "none", "kid": kid}, claims), "alg none"),
        "HS256 keyed with the public key": Forged(
            f"{hs_input}.{b64url(hs_signature)}", "signed with 'HS256'"
        ),
        "an alg that is not the key's": Forged(
            jwt.encode(claims, fake.signing_key, algorithm="RS512", headers={"kid": kid}),
            "signed with 'RS512'",
        ),
        "ES256 by a key of its own": Forged(
            jwt.encode(claims, ec_pem, algorithm="ES256", headers={"kid": kid}),
            "signed with 'ES256'",
        ),
        "an unknown kid": Forged(
            jwt.encode(claims, other_key(), algorithm="RS256", headers={"kid": "forged-kid"}),
            "is none of the",
        ),
        "another key with the same kid": Forged(
            jwt.encode(claims, other_key(), algorithm="RS256", headers={"kid": kid}),
            "signature",
        ),
        "a tampered payload": Forged(
            f"{parts[0]}.{b64url(json.dumps(tampered_claims).encode())}.{parts[2]}", "signature"
        ),
        "another audience": Forged(
            fake.sign_token({**claims, "aud": "another-application"}), "another audience", False
        ),
        "another issuer": Forged(
            fake.sign_token({**claims, "iss": "https://evil.example.com"}), "another issuer", False
        ),
        "expired an hour ago": Forged(
            fake.sign_token({**claims, "iat": now - 7200, "exp": now - 3600}), "expired"
        ),
        "not valid for an hour": Forged(
            fake.sign_token({**claims, "nbf": now + 3600}), "not valid for another"
        ),
        "issued an hour from now": Forged(
            fake.sign_token({**claims, "iat": now + 3600, "exp": now + 7200}), "issued"
        ),
        "a type no route accepts": Forged(
            fake.sign_token({**claims, "type": "refreshToken"}), "type ('refreshToken')"
        ),
        "no exp": Forged(
            fake.sign_token({key: value for key, value in claims.items() if key != "exp"}),
            "'exp'",
            False,
        ),
        "an exp of NaN": Forged(_signed_raw(fake, claims, '"exp": NaN'), "'exp' claim is not"),
        "a numeric sub": Forged(fake.sign_token({**claims, "sub": 42}), "'sub' claim"),
        "a boolean iat": Forged(
            fake.sign_token({**claims, "iat": True}), "'iat' claim is not", False
        ),
        "not a JWT": Forged("not-a-jwt", "well-formed"),
        "two parts": Forged(f"{parts[0]}.{parts[1]}", "well-formed"),
    }
