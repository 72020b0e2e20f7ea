"""A user's session from outside: typed errors, plain http refused, closing and logging out
cleanly (nothing left open), and second factors (MFA) with and without a TOTP secret."""

from __future__ import annotations

import asyncio
import base64
import json

import aiohttp
import pytest

from frontegg_async import (
    AuthenticationError,
    FronteggSession,
    MfaRequiredError,
    ResponseFormatError,
    ServerError,
    SessionClosedError,
    SessionExpiredError,
    TransportError,
)
from frontegg_async._totp import totp
from frontegg_async.testing import FakeFrontegg, JumpingClock

from ..conftest import EMAIL, PASSWORD, SessionFactory

TOTP_KEY = b"frontegg-async-totp-key!"
TOTP_SECRET = base64.b32encode(TOTP_KEY).decode()

# -- 9. errors ----------------------------------------------------------------------------------


async def test_bad_password_is_an_authentication_error(make_session: SessionFactory) -> None:
    with pytest.raises(AuthenticationError) as caught:
        await make_session(password="wrong").login()
    assert caught.value.status == 401
    assert caught.value.errors == ("Incorrect email or password",)
    assert not caught.value.retryable


async def test_login_failures_are_typed(fake: FakeFrontegg, make_session: SessionFactory) -> None:
    # A transient failure of a first login is tried three times in all before it is raised.
    session = make_session()
    fake.fail_next("login", times=3, status=500)
    with pytest.raises(ServerError):
        await session.login()
    fake.fail_next("login", times=3, status=503, body=b"<html>down</html>")
    with pytest.raises(ServerError, match="HTTP 503"):
        await session.login()
    fake.fail_next("login", status=200, body=b"<html>not json</html>")
    with pytest.raises(ResponseFormatError, match="not valid JSON"):
        await session.login()
    fake.fail_next("login", status=200, body=json.dumps({"accessToken": "x"}).encode())
    with pytest.raises(ResponseFormatError, match="mfa_required"):
        await session.login()
    fake.fail_next("login", times=3, delay=0.5)
    with pytest.raises(TransportError, match="timed out"):
        await make_session(timeout=0.1).login()
    fake.clear_faults()  # the tries fit in the caller's wait: not all three were needed
    fake.fail_next("login", times=3, drop=True)
    with pytest.raises(TransportError):
        await session.login()
    fake.fail_next("login", times=2, status=503)  # and two are ridden out
    assert (await make_session().login()).access_token
    assert (await session.login()).access_token  # and nothing was lost on the way


async def test_zero_lifetime_is_a_format_error(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    fake.token_lifetime = 0
    with pytest.raises(ResponseFormatError, match="expiresIn=0"):
        await make_session().login()


async def test_use_after_close_is_session_closed(make_session: SessionFactory) -> None:
    session = make_session()
    await session.login()
    await session.aclose()
    await session.aclose()  # idempotent
    for call in (session.access_token, session.refresh, session.login, session.logout):
        with pytest.raises(SessionClosedError):
            await call()


async def test_close_during_a_refresh_gives_waiters_session_closed(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    session = make_session()
    await session.login()
    fake.fail_next("refresh", delay=1.0)
    clock.jump(59)
    waiter = asyncio.create_task(session.access_token())
    await asyncio.sleep(0.1)
    await session.aclose()
    with pytest.raises(SessionClosedError):
        await waiter


async def test_after_logout_access_token_says_so(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    await session.login()
    await session.logout()
    with pytest.raises(SessionExpiredError, match="logged out"):
        await session.access_token()
    assert fake.calls["refresh"] == 0
    await session.login()  # and a new login works
    assert await session.access_token()


async def test_logout_revokes_the_refresh_token(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    await session.login()
    cookie = session.auth.refresh_token if session.auth else ""
    await session.logout()
    async with aiohttp.ClientSession() as http:
        response = await http.post(
            fake.identity_url / "resources/auth/v1/user/token/refresh",
            json={},
            headers={"frontegg-vendor-host": "127.0.0.1"},
            cookies={fake.refresh_cookie_name: cookie},
        )
        assert response.status == 401


# -- 11. plain http ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["http://example.com/identity", "http://10.0.0.1/identity", "http://app.frontegg.com/identity"],
)
def test_plain_http_is_refused_off_loopback(url: str) -> None:
    with pytest.raises(ValueError, match="plain http"):
        FronteggSession(url, email=EMAIL, password=PASSWORD)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/identity",
        "http://127.3.4.5/identity",
        "http://localhost/identity",
        "http://[::1]:9/identity",
        "https://app-x.frontegg.com/identity",
    ],
)
def test_https_and_loopback_http_are_accepted(url: str) -> None:
    FronteggSession(url, email=EMAIL, password=PASSWORD)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"base_url": "ftp://x/identity"}, "https"),
        ({"base_url": "/identity"}, "absolute"),
        ({"base_url": "https://u:p@x.example/identity"}, "credentials"),
        ({"refresh_ratio": 0}, "refresh_ratio"),
        ({"refresh_ratio": 1.5}, "refresh_ratio"),
        ({"timeout": 0}, "timeout"),
        ({"password": ""}, "password"),
        ({"totp_secret": "!!"}, "totp_secret"),
    ],
)
def test_bad_arguments_are_value_errors(kwargs: dict[str, object], message: str) -> None:
    options: dict[str, object] = {
        "base_url": "https://x.example/identity",
        "email": EMAIL,
        "password": PASSWORD,
    }
    options.update(kwargs)
    base_url = options.pop("base_url")
    with pytest.raises(ValueError, match=message):
        FronteggSession(base_url, **options)  # type: ignore[arg-type]


