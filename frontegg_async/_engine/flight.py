"""The one flight: at most one renewal task at a time, joined by every caller that needs it.

A flight is a task of its own, awaited through ``asyncio.shield``: cancelling a caller (or its
wait running out) never cancels the renewal that others wait on, and N callers that need a new
token at once make one request. This is stronger than a lock around the renewal (a cancelled
holder would cancel the request) or a lazy refresh per caller (N requests).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

from .._errors import SessionClosedError

T = TypeVar("T")


class WaitedTooLong(Exception):
    """A caller's bound on its wait for the flight passed; the flight goes on without it."""


class SingleFlight(Generic[T]):
    """One task producing a ``T`` at a time, started by the first caller, shared by the rest."""

    __slots__ = ("_name", "_task")

    def __init__(self, name: str) -> None:
        self._name = name
        self._task: asyncio.Task[T] | None = None

    @property
    def running(self) -> bool:
        """Whether a flight is under way."""
        return self._task is not None and not self._task.done()

    async def join(
        self, fly: Callable[[], Coroutine[Any, Any, T]], bound: float | None = None
    ) -> T:
        """Await the flight, starting ``fly()`` if none runs, for at most ``bound`` seconds.

        Raises what the flight raised, ``WaitedTooLong`` when ``bound`` passed first, and
        ``SessionClosedError`` when the flight was cancelled (the session closed under it).
        """
        task = self.start(fly)
        waited = asyncio.timeout(bound)
        try:
            async with waited:
                return await asyncio.shield(task)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if task.cancelled() and (current is None or current.cancelling() == 0):
                raise SessionClosedError(
                    f"{self._name} was closed while a refresh was in flight"
                ) from None
            raise
        except TimeoutError:
            if not waited.expired():
                raise
        raise WaitedTooLong

    def start(self, fly: Callable[[], Coroutine[Any, Any, T]]) -> asyncio.Task[T]:
        """The flight under way, or ``fly()`` started as one: for a caller that does not wait
        (what it raises is retrieved when it lands, so that it never warns unawaited)."""
        task = self._task
        if task is None or task.done():
            task = asyncio.get_running_loop().create_task(
                fly(), name=f"frontegg_async flight: {self._name}"
            )
            task.add_done_callback(self._landed)
            self._task = task
        return task

    async def settle(self) -> None:
        """Wait for a flight under way to land, however it ends."""
        task = self._task
        if task is not None and not task.done():
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.shield(task)

    async def cancel(self) -> None:
        """Cancel a flight under way and wait for it to end."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def forget(self) -> None:
        """Drop the flight without touching it (it belongs to a loop that is gone)."""
        self._task = None

    def _landed(self, task: asyncio.Task[T]) -> None:
        if self._task is task:
            self._task = None
        if not task.cancelled():
            # Retrieved here so that a flight nobody awaited never warns; waiters still get it.
            task.exception()
