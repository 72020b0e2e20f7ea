"""Frontegg's answers to the session's own calls, as frozen attrs classes (read by the one
converter, ``_convert``). The generated models alias those of them that Frontegg's clients
read otherwise than the spec says (clients win): one definition each.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

from ._convert import parse_body


@frozen
class MfaWebAuthnDevice:
    """A security key or platform authenticator enrolled for MFA."""

    id: str
    device_type: str
    name: str


@frozen
class MfaPhoneDevice:
    """A phone enrolled for SMS codes (the number comes masked from Frontegg)."""

    id: str
    phone_number: str


@frozen
class MfaAuthenticatorApp:
    """An authenticator app (TOTP) enrolled for MFA."""

    id: str


@frozen
class MfaEmailDevice:
    """An e-mail address enrolled for MFA codes."""

    email: str


@frozen
class MfaDevices:
    """The MFA devices a user has enrolled, as listed in a login answer."""

    webauthn: tuple[MfaWebAuthnDevice, ...]
    phones: tuple[MfaPhoneDevice, ...]
    authenticators: tuple[MfaAuthenticatorApp, ...]
    emails: tuple[MfaEmailDevice, ...]


def _strategy_names(value: object, _: object) -> tuple[str, ...] | None:
    """``mfaStrategies``: a list of names, as Frontegg's clients read it, or the spec's object
    (its keys whose values are set)."""
    if value is None:
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    if isinstance(value, dict):
        return tuple(str(name) for name, chosen in value.items() if chosen)
    raise TypeError(f"expected a list of strategy names, got {type(value).__name__}")


@frozen
class AuthResponse:
    """Frontegg's answer to a login, MFA verification or refresh (``AuthenticationResponseDto``).

    Fields holding secrets (tokens, codes) are left out of the repr. ``expires_in`` is the access
    token's lifetime in seconds; ``expires`` is Frontegg's own expiry timestamp string.
    """

    mfa_required: bool
    # Absent from an answer that asks for MFA (Frontegg's web SDK reads a missing accessToken as
    # "not signed in yet"): the strategies refuse a missing one where a token is due.
    access_token: str = field(default="", repr=False)
    refresh_token: str = field(default="", repr=False)
    expires_in: float | None = None
    #: Deprecated by Frontegg (its web SDK says to read the JWT's exp): optional.
    expires: str | None = None
    token_type: str = field(default="bearer", repr=False)
    otc_token: str | None = field(default=None, repr=False)
    mfa_token: str | None = field(default=None, repr=False)
    reset_password_token: str | None = field(default=None, repr=False)
    password_expires_in: float | None = None
    notification_period: float | None = None
    mfa_enrolled: bool | None = None
    mfa_devices: MfaDevices | None = None
    #: The second factors the user may use (``("AuthenticatorApp", "SMS")``). The spec calls it
    #: an object; Frontegg's clients read a list of names, so a list is read, and an object
    #: gives its keys whose values are set.
    mfa_strategies: tuple[str, ...] | None = field(default=None, metadata={"read": _strategy_names})
    qr_code: str | None = field(default=None, repr=False)
    recovery_code: str | None = field(default=None, repr=False)
    user_id: str | None = None
    user_email: str | None = None
    email_verified: bool | None = None
    is_breached_password: bool | None = None


@frozen
class VendorToken:
    """Frontegg's answer to an environment (vendor) authentication: ``{token, expiresIn}``."""

    token: str = field(repr=False)
    expires_in: float


@frozen
class ApiTokenResponse:
    """Frontegg's answer to an API-token login or refresh (snake_case on the wire)."""

    access_token: str = field(repr=False, metadata={"json": "access_token"})
    refresh_token: str = field(repr=False, metadata={"json": "refresh_token"})
    expires_in: float = field(metadata={"json": "expires_in"})
    expires: str = field(metadata={"json": "expires"})


@frozen
class OAuthTokens:
    """Frontegg's answer at ``POST /oauth/token`` (hosted login: a code exchanged, or a refresh
    token renewed), OAuth-shaped and snake_case on the wire.

    ``id_token`` is the JWT Frontegg's web SDK uses as the user's bearer (its
    ``setAccessToken(oauthResponse.id_token)``), and the session hands it out likewise; the
    SDK takes a missing ``expires_in`` as 300 seconds, and so does the session.
    """

    access_token: str = field(repr=False, metadata={"json": "access_token"})
    id_token: str = field(default="", repr=False, metadata={"json": "id_token"})
    refresh_token: str = field(default="", repr=False, metadata={"json": "refresh_token"})
    expires_in: float | None = field(default=None, metadata={"json": "expires_in"})
    token_type: str = field(default="Bearer", repr=False, metadata={"json": "token_type"})


@frozen
class Role:
    """A role as Frontegg lists it on a user."""

    id: str
    key: str
    name: str
    vendor_id: str | None = None
    tenant_id: str | None = None
    description: str | None = None
    is_default: bool | None = None
    first_user_role: bool | None = None
    level: float | None = None
    created_at: str | None = None
    updated_at: str | None = None
    permissions: tuple[str, ...] = ()


@frozen
class Permission:
    """A permission as Frontegg lists it on a user."""

    id: str
    key: str
    name: str
    description: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    role_ids: tuple[str, ...] = ()
    category_id: str | None = None
    fe_permission: bool | None = None


@frozen
class UserTenant:
    """One tenant (account) a user belongs to, with the roles held there."""

    tenant_id: str
    roles: tuple[Role, ...] = ()
    temporary_expiration_date: str | None = None
    is_disabled: bool | None = None


@frozen
class User:
    """A Frontegg user (``UserDto``): who the session's token belongs to.

    Fields the spec marks as required are read leniently where Frontegg is known to leave them
    out (they default to empty values), so a sparse profile does not fail a call.
    """

    id: str
    email: str
    tenant_id: str
    name: str | None = None
    profile_picture_url: str | None = None
    sub: str | None = None
    verified: bool | None = None
    mfa_enrolled: bool | None = None
    mfa_bypass: bool | None = None
    phone_number: str | None = None
    roles: tuple[Role, ...] = ()
    permissions: tuple[Permission, ...] = ()
    provider: str | None = None
    tenant_ids: tuple[str, ...] = ()
    activated_for_tenant: bool | None = None
    is_locked: bool | None = None
    tenants: tuple[UserTenant, ...] = ()
    invisible: bool | None = None
    super_user: bool | None = None
    metadata: str | None = None
    vendor_metadata: str | None = None
    external_id: str | None = None
    created_at: str | None = None
    last_login: str | None = None
    #: The user's groups, as Frontegg sends them (not modelled by the spec).
    groups: tuple[Mapping[str, Any], ...] | None = None
    sub_account_access_allowed: bool | None = None
    managed_by: str | None = None


def parse_auth_response(body: bytes, *, what: str = "login") -> AuthResponse:
    """Read an ``AuthenticationResponseDto`` body."""
    return parse_body(body, AuthResponse, what=what)
