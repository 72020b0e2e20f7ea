"""What the typed API costs: ``FronteggClient`` calls against ``session.request`` on the same
server (the fake, in a process of its own), and the price of importing the generated package.

Rounds alternate between the two call styles so that drift on a shared machine hits both alike;
the median of each is reported, and their ratio. The typed call adds path filling, header and
query spelling, and reading the answer into frozen models.

    python benchmarks/api_client.py           # 10 rounds of 2,000 calls each way
    python benchmarks/api_client.py --short   # 2 rounds of 200: what CI runs
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

from frontegg_async import FronteggClient, FronteggSession

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _fakeproc import PASSWORD, fake_process, user_email

CONCURRENCY = 20


async def drive(call: Callable[[], Awaitable[object]], calls: int) -> float:
    """Calls per second for ``calls`` calls, ``CONCURRENCY`` at a time."""
    remaining = calls

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return calls / (time.perf_counter() - started)


def import_seconds(module: str) -> float:
    """Wall time of ``import module`` in a fresh interpreter (best of three)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    return min(
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout)
        for _ in range(3)
    )


async def main(rounds: int, calls: int) -> int:
    with fake_process(lifetime=3600) as fake:
        async with FronteggSession(
            fake.identity_url, email=user_email(0), password=PASSWORD
        ) as session:
            client = FronteggClient(session)

            async def raw() -> object:
                return await session.request("GET", "resources/users/v2/me")

            async def typed() -> object:
                return await client.users.get_me_v2()

            await drive(raw, 100)  # warm the pool and the converter's hooks
            await drive(typed, 100)
            raw_rates, typed_rates, ratios = [], [], []
            for round_number in range(rounds):
                pair = [(raw, raw_rates), (typed, typed_rates)]
                for call, rates in pair if round_number % 2 == 0 else pair[::-1]:
                    rates.append(await drive(call, calls))
                ratios.append(typed_rates[-1] / raw_rates[-1])
        fake.stop()
    base_import = import_seconds("frontegg_async")
    api_import = import_seconds("frontegg_async.api")
    print(f"{rounds} rounds of {calls} calls of GET /resources/users/v2/me, {CONCURRENCY} at once")
    print(f"  session.request (parsed JSON)      {statistics.median(raw_rates):8.0f} calls/s")
    print(f"  client.users.get_me_v2() (UserDto) {statistics.median(typed_rates):8.0f} calls/s")
    print(
        f"  ratio typed / request              {statistics.median(ratios):8.3f}   "
        f"(median of {rounds} paired rounds; spread {min(ratios):.3f} to {max(ratios):.3f})"
    )
    print(f"  import frontegg_async              {base_import * 1000:8.0f} ms")
    print(
        f"  import frontegg_async.api          {api_import * 1000:8.0f} ms   "
        f"({api_import / base_import:.1f}x; on first use of FronteggClient only)"
    )
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="FronteggClient against session.request.")
    parser.add_argument("--short", action="store_true")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(2, 200) if args.short else main(10, 2000)))
