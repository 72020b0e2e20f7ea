"""A fleet in one process: memory per session and CPU while idle.

N ``FronteggSession`` objects, logged in and sharing one aiohttp connection pool (as the
README advises for many sessions in one process), with hour-long tokens, then left alone.
Reported: resident memory per session (the growth from creating and logging in all of them,
divided by N) and the CPU the process uses while they idle (goals: < 20 KiB and < 1 % of a
core). The idle window spans two of the background task's 30 s wake-ups, so each session's are
counted whenever its login ended.

    python benchmarks/fleet.py            # 10,000 sessions, 65 s idle
    python benchmarks/fleet.py --short    # 500 sessions, 2 s idle: what CI runs
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import time

import aiohttp

from frontegg_async import FronteggSession

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _fakeproc import PASSWORD, fake_process, user_email
from soak import rss_bytes


async def main(sessions: int, idle: float) -> int:
    with fake_process(lifetime=3600, users=sessions) as fake:
        http = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        # Warm the pool and the code paths first, so that they are not counted per session.
        warm = FronteggSession(fake.identity_url, email=user_email(0), password=PASSWORD, http=http)
        await warm.login()
        gc.collect()
        before = rss_bytes()
        made = [
            FronteggSession(fake.identity_url, email=user_email(i), password=PASSWORD, http=http)
            for i in range(sessions)
        ]
        for start in range(0, sessions, 200):
            await asyncio.gather(*(s.login() for s in made[start : start + 200]))
        await asyncio.sleep(0.5)
        gc.collect()
        after = rss_bytes()
        cpu_before, wall_before = time.process_time(), time.perf_counter()
        await asyncio.sleep(idle)
        cpu = time.process_time() - cpu_before
        wall = time.perf_counter() - wall_before
        tasks = len(asyncio.all_tasks())
        await asyncio.gather(*(s.aclose() for s in made))
        await warm.aclose()
        await http.close()
        fake.stop()
    per_session = (after - before) / sessions
    print(f"{sessions} sessions logged in, one shared connection pool, {tasks} tasks")
    print(f"  memory per session      {per_session / 1024:8.1f} KiB   (goal < 20 KiB)")
    print(
        f"  CPU while idle          {cpu / wall * 100:8.3f} % of a core over {wall:.0f} s "
        "(goal < 1 %)"
    )
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Memory and idle CPU of many sessions.")
    parser.add_argument("--short", action="store_true")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(500, 2.0) if args.short else main(10_000, 65.0)))
