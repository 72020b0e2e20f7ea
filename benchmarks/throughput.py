"""Authenticated request throughput, each client against itself with a static
``Authorization`` header, on the same local server (the fake, in a process of its own):
``session.middleware`` against raw aiohttp, and ``session.httpx_auth`` against a plain
``httpx.AsyncClient``.

Rounds alternate between the two of a pair so that drift on a shared machine hits both alike;
the median of each is reported, and the median of the paired ratios (goal: at least 0.95).

    python benchmarks/throughput.py           # 10 rounds of 3,000 requests each way, per pair
    python benchmarks/throughput.py --short   # 2 rounds of 300: what CI runs
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import aiohttp
import httpx

from frontegg_async import FronteggSession

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _fakeproc import PASSWORD, fake_process, user_email

CONCURRENCY = 50
#: httpx's connection pool slows down as it grows (measured here: 390 req/s with 10
#: connections, 125 with 50), and its noise with it: its pair runs at 10.
HTTPX_CONCURRENCY = 10

Get = Callable[[], Awaitable[int]]


def aiohttp_get(http: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> Get:
    async def get() -> int:
        async with http.get(url, headers=headers) as response:
            await response.read()
            return response.status

    return get


def httpx_get(http: httpx.AsyncClient, url: str) -> Get:
    async def get() -> int:
        return (await http.get(url)).status_code

    return get


async def drive(get: Get, requests: int, concurrency: int) -> float:
    """Requests per second for ``requests`` GETs, ``concurrency`` at a time."""
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            status = await get()
            if status != 200:
                raise RuntimeError(f"unexpected HTTP {status}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return requests / (time.perf_counter() - started)


async def paired(
    baseline: Get, ours: Get, rounds: int, requests: int, concurrency: int
) -> list[float]:
    """The medians of the baseline's and our rates and of their paired ratios, then the
    ratios' lowest and highest."""
    await drive(baseline, 100, concurrency)  # warm both pools
    await drive(ours, 100, concurrency)
    base_rates, our_rates, ratios = [], [], []
    for round_number in range(rounds):
        # Alternate which goes first, so that drift does not favour either.
        if round_number % 2:
            our_rates.append(await drive(ours, requests, concurrency))
            base_rates.append(await drive(baseline, requests, concurrency))
        else:
            base_rates.append(await drive(baseline, requests, concurrency))
            our_rates.append(await drive(ours, requests, concurrency))
        ratios.append(our_rates[-1] / base_rates[-1])
    return [
        statistics.median(base_rates),
        statistics.median(our_rates),
        statistics.median(ratios),
        min(ratios),
        max(ratios),
    ]


def report(rounds: int, baseline: str, ours: str, figures: list[float]) -> None:
    base_rate, our_rate, ratio, low, high = figures
    print(f"  {baseline:<34} {base_rate:8.0f} req/s (median)")
    print(f"  {ours:<34} {our_rate:8.0f} req/s (median)")
    print(
        f"  {'ratio to the static header':<34} {ratio:8.3f}   (median of {rounds} paired "
        f"rounds; spread {low:.3f} to {high:.3f}; goal >= 0.95)"
    )


async def main(rounds: int, requests: int) -> int:
    with fake_process(lifetime=3600) as fake:
        session = FronteggSession(fake.identity_url, email=user_email(0), password=PASSWORD)
        async with session:
            url = fake.identity_url + "/resources/users/v2/me"
            static = {"Authorization": f"Bearer {await session.access_token()}"}
            limits = httpx.Limits(
                max_connections=HTTPX_CONCURRENCY, max_keepalive_connections=HTTPX_CONCURRENCY
            )
            async with (
                aiohttp.ClientSession() as raw,
                aiohttp.ClientSession(middlewares=[session.middleware]) as ours,
                httpx.AsyncClient(headers=static, limits=limits) as plain,
                httpx.AsyncClient(auth=session.httpx_auth, limits=limits) as authed,
            ):
                middleware = await paired(
                    aiohttp_get(raw, url, static),
                    aiohttp_get(ours, url, {}),
                    rounds,
                    requests,
                    CONCURRENCY,
                )
                with_httpx = await paired(
                    httpx_get(plain, url),
                    httpx_get(authed, url),
                    rounds,
                    requests,
                    HTTPX_CONCURRENCY,
                )
        fake.stop()
    print(f"{rounds} rounds of {requests} GETs each way, against the fake")
    print(f"aiohttp, {CONCURRENCY} concurrent:")
    report(rounds, "raw aiohttp, static header", "session.middleware", middleware)
    print(f"httpx, {HTTPX_CONCURRENCY} concurrent:")
    report(rounds, "httpx.AsyncClient, static header", "session.httpx_auth", with_httpx)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Bearer throughput against static headers.")
    parser.add_argument("--short", action="store_true")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(2, 300) if args.short else main(10, 3000)))
