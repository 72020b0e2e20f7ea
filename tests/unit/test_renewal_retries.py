"""The one retry regime of a renewal flight (``_core.policy.renewal_delay``), fed numbers: within a
token's life, for a first authentication, and after a lapse (no loop, no socket)."""

from __future__ import annotations

from frontegg_async import RateLimitedError, ResponseFormatError, ServerError
from frontegg_async._core.policy import FIRST_ATTEMPTS, GRACE_ATTEMPTS, renewal_delay


def full_jitter() -> float:
    """The jitter at its top: each wait is its ceiling (backoff's jitter is "full")."""
    return 1.0


def delay(
    error: Exception,
    *,
    attempt: int = 0,
    grace_used: int = 0,
    had_tokens: bool = True,
    until_expiry: float | None = 60.0,
    spent: float = 0.0,
    took: float = 0.01,
) -> tuple[float | None, int]:
    assert isinstance(error, ServerError | RateLimitedError | ResponseFormatError)
    return renewal_delay(
        error,
        attempt=attempt,
        grace_used=grace_used,
        had_tokens=had_tokens,
        until_expiry=until_expiry,
        spent=spent,
        took=took,
        wait_budget=10.0,
        lapse_budget=2.0,
        jitter=full_jitter,
    )


def test_while_the_token_lives_it_backs_off_within_its_life() -> None:
    waits = [delay(ServerError("503", status=503), attempt=n)[0] for n in range(12)]
    assert all(wait is not None and 0 < wait <= 30.0 for wait in waits)
    assert waits == sorted(waits)  # it backs off
    short = delay(ServerError("503", status=503), attempt=10, until_expiry=1.0)[0]
    assert short is not None
    assert short <= 0.5  # never more than half of what is left


def test_a_retry_after_past_the_tokens_life_ends_the_flight() -> None:
    quiet = RateLimitedError("429", status=429, retry_after=50.0)
    assert delay(quiet, until_expiry=40.0) == (None, 0)
    assert delay(quiet, until_expiry=120.0)[0] == 50.0  # honoured, within the life
    endless = RateLimitedError("429", status=429, retry_after=1e9)
    assert delay(endless, until_expiry=120.0)[0] == 60.0  # capped


def test_a_first_authentication_gets_a_few_tries_within_the_callers_wait() -> None:
    error = ServerError("503", status=503)
    tries = [delay(error, attempt=n, had_tokens=False, until_expiry=None)[0] for n in range(5)]
    assert all(wait is not None for wait in tries[: FIRST_ATTEMPTS - 1])
    assert tries[FIRST_ATTEMPTS - 1 :] == [None] * (5 - FIRST_ATTEMPTS + 1)
    # ... but not past the wait budget, nor for an answer that reads the same every time.
    assert delay(error, had_tokens=False, until_expiry=None, spent=9.99)[0] is None
    unreadable = ResponseFormatError("not JSON")
    assert delay(unreadable, had_tokens=False, until_expiry=None)[0] is None


def test_a_token_that_lapsed_while_renewing_gets_a_few_quick_tries() -> None:
    error = ServerError("503", status=503)
    grace_used, waits = 0, []
    for attempt in range(GRACE_ATTEMPTS + 2):
        wait, grace_used = delay(error, attempt=attempt, grace_used=grace_used, until_expiry=-0.1)
        waits.append(wait)
    assert all(wait is not None and wait <= 0.25 for wait in waits[:GRACE_ATTEMPTS])
    assert waits[GRACE_ATTEMPTS:] == [None, None]
    # Only as long as the lapse stays within its budget.
    assert delay(error, until_expiry=-1.95, took=0.1)[0] is None
