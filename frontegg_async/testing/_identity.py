"""The fake's identity material: its signing keys and JWTs, the refresh cookie's name, TOTP.

Written apart from the client on purpose: the fake is an oracle, so nothing here comes from
``frontegg_async``'s private modules (a test that checked the client's cookie name against the
client's own function would prove nothing). The cryptography is the ``cryptography`` package's
(RSA, PKCS#1 v1.5 with SHA-256: what RS256 means; RFC 6238 TOTP); nothing is hand-rolled.

Tokens are RS256 JWTs as Frontegg signs them: a ``kid`` in the header, the public key published
as a JWKS (``/.well-known/jwks.json``) and as a PEM (``publicKey`` in
``/identity/resources/configurations/v1``), ``iat`` and ``exp`` in whole seconds.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import secrets
import threading
from collections.abc import Mapping
from typing import Any

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.twofactor import InvalidToken
    from cryptography.hazmat.primitives.twofactor.totp import TOTP
except ImportError as missing:  # pragma: no cover - the extra is part of every test setup
    raise ImportError(
        "frontegg_async.testing signs its tokens with the cryptography package: "
        "pip install 'frontegg-async[testing]'"
    ) from missing

REFRESH_COOKIE_PREFIX = "fe_refresh_"
#: RSA keys of this size: what verifiers such as Node's jsonwebtoken accept for RS256.
KEY_SIZE = 2048

_shared_key: rsa.RSAPrivateKey | None = None
_shared_key_lock = threading.Lock()


def refresh_cookie_name(client_id: str) -> str:
    """``fe_refresh_`` and the client id with its first dash removed, as Frontegg names it
    (its iOS, Android and Next.js SDKs agree; see PROTOCOL.md)."""
    return REFRESH_COOKIE_PREFIX + client_id.replace("-", "", 1)


def new_private_key() -> rsa.RSAPrivateKey:
    """A fresh RSA key (tens of milliseconds of work)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)


def shared_private_key() -> rsa.RSAPrivateKey:
    """One key for every fake of the process that asks for no key of its own: making a 2048-bit
    key costs 20 to 300 ms, and a test suite starts hundreds of fakes. Each fake still has its
    own ``kid``, so a token from one fake is refused by another."""
    global _shared_key
    with _shared_key_lock:
        if _shared_key is None:
            _shared_key = new_private_key()
        return _shared_key


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None


def _int_b64url(number: int) -> str:
    return _b64url(number.to_bytes((number.bit_length() + 7) // 8, "big"))


def whole_seconds(now: float, lifetime: float) -> tuple[int, int]:
    """``iat`` and ``exp`` in whole seconds, as Frontegg's are: ``iat`` rounded down, ``exp``
    rounded up, so that a token never lapses before ``expiresIn`` says it does."""
    return math.floor(now), math.ceil(now + lifetime)


def unverified_claims(token: str) -> dict[str, Any]:
    """A JWT's payload, NOT verified ({} for anything that is not one): for decisions that a
    later verification makes safe."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        claims = json.loads(_unb64url(parts[1]))
    except ValueError:
        return {}
    return claims if isinstance(claims, dict) else {}


class SigningKeys:
    """The keys a fake signs with: one current, and retired ones that stay published until
    their grace period ends (for tests of a verifier's unknown-``kid`` path)."""

    def __init__(self, *, own_key: bool = False) -> None:
        key = new_private_key() if own_key else shared_private_key()
        self._current = (secrets.token_hex(8), key)
        #: kid -> (key, published until: seconds since the epoch, or None while current)
        self._keys: dict[str, tuple[rsa.RSAPrivateKey, float | None]] = {
            self._current[0]: (key, None)
        }

    @property
    def kid(self) -> str:
        """The ``kid`` of the key that signs now."""
        return self._current[0]

    def rotate(self, *, now: float, grace: float) -> str:
        """Sign with a new key from now on; the old one stays published ``grace`` seconds."""
        old_kid, old_key = self._current
        self._keys[old_kid] = (old_key, now + grace)
        self._current = (secrets.token_hex(8), new_private_key())
        self._keys[self._current[0]] = (self._current[1], None)
        return self._current[0]

    def published(self, now: float) -> dict[str, rsa.RSAPublicKey]:
        """The public keys a verifier may fetch now, by kid."""
        return {
            kid: key.public_key()
            for kid, (key, until) in self._keys.items()
            if until is None or now < until
        }

    @property
    def current_key(self) -> rsa.RSAPrivateKey:
        """The private key that signs now."""
        return self._current[1]

    def sign(self, claims: dict[str, Any], *, header: Mapping[str, Any] | None = None) -> str:
        """An RS256 JWT of ``claims``, signed with the current key (``header`` adds to its
        header or overrides it)."""
        kid, key = self._current
        fields = {"alg": "RS256", "typ": "JWT", "kid": kid, **(header or {})}
        head = _b64url(json.dumps(fields).encode())
        payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{head}.{payload}".encode()
        signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{head}.{payload}.{_b64url(signature)}"

    def verify(self, token: str, *, now: float) -> dict[str, Any]:
        """The claims of a token this fake signed with a key still published; ValueError
        otherwise (the expiry is the caller's to check)."""
        try:
            header_b64, payload_b64, signature_b64 = token.split(".")
            header = json.loads(_unb64url(header_b64))
        except ValueError:
            raise ValueError("not a JWT") from None
        if not isinstance(header, dict) or header.get("alg") != "RS256":
            raise ValueError("not an RS256 JWT")
        public = self.published(now).get(str(header.get("kid")))
        if public is None:
            raise ValueError("unknown kid")
        try:
            public.verify(
                _unb64url(signature_b64),
                f"{header_b64}.{payload_b64}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            raise ValueError("bad signature") from None
        claims = json.loads(_unb64url(payload_b64))
        if not isinstance(claims, dict):
            raise ValueError("a JWT whose payload is not an object")
        return claims

    def jwks(self, now: float) -> dict[str, Any]:
        """The published keys as a JSON Web Key Set (RFC 7517)."""
        keys = []
        for kid, public in self.published(now).items():
            numbers = public.public_numbers()
            keys.append(
                {
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": kid,
                    "n": _int_b64url(numbers.n),
                    "e": _int_b64url(numbers.e),
                }
            )
        return {"keys": keys}

    def public_pem(self) -> str:
        """The current public key as PEM (SubjectPublicKeyInfo), as Frontegg's configuration
        endpoint gives it."""
        return (
            self._current[1]
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )


def totp_matches(secret: str, code: str, *, now: float, window: int = 1) -> bool:
    """Whether ``code`` is the RFC 6238 code (SHA-1, 6 digits, 30 s) of the base32 ``secret``
    at ``now``, give or take ``window`` steps."""
    cleaned = secret.replace(" ", "").replace("-", "").upper()
    try:
        key = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError):
        return False
    # SHA-1 is what RFC 6238 and every authenticator app use for TOTP.
    totp = TOTP(key, 6, hashes.SHA1(), 30, enforce_key_length=False)  # noqa: S303
    for step in range(-window, window + 1):
        try:
            totp.verify(code.encode(), int(now) + 30 * step)
        except InvalidToken:
            continue
        return True
    return False
