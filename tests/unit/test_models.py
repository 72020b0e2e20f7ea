"""The hand-written answer models and their converter: camelCase read as snake_case, unknown
keys ignored, a missing or mistyped field a ResponseFormatError naming it (never echoing a
value), secrets out of reprs; arbitrary bytes and JSON never raise anything else."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontegg_async import AuthResponse, MfaDevices, ResponseFormatError
from frontegg_async._models import parse_auth_response

from ..conftest import exception_texts

MINIMAL: dict[str, Any] = {
    "mfaRequired": False,
    "accessToken": "canary-access-token",
    "refreshToken": "canary-refresh-token",
    "expiresIn": 300,
    "expires": "2026-11-25T13:00:00.000Z",
}


def parse(data: Any) -> AuthResponse:
    return parse_auth_response(json.dumps(data).encode())


def test_minimal_answer_structures_with_defaults() -> None:
    auth = parse(MINIMAL)
    assert auth.access_token == "canary-access-token"
    assert auth.refresh_token == "canary-refresh-token"
    assert auth.expires_in == 300.0
    assert auth.token_type == "bearer"
    assert auth.mfa_devices is None
    assert auth.user_id is None


def test_every_spec_field_is_read_in_snake_case() -> None:
    full = {
        **MINIMAL,
        "tokenType": "Bearer",
        "otcToken": "otc",
        "mfaToken": "mfa",
        "resetPasswordToken": "reset",
        "passwordExpiresIn": 12.5,
        "notificationPeriod": 3,
        "mfaEnrolled": True,
        "mfaDevices": {
            "webauthn": [{"id": "w1", "deviceType": "Platform", "name": "laptop"}],
            "phones": [{"id": "p1", "phoneNumber": "+1***"}],
            "authenticators": [{"id": "a1"}],
            "emails": [{"email": "e@example.com"}],
        },
        "mfaStrategies": ["AuthenticatorApp", "SMS"],
        "qrCode": "qr",
        "recoveryCode": "rec",
        "userId": "u1",
        "userEmail": "ada@example.com",
        "emailVerified": True,
        "isBreachedPassword": False,
    }
    auth = parse(full)
    assert auth.token_type == "Bearer"
    assert auth.password_expires_in == 12.5
    assert auth.notification_period == 3.0
    assert isinstance(auth.mfa_devices, MfaDevices)
    assert auth.mfa_devices.webauthn[0].device_type == "Platform"
    assert auth.mfa_devices.phones[0].phone_number == "+1***"
    assert auth.mfa_devices.authenticators[0].id == "a1"
    assert auth.mfa_devices.emails[0].email == "e@example.com"
    assert auth.mfa_strategies == ("AuthenticatorApp", "SMS")
    assert (auth.otc_token, auth.mfa_token, auth.reset_password_token) == ("otc", "mfa", "reset")
    assert (auth.qr_code, auth.recovery_code) == ("qr", "rec")
    assert (auth.user_id, auth.user_email, auth.email_verified) == ("u1", "ada@example.com", True)
    assert auth.is_breached_password is False


def test_unknown_keys_are_ignored() -> None:
    assert parse({**MINIMAL, "somethingNew": {"x": 1}}).expires_in == 300.0


def test_missing_required_field_is_named() -> None:
    data = {k: v for k, v in MINIMAL.items() if k != "mfaRequired"}
    with pytest.raises(ResponseFormatError, match=r"required field missing @ \$\.mfa_required"):
        parse(data)


def test_an_answer_that_asks_for_mfa_may_carry_no_tokens() -> None:
    # What Frontegg sends when a second factor is due: no tokens, no expiry (its web SDK reads
    # a missing accessToken as "not signed in yet"); strategies as a list of names.
    auth = parse({"mfaRequired": True, "mfaToken": "m", "mfaStrategies": ["AuthenticatorApp"]})
    assert (auth.access_token, auth.refresh_token, auth.expires_in, auth.expires) == (
        "",
        "",
        None,
        None,
    )
    assert auth.mfa_strategies == ("AuthenticatorApp",)


def test_the_specs_object_of_strategies_is_read_too() -> None:
    auth = parse({**MINIMAL, "mfaStrategies": {"AuthenticatorApp": True, "SMS": False}})
    assert auth.mfa_strategies == ("AuthenticatorApp",)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("accessToken", 5),
        ("expiresIn", "300"),
        ("expiresIn", True),
        ("mfaRequired", "false"),
        ("mfaDevices", "none"),
        ("mfaStrategies", "SMS"),
        ("mfaStrategies", [1, 2]),
    ],
)
def test_wrong_type_is_a_format_error_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises(ResponseFormatError) as caught:
        parse({**MINIMAL, field: value})
    snake = "".join("_" + c.lower() if c.isupper() else c for c in field)
    assert snake in str(caught.value)


def test_nested_list_items_are_checked() -> None:
    data = {
        **MINIMAL,
        "mfaDevices": {
            "webauthn": "abc",
            "phones": [{"id": 1}],
            "authenticators": [],
            "emails": [],
        },
    }
    with pytest.raises(ResponseFormatError) as caught:
        parse(data)
    assert "mfa_devices.webauthn" in str(caught.value)
    assert "mfa_devices.phones[0].id" in str(caught.value)


@pytest.mark.parametrize(
    "raw", [b"", b"   ", b"{", b"<html></html>", b"\xff\xfe", b"NaN", b"[]", b"1"]
)
def test_bodies_that_are_not_a_json_object(raw: bytes) -> None:
    with pytest.raises(ResponseFormatError):
        parse_auth_response(raw)


def test_repr_hides_every_secret_field() -> None:
    secrets = {
        "accessToken": "S1-access",
        "refreshToken": "S2-refresh",
        "otcToken": "S3-otc",
        "mfaToken": "S4-mfa",
        "resetPasswordToken": "S5-reset",
        "qrCode": "S6-qr",
        "recoveryCode": "S7-recovery",
    }
    auth = parse({**MINIMAL, **secrets})
    for value in secrets.values():
        assert value not in repr(auth)
        assert value not in str(auth)


def test_format_errors_never_echo_values() -> None:
    canary = "-".join(("canary", "secret", "in", "list"))  # not in this file's source lines
    with pytest.raises(ResponseFormatError) as caught:
        parse({**MINIMAL, "accessToken": [canary]})
    # Nowhere in the chain either: cattrs' error, which holds the value, is not kept.
    assert not any(canary in text for text in exception_texts(caught.value))
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(st.binary())
def test_arbitrary_bytes_give_a_response_or_a_format_error(raw: bytes) -> None:
    with contextlib.suppress(ResponseFormatError):
        parse_auth_response(raw)


@given(json_values)
def test_arbitrary_json_gives_a_response_or_a_format_error(data: Any) -> None:
    with contextlib.suppress(ResponseFormatError):
        parse(data)


@given(st.dictionaries(st.sampled_from(sorted(MINIMAL)), json_values))
def test_arbitrary_values_for_known_fields(overrides: dict[str, Any]) -> None:
    try:
        auth = parse({**MINIMAL, **overrides})
    except ResponseFormatError:
        return
    assert isinstance(auth.access_token, str)
    assert auth.expires_in is None or isinstance(auth.expires_in, float)
    assert auth.mfa_strategies is None or all(isinstance(s, str) for s in auth.mfa_strategies)
