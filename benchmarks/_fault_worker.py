"""One process of benchmarks/fleet_faults.py: a session on a RedisStore, many tasks asking it
for tokens, until SIGTERM; then one JSON line of what its callers saw.

    python _fault_worker.py IDENTITY_URL REDIS_PORT KEY TASKS TIMEOUT
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import signal
import sys
import time

import redis.asyncio

from frontegg_async import FronteggError, FronteggSession, RedisStore

EMAIL, PASSWORD = "faults@example.com", "faults-password"


def exp_of(token: str) -> float:
    payload = token.split(".")[1]
    return float(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"])


async def main(
    url: str, port: int, key: str, tasks: int, request_timeout: float
) -> dict[str, object]:
    logging.getLogger("frontegg_async").addHandler(logging.NullHandler())
    client = redis.asyncio.Redis(host="127.0.0.1", port=port)
    store = RedisStore(client, key, timeout=request_timeout / 2)
    session = FronteggSession(
        url, email=EMAIL, password=PASSWORD, store=store, timeout=request_timeout
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    calls = expired = 0
    longest = 0.0
    errors: list[tuple[float, str]] = []

    async def ask() -> None:
        nonlocal calls, expired, longest
        while not stop.is_set():
            started = time.monotonic()
            try:
                token = await session.access_token()
            except FronteggError as error:
                errors.append((time.time(), type(error).__name__))
            else:
                calls += 1
                expired += exp_of(token) <= time.time()
            longest = max(longest, time.monotonic() - started)
            await asyncio.sleep(0.02)

    print("started", flush=True)
    try:
        await asyncio.gather(*(ask() for _ in range(tasks)))
    finally:
        await session.aclose()
        await client.aclose()
    return {
        "pid": os.getpid(),
        "calls": calls,
        "expired": expired,
        "longest_wait": longest,
        "errors": errors,
    }


if __name__ == "__main__":
    url, port, key, tasks, timeout = sys.argv[1:6]
    result = asyncio.run(main(url, int(port), key, int(tasks), float(timeout)))
    print(json.dumps(result), flush=True)
