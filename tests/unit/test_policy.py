"""The renewal schedule and the retry backoff, fed numbers: the leeway, the refresh due time
and its jitter, backoff caps, never sleeping past expiry, and the one verdict on a failure."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontegg_async import (
    AuthenticationError,
    FronteggError,
    InvalidRequestError,
    NotFoundError,
    RateLimitedError,
    ResponseFormatError,
    ServerError,
    StoreError,
    TransportError,
)
from frontegg_async._core.policy import (
    BACKOFF_CAP,
    MAX_SLEEP,
    WAKE_GRID,
    Verdict,
    backoff,
    classify,
    leeway,
    retry_delay,
    schedule,
    sleep_before_refresh,
)

times = st.floats(min_value=0, max_value=4e9, allow_nan=False)
lifetimes = st.floats(min_value=0.001, max_value=10 * 365 * 86400, allow_nan=False)
ratios = st.floats(min_value=0.01, max_value=1.0)
jitters = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)


def test_leeway_is_five_seconds_capped_at_a_tenth() -> None:
    assert leeway(3600) == 5.0
    assert leeway(20) == 2.0
    assert leeway(1) == pytest.approx(0.1)


def test_refresh_due_at_is_ratio_of_lifetime_without_jitter() -> None:
    plan = schedule(1000.0, 100.0, ratio=0.8, jitter=0.0)
    assert plan.refresh_due_at == 1080.0
    assert plan.expires_at == 1100.0
    assert plan.usable_until == 1095.0


def test_jitter_pulls_the_refresh_earlier_by_at_most_five_percent() -> None:
    early = schedule(0.0, 100.0, ratio=0.8, jitter=0.999999)
    assert 75.0 <= early.refresh_due_at < 80.0


@given(times, lifetimes, ratios, jitters)
def test_refresh_is_due_inside_the_usable_window(
    obtained: float, lifetime: float, ratio: float, jitter: float
) -> None:
    plan = schedule(obtained, lifetime, ratio=ratio, jitter=jitter)
    assert obtained <= plan.refresh_due_at <= plan.usable_until
    assert plan.usable_until < plan.expires_at or math.isclose(plan.usable_until, plan.expires_at)
    assert plan.expires_at - plan.usable_until <= 5.0 + 1e-9


@given(times, times)
def test_background_never_sleeps_more_than_the_recheck_interval(now: float, due: float) -> None:
    wait = sleep_before_refresh(now, due)
    assert 0.0 <= wait <= MAX_SLEEP
    assert (wait == 0.0) == (now >= due)


@given(st.floats(min_value=0.0, max_value=1e7), st.floats(min_value=MAX_SLEEP, max_value=1e6))
def test_capped_sleeps_of_many_sessions_end_together_on_the_wake_grid(
    mono: float, until: float
) -> None:
    wait = sleep_before_refresh(0.0, until, mono=mono)
    assert MAX_SLEEP - WAKE_GRID - 1e-6 <= wait <= MAX_SLEEP
    wake = mono + wait
    assert abs(wake - round(wake / WAKE_GRID) * WAKE_GRID) < 1e-6
    # A sleep that ends before the cap (the refresh is due) is exact.
    assert sleep_before_refresh(0.0, 12.5, mono=mono) == 12.5


@given(st.integers(min_value=0, max_value=10_000), jitters)
def test_backoff_is_capped_and_full_jitter(attempt: int, jitter: float) -> None:
    delay = backoff(attempt, jitter=jitter)
    assert 0.0 <= delay <= BACKOFF_CAP
    assert delay == pytest.approx(jitter * min(BACKOFF_CAP, 0.25 * 2.0 ** min(attempt, 62)))


@given(
    st.integers(min_value=0, max_value=100),
    times,
    st.floats(min_value=-100, max_value=1000),
    jitters,
    st.none() | st.floats(min_value=0, max_value=1000),
)
def test_retry_never_sleeps_past_expiry(
    attempt: int, now: float, remaining: float, jitter: float, retry_after: float | None
) -> None:
    deadline = now + remaining
    remaining = deadline - now  # what is left after rounding
    delay = retry_delay(attempt, now=now, deadline=deadline, jitter=jitter, retry_after=retry_after)
    if delay is None:
        assert remaining <= 0 or (retry_after is not None and retry_after > remaining)
        return
    assert delay >= 0.0
    assert now + delay <= deadline + 1e-6
    assert delay <= max(remaining / 2, 0.02) or retry_after is not None
    if retry_after is not None:
        assert delay >= retry_after - 1e-9


def test_no_token_means_no_retry_in_the_flight() -> None:
    assert retry_delay(0, now=0.0, deadline=None, jitter=0.5) is None


@given(st.integers(min_value=0, max_value=50), jitters)
def test_grace_after_expiry_is_short_and_bounded(used: int, jitter: float) -> None:
    from frontegg_async._core.policy import GRACE_ATTEMPTS, GRACE_BACKOFF_CAP, grace_delay

    delay = grace_delay(used, jitter=jitter)
    if used >= GRACE_ATTEMPTS:
        assert delay is None
    else:
        assert delay is not None
        assert 0 <= delay <= GRACE_BACKOFF_CAP


VERDICTS = [
    # (error, renewing, verdict): the one table every caller goes by.
    (TransportError("refused", maybe_processed=False), True, Verdict.RETRY),
    (TransportError("timed out"), True, Verdict.UNKNOWN_OUTCOME),
    (TransportError("timed out"), False, Verdict.RETRY),
    (ResponseFormatError("truncated"), True, Verdict.UNKNOWN_OUTCOME),
    (ResponseFormatError("truncated"), False, Verdict.RETRY),
    (AuthenticationError("refused", status=401), True, Verdict.RELOGIN),
    (AuthenticationError("refused", status=401), False, Verdict.FATAL),
    (
        InvalidRequestError("bad", status=400, errors=("refresh token missing",)),
        True,
        Verdict.RELOGIN,
    ),
    (InvalidRequestError("bad", status=400, errors=("tenant unknown",)), True, Verdict.RELOGIN),
    (NotFoundError("Cannot POST", status=404), True, Verdict.RELOGIN),
    (NotFoundError("Cannot POST", status=404), False, Verdict.FATAL),
    (FronteggError("conflict", status=409), True, Verdict.RELOGIN),
    (RateLimitedError("slow down"), True, Verdict.RETRY),
    (ServerError("down", status=503), True, Verdict.RETRY),
    (StoreError("Redis down"), True, Verdict.RETRY),
    (StoreError("another identity's", retryable=False), True, Verdict.FATAL),
]


@pytest.mark.parametrize(("error", "renewing", "verdict"), VERDICTS)
def test_one_verdict_on_every_failure(
    error: FronteggError, renewing: bool, verdict: Verdict
) -> None:
    assert classify(error, renewing=renewing) is verdict
