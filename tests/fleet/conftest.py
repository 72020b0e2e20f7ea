from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from frontegg_async.testing import RedisServer
from frontegg_async.testing._redis import free_port

__all__ = ["RedisServer", "free_port"]


@pytest.fixture
async def redis_server() -> AsyncIterator[RedisServer]:
    """A real redis-server for this test only; a missing one fails the test, never skips it."""
    try:
        server = RedisServer()
    except FileNotFoundError as missing:
        pytest.fail(f"{missing} (.ci/run installs it)")
    async with server:
        yield server


@pytest.fixture
async def redis_port(redis_server: RedisServer) -> int:
    return redis_server.port
