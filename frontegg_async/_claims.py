"""Reading JWTs without verifying them: a session's own token (the server that receives it
verifies it), and what ``TokenVerifier`` reads of an incoming one before PyJWT checks it (the
token in an ``Authorization`` header, and the JWT header that names its key)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from attrs import field, frozen

from ._errors import InvalidTokenError, ResponseFormatError


@frozen
class Claims:
    """The payload of the session's current JWT, decoded but not verified.

    The common claims are typed fields (``None`` or empty when the token lacks them);
    ``raw`` holds the whole payload, Frontegg's extra claims included.
    """

    sub: str | None
    tenant_id: str | None
    tenant_ids: tuple[str, ...]
    roles: tuple[str, ...]
    permissions: tuple[str, ...]
    type: str | None
    email: str | None
    iat: float | None
    exp: float | None
    iss: str | None
    raw: Mapping[str, Any] = field(repr=False, eq=False, hash=False)


ClaimsT = TypeVar("ClaimsT", bound=Claims)


def _text(payload: Mapping[str, Any], key: str) -> str | None:
    value = payload.get(key)
    return value if isinstance(value, str) else None


def _number(payload: Mapping[str, Any], key: str) -> float | None:
    value = payload.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _texts(payload: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = payload.get(key)
    if not isinstance(value, list):
        return ()
    if set(map(type, value)) <= {str}:  # the usual case, checked at C speed
        return tuple(value)
    return tuple(item for item in value if isinstance(item, str))


#: Longer than any real token; a longer one is refused before it is parsed.
MAX_TOKEN_LENGTH = 16 * 1024


def bearer_token(value: str) -> str:
    """The token of ``"Bearer <token>"`` or of a bare token; ``InvalidTokenError`` for
    anything else."""
    if not isinstance(value, str):
        raise InvalidTokenError(f"a token is a string, not {type(value).__name__}")
    text = value.strip()
    scheme, _, rest = text.partition(" ")
    if rest and scheme.lower() == "bearer":
        text = rest.strip()
    elif rest:
        # The scheme is named only when it looks like one: it could be part of a token.
        named = f" ({scheme!r})" if scheme.isalpha() and len(scheme) <= 20 else ""
        raise InvalidTokenError(f"the Authorization scheme{named} is not Bearer")
    if not text or text.lower() == "bearer":
        raise InvalidTokenError("no token was given")
    if len(text) > MAX_TOKEN_LENGTH:
        raise InvalidTokenError(f"it is longer than {MAX_TOKEN_LENGTH:,} characters")
    return text


def json_segment(segment: str) -> dict[str, Any] | None:
    """One base64url segment of a JWT as the JSON object it encodes, or None (never raising:
    a decoder's error would hold the segment)."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return decoded if isinstance(decoded, dict) else None


def unverified_header(token: str) -> dict[str, Any] | None:
    """A JWT's header, NOT verified (None for what is no JWT): which key the token names, so
    that the verifier knows which one to check its signature with."""
    parts = token.split(".")
    return json_segment(parts[0]) if len(parts) == 3 else None


def _payload(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise ResponseFormatError(
            f"the access token is not a JWT (it has {len(parts)} part(s), not 3)"
        )
    payload = json_segment(parts[1])
    if payload is None:
        raise ResponseFormatError("the access token's payload is not a base64url JSON object")
    return payload


def issued_and_expires(token: str) -> tuple[float | None, float | None]:
    """A JWT's ``iat`` and ``exp`` (None where missing or not JWT-shaped), read cheaply."""
    try:
        payload = _payload(token)
    except ResponseFormatError:
        return None, None
    return _number(payload, "iat"), _number(payload, "exp")


def decode_claims(token: str) -> Claims:
    """Decode a JWT's payload into ``Claims``; ``ResponseFormatError`` if it is not a JWT.

    The message never contains the token.
    """
    return read_claims(_payload(token), Claims)


def read_claims(payload: dict[str, Any], kind: type[ClaimsT]) -> ClaimsT:
    """Frontegg's claims of a decoded payload as ``kind``: the one reading of them, for the
    session's own token and for the tokens a verifier checks alike."""
    return kind(
        sub=_text(payload, "sub"),
        tenant_id=_text(payload, "tenantId"),
        tenant_ids=_texts(payload, "tenantIds"),
        roles=_texts(payload, "roles"),
        permissions=_texts(payload, "permissions"),
        type=_text(payload, "type"),
        email=_text(payload, "email"),
        iat=_number(payload, "iat"),
        exp=_number(payload, "exp"),
        iss=_text(payload, "iss"),
        raw=MappingProxyType(payload),
    )
