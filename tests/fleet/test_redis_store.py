"""RedisStore on a real Redis: the lease, its expiry, and sessions sharing one identity."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest

# The optional extra (pip install -e '.[redis]'), part of '.[dev]': these tests need it.
import redis.asyncio as redis_asyncio

from frontegg_async import FronteggSession, RedisStore, StoreError
from frontegg_async.testing import FakeFrontegg, JumpingClock

from .worker import EMAIL, PASSWORD

#: Bursts of processes or of concurrent scenarios: run one at a time on one pytest-xdist worker,
#: never two of them at once on a two-core machine.
pytestmark = pytest.mark.xdist_group("bursts")


@pytest.fixture
async def client(redis_port: int) -> AsyncIterator[Any]:
    connection = redis_asyncio.Redis(host="127.0.0.1", port=redis_port)
    yield connection
    await connection.aclose()


async def test_round_trip_and_delete(client: Any) -> None:
    store = RedisStore(client, "frontegg:test")
    assert await store.load() is None
    await store.save({"version": 1, "accessToken": "canary-redis-token"})
    loaded = dict(await store.load() or {})
    # How long ago Redis wrote it, by Redis's own clock: what sharers' clocks cannot skew.
    assert 0 <= loaded.pop("storedFor") < 1
    assert loaded == {"version": 1, "accessToken": "canary-redis-token"}
    assert "canary" not in repr(store)
    await store.delete()
    assert await store.load() is None


async def test_lease_is_exclusive_outlives_its_ttl_while_held_and_is_released_only_by_its_owner(
    client: Any,
) -> None:
    holder = RedisStore(client, "frontegg:lease", lease_ttl=0.3)
    other = RedisStore(client, "frontegg:lease", lease_ttl=5)
    async with holder.lease(1.0) as held:
        assert held
        await asyncio.sleep(1.0)  # three times its time to live: its live holder extends it
        async with other.lease(0.1) as blocked:
            assert not blocked  # exclusive
    async with other.lease(0.2) as free:
        assert free  # released on leaving
    # A holder that was frozen past its lease, while a successor took it, must not release
    # the successor's lease when it wakes.
    frozen = holder.lease(1.0)
    assert await frozen.__aenter__()
    await client.set("frontegg:lease:lease", "a-successor", px=5000)
    await frozen.__aexit__(None, None, None)
    assert await client.get("frontegg:lease:lease") == b"a-successor"


async def test_unreachable_redis_is_a_store_error() -> None:
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    from .conftest import free_port

    dead = redis_asyncio.Redis(host="127.0.0.1", port=free_port(), retry=Retry(NoBackoff(), 0))
    with pytest.raises(StoreError, match="Redis"):
        await RedisStore(dead, "k").load()
    await dead.aclose()


async def test_sessions_share_one_identity_through_redis(client: Any) -> None:
    clock = JumpingClock()
    async with FakeFrontegg(token_lifetime=60, clock=clock.time) as fake:
        fake.add_user(EMAIL, PASSWORD)
        sessions = [
            FronteggSession(
                fake.identity_url,
                email=EMAIL,
                password=PASSWORD,
                clock=clock,
                store=RedisStore(client, "frontegg:fleet"),
            )
            for _ in range(5)
        ]
        await asyncio.gather(*(s.__aenter__() for s in sessions))
        assert fake.calls["login"] == 1
        for _ in range(3):
            clock.jump(59)
            tokens = await asyncio.gather(*(s.access_token() for s in sessions for _ in range(20)))
            assert len(set(tokens)) == 1
        assert fake.calls["refresh"] == 3
        assert fake.reused_refresh_tokens == 0
        for session in sessions:
            await session.__aexit__(None, None, None)


TAKE_LEASE = """
import sys, time, redis
client = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]))
assert client.set(sys.argv[2], "a-process-about-to-die", nx=True, px=1500)
print("held", flush=True)
time.sleep(600)
"""


async def test_a_lease_holder_killed_mid_refresh_is_replaced_after_the_lease_time(
    client: Any, redis_port: int
) -> None:
    clock = JumpingClock()
    async with FakeFrontegg(token_lifetime=60, clock=clock.time) as fake:
        fake.add_user(EMAIL, PASSWORD)
        store = RedisStore(client, "frontegg:dead", lease_ttl=0.5)
        async with FronteggSession(
            fake.identity_url, email=EMAIL, password=PASSWORD, clock=clock, store=store
        ) as session:
            # Another process takes the lease, as if to refresh, and is killed (kill -9): its
            # key stays until the lease time runs out.
            holder = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                TAKE_LEASE,
                str(redis_port),
                "frontegg:dead:lease",
                stdout=asyncio.subprocess.PIPE,
            )
            assert holder.stdout is not None
            assert (await holder.stdout.readline()).strip() == b"held"
            holder.send_signal(signal.SIGKILL)
            await holder.wait()
            clock.jump(59)
            loop = asyncio.get_running_loop()
            started = loop.time()
            token = await asyncio.wait_for(session.access_token(), 5)
            assert 0.5 <= loop.time() - started <= 3.0  # waited out the lease time, no more
            assert fake.decode(token)["exp"] > clock.time() + 50
            assert fake.calls["refresh"] == 1
