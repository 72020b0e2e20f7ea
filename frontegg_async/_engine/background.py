"""The background task: joins the flight when the token's refresh is due, backs off after
failures (never past the token's expiry), tells of a lapse while renewals keep failing, and
survives anything but cancellation."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from .._clock import Clock
from .._core.holding import Holding
from .._core.lifecycle import Life
from .._core.policy import (
    Plan,
    background_retry_wait,
    backoff,
    honoured_retry_after,
    sleep_before_refresh,
)
from .._core.tokens import HotToken
from .._errors import FronteggError
from .._events import Reporter

logger = logging.getLogger("frontegg_async")


class JoinsFlight(Protocol):
    """What the background task joins when the refresh is due (the engine's one flight)."""

    async def join_flight(self, bound: float | None = None) -> object:
        """Await the one flight, starting it if none runs."""
        ...


class Background:
    """One session's renewal task: started once a set is installed, until the session ends."""

    __slots__ = (
        "_clock",
        "_held",
        "_hot",
        "_name",
        "_on_orphaned",
        "_renewer",
        "_reporter",
        "_rng",
        "task",
    )

    def __init__(
        self,
        *,
        name: str,
        held: Holding[Any],
        reporter: Reporter,
        clock: Clock,
        rng: Callable[[], float],
        renewer: JoinsFlight,
        hot: HotToken,
        on_orphaned: Callable[[], Awaitable[None]] | None,
    ) -> None:
        self._name = name
        self._held = held
        self._reporter = reporter
        self._clock = clock
        self._rng = rng
        self._renewer = renewer
        self._hot = hot
        self._on_orphaned = on_orphaned
        self.task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Whether the task runs (it may have been cancelled from outside)."""
        return self.task is not None and not self.task.done()

    def ensure(self) -> None:
        """Start the task unless it runs."""
        if not self.running:
            self.task = asyncio.get_running_loop().create_task(
                self._run(), name=f"frontegg_async renewal: {self._name}"
            )

    async def _run(self) -> None:
        # One coroutine, not a wrapper around the loop: a fleet keeps one of these per session.
        held, clock = self._held, self._clock
        failures = 0
        retry_at: float | None = None  # on the monotonic clock
        failed_plan: Plan | None = None
        try:
            while True:
                current = held.plan
                if current is None or held.life is not Life.ACTIVE:
                    return
                if current is not failed_plan:
                    # A caller renewed meanwhile: the backoff belonged to the old token set.
                    failures, retry_at = 0, None
                try:
                    wall, mono = clock.time(), clock.monotonic()
                    until = current.until_due(wall, mono) if retry_at is None else retry_at - mono
                    if held.degraded and not held.lapse_told():
                        if current.expired(wall, mono):
                            # Lapsed while renewals kept failing: say so now, not at the next try.
                            self._reporter.lapse(held, self._reporter.last_error)
                        else:
                            until = min(until, current.until_expiry(wall, mono))
                    wait = sleep_before_refresh(0.0, until, mono=mono)
                    if wait > 0:
                        await clock.sleep(wait)
                        continue
                    await self._renewer.join_flight()
                except asyncio.CancelledError:
                    raise
                except FronteggError as error:
                    if held.life is not Life.ACTIVE:
                        return
                    retry_at = clock.monotonic() + background_retry_wait(
                        failures,
                        jitter=self._rng(),
                        retry_after=honoured_retry_after(error),
                        until_expiry=current.until_expiry(clock.time(), clock.monotonic()),
                    )
                    failures, failed_plan = failures + 1, current
                except Exception as error:  # a bug (ours or an injected clock's): survive, say so
                    logger.exception("%s: unexpected error in the renewal task", self._name)
                    self._reporter.last_error = FronteggError(
                        f"unexpected {type(error).__name__} in the renewal task; it carries on"
                    )
                    # The floor keeps a persistent bug from spinning the loop.
                    retry_at = clock.monotonic() + max(0.05, backoff(failures, jitter=self._rng()))
                    failures, failed_plan = failures + 1, current
                else:
                    failures, retry_at = 0, None
        except asyncio.CancelledError:
            if self.task is asyncio.current_task():
                # Cancelled by someone else, most likely asyncio.run() shutting its loop down
                # with the session still open. The hot path reads no loop (that read would cost
                # more than the rest of the call), so the token it hands out is withdrawn here:
                # the next call checks its loop, and one from a new loop fails at once.
                self._hot.clear()
                if self._on_orphaned is not None:
                    # Release what the loop holds while it still can.
                    with contextlib.suppress(Exception):
                        await self._on_orphaned()
            raise
