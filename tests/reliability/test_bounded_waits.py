"""Every wait is bounded by a small multiple of the request timeout, and no answer can make the
session spin or stop renewing: a 401 with the auth endpoints down, a black-holed server after
expiry, Retry-After: 1e9, a lifetime shorter than a round trip, a JWT dead on arrival."""

from __future__ import annotations

import asyncio
import time

import pytest

from frontegg_async import (
    FronteggError,
    FronteggSession,
    ResponseFormatError,
    ServerError,
    SessionState,
)
from frontegg_async._core.policy import MAX_RETRY_AFTER, background_retry_wait, honoured_retry_after
from frontegg_async._errors import RateLimitedError
from frontegg_async.testing import FakeFrontegg

from ..conftest import EMAIL, PASSWORD, SessionFactory, wait_for

TIMEOUT = 0.3


def session_on(fake: FakeFrontegg, **options: object) -> FronteggSession:
    return FronteggSession(
        fake.identity_url, email=EMAIL, password=PASSWORD, timeout=TIMEOUT, **options
    )


async def test_a_401_with_the_auth_endpoints_down_fails_within_a_few_timeouts() -> None:
    async with FakeFrontegg(token_lifetime=60) as fake:
        fake.add_user(EMAIL, PASSWORD)
        async with session_on(fake) as session:
            fake.fail_next("me", times=100, status=401)
            fake.fail_next("refresh", times=100, status=503)
            fake.fail_next("login", times=100, status=503)
            started = time.monotonic()
            with pytest.raises(ServerError) as caught:
                await session.me()
            waited = time.monotonic() - started
            # Not the token's remaining minute: three request timeouts at most.
            assert waited < 3 * TIMEOUT + 0.5, waited
            assert "renewal goes on in the background" in str(caught.value)
            started = time.monotonic()
            with pytest.raises(ServerError):
                await session.refresh()  # refresh() is bounded the same way
            assert time.monotonic() - started < 3 * TIMEOUT + 0.5
            fake.clear_faults()
            assert (await session.me()).email == EMAIL  # and it recovers


async def test_callers_of_a_lapsed_token_on_a_black_hole_wait_about_two_timeouts() -> None:
    async with FakeFrontegg(token_lifetime=1.0) as fake:
        fake.add_user(EMAIL, PASSWORD)
        async with session_on(fake) as session:
            fake.fail_next("refresh", times=50, delay=30)
            fake.fail_next("login", times=50, delay=30)
            await asyncio.sleep(1.05)  # lapsed
            for _ in range(3):
                started = time.monotonic()
                with pytest.raises(FronteggError):
                    await session.access_token()
                assert time.monotonic() - started < 2 * TIMEOUT + 0.3
            fake.clear_faults()


async def test_a_huge_retry_after_never_stops_renewal(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    fake.token_lifetime = 1.0
    session = make_session(clock=None)
    await session.login()
    fake.fail_next("refresh", status=429, retry_after=1e9)  # once; healthy afterwards
    await wait_for(lambda: fake.calls["refresh"] >= 2, timeout=3)  # retried by the expiry
    await asyncio.sleep(0.1)
    assert session.state is SessionState.AUTHENTICATED
    assert await session.access_token()


def test_the_background_waits_out_retry_after_only_up_to_the_tokens_expiry() -> None:
    huge = RateLimitedError("slow down", retry_after=1e9)
    assert honoured_retry_after(huge) == MAX_RETRY_AFTER
    assert honoured_retry_after(RateLimitedError("slow down")) is None
    assert honoured_retry_after(ServerError("no")) is None
    retry_after = honoured_retry_after(huge)
    # Alive for 0.4 s more: one try at its expiry, whatever the server asked.
    assert background_retry_wait(0, jitter=0.5, retry_after=retry_after, until_expiry=0.4) == 0.4
    # Lapsed: the server's wait, capped, is honoured.
    assert (
        background_retry_wait(0, jitter=0.5, retry_after=retry_after, until_expiry=-1.0)
        == MAX_RETRY_AFTER
    )
    assert background_retry_wait(3, jitter=1.0, retry_after=None, until_expiry=100.0) == 2.0


async def test_a_lifetime_shorter_than_a_round_trip_is_refused_not_spun_on() -> None:
    async with FakeFrontegg(token_lifetime=0.0002) as fake:
        fake.add_user(EMAIL, PASSWORD)
        session = session_on(fake)
        try:
            # Dead on arrival by the JWT (iat and exp are whole seconds), or by the round trip.
            with pytest.raises(ResponseFormatError, match=r"not after its iat|would lapse before"):
                await asyncio.wait_for(session.access_token(), 5)
        finally:
            await session.aclose()
        assert fake.calls["login"] + fake.calls["refresh"] <= 3


async def test_an_opaque_token_shorter_than_its_round_trip_is_refused() -> None:
    from frontegg_async._core.tokens import token_lifetime

    with pytest.raises(ResponseFormatError, match=r"no longer than the 0\.2 s its answer took"):
        token_lifetime(0.1, "opaque", what="login", took=0.2)
    assert token_lifetime(0.5, "opaque", what="login", took=0.2) == 0.5


async def test_a_jwt_whose_exp_precedes_its_iat_is_a_format_error() -> None:
    async with FakeFrontegg(token_lifetime=600) as fake:
        fake.add_user(EMAIL, PASSWORD)
        fake.jwt_lifetime = -60
        session = session_on(fake)
        try:
            with pytest.raises(ResponseFormatError, match="is not after its iat"):
                await session.login()
        finally:
            await session.aclose()


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, b'{"errors": ["Cannot POST"]}'),
        (409, b'{"errors": ["Conflict"]}'),
        (400, b'{"errors": ["tenant is not active"]}'),
    ],
)
async def test_one_odd_4xx_on_refresh_leads_to_a_login_not_an_end(
    fake: FakeFrontegg, make_session: SessionFactory, status: int, body: bytes
) -> None:
    session = make_session()
    await session.login()
    fake.fail_next("refresh", status=status, body=body)  # once
    renewed = await session.refresh()
    assert renewed.access_token == await session.access_token()
    assert session.state is SessionState.AUTHENTICATED
    assert fake.calls["login"] == 2  # logged in again with the credentials


async def test_the_session_ends_only_when_the_login_itself_is_refused(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    from frontegg_async import SessionExpiredError

    session = make_session()
    await session.login()
    fake.fail_next("refresh", status=404, body=b'{"errors": ["Cannot POST"]}')
    fake.fail_next("login", status=401, body=b'{"errors": ["Incorrect email or password"]}')
    with pytest.raises(SessionExpiredError, match="Incorrect email or password"):
        await session.refresh()
