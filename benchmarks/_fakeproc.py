"""The fake Frontegg in a process of its own, so that it does not share a core (and an event
loop) with the clients being measured; and what the benchmarks measure a process with."""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.connection
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from frontegg_async.testing import FakeFrontegg, Fault

PASSWORD = "soak-password"
API_ID, API_SECRET = "bench-m2m", "bench-m2m-secret"


def rss_bytes() -> int:
    """Resident memory of this process (Linux /proc; 0 where that is missing)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def user_email(index: int) -> str:
    return f"user{index}@example.com"


def _serve(
    conn: multiprocessing.connection.Connection, lifetime: float, users: int, fault_rate: float
) -> None:
    async def main() -> None:
        async with FakeFrontegg(token_lifetime=lifetime, record_requests=False) as fake:
            for index in range(users):
                fake.add_user(user_email(index), PASSWORD)
            fake.add_api_token(API_ID, API_SECRET)
            if fault_rate:
                transient = (
                    Fault(status=503),
                    Fault(status=502),
                    Fault(status=429),
                    Fault(drop=True),
                )
                fake.fail_randomly("refresh", fault_rate, *transient, seed=7)
            conn.send((str(fake.url), fake.client_id, fake.environment_secret))
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)
            conn.send({"calls": dict(fake.calls), "reused": fake.reused_refresh_tokens})

    asyncio.run(main())


class FakeProcess:
    """Where the fake listens, and its counters on demand."""

    def __init__(self, conn: multiprocessing.connection.Connection, info: tuple[str, str, str]):
        self._conn = conn
        self.url, self.client_id, self.environment_secret = info
        self.identity_url = self.url + "/identity"

    def stop(self) -> dict[str, Any]:
        """Stop the fake and return ``{"calls": {...}, "reused": n}``."""
        self._conn.send("stop")
        stats: dict[str, Any] = self._conn.recv()
        return stats


@contextmanager
def fake_process(
    *, lifetime: float, users: int = 1, fault_rate: float = 0.0
) -> Iterator[FakeProcess]:
    """Run a FakeFrontegg in a child process for the duration of the block."""
    ours, theirs = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(theirs, lifetime, users, fault_rate), daemon=True
    )
    process.start()
    try:
        yield FakeProcess(ours, ours.recv())
    finally:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join()
