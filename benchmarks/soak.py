"""Soak: many sessions with one-second tokens, for minutes, against a fake that fails 10 % of
refreshes with transient faults (503, 502, 429, dropped connections). Every outage is shorter
than a token's lifetime, so callers must see no error at all.

Reports refreshes, caller-visible errors (must be 0), expired tokens handed out (must be 0),
reused refresh tokens (must be 0), the event loop's worst lag, and tasks and memory after
warm-up and at the end (they must stay flat).

    python benchmarks/soak.py             # 1,000 sessions for 120 s
    python benchmarks/soak.py --short     # 50 sessions for 2 s: what CI and the tests run
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import gc
import json
import logging
import os
import random
import sys
import time
from typing import Any

import aiohttp

from frontegg_async import FronteggError, FronteggSession

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _fakeproc import PASSWORD, fake_process, rss_bytes, user_email


class Tally:
    """What the callers saw."""

    def __init__(self) -> None:
        self.calls = 0
        self.errors: dict[str, int] = {}
        self.expired = 0
        self._exp: dict[str, float] = {}

    def exp_of(self, token: str) -> float:
        exp = self._exp.get(token)
        if exp is None:
            if len(self._exp) > 5000:  # tokens live a second: keep only the recent ones
                self._exp.clear()
            payload = token.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            exp = self._exp[token] = float(claims["exp"])
        return exp


async def caller(session: FronteggSession, stop: asyncio.Event, tally: Tally, pause: float) -> None:
    rng = random.Random()
    while not stop.is_set():
        try:
            token = await session.access_token()
        except FronteggError as error:
            name = type(error).__name__
            tally.errors[name] = tally.errors.get(name, 0) + 1
        else:
            tally.calls += 1
            if tally.exp_of(token) <= time.time():
                tally.expired += 1
        await asyncio.sleep(pause * (0.5 + rng.random()))


def renewal_tasks() -> int:
    """The sessions' own long-lived tasks (flights in progress come and go, so not those)."""
    return sum(1 for t in asyncio.all_tasks() if t.get_name().startswith("frontegg_async renewal"))


async def sampler(stop: asyncio.Event, samples: list[float]) -> None:
    """Resident memory every 10 s, to tell a plateau from a leak."""
    while not stop.is_set():
        samples.append(round(rss_bytes() / 2**20, 1))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 10)


async def lag_monitor(stop: asyncio.Event, worst: list[float]) -> None:
    """The loop's worst lateness in waking a 50 ms sleep: how overloaded the process is."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        before = loop.time()
        await asyncio.sleep(0.05)
        worst[0] = max(worst[0], loop.time() - before - 0.05)


async def soak(
    sessions: int, duration: float, lifetime: float, fault_rate: float, pause: float
) -> dict[str, Any]:
    with fake_process(lifetime=lifetime, users=sessions, fault_rate=fault_rate) as fake:
        # Many sessions in one process share one connection pool, as the README advises.
        http = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        made = [
            FronteggSession(
                fake.identity_url, email=user_email(i), password=PASSWORD, timeout=2.0, http=http
            )
            for i in range(sessions)
        ]
        for start in range(0, sessions, 100):  # log in in batches, as a fleet rolls out
            await asyncio.gather(*(s.login() for s in made[start : start + 100]))
        tally, stop, worst_lag = Tally(), asyncio.Event(), [0.0]
        workers = [asyncio.create_task(caller(s, stop, tally, pause)) for s in made]
        workers.append(asyncio.create_task(lag_monitor(stop, worst_lag)))
        samples: list[float] = []
        workers.append(asyncio.create_task(sampler(stop, samples)))
        warm_up = min(3 * lifetime, duration / 4)
        await asyncio.sleep(warm_up)
        gc.collect()
        start_tasks, start_rss = renewal_tasks(), rss_bytes()
        await asyncio.sleep(duration - warm_up)
        gc.collect()
        end_tasks, end_rss = renewal_tasks(), rss_bytes()
        stop.set()
        await asyncio.gather(*workers)
        faulted = sum(1 for s in made if s.last_error is not None)
        await asyncio.gather(*(s.aclose() for s in made))
        await http.close()
        stats = fake.stop()
    return {
        "sessions": sessions,
        "duration_s": duration,
        "token_lifetime_s": lifetime,
        "refresh_fault_rate": fault_rate,
        "refreshes": stats["calls"].get("refresh", 0),
        "logins": stats["calls"].get("login", 0),
        "caller_calls": tally.calls,
        "caller_errors": sum(tally.errors.values()),
        "caller_error_kinds": tally.errors,
        "expired_tokens_handed_out": tally.expired,
        "reused_refresh_tokens": stats["reused"],
        "sessions_that_met_a_fault": faulted,
        "worst_loop_lag_ms": round(worst_lag[0] * 1000, 1),
        "renewal_tasks_after_warm_up": start_tasks,
        "renewal_tasks_at_end": end_tasks,
        "rss_after_warm_up_mib": round(start_rss / 2**20, 1),
        "rss_at_end_mib": round(end_rss / 2**20, 1),
        "rss_every_10_s_mib": samples,
    }


def report(result: dict[str, Any]) -> int:
    for key, value in result.items():
        print(f"{key:28} {value}")
    if result["caller_errors"] or result["expired_tokens_handed_out"]:
        print("FAIL: callers saw errors or expired tokens", file=sys.stderr)
        return 1
    if result["reused_refresh_tokens"]:
        print("FAIL: a refresh token was sent twice", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Soak the renewal engine.")
    parser.add_argument("--short", action="store_true", help="50 sessions for 2 s")
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=120.0)
    parser.add_argument("--lifetime", type=float, default=1.0)
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument(
        "--pause", type=float, default=0.5, help="mean seconds between one caller's calls"
    )
    args = parser.parse_args(argv)
    if args.short:
        args.sessions, args.duration = 50, 2.0
    # Each retried fault logs a warning: thousands of lines that say nothing new here.
    logging.getLogger("frontegg_async").setLevel(logging.ERROR)
    result = asyncio.run(
        soak(args.sessions, args.duration, args.lifetime, args.fault_rate, args.pause)
    )
    return report(result)


if __name__ == "__main__":
    sys.exit(main())
