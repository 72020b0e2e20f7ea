"""Secrets stay where they belong: no redirects followed, no token to other hosts, and no secret
in the repr or str of any public type."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

import frontegg_async
from frontegg_async import FronteggError, ResponseFormatError
from frontegg_async._claims import Claims, decode_claims
from frontegg_async.testing import FakeFrontegg

from ..conftest import PASSWORD, SessionFactory
from ..integration.test_oauth_session import FormFiller


@pytest.fixture
async def elsewhere() -> AsyncIterator[tuple[str, list[web.Request]]]:
    """Another host (named differently, on loopback) that records whatever reaches it and
    answers with the status its ``?status=`` asks for (200 by default)."""
    seen: list[web.Request] = []

    async def record(request: web.Request) -> web.Response:
        await request.read()
        seen.append(request)
        status = int(request.query.get("status", "200"))
        return web.json_response({"errors": ["you should not be here"]}, status=status)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "localhost", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://localhost:{port}/steal", seen
    await runner.cleanup()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("endpoint", ["login", "refresh", "logout"])
async def test_auth_calls_never_follow_redirects(
    status: int,
    endpoint: str,
    fake: FakeFrontegg,
    make_session: SessionFactory,
    elsewhere: tuple[str, list[web.Request]],
) -> None:
    target, seen = elsewhere
    session = make_session()
    if endpoint != "login":
        await session.login()
    call = {"login": session.login, "refresh": session.refresh, "logout": session.logout}
    fake.fail_next(endpoint, status=status, headers={"Location": target})
    with pytest.raises(FronteggError, match="redirect") as caught:
        await call[endpoint]()
    assert caught.value.status == status
    assert seen == []  # neither the password nor the cookie nor the bearer went anywhere


@given(st.text())
def test_claims_of_any_string_are_claims_or_a_clear_error(token: str) -> None:
    try:
        claims = decode_claims(token)
    except ResponseFormatError as error:
        assert "access token" in str(error)  # noqa: PT017
        # Short strings may be words of the message itself ("toke" in "token").
        assert token not in str(error) or len(token) < 12  # noqa: PT017
    else:
        assert isinstance(claims, Claims)


@given(st.binary(max_size=64), st.binary(max_size=256), st.binary(max_size=64))
def test_claims_of_any_three_parts(header: bytes, payload: bytes, signature: bytes) -> None:
    import base64

    parts = [
        base64.urlsafe_b64encode(p).rstrip(b"=").decode() for p in (header, payload, signature)
    ]
    try:
        claims = decode_claims(".".join(parts))
    except ResponseFormatError:
        return
    assert isinstance(claims.raw, dict | type(claims.raw))
    assert claims.sub is None or isinstance(claims.sub, str)
    assert all(isinstance(role, str) for role in claims.roles)


async def test_no_public_type_shows_a_secret(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    """Every public class of the package, as the session hands it out, holds secrets back."""
    session = make_session()
    events = session.subscribe()
    auth = await session.login()
    token = await session.access_token()
    user = await session.me()
    claims = session.claims
    await session.refresh()
    await session.aclose()
    client = frontegg_async.FronteggClient(session)
    instances: list[object] = [
        session,
        auth,
        user,
        claims,
        events,
        client,
        *[e async for e in events],
    ]
    secrets = {PASSWORD, token, auth.refresh_token}
    # A session that started in a browser, and its OAuth answer.
    oauth = await frontegg_async.hosted_login(
        fake.url, client_id=fake.client_id, open_browser=FormFiller(), timeout=10
    )
    oauth_answer = oauth.auth
    assert oauth_answer is not None
    instances += [oauth, oauth_answer]
    secrets |= {oauth_answer.id_token, oauth_answer.access_token, oauth_answer.refresh_token}
    await oauth.aclose()
    # The verifier, and what it makes of the session's token.
    async with frontegg_async.TokenVerifier(str(fake.url)) as verifier:
        instances += [verifier, await verifier.verify(token)]
    for instance in instances:
        for text in (repr(instance), str(instance)):
            for secret in secrets:
                assert secret not in text, type(instance).__name__
    # Every public class is among the instances above, or holds no secret by construction.
    public = {
        name
        for name in frontegg_async.__all__
        if inspect.isclass(getattr(frontegg_async, name))
        and not issubclass(getattr(frontegg_async, name), BaseException)
    }
    shown = {type(i).__name__ for i in instances}
    without_secrets = {
        "Region",
        "SessionState",
        "EventKind",
        "Clock",
        "MfaDevices",
        "MfaWebAuthnDevice",
        "MfaPhoneDevice",
        "MfaAuthenticatorApp",
        "MfaEmailDevice",
        "Role",
        "Permission",
        "UserTenant",
        "ApiTokenResponse",
        "VendorToken",
        "ApiTokenSession",
        "EnvironmentSession",
        # Their reprs name the kind and the path only (stores are tested in test_stores.py).
        "TokenStore",
        "MemoryStore",
        "FileStore",
        "RedisStore",
    }
    assert public - shown - without_secrets == set()


async def test_a_gzip_bomb_is_stopped_while_it_inflates(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    import gzip
    import tracemalloc

    from frontegg_async import ResponseFormatError

    bomb = gzip.compress(b" " * (160 << 20), 9)  # 160 KB on the wire, 160 MiB inflated
    session = make_session()
    await session.login()
    calls = {
        "login": (session.login, "more than 1,048,576 bytes"),
        "me": (lambda: session.request("GET", "resources/users/v2/me"), "more than 4,194,304"),
    }
    for endpoint, (call, says) in calls.items():
        fake.fail_next(endpoint, status=200, body=bomb, headers={"Content-Encoding": "gzip"})
        tracemalloc.start()
        try:
            with pytest.raises(ResponseFormatError, match=says):
                await call()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 24 << 20, f"{endpoint}: {peak >> 20} MiB held while refusing the answer"


async def test_request_takes_a_cap_of_its_own(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    from frontegg_async import ResponseFormatError

    session = make_session()
    await session.login()
    body = await session.request("GET", "resources/users/v2/me")
    assert body["email"]
    with pytest.raises(ResponseFormatError, match="more than 64 bytes"):
        await session.request("GET", "resources/users/v2/me", max_bytes=64)


async def test_a_refresh_answer_too_large_to_read_is_never_followed_by_the_same_refresh_token(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    await session.login()
    # Past the 1 MiB cap on auth answers: unread, so the server may have rotated the token.
    fake.fail_next("refresh", body=b'{"padding": "' + b"x" * (2 << 20) + b'"}')
    await session.refresh()  # ... so the session logs in afresh rather than resend it
    assert fake.calls["refresh"] == 1
    assert fake.calls["login"] == 2
    assert fake.reused_refresh_tokens == 0


@pytest.mark.parametrize("status_there", [200, 401])
async def test_httpx_auth_never_carries_the_token_through_a_redirect_to_another_host(
    status_there: int,
    fake: FakeFrontegg,
    make_session: SessionFactory,
    elsewhere: tuple[str, list[web.Request]],
) -> None:
    target, seen = elsewhere
    session = make_session()
    await session.login()
    fake.fail_next("api", status=302, headers={"Location": f"{target}?status={status_there}"})
    async with httpx.AsyncClient(auth=session.httpx_auth, follow_redirects=True) as http:
        answer = await http.get(f"{fake.identity_url}/resources/users/v3/me")
    assert answer.status_code == status_there
    assert [r.headers.get("Authorization") for r in seen] == [None]
    # A 401 from the other host is its own answer, not a refusal of our token: no renewal,
    # and nothing resent.
    assert fake.calls["refresh"] == 0
