"""``frontegg-async fake``: the fake Frontegg as a process, until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal

from .usage import UsageError


async def run_fake(args: argparse.Namespace) -> int:
    """``frontegg-async fake``."""
    from ..testing import FakeFrontegg

    users = args.user or ["demo@example.com:demo-password"]
    async with FakeFrontegg(token_lifetime=args.lifetime, port=args.port) as fake:
        for user in users:
            email, colon, password = user.partition(":")
            if not colon or not email or not password:
                raise UsageError(f"--user takes EMAIL:PASSWORD, not {user!r}")
            fake.add_user(email, password)
        print(
            f"fake Frontegg at {fake.identity_url} (environment token at {fake.url}/auth/vendor)",
            flush=True,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    return 0
