"""Authenticated request throughput: ``session.middleware`` against raw aiohttp with a static
``Authorization`` header, on the same local server (the fake, in a process of its own).

Rounds alternate between the two so that drift on a shared machine hits both alike; the
median of each is reported, and their ratio (goal: at least 0.95).

    python benchmarks/throughput.py           # 10 rounds of 3,000 requests each way
    python benchmarks/throughput.py --short   # 2 rounds of 300: what CI runs
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time

import aiohttp

from frontegg_async import FronteggSession

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _fakeproc import PASSWORD, fake_process, user_email

CONCURRENCY = 50


async def drive(
    http: aiohttp.ClientSession, url: str, requests: int, headers: dict[str, str]
) -> float:
    """Requests per second for ``requests`` GETs, ``CONCURRENCY`` at a time."""
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            async with http.get(url, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"unexpected HTTP {response.status}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return requests / (time.perf_counter() - started)


async def main(rounds: int, requests: int) -> int:
    with fake_process(lifetime=3600) as fake:
        session = FronteggSession(fake.identity_url, email=user_email(0), password=PASSWORD)
        async with session:
            url = fake.identity_url + "/resources/users/v2/me"
            static = {"Authorization": f"Bearer {await session.access_token()}"}
            raw_rates, ours_rates = [], []
            async with (
                aiohttp.ClientSession() as raw,
                aiohttp.ClientSession(middlewares=[session.middleware]) as ours,
            ):
                await drive(raw, url, 100, static)  # warm both pools
                await drive(ours, url, 100, {})
                ratios = []
                for round_number in range(rounds):
                    # Alternate which goes first, so that drift does not favour either.
                    if round_number % 2:
                        ours_rates.append(await drive(ours, url, requests, {}))
                        raw_rates.append(await drive(raw, url, requests, static))
                    else:
                        raw_rates.append(await drive(raw, url, requests, static))
                        ours_rates.append(await drive(ours, url, requests, {}))
                    ratios.append(ours_rates[-1] / raw_rates[-1])
        fake.stop()
    raw_rate, ours_rate = statistics.median(raw_rates), statistics.median(ours_rates)
    print(f"{rounds} rounds of {requests} GETs, {CONCURRENCY} concurrent, against the fake")
    print(f"  raw aiohttp, static header   {raw_rate:8.0f} req/s (median)")
    print(f"  session.middleware           {ours_rate:8.0f} req/s (median)")
    print(
        f"  ratio middleware / raw       {statistics.median(ratios):8.3f}   "
        f"(median of {rounds} paired rounds; spread {min(ratios):.3f} to {max(ratios):.3f}; "
        "goal >= 0.95)"
    )
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Middleware throughput against raw aiohttp.")
    parser.add_argument("--short", action="store_true")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(2, 300) if args.short else main(10, 3000)))
