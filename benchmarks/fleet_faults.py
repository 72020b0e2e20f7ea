"""A fleet through its faults: 4 processes share one identity through Redis with 2 s tokens
while Redis is killed (SIGKILL, every key lost) and started again, twice, and the process that
holds the lease is killed with SIGKILL in the middle of a refresh and replaced by a new one.

Reported, with the goals of issue 10 (RESULTS.md keeps the full-mode figures):

- caller errors during each outage (expected: the tokens lapse while Redis is gone) and after
  each recovery, counted from one request timeout after Redis answers again (goal: 0);
- refresh tokens the fake saw twice (goal 0), logins (goal 1), expired tokens handed out
  (goal 0);
- the longest any caller waited for ``access_token()`` (goal: at most 2 x the request timeout);
- the takeover: from the kill of the lease holder to the first refresh a survivor had accepted
  (goal: within 2 x the request timeout).

    python benchmarks/fleet_faults.py            # 30 s, Redis killed twice: RESULTS.md
    python benchmarks/fleet_faults.py --short    # 12 s, Redis killed once: what CI runs

Needs redis-server (Debian's package) and the redis extra.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from typing import Any

import redis.asyncio

from frontegg_async.testing import FakeFrontegg, RedisServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _fault_worker import EMAIL, PASSWORD

HERE = os.path.dirname(os.path.abspath(__file__))
PROCESSES, TASKS, LIFETIME, TIMEOUT = 4, 20, 2.0, 1.0
KEY = "frontegg:bench-faults"
OUTAGE = 3.0  # longer than a token lives: every token lapses while Redis is gone


async def worker(url: str, port: int) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-W",
        "error",
        os.path.join(HERE, "_fault_worker.py"),
        url,
        str(port),
        KEY,
        str(TASKS),
        str(TIMEOUT),
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    assert line.strip() == b"started", line
    return process


async def kill_the_lease_holder(
    fake: FakeFrontegg, client: Any, workers: list[asyncio.subprocess.Process]
) -> tuple[int, float]:
    """Stall the next refresh at the server, kill the process that sent it (it holds the
    lease, which names it), and return its pid and when it died."""
    before = fake.calls["refresh"]
    fake.fail_next("refresh", delay=60, status=503)  # stalls, then spends nothing
    # The fake counts calls and has no event to wait on: poll it.
    while fake.calls["refresh"] == before:  # noqa: ASYNC110
        await asyncio.sleep(0.002)
    owner = await client.get(KEY + ":lease")
    pid = int(owner.decode().split(":")[1])
    await asyncio.sleep(TIMEOUT / 3)  # long enough for the holder to extend its lease once
    victim = next(w for w in workers if w.pid == pid)
    victim.kill()
    killed = time.time()
    await victim.wait()
    return pid, killed


async def first_refresh_after(fake: FakeFrontegg, moment: float) -> float:
    """When the fake received the first refresh after ``moment`` that it answered with success."""
    while True:
        accepted = [
            r.at
            for r in fake.requests
            if r.endpoint == "refresh" and r.status < 300 and r.at > moment
        ]
        if accepted:
            return min(accepted)
        await asyncio.sleep(0.01)


async def main(short: bool) -> int:
    seconds = 12.0 if short else 30.0
    # (at, what): Redis killed and back OUTAGE s later; the lease holder killed.
    schedule = (
        [(3.0, "redis"), (8.5, "holder")]
        if short
        else [
            (5.0, "redis"),
            (13.0, "holder"),
            (19.0, "redis"),
        ]
    )
    try:
        server = RedisServer()
    except FileNotFoundError as missing:
        sys.exit(f"fleet_faults: {missing}")
    await server.start()
    client = redis.asyncio.Redis(host="127.0.0.1", port=server.port)
    windows: list[tuple[str, float, float]] = []  # (name, from, to) on the wall clock
    async with FakeFrontegg(token_lifetime=LIFETIME) as fake:
        fake.add_user(EMAIL, PASSWORD)
        url = str(fake.identity_url)
        workers = [await worker(url, server.port) for _ in range(PROCESSES)]
        began = time.time()
        takeover = None
        killed_pid = None
        for at, what in schedule:
            await asyncio.sleep(max(0.0, began + at - time.time()))
            if what == "redis":
                down = time.time()
                await server.kill()
                await asyncio.sleep(OUTAGE)
                await server.start()
                await client.aclose()
                client = redis.asyncio.Redis(host="127.0.0.1", port=server.port)
                windows.append((f"Redis killed for {OUTAGE:g} s", down, time.time()))
            else:
                killed_pid, killed = await kill_the_lease_holder(fake, client, workers)
                workers.append(await worker(url, server.port))  # its replacement
                takeover = await first_refresh_after(fake, killed) - killed
                windows.append(("lease holder SIGKILLed", killed, killed))
        await asyncio.sleep(max(0.0, began + seconds - time.time()))
        results = []
        for process in workers:
            if process.returncode is not None:
                continue  # the killed holder
            process.terminate()
            out, _ = await asyncio.wait_for(process.communicate(), 30)
            results.append(json.loads(out.decode().strip().splitlines()[-1]))
        fake.clear_faults()
        ended = time.time()
    await client.aclose()
    await server.kill()

    errors = [(t, kind) for r in results for t, kind in r["errors"]]
    calls = sum(r["calls"] for r in results)
    expired = sum(r["expired"] for r in results)
    longest = max(r["longest_wait"] for r in results)
    print(
        f"{PROCESSES} processes x {TASKS} tasks through Redis, {LIFETIME:g} s tokens, "
        f"request timeout {TIMEOUT:g} s, {seconds:g} s ({ended - began:.1f} s measured)"
    )
    recoveries_ok = True
    for index, (name, start, end) in enumerate(windows):
        settle = end + TIMEOUT
        following = windows[index + 1][1] if index + 1 < len(windows) else ended
        during = sum(1 for t, _ in errors if start <= t < settle)
        after = sum(1 for t, _ in errors if settle <= t < following)
        recoveries_ok &= after == 0
        print(f"  {name:<28} caller errors during {during:5d}, after recovery {after:3d} (goal 0)")
    print(f"  caller calls                 {calls:8d}")
    print(f"  expired tokens handed out    {expired:8d}   (goal 0)")
    print(f"  refresh tokens sent twice    {fake.reused_refresh_tokens:8d}   (goal 0)")
    print(f"  logins                       {fake.calls['login']:8d}   (goal 1)")
    print(
        f"  longest caller wait          {longest:8.3f} s (goal <= {2 * TIMEOUT:g} s, "
        "2 x the request timeout)"
    )
    if takeover is not None:
        print(
            f"  takeover after the kill      {takeover:8.3f} s (goal <= {2 * TIMEOUT:g} s; "
            f"killed pid {killed_pid})"
        )
    counts_met = (
        recoveries_ok
        and expired == 0
        and fake.reused_refresh_tokens == 0
        and fake.calls["login"] == 1
    )
    times_met = longest <= 2 * TIMEOUT and takeover is not None and takeover <= 2 * TIMEOUT
    print("  goals met" if counts_met and times_met else "  GOALS NOT MET")
    # The counts hold on any machine; the waits are the machine's too, so the short mode (CI,
    # on shared machines) fails on the counts only.
    return 0 if counts_met and (times_met or short) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="A Redis fleet through its faults.")
    parser.add_argument("--short", action="store_true", help="12 s, Redis killed once (CI)")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(asyncio.run(main(args.short)))
