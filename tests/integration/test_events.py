"""Knowing what happens: session.state, subscribe() and on_event()."""

from __future__ import annotations

import asyncio
import itertools
import logging
import re

import pytest

from frontegg_async import AuthenticationError, EventKind, SessionState, TokenEvent
from frontegg_async.testing import FakeFrontegg, JumpingClock

from ..conftest import EMAIL, SessionFactory, wait_for


async def test_state_follows_the_session(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    session = make_session()
    assert session.state is SessionState.UNAUTHENTICATED
    await session.login()
    assert session.state is SessionState.AUTHENTICATED
    fake.fail_next("refresh", delay=0.3)
    refreshing = asyncio.create_task(session.refresh())
    await wait_for(lambda: session.state is SessionState.REFRESHING)
    await refreshing
    assert session.state is SessionState.AUTHENTICATED
    fake.fail_next("refresh", times=1000, status=503)
    clock.jump(50)  # refresh due; it fails, the token is still valid
    await wait_for(lambda: session.state is SessionState.DEGRADED)
    fake.clear_faults()
    await session.refresh()
    assert session.state is SessionState.AUTHENTICATED
    fake.revoke_sessions()
    fake.add_user(EMAIL, "another-password")
    clock.jump(61)
    with pytest.raises(Exception, match="could not renew"):
        await session.access_token()
    assert session.state is SessionState.EXPIRED
    await session.aclose()
    assert session.state is SessionState.CLOSED


async def test_state_after_logout(make_session: SessionFactory) -> None:
    session = make_session()
    await session.login()
    await session.logout()
    assert session.state is SessionState.UNAUTHENTICATED


async def test_events_tell_the_story(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    session = make_session()
    events = session.subscribe()
    await session.login()
    await session.refresh()
    fake.fail_next("refresh", status=503)
    await session.refresh()  # one failure, then a retry inside the same flight
    fake.revoke_sessions()
    await session.refresh()  # refused: logs in again
    fake.revoke_sessions()
    fake.add_user(EMAIL, "changed")
    clock.jump(61)
    with pytest.raises(Exception, match="could not renew"):
        await session.access_token()
    fake.add_user(EMAIL, "canary-password-7f3a9c")
    await session.login()
    await session.logout()
    await session.aclose()
    seen = [event async for event in events]  # ends when the session closes
    assert [e.kind for e in seen] == [
        EventKind.LOGGED_IN,
        EventKind.REFRESHED,
        EventKind.REFRESH_FAILED,  # a 503, retried inside the same flight
        EventKind.REFRESHED,
        EventKind.RECOVERED,  # after a failure, the first success says so
        EventKind.RELOGGED_IN,  # the refresh was refused; a new login succeeded
        EventKind.REFRESH_FAILED,  # refused again, and the login failed too
        EventKind.EXPIRED,
        EventKind.LOGGED_IN,
        EventKind.RECOVERED,
        EventKind.LOGGED_OUT,
    ]
    assert all(re.fullmatch(r"[0-9a-f]{8}", e.fingerprint or "") for e in seen)
    assert all(a.at <= b.at for a, b in itertools.pairwise(seen))
    failed = [e for e in seen if e.kind is EventKind.REFRESH_FAILED]
    assert all(e.error is not None for e in failed)
    assert isinstance(seen[7].error, AuthenticationError)
    assert events.dropped == 0


async def test_slow_subscriber_is_bounded(fake: FakeFrontegg, make_session: SessionFactory) -> None:
    session = make_session()
    events = session.subscribe(maxsize=5)
    await session.login()
    for _ in range(20):
        await session.refresh()
    assert events.dropped == 16
    await session.aclose()
    kept = [event async for event in events]
    assert len(kept) == 5
    assert all(e.kind is EventKind.REFRESHED for e in kept)
    assert kept[-1].fingerprint == session_fingerprint(fake)


def session_fingerprint(fake: FakeFrontegg) -> str:
    from frontegg_async._secrets import fingerprint

    last = [r for r in fake.requests if r.endpoint == "refresh"][-1]
    return fingerprint(last.response_json["accessToken"])


async def test_unsubscribe_stops_delivery(make_session: SessionFactory) -> None:
    session = make_session()
    async with session.subscribe() as events:
        await session.login()
    await session.refresh()
    assert [e.kind async for e in events] == [EventKind.LOGGED_IN]


@pytest.mark.parametrize("behaviour", ["raises", "sleeps"])
async def test_a_bad_callback_never_delays_renewal(
    behaviour: str,
    fake: FakeFrontegg,
    make_session: SessionFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="frontegg_async")
    fake.token_lifetime = 0.5
    session = make_session()
    calls: list[TokenEvent] = []

    async def callback(event: TokenEvent) -> None:
        calls.append(event)
        if behaviour == "raises":
            raise RuntimeError("callback bug")
        await asyncio.sleep(10)

    session.on_event(callback)  # the default timeout (5 s): sleepers are still asleep below
    await session.login()
    await wait_for(lambda: fake.calls["refresh"] >= 4, timeout=3)
    times = [r.at for r in fake.requests if r.endpoint in ("login", "refresh")]
    assert all(b - a <= 0.5 for a, b in itertools.pairwise(times))
    assert len(calls) >= 4
    if behaviour == "raises":
        assert any("callback raised" in r.getMessage() for r in caplog.records)
    await session.aclose()  # cancels the callbacks still sleeping; nothing is left behind


async def test_a_callback_past_its_timeout_is_cancelled_and_logged(
    make_session: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    session = make_session()
    finished: list[bool] = []

    async def callback(event: TokenEvent) -> None:
        await asyncio.sleep(10)
        finished.append(True)

    session.on_event(callback, timeout=0.1)
    await session.login()
    await wait_for(lambda: any("longer than" in r.getMessage() for r in caplog.records))
    assert finished == []


async def test_callbacks_may_call_the_session_back(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    tokens: list[str] = []

    async def callback(event: TokenEvent) -> None:
        tokens.append(await session.access_token())
        if event.kind is EventKind.LOGGED_IN:
            await session.refresh()

    def plain(event: TokenEvent) -> None:
        tokens.append(event.kind.value)

    session.on_event(callback)
    remove = session.on_event(plain)
    await session.login()
    await wait_for(lambda: fake.calls["refresh"] == 1 and len(tokens) >= 4)
    remove()
    await session.refresh()
    await asyncio.sleep(0.05)
    assert tokens.count("logged_in") == 1
    assert tokens.count("refreshed") == 1  # the plain callback was removed before the second


async def test_a_token_that_lapses_during_an_outage_is_expired_then_recovered(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    session = make_session()
    kinds: list[EventKind] = []
    session.on_event(lambda event: kinds.append(event.kind))
    await session.login()
    for endpoint in ("refresh", "login"):
        fake.fail_randomly(endpoint, 1.0, status=503)
    clock.jump(0.85 * 60)  # due: renewals fail in the background
    await wait_for(lambda: EventKind.REFRESH_FAILED in kinds)
    assert EventKind.EXPIRED not in kinds  # still valid: not expired
    clock.jump(0.2 * 60)  # lapsed, with no renewal under way at that moment
    await wait_for(lambda: EventKind.EXPIRED in kinds)
    assert kinds.count(EventKind.EXPIRED) == 1
    fake.clear_faults()
    await wait_for(lambda: EventKind.RECOVERED in kinds, timeout=10)
    after = kinds[kinds.index(EventKind.EXPIRED) + 1 :]
    successes = [k for k in after if k not in (EventKind.REFRESH_FAILED, EventKind.EXPIRED)]
    assert successes[:2] == [EventKind.REFRESHED, EventKind.RECOVERED]
    assert await session.access_token()


async def test_aclose_from_an_event_callback_returns(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    done: list[str] = []

    async def close_on_refresh(event: TokenEvent) -> None:
        if event.kind is EventKind.REFRESHED:
            await session.aclose()
            done.append("returned")

    session.on_event(close_on_refresh, timeout=2.0)
    await session.login()
    await session.refresh()
    await wait_for(lambda: done == ["returned"])
    assert session.closed
