from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def redis_port() -> AsyncIterator[int]:
    """A real redis-server on a loopback port of its own, for this test only."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed: .ci/run installs it from Debian")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    redis = pytest.importorskip("redis.asyncio")
    from redis.exceptions import ConnectionError as RedisConnectionError

    port = free_port()
    server = await asyncio.create_subprocess_exec(
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        for _ in range(100):
            try:
                if await client.ping():
                    break
            except RedisConnectionError:
                await asyncio.sleep(0.05)
        else:
            pytest.fail("redis-server did not start")
        yield port
    finally:
        await client.aclose()
        server.terminate()
        await server.wait()
