"""Using the token: request(), the aiohttp middleware, claims, me() and tenants."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiohttp import ClientHandlerType, ClientRequest, ClientResponse, web

from frontegg_async import (
    ApiTokenSession,
    AuthenticationError,
    ConfigurationError,
    EnvironmentSession,
    FronteggError,
    InvalidRequestError,
    ResponseFormatError,
    ServerError,
    User,
)
from frontegg_async._claims import decode_claims
from frontegg_async.testing import FakeFrontegg, JumpingClock

from ..conftest import EMAIL, SessionFactory

# -- request() ----------------------------------------------------------------------------------


async def test_request_returns_parsed_json(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    body = await session.request("GET", "resources/users/v2/me")
    assert body["email"] == EMAIL
    me = fake.requests[-1]
    assert me.headers["Authorization"] == f"Bearer {await session.access_token()}"
    same = await session.request("GET", "/resources/users/v2/me")
    assert same == body
    absolute = await session.request("GET", str(fake.identity_url / "resources/users/v2/me"))
    assert absolute == body


async def test_request_passes_params_and_headers(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    page = await session.request(
        "GET", "resources/users/v3", params={"_limit": 1, "_offset": 0}, headers={"x-trace": "t1"}
    )
    assert page["_metadata"] == {"totalItems": 1, "totalPages": 1}
    assert fake.requests[-1].headers["x-trace"] == "t1"


async def test_request_refuses_other_hosts(make_session: SessionFactory) -> None:
    with pytest.raises(InvalidRequestError, match="only"):
        await make_session().request("GET", "https://evil.example/steal")


async def test_request_renews_once_on_401_then_retries(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    first = await session.access_token()
    fake.reject_access_tokens()
    body = await session.request("GET", "resources/users/v2/me")
    assert body["email"] == EMAIL
    assert fake.calls["refresh"] == 1
    assert await session.access_token() != first


async def test_request_gives_up_after_one_retry(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    await session.access_token()
    fake.fail_next("me", times=2, status=401)
    with pytest.raises(AuthenticationError) as caught:
        await session.request("GET", "resources/users/v2/me")
    assert caught.value.status == 401
    assert fake.calls["me"] == 2
    assert fake.calls["refresh"] == 1


async def test_request_errors_are_typed(fake: FakeFrontegg, make_session: SessionFactory) -> None:
    session = make_session()
    fake.fail_next("me", times=3, status=503)  # every try of a GET (see test_retries.py)
    with pytest.raises(ServerError):
        await session.request("GET", "resources/users/v2/me")
    fake.fail_next("me", status=200, body=b"{oops")
    with pytest.raises(ResponseFormatError):
        await session.request("GET", "resources/users/v2/me")
    fake.fail_next("me", status=404)
    with pytest.raises(FronteggError) as caught:
        await session.request("GET", "resources/users/v2/me")
    assert caught.value.status == 404
    assert caught.value.errors == ("Injected failure (HTTP 404)",)


async def test_empty_2xx_is_none(fake: FakeFrontegg, make_session: SessionFactory) -> None:
    fake.fail_next("me", status=204, body=b"")
    assert await make_session().request("GET", "resources/users/v2/me") is None


# -- the middleware -----------------------------------------------------------------------------


async def test_hundred_concurrent_401s_cause_one_refresh(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    await session.login()
    fake.reject_access_tokens()
    async with aiohttp.ClientSession(middlewares=[session.middleware]) as http:

        async def call() -> int:
            async with http.get(fake.identity_url / "resources/users/v2/me") as response:
                await response.read()
                return response.status

        statuses = await asyncio.gather(*(call() for _ in range(100)))
    assert statuses == [200] * 100
    assert fake.calls["refresh"] == 1
    assert fake.calls["me"] == 200  # each request: one 401, one retry


async def test_middleware_never_sends_the_token_elsewhere(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    seen: list[str | None] = []

    async def other(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.Response(status=401)

    app = web.Application()
    app.router.add_get("/api", other)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "localhost", 0)  # another host name for the same machine
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    session = make_session()
    try:
        async with (
            aiohttp.ClientSession(middlewares=[session.middleware]) as http,
            http.get(f"http://localhost:{port}/api") as response,
        ):
            assert response.status == 401
        assert seen == [None]
        assert fake.calls["refresh"] == 0
        allowed = session.middleware_for("localhost")
        async with (
            aiohttp.ClientSession(middlewares=[allowed]) as http,
            http.get(f"http://localhost:{port}/api") as response,
        ):
            assert response.status == 401  # retried once, still refused
        assert len(seen) == 3
        assert seen[1] is not None
        assert seen[1].startswith("Bearer ")
    finally:
        await runner.cleanup()


async def test_middleware_refuses_plain_http_off_loopback(make_session: SessionFactory) -> None:
    session = make_session()
    middleware = session.middleware_for("example.com")
    async with aiohttp.ClientSession(middlewares=[middleware]) as http:
        with pytest.raises(ConfigurationError, match="plain http"):
            await http.get("http://example.com/")


async def test_session_can_share_the_callers_middleware_session(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    # The caller's ClientSession carries the middleware and is also the session's transport:
    # the session's own login and refresh calls must not pass through the middleware.
    installed: list[Any] = []

    async def late_bound(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        return await installed[0](req, handler)  # type: ignore[no-any-return]

    http = aiohttp.ClientSession(middlewares=[late_bound])
    try:
        session = make_session(http=http)
        installed.append(session.middleware)
        async with http.get(fake.identity_url / "resources/users/v2/me") as response:
            assert response.status == 200
        clock.jump(59)
        async with http.get(fake.identity_url / "resources/users/v2/me") as response:
            assert response.status == 200
        assert fake.calls["refresh"] == 1
        login, refresh = (r for r in fake.requests if r.endpoint in ("login", "refresh"))
        assert "Authorization" not in login.headers
        assert "Authorization" not in refresh.headers
    finally:
        await http.close()


# -- claims, me(), tenants ----------------------------------------------------------------------


async def test_claims_decode_the_current_token(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    assert session.claims is None
    token = await session.access_token()
    claims = session.claims
    assert claims is not None
    payload = fake.decode(token)
    assert claims.sub == payload["sub"]
    assert claims.tenant_id == payload["tenantId"]
    assert claims.tenant_ids == tuple(payload["tenantIds"])
    assert claims.roles == ("Admin",)
    assert claims.permissions == ("fe.secure.read.users",)
    assert claims.type == "userToken"
    assert claims.email == EMAIL
    assert claims.exp == payload["exp"]
    assert claims.iss == str(fake.url)  # the fake names itself, as Frontegg does
    assert claims.raw["profilePictureUrl"].endswith("avatar.png")
    await session.refresh()
    assert session.claims is not claims  # follows the token


@pytest.mark.parametrize("bad", ["", "abc", "a.b", "a.!!!.c", "a.bm90IGpzb24.c", "a.WzFd.c"])
def test_claims_of_a_non_jwt_are_a_clear_error(bad: str) -> None:
    with pytest.raises(ResponseFormatError, match="access token"):
        decode_claims(bad)


async def test_me_returns_the_user(fake: FakeFrontegg, make_session: SessionFactory) -> None:
    user = await make_session().me()
    assert isinstance(user, User)
    assert user.email == EMAIL
    assert user.tenant_ids == (user.tenant_id,)


async def test_switch_tenant_then_the_jwt_names_it(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    fake.add_user("multi@example.com", "pw-multi", tenant_id="t-one", tenant_ids=["t-one", "t-two"])
    session = make_session(email="multi@example.com", password="pw-multi")
    await session.login()
    assert session.claims is not None
    assert session.claims.tenant_id == "t-one"
    user = await session.switch_tenant("t-two")
    assert user.tenant_id == "t-two"
    assert session.claims.tenant_id == "t-two"
    switch = next(r for r in fake.requests if r.endpoint == "switch_tenant")
    assert switch.method == "PUT"
    assert switch.json == {"tenantId": "t-two"}
    # As Frontegg's clients send it: the gateway reads the tenant and the user from the token.
    assert "frontegg-tenant-id" not in switch.headers
    assert "frontegg-user-id" not in switch.headers
    with pytest.raises(FronteggError) as caught:
        await session.switch_tenant("t-nowhere")
    assert caught.value.status == 404


# -- machine tokens -----------------------------------------------------------------------------


async def test_environment_bad_credentials(fake: FakeFrontegg) -> None:
    session = EnvironmentSession(fake.url, client_id=fake.client_id, secret="wrong")
    with pytest.raises(AuthenticationError) as caught:
        async with session:
            pass
    assert caught.value.status == 401
    assert session.closed


async def test_environment_token_manages_users(fake: FakeFrontegg) -> None:
    async with EnvironmentSession(
        fake.url, client_id=fake.client_id, secret=fake.environment_secret
    ) as session:
        page = await session.request("GET", "resources/users/v3")
        assert [u["email"] for u in page["items"]] == [EMAIL]
        assert session.claims is not None
        assert session.claims.sub == fake.client_id
    vendor = fake.requests[0]
    assert vendor.path == "/auth/vendor"
    assert vendor.json == {"clientId": fake.client_id, "secret": fake.environment_secret}


async def test_api_token_relogs_in_when_its_refresh_token_is_refused(
    fake: FakeFrontegg, clock: JumpingClock
) -> None:
    fake.add_api_token("m2m", "m2m-secret", tenant_id="t-api")
    async with ApiTokenSession(
        fake.identity_url, client_id="m2m", secret="m2m-secret", clock=clock
    ) as session:
        assert session.claims is not None
        assert session.claims.type == "tenantApiToken"
        assert session.claims.tenant_id == "t-api"
        await session.refresh()
        refresh = next(r for r in fake.requests if r.endpoint == "api_token_refresh")
        assert refresh.json == {"refreshToken": fake.requests[0].response_json["refresh_token"]}
        fake.fail_next("api_token_refresh", status=401)
        await session.refresh()
        assert fake.calls["api_token"] == 2
        clock.jump(59)
        assert await session.access_token()
    assert fake.reused_refresh_tokens == 0
