"""A clock for tests: real time that can be made to jump."""

from __future__ import annotations

import asyncio
import contextlib
import time


class JumpingClock:
    """Wall-clock time plus an offset that tests move with ``jump()``.

    Time keeps flowing as usual, so short real sleeps still work; ``jump(seconds)`` moves it at
    once (forward, or backward with a negative value) and wakes every ``sleep`` so that a session
    sees the new time immediately, as a process that was suspended does when it wakes. ``sleeps``
    records every duration a session asked to sleep.
    """

    def __init__(self) -> None:
        self.offset = 0.0
        self.sleeps: list[float] = []
        self._jumped = asyncio.Event()

    def time(self) -> float:
        """Seconds since the epoch, plus the jumps so far."""
        return time.time() + self.offset

    def jump(self, seconds: float) -> None:
        """Move time by ``seconds`` and wake every sleeper."""
        self.offset += seconds
        self._jumped.set()
        self._jumped = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of real time, or until the next ``jump()``."""
        self.sleeps.append(seconds)
        jumped = self._jumped
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(jumped.wait(), timeout=seconds)