# -- 12. clean shutdown --------------------------------------------------------------------------


def library_tasks() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("frontegg_async")]


async def test_context_manager_logs_in_and_out_and_leaves_no_task(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    async with session:
        assert await session.access_token()
        assert library_tasks()
    assert fake.calls["login"] == 1
    assert fake.calls["logout"] == 1
    assert library_tasks() == []
    assert session.closed
    assert session._transport._owned is None


async def test_owned_http_session_is_closed_and_borrowed_one_is_not(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    owned = make_session()
    await owned.login()
    http = owned._transport.http
    await owned.aclose()
    assert http.closed
    async with aiohttp.ClientSession() as mine:
        borrowed = make_session(http=mine)
        async with borrowed:
            await borrowed.access_token()
        assert not mine.closed


async def test_exit_closes_even_when_logout_fails(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    async with session:
        fake.fail_next("logout", status=503)
    assert session.closed
    assert library_tasks() == []


async def test_failed_login_on_enter_leaves_nothing_open(make_session: SessionFactory) -> None:
    session = make_session(password="wrong")
    with pytest.raises(AuthenticationError):
        async with session:
            pass
    assert session.closed
    assert library_tasks() == []


# -- MFA -----------------------------------------------------------------------------------------


async def test_mfa_without_secret_raises_then_verify_completes(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    fake.add_user("mfa@example.com", PASSWORD, totp_secret=TOTP_SECRET)
    session = make_session(email="mfa@example.com")
    with pytest.raises(MfaRequiredError) as caught:
        await session.login()
    assert caught.value.mfa_token
    assert caught.value.mfa_token not in repr(caught.value)
    with pytest.raises(AuthenticationError):
        await session.verify_mfa("000000" if totp(TOTP_KEY, clock.time()) != "000000" else "1")
    with pytest.raises(MfaRequiredError):
        await session.login()
    auth = await session.verify_mfa(totp(TOTP_KEY, clock.time()))
    assert auth.access_token
    verify = next(r for r in fake.requests if r.endpoint == "mfa_verify" and r.status == 201)
    assert set(verify.json) == {"mfaToken", "value"}
    assert verify.json["value"] == totp(TOTP_KEY, clock.time())
    await session.refresh()  # the cookie set by the verify answer is used
    assert fake.calls["refresh"] == 1


async def test_an_mfa_answer_as_frontegg_sends_it(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    # No tokens, no expiry, the strategies as a list of names (PROTOCOL.md): the error says
    # which factors, and carries them.
    answer = {
        "mfaRequired": True,
        "mfaToken": "challenge-1",
        "mfaEnrolled": True,
        "mfaStrategies": ["AuthenticatorApp", "SMS"],
    }
    fake.fail_next("login", status=200, body=json.dumps(answer).encode())
    with pytest.raises(MfaRequiredError) as caught:
        await make_session().login()
    assert caught.value.strategies == ("AuthenticatorApp", "SMS")
    assert caught.value.enrolled is True
    assert "AuthenticatorApp, SMS" in str(caught.value)
    assert "verify_mfa" in str(caught.value)


async def test_a_factor_to_enrol_is_said_so_even_with_a_totp_secret(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    answer = {"mfaRequired": True, "mfaToken": "c", "mfaEnrolled": False, "qrCode": "data:..."}
    fake.fail_next("login", status=200, body=json.dumps(answer).encode())
    with pytest.raises(MfaRequiredError) as caught:
        await make_session(totp_secret=TOTP_SECRET).login()
    assert caught.value.enrolled is False
    assert "not enrolled" in str(caught.value)
    assert fake.calls["mfa_verify"] == 0  # no code sent for a factor that does not exist


@pytest.mark.parametrize("missing", ["accessToken", "expiresIn"])
async def test_a_login_answer_without_its_token_is_a_format_error(
    fake: FakeFrontegg, make_session: SessionFactory, missing: str
) -> None:
    answer = {"mfaRequired": False, "accessToken": "a.b.c", "refreshToken": "r", "expiresIn": 60}
    del answer[missing]
    fake.fail_next("login", status=200, body=json.dumps(answer).encode())
    with pytest.raises(ResponseFormatError, match=r"accessToken|expiresIn"):
        await make_session().login()


async def test_verify_without_a_challenge_is_a_clear_error(make_session: SessionFactory) -> None:
    with pytest.raises(SessionExpiredError, match="call login"):
        await make_session().verify_mfa("123456")


async def test_totp_secret_answers_mfa_unattended_also_on_relogin(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    fake.add_user("mfa@example.com", PASSWORD, totp_secret=TOTP_SECRET)
    session = make_session(email="mfa@example.com", totp_secret=TOTP_SECRET)
    await session.login()
    fake.revoke_sessions()
    await session.refresh()
    assert fake.calls["login"] == 2
    assert fake.calls["mfa_verify"] == 2
