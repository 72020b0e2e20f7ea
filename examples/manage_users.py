"""A management script: list every user of the environment with the typed API client.

    FRONTEGG_GATEWAY_URL=https://api.frontegg.com \\
    FRONTEGG_CLIENT_ID=... FRONTEGG_API_KEY=... python examples/manage_users.py

Without those variables it lists the users of the embedded fake Frontegg.
"""

from __future__ import annotations

import asyncio
import os

from frontegg_async import EnvironmentSession, FronteggClient


async def run(gateway_url: str, client_id: str, api_key: str) -> list[str]:
    """Print and return the emails of all users, fetched two a page."""
    async with EnvironmentSession(gateway_url, client_id=client_id, secret=api_key) as session:
        client = FronteggClient(session)
        # GET /resources/users/v3, page after page, until the pages run out.
        emails = [user.email async for user in client.users.iter_get(page_size=2)]
    for email in emails:
        print(email)
    return emails


async def main() -> None:
    """List users in Frontegg, or in the fake when not configured."""
    gateway = os.environ.get("FRONTEGG_GATEWAY_URL")
    if gateway:
        await run(gateway, os.environ["FRONTEGG_CLIENT_ID"], os.environ["FRONTEGG_API_KEY"])
        return
    from frontegg_async.testing import FakeFrontegg

    async with FakeFrontegg() as fake:
        for name in ("ada", "grace", "edsger", "barbara", "donald"):
            fake.add_user(f"{name}@example.com", f"{name}-password")
        await run(str(fake.url), fake.client_id, fake.environment_secret)


if __name__ == "__main__":
    asyncio.run(main())
