"""Frontegg's answers as frozen attrs classes, read by a private, strict cattrs converter.

The converter is this module's own (never cattrs' global one). It is strict where the global one
is lenient: a number is not a string and a string is not a list, because a silently coerced token
or lifetime is worse than a clear ``ResponseFormatError``. Unknown keys are ignored, so new fields
on Frontegg's side never break an old client.
"""

from __future__ import annotations

import json
import math
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

import attrs
from attrs import field, frozen
from cattrs import Converter
from cattrs.errors import ClassValidationError, IterableValidationError, IterableValidationNote
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.v import transform_error

from ._errors import ResponseFormatError

T = TypeVar("T")


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
    token_type: str = "bearer"
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
    mfa_strategies: tuple[str, ...] | None = None
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

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: float
    expires: str


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
    sub_account_access_allowed: bool | None = None
    managed_by: str | None = None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _strict_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _strict_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected a boolean, got {type(value).__name__}")
    return value


def _strict_float(value: object, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError("expected a finite number")
    return float(value)


def _plain_mapping(value: object, _: type) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _is_homogeneous_tuple(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def make_strict_converter() -> Converter:
    """A new converter that reads JSON strictly: no coercion between strings, numbers, arrays."""
    converter = Converter(detailed_validation=True, forbid_extra_keys=False)
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(bool, _strict_bool)
    converter.register_structure_hook(float, _strict_float)
    converter.register_structure_hook_func(lambda tp: tp == Mapping[str, Any], _plain_mapping)

    def structure_tuple(value: object, tp: Any) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise TypeError(f"expected an array, got {type(value).__name__}")
        item_type = typing.get_args(tp)[0]
        items: list[Any] = []
        errors: list[Exception] = []
        for index, item in enumerate(value):
            try:
                items.append(converter.structure(item, item_type))
            except Exception as exc:
                note = IterableValidationNote(f"item {index}", index, item_type)
                exc.__notes__ = [*getattr(exc, "__notes__", []), note]
                errors.append(exc)
        if errors:
            raise IterableValidationError("invalid array items", errors, tp)
        return tuple(items)

    converter.register_structure_hook_func(_is_homogeneous_tuple, structure_tuple)
    return converter


def _make_converter() -> Converter:
    converter = make_strict_converter()
    for cls in (
        MfaWebAuthnDevice,
        MfaPhoneDevice,
        MfaAuthenticatorApp,
        MfaEmailDevice,
        MfaDevices,
        AuthResponse,
        VendorToken,
        ApiTokenResponse,
        Role,
        Permission,
        UserTenant,
        User,
    ):
        # The API-token answers are the one snake_case shape in Frontegg's identity API.
        wire_name = (lambda name: name) if cls is ApiTokenResponse else _camel
        renames: dict[str, Any] = {
            a.name: override(rename=wire_name(a.name)) for a in attrs.fields(cls)
        }
        if cls is AuthResponse:
            renames["mfa_strategies"] = override(
                rename="mfaStrategies", struct_hook=_strategy_names
            )
        converter.register_structure_hook(cls, make_dict_structure_fn(cls, converter, **renames))
        converter.register_unstructure_hook(
            cls, make_dict_unstructure_fn(cls, converter, **renames)
        )
    return converter


_converter = _make_converter()


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


_decoder = json.JSONDecoder(parse_constant=_reject_constant)


def loads_json(body: bytes) -> Any:
    """Parse a JSON body strictly (UTF-8, no NaN/Infinity); ValueError or UnicodeDecodeError."""
    return _decoder.decode(body.decode("utf-8"))


def structure(data: Any, cls: type[T], *, what: str) -> T:
    """Structure decoded JSON into ``cls`` or raise ``ResponseFormatError`` naming the field."""
    if not isinstance(data, dict):
        raise ResponseFormatError(f"{what} answered with JSON {type(data).__name__}, not an object")
    result: T = structure_with(_converter, data, cls, what=what)
    return result


def structure_with(converter: Converter, data: Any, cls: Any, *, what: str) -> Any:
    """``converter.structure(data, cls)``, its failures as ``ResponseFormatError``."""
    # cattrs' errors carry the values they refused (a token among them): the error raised is
    # built in the handler and raised outside it, so they never ride along as __context__.
    try:
        return converter.structure(data, cls)
    except (ClassValidationError, IterableValidationError) as exc:
        failure = ResponseFormatError(
            f"{what} answered with an unexpected body: {'; '.join(transform_error(exc))}"
        )
    except Exception as exc:  # a hook raising something unforeseen: still a format problem
        failure = ResponseFormatError(
            f"{what} answered with an unexpected body ({type(exc).__name__})"
        )
    raise failure


def parse_body(body: bytes, cls: type[T], *, what: str) -> T:
    """Decode and structure a 2xx body; every failure is a ``ResponseFormatError``."""
    if not body.strip():
        raise ResponseFormatError(f"{what} answered with an empty body where JSON was expected")
    data = read_json(body, what=what)
    return structure(data, cls, what=what)


def read_json(body: bytes, *, what: str) -> Any:
    """Decode a JSON body; ``ResponseFormatError`` if it is not JSON.

    ``JSONDecodeError`` keeps the whole document (tokens and all) and ``UnicodeDecodeError``
    the raw bytes: neither is left as the raised error's ``__context__``.
    """
    try:
        return loads_json(body)
    except (ValueError, UnicodeDecodeError):
        pass
    raise ResponseFormatError(f"{what} answered with a body that is not valid JSON")


def parse_auth_response(body: bytes, *, what: str = "login") -> AuthResponse:
    """Read an ``AuthenticationResponseDto`` body."""
    return parse_body(body, AuthResponse, what=what)
