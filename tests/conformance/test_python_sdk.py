"""Frontegg's own Python SDK, and PyJWT's JWKS client, accept the fake's tokens and refuse a
forged one (see ``python_sdk.py``)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import jwt

from frontegg_async import ApiTokenSession, FronteggSession
from frontegg_async.testing import FakeFrontegg

from ..conftest import EMAIL, PASSWORD
from . import COUNTS, run_checks

HERE = Path(__file__).parent


def forged_from(token: str) -> str:
    """The token with one claim changed and its signature kept."""
    head, payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["roles"] = ["Owner"]
    changed = jwt.utils.base64url_encode(jwt.api_jws.json.dumps(claims).encode()).decode()
    assert changed != payload
    return f"{head}.{changed}.{signature}"


async def tokens(fake: FakeFrontegg) -> tuple[str, str]:
    fake.add_api_token("conformance-m2m", "conformance-m2m-secret")
    async with (
        FronteggSession(fake.identity_url, email=EMAIL, password=PASSWORD) as user,
        ApiTokenSession(
            fake.identity_url, client_id="conformance-m2m", secret="conformance-m2m-secret"
        ) as machine,
    ):
        return await user.access_token(), await machine.access_token()


async def test_the_python_sdk_validates_the_fakes_tokens(fake: FakeFrontegg) -> None:
    user_token, api_token = await tokens(fake)
    await run_checks(
        "python sdk",
        sys.executable,
        str(HERE / "python_sdk.py"),
        str(fake.url),
        fake.client_id,
        fake.environment_secret,
        user_token,
        api_token,
        forged_from(user_token),
        checks=5,
        cwd=HERE,
    )
    # It fetched the key as the SDK does, with the trailing slash and its environment token.
    fetched = [r for r in fake.requests if r.endpoint == "configuration"]
    assert fetched
    assert {r.path for r in fetched} == {"/identity/resources/configurations/v1/"}
    assert {r.status for r in fetched} == {200}
    assert all("x-access-token" in r.headers for r in fetched)  # the SDK's old header


async def test_pyjwks_client_verifies_with_rs256_and_the_audience(fake: FakeFrontegg) -> None:
    user_token, api_token = await tokens(fake)

    def verify(token: str) -> dict[str, object]:
        key = jwt.PyJWKClient(str(fake.jwks_url)).get_signing_key_from_jwt(token)
        claims: dict[str, object] = jwt.decode(
            token, key.key, algorithms=["RS256"], audience=fake.client_id
        )
        return claims

    for token in (user_token, api_token):
        assert (await asyncio.to_thread(verify, token))["aud"] == fake.client_id
    try:
        await asyncio.to_thread(verify, forged_from(user_token))
    except jwt.InvalidSignatureError:
        pass
    else:
        raise AssertionError("a forged token verified")
    COUNTS["pyjwt"] = "pyjwt checks passed: 3"
