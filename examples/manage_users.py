"""A management script: list every user of the environment with the environment token.

    FRONTEGG_GATEWAY_URL=https://api.frontegg.com \\
    FRONTEGG_CLIENT_ID=... FRONTEGG_API_KEY=... python examples/manage_users.py

Without those variables it lists the users of the embedded fake Frontegg.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from frontegg_async import EnvironmentSession


async def all_users(session: EnvironmentSession, page_size: int = 50) -> list[dict[str, Any]]:
    """Every user, following ``GET /resources/users/v3`` page by page."""
    users: list[dict[str, Any]] = []
    page = 0
    while True:
        body = await session.request(
            "GET", "resources/users/v3", params={"_limit": page_size, "_offset": page}
        )
        users.extend(body["items"])
        page += 1
        if page >= body["_metadata"]["totalPages"]:
            return users


async def run(gateway_url: str, client_id: str, api_key: str) -> list[str]:
    """Print and return the emails of all users."""
    async with EnvironmentSession(gateway_url, client_id=client_id, secret=api_key) as session:
        emails = [user["email"] for user in await all_users(session, page_size=2)]
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
