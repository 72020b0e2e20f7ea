"""One suite of renewal guarantees, run against every kind of session."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import attrs
import pytest

from frontegg_async import (
    ApiTokenSession,
    EnvironmentSession,
    FronteggSession,
    OAuthSession,
    SessionState,
    hosted_login,
)
from frontegg_async.testing import FakeFrontegg, JumpingClock

from ..conftest import EMAIL, PASSWORD, exp_of, wait_for
from .test_oauth_session import FormFiller

API_CLIENT_ID = "api-client-1"
API_SECRET = "canary-api-secret-51c2"


@attrs.frozen
class Kind:
    name: str
    #: The endpoint that obtains a token from credentials, and the one that renews it.
    obtain: str
    renew: str
    make: Callable[[FakeFrontegg, dict[str, Any]], Any]
    #: What the kind needs before a session is made (the keywords it adds), if anything.
    prepare: Callable[[FakeFrontegg], Awaitable[dict[str, Any]]] | None = None


async def signed_in_elsewhere(fake: FakeFrontegg, user: FormFiller | None = None) -> dict[str, Any]:
    """A refresh token from a hosted login (a web app's, handed over; ``user`` signs in, the
    suite's user by default), the fake's counts and records cleared so that they count the
    adopting session alone."""
    browser = await hosted_login(
        fake.url, client_id=fake.client_id, open_browser=user or FormFiller(), timeout=10
    )
    answer = browser.auth
    assert answer is not None
    await browser.aclose()
    fake.calls.clear()
    fake.requests.clear()
    return {"refresh_token": answer.refresh_token}


KINDS = [
    Kind(
        "user",
        "login",
        "refresh",
        lambda fake, kw: FronteggSession(fake.identity_url, email=EMAIL, password=PASSWORD, **kw),
    ),
    Kind(
        "environment",
        "vendor",
        "vendor",
        lambda fake, kw: EnvironmentSession(
            fake.url, client_id=fake.client_id, secret=fake.environment_secret, **kw
        ),
    ),
    Kind(
        "api_token",
        "api_token",
        "api_token_refresh",
        lambda fake, kw: ApiTokenSession(
            fake.identity_url, client_id=API_CLIENT_ID, secret=API_SECRET, **kw
        ),
    ),
    # A session that started in a browser obtains nothing by itself: it adopts a refresh token
    # and renews at /oauth/token, which is both of its endpoints.
    Kind(
        "oauth",
        "oauth_token",
        "oauth_token",
        lambda fake, kw: OAuthSession(fake.url, client_id=fake.client_id, **kw),
        prepare=signed_in_elsewhere,
    ),
]


@pytest.fixture(params=KINDS, ids=[k.name for k in KINDS])
def kind(request: pytest.FixtureRequest) -> Kind:
    return request.param  # type: ignore[no-any-return]


AnySession = FronteggSession | EnvironmentSession | ApiTokenSession | OAuthSession


@pytest.fixture
async def make_any(
    fake: FakeFrontegg, clock: JumpingClock, kind: Kind
) -> AsyncIterator[Callable[..., AnySession]]:
    fake.add_api_token(API_CLIENT_ID, API_SECRET)
    made: list[AnySession] = []
    prepared = {} if kind.prepare is None else await kind.prepare(fake)

    def make(**overrides: Any) -> AnySession:
        options: dict[str, Any] = {"clock": clock, "timeout": 2.0, **prepared, **overrides}
        session = kind.make(fake, options)
        made.append(session)
        return session

    yield make
    for session in made:
        await session.aclose()


def renewals(fake: FakeFrontegg, kind: Kind) -> int:
    """Renewal requests after the first token was obtained."""
    extra = 1 if kind.obtain == kind.renew else 0
    return fake.calls[kind.renew] - extra


async def test_enter_obtains_a_token(
    fake: FakeFrontegg, kind: Kind, make_any: Callable[..., AnySession]
) -> None:
    async with make_any() as session:
        token = await session.access_token()
        assert session.state is SessionState.AUTHENTICATED
        assert exp_of(fake, token) > fake.now() + 50
    assert fake.calls[kind.obtain] == 1
    assert session.state is SessionState.CLOSED


async def test_thousand_callers_at_expiry_make_one_renewal(
    fake: FakeFrontegg, kind: Kind, make_any: Callable[..., AnySession], clock: JumpingClock
) -> None:
    async with make_any() as session:
        clock.jump(59)
        tokens = await asyncio.gather(*(session.access_token() for _ in range(1000)))
        assert len(set(tokens)) == 1
        assert renewals(fake, kind) == 1
        assert exp_of(fake, tokens[0]) > clock.time() + 50


async def test_background_renewal_before_expiry_with_jitter(
    fake: FakeFrontegg, kind: Kind, make_any: Callable[..., AnySession]
) -> None:
    fake.token_lifetime = 0.5
    async with make_any():
        await wait_for(lambda: renewals(fake, kind) >= 3)
    times = [r.at for r in fake.requests if r.endpoint in (kind.obtain, kind.renew)]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(0.5 * 0.75 - 0.02 <= gap <= 0.5 for gap in gaps), gaps
    assert len({round(gap, 4) for gap in gaps}) > 1  # jittered, not lockstep
    assert fake.reused_refresh_tokens == 0


async def test_inside_the_leeway_a_new_token_is_fetched(
    fake: FakeFrontegg, kind: Kind, make_any: Callable[..., AnySession], clock: JumpingClock
) -> None:
    fake.token_lifetime = 10
    async with make_any(refresh_ratio=1.0) as session:
        first = await session.access_token()
        clock.jump(8.5)
        assert await session.access_token() == first
        clock.jump(0.7)
        second = await session.access_token()
        assert second != first
        assert exp_of(fake, second) - clock.time() > 9


async def test_suspended_process_renews_on_waking(
    fake: FakeFrontegg, kind: Kind, make_any: Callable[..., AnySession], clock: JumpingClock
) -> None:
    fake.token_lifetime = 3600
    async with make_any():
        await wait_for(lambda: len(clock.sleeps) >= 1)
        assert max(clock.sleeps) <= 30
        clock.jump(3500)
        await wait_for(lambda: renewals(fake, kind) == 1, timeout=2)


# Transient faults of every kind, for every kind of session: tests/reliability/test_faults.py.


async def test_shutdown_leaves_no_task(
    fake: FakeFrontegg, kind: Kind, make_any: Callable[..., AnySession], clock: JumpingClock
) -> None:
    session = make_any()
    await session.access_token()
    clock.jump(59)
    waiter = asyncio.create_task(session.access_token())
    await asyncio.sleep(0)
    await session.aclose()
    await asyncio.gather(waiter, return_exceptions=True)
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("frontegg_async")]


async def test_secret_never_in_repr(kind: Kind, make_any: Callable[..., AnySession]) -> None:
    async with make_any() as session:
        token = await session.access_token()
        for text in (repr(session), str(session), repr(session.claims)):
            assert token not in text
            assert API_SECRET not in text
            assert PASSWORD not in text
