"""The wire format of the auth calls, as Frontegg's spec and its own clients (PROTOCOL.md)
have it: paths, bodies, headers, the refresh cookie and its name, regions, no redirects."""

from __future__ import annotations

import json

import aiohttp
import pytest

from frontegg_async import FronteggSession, Region
from frontegg_async.testing import FakeFrontegg

from ..conftest import EMAIL, PASSWORD, SessionFactory


async def test_login_refresh_logout_wire_format(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    await session.login()
    await session.refresh()
    await session.refresh()
    await session.logout()

    login, first, second, logout = fake.requests
    assert (login.endpoint, login.method, login.path) == (
        "login",
        "POST",
        "/identity/resources/auth/v1/user",
    )
    assert login.json == {"email": EMAIL, "password": PASSWORD}
    assert login.headers["frontegg-vendor-host"] == "127.0.0.1"

    for refresh in (first, second):
        assert refresh.path == "/identity/resources/auth/v1/user/token/refresh"
        assert refresh.method == "POST"
        assert refresh.json == {}
        assert refresh.headers["frontegg-vendor-host"] == "127.0.0.1"
        assert refresh.status == 201  # as the spec says; any 2xx is taken
        assert "Authorization" not in refresh.headers

    # Each refresh sends the newest cookie: the one set by the answer before it.
    assert first.cookies == {fake.refresh_cookie_name: login.response_json["refreshToken"]}
    assert second.cookies == {fake.refresh_cookie_name: first.response_json["refreshToken"]}

    assert logout.path == "/identity/resources/auth/v1/logout"
    assert logout.headers["frontegg-vendor-host"] == "127.0.0.1"
    assert logout.cookies == {fake.refresh_cookie_name: second.response_json["refreshToken"]}
    assert logout.headers["Authorization"] == f"Bearer {second.response_json['accessToken']}"


async def test_refresh_cookie_name_drops_only_the_first_dash(fake: FakeFrontegg) -> None:
    fake.client_id = "ab-cd-ef"
    assert fake.refresh_cookie_name == "fe_refresh_abcd-ef"


async def test_vendor_host_can_be_given(fake: FakeFrontegg, make_session: SessionFactory) -> None:
    await make_session(vendor_host="app-xyz.frontegg.com").login()
    assert fake.requests[0].headers["frontegg-vendor-host"] == "app-xyz.frontegg.com"


def test_region_requires_vendor_host() -> None:
    with pytest.raises(ValueError, match="vendor_host is required"):
        FronteggSession(Region.US, email=EMAIL, password=PASSWORD)


@pytest.mark.parametrize(
    ("region", "host"),
    [
        (Region.EU, "api.frontegg.com"),
        (Region.US, "api.us.frontegg.com"),
        (Region.CA, "api.ca.frontegg.com"),
        (Region.AU, "api.au.frontegg.com"),
    ],
)
def test_region_urls(region: Region, host: str) -> None:
    assert str(region.identity_url) == f"https://{host}/identity"
    assert str(region.api_url) == f"https://{host}"
    session = FronteggSession(region, email=EMAIL, password=PASSWORD, vendor_host="x.example")
    assert session.base_url == region.identity_url


async def test_any_2xx_login_answer_is_accepted(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    body = {
        "mfaRequired": False,
        "accessToken": "a.b.c",
        "refreshToken": "r1",
        "expiresIn": 60,
        "expires": "x",
    }
    fake.fail_next(
        "login",
        status=202,
        body=json.dumps(body).encode(),
        headers={"Set-Cookie": f"{fake.refresh_cookie_name}=r1; Path=/"},
    )
    auth = await make_session().login()
    assert auth.refresh_token == "r1"


async def test_cookie_is_named_from_client_id_when_server_sets_none(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    body = {
        "mfaRequired": False,
        "accessToken": "a.b.c",
        "refreshToken": "r-from-body",
        "expiresIn": 60,
        "expires": "x",
    }
    fake.fail_next("login", status=200, body=json.dumps(body).encode())
    session = make_session(client_id="12-34-56")
    await session.login()
    fake.revoke_sessions()
    await session.refresh()  # refused (unknown token), then a fresh login
    refresh = fake.requests[1]
    assert refresh.cookies == {"fe_refresh_1234-56": "r-from-body"}


async def test_the_application_id_names_the_cookie_before_the_client_id(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    body = {"mfaRequired": False, "accessToken": "a.b.c", "refreshToken": "r2", "expiresIn": 60}
    fake.fail_next("login", status=200, body=json.dumps(body).encode())
    session = make_session(client_id="12-34-56", application_id="app-77-88")
    await session.login()
    fake.revoke_sessions()
    await session.refresh()
    assert fake.requests[1].cookies == {"fe_refresh_app77-88": "r2"}


async def test_auth_calls_carry_origin_and_the_application(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session(application_id="app-1")
    await session.login()
    await session.refresh()
    await session.logout()
    origin = f"http://127.0.0.1:{fake.url.port}"
    auth_calls = [r for r in fake.requests if r.endpoint in ("login", "refresh", "logout")]
    assert [r.endpoint for r in auth_calls] == ["login", "refresh", "logout"]
    for request in auth_calls:
        assert request.headers["Origin"] == origin, request.endpoint
        assert request.headers["frontegg-requested-application-id"] == "app-1"
    plain = make_session()
    await plain.login()
    assert "frontegg-requested-application-id" not in fake.requests[-1].headers
    assert fake.requests[-1].headers["Origin"] == origin


async def test_missing_cookie_and_client_id_is_a_clear_error(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    body = {
        "mfaRequired": False,
        "accessToken": "a",
        "refreshToken": "r",
        "expiresIn": 9,
        "expires": "x",
    }
    fake.fail_next("login", status=200, body=json.dumps(body).encode())
    from frontegg_async import ResponseFormatError

    with pytest.raises(ResponseFormatError, match="client_id="):
        await make_session().login()


async def test_caller_owned_cookie_jar_never_keeps_the_refresh_cookie(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        session = make_session(http=http)
        await session.login()
        await session.refresh()
        names = {morsel.key for morsel in http.cookie_jar}
        assert not any(name.startswith("fe_refresh_") for name in names)
        await session.aclose()
        assert not http.closed  # borrowed: never closed by the session


async def test_redirects_are_not_followed(fake: FakeFrontegg, make_session: SessionFactory) -> None:
    from frontegg_async import FronteggError

    fake.fail_next("login", status=302, headers={"Location": "https://evil.example/steal"})
    with pytest.raises(FronteggError, match="redirect") as caught:
        await make_session().login()
    assert caught.value.status == 302
    assert fake.calls["login"] == 1
