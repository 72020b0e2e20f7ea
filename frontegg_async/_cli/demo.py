"""``python -m frontegg_async demo``: watch a session renew its token against the fake."""

from __future__ import annotations

import asyncio
import datetime
import sys
from typing import TextIO

from .._secrets import fingerprint
from .._user import FronteggSession


async def run_demo(duration: float, lifetime: float, out: TextIO = sys.stdout) -> int:
    """Start the fake on loopback, log in, and print each renewal until ``duration`` is up."""
    from ..testing import FakeFrontegg

    def say(line: str) -> None:
        stamp = datetime.datetime.now().strftime("%H:%M:%S.%f")[:-3]
        print(f"{stamp}  {line}", file=out, flush=True)

    email, password = "demo@example.com", "demo-password"
    async with FakeFrontegg(token_lifetime=lifetime) as fake:
        fake.add_user(email, password)
        say(f"fake Frontegg listening at {fake.identity_url}")
        say(f"tokens live {lifetime:g} s; the session refreshes at about 80 % of that")
        session = FronteggSession(fake.identity_url, email=email, password=password)
        async with session:
            loop = asyncio.get_running_loop()
            end = loop.time() + duration
            shown = None
            while loop.time() < end:
                token = await session.access_token()
                if token != shown:
                    exp = float(fake.decode(token)["exp"])
                    left = exp - fake.now()
                    kind = "logged in" if shown is None else "renewed  "
                    say(f"{kind} token {fingerprint(token)}  {left:5.2f} s left")
                    shown = token
                await asyncio.sleep(0.05)
            say(
                f"done: {fake.calls['login']} login, {fake.calls['refresh']} refreshes, "
                f"{fake.reused_refresh_tokens} reused refresh tokens; logging out"
            )
        say(f"logged out ({fake.calls['logout']} logout call)")
    return 0
