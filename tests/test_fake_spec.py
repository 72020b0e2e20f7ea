"""The fake answers with bodies that validate against Frontegg's published spec."""

from __future__ import annotations

import base64
import json
import pathlib
from typing import Any

import jsonschema
import pytest

from frontegg_async._totp import totp
from frontegg_async.testing import FakeFrontegg, JumpingClock

from .conftest import PASSWORD, SessionFactory

SPEC = pathlib.Path(__file__).resolve().parents[2] / "shared" / "openapi" / "identity.json"

pytestmark = pytest.mark.skipif(not SPEC.exists(), reason="the spec is not beside the repo")

# Which schema each endpoint's successful answer must match (per the spec's paths).
ANSWERS = {
    ("login", "/resources/auth/v1/user", "post", "200"): "AuthenticationResponseDto",
    (
        "refresh",
        "/resources/auth/v1/user/token/refresh",
        "post",
        "201",
    ): "AuthenticationResponseDto",
    ("me", "/resources/users/v2/me", "get", "200"): "UserDto",
}


def validator_for(spec: dict[str, Any], schema_name: str) -> jsonschema.Validator:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
    return jsonschema.Draft7Validator(schema)


def test_spec_names_the_schemas_we_rely_on() -> None:
    spec = json.loads(SPEC.read_text())
    for (_, path, method, status), schema_name in ANSWERS.items():
        content = spec["paths"][path][method]["responses"][status]["content"]
        ref = content["application/json"]["schema"]["$ref"]
        assert ref == f"#/components/schemas/{schema_name}"


async def test_every_body_the_fake_sends_validates(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    spec = json.loads(SPEC.read_text())
    key = b"spec-check-totp-key-1234"
    fake.add_user("mfa@example.com", PASSWORD, totp_secret=base64.b32encode(key).decode())
    session = make_session()
    await session.login()
    await session.refresh()
    http = session._transport.http
    token = await session.access_token()
    async with http.get(
        fake.identity_url / "resources/users/v2/me", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        assert response.status == 200
    mfa = make_session(email="mfa@example.com", totp_secret=base64.b32encode(key).decode())
    await mfa.login()
    assert totp(key, clock.time())
    await session.logout()
    fake.fail_next("login", status=429)
    with pytest.raises(Exception):  # noqa: B017, PT011 - any error; only the body matters here
        await session.login()

    schemas = {endpoint: name for (endpoint, *_), name in ANSWERS.items()}
    schemas["mfa_verify"] = "AuthenticationResponseDto"  # the spec gives none; as after login
    checked = 0
    for request in fake.requests:
        body = request.response_json
        if 200 <= request.status < 300 and request.endpoint in schemas:
            validator_for(spec, schemas[request.endpoint]).validate(body)
            checked += 1
        elif request.status >= 400:
            assert isinstance(body["errors"], list)
            assert all(isinstance(m, str) for m in body["errors"])
            checked += 1
        elif request.endpoint == "logout":
            assert request.status == 201
            assert body is None
    assert checked >= 6


async def test_requests_the_session_sends_validate_too(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    spec = json.loads(SPEC.read_text())
    session = make_session()
    await session.login()
    await session.refresh()
    login, refresh = fake.requests
    validator_for(spec, "AuthenticateUserPasswordDto").validate(login.json)
    validator_for(spec, "RefreshTokenDto").validate(refresh.json)
