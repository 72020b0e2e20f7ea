"""When to act: the refresh schedule, the leeway and the retry backoff, as pure functions.

Nothing here reads a clock, sleeps or draws a random number: time and randomness are arguments,
so every decision is tested exhaustively without an event loop.

Vocabulary: a token set is *obtained* at ``obtained_at`` and lives ``lifetime`` seconds until
``expires_at``. Every deadline is kept on two clocks (a ``Plan``): the wall clock, which sees the
time a suspended process lost, and the monotonic clock, which ignores the wall clock being set
back. A deadline has passed once it has passed on either. It is *usable* until ``expires_at -
leeway`` (a caller handed a token must have time to use it). The background task refreshes at
``refresh_due_at``, a ``ratio`` of the lifetime in, pulled earlier by a random jitter so that a
fleet started together does not refresh in step.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable

from attrs import field, frozen

from .._errors import (
    AuthenticationError,
    FronteggError,
    RateLimitedError,
    ResponseFormatError,
    TransportError,
    restated,
)
from .tokens import Deadline

#: Callers are never handed a token with less than this left (seconds), capped below.
DEFAULT_LEEWAY = 5.0
#: The leeway never exceeds this fraction of the lifetime, so short tokens stay usable.
LEEWAY_FRACTION = 0.1
#: The background task sleeps at most this long before looking at the wall clock again, so a
#: process that was suspended (or a loop that was blocked) notices a due refresh soon after waking.
MAX_SLEEP = 30.0
#: Sleeps that ``MAX_SLEEP`` cuts short end on a grid of this many seconds of the monotonic
#: clock: the sessions of a fleet in one process then wake together, in one turn of the event
#: loop, instead of one turn (and one system call) each.
WAKE_GRID = 1.0
#: Jitter pulls the refresh earlier by up to this fraction of the lifetime ...
JITTER_FRACTION = 0.05
#: ... and never by more than this many seconds.
MAX_JITTER = 30.0
#: Backoff after a transient failure: ``BACKOFF_BASE * 2**attempt`` seconds, capped, full jitter.
BACKOFF_BASE = 0.25
BACKOFF_CAP = 30.0
#: Retries inside a flight are never closer together than this, however little time is left.
MIN_RETRY_GAP = 0.02
#: Once the token has lapsed during a renewal, this many quick tries more, each after at most
#: ``GRACE_BACKOFF_CAP`` seconds, before the waiting callers get the error.
GRACE_ATTEMPTS = 4
GRACE_BACKOFF_CAP = 0.25


#: A server's Retry-After is honoured up to this many seconds: a server that asks for a day
#: of quiet (or for 1e9 s) must not stop renewal for good.
MAX_RETRY_AFTER = 60.0


@frozen
class Schedule:
    """The times that matter for one token set (all wall-clock seconds since the epoch)."""

    obtained_at: float
    expires_at: float
    usable_until: float
    refresh_due_at: float


def leeway(lifetime: float, default: float = DEFAULT_LEEWAY) -> float:
    """How long before expiry a token stops being handed out."""
    return max(0.0, min(default, LEEWAY_FRACTION * lifetime))


def schedule(
    obtained_at: float,
    lifetime: float,
    *,
    ratio: float,
    jitter: float,
    default_leeway: float = DEFAULT_LEEWAY,
) -> Schedule:
    """Plan the life of a token obtained at ``obtained_at`` that lives ``lifetime`` seconds.

    ``jitter`` is a random draw in ``[0, 1)``; ``ratio`` is in ``(0, 1]``. The refresh is never
    due before the token was obtained nor after it stops being usable.
    """
    lifetime = max(0.0, lifetime)
    expires_at = obtained_at + lifetime
    usable_until = expires_at - leeway(lifetime, default_leeway)
    pull = jitter * min(JITTER_FRACTION * lifetime, MAX_JITTER)
    due = obtained_at + ratio * lifetime - pull
    due = min(max(due, obtained_at), usable_until)
    return Schedule(
        obtained_at=obtained_at,
        expires_at=expires_at,
        usable_until=usable_until,
        refresh_due_at=due,
    )


@frozen
class Plan:
    """One token set's schedule on the wall clock and on the monotonic clock.

    A token is usable while it is usable on both; a deadline (refresh due, expiry) has passed
    once it has passed on either.
    """

    wall: Schedule
    mono: Schedule
    #: Until when the token may be handed out, on both clocks (made once, with the plan).
    usable_until: Deadline = field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        until = Deadline(self.wall.usable_until, self.mono.usable_until)
        object.__setattr__(self, "usable_until", until)

    def usable(self, wall: float, mono: float) -> bool:
        """Whether the token may be handed out at these times."""
        return self.usable_until.holds(wall, mono)

    def expired(self, wall: float, mono: float) -> bool:
        """Whether the token has expired."""
        return wall >= self.wall.expires_at or mono >= self.mono.expires_at

    def until_due(self, wall: float, mono: float) -> float:
        """Seconds until the refresh is due (negative once it is)."""
        return min(self.wall.refresh_due_at - wall, self.mono.refresh_due_at - mono)

    def until_expiry(self, wall: float, mono: float) -> float:
        """Seconds until the token expires (negative once it has)."""
        return min(self.wall.expires_at - wall, self.mono.expires_at - mono)


def plan(
    obtained_at: float,
    obtained_mono: float,
    lifetime: float,
    *,
    ratio: float,
    jitter: float,
    default_leeway: float = DEFAULT_LEEWAY,
) -> Plan:
    """``schedule`` on both clocks, with one jitter draw."""
    return Plan(
        wall=schedule(
            obtained_at, lifetime, ratio=ratio, jitter=jitter, default_leeway=default_leeway
        ),
        mono=schedule(
            obtained_mono, lifetime, ratio=ratio, jitter=jitter, default_leeway=default_leeway
        ),
    )


def sleep_before_refresh(now: float, refresh_due_at: float, *, mono: float | None = None) -> float:
    """How long the background task sleeps before looking again (0 means: refresh now); a
    sleep cut short by ``MAX_SLEEP`` ends on the ``WAKE_GRID`` of the monotonic clock read as
    ``mono``, a little earlier."""
    wait = max(0.0, min(refresh_due_at - now, MAX_SLEEP))
    if mono is None or wait < MAX_SLEEP:
        return wait
    return math.floor((mono + wait) / WAKE_GRID) * WAKE_GRID - mono


def backoff(
    attempt: int, *, jitter: float, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP
) -> float:
    """Capped exponential backoff with full jitter for the ``attempt``-th retry (0-based)."""
    ceiling = min(cap, base * 2.0 ** min(attempt, 62))
    return jitter * ceiling


def retry_delay(
    attempt: int,
    *,
    now: float,
    deadline: float | None,
    jitter: float,
    retry_after: float | None = None,
) -> float | None:
    """How long to wait before retrying a transient failure, or None to give up for now.

    ``deadline`` is when the current token expires (None when there is no token). Backoff never
    sleeps past it, and never more than half of what is left (with a small floor), so a short
    token still gets several tries before it lapses. A server's ``Retry-After`` is honoured as a
    floor; when it reaches past the deadline the flight gives up (None) rather than hammer a
    server that asked for quiet, and the background task waits it out instead.
    """
    if deadline is None:
        return None
    remaining = deadline - now
    if remaining <= 0:
        return None
    if retry_after is not None:
        if retry_after > remaining:
            return None
        return max(retry_after, min(backoff(attempt, jitter=jitter), remaining))
    ceiling = max(remaining / 2, MIN_RETRY_GAP)
    return min(backoff(attempt, jitter=jitter), ceiling, remaining)


def background_retry_wait(
    failures: int, *, jitter: float, retry_after: float | None, until_expiry: float
) -> float:
    """How long the background task waits after a renewal failed ``failures + 1`` times.

    Backoff, or the server's (capped) ``Retry-After`` if longer; but while the token is still
    alive, never past its expiry: the one try at that moment is what keeps an idle session
    alive when a server asked for more quiet than the token has life.
    """
    wait = max(retry_after or 0.0, backoff(failures, jitter=jitter))
    if until_expiry > 0:
        wait = min(wait, until_expiry)
    return wait


#: A session's first authentication (no token yet) is tried this many times in all on
#: transient failures (connection refused, DNS, 5xx, 429) before the caller gets the error.
FIRST_ATTEMPTS = 3
#: An API call (``request()``, ``FronteggClient``) of an idempotent method is retried this many
#: times by default on a transient failure; other methods only when the caller asks.
DEFAULT_API_RETRIES = 2
#: Methods that may be sent twice with the effect of once (RFC 9110, 9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
#: An API call's retries all start within this many seconds of its first attempt.
API_RETRY_WINDOW = 5.0


def default_api_retries(method: str) -> int:
    """How many times an API call of ``method`` is retried when the caller does not say."""
    return DEFAULT_API_RETRIES if method.upper() in IDEMPOTENT_METHODS else 0


def bounded_retry_delay(
    attempt: int,
    *,
    attempts: int,
    jitter: float,
    retry_after: float | None,
    spent: float,
    took: float,
    budget: float,
) -> float | None:
    """The wait before trying a call again after its ``attempt``-th try (0-based) failed
    transiently, or None to give up: the one regime for a session's first authentication and
    for API calls. At most ``attempts`` in all, and only while another try (as long as the last
    one ``took``) still ends within ``budget`` seconds of the first (``spent`` so far), so that
    the caller's wait stays bounded. A server's ``Retry-After`` is a floor; one that reaches
    past the budget ends the tries at once (the error carries it)."""
    if attempt + 1 >= attempts:
        return None
    delay = max(retry_after or 0.0, backoff(attempt, jitter=jitter))
    return delay if spent + delay + took < budget else None


def renewal_delay(
    error: FronteggError,
    *,
    attempt: int,
    grace_used: int,
    had_tokens: bool,
    until_expiry: float | None,
    spent: float,
    took: float,
    wait_budget: float,
    lapse_budget: float,
    jitter: Callable[[], float],
) -> tuple[float | None, int]:
    """The one retry regime of a flight: how long to wait after ``error`` (transient) before
    the next try, or None to give up; with how many grace tries are used after it.

    ``attempt`` counts the tries failed so far, ``until_expiry`` is the seconds the current
    token has left (None without one), ``spent`` how long the flight has run and ``took`` how
    long the failed try took. While the token lives, backoff within its life (``retry_delay``).
    The first authentication, with nothing to hand out, gets a few tries more within the
    caller's wait (``FIRST_ATTEMPTS`` within ``wait_budget``; never for an unreadable answer:
    a wrong base URL answers the same every time). A token that lapsed while renewing (a slow
    server, a busy loop) gets a few quick tries more (``grace_delay``), as long as the lapse
    stays within ``lapse_budget``: callers then wait on the flight with nothing to hand out,
    and a try serves them better than an error. A Retry-After past the token's life ends the
    flight: the background task waits it out.
    """
    retry_after = honoured_retry_after(error)
    delay = retry_delay(
        attempt, now=0.0, deadline=until_expiry, jitter=jitter(), retry_after=retry_after
    )
    if delay is None and not had_tokens and error.retryable:
        delay = bounded_retry_delay(
            attempt,
            attempts=FIRST_ATTEMPTS,
            jitter=jitter(),
            retry_after=retry_after,
            spent=spent,
            took=took,
            budget=wait_budget,
        )
    if delay is None and had_tokens and retry_after is None and until_expiry is not None:
        delay = grace_delay(grace_used, jitter=jitter())
        grace_used += 1
        if delay is not None and -until_expiry + took + delay > lapse_budget:
            delay = None
    return delay, grace_used


def is_transient(error: FronteggError) -> bool:
    """Whether a renewal that failed so is worth trying again later (see ``classify``)."""
    return classify(error, renewing=False) is Verdict.RETRY


def grace_delay(grace_used: int, *, jitter: float) -> float | None:
    """The wait before one more try after the token lapsed mid-renewal, or None when spent."""
    if grace_used >= GRACE_ATTEMPTS:
        return None
    return backoff(grace_used, jitter=jitter, cap=GRACE_BACKOFF_CAP)


class Verdict(enum.Enum):
    """What a failed call to obtain or renew a token set means for the session."""

    #: Worth trying the same call again later (the connection, the server, the store).
    RETRY = "retry"
    #: The server may have carried the refresh out all the same (a timeout, a dropped or
    #: unreadable answer): the refresh token may be spent, so it is never sent again.
    UNKNOWN_OUTCOME = "unknown outcome"
    #: The refresh token itself was refused: authenticate afresh with the credentials.
    RELOGIN = "relogin"
    #: Nothing the session can do by itself: the caller must change something.
    FATAL = "fatal"


def honoured_retry_after(error: FronteggError) -> float | None:
    """How long the server asked to wait before trying again, capped; None if it did not."""
    if not isinstance(error, RateLimitedError) or error.retry_after is None:
        return None
    return min(max(0.0, error.retry_after), MAX_RETRY_AFTER)


def is_refresh_rejection(error: FronteggError) -> bool:
    """Whether a failed refresh means the refresh token itself is dead."""
    if isinstance(error, AuthenticationError):
        return True
    if error.status == 400:
        return any("refresh" in message.lower() for message in error.errors)
    return False


def classify(error: FronteggError, *, renewing: bool) -> Verdict:
    """The one verdict on a failed call: ``renewing`` when it spent a refresh token.

    An unreadable answer is worth another try: a proxy's error page or a truncated body passes.
    """
    if renewing:
        if isinstance(error, ResponseFormatError) or (
            isinstance(error, TransportError) and error.maybe_processed
        ):
            return Verdict.UNKNOWN_OUTCOME
        if is_refresh_rejection(error):
            return Verdict.RELOGIN
        if not error.retryable and error.status is not None and 400 <= error.status < 500:
            # A 4xx that does not name the refresh token (a JSON 404, a 409, an odd 400): the
            # refresh cannot be trusted to work again, but the credentials may: log in afresh.
            return Verdict.RELOGIN
    if error.retryable or isinstance(error, ResponseFormatError):
        return Verdict.RETRY
    return Verdict.FATAL


def still_renewing(name: str, bound: float | None, last: FronteggError | None) -> FronteggError:
    """The error for a caller that waited ``bound`` s on a renewal that goes on failing: the
    last try's error restated (its family kept), saying that renewal carries on."""
    message = (
        f"{name}: no new token within {bound:g} s"
        + ("" if last is None else f" (the last try: {last})")
        + "; renewal goes on in the background, and the next call tries again"
    )
    return restated(last, message) if last is not None else TransportError(message)
