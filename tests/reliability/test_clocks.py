"""Time misbehaving: wall-clock jumps both ways, a blocked loop, lifetimes that lie."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontegg_async import SessionState
from frontegg_async._core.policy import plan
from frontegg_async._core.tokens import MAX_LIFETIME, effective_lifetime
from frontegg_async.testing import FakeFrontegg, JumpingClock

from ..conftest import SessionFactory, exp_of, wait_for


async def test_wall_clock_set_back_never_stretches_a_token(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    fake.token_lifetime = 10
    session = make_session(refresh_ratio=1.0)
    first = await session.access_token()
    clock.jump(-3600)  # the system clock is set back an hour
    assert await session.access_token() == first  # still good: it has lived no longer
    clock.advance(9.5)  # real time passes: 0.5 s left, inside the 1 s leeway
    second = await session.access_token()
    assert second != first
    assert fake.calls["refresh"] == 1


async def test_wall_clock_jumping_forward_renews_at_once(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    session = make_session()
    first = await session.access_token()
    clock.jump(3600)  # a suspended laptop wakes an hour later
    second = await session.access_token()
    assert second != first
    assert exp_of(fake, second) > clock.time() + 50


async def test_clock_going_back_and_forth_keeps_renewing(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    fake.token_lifetime = 0.6
    session = make_session()
    await session.login()
    for jump in (-30.0, 45.0, -120.0, 300.0, -5.0):
        clock.jump(jump)
        calls = fake.calls["refresh"]
        await wait_for(lambda calls=calls: fake.calls["refresh"] > calls)  # type: ignore[misc]
        token = await session.access_token()
        assert exp_of(fake, token) > clock.time()


async def test_event_loop_blocked_past_expiry(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    fake.token_lifetime = 0.5
    session = make_session(clock=None)
    first = await session.access_token()
    time.sleep(0.6)  # noqa: ASYNC251 - the loop is blocked on purpose, past expiry
    second = await session.access_token()
    assert second != first
    assert exp_of(fake, second) > time.time()


async def test_exp_shorter_than_expires_in_wins(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    fake.token_lifetime = 3600  # expiresIn says an hour ...
    fake.jwt_lifetime = 20  # ... the JWT says 20 s
    session = make_session()
    first = await session.access_token()
    clock.jump(18.5)  # past the JWT's usable window (leeway 2 s), long before expiresIn's
    assert await session.access_token() != first


@pytest.mark.parametrize("lifetime", [0, -5])
async def test_nonpositive_lifetime_is_refused_and_recovered_from(
    lifetime: float, fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    session = make_session()
    await session.login()
    fake.token_lifetime = lifetime
    clock.jump(50)  # the refresh is due; its answers are unusable
    await wait_for(lambda: fake.calls["refresh"] + fake.calls["login"] >= 3)
    assert session.last_error is not None
    assert "expiresIn" in str(session.last_error)
    assert exp_of(fake, await session.access_token()) > clock.time()  # the old one, still valid
    fake.token_lifetime = 60  # the fault clears
    clock.jump(0)  # wake the backoff sleep now rather than wait it out
    await wait_for(lambda: session.state is SessionState.AUTHENTICATED)  # renewed
    token = await session.access_token()
    assert exp_of(fake, token) > clock.time() + 50


async def test_fractional_lifetime_works(fake: FakeFrontegg, make_session: SessionFactory) -> None:
    fake.token_lifetime = 0.75
    session = make_session(clock=None)
    await session.login()
    await wait_for(lambda: fake.calls["refresh"] >= 2)


async def test_absurd_lifetime_is_capped(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    fake.token_lifetime = 1e12
    session = make_session()
    first = await session.access_token()
    clock.jump(MAX_LIFETIME)  # a week later the token is not trusted any more
    assert await session.access_token() != first


@given(
    st.floats(min_value=1e-3, max_value=1e15),
    st.none() | st.floats(min_value=0, max_value=4e9),
    st.none() | st.floats(min_value=0, max_value=4e9),
)
def test_effective_lifetime_is_positive_bounded_and_never_longer(
    expires_in: float, iat: float | None, exp: float | None
) -> None:
    lifetime = effective_lifetime(expires_in, issued_at=iat, expires_at=exp)
    assert 0 < lifetime <= min(expires_in, MAX_LIFETIME)
    if iat is not None and exp is not None and exp > iat:
        assert lifetime <= exp - iat


@given(
    st.floats(min_value=0, max_value=4e9),
    st.floats(min_value=0, max_value=1e6),
    st.floats(min_value=1e-3, max_value=1e6),
    st.floats(min_value=-1e6, max_value=1e6),
    st.floats(min_value=-1e6, max_value=1e6),
)
def test_a_token_is_usable_only_where_both_clocks_agree(
    wall0: float, mono0: float, lifetime: float, wall_shift: float, elapsed: float
) -> None:
    p = plan(wall0, mono0, lifetime, ratio=0.8, jitter=0.5)
    wall, mono = wall0 + wall_shift, mono0 + abs(elapsed)
    if p.usable(wall, mono):
        # usable means: not expired by either clock, with the leeway to spare on both
        assert not p.expired(wall, mono)
        assert mono - mono0 < lifetime
        assert wall - wall0 < lifetime
    if abs(elapsed) >= lifetime or wall_shift >= lifetime:
        assert p.expired(wall, mono)
        assert p.until_expiry(wall, mono) <= 0
