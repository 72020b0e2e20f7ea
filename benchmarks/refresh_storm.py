"""Refresh storm and hot path, against the fake on loopback.

1. N concurrent ``access_token()`` callers arrive when the token is past its usable window,
   for a user session and for the environment token: how many renewal requests reach the
   server (must be 1 each), and how long the storm takes.
2. The per-call cost of ``access_token()`` on a fresh token, as a ratio to a bare
   ``async def`` returning a constant, both measured in this run (the machine is shared and
   noisy, so only the ratio means anything).

    python benchmarks/refresh_storm.py            # full: 10,000 callers, 200,000 calls
    python benchmarks/refresh_storm.py --short    # what CI runs: proves it works, not how fast
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import time

from frontegg_async import EnvironmentSession, FronteggSession
from frontegg_async.testing import FakeFrontegg, JumpingClock


async def constant() -> str:
    return "token"


async def time_calls(call: object, calls: int, repeats: int) -> float:
    """Best-of-``repeats`` seconds per call."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(calls):
            await call()  # type: ignore[operator]
        best = min(best, (time.perf_counter() - started) / calls)
    return best


async def main(callers: int, calls: int, repeats: int) -> int:
    clock = JumpingClock()
    async with FakeFrontegg(token_lifetime=600, clock=clock.time) as fake:
        fake.add_user("bench@example.com", "bench-password")
        session = FronteggSession(
            fake.identity_url, email="bench@example.com", password="bench-password", clock=clock
        )
        async with session:
            clock.jump(599)  # past the usable window: every caller needs a renewal
            started = time.perf_counter()
            tokens = await asyncio.gather(*(session.access_token() for _ in range(callers)))
            storm = time.perf_counter() - started
            refreshes = fake.calls["refresh"]

        environment = EnvironmentSession(
            fake.url, client_id=fake.client_id, secret=fake.environment_secret, clock=clock
        )
        async with environment:
            before = fake.calls["vendor"]
            clock.jump(599)
            started = time.perf_counter()
            vendor_tokens = await asyncio.gather(
                *(environment.access_token() for _ in range(callers))
            )
            vendor_storm = time.perf_counter() - started
            vendor_calls = fake.calls["vendor"] - before

        # The hot path as users run it: the default (system) clock.
        plain = FronteggSession(
            fake.identity_url, email="bench@example.com", password="bench-password"
        )
        async with plain:
            bare = await time_calls(constant, calls, repeats)
            ours = await time_calls(plain.access_token, calls, repeats)

    print(f"python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    print(
        f"refresh storm: {callers} callers -> {refreshes} refresh request(s), "
        f"{len(set(tokens))} distinct token(s), {storm * 1000:.1f} ms in all"
    )
    print(
        f"environment storm: {callers} callers -> {vendor_calls} /auth/vendor request(s), "
        f"{len(set(vendor_tokens))} distinct token(s), {vendor_storm * 1000:.1f} ms in all"
    )
    print(
        f"hot path: access_token() {ours * 1e9:.0f} ns/call, bare async def "
        f"{bare * 1e9:.0f} ns/call, ratio {ours / bare:.2f} (goal <= 2)"
    )
    if refreshes != 1 or len(set(tokens)) != 1 or vendor_calls != 1:
        print("FAIL: the storm must make exactly one refresh request", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="small sizes, for CI")
    args = parser.parse_args()
    if args.short:
        sys.exit(asyncio.run(main(callers=1_000, calls=5_000, repeats=2)))
    sys.exit(asyncio.run(main(callers=10_000, calls=200_000, repeats=5)))
