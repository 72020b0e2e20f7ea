"""The clock a session reads and sleeps on; injectable so tests can make time jump."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """Wall-clock time, monotonic time and a way to wait.

    Deadlines are kept on both clocks: ``time()`` (seconds since the epoch) lets a suspended
    process see the time it lost; ``monotonic()`` keeps them right when the wall clock is set
    back. ``sleep`` may return early, since callers always look at both again.
    """

    def time(self) -> float:
        """Seconds since the epoch."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (``time.monotonic``)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait about ``seconds`` (never much longer)."""
        ...


class SystemClock:
    """``time.time``, ``time.monotonic`` and ``asyncio.sleep``: the default."""

    __slots__ = ()

    def time(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """``asyncio.sleep``."""
        await asyncio.sleep(seconds)


#: Whether the system has Linux's CLOCK_BOOTTIME, which counts suspended time and is never set
#: back: then one read of it settles "usable" (``Deadline.boot``).
HAS_BOOT_CLOCK: bool = hasattr(time, "CLOCK_BOOTTIME")
#: Its id for ``time.clock_gettime`` (the hot path reads it directly); -1 where there is none.
BOOT_CLOCK: int = getattr(time, "CLOCK_BOOTTIME", -1)


def boottime() -> float:
    """Seconds on the boot clock; +inf where there is none, so a deadline on it never holds."""
    return time.clock_gettime(BOOT_CLOCK) if HAS_BOOT_CLOCK else float("inf")
