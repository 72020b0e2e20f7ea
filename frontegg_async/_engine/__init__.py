"""The renewal engine: the only stateful, asynchronous piece, written once for every kind of token.

Theory of operation
-------------------
The engine holds one ``TokenSet`` (or none), its ``Plan`` and the session's life in a
``Holding`` (``_core/holding.py``). Three kinds of caller want a token renewed: ``access_token()``
when the current one is no longer usable, ``refresh()`` (and a 401 seen by ``request()`` or the
middleware), and the background task (``background.py``) when the refresh is due. All of them
*join the flight* (``flight.py``): one renewal task at a time, awaited through
``asyncio.shield``, so that cancelling a caller never cancels what others wait on and N callers
at expiry make one request. What a flight does (``renewing.py``): a look at the store under its
lease, then renew with the refresh token or obtain afresh, retrying transient failures while
the token lives. It ends with a set installed, or with:

* a transient error, the token lapsed (or Retry-After reaching past it): raised to the flight's
  waiters; the background task backs off and tries again later.
* a refusal that cannot be recovered: the session becomes EXPIRED. Callers still get the last
  token while it is usable, then ``SessionExpiredError`` at once. Only ``login()`` revives it.

Every failure is logged on the ``frontegg_async`` logger, kept as ``last_error`` and published
as an event (``Reporter`` in ``_events.py``); the background task survives anything but
cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Generic

from .._clock import Clock, boottime
from .._core.flows import Strategy
from .._core.holding import Holding
from .._core.lifecycle import Life, SessionState
from .._core.policy import plan, still_renewing
from .._core.tokens import AnswerT, HotToken, TokenSet
from .._core.wire import Driver
from .._errors import (
    FronteggError,
    SessionClosedError,
    SessionExpiredError,
    StoreError,
    WrongLoopError,
)
from .._events import EventHub, EventKind, Reporter
from .._sharing import SharedStore
from .._stores import TokenStore
from .._stores.codec import StoreIdentity
from .background import Background
from .flight import SingleFlight, WaitedTooLong
from .renewing import Obtain, Renewer, logger

__all__ = ["TokenEngine"]


class TokenEngine(Generic[AnswerT]):
    """Keeps one token set fresh for a strategy; see the module docstring."""

    __slots__ = (
        "_background",
        "_clock",
        "_driver",
        "_flight",
        "_held",
        "_logging_out",
        "_loop",
        "_name",
        "_ratio",
        "_renewer",
        "_reporter",
        "_rng",
        "_shared",
        "_strategy",
        "_wait_budget",
        "hot",
    )

    def __init__(
        self,
        strategy: Strategy[AnswerT],
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
        """``lapse_budget``: once the token has lapsed, how long callers wait on renewal tries
        in all before they get the error; ``wait_budget``: how long any caller waits on a
        renewal (the flight goes on without it)."""
        self._strategy = strategy
        self._driver = driver
        self._name = name
        self._clock = clock
        self._ratio = refresh_ratio
        self._rng = rng
        self._wait_budget = wait_budget
        self._held: Holding[AnswerT] = Holding(start_again=strategy.start_again)
        held = self._held
        self._reporter = Reporter(name, clock)
        # Without a store, nothing is written: nothing would read it.
        self._shared: SharedStore[AnswerT] = SharedStore(
            store,
            identity if identity is not None else StoreIdentity("session", name, name),
            name=name,
            clock=clock,
            lease_wait=lease_wait,
        )
        self._renewer = Renewer(
            strategy,
            driver,
            name=name,
            held=held,
            shared=self._shared,
            reporter=self._reporter,
            clock=clock,
            rng=rng,
            relogin=relogin,
            lapse_budget=lapse_budget,
            wait_budget=wait_budget,
            installer=self,
        )
        self._flight: SingleFlight[TokenSet[AnswerT]] = SingleFlight(name)
        #: The hot path: what a caller may be handed without any further check.
        self.hot = HotToken()
        self._background = Background(
            name=name,
            held=held,
            reporter=self._reporter,
            clock=clock,
            rng=rng,
            renewer=self,
            hot=self.hot,
            on_orphaned=on_orphaned,
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._logging_out = False

    # -- what callers see -------------------------------------------------------------------

    @property
    def tokens(self) -> TokenSet[AnswerT] | None:
        """The current token set, usable or not."""
        return self._held.tokens

    @property
    def closed(self) -> bool:
        """Whether ``aclose()`` was called."""
        return self._held.closed

    @property
    def state(self) -> SessionState:
        """The public view of the engine's state; see ``_core.lifecycle``."""
        return self._held.state(*self._now(), renewing=self._flight.running)

    @property
    def events(self) -> EventHub:
        """The session's events."""
        return self._reporter.events

    @property
    def last_error(self) -> FronteggError | None:
        """The last failure, kept until the next one."""
        return self._reporter.last_error

    async def access_token(self) -> str:
        """A token that is valid for at least the leeway; waits for the one flight if needed."""
        held = self._held
        while True:
            self._check_open()
            tokens = held.usable(*self._now())
            if tokens is not None:
                if held.life is Life.ACTIVE and not self._background.running:
                    # The renewal task was cancelled from outside while the loop runs on:
                    # take up again what it did, the hot path included.
                    self._publish_hot()
                    self._background.ensure()
                return tokens.access_token.reveal()
            error = held.unusable(self._name)
            if error is not None:
                raise error from held.refusal
            fresh = await self._join_renewal()
            # A token that was just obtained is handed out while unexpired even inside the
            # leeway: looping for a better one would spin on very short lifetimes.
            current = held.plan
            if held.tokens is fresh and current is not None and not current.expired(*self._now()):
                return fresh.access_token.reveal()

    async def refresh(self, *, after_current: bool = False) -> TokenSet[AnswerT]:
        """Renew now, joining a renewal already in flight.

        With ``after_current``, a renewal in flight is awaited first and a new one started:
        for when something changed on the server that an earlier renewal cannot reflect.
        """
        self._check_open()
        if after_current:
            await self._flight.settle()
        error = self._held.unrenewable(self._name)
        if error is not None:
            raise error from self._held.refusal
        return await self._join_renewal()

    async def login(self, *, resume_first: bool = False) -> TokenSet[AnswerT]:
        """Authenticate from the stored credentials, replacing any token set.

        With ``resume_first`` (and always for a session's first login), the set in the store is
        taken up instead, and renewed with its refresh token when its access token has lapsed:
        a restart renews, it does not log in. With a shared store this happens under its
        lease, so that sharers starting together log in once between them.
        """
        self._check_open()
        await self._flight.settle()
        if resume_first or (self._held.life is Life.NEW and self._held.tokens is None):
            # A first login of a session whose store holds a set is a restart: take it up.
            # It is a flight: transient failures get a few tries within the caller's wait.
            return await self._join_renewal()
        return await self.complete(lambda: self._driver.drive(self._strategy.obtain()))

    async def complete(self, obtain: Obtain[AnswerT]) -> TokenSet[AnswerT]:
        """Install the token set that ``obtain`` produces (a login, an MFA verification): once,
        with no retries (a code is good once)."""
        self._check_open()
        started_mono = self._clock.monotonic()
        try:
            tokens, kind = await self._renewer.attempt(obtain)
        except FronteggError as error:
            self._reporter.record(error)
            raise
        self.install(tokens, started_mono, kind)
        return tokens

    async def renew_if_current(self, rejected: str) -> None:
        """Renew because a server refused ``rejected``, unless a newer token already replaced it.

        Many requests refused with the same token cause one renewal: the first starts it, the
        others join it or, arriving later, find the token already replaced.
        """
        self._check_open()
        tokens = self._held.tokens
        if tokens is None or tokens.access_token.reveal() == rejected:
            await self._join_renewal()

    async def logout(self) -> None:
        """Revoke the current token set on the server and forget it."""
        self._check_open()
        # No new renewal may start from here on; one in flight finishes first, so that the
        # token set revoked below is the newest one and nothing stays alive on the server.
        self._logging_out = True
        try:
            await self._flight.settle()
            await self._stop_tasks()
            tokens = self._held.forgotten()
            self.hot.clear()
        finally:
            self._logging_out = False
        if tokens is None:
            return
        store_error: StoreError | None = None
        try:
            tokens = await self._shared.forget(tokens)
        except StoreError as error:
            # The server's revocation is what ends the identity: it goes ahead regardless.
            self._reporter.record(error)
            store_error = error
        try:
            await self._driver.drive(self._strategy.revoke(tokens))
        except FronteggError as error:
            self._reporter.record(error)
            raise
        logger.info("%s: logged out (token %s)", self._name, tokens.fingerprint)
        self._reporter.publish(EventKind.LOGGED_OUT, tokens)
        if store_error is not None:
            raise store_error

    async def aclose(self) -> None:
        """Stop every task of this engine; idempotent."""
        if self._held.closed:
            return
        self._held.closed_now()
        self.hot.clear()
        if self._loop is not None and self._loop is not asyncio.get_running_loop():
            # The tasks belong to another loop, most likely closed with them cancelled:
            # they can be neither cancelled nor awaited from here, only forgotten.
            self._background.task = self._renewer.storing = None
            self._flight.forget()
            self._held.let_go()
            self.events.forget()
            return
        await self._stop_tasks()
        await self._flight.cancel()
        self._held.let_go()
        await self.events.aclose()

    def install(
        self, tokens: TokenSet[AnswerT], obtained_mono: float, kind: EventKind | None = None
    ) -> None:
        """Make ``tokens`` current, plan its renewal and make sure the background task runs.

        ``obtained_mono`` is the monotonic time at which the request that produced it was sent,
        as ``tokens.obtained_at`` is on the wall clock.
        """
        current = plan(
            tokens.obtained_at,
            obtained_mono,
            tokens.lifetime,
            ratio=self._ratio,
            jitter=self._rng(),
        )
        recovered = self._held.installed(tokens, current)
        if recovered is None:
            return  # a renewal that finished as the session closed: nothing to keep it for
        self._shared.seen(tokens)
        self._publish_hot()
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s: token %s installed, lives %.3g s, refresh due in %.3g s",
                self._name,
                tokens.fingerprint,
                tokens.lifetime,
                current.until_due(*self._now()),
            )
        self._background.ensure()
        if kind is not None:
            self._reporter.publish(kind, tokens)
            if recovered:
                self._reporter.publish(EventKind.RECOVERED, tokens)

    # -- the flight -------------------------------------------------------------------------

    async def _join_renewal(self) -> TokenSet[AnswerT]:
        """Join the flight as a caller: for at most the wait budget (the flight goes on without
        the caller after it); a failure that ended the session is reported as its expiry."""
        try:
            return await self.join_flight(self._wait_budget)
        except FronteggError as error:
            expiry = self._held.ended_by(error, self._name)
            if expiry is not None:
                raise expiry from error
            raise

    async def join_flight(self, bound: float | None = None) -> TokenSet[AnswerT]:
        """Await the one flight (starting it unless logging out), for at most ``bound`` s."""
        if self._logging_out and not self._flight.running:
            raise SessionExpiredError(f"{self._name} is logging out; call login() after")
        try:
            return await self._flight.join(self._renewer.fly, bound)
        except WaitedTooLong:
            pass
        raise still_renewing(self._name, bound, self.last_error)

    # -- helpers ----------------------------------------------------------------------------

    async def _stop_tasks(self) -> None:
        """Cancel and await the renewal task and the storing task."""
        tasks = (self._background.task, self._renewer.storing)
        # Forgotten first: a task cancelled from here knows it was not orphaned by its loop.
        self._background.task = self._renewer.storing = None
        for task in tasks:
            if task is not None and not task.done() and task is not asyncio.current_task():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def _publish_hot(self) -> None:
        tokens, current = self._held.tokens, self._held.plan
        if tokens is not None and current is not None:
            wall, mono = self._now()
            self.hot.set(tokens.access_token.reveal(), current.usable_until, wall, mono, boottime())

    def _now(self) -> tuple[float, float]:
        return self._clock.time(), self._clock.monotonic()

    def _check_open(self) -> None:
        if self._held.closed:
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
