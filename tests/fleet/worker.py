"""One process of a fleet: a session on a shared store, many tasks asking for tokens.

    python worker.py IDENTITY_URL STORE SECONDS TASKS
    python worker.py DOMAIN STORE SECONDS TASKS CLIENT_ID   # an OAuthSession on the store

STORE is a file path (FileStore) or redis://HOST:PORT/KEY (RedisStore). With CLIENT_ID the
session is one that started in a browser: it resumes from the identity stored there.

Prints one JSON line: calls made, errors seen, expired tokens handed out.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import sys
import time

from frontegg_async import FileStore, FronteggError, FronteggSession, OAuthSession, RedisStore

EMAIL, PASSWORD = "fleet@example.com", "fleet-password"


def exp_of(token: str) -> float:
    payload = token.split(".")[1]
    return float(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"])


async def main(
    url: str, path: str, seconds: float, tasks: int, client_id: str | None
) -> dict[str, int]:
    logging.getLogger("frontegg_async").setLevel(logging.ERROR)
    tally = {"calls": 0, "errors": 0, "expired": 0}
    redis_client = None
    if path.startswith("redis://"):
        import redis.asyncio

        address, _, key = path.removeprefix("redis://").partition("/")
        host, _, port = address.partition(":")
        redis_client = redis.asyncio.Redis(host=host, port=int(port))
        store: FileStore | RedisStore = RedisStore(redis_client, key)
    else:
        store = FileStore(path)
    session: FronteggSession | OAuthSession
    if client_id is None:
        session = FronteggSession(url, email=EMAIL, password=PASSWORD, store=store)
    else:
        session = OAuthSession(url, client_id=client_id, store=store)
    try:
        await run(session, seconds, tasks, tally)
    finally:
        if redis_client is not None:
            await redis_client.aclose()
    return tally


async def run(
    session: FronteggSession | OAuthSession, seconds: float, tasks: int, tally: dict[str, int]
) -> None:
    async with session:
        end = time.monotonic() + seconds

        async def ask() -> None:
            while time.monotonic() < end:
                try:
                    token = await session.access_token()
                except FronteggError:
                    tally["errors"] += 1
                else:
                    tally["calls"] += 1
                    if exp_of(token) <= time.time():
                        tally["expired"] += 1
                await asyncio.sleep(0.05)

        await asyncio.gather(*(ask() for _ in range(tasks)))


if __name__ == "__main__":
    url, path, seconds, tasks = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    client_id = sys.argv[5] if len(sys.argv) > 5 else None
    print(json.dumps(asyncio.run(main(url, path, seconds, tasks, client_id))), flush=True)
