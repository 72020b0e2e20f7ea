"""The renewal engine: the only stateful, asynchronous piece, written once for every kind of token.

Theory of operation
-------------------
The engine holds one ``TokenSet`` (or none) and its ``Plan`` (deadlines on two clocks). Three kinds
of caller want a token renewed: ``access_token()`` when the current one is no longer usable,
``refresh()`` (and a 401 seen by ``request()`` or the middleware) when asked to, and the background
task when ``refresh_due_at`` has passed. All of them *join the flight*: if a renewal task is
running they await it, otherwise they start one. A flight is a task of its own, awaited through
``asyncio.shield``, so cancelling any caller never cancels the renewal that others wait on. There
is at most one flight at a time, so N callers at expiry make one request.

Inside a flight the strategy renews with the refresh token, or obtains a token from the
credentials when there is none to renew with (the environment token has none). With a store,
a flight first looks in it under the store's lease and takes up a newer set a sharer stored;
without the lease it never renews (see ``_sharing.py``). A store fault is transient like any
other: a set that could not be saved is kept and stored later by the background task. If the server
refuses the refresh token, or answers so that it cannot be known whether it was rotated, the
token is marked dead (never sent again) and, with ``relogin``, the strategy authenticates afresh.
Transient failures are retried with capped, jittered backoff while the current token is still
alive, never sleeping past its expiry. A flight ends with a new token set installed, or with:

* a transient error, the token lapsed (or Retry-After reaching past it): raised to the flight's
  waiters; the background task backs off and tries again later.
* a refusal that cannot be recovered: the session becomes EXPIRED. Callers still get the last
  token while it is usable, then ``SessionExpiredError`` at once. Only ``login()`` revives it.

The session's life (NEW, ACTIVE, EXPIRED, LOGGED_OUT, CLOSED), what moves it and the public
``SessionState`` read from it are one table in ``_core/lifecycle.py``; the engine only says what
happened (``after(life, Happening.X)``).

Every failure is logged on the ``frontegg_async`` logger, kept as ``last_error`` and published
as an event; the background task survives anything but cancellation, backing off after
unexpected errors. Events are handed to the hub without waiting (see ``_events.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable

from ._clock import Clock, boottime
from ._core.flows import Strategy
from ._core.lifecycle import Happening, Life, SessionState, after, public_state
from ._core.policy import (
    Plan,
    background_retry_wait,
    backoff,
    honoured_retry_after,
    is_transient,
    plan,
    renewal_delay,
    sleep_before_refresh,
)
from ._core.renewal import How, Learned, renew_or_obtain
from ._core.tokens import Deadline, TokenSet
from ._core.wire import Driver
from ._errors import (
    FronteggError,
    SessionClosedError,
    SessionExpiredError,
    StoreError,
    TransportError,
    WrongLoopError,
    restated,
)
from ._events import EventHub, EventKind, TokenEvent
from ._secrets import Secret
from ._sharing import SharedStore, Stored, is_newer
from ._stores import TokenStore
from ._stores.codec import StoreIdentity

logger = logging.getLogger("frontegg_async")

#: An unsaved token set is offered to the store again at most this often (seconds).
MIN_STORE_RETRY = 0.05


#: The event a renewal's outcome is published as.
_EVENT_OF = {
    How.LOGGED_IN: EventKind.LOGGED_IN,
    How.RELOGGED_IN: EventKind.RELOGGED_IN,
    How.REFRESHED: EventKind.REFRESHED,
}


class HotToken(Deadline):
    """The current raw token and its ``Deadline``, kept apart from the engine so that the hot
    path reads a couple of attributes and no more (``boot`` where the system has a boot clock,
    one call of it; ``holds()`` otherwise)."""

    __slots__ = ("token",)

    def __init__(self) -> None:
        super().__init__()
        self.token = ""

    def set(self, token: str, until: Deadline, wall: float, mono: float) -> None:
        """Publish ``token``, usable ``until``; ``wall`` and ``mono`` are the times now."""
        self.token, self.wall, self.mono = token, until.wall, until.mono
        self.boot = until.on_boot_clock(wall, mono, boottime())

    def clear(self) -> None:
        """No usable token."""
        self.token = ""
        self.wall = self.mono = self.boot = float("-inf")


class TokenEngine:
    """Keeps one token set fresh for a strategy; see the module docstring."""

    def __init__(
        self,
        strategy: Strategy,
        driver: Driver,
        *,
        name: str,
        clock: Clock,
        refresh_ratio: float,
        relogin: bool,
        rng: Callable[[], float] = random.random,
        on_orphaned: Callable[[], Awaitable[None]] | None = None,
        store: TokenStore | None = None,
        identity: StoreIdentity | None = None,
        lease_wait: float = 10.0,
        lapse_budget: float = 10.0,
        wait_budget: float = 30.0,
    ) -> None:
        self._strategy = strategy
        self._drive = driver.drive
        self._name = name
        self._clock = clock
        self._ratio = refresh_ratio
        self._relogin = relogin
        self._rng = rng
        self._on_orphaned = on_orphaned
        # Without a store, nothing is written: nothing would read it.
        self._shared = SharedStore(
            store,
            identity if identity is not None else StoreIdentity("session", name, name),
            name=name,
            clock=clock,
            lease_wait=lease_wait,
        )
        #: Once the token has lapsed, callers wait on renewal attempts for about this long in
        #: all before they get the error (the next caller starts a new try).
        self._lapse_budget = lapse_budget
        #: No caller waits longer than this on a renewal (``refresh()``, a 401, a lapsed token):
        #: the flight goes on without it.
        self._wait_budget = wait_budget
        #: Stores a set the store missed, as soon as the store answers (one at a time).
        self._storing: asyncio.Task[None] | None = None
        self._life = Life.NEW
        self._tokens: TokenSet | None = None
        self._plan: Plan | None = None
        #: The access token of the set whose refresh token must never be sent again (refused,
        #: or its refresh may have been carried out unseen).
        self._spent: Secret | None = None
        self._flight: asyncio.Task[TokenSet] | None = None
        self._background: asyncio.Task[None] | None = None
        self._fatal: FronteggError | None = None
        self._degraded = False
        #: The plan whose lapse was published as EXPIRED (once per token set).
        self._lapse_published: Plan | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._logging_out = False
        self.events = EventHub(name)
        self.last_error: FronteggError | None = None
        #: The hot path: what a caller may be handed without any further check.
        self.hot = HotToken()

    # -- what callers see -------------------------------------------------------------------

    @property
    def tokens(self) -> TokenSet | None:
        """The current token set, usable or not."""
        return self._tokens

    @property
    def closed(self) -> bool:
        """Whether ``aclose()`` was called."""
        return self._life is Life.CLOSED

    @property
    def state(self) -> SessionState:
        """The public view of the engine's state; see ``_core.lifecycle``."""
        current = self._plan
        if current is None:
            lapsed = usable = False
        else:
            wall, mono = self._now()
            lapsed, usable = current.expired(wall, mono), current.usable(wall, mono)
        return public_state(
            self._life,
            holds_token=current is not None,
            lapsed=lapsed,
            usable=usable,
            refused=self._fatal is not None,
            failing=self._degraded,
            renewing=self._flight is not None and not self._flight.done(),
        )

    async def access_token(self) -> str:
        """A token that is valid for at least the leeway; waits for the one flight if needed."""
        while True:
            self._check_open()
            tokens, current = self._tokens, self._plan
            if tokens is not None and current is not None and current.usable(*self._now()):
                if self._life is Life.ACTIVE and (
                    self._background is None or self._background.done()
                ):
                    # The renewal task was cancelled from outside while the loop runs on:
                    # take up again what it did, the hot path included.
                    self._publish_hot(tokens, current)
                    self._ensure_background()
                return tokens.access_token.reveal()
            if self._life is Life.LOGGED_OUT:
                raise SessionExpiredError(
                    f"{self._name} was logged out; call login() to start a new session"
                )
            if self._fatal is not None:
                raise self._expired(
                    f"{self._name} has no usable token and could not renew it "
                    f"({self._fatal}); call login() again"
                ) from self._fatal
            fresh = await self._join_renewal()
            # A token that was just obtained is handed out while unexpired even inside the
            # leeway: looping for a better one would spin on very short lifetimes.
            current = self._plan
            if self._tokens is fresh and current is not None and not current.expired(*self._now()):
                return fresh.access_token.reveal()

    async def refresh(self, *, after_current: bool = False) -> TokenSet:
        """Renew now, joining a renewal already in flight.

        With ``after_current``, a renewal in flight is awaited first and a new one started:
        for when something changed on the server that an earlier renewal cannot reflect.
        """
        self._check_open()
        if after_current:
            await self._settle_flight()
        if self._fatal is not None or self._life is Life.LOGGED_OUT:
            raise self._expired(
                f"{self._name} cannot refresh: it has no live refresh token; call login()"
            ) from self._fatal
        return await self._join_renewal()

    async def login(self, *, resume_first: bool = False) -> TokenSet:
        """Authenticate from the stored credentials, replacing any token set.

        With ``resume_first`` (and always for a session's first login), the set in the store is
        taken up instead, and renewed with its refresh token when its access token has lapsed:
        a restart renews, it does not log in.
        With a shared store this happens under its lease, so that sharers starting together
        log in once between them.
        """
        self._check_open()
        await self._settle_flight()
        if resume_first or (self._life is Life.NEW and self._tokens is None):
            # A first login of a session whose store holds a set is a restart: take it up.
            # It is a flight: transient failures get a few tries within the caller's wait.
            return await self._join_renewal()
        return await self._authenticate(lambda: self._drive(self._strategy.obtain()))

    async def complete(self, obtain: Callable[[], Awaitable[TokenSet]]) -> TokenSet:
        """Install the token set that ``obtain`` produces (e.g. an MFA verification)."""
        self._check_open()
        return await self._authenticate(obtain)

    async def _authenticate(self, obtain: Callable[[], Awaitable[TokenSet]]) -> TokenSet:
        """Obtain a set from the credentials once (no retries: a code is good once), under the
        lease, never over another identity's stored set."""
        started_mono = self._clock.monotonic()
        try:
            tokens, kind = await self._attempt(obtain)
        except FronteggError as error:
            self._record(error)
            raise
        self.install(tokens, started_mono, kind)
        return tokens

    async def renew_if_current(self, rejected: str) -> None:
        """Renew because a server refused ``rejected``, unless a newer token already replaced it.

        Many requests refused with the same token cause one renewal: the first starts it, the
        others join it or, arriving later, find the token already replaced.
        """
        self._check_open()
        tokens = self._tokens
        if tokens is None or tokens.access_token.reveal() == rejected:
            await self._join_renewal()

    async def logout(self) -> None:
        """Revoke the current token set on the server and forget it."""
        self._check_open()
        # No new renewal may start from here on; one in flight finishes first, so that the
        # token set revoked below is the newest one and nothing stays alive on the server.
        self._logging_out = True
        try:
            await self._settle_flight()
            await self._stop_background()
            tokens, self._tokens, self._plan = self._tokens, None, None
            self._forget_hot()
            self._life = after(self._life, Happening.LOGGED_OUT)
        finally:
            self._logging_out = False
        if tokens is None:
            return
        store_error: StoreError | None = None
        try:
            tokens = await self._shared.forget(tokens)
        except StoreError as error:
            # The server's revocation is what ends the identity: it goes ahead regardless.
            self._record(error)
            store_error = error
        try:
            await self._drive(self._strategy.revoke(tokens))
        except FronteggError as error:
            self._record(error)
            raise
        logger.info("%s: logged out (token %s)", self._name, tokens.fingerprint)
        self._publish(EventKind.LOGGED_OUT, tokens)
        if store_error is not None:
            raise store_error

    async def aclose(self) -> None:
        """Stop every task of this engine; idempotent."""
        if self._life is Life.CLOSED:
            return
        self._life = after(self._life, Happening.CLOSED)
        self._forget_hot()
        if self._in_foreign_loop():
            # The tasks belong to another loop, most likely closed with them cancelled:
            # they can be neither cancelled nor awaited from here, only forgotten.
            self._background = self._flight = self._storing = None
            self._tokens, self._plan = None, None
            self.events.forget()
            return
        await self._stop_background()
        flight, self._flight = self._flight, None
        if flight is not None and not flight.done():
            flight.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await flight
        self._tokens, self._plan = None, None
        await self.events.aclose()

    def _forget_hot(self) -> None:
        self.hot.clear()

    def _publish_hot(self, tokens: TokenSet, current: Plan) -> None:
        wall, mono = self._now()
        self.hot.set(tokens.access_token.reveal(), current.usable_until, wall, mono)

    def _ensure_background(self) -> None:
        if self._background is None or self._background.done():
            self._background = asyncio.get_running_loop().create_task(
                self._run_background(), name=f"frontegg_async renewal: {self._name}"
            )

    def _now(self) -> tuple[float, float]:
        return self._clock.time(), self._clock.monotonic()

    def install(
        self, tokens: TokenSet, obtained_mono: float, kind: EventKind | None = None
    ) -> None:
        """Make ``tokens`` current, plan its renewal and make sure the background task runs.

        ``obtained_mono`` is the monotonic time at which the request that produced it was sent,
        as ``tokens.obtained_at`` is on the wall clock.
        """
        if after(self._life, Happening.INSTALLED) is Life.CLOSED:
            return  # a renewal that finished as the session closed: nothing to keep it for
        current = plan(
            tokens.obtained_at,
            obtained_mono,
            tokens.lifetime,
            ratio=self._ratio,
            jitter=self._rng(),
        )
        self._tokens, self._plan = tokens, current
        self._shared.seen(tokens)
        self._spent = None
        self._publish_hot(tokens, current)
        recovered = self._degraded or self._fatal is not None
        self._fatal = None
        self._degraded = False
        self._lapse_published = None
        self._life = after(self._life, Happening.INSTALLED)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s: token %s installed, lives %.3g s, refresh due in %.3g s",
                self._name,
                tokens.fingerprint,
                tokens.lifetime,
                current.until_due(*self._now()),
            )
        self._ensure_background()
        if kind is not None:
            self._publish(kind, tokens)
            if recovered:
                self._publish(EventKind.RECOVERED, tokens)

    # -- the flight -------------------------------------------------------------------------

    async def _join_renewal(self) -> TokenSet:
        """Join the flight as a caller: for at most the wait budget (the flight goes on without
        the caller after it); a failure that ended the session is reported as its expiry."""
        try:
            return await self._join_flight(self._wait_budget)
        except FronteggError as error:
            if self._life is Life.EXPIRED and error is self._fatal:
                raise self._expired(
                    f"{self._name} could not renew its token ({error}); call login() again"
                ) from error
            raise

    async def _join_flight(self, bound: float | None = None) -> TokenSet:
        """Await the one flight (starting it if none runs), for at most ``bound`` seconds."""
        flight = self._flight
        if flight is None or flight.done():
            if self._logging_out:
                raise SessionExpiredError(f"{self._name} is logging out; call login() after")
            flight = asyncio.get_running_loop().create_task(
                self._fly(), name=f"frontegg_async refresh: {self._name}"
            )
            flight.add_done_callback(self._flight_done)
            self._flight = flight
        waited = asyncio.timeout(bound)
        try:
            async with waited:
                return await asyncio.shield(flight)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if flight.cancelled() and (current is None or current.cancelling() == 0):
                raise SessionClosedError(
                    f"{self._name} was closed while a refresh was in flight"
                ) from None
            raise
        except TimeoutError:
            if not waited.expired():
                raise
        raise self._still_renewing(bound)

    def _still_renewing(self, bound: float | None) -> FronteggError:
        """The error for a caller that waited ``bound`` s on a renewal that is still failing."""
        last = self.last_error
        message = (
            f"{self._name}: no new token within {bound:g} s"
            + ("" if last is None else f" (the last try: {last})")
            + "; renewal goes on in the background, and the next call tries again"
        )
        return restated(last, message) if last is not None else TransportError(message)

    def _flight_done(self, flight: asyncio.Task[TokenSet]) -> None:
        if self._flight is flight:
            self._flight = None
        if not flight.cancelled():
            # Retrieved here so that a flight nobody awaited never warns; waiters still get it.
            flight.exception()

    async def _settle_flight(self) -> None:
        flight = self._flight
        if flight is not None and not flight.done():
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.shield(flight)

    async def _fly(self) -> TokenSet:
        had_tokens = self._tokens is not None
        attempt = grace_used = 0
        flight_started = self._clock.monotonic()
        while True:
            started_mono = self._clock.monotonic()
            try:
                tokens, kind = await self._attempt()
            except FronteggError as error:
                self._record(error)
                current = self._tokens
                if had_tokens:
                    self._degraded = True
                    self._publish(EventKind.REFRESH_FAILED, current, error)
                if not is_transient(error):
                    if after(self._life, Happening.REFUSED) is Life.EXPIRED:
                        self._fatal = error
                        self._life = after(self._life, Happening.REFUSED)
                        logger.error(
                            "%s: renewal failed for good, the session will expire: %s",
                            self._name,
                            error,
                        )
                        self._publish_lapse(current, error)
                    raise
                current_plan = self._plan
                until_expiry = (
                    None
                    if current is None or current_plan is None
                    else current_plan.until_expiry(*self._now())
                )
                now = self._clock.monotonic()
                delay, grace_used = renewal_delay(
                    error,
                    attempt=attempt,
                    grace_used=grace_used,
                    had_tokens=had_tokens,
                    until_expiry=until_expiry,
                    spent=now - flight_started,
                    took=now - started_mono,
                    wait_budget=self._wait_budget,
                    lapse_budget=self._lapse_budget,
                    jitter=self._rng,
                )
                if delay is None:
                    raise
                logger.warning(
                    "%s: %s failed (%s); retry %d in %.3g s",
                    self._name,
                    "renewal" if had_tokens else "authentication",
                    error,
                    attempt + 1,
                    delay,
                )
                await self._clock.sleep(delay)
                attempt += 1
                continue
            self.install(tokens, started_mono, kind)
            return tokens

    async def _attempt(
        self, obtain: Callable[[], Awaitable[TokenSet]] | None = None
    ) -> tuple[TokenSet, EventKind]:
        """One attempt at a newer token set: from the store, by renewal, or by ``obtain``.

        Renewal happens only under the store's lease, after a look in the store: a sharer may
        have renewed already, and its set is taken up instead, so the refresh token it spent
        is never sent again from here.
        """
        async with self._shared.lease() as held:
            return await self._synced(held, obtain)

    async def _synced(
        self, held: bool, obtain: Callable[[], Awaitable[TokenSet]] | None
    ) -> tuple[TokenSet, EventKind]:
        """Take up a newer stored set, or renew (only with the lease ``held``) and store it."""
        mine = self._tokens
        try:
            stored = await self._shared.load()
        except StoreError as error:
            if not error.retryable or mine is not None or not held:
                raise
            # Nothing to hand out and the store is down: a session must still start. A login
            # spends no refresh token of anyone's; its set is stored once the store answers.
            logger.warning(
                "%s: the token store failed (%s); authenticating without it", self._name, error
            )
            stored = None
        if obtain is None and stored is not None and (mine is None or is_newer(stored[0], mine)):
            if self._usable(*stored):
                logger.info(
                    "%s: took up token %s from the store", self._name, stored[0].fingerprint
                )
                self._shared.unsaved = None
                return stored[0], EventKind.RESUMED
            # Lapsed, but its refresh token is the newest: renew with it, never with ours.
            mine = stored[0]
        if not held:
            raise StoreError(
                f"{self._name}: another sharer of {self._shared!r} held the lease for "
                f"{self._shared.lease_wait:g} s and stored no newer token set; retrying"
            )
        fresh, kind = await self._renew_or_obtain_here(obtain, mine)
        fresh = self._shared.next_generation(fresh)
        failed = await self._shared.save(fresh)
        if failed is not None:
            self._record(failed)
            self._store_later()
        return fresh, kind

    def _usable(self, tokens: TokenSet, obtained_mono: float) -> bool:
        wall, mono = self._now()
        candidate = plan(tokens.obtained_at, obtained_mono, tokens.lifetime, ratio=1.0, jitter=0.0)
        return candidate.usable(wall, mono)

    def _store_later(self) -> None:
        """Make sure a task is storing the unsaved set (renewal itself goes on meanwhile)."""
        if self._storing is None or self._storing.done():
            self._storing = asyncio.get_running_loop().create_task(
                self._keep_storing(), name=f"frontegg_async store: {self._name}"
            )

    async def _keep_storing(self) -> None:
        """Offer the unsaved set to the store, backing off, until it takes it, a sharer's newer
        set replaces it, or a later renewal stored its own."""
        failures = 0
        while self._shared.unsaved is not None and self._life is Life.ACTIVE:
            await self._clock.sleep(max(MIN_STORE_RETRY, backoff(failures, jitter=self._rng())))
            try:
                newer: Stored | None = await self._shared.store_unsaved(self._tokens)
            except StoreError as error:
                self._record(error)
                failures += 1
                continue
            if newer is not None:
                self.install(newer[0], newer[1], EventKind.RESUMED)

    async def _renew_or_obtain_here(
        self,
        obtain: Callable[[], Awaitable[TokenSet]] | None = None,
        tokens: TokenSet | None = None,
    ) -> tuple[TokenSet, EventKind]:
        """Renew ``tokens`` (by default the set held), or obtain a set afresh (``_core.flows``)."""
        if obtain is not None:
            return await obtain(), EventKind.LOGGED_IN
        if tokens is None:
            tokens = self._tokens
        learned = Learned()
        flow = renew_or_obtain(
            self._strategy, tokens, spent=self._spent, relogin=self._relogin, learned=learned
        )
        try:
            fresh, how = await self._drive(flow)
        finally:
            if learned.spent is not None:
                self._spent = learned.spent
            if learned.refusal is not None:
                self._record(learned.refusal)
        if learned.refusal is not None:
            logger.warning(
                "%s: refresh was refused (%s); logged in again", self._name, learned.refusal
            )
        if how is How.REFRESHED and tokens is not None and logger.isEnabledFor(logging.INFO):
            logger.info(
                "%s: refreshed, token %s -> %s", self._name, tokens.fingerprint, fresh.fingerprint
            )
        return fresh, _EVENT_OF[how]

    # -- the background task ----------------------------------------------------------------

    async def _run_background(self) -> None:
        try:
            await self._renew_forever()
        except asyncio.CancelledError:
            if self._background is asyncio.current_task():
                # Cancelled by someone else, most likely asyncio.run() shutting its loop down
                # with the session still open. The hot path reads no loop (that read would cost
                # more than the rest of the call), so the token it hands out is withdrawn here:
                # the next call checks its loop, and one from a new loop fails at once.
                self._forget_hot()
                if self._on_orphaned is not None:
                    # Release what the loop holds while it still can.
                    with contextlib.suppress(Exception):
                        await self._on_orphaned()
            raise

    async def _renew_forever(self) -> None:
        failures = 0
        retry_at: float | None = None  # on the monotonic clock
        failed_plan: Plan | None = None
        while True:
            current = self._plan
            if current is None or self._life is not Life.ACTIVE:
                return
            if current is not failed_plan:
                # A caller renewed meanwhile: the backoff belonged to the old token set.
                failures, retry_at = 0, None
            try:
                wall, mono = self._now()
                until = current.until_due(wall, mono) if retry_at is None else retry_at - mono
                if self._degraded and self._lapse_published is not current:
                    if current.expired(wall, mono):
                        # Lapsed while renewals kept failing: say so now, not at the next try.
                        self._publish_lapse(self._tokens, self.last_error)
                    else:
                        until = min(until, current.until_expiry(wall, mono))
                wait = sleep_before_refresh(0.0, until)
                if wait > 0:
                    await self._clock.sleep(wait)
                    continue
                await self._join_flight()
            except asyncio.CancelledError:
                raise
            except FronteggError as error:
                if self._life is not Life.ACTIVE:
                    return
                retry_at = self._clock.monotonic() + background_retry_wait(
                    failures,
                    jitter=self._rng(),
                    retry_after=honoured_retry_after(error),
                    until_expiry=current.until_expiry(*self._now()),
                )
                failures, failed_plan = failures + 1, current
            except Exception as error:  # a bug (ours or an injected clock's): survive, say so
                logger.exception("%s: unexpected error in the renewal task", self._name)
                self.last_error = FronteggError(
                    f"unexpected {type(error).__name__} in the renewal task; it carries on"
                )
                # The floor keeps a persistent bug from spinning the loop.
                retry_at = self._clock.monotonic() + max(
                    0.05, backoff(failures, jitter=self._rng())
                )
                failures, failed_plan = failures + 1, current
            else:
                failures, retry_at = 0, None

    async def _stop_background(self) -> None:
        """Cancel and await the renewal task and the storing task."""
        for task in (self._background, self._storing):
            if task is not None and not task.done() and task is not asyncio.current_task():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._background = self._storing = None

    # -- helpers ----------------------------------------------------------------------------

    def _publish(
        self, kind: EventKind, tokens: TokenSet | None, error: FronteggError | None = None
    ) -> None:
        if not self.events.listening:
            return
        fingerprint = None if tokens is None else tokens.fingerprint
        self.events.publish(
            TokenEvent(kind=kind, at=self._clock.time(), fingerprint=fingerprint, error=error)
        )

    def _publish_lapse(self, tokens: TokenSet | None, error: FronteggError | None) -> None:
        """Publish EXPIRED, once per token set: renewal failed for good, or the token lapsed
        while it kept failing."""
        if self._plan is not None and self._lapse_published is self._plan:
            return
        self._lapse_published = self._plan
        self._publish(EventKind.EXPIRED, tokens, error)

    def _expired(self, message: str) -> SessionExpiredError:
        """The expiry error, carrying the status and messages of the failure that caused it."""
        cause = self._fatal
        if cause is None:
            return SessionExpiredError(message)
        return SessionExpiredError(message, status=cause.status, errors=cause.errors)

    def _record(self, error: FronteggError) -> None:
        self.last_error = error
        logger.debug("%s: %s: %s", self._name, type(error).__name__, error)

    def _check_open(self) -> None:
        if self._life is Life.CLOSED:
            raise SessionClosedError(f"{self._name} is closed; create a new session")
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            # Its tasks and connections belong to the first loop, which may be gone.
            raise WrongLoopError(
                f"{self._name} belongs to the event loop it was first used in and cannot be "
                "used from another; create a session in each event loop (each asyncio.run() "
                "and each thread starts one), and give them the same store (FileStore, "
                "RedisStore) to share one identity between them"
            )

    def _in_foreign_loop(self) -> bool:
        return self._loop is not None and self._loop is not asyncio.get_running_loop()
