"""Cancellation at every await point, closing and logging out in the middle of a refresh, and
a session carried from one event loop to another."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from frontegg_async import (
    FronteggError,
    FronteggSession,
    SessionClosedError,
    SessionError,
    WrongLoopError,
)
from frontegg_async.testing import FakeFrontegg, JumpingClock

from ..conftest import EMAIL, PASSWORD, SessionFactory

MAX_STEPS = 200  # far more loop iterations than a refresh over loopback takes


def library_tasks() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("frontegg_async")]


def live_refresh_tokens(fake: FakeFrontegg) -> int:
    return sum(1 for g in fake._grants.values() if not (g.consumed or g.revoked))


async def steps(k: int) -> None:
    for _ in range(k):
        await asyncio.sleep(0)


async def test_cancelling_a_caller_at_every_step_never_breaks_the_refresh(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    session = make_session()
    await session.login()
    for k in range(MAX_STEPS):
        before = fake.calls["refresh"]
        caller = asyncio.create_task(session.refresh())
        await steps(k)
        if caller.done():
            break
        caller.cancel()
        # The shared refresh goes on without the caller and installs its answer.
        token = await session.access_token()
        assert fake.decode(token)["exp"] > clock.time()
        assert fake.calls["refresh"] in (before, before + 1)
        with pytest.raises(asyncio.CancelledError):
            await caller
    else:
        pytest.fail("the refresh never completed")
    assert k > 3  # the loop really cut the refresh at several await points
    assert fake.reused_refresh_tokens == 0
    await session.refresh()  # and the session still refreshes


async def test_aclose_at_every_step_of_a_refresh_leaves_nothing(fake: FakeFrontegg) -> None:
    for k in range(MAX_STEPS):
        session = FronteggSession(fake.identity_url, email=EMAIL, password=PASSWORD)
        await session.login()
        waiter = asyncio.create_task(session.refresh())
        await steps(k)
        finished = waiter.done()
        await session.aclose()
        result = await asyncio.gather(waiter, return_exceptions=True)
        assert library_tasks() == []
        assert session._transport._owned is None
        if finished:
            assert not isinstance(result[0], BaseException)
            break
        # Cut short, the caller hears that the session closed (or got the token that was
        # already on its way); never another error, never a hang.
        if isinstance(result[0], BaseException):
            assert isinstance(result[0], SessionClosedError), result[0]
    else:
        pytest.fail("the refresh never completed")
    assert k > 3
    assert fake.reused_refresh_tokens == 0


async def test_logout_racing_a_refresh_revokes_the_newest_token(fake: FakeFrontegg) -> None:
    for k in range(0, MAX_STEPS, 2):
        session = FronteggSession(fake.identity_url, email=EMAIL, password=PASSWORD)
        await session.login()
        refresh = asyncio.create_task(session.refresh())
        await steps(k)
        done_first = refresh.done()
        await session.logout()
        await asyncio.gather(refresh, return_exceptions=True)
        # Whatever the interleaving, no refresh token stays alive on the server.
        assert live_refresh_tokens(fake) == 0, k
        await session.aclose()
        if done_first:
            break
    assert fake.reused_refresh_tokens == 0


def test_a_session_cannot_move_to_another_event_loop() -> None:
    ready = threading.Event()
    stop: list[asyncio.Event] = []
    holder: list[FakeFrontegg] = []
    loops: list[asyncio.AbstractEventLoop] = []

    def serve() -> None:
        async def main() -> None:
            async with FakeFrontegg() as fake:
                fake.add_user(EMAIL, PASSWORD)
                holder.append(fake)
                stop.append(asyncio.Event())
                loops.append(asyncio.get_running_loop())
                ready.set()
                await stop[0].wait()

        asyncio.run(main())

    server = threading.Thread(target=serve)
    server.start()
    try:
        assert ready.wait(10)
        session = FronteggSession(holder[0].identity_url, email=EMAIL, password=PASSWORD)

        async def first_loop() -> str:
            await session.login()
            return await session.access_token()  # and the loop ends with the session open

        async def in_another_loop(call: str) -> FronteggError:
            try:
                await asyncio.wait_for(getattr(session, call)(), 5)
            except FronteggError as error:
                return error
            raise AssertionError(f"{call}() worked in a second loop")

        assert asyncio.run(first_loop())
        # The token is fresh for another minute: the error comes at once all the same, for the
        # hot path as for every call that needs the session's loop.
        for call in ("access_token", "refresh", "login", "logout"):
            error = asyncio.run(in_another_loop(call))
            assert isinstance(error, WrongLoopError), (call, error)
            assert isinstance(error, SessionError)
            assert not isinstance(error, SessionClosedError)  # the session is not closed
            assert "store" in str(error)
            assert "closed" not in str(error)
        asyncio.run(session.aclose())  # closing is allowed from anywhere
        with pytest.raises(SessionClosedError):
            asyncio.run(session.access_token())
    finally:
        loops[0].call_soon_threadsafe(stop[0].set)
        server.join(10)


async def test_a_renewal_task_cancelled_from_outside_is_taken_up_again(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    session = make_session()
    first = await session.access_token()
    (renewal,) = [t for t in library_tasks() if "renewal" in t.get_name()]
    renewal.cancel()  # say, a test helper that cancels every task, with the loop running on
    await asyncio.gather(renewal, return_exceptions=True)
    assert await session.access_token() == first  # still fresh: handed out, nothing sent
    (again,) = [t for t in library_tasks() if "renewal" in t.get_name()]
    assert again is not renewal
    assert not again.done()
    before = fake.calls["refresh"]
    clock.jump(55)  # past the refresh point: the revived task renews with no caller asking
    for _ in range(MAX_STEPS):
        await asyncio.sleep(0.01)
        if fake.calls["refresh"] > before:
            break
    assert fake.calls["refresh"] == before + 1
    assert await session.access_token() != first


@pytest.fixture(autouse=True)
def _no_threads_left() -> Iterator[None]:
    yield
    assert threading.active_count() == 1
