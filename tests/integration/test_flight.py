"""The one flight on its own (``_engine.flight.SingleFlight``): shared by every caller, never
cancelled by one, bounded per caller, and a closed session's flight ends its waiters."""

from __future__ import annotations

import asyncio
import gc

import pytest

from frontegg_async import SessionClosedError
from frontegg_async._engine.flight import SingleFlight, WaitedTooLong


class Runs:
    def __init__(self) -> None:
        self.started = 0
        self.release = asyncio.Event()

    async def fly(self) -> int:
        self.started += 1
        await self.release.wait()
        return self.started


async def test_callers_at_once_share_one_flight_and_its_result() -> None:
    runs = Runs()
    flight = SingleFlight[int]("s")
    callers = [asyncio.create_task(flight.join(runs.fly)) for _ in range(100)]
    await asyncio.sleep(0)
    assert flight.running
    runs.release.set()
    assert await asyncio.gather(*callers) == [1] * 100
    assert runs.started == 1
    assert not flight.running
    # The next caller after a landing starts a new one.
    assert await flight.join(runs.fly) == 2


async def test_a_cancelled_or_impatient_caller_leaves_the_flight_to_the_others() -> None:
    runs = Runs()
    flight = SingleFlight[int]("s")
    patient = asyncio.create_task(flight.join(runs.fly))
    cancelled = asyncio.create_task(flight.join(runs.fly))
    await asyncio.sleep(0)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    with pytest.raises(WaitedTooLong):
        await flight.join(runs.fly, 0.01)
    assert flight.running
    runs.release.set()
    assert await patient == 1
    assert runs.started == 1


async def test_cancelling_the_flight_ends_its_waiters_with_session_closed() -> None:
    runs = Runs()
    flight = SingleFlight[int]("s")
    waiter = asyncio.create_task(flight.join(runs.fly))
    await asyncio.sleep(0)
    await flight.cancel()
    with pytest.raises(SessionClosedError, match="closed while a refresh was in flight"):
        await waiter
    assert not flight.running


async def test_a_failed_flight_that_nobody_awaits_is_never_reported_as_unretrieved() -> None:
    reported: list[dict[str, object]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))

    async def fail() -> int:
        await asyncio.sleep(0.01)
        raise RuntimeError("boom")

    flight = SingleFlight[int]("s")
    with pytest.raises(WaitedTooLong):
        await flight.join(fail, 0.001)  # the caller gives up; the flight fails after it
    await asyncio.sleep(0.05)
    assert not flight.running
    gc.collect()  # an unretrieved task exception is reported when the task is collected
    await asyncio.sleep(0)
    assert reported == []
