"""What a flight does: tries at a newer token set, retried within the budgets while the token
lives, each one a turn at the store (``SharedStore.renewed``) and the renewal flow of
``_core.renewal`` driven over the wire; and the task that stores a set the store missed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, Protocol

from .._clock import Clock
from .._core.flows import Strategy
from .._core.holding import Holding
from .._core.lifecycle import Life
from .._core.policy import backoff, is_transient, renewal_delay
from .._core.renewal import How, Learned, kept_from_refused, renew_or_obtain
from .._core.tokens import AnswerT, TokenSet
from .._core.wire import Driver
from .._errors import FronteggError, ResponseFormatError, StoreError
from .._events import EventKind, Reporter
from .._sharing import SharedStore

logger = logging.getLogger("frontegg_async")

#: An unsaved token set is offered to the store again at most this often (seconds).
MIN_STORE_RETRY = 0.05

#: The event a renewal's outcome is published as.
_EVENT_OF = {
    How.LOGGED_IN: EventKind.LOGGED_IN,
    How.RELOGGED_IN: EventKind.RELOGGED_IN,
    How.REFRESHED: EventKind.REFRESHED,
}

#: Obtains a token set from the credentials (a login, an MFA verification).
Obtain = Callable[[], Awaitable[TokenSet[AnswerT]]]


class Installer(Protocol[AnswerT]):
    """What makes a token set current (the engine)."""

    def install(
        self, tokens: TokenSet[AnswerT], obtained_mono: float, kind: EventKind | None = None
    ) -> None:
        """Make ``tokens`` current; ``obtained_mono``: when its request was sent."""
        ...


class Renewer(Generic[AnswerT]):
    """Gets a newer token set for one session; ``fly`` is what its one flight runs."""

    __slots__ = (
        "_clock",
        "_driver",
        "_held",
        "_installer",
        "_lapse_budget",
        "_name",
        "_relogin",
        "_reporter",
        "_rng",
        "_shared",
        "_strategy",
        "_wait_budget",
        "storing",
    )

    def __init__(
        self,
        strategy: Strategy[AnswerT],
        driver: Driver,
        *,
        name: str,
        held: Holding[AnswerT],
        shared: SharedStore[AnswerT],
        reporter: Reporter,
        clock: Clock,
        rng: Callable[[], float],
        relogin: bool,
        lapse_budget: float,
        wait_budget: float,
        installer: Installer[AnswerT],
    ) -> None:
        self._strategy = strategy
        self._driver = driver
        self._name = name
        self._held = held
        self._shared = shared
        self._reporter = reporter
        self._clock = clock
        self._rng = rng
        self._relogin = relogin
        self._lapse_budget = lapse_budget
        self._wait_budget = wait_budget
        self._installer = installer
        #: Stores a set the store missed, as soon as the store answers (one at a time).
        self.storing: asyncio.Task[None] | None = None

    async def fly(self) -> TokenSet[AnswerT]:
        """Renew (or obtain) until a set is installed, retrying transient failures while the
        token lives and the budgets allow (``_core.policy.renewal_delay``)."""
        held, reporter = self._held, self._reporter
        had_tokens = held.tokens is not None
        attempt = grace_used = 0
        flight_started = self._clock.monotonic()
        while True:
            started_mono = self._clock.monotonic()
            try:
                tokens, kind = await self.attempt()
            except FronteggError as error:
                reporter.record(error)
                current = held.tokens
                transient = is_transient(error)
                ended = held.failed(error, transient=transient, had_tokens=had_tokens)
                if had_tokens:
                    reporter.publish(EventKind.REFRESH_FAILED, current, error)
                if ended:
                    logger.error(
                        "%s: renewal failed for good, the session will expire: %s",
                        self._name,
                        error,
                    )
                    reporter.lapse(held, error)
                if not transient:
                    raise
                now = self._clock.monotonic()
                delay, grace_used = renewal_delay(
                    error,
                    attempt=attempt,
                    grace_used=grace_used,
                    had_tokens=had_tokens,
                    until_expiry=(
                        None
                        if current is None or held.plan is None
                        else held.plan.until_expiry(self._clock.time(), now)
                    ),
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
            self._installer.install(tokens, started_mono, kind)
            return tokens

    async def attempt(
        self, obtain: Obtain[AnswerT] | None = None
    ) -> tuple[TokenSet[AnswerT], EventKind]:
        """One try at a newer token set: from the store, by renewal, or by ``obtain`` (never
        over another identity's stored set, never renewing without the lease)."""

        async def renew(tokens: TokenSet[AnswerT] | None) -> tuple[TokenSet[AnswerT], EventKind]:
            if obtain is not None:
                fresh, kind = await obtain(), EventKind.LOGGED_IN
            else:
                fresh, kind = await self._renew_or_obtain(tokens)
            if fresh.refused is not None:
                await self._keep_rotated(fresh, None if obtain is not None else tokens)
                raise ResponseFormatError(fresh.refused)
            return fresh, kind

        tokens, kind, unsaved = await self._shared.renewed(
            self._held.tokens, renew, obtaining=obtain is not None
        )
        if unsaved is not None:
            self._reporter.record(unsaved)
            if self.storing is None or self.storing.done():
                self.storing = asyncio.get_running_loop().create_task(
                    self._keep_storing(), name=f"frontegg_async store: {self._name}"
                )
        return tokens, EventKind.RESUMED if kind is None else kind

    async def _keep_rotated(
        self, refused: TokenSet[AnswerT], renewed: TokenSet[AnswerT] | None
    ) -> None:
        """Hold (and store, under the lease this runs in) the new refresh token of an answer
        refused for its access token, so that neither this session nor a sharer sends the one
        the server may have rotated already. A login's refused answer is kept only when
        nothing else is held (the set held still renews)."""
        if renewed is None and self._held.tokens is not None:
            return
        kept = self._shared.next_generation(kept_from_refused(refused, renewed))
        self._held.rotated(kept)
        unsaved = await self._shared.save(kept)
        if unsaved is not None:
            self._reporter.record(unsaved)
        logger.warning(
            "%s: an answer was refused (%s); renewing with the refresh token it named",
            self._name,
            refused.refused,
        )

    async def _renew_or_obtain(
        self, tokens: TokenSet[AnswerT] | None
    ) -> tuple[TokenSet[AnswerT], EventKind]:
        """Renew ``tokens``, or obtain a set afresh (``_core.renewal``)."""
        held, learned = self._held, Learned()
        flow = renew_or_obtain(
            self._strategy, tokens, spent=held.spent, relogin=self._relogin, learned=learned
        )
        try:
            fresh, how = await self._driver.drive(flow)
        finally:
            if learned.spent is not None:
                held.spent = learned.spent
            if learned.refusal is not None:
                self._reporter.record(learned.refusal)
        if learned.refusal is not None:
            logger.warning(
                "%s: refresh was refused (%s); logged in again", self._name, learned.refusal
            )
        if how is How.REFRESHED and tokens is not None and logger.isEnabledFor(logging.INFO):
            logger.info(
                "%s: refreshed, token %s -> %s", self._name, tokens.fingerprint, fresh.fingerprint
            )
        return fresh, _EVENT_OF[how]

    async def _keep_storing(self) -> None:
        """Offer the unsaved set to the store, backing off, until it takes it, a sharer's newer
        set replaces it, or a later renewal stored its own (renewal goes on meanwhile)."""
        failures = 0
        while self._shared.unsaved is not None and self._held.life is Life.ACTIVE:
            await self._clock.sleep(max(MIN_STORE_RETRY, backoff(failures, jitter=self._rng())))
            try:
                newer = await self._shared.store_unsaved(self._held.tokens)
            except StoreError as error:
                self._reporter.record(error)
                failures += 1
                continue
            if newer is not None:
                self._installer.install(newer[0], newer[1], EventKind.RESUMED)
