"""When a token verifier fetches Frontegg's signing keys, and how it reads the answer.

Theory of operation. A verifier holds the key set (JWKS) it last fetched and a schedule, this
module's ``KeySchedule``, that answers one question for every token: may the keys at hand
decide it, or must they be fetched first? The answers, by what the verifier knows:

=====================  ==================================  ===================================
keys held              the token's ``kid``                 what happens
=====================  ==================================  ===================================
none                   any                                 fetch and wait (``FETCH``), or fail
                                                           at once while a failure's backoff
                                                           runs (``FAIL``)
fresh                  known                               verify (``USE``)
stale (max-age past)   known                               verify, and fetch in the background
                                                           (``USE_AND_REFRESH``)
any                    unknown, a fetch under way          wait for it (``FETCH`` joins it): a
                                                           rotation's new tokens arrive at once
any                    unknown                             fetch and wait, at most once per
                                                           ``refetch_interval`` (``FETCH``);
                                                           else refuse the token (``REFUSE``),
                                                           or, while the last fetch failed,
                                                           fail (``FAIL``): the key may be new
=====================  ==================================  ===================================

A failed fetch keeps the keys held and pushes the next attempt back (1 s, doubling, at most a
minute), so that a JWKS endpoint that fails is not hammered by every request, and the last
good keys go on verifying. Forged ``kid`` values cost one fetch per ``refetch_interval`` however
many arrive. The times here are monotonic seconds: a wall clock set back must not stretch a
cache's life or a backoff.

The flow ``fetch_keys`` yields the one request and reads its answer; it knows nothing of RSA:
turning each JSON Web Key into a key object is the shell's (it needs PyJWT).
"""

from __future__ import annotations

import enum
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from attrs import define, frozen
from yarl import URL

from .._errors import FronteggError, ResponseFormatError, decipher_response, restated
from .wire import Flow, Request

#: The bounds on how long a key set is used before it is fetched again, whatever the server's
#: ``Cache-Control`` says: a server asking for no caching must not cost a fetch per request, and
#: a rotated key must be seen within a day.
MIN_KEYS_LIFETIME = 60.0
MAX_KEYS_LIFETIME = 86_400.0
#: Used when the answer names no ``max-age``.
DEFAULT_KEYS_LIFETIME = 600.0
#: The bounds on ``refetch_interval``: the rate at which unknown ``kid`` values may cause fetches.
MIN_REFETCH_INTERVAL = 1.0
MAX_REFETCH_INTERVAL = 10.0
#: The backoff after failed fetches: 1 s, doubling, at most a minute.
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 60.0
#: A key set is a few KB; a megabyte is a proxy's page or worse.
MAX_JWKS_ANSWER = 1 << 20

_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|[,\s])(?:no-cache|no-store)(?:$|[,\s=])", re.IGNORECASE)


def keys_lifetime(cache_control: str | None) -> float:
    """Seconds to use a key set for, from its answer's ``Cache-Control``, within the bounds."""
    if cache_control is None:
        return DEFAULT_KEYS_LIFETIME
    if _NO_CACHE.search(cache_control):
        return MIN_KEYS_LIFETIME
    found = _MAX_AGE.search(cache_control)
    if found is None:
        return DEFAULT_KEYS_LIFETIME
    return min(max(float(found.group(1)), MIN_KEYS_LIFETIME), MAX_KEYS_LIFETIME)


class Step(enum.Enum):
    """What a verifier does before it decides a token (see the table above)."""

    USE = "use the keys held"
    USE_AND_REFRESH = "use the keys held, and fetch new ones in the background"
    FETCH = "fetch the keys and wait for them"
    REFUSE = "refuse the token: its kid is unknown and was looked for lately"
    FAIL = "fail at once: the keys it needs are not held, and the last fetch failed"


@define
class KeySchedule:
    """The verifier's knowledge about its key set's age and its fetches' fortunes."""

    refetch_interval: float
    #: Monotonic time until which the keys held are fresh (-inf: none held yet).
    fresh_until: float = -math.inf
    held: bool = False
    #: No fetch before this (a failure's backoff).
    retry_at: float = -math.inf
    failures: int = 0
    #: When the last fetch for an unknown kid started.
    looked_for_kid_at: float = -math.inf
    #: Why the last fetch failed, while it has not succeeded since.
    last_failure: FronteggError | None = None

    def step(self, now: float, *, kid_known: bool, fetching: bool = False) -> Step:
        """What to do for a token whose ``kid`` is (or is not) among the keys held, while a
        fetch is (or is not) under way."""
        may_fetch = now >= self.retry_at
        if not self.held:
            return Step.FETCH if may_fetch or fetching else Step.FAIL
        if not kid_known:
            if fetching or (may_fetch and now - self.looked_for_kid_at >= self.refetch_interval):
                return Step.FETCH
            # Keys that could not be refreshed cannot tell a new key from a forged kid.
            return Step.REFUSE if self.last_failure is None else Step.FAIL
        if now >= self.fresh_until and may_fetch:
            return Step.USE_AND_REFRESH
        return Step.USE

    def looking_for_kid(self, now: float) -> None:
        """A fetch starts because a token named a kid not held."""
        self.looked_for_kid_at = now

    def fetched(self, now: float, lifetime: float) -> None:
        """A fetch brought a usable key set, fresh for ``lifetime`` seconds."""
        self.held = True
        self.fresh_until = now + lifetime
        self.retry_at = -math.inf
        self.failures = 0
        self.last_failure = None

    def failed(self, now: float, error: FronteggError) -> float:
        """A fetch failed with ``error``; the seconds until the next may start."""
        self.failures += 1
        delay: float = min(FIRST_BACKOFF * 2.0 ** (self.failures - 1), MAX_BACKOFF)
        self.retry_at = now + delay
        self.last_failure = error
        return delay

    def unavailable(self, now: float) -> FronteggError:
        """The error for a caller whose token needs keys that a failed fetch did not bring."""
        last = self.last_failure or FronteggError("the signing keys were never fetched")
        wait = max(self.retry_at - now, 0.0)
        which = "a token signed by a key not held" if self.held else "tokens"
        return restated(
            last,
            f"{last.message}; {which} cannot be verified until the keys are fetched (the next "
            f"verification tries again in {wait:.1f} s or later)",
        )


@frozen
class KeySet:
    """A fetched JWKS: its keys as the JSON objects they came as, and how long to use them."""

    keys: tuple[Mapping[str, Any], ...]
    lifetime: float


def fetch_keys(url: URL) -> Flow[KeySet]:
    """The flow of one JWKS fetch: ``ResponseFormatError`` for an answer that is no key set,
    the status's own error for a refusal."""
    what = f"the signing keys' fetch from {url}"
    answer = yield Request("GET", url, what=what, limit=MAX_JWKS_ANSWER)
    error = decipher_response(answer.status, answer.body, answer.headers, what=what)
    if error is not None:
        raise error
    document: Any = None
    try:
        document = json.loads(answer.body)
    except ValueError:
        document = None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise ResponseFormatError(
            f"{what} answered with something that is not a JSON Web Key Set (no 'keys' list): "
            "the domain may be wrong, or a proxy answers instead of Frontegg"
        )
    usable = tuple(key for key in keys if isinstance(key, dict))
    return KeySet(keys=usable, lifetime=keys_lifetime(answer.headers.get("Cache-Control")))
