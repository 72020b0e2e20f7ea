"""The fake's tokens are verifiable as Frontegg's are: RS256, a kid, the key published as a
JWKS and as a PEM, whole-second times, iss and aud; checked with PyJWT, not with our code."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from typing import Any

import aiohttp
import jwt
import pytest

from frontegg_async import ApiTokenSession, EnvironmentSession, FronteggSession
from frontegg_async.testing import FakeFrontegg, JumpingClock

from ..conftest import EMAIL, PASSWORD

API_ID, API_SECRET = "tokens-api-client", "tokens-api-secret"


def b64url(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def header_of(token: str) -> dict[str, Any]:
    head = token.split(".")[0]
    result: dict[str, Any] = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    return result


async def get_json(url: Any, token: str | None = None) -> Any:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        assert response.status == 200, await response.text()
        return await response.json()


def verify_with_jwks(fake: FakeFrontegg, token: str) -> dict[str, Any]:
    """PyJWT's own JWKS client (synchronous: run it in a thread)."""
    client = jwt.PyJWKClient(str(fake.jwks_url), cache_keys=False)
    key = client.get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(
        token, key.key, algorithms=["RS256"], audience=fake.client_id, issuer=fake.issuer
    )
    return claims


async def test_user_tokens_verify_with_the_published_jwks(
    fake: FakeFrontegg, clock: JumpingClock
) -> None:
    async with FronteggSession(
        fake.identity_url, email=EMAIL, password=PASSWORD, clock=clock
    ) as session:
        token = await session.access_token()
    header = header_of(token)
    assert header["alg"] == "RS256"
    assert header["kid"] == fake.signing_kid
    claims = await asyncio.to_thread(verify_with_jwks, fake, token)
    assert claims["type"] == "userToken"
    assert claims["email"] == EMAIL
    assert claims["iss"] == str(fake.url)
    assert claims["aud"] == fake.client_id
    assert isinstance(claims["iat"], int)
    assert isinstance(claims["exp"], int)
    # Whole seconds, never shorter than expiresIn said.
    assert claims["exp"] - claims["iat"] >= fake.token_lifetime
    jwks = await get_json(fake.jwks_url)
    assert [k["kid"] for k in jwks["keys"]] == [fake.signing_kid]
    assert {k["kty"] for k in jwks["keys"]} == {"RSA"}


async def test_api_tokens_carry_aud_and_verify_with_the_configuration_public_key(
    fake: FakeFrontegg,
) -> None:
    fake.add_api_token(API_ID, API_SECRET)
    async with (
        ApiTokenSession(fake.identity_url, client_id=API_ID, secret=API_SECRET) as machine,
        EnvironmentSession(
            fake.url, client_id=fake.client_id, secret=fake.environment_secret
        ) as environment,
    ):
        api_token = await machine.access_token()
        environment_token = await environment.access_token()
    # As Frontegg's Python SDK (trailing slash) and Node SDK (none) fetch it.
    for path in ("identity/resources/configurations/v1/", "identity/resources/configurations/v1"):
        configuration = await get_json(fake.url / path, environment_token)
        assert configuration["jwtAlgorithm"] == "RS256"
        claims = jwt.decode(
            api_token, configuration["publicKey"], algorithms=["RS256"], audience=fake.client_id
        )
        assert claims["type"] == "tenantApiToken"


async def test_a_rotated_key_stays_published_for_its_grace_period(
    fake: FakeFrontegg, clock: JumpingClock
) -> None:
    session = FronteggSession(fake.identity_url, email=EMAIL, password=PASSWORD, clock=clock)
    async with session:
        old = await session.access_token()
        old_kid = fake.signing_kid
        new_kid = fake.rotate_signing_key(grace=30)
        assert new_kid != old_kid
        new = (await session.refresh()).access_token
        assert header_of(new)["kid"] == new_kid
        kids = [k["kid"] for k in (await get_json(fake.jwks_url))["keys"]]
        assert sorted(kids) == sorted([old_kid, new_kid])
        await asyncio.to_thread(verify_with_jwks, fake, old)  # still verifiable
        clock.jump(31)
        kids = [k["kid"] for k in (await get_json(fake.jwks_url))["keys"]]
        assert kids == [new_kid]
        with pytest.raises(ValueError, match="unknown kid"):
            fake.decode(old)
        await asyncio.to_thread(verify_with_jwks, fake, new)


async def test_forged_and_foreign_tokens_are_refused(fake: FakeFrontegg) -> None:
    async with FronteggSession(fake.identity_url, email=EMAIL, password=PASSWORD) as session:
        token = await session.access_token()
    head, payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})

    def hs256(key: bytes) -> str:
        # The classic confusion attack: HS256 keyed with the public key, which PyJWT refuses
        # to make, so it is made by hand.
        header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": fake.signing_kid}))
        body = b64url(json.dumps(claims))
        mac = hmac.new(key, f"{header}.{body}".encode(), hashlib.sha256).digest()
        return f"{header}.{body}.{b64url(mac)}"

    forged = {
        "alg none": jwt.encode(claims, None, algorithm="none"),
        "HS256 keyed with the public key": hs256(fake.public_key_pem().encode()),
        "a changed payload": f"{head}.{payload[:-2]}AA.{signature}",
    }
    for name, bad in forged.items():
        with pytest.raises(ValueError, match=r"RS256|signature|JWT"):
            fake.decode(bad)
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                fake.identity_url / "resources/users/v2/me",
                headers={"Authorization": f"Bearer {bad}"},
            ) as response,
        ):
            assert response.status == 401, name
    async with FakeFrontegg(own_key=True) as other:
        other.add_user(EMAIL, PASSWORD)
        async with FronteggSession(other.identity_url, email=EMAIL, password=PASSWORD) as s:
            foreign = await s.access_token()
    with pytest.raises(ValueError, match="unknown kid"):
        fake.decode(foreign)


async def test_both_prefixes_and_the_tenants_every_client_loads(fake: FakeFrontegg) -> None:
    fake._users[EMAIL.lower()].tenant_ids[:] = ["tenant-a", "tenant-b"]
    for base in (fake.identity_url, fake.url / "frontegg" / "identity"):
        async with FronteggSession(base, email=EMAIL, password=PASSWORD) as session:
            assert (await session.request("GET", "resources/users/v2/me"))["email"] == EMAIL
            tenants = await session.request("GET", "resources/users/v3/me/tenants")
            # As Frontegg's web SDK reads it: the tenants and the active one.
            assert [t["tenantId"] for t in tenants["tenants"]] == ["tenant-a", "tenant-b"]
            assert tenants["activeTenant"]["tenantId"] == "tenant-a"
    assert fake.calls["login"] == 2
    assert fake.calls["me_tenants"] == 2
