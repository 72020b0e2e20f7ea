"""The retry policy of request() and of every FronteggClient method: transient failures (429,
5xx, a failed connection) are tried again for idempotent methods by default, for POST and PATCH
only when asked, within a few seconds in all, honouring Retry-After."""

from __future__ import annotations

import asyncio

import pytest

from frontegg_async import (
    FronteggClient,
    InvalidRequestError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from frontegg_async._core.policy import API_RETRY_WINDOW, bounded_retry_delay, default_api_retries
from frontegg_async.testing import FakeFrontegg, JumpingClock

from ..conftest import PASSWORD, SessionFactory, exception_texts

ME = "resources/users/v2/me"


def test_idempotent_methods_retry_by_default_and_others_do_not() -> None:
    for method in ("GET", "get", "HEAD", "OPTIONS", "PUT", "DELETE"):
        assert default_api_retries(method) == 2
    for method in ("POST", "PATCH", "post"):
        assert default_api_retries(method) == 0


def test_the_retry_window_bounds_every_wait() -> None:
    # The tries stop when the next one could not end within the window ...
    assert bounded_retry_delay(
        0, attempts=3, jitter=0.5, retry_after=None, spent=0.0, took=0.01, budget=5.0
    ) == pytest.approx(0.125)
    assert (
        bounded_retry_delay(
            0, attempts=3, jitter=0.5, retry_after=None, spent=4.9, took=0.2, budget=5.0
        )
        is None
    )
    # ... or when the attempts are spent; a Retry-After is a floor, and one past the window
    # ends them at once.
    assert (
        bounded_retry_delay(2, attempts=3, jitter=0.5, retry_after=None, spent=0, took=0, budget=5)
        is None
    )
    assert (
        bounded_retry_delay(0, attempts=3, jitter=0.0, retry_after=1.0, spent=0, took=0, budget=5)
        == 1.0
    )
    assert (
        bounded_retry_delay(0, attempts=3, jitter=0.0, retry_after=9.0, spent=0, took=0, budget=5)
        is None
    )


async def test_a_get_rides_out_one_503(fake: FakeFrontegg, make_session: SessionFactory) -> None:
    session = make_session()
    await session.access_token()
    fake.fail_next("me", status=503)
    body = await session.request("GET", ME)
    assert body["email"]
    assert fake.calls["me"] == 2


async def test_a_get_gives_up_after_its_retries_and_says_so(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    session = make_session()
    await session.access_token()
    await asyncio.sleep(0)  # the renewal task starts its (long) sleep
    before = len(clock.sleeps)
    fake.fail_next("me", times=5, status=502)
    with pytest.raises(ServerError) as caught:
        await session.request("GET", ME)
    assert fake.calls["me"] == 3
    assert "tried 3 times" in str(caught.value)
    assert caught.value.status == 502
    assert "will be retried" not in str(caught.value)
    waits = clock.sleeps[before:]
    assert len(waits) == 2
    assert sum(waits) < API_RETRY_WINDOW


async def test_retries_zero_turns_them_off_and_bad_values_are_refused(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    await session.access_token()
    fake.fail_next("me", status=503)
    with pytest.raises(ServerError) as caught:
        await session.request("GET", ME, retries=0)
    assert "tried" not in str(caught.value)
    assert fake.calls["me"] == 1
    fake.clear_faults()
    for bad in (-1, True, 1.5, "2"):
        with pytest.raises(InvalidRequestError, match="retries"):
            await session.request("GET", ME, retries=bad)  # type: ignore[arg-type]
    assert fake.calls["me"] == 1  # nothing was sent


async def test_an_answer_that_is_not_transient_is_never_retried(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    await session.access_token()
    fake.fail_next("me", status=404)
    with pytest.raises(NotFoundError):
        await session.request("GET", ME)
    assert fake.calls["me"] == 1


async def test_retry_after_is_honoured_and_one_past_the_window_ends_the_tries(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    session = make_session()
    await session.access_token()
    fake.fail_next("me", status=429, retry_after=0.3)
    await session.request("GET", ME)
    assert fake.calls["me"] == 2
    assert 0.3 in clock.sleeps
    fake.fail_next("me", status=429, retry_after=30)
    with pytest.raises(RateLimitedError) as caught:
        await session.request("GET", ME)
    assert caught.value.retry_after == 30
    assert fake.calls["me"] == 3  # one try: the server asked for more quiet than the window


async def test_a_failed_connection_is_tried_again(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    await session.access_token()
    fake.fail_next("me", drop=True)
    assert (await session.request("GET", ME))["email"]
    fake.fail_next("me", times=3, drop=True)
    with pytest.raises(TransportError) as caught:
        await session.request("GET", ME)
    assert "tried 3 times" in str(caught.value)
    token = await session.access_token()
    assert not any(token in text or PASSWORD in text for text in exception_texts(caught.value))


async def test_post_is_retried_only_when_asked(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    client = FronteggClient(session)
    user_id = (await session.me()).id
    fake.fail_next("api", status=503)
    with pytest.raises(ServerError):
        await client.users.enable_tenants_users(user_id)
    fake.fail_next("api", status=503)
    await client.users.enable_tenants_users(user_id, retries=1)
    enabled = [r for r in fake.requests if r.path.endswith(f"{user_id}/enable")]
    assert len(enabled) == 3


async def test_client_methods_take_the_same_policy(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    client = FronteggClient(session)
    fake.fail_next("api", status=503)
    assert (await client.users.get_me()).email
    fake.fail_next("api", status=503)
    with pytest.raises(ServerError):
        await client.users.get_me(retries=0)


async def test_a_401_then_a_503_renews_once_and_retries(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    await session.access_token()
    fake.fail_next("me", status=401)
    fake.fail_next("me", status=503)
    assert (await session.request("GET", ME))["email"]
    assert fake.calls["refresh"] == 1
    assert fake.calls["me"] == 3
