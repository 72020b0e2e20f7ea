"""Renewal of a user's session: one refresh for any number of callers, the background task's
schedule, rotation, Retry-After, refused refresh tokens and re-login, failures logged and kept;
what holds for every kind of session is in test_kinds.py."""

from __future__ import annotations

import asyncio
import logging

import pytest

from frontegg_async import (
    AuthenticationError,
    RateLimitedError,
    ServerError,
    SessionExpiredError,
    TransportError,
)
from frontegg_async.testing import FakeFrontegg, JumpingClock

from ..conftest import EMAIL, SessionFactory, exp_of, wait_for

# -- 2. background renewal --------------------------------------------------------------------


async def test_background_task_wakes_at_least_every_30_seconds(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    fake.token_lifetime = 3600
    session = make_session()
    await session.login()
    await wait_for(lambda: len(clock.sleeps) >= 1)
    assert all(0 < s <= 30.0 for s in clock.sleeps), clock.sleeps
    assert fake.calls["refresh"] == 0


async def test_a_blocked_loop_refreshes_on_unblocking(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    fake.token_lifetime = 0.6
    session = make_session()
    await session.login()
    import time

    time.sleep(0.7)  # noqa: ASYNC251 - blocking the loop on purpose, past expiry
    token = await session.access_token()
    assert exp_of(fake, token) > clock.time()


# -- 3. the leeway ------------------------------------------------------------------------------


async def test_access_token_never_returns_an_expired_token(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    fake.token_lifetime = 60
    session = make_session()
    await session.login()
    for _ in range(5):
        clock.jump(61)
        token = await session.access_token()
        assert exp_of(fake, token) - clock.time() >= 5.0


async def test_first_access_token_logs_in(fake: FakeFrontegg, make_session: SessionFactory) -> None:
    session = make_session()
    token = await session.access_token()
    assert fake.decode(token)["type"] == "userToken"
    assert fake.calls["login"] == 1


# -- 4. single flight ----------------------------------------------------------------------------


async def test_ten_thousand_callers_at_expiry_make_one_refresh(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    session = make_session()
    await session.login()
    clock.jump(59)  # past the usable window of the 60 s token
    tokens = await asyncio.gather(*(session.access_token() for _ in range(10_000)))
    assert len(set(tokens)) == 1
    assert fake.calls["refresh"] == 1
    assert exp_of(fake, tokens[0]) > clock.time() + 50


async def test_refresh_access_token_and_timer_share_one_flight(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    session = make_session()
    await session.login()
    clock.jump(59)  # wakes the timer too
    results = await asyncio.gather(session.refresh(), session.access_token(), session.refresh())
    assert fake.calls["refresh"] == 1
    assert results[0].access_token == results[1] == results[2].access_token


async def test_cancelling_a_waiter_never_cancels_the_shared_refresh(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    session = make_session()
    await session.login()
    fake.fail_next("refresh", status=503, delay=0.2)  # the first try is slow, then fails
    clock.jump(59)
    cancelled = asyncio.create_task(session.access_token())
    survivor = asyncio.create_task(session.access_token())
    await asyncio.sleep(0.05)
    cancelled.cancel()
    token = await survivor
    assert cancelled.cancelled()
    assert exp_of(fake, token) > clock.time() + 50
    assert fake.calls["refresh"] == 2  # one failure, one retry, inside the same flight


# -- 5. rotation ---------------------------------------------------------------------------------


async def test_rotation_never_resends_a_consumed_refresh_token(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    fake.token_lifetime = 0.3
    session = make_session()
    await session.login()
    await wait_for(lambda: fake.calls["refresh"] >= 5)
    sent = [r.cookies[fake.refresh_cookie_name] for r in fake.requests if r.endpoint == "refresh"]
    assert len(sent) == len(set(sent))
    assert fake.reused_refresh_tokens == 0
    auth = session.auth
    assert auth is not None
    # The kept access token and refresh token come from the same answer, one of the newest two
    # (with 0.3 s tokens the next answer may be on its way back as the test looks).
    answers = [r.response_json for r in fake.requests if r.endpoint == "refresh"]
    kept = [a for a in answers if a["accessToken"] == auth.access_token]
    assert len(kept) == 1
    assert kept[0]["refreshToken"] == auth.refresh_token
    assert answers.index(kept[0]) >= len(answers) - 2


# -- 6. transient failures -----------------------------------------------------------------------

# Transient failures of every kind are in test_kinds.py, for every session kind.


async def test_retry_after_is_honoured(fake: FakeFrontegg, make_session: SessionFactory) -> None:
    fake.token_lifetime = 2.0
    session = make_session(refresh_ratio=0.3)
    await session.login()
    fake.fail_next("refresh", status=429, retry_after=0.6)
    await wait_for(lambda: fake.calls["refresh"] >= 2, timeout=5)
    limited, retried = [r for r in fake.requests if r.endpoint == "refresh"][:2]
    assert retried.at - limited.at >= 0.6
    assert isinstance(session.last_error, RateLimitedError)


async def test_outage_longer_than_the_token_surfaces_the_transient_error(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    session = make_session()
    await session.login()
    fake.fail_next("refresh", times=1000, status=503)
    clock.jump(61)  # the token has lapsed while Frontegg is down
    with pytest.raises(ServerError) as caught:
        await asyncio.wait_for(session.access_token(), 2)
    assert caught.value.retryable
    fake.clear_faults()
    token = await session.access_token()  # recovers once the outage ends
    assert exp_of(fake, token) > clock.time()


# -- 7. rejected refresh and re-login ------------------------------------------------------------


async def test_rejected_refresh_logs_in_again(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    await session.login()
    fake.revoke_sessions(EMAIL)
    auth = await session.refresh()
    assert fake.calls["login"] == 2
    assert fake.decode(auth.access_token)["sub"]
    assert isinstance(session.last_error, AuthenticationError)


async def test_400_naming_the_refresh_token_counts_as_rejection(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    import json

    session = make_session()
    await session.login()
    fake.fail_next(
        "refresh", status=400, body=json.dumps({"errors": ["Invalid refresh token"]}).encode()
    )
    await session.refresh()
    assert fake.calls["login"] == 2


async def test_without_relogin_a_rejected_session_expires_and_never_hangs(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    session = make_session(relogin=False)
    first = await session.access_token()
    fake.revoke_sessions()
    clock.jump(50)  # refresh due: it is refused
    await wait_for(lambda: fake.calls["refresh"] == 1)
    await wait_for(lambda: isinstance(session.last_error, AuthenticationError))
    assert await session.access_token() == first  # still valid: still handed out
    clock.jump(11)
    with pytest.raises(SessionExpiredError, match="login"):
        await asyncio.wait_for(session.access_token(), 1)
    assert fake.calls["login"] == 1
    # A new login revives the session.
    fake.add_user(EMAIL, "canary-password-7f3a9c")
    await session.login()
    assert await session.access_token() != first


async def test_failed_relogin_expires_the_session(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    session = make_session()
    await session.login()
    fake.revoke_sessions()
    fake.add_user(EMAIL, "the-password-was-changed")
    clock.jump(61)
    with pytest.raises(SessionExpiredError) as caught:
        await asyncio.wait_for(session.access_token(), 2)
    assert isinstance(caught.value.__cause__, AuthenticationError)
    assert fake.calls["login"] == 2
    # Later calls fail at once, without new requests.
    with pytest.raises(SessionExpiredError):
        await asyncio.wait_for(session.access_token(), 0.5)
    assert fake.calls["login"] == 2


# -- 8. the background task never dies silently -------------------------------------------------


async def test_failures_are_logged_and_kept(
    fake: FakeFrontegg, make_session: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="frontegg_async")
    fake.token_lifetime = 1.0
    session = make_session()
    await session.login()
    fake.fail_next("refresh", status=500)
    await wait_for(lambda: fake.calls["refresh"] >= 2)
    assert isinstance(session.last_error, ServerError)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("HTTP 500" in r.getMessage() for r in warnings)


class FlakyClock(JumpingClock):
    """A clock whose sleep breaks once: an unexpected error inside the renewal task."""

    def __init__(self) -> None:
        super().__init__()
        self.broken = 1

    async def sleep(self, seconds: float) -> None:
        if self.broken:
            self.broken -= 1
            raise RuntimeError("clock failure")
        await super().sleep(seconds)


async def test_unexpected_errors_restart_the_loop(
    fake: FakeFrontegg, make_session: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    fake.token_lifetime = 0.5
    clock = FlakyClock()
    session = make_session(clock=clock)
    await session.login()
    await wait_for(lambda: fake.calls["refresh"] >= 2, timeout=5)
    assert clock.broken == 0
    assert session.last_error is not None
    assert "RuntimeError" in str(session.last_error)
    assert any(r.levelno == logging.ERROR for r in caplog.records)


async def test_transport_error_when_nothing_listens(make_session: SessionFactory) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    session = make_session(base_url=f"http://127.0.0.1:{port}/identity")
    with pytest.raises(TransportError) as caught:
        await session.login()
    assert caught.value.retryable
