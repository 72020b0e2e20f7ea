"""The clock a session reads and sleeps on; injectable so tests can make time jump."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """Wall-clock time and a way to wait.

    ``time()`` is seconds since the epoch (deadlines are wall-clock, so a suspended process sees
    the time it lost); ``sleep`` may return early, since callers always look at ``time()`` again.
    """

    def time(self) -> float:
        """Seconds since the epoch."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait about ``seconds`` (never much longer)."""
        ...


class SystemClock:
    """``time.time`` and ``asyncio.sleep``: the default."""

    def time(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    async def sleep(self, seconds: float) -> None:
        """``asyncio.sleep``."""
        await asyncio.sleep(seconds)
