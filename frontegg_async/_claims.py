"""Reading a JWT's payload, without verifying it: the server that receives it verifies it."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from attrs import field, frozen

from ._errors import ResponseFormatError


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
    return tuple(item for item in value if isinstance(item, str))


def _payload(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise ResponseFormatError(
            f"the access token is not a JWT (it has {len(parts)} part(s), not 3)"
        )
    segment = parts[1]
    payload: Any = None
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        # Raised below, outside the handler: the decoder's error holds the token's payload.
        payload = None
    else:
        if not isinstance(payload, dict):
            raise ResponseFormatError("the access token's payload is not a JSON object")
        return payload
    raise ResponseFormatError("the access token's payload is not base64url JSON")


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
