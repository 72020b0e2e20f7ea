"""The middleware is as careful as request(): the token goes to the identity origin only, and a
401 is retried only with a body that can be sent again."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from frontegg_async.testing import FakeFrontegg

from ..conftest import SessionFactory


@pytest.fixture
async def other_service() -> AsyncIterator[tuple[int, list[tuple[str, int]]]]:
    """Another service on another port of the same host: answers 401 first, then 200."""
    seen: list[tuple[str, int]] = []

    async def upload(request: web.Request) -> web.Response:
        seen.append((request.headers.get("Authorization", ""), len(await request.read())))
        return web.json_response({}, status=401 if len(seen) == 1 else 200)

    app = web.Application()
    app.router.add_post("/upload", upload)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield port, seen
    await runner.cleanup()


async def stream() -> AsyncIterator[bytes]:
    for _ in range(5):
        yield b"x" * 10_000


async def test_the_token_never_goes_to_another_port_of_the_identity_host(
    fake: FakeFrontegg,
    make_session: SessionFactory,
    other_service: tuple[int, list[tuple[str, int]]],
) -> None:
    port, seen = other_service
    session = make_session()
    await session.login()
    async with (
        aiohttp.ClientSession(middlewares=[session.middleware]) as http,
        http.post(f"http://127.0.0.1:{port}/upload", data=b"y" * 100) as answer,
    ):
        assert answer.status == 401  # untouched: no token, no retry
    assert seen == [("", 100)]
    async with (
        aiohttp.ClientSession(middlewares=[session.middleware]) as http,
        http.get(session.identity_url / "resources/users/v2/me") as answer,
    ):
        assert answer.status == 200  # the identity origin itself gets it


async def test_a_streamed_body_is_not_resent_empty_after_a_401(
    fake: FakeFrontegg,
    make_session: SessionFactory,
    other_service: tuple[int, list[tuple[str, int]]],
) -> None:
    port, seen = other_service
    session = make_session()
    await session.login()
    middleware = session.middleware_for("127.0.0.1")
    async with (
        aiohttp.ClientSession(middlewares=[middleware]) as http,
        http.post(f"http://127.0.0.1:{port}/upload", data=stream()) as answer,
    ):
        assert answer.status == 401  # returned as it came
    assert len(seen) == 1
    assert seen[0][0].startswith("Bearer ")
    assert seen[0][1] == 50_000
    assert fake.calls["refresh"] == 0  # nothing to resend, so no renewal either


async def test_a_body_that_can_be_sent_again_is_resent_whole_after_a_401(
    fake: FakeFrontegg,
    make_session: SessionFactory,
    other_service: tuple[int, list[tuple[str, int]]],
) -> None:
    port, seen = other_service
    session = make_session()
    await session.login()
    middleware = session.middleware_for("127.0.0.1")
    async with (
        aiohttp.ClientSession(middlewares=[middleware]) as http,
        http.post(f"http://127.0.0.1:{port}/upload", data=b"z" * 30_000) as answer,
    ):
        assert answer.status == 200
    assert [size for _, size in seen] == [30_000, 30_000]
    assert seen[0][0] != seen[1][0]  # resent with the renewed token
    assert fake.calls["refresh"] == 1
