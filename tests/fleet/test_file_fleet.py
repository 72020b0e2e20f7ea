"""Several OS processes share one identity through a FileStore, against one fake."""

from __future__ import annotations

import asyncio
import json
import pathlib
import sys
import time
from typing import Any

import pytest
import redis.asyncio

from frontegg_async import FileStore, RedisStore, hosted_login
from frontegg_async.testing import FakeFrontegg, RedisServer

from ..integration.test_oauth_session import FormFiller
from .worker import EMAIL, PASSWORD

#: Bursts of processes or of concurrent scenarios: run one at a time on one pytest-xdist worker,
#: never two of them at once on a two-core machine.
pytestmark = pytest.mark.xdist_group("bursts")

WORKER = pathlib.Path(__file__).with_name("worker.py")


async def run_fleet(
    fake: FakeFrontegg,
    store: pathlib.Path | str,
    processes: int,
    seconds: float,
    tasks: int,
    *,
    oauth: bool = False,
) -> list[dict[str, int]]:
    """``processes`` workers on ``store`` for ``seconds``; ``oauth``: OAuthSessions resuming
    the identity a hosted login stored there, instead of password sessions."""
    kind = [str(fake.url), str(store), str(seconds), str(tasks), fake.client_id]
    if not oauth:
        kind = [str(fake.identity_url), str(store), str(seconds), str(tasks)]
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-W",
            "error",
            str(WORKER),
            *kind,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(processes)
    ]
    results = []
    for worker in workers:
        out, err = await asyncio.wait_for(worker.communicate(), seconds + 30)
        assert worker.returncode == 0, err.decode()
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    return results


@pytest.mark.parametrize("processes", [4])
async def test_processes_share_one_identity_through_a_file(
    processes: int, tmp_path: pathlib.Path
) -> None:
    lifetime, ratio, seconds = 1.2, 0.8, 2.0
    async with FakeFrontegg(token_lifetime=lifetime) as fake:
        fake.add_user(EMAIL, PASSWORD)
        store = tmp_path / "fleet.json"
        began = time.monotonic()
        results = await run_fleet(fake, store, processes, seconds, tasks=20)
        span = time.monotonic() - began  # more than ``seconds`` when the processes start late
        # One identity: one login, and about one refresh per renewal period for the fleet,
        # not one per process.
        period = ratio * lifetime
        assert fake.calls["login"] == 1
        assert seconds / period - 2 <= fake.calls["refresh"] <= span / period + 3, fake.calls
        assert fake.reused_refresh_tokens == 0
        assert sum(r["errors"] for r in results) == 0
        assert sum(r["expired"] for r in results) == 0
        assert all(r["calls"] > 0 for r in results)

        # Every process restarts: the stored refresh token carries them, no login.
        await run_fleet(fake, store, processes, 0.3, tasks=2)
        assert fake.calls["login"] == 1
        assert fake.reused_refresh_tokens == 0


HOLD_LOCK = """
import fcntl, os, sys, time
descriptor = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(descriptor, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(600)
"""


async def test_a_lease_holder_killed_mid_refresh_is_replaced(tmp_path: pathlib.Path) -> None:
    import signal

    from frontegg_async import FileStore, FronteggSession
    from frontegg_async.testing import JumpingClock

    clock = JumpingClock()
    store = tmp_path / "fleet.json"
    async with FakeFrontegg(token_lifetime=60, clock=clock.time) as fake:
        fake.add_user(EMAIL, PASSWORD)
        session = FronteggSession(
            fake.identity_url, email=EMAIL, password=PASSWORD, store=FileStore(store), clock=clock
        )
        async with session:
            # Another process takes the lease, as if it were refreshing, and then dies.
            holder = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                HOLD_LOCK,
                str(store) + ".lock",
                stdout=asyncio.subprocess.PIPE,
            )
            assert holder.stdout is not None
            assert (await holder.stdout.readline()).strip() == b"held"
            clock.jump(59)
            waiting = asyncio.create_task(session.access_token())
            await asyncio.sleep(0.3)
            assert not waiting.done()  # it waits for the holder rather than refresh too
            assert fake.calls["refresh"] == 0
            holder.send_signal(signal.SIGKILL)
            await holder.wait()
            token = await asyncio.wait_for(waiting, 5)  # the lease freed with its holder
            assert fake.decode(token)["exp"] > clock.time() + 50
            assert fake.calls["refresh"] == 1


async def test_eight_processes_share_one_identity_through_redis(redis_port: int) -> None:
    import os

    # CI runs this once more for 30 s (FRONTEGG_FLEET_SECONDS=30); the suite keeps it short.
    seconds = float(os.environ.get("FRONTEGG_FLEET_SECONDS", "2"))
    lifetime, ratio = 2.0, 0.8
    async with FakeFrontegg(token_lifetime=lifetime) as fake:
        fake.add_user(EMAIL, PASSWORD)
        store = f"redis://127.0.0.1:{redis_port}/frontegg:fleet"
        began = time.monotonic()
        results = await run_fleet(fake, store, processes=8, seconds=seconds, tasks=50)
        span = time.monotonic() - began
        expected = seconds / (ratio * lifetime)
        print(
            f"\n8 processes x 50 tasks, {seconds:g} s, {lifetime:g} s tokens: "
            f"{fake.calls['login']} login(s), {fake.calls['refresh']} refreshes "
            f"(one process alone: about {expected:.1f}), "
            f"{sum(r['calls'] for r in results)} caller calls, "
            f"{sum(r['errors'] for r in results)} errors, "
            f"{fake.reused_refresh_tokens} reused refresh tokens"
        )
        assert fake.calls["login"] == 1
        late = span / (ratio * lifetime)  # processes that started late renew late too
        assert expected - 2 <= fake.calls["refresh"] <= late + 3, fake.calls
        assert fake.reused_refresh_tokens == 0
        assert sum(r["errors"] for r in results) == 0
        assert sum(r["expired"] for r in results) == 0


@pytest.mark.parametrize("where", ["file", "redis"])
async def test_processes_share_one_identity_signed_in_once_in_a_browser(
    where: str, tmp_path: pathlib.Path, redis_server: RedisServer
) -> None:
    """``frontegg-async login`` once, then a fleet of workers resumes it from the store: one
    renewal a period between them, no refresh token sent twice, nothing to sign in with."""
    lifetime, ratio, seconds = 1.2, 0.8, 2.0
    async with FakeFrontegg(token_lifetime=lifetime) as fake:
        fake.add_user(EMAIL, PASSWORD)
        if where == "file":
            address: pathlib.Path | str = tmp_path / "identity.json"
            store: Any = FileStore(address)
        else:
            address = f"redis://127.0.0.1:{redis_server.port}/frontegg:browser"
            client = redis.asyncio.Redis(host="127.0.0.1", port=redis_server.port)
            store = RedisStore(client, "frontegg:browser")
        signed_in = await hosted_login(
            fake.url,
            client_id=fake.client_id,
            open_browser=FormFiller(EMAIL, PASSWORD),
            store=store,
            timeout=10,
        )
        await signed_in.aclose()
        if where == "redis":
            await client.aclose()
        fake.calls.clear()
        began = time.monotonic()
        results = await run_fleet(fake, address, 4, seconds, tasks=20, oauth=True)
        span = time.monotonic() - began
        period = ratio * lifetime
        assert seconds / period - 2 <= fake.calls["oauth_token"] <= span / period + 3, fake.calls
        assert fake.reused_refresh_tokens == 0
        assert sum(r["errors"] for r in results) == 0
        assert sum(r["expired"] for r in results) == 0
        assert all(r["calls"] > 0 for r in results)
