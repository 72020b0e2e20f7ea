"""What happened to a session: its events, the hub that hands them out, and the reporter that
keeps its last error and publishes them.

Events are published by the engine while it holds no lock and never waits for a listener:
subscribers read from a bounded buffer (the oldest events are dropped when a reader falls
behind), and callbacks run each in a task of their own under a timeout.
"""

from __future__ import annotations

import asyncio
import collections
import enum
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from attrs import frozen

from ._clock import Clock
from ._core.holding import Holding
from ._core.tokens import TokenSet
from ._errors import ConfigurationError, FronteggError

logger = logging.getLogger("frontegg_async")


class EventKind(enum.Enum):
    """What a ``TokenEvent`` reports."""

    LOGGED_IN = "logged_in"
    #: A token set was taken up from the store (after a restart, or renewed by a sharer).
    RESUMED = "resumed"
    REFRESHED = "refreshed"
    RELOGGED_IN = "relogged_in"
    REFRESH_FAILED = "refresh_failed"
    #: The token lapsed: renewal failed for good, or kept failing until the token's expiry.
    EXPIRED = "expired"
    #: Renewal succeeded again after failures: published right after the success's own event.
    RECOVERED = "recovered"
    LOGGED_OUT = "logged_out"


@frozen
class TokenEvent:
    """One thing that happened to a session's token.

    ``at`` is the session clock's time; ``fingerprint`` labels the token concerned (never the
    token itself); ``error`` is set for ``REFRESH_FAILED`` and ``EXPIRED`` (the last failure).
    """

    kind: EventKind
    at: float
    fingerprint: str | None = None
    error: FronteggError | None = None


EventCallback = Callable[[TokenEvent], Awaitable[None] | None]


class Subscription:
    """An async iterator over a session's events, from the moment of subscribing.

    It buffers at most ``maxsize`` events: a reader that falls behind loses the oldest ones
    (counted in ``dropped``) instead of making the session buffer without bound. Iteration
    ends when the session closes or ``aclose()`` is called.
    """

    def __init__(self, hub: EventHub, maxsize: int) -> None:
        self._hub = hub
        self._buffer: collections.deque[TokenEvent] = collections.deque(maxlen=maxsize)
        self._ready = asyncio.Event()
        self._ended = False
        #: Events lost because the reader was too slow.
        self.dropped = 0

    def offer(self, event: TokenEvent) -> None:
        """Buffer an event (the engine calls this; it never blocks)."""
        if len(self._buffer) == self._buffer.maxlen:
            self.dropped += 1
        self._buffer.append(event)
        self._ready.set()

    def end(self) -> None:
        """Stop after the buffered events."""
        self._ended = True
        self._ready.set()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> TokenEvent:
        while not self._buffer:
            if self._ended:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
        return self._buffer.popleft()

    async def aclose(self) -> None:
        """Unsubscribe."""
        self._hub.unsubscribe(self)
        self.end()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class EventHub:
    """Fans events out to subscriptions and callbacks."""

    __slots__ = ("_callbacks", "_closed", "_name", "_running", "_subscriptions")

    def __init__(self, name: str) -> None:
        self._name = name
        # Dicts used as ordered sets: an empty dict is a third of an empty set, and a fleet
        # keeps two of them a session.
        self._subscriptions: dict[Subscription, None] = {}
        self._callbacks: dict[EventCallback, float] = {}
        self._running: dict[asyncio.Task[None], None] = {}
        self._closed = False

    @property
    def listening(self) -> bool:
        """Whether anybody would receive an event (so that none is built for nobody)."""
        return bool(self._subscriptions or self._callbacks)

    def subscribe(self, maxsize: int) -> Subscription:
        """A new subscription (ended at once if the hub is closed)."""
        if maxsize < 1:
            raise ConfigurationError(f"maxsize must be at least 1, not {maxsize}")
        subscription = Subscription(self, maxsize)
        if self._closed:
            subscription.end()
        else:
            self._subscriptions[subscription] = None
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget a subscription."""
        self._subscriptions.pop(subscription, None)

    def on_event(self, callback: EventCallback, timeout: float) -> Callable[[], None]:
        """Call ``callback`` for every event; returns a function that removes it."""
        if not timeout > 0:
            raise ConfigurationError(f"timeout must be positive, not {timeout!r}")
        self._callbacks[callback] = timeout

        def remove() -> None:
            self._callbacks.pop(callback, None)

        return remove

    def publish(self, event: TokenEvent) -> None:
        """Hand ``event`` to every listener without waiting for any of them."""
        if self._closed:
            return
        for subscription in tuple(self._subscriptions):
            subscription.offer(event)
        if not self._callbacks:
            return
        loop = asyncio.get_running_loop()
        for callback, timeout in tuple(self._callbacks.items()):
            task = loop.create_task(
                self._call(callback, event, timeout),
                name=f"frontegg_async event callback: {self._name}",
            )
            self._running[task] = None
            task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._running.pop(task, None)

    async def _call(self, callback: EventCallback, event: TokenEvent, limit: float) -> None:
        try:
            async with asyncio.timeout(limit):
                result: Any = callback(event)
                if inspect.isawaitable(result):
                    await result
        except TimeoutError:
            logger.warning(
                "%s: an event callback took longer than %.3g s and was cancelled",
                self._name,
                limit,
            )
        except Exception:
            logger.exception("%s: an event callback raised; the session carries on", self._name)

    def forget(self) -> None:
        """Close without touching tasks (they belong to an event loop that is gone)."""
        self._closed = True
        for subscription in tuple(self._subscriptions):
            subscription.end()
        self._subscriptions.clear()
        self._running.clear()

    async def aclose(self) -> None:
        """End every subscription and cancel callbacks still running.

        A callback that closes the session is itself one of them: it is neither cancelled nor
        awaited here (it would wait on itself), and finishes on its own.
        """
        self._closed = True
        for subscription in tuple(self._subscriptions):
            subscription.end()
        self._subscriptions.clear()
        current = asyncio.current_task()
        running = tuple(task for task in self._running if task is not current)
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)


class Reporter:
    """What a session tells about itself: its last error (logged at DEBUG as it is kept) and its
    events, each stamped with the session's clock and carrying a token's fingerprint only."""

    __slots__ = ("_clock", "_name", "events", "last_error")

    def __init__(self, name: str, clock: Clock) -> None:
        self._name = name
        self._clock = clock
        self.events = EventHub(name)
        self.last_error: FronteggError | None = None

    def record(self, error: FronteggError) -> None:
        """Keep ``error`` as the last one."""
        self.last_error = error
        logger.debug("%s: %s: %s", self._name, type(error).__name__, error)

    def publish(
        self, kind: EventKind, tokens: TokenSet[Any] | None, error: FronteggError | None = None
    ) -> None:
        """Publish an event about ``tokens`` (none is built when nobody listens)."""
        if self.events.listening:
            fingerprint = None if tokens is None else tokens.fingerprint
            self.events.publish(
                TokenEvent(kind=kind, at=self._clock.time(), fingerprint=fingerprint, error=error)
            )

    def lapse(self, held: Holding[Any], error: FronteggError | None) -> None:
        """Publish EXPIRED for the set ``held``, once per set: renewal failed for good, or the
        token lapsed while it kept failing."""
        if held.lapse_to_tell():
            self.publish(EventKind.EXPIRED, held.tokens, error)
