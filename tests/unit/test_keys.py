"""The key schedule and the JWKS fetch flow, without a network: ``next()`` and ``.send()``."""

from __future__ import annotations

import json
import math

import pytest
from yarl import URL

from frontegg_async import FronteggError, NotFoundError, ResponseFormatError, ServerError
from frontegg_async._core.keys import (
    MAX_BACKOFF,
    KeySchedule,
    Step,
    fetch_keys,
    keys_lifetime,
)
from frontegg_async._core.wire import Answer

URL_ = URL("https://app-xxxx.frontegg.com/.well-known/jwks.json")


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, 600.0),
        ("public, max-age=600", 600.0),
        ("max-age=3600, must-revalidate", 3600.0),
        ('max-age="120"', 120.0),
        ("max-age=0", 60.0),
        ("max-age=5", 60.0),
        ("no-store", 60.0),
        ("no-cache, max-age=3600", 60.0),
        ("max-age=999999999", 86_400.0),
        ("public", 600.0),
        ("s-maxage=10", 600.0),
    ],
)
def test_the_keys_live_as_long_as_cache_control_says_within_a_minute_and_a_day(
    header: str | None, seconds: float
) -> None:
    assert keys_lifetime(header) == seconds


def test_the_schedule_follows_its_table() -> None:
    schedule = KeySchedule(refetch_interval=5.0)
    assert schedule.step(0.0, kid_known=False) is Step.FETCH  # cold
    schedule.fetched(0.0, 600.0)
    assert schedule.step(10.0, kid_known=True) is Step.USE
    assert schedule.step(10.0, kid_known=False) is Step.FETCH
    schedule.looking_for_kid(10.0)
    assert schedule.step(14.9, kid_known=False) is Step.REFUSE
    assert schedule.step(15.0, kid_known=False) is Step.FETCH
    assert schedule.step(14.9, kid_known=True) is Step.USE  # known kids never wait
    assert schedule.step(600.0, kid_known=True) is Step.USE_AND_REFRESH
    # A fetch under way is waited for whatever the interval: a rotation's new tokens at once.
    assert schedule.step(14.9, kid_known=False, fetching=True) is Step.FETCH


def test_a_failure_backs_off_doubling_and_keeps_the_keys() -> None:
    schedule = KeySchedule(refetch_interval=1.0)
    schedule.fetched(0.0, 60.0)
    error = ServerError("the signing keys' fetch failed (HTTP 503)", status=503)
    delays = [schedule.failed(100.0, error) for _ in range(10)]
    assert delays[:4] == [1.0, 2.0, 4.0, 8.0]
    assert max(delays) == MAX_BACKOFF
    assert schedule.held
    # Stale, in backoff: the keys held still decide, nothing is fetched.
    assert schedule.step(100.0 + MAX_BACKOFF - 1, kid_known=True) is Step.USE
    # An unknown kid cannot be judged with keys that could not be refreshed: a new key?
    assert schedule.step(100.0 + MAX_BACKOFF - 1, kid_known=False) is Step.FAIL
    assert "a token signed by a key not held" in str(schedule.unavailable(100.0))
    assert schedule.step(100.0 + MAX_BACKOFF, kid_known=True) is Step.USE_AND_REFRESH
    schedule.fetched(200.0, 60.0)
    assert schedule.failures == 0
    assert schedule.last_failure is None


def test_a_cold_schedule_fails_fast_during_the_backoff_with_the_failures_family() -> None:
    schedule = KeySchedule(refetch_interval=1.0)
    error = ServerError("the signing keys' fetch failed (HTTP 503)", status=503)
    schedule.failed(0.0, error)
    assert schedule.step(0.5, kid_known=False) is Step.FAIL
    told = schedule.unavailable(0.5)
    assert isinstance(told, ServerError)
    assert told is not error
    assert told.status == 503
    assert "tries again in 0.5 s" in str(told)
    assert schedule.step(0.5, kid_known=False, fetching=True) is Step.FETCH
    assert schedule.step(1.0, kid_known=False) is Step.FETCH
    assert math.isinf(KeySchedule(refetch_interval=1.0).fresh_until)


def answer(status: int, body: bytes, **headers: str) -> Answer:
    return Answer(status=status, headers=headers, body=body, refresh_cookie=None)


def run(reply: Answer) -> object:
    flow = fetch_keys(URL_)
    request = next(flow)
    assert (request.method, request.url, request.bearer) == ("GET", URL_, None)
    with pytest.raises(StopIteration) as done:
        flow.send(reply)
    return done.value.value


def test_the_fetch_reads_a_key_set_and_its_lifetime() -> None:
    keys = [{"kty": "RSA", "kid": "a", "n": "xyz", "e": "AQAB"}, "not an object"]
    got = run(answer(200, json.dumps({"keys": keys}).encode(), **{"Cache-Control": "max-age=90"}))
    assert got.keys == (keys[0],)  # type: ignore[attr-defined]
    assert got.lifetime == 90.0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (answer(503, b'{"errors": ["down"]}'), ServerError),
        (answer(404, b'{"errors": ["no such domain"]}'), NotFoundError),
        (answer(200, b"<html>"), ResponseFormatError),
        (answer(200, b"[]"), ResponseFormatError),
        (answer(200, b'{"keys": {}}'), ResponseFormatError),
    ],
)
def test_a_failed_fetch_is_its_answers_error(reply: Answer, kind: type[FronteggError]) -> None:
    with pytest.raises(kind) as failed:
        run(reply)
    assert "signing keys' fetch" in str(failed.value)
