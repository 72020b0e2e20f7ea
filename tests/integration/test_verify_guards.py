"""The verifier guarding real servers on loopback: an aiohttp.web app (middleware, decorator)
and a FastAPI app (the dependency), each answered 200, 401, 403 or 503 as RFC 6750 says."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import aiohttp
import httpx
import pytest
from aiohttp import web
from fastapi import Depends, FastAPI, Request

from frontegg_async import TokenVerifier, VerifiedToken
from frontegg_async._secrets import fingerprint
from frontegg_async.fastapi import require
from frontegg_async.testing import FakeFrontegg, JumpingClock

from ..conftest import EMAIL, PASSWORD, serving, token_of
from ..forged import forged_tokens, unverified


@pytest.fixture
async def user_token(fake: FakeFrontegg, clock: JumpingClock) -> str:
    return await token_of(fake, clock)


@pytest.fixture
async def verifier(fake: FakeFrontegg, clock: JumpingClock) -> AsyncIterator[TokenVerifier]:
    async with TokenVerifier(str(fake.url), audience=fake.client_id, clock=clock) as made:
        yield made


async def whoami(request: web.Request) -> web.Response:
    token: VerifiedToken = request["frontegg"]
    return web.json_response({"sub": token.sub, "email": token.email})


@pytest.fixture
async def guarded_app(verifier: TokenVerifier) -> AsyncIterator[str]:
    app = web.Application(
        middlewares=[verifier.aiohttp_middleware(permissions="fe.secure.read.users")]
    )
    app.router.add_get("/whoami", whoami)
    async with serving(app) as url:
        yield url


async def get(url: str, token: str | None = None) -> tuple[int, dict[str, str], object]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as answer:
        return answer.status, dict(answer.headers), await answer.json()


async def test_the_middleware_lets_a_valid_token_through_with_its_claims(
    guarded_app: str, user_token: str
) -> None:
    status, _, body = await get(f"{guarded_app}/whoami", user_token)
    assert status == 200
    assert body == {"sub": unverified(user_token)["sub"], "email": EMAIL}


async def test_the_middleware_answers_401_403_as_rfc_6750_says(
    guarded_app: str,
    user_token: str,
    fake: FakeFrontegg,
    clock: JumpingClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="frontegg_async")
    status, headers, body = await get(f"{guarded_app}/whoami")
    assert (status, headers["WWW-Authenticate"]) == (401, "Bearer")
    for name, forged in forged_tokens(fake, user_token, now=clock.time()).items():
        status, headers, body = await get(f"{guarded_app}/whoami", forged.token)
        assert status == 401, name
        assert headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"'), name
        assert forged.token not in str(body)
        assert f"answered 401 to a request (token {fingerprint(forged.token)})" in caplog.text
        assert all(part not in caplog.text for part in forged.token.split(".") if len(part) > 8)
    lacking = fake.sign_token({**unverified(user_token), "permissions": ["fe.other"]})
    status, headers, body = await get(f"{guarded_app}/whoami", lacking)
    assert status == 403
    assert headers["WWW-Authenticate"] == 'Bearer error="insufficient_scope"'
    assert "fe.secure.read.users" in str(body)


async def test_no_keys_is_503_not_401(fake: FakeFrontegg, user_token: str) -> None:
    """A client told 401 drops its token; when the keys cannot be had, the token is not at
    fault: 503 with Retry-After."""
    fake.fail_next("jwks", status=502)
    async with TokenVerifier(str(fake.url)) as verifier:
        app = web.Application(middlewares=[verifier.aiohttp_middleware()])
        app.router.add_get("/whoami", whoami)
        async with serving(app) as url:
            status, headers, body = await get(f"{url}/whoami", user_token)
            assert status == 503
            assert headers["Retry-After"] == "1"  # the first backoff
            assert "cannot be verified now" in str(body)
            status, _, _ = await get(f"{url}/whoami", user_token)
            assert status == 503  # within the backoff: at once, no fetch
            assert fake.calls["jwks"] == 1


async def test_the_decorator_guards_one_route_and_leaves_the_others(
    verifier: TokenVerifier, user_token: str, fake: FakeFrontegg
) -> None:
    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    admins_only = verifier.require(roles="Owner")(whoami)
    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/whoami", verifier.require()(whoami))
    app.router.add_get("/admin", admins_only)
    async with serving(app) as url:
        assert (await get(f"{url}/health"))[0] == 200
        assert (await get(f"{url}/whoami"))[0] == 401
        assert (await get(f"{url}/whoami", user_token))[0] == 200
        status, _, body = await get(f"{url}/admin", user_token)
        assert status == 403
        assert "roles Owner" in str(body)
    assert admins_only.__name__ == "whoami"


async def test_the_fastapi_dependency(
    verifier: TokenVerifier, user_token: str, fake: FakeFrontegg, clock: JumpingClock
) -> None:
    api = FastAPI()
    readers = require(verifier, permissions=["fe.secure.read.users"])
    owners = require(verifier, roles="Owner")

    @api.get("/whoami")
    async def whoami_(request: Request, token: VerifiedToken = Depends(readers)) -> object:  # noqa: B008
        assert request.state.frontegg is token
        return {"sub": token.sub}

    @api.get("/owners")
    async def owners_(token: VerifiedToken = Depends(owners)) -> object:  # noqa: B008
        return {"sub": token.sub}

    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        ok = await client.get("/whoami", headers={"Authorization": f"Bearer {user_token}"})
        assert ok.status_code == 200
        assert ok.json() == {"sub": unverified(user_token)["sub"]}
        missing = await client.get("/whoami")
        assert (missing.status_code, missing.headers["www-authenticate"]) == (401, "Bearer")
        forged = forged_tokens(fake, user_token, now=clock.time())["another key with the same kid"]
        bad = await client.get("/whoami", headers={"Authorization": f"Bearer {forged.token}"})
        assert bad.status_code == 401
        assert bad.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
        assert "signature" in bad.json()["detail"]
        assert forged.token not in bad.text
        lacking = await client.get("/owners", headers={"Authorization": f"Bearer {user_token}"})
        assert lacking.status_code == 403
        assert lacking.headers["www-authenticate"] == 'Bearer error="insufficient_scope"'
    assert fake.calls["jwks"] == 1


# Starlette 1.x asks for httpx2 under its TestClient and warns that httpx is deprecated there;
# httpx is what this project installs (its httpx_auth is for httpx).
@pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
def test_the_fastapi_dependency_under_starlettes_test_client() -> None:
    """How FastAPI apps are tested: a verifier made with the app, and Starlette's synchronous
    TestClient, which runs the app in an event loop of its own for each block."""
    import threading

    from fastapi.testclient import TestClient

    served = asyncio.new_event_loop()
    fake = FakeFrontegg()
    served.run_until_complete(fake.start())
    thread = threading.Thread(target=served.run_forever, daemon=True)
    thread.start()
    try:
        fake.add_user(EMAIL, PASSWORD)
        token = asyncio.run_coroutine_threadsafe(token_of(fake), served).result(10)
        verifier = TokenVerifier(str(fake.url), audience=fake.client_id)
        api = FastAPI()
        signed_in = require(verifier)

        @api.get("/me")
        async def me(token: VerifiedToken = Depends(signed_in)) -> object:  # noqa: B008
            return {"sub": token.sub}

        for _ in range(2):  # two tests' worth: a loop each
            with TestClient(api) as client:
                ok = client.get("/me", headers={"Authorization": f"Bearer {token}"})
                assert ok.status_code == 200
                assert client.get("/me").status_code == 401
        assert fake.calls["jwks"] == 1  # the keys carried over from the first loop
    finally:
        asyncio.run_coroutine_threadsafe(fake.close(), served).result(10)
        served.call_soon_threadsafe(served.stop)
        thread.join(5)
        served.close()
