"""A long-running worker that authenticates as a machine, with an API token.

    FRONTEGG_BASE_URL=https://app-xxxx.frontegg.com/identity \\
    FRONTEGG_CLIENT_ID=... FRONTEGG_SECRET=... python examples/worker.py

Without those variables it runs a few jobs against the embedded fake Frontegg, with tokens that
live two seconds, so that renewals happen while it works.
"""

from __future__ import annotations

import asyncio
import os

from frontegg_async import ApiTokenSession, EventKind, FronteggError, TokenEvent


async def work(session: ApiTokenSession, jobs: int, pause: float) -> int:
    """Run ``jobs`` jobs, each an authenticated call; returns how many succeeded."""
    done = 0
    for job in range(jobs):
        try:
            page = await session.request("GET", "resources/users/v3", params={"_limit": 10})
        except FronteggError as error:
            # Typed, with .retryable: a real worker would requeue the job.
            print(f"job {job}: failed ({error}); retryable={error.retryable}")
        else:
            done += 1
            print(f"job {job}: {page['_metadata']['totalItems']} users")
        await asyncio.sleep(pause)
    return done


def log_renewals(event: TokenEvent) -> None:
    """An event callback: runs in its own task, never delays a renewal."""
    if event.kind in (EventKind.REFRESHED, EventKind.RELOGGED_IN):
        print(f"token renewed: {event.fingerprint}")


async def run(base_url: str, client_id: str, secret: str, jobs: int, pause: float) -> int:
    """Open the session, subscribe to its events, and work."""
    async with ApiTokenSession(base_url, client_id=client_id, secret=secret) as session:
        session.on_event(log_renewals)
        return await work(session, jobs, pause)


async def main() -> None:
    """Work against Frontegg, or against the fake when not configured."""
    base_url = os.environ.get("FRONTEGG_BASE_URL")
    if base_url:
        client_id, secret = os.environ["FRONTEGG_CLIENT_ID"], os.environ["FRONTEGG_SECRET"]
        await run(base_url, client_id, secret, jobs=1_000_000, pause=1.0)
        return
    from frontegg_async.testing import FakeFrontegg

    async with FakeFrontegg(token_lifetime=2) as fake:
        fake.add_user("someone@example.com", "pw")
        fake.add_api_token("worker-client", "worker-secret")
        await run(str(fake.identity_url), "worker-client", "worker-secret", jobs=10, pause=0.5)


if __name__ == "__main__":
    asyncio.run(main())
