"""TokenVerifier against the official ``frontegg`` SDK's validator, on the same tokens in the
same run: verifications per second for one hot token and for distinct tokens; JWKS requests
for 10,000 concurrent first verifications; the time one verification holds the event loop; and
resident memory after a flood of distinct forged tokens.

The official side is the SDK's entry point for a route, ``validate_identity_on_token``, set up
with ``init_app`` against the same fake (it fetches the public key once, then keeps it). The
two take turns on batches of 100 tokens, the first of each batch alternating, so that drift on a
shared machine hits both alike; the medians of the per-batch ratios are reported (goals: hot at
least 20, distinct at least 1).

    python benchmarks/verify.py           # full mode: the figures in RESULTS.md
    python benchmarks/verify.py --short   # what CI runs: proves it runs, measures little
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import jwt

from frontegg_async import FronteggSession, InvalidTokenError, TokenVerifier
from frontegg_async.testing import FakeFrontegg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _fakeproc import rss_bytes

EMAIL, PASSWORD = "bench@example.com", "bench-password"


def resident_mb() -> float:
    return rss_bytes() / 1e6


Check = Callable[[str], Awaitable[Any]]


async def seconds(check: Check, tokens: list[str]) -> float:
    started = time.perf_counter()
    for token in tokens:
        await check(token)
    return time.perf_counter() - started


async def paired(
    name: str, ours: Check, theirs: Check, batches: list[list[str]], goal: float
) -> None:
    """Each batch through both, the first alternating; rates and per-batch ratios."""
    ratios, our_rates, their_rates = [], [], []
    for n, batch in enumerate(batches):
        if n % 2:
            mine, other = await seconds(ours, batch), await seconds(theirs, batch)
        else:
            other, mine = await seconds(theirs, batch), await seconds(ours, batch)
        ratios.append(other / mine)
        our_rates.append(len(batch) / mine)
        their_rates.append(len(batch) / other)
    ratios.sort()
    print(
        f"{name}: TokenVerifier {statistics.median(our_rates):,.0f}/s, official SDK "
        f"{statistics.median(their_rates):,.0f}/s, ratio {statistics.median(ratios):.2f} "
        f"(middle half of {len(ratios)} batches {ratios[len(ratios) // 4]:.2f} to "
        f"{ratios[3 * len(ratios) // 4]:.2f}; goal >= {goal:g})"
    )


async def main(short: bool) -> None:
    logging.disable(logging.WARNING)  # the flood's refusals are not news here
    hot_batches = 20 if short else 200
    distinct_batches = 6 if short else 100
    crowd = 10_000
    flood = 20_000 if short else 1_000_000
    filled = 500 if short else 5_000
    async with FakeFrontegg(token_lifetime=3600, record_requests=False) as fake:
        os.environ["FRONTEGG_API_GATEWAY_URL"] = str(fake.url)
        # Imported here: the SDK reads the gateway's address when it is imported.
        from frontegg.fastapi import frontegg as official

        await official.init_app(fake.client_id, fake.environment_secret)
        fake.add_user(EMAIL, PASSWORD)
        async with FronteggSession(fake.identity_url, email=EMAIL, password=PASSWORD) as session:
            genuine = await session.access_token()
        claims = jwt.decode(genuine, options={"verify_signature": False})

        async def theirs(token: str) -> Any:
            return await official.validate_identity_on_token(token, None, "JWT")

        async with TokenVerifier(str(fake.url)) as verifier:
            await verifier.verify(genuine)
            await theirs(genuine)
            await paired("hot token", verifier.verify, theirs, [[genuine] * 100] * hot_batches, 20)

            batches = [
                [fake.sign_token({**claims, "jti": f"{b}-{n}"}) for n in range(100)]
                for b in range(distinct_batches)
            ]
            await paired("distinct tokens", verifier.verify, theirs, batches, 1)
            held_for = []
            for token in [fake.sign_token({**claims, "jti": f"timed-{n}"}) for n in range(1000)]:
                started = time.perf_counter()
                await verifier.verify(token)
                held_for.append(time.perf_counter() - started)
            held_for.sort()
            print(
                "one verification of a new token holds the loop: median "
                f"{statistics.median(held_for) * 1e6:.0f} µs, p99 "
                f"{held_for[int(len(held_for) * 0.99)] * 1e6:.0f} µs, max "
                f"{held_for[-1] * 1e6:.0f} µs"
            )

        fake.calls.clear()
        async with TokenVerifier(str(fake.url)) as cold:
            await asyncio.gather(*(cold.verify(genuine) for _ in range(crowd)))
        print(f"{crowd:,} concurrent first verifications -> {fake.calls['jwks']} JWKS request(s)")

        async with TokenVerifier(str(fake.url)) as verifier:
            for n in range(filled):
                await verifier.verify(fake.sign_token({**claims, "jti": f"fill-{n}"}))
            head, _, signature = genuine.split(".")
            before = resident_mb()
            refused = 0
            for n in range(flood):
                payload = jwt.utils.base64url_encode(
                    jwt.api_jws.json.dumps({**claims, "jti": f"forged-{n}"}).encode()
                ).decode()
                try:
                    await verifier.verify(f"{head}.{payload}.{signature}")
                except InvalidTokenError:
                    refused += 1
            after = resident_mb()
            print(
                f"{flood:,} distinct forged tokens: {refused:,} refused; resident memory "
                f"{before:.1f} MB before, {after:.1f} MB after; {verifier.cached_tokens:,} "
                f"verified tokens cached of {filled:,} (cache_size 4,096)"
            )
        # The SDK's HTTP client (a class attribute of its authenticator) is never closed by it.
        await official.async_authenticator.vendor_session_request.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="the short mode CI runs")
    asyncio.run(main(parser.parse_args().short))
