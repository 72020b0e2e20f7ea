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

    def time(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """``asyncio.sleep``."""
        await asyncio.sleep(seconds)


#: Linux's CLOCK_BOOTTIME: counts suspended time and is never set back; None elsewhere. The hot
#: path reads it directly (``time.clock_gettime(BOOT_CLOCK)``): one call settles "usable".
BOOT_CLOCK: int | None = getattr(time, "CLOCK_BOOTTIME", None)


def boottime() -> float:
    """Seconds on the boot clock; +inf where there is none, so a deadline on it never holds."""
    return time.clock_gettime(BOOT_CLOCK) if BOOT_CLOCK is not None else float("inf")
