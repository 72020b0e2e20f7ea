"""A clock for tests: real time that can be made to jump."""

from __future__ import annotations

import asyncio
import contextlib
import time


class JumpingClock:
    """Wall-clock time plus an offset that tests move with ``jump()``.

    Time keeps flowing as usual, so short real sleeps still work; ``jump(seconds)`` moves the
    wall clock at once (forward, as after a suspended process wakes, or backward, as when the
    system clock is set back) and wakes every ``sleep`` so that a session sees the new time
    immediately. The monotonic clock does not jump, as on a real machine; ``advance(seconds)``
    moves both, as if that much time had passed unnoticed. ``sleeps`` records every duration a
    session asked to sleep.
    """

    def __init__(self) -> None:
        self.offset = 0.0
        self.mono_offset = 0.0
        self.sleeps: list[float] = []
        self._jumped = asyncio.Event()

    def time(self) -> float:
        """Seconds since the epoch, plus the jumps so far."""
        return time.time() + self.offset

    def monotonic(self) -> float:
        """``time.monotonic()`` plus what ``advance()`` added."""
        return time.monotonic() + self.mono_offset

    def jump(self, seconds: float) -> None:
        """Move the wall clock by ``seconds`` and wake every sleeper."""
        self.offset += seconds
        self._wake()

    def advance(self, seconds: float) -> None:
        """Move both clocks forward by ``seconds`` and wake every sleeper."""
        if seconds < 0:
            raise ValueError("a monotonic clock never goes back: use jump() for the wall clock")
        self.offset += seconds
        self.mono_offset += seconds
        self._wake()

    def _wake(self) -> None:
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
