"""A fleet through Redis faults on a real redis-server: frozen (SIGSTOP), killed and started
again empty, and a lease holder killed with SIGKILL in the middle of a refresh."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as redis_asyncio

from frontegg_async import FronteggSession, RedisStore, SessionState, StoreError
from frontegg_async.testing import FakeFrontegg, JumpingClock

from ..conftest import wait_for
from .conftest import RedisServer
from .worker import EMAIL, PASSWORD

#: Bursts of processes or of concurrent scenarios: run one at a time on one pytest-xdist worker,
#: never two of them at once on a two-core machine.
pytestmark = pytest.mark.xdist_group("bursts")

TIMEOUT = 0.5  # the sessions' request timeout, and the stores' too
LIFETIME = 60.0


@pytest.fixture
async def client(redis_server: RedisServer) -> AsyncIterator[Any]:
    connection = redis_asyncio.Redis(host="127.0.0.1", port=redis_server.port)
    yield connection
    await connection.aclose()


def session_on(
    fake: FakeFrontegg, client: Any, clock: JumpingClock | None = None
) -> FronteggSession:
    return FronteggSession(
        fake.identity_url,
        email=EMAIL,
        password=PASSWORD,
        clock=clock,
        timeout=TIMEOUT,
        store=RedisStore(client, "frontegg:faults", timeout=TIMEOUT),
    )


async def test_a_frozen_redis_is_a_transient_error_within_the_stores_timeout(
    redis_server: RedisServer, client: Any
) -> None:
    clock = JumpingClock()
    async with FakeFrontegg(token_lifetime=LIFETIME, clock=clock.time) as fake:
        fake.add_user(EMAIL, PASSWORD)
        async with session_on(fake, client, clock) as session:
            first = await session.access_token()
            redis_server.freeze()
            clock.jump(0.85 * LIFETIME)  # due: the renewal hangs on Redis in the background
            loop = asyncio.get_running_loop()
            started = loop.time()
            for _ in range(10):
                assert await session.access_token() == first  # still valid: no wait
            assert loop.time() - started < TIMEOUT
            clock.jump(0.15 * LIFETIME)  # lapsed while Redis is frozen
            started = loop.time()
            with pytest.raises(StoreError, match="no answer within") as caught:
                await session.access_token()
            waited = loop.time() - started
            assert caught.value.retryable
            # The token's remaining life (none) plus the store's bound, and no more.
            assert waited < 2 * TIMEOUT + 0.5, waited
            redis_server.thaw()
            token = await session.access_token()
            assert token != first
            assert fake.reused_refresh_tokens == 0


async def test_a_fleet_rides_out_redis_killed_and_started_again_empty(
    redis_server: RedisServer,
) -> None:
    clock = JumpingClock()
    clients = [redis_asyncio.Redis(host="127.0.0.1", port=redis_server.port) for _ in range(3)]
    async with FakeFrontegg(token_lifetime=LIFETIME, clock=clock.time) as fake:
        fake.add_user(EMAIL, PASSWORD)
        sessions = [session_on(fake, c, clock) for c in clients]
        try:
            for session in sessions:
                await session.__aenter__()
            first = await sessions[0].access_token()
            await redis_server.kill()  # every key lost, every connection dropped
            for session in sessions:
                assert await session.access_token() == first  # no store needed for that
            await redis_server.start()  # empty
            clock.jump(0.85 * LIFETIME)
            tokens = await asyncio.gather(*(s.refresh() for s in sessions))
            # One renewal from the tokens the sharers held; the others took it up.
            assert len({t.access_token for t in tokens}) == 1
            assert fake.calls["refresh"] == 1
            assert fake.calls["login"] == 1
            assert fake.reused_refresh_tokens == 0
            assert await clients[0].exists("frontegg:faults")  # written again
            assert all(s.state is SessionState.AUTHENTICATED for s in sessions)
        finally:
            for session in sessions:
                await session.aclose()
            for c in clients:
                await c.aclose()


HOLDER = """
import asyncio, sys
import redis.asyncio
from frontegg_async import FronteggSession, RedisStore
async def main(url, port):
    client = redis.asyncio.Redis(host="127.0.0.1", port=int(port))
    store = RedisStore(client, "frontegg:faults")
    session = FronteggSession(url, email=sys.argv[3], password=sys.argv[4],
                              timeout=float(sys.argv[5]), store=store)
    await session.login()
    print("in", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await session.refresh()
asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def test_a_lease_holder_killed_mid_refresh_is_replaced_within_one_request_timeout(
    redis_server: RedisServer, client: Any
) -> None:
    timeout = 1.0
    async with FakeFrontegg(token_lifetime=LIFETIME) as fake:
        fake.add_user(EMAIL, PASSWORD)
        holder = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            HOLDER,
            str(fake.identity_url),
            str(redis_server.port),
            EMAIL,
            PASSWORD,
            str(timeout),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert holder.stdin is not None
        assert holder.stdout is not None
        assert (await asyncio.wait_for(holder.stdout.readline(), 15)).strip() == b"in"
        survivor = FronteggSession(
            fake.identity_url,
            email=EMAIL,
            password=PASSWORD,
            timeout=timeout,
            store=RedisStore(client, "frontegg:faults"),
        )
        async with survivor:
            old = await survivor.access_token()
            # The holder's refresh reaches the server, which stalls (and then fails without
            # spending the refresh token): the holder sits in the lease, mid-refresh ...
            fake.fail_next("refresh", delay=30, status=503)
            holder.stdin.write(b"go\n")
            await holder.stdin.drain()
            await wait_for(lambda: fake.calls["refresh"] == 1)
            await asyncio.sleep(timeout / 2)  # its lease extended at least once meanwhile
            holder.kill()  # ... and dies there
            killed = time.monotonic()
            await holder.wait()
            renewed = await survivor.refresh()
            takeover = time.monotonic() - killed
            assert renewed.access_token != old
            assert await survivor.access_token() == renewed.access_token  # at once
            assert takeover < 2 * timeout, takeover
            assert fake.reused_refresh_tokens == 0
            assert fake.calls["login"] == 1
