"""Refresh storm, side by side with Frontegg's official Python SDK, in one run.

N callers need a token at the same moment, just after it expired. Ours (``EnvironmentSession``
and ``FronteggSession``) and the official ``frontegg`` SDK's async client (its vendor-token
path, ``HttpAsyncClient``, pointed at the fake through its documented environment variable
``FRONTEGG_API_GATEWAY_URL``) each face the same fake Frontegg, which runs in a process of its
own. Reported: token requests that reached the server, and p50/p99 latency of a caller getting
its token. With matplotlib installed, the latency distributions are drawn to
``benchmarks/storm_latency.png``.

    python benchmarks/compare.py            # 1,000 callers
    python benchmarks/compare.py --short    # 100 callers: what CI runs (proves it works)

The official SDK is an optional extra: ``pip install -e '.[bench]'``. Without it, only our side
is measured and the comparison says so.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from frontegg_async import EnvironmentSession, FronteggSession
from frontegg_async.testing import JumpingClock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _fakeproc import PASSWORD, fake_process, user_email

HERE = os.path.dirname(os.path.abspath(__file__))


async def storm(callers: int, get_token: Callable[[], Awaitable[Any]]) -> list[float]:
    """Latencies (seconds) of ``callers`` concurrent ``get_token()`` calls."""
    start = asyncio.Event()

    async def one() -> float:
        await start.wait()
        began = time.perf_counter()
        await get_token()
        return time.perf_counter() - began

    tasks = [asyncio.create_task(one()) for _ in range(callers)]
    await asyncio.sleep(0)
    start.set()
    return list(await asyncio.gather(*tasks))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def ours_environment(callers: int) -> tuple[int, list[float]]:
    with fake_process(lifetime=600) as fake:
        clock = JumpingClock()
        session = EnvironmentSession(
            fake.url, client_id=fake.client_id, secret=fake.environment_secret, clock=clock
        )
        async with session:
            clock.jump(599)  # past the usable window, as at expiry
            latencies = await storm(callers, session.access_token)
        stats = fake.stop()
    return stats["calls"].get("vendor", 0) - 1, latencies  # less the initial authentication


async def ours_user(callers: int) -> tuple[int, list[float]]:
    with fake_process(lifetime=600) as fake:
        clock = JumpingClock()
        session = FronteggSession(
            fake.identity_url, email=user_email(0), password=PASSWORD, clock=clock
        )
        async with session:
            clock.jump(599)
            latencies = await storm(callers, session.access_token)
        stats = fake.stop()
    return stats["calls"].get("refresh", 0), latencies


async def official_sdk(callers: int) -> tuple[int, list[float]] | None:
    lifetime = 1.0  # the SDK renews at 80 % of expiresIn, by its own wall clock
    with fake_process(lifetime=lifetime) as fake:
        os.environ["FRONTEGG_API_GATEWAY_URL"] = fake.url + "/"
        try:
            from frontegg.common.clients.async_http_client import HttpAsyncClient
        except ImportError:
            fake.stop()
            return None
        client = HttpAsyncClient(fake.client_id, fake.environment_secret, fake.identity_url)
        prepare = client._HttpAsyncClient__prepare_auth_headers  # type: ignore[attr-defined]
        await prepare()  # the first token, as our sessions get on entering
        await asyncio.sleep(0.8 * lifetime + 0.05)  # now it has expired in the SDK's eyes
        latencies = await storm(callers, prepare)
        await client.client.aclose()
        await client.vendor_session_request.aclose()
        stats = fake.stop()
    return stats["calls"].get("vendor", 0) - 1, latencies


def plot(series: dict[str, list[float]], path: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axis = plt.subplots(figsize=(8, 4.5))
    for name, values in series.items():
        ordered = sorted(v * 1000 for v in values)
        axis.plot(ordered, [i / len(ordered) for i in range(1, len(ordered) + 1)], label=name)
    axis.set_xscale("log")
    axis.set_xlabel("time for a caller to get its token (ms, log scale)")
    axis.set_ylabel("fraction of callers")
    axis.set_title(f"Refresh storm: {len(next(iter(series.values())))} callers at expiry")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return True


async def main(callers: int, draw: bool) -> int:
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores")
    print(f"refresh storm: {callers} concurrent callers just after expiry")
    results: dict[str, tuple[int, list[float]]] = {
        "frontegg-async EnvironmentSession": await ours_environment(callers),
        "frontegg-async FronteggSession": await ours_user(callers),
    }
    sdk = await official_sdk(callers)
    if sdk is not None:
        results["official frontegg SDK (async vendor token)"] = sdk
    failed = False
    for name, (requests, latencies) in results.items():
        print(
            f"  {name:45} token requests {requests:5d}   "
            f"p50 {percentile(latencies, 0.5) * 1000:8.2f} ms   "
            f"p99 {percentile(latencies, 0.99) * 1000:8.2f} ms   "
            f"mean {statistics.fmean(latencies) * 1000:8.2f} ms"
        )
        if name.startswith("frontegg-async") and requests != 1:
            failed = True
    if sdk is None:
        print("  official SDK not installed (pip install -e '.[bench]'): not compared")
    if draw:
        path = os.path.join(HERE, "storm_latency.png")
        if plot({name: lat for name, (_, lat) in results.items()}, path):
            print("plot: benchmarks/storm_latency.png")
        else:
            print("plot: matplotlib not installed, skipped")
    if failed:
        print("FAIL: our sessions must make exactly one token request", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Refresh storm against the official SDK.")
    parser.add_argument("--short", action="store_true", help="100 callers, no plot")
    parser.add_argument("--callers", type=int, default=1000)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(100 if args.short else args.callers, draw=not args.short)))
