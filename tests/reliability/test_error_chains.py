"""No secret rides in an exception chain: an answer aiohttp cannot even parse (its error keeps
the request, headers and all) reaches callers as a typed error that carries nothing of it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from frontegg_async import FronteggError, FronteggSession, TransportError
from frontegg_async.testing import FakeFrontegg

from ..conftest import EMAIL, PASSWORD, exception_texts


@pytest.fixture
async def broken_front(fake: FakeFrontegg) -> AsyncIterator[str]:
    """An identity URL whose login is the fake's and whose every other answer is not HTTP."""
    async with aiohttp.ClientSession() as http:

        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = await reader.readexactly(length)
            path = head.split(b" ")[1].decode()
            if path.endswith("/resources/auth/v1/user"):
                async with http.post(
                    str(fake.url) + path,
                    data=body,
                    headers={"Content-Type": "application/json"},
                ) as response:
                    out = await response.read()
                    cookies = "".join(
                        f"Set-Cookie: {value}\r\n"
                        for value in response.headers.getall("Set-Cookie")
                    )
                    writer.write(
                        f"HTTP/1.1 {response.status} OK\r\n{cookies}Content-Type: "
                        f"application/json\r\nContent-Length: {len(out)}\r\n\r\n".encode()
                        + out
                    )
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nnot a header\r\nContent-Length: 2\r\n\r\n{}")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}/identity"
        server.close()
        await server.wait_closed()


async def test_an_unparsable_answer_leaves_no_secret_in_the_error_chain(
    broken_front: str,
) -> None:
    session = FronteggSession(
        broken_front, email=EMAIL, password=PASSWORD, relogin=False, refresh_ratio=1.0, timeout=2
    )
    try:
        auth = await session.login()
        secrets = {auth.access_token, auth.refresh_token, PASSWORD}
        errors: list[FronteggError] = []
        for call in (lambda: session.request("GET", "resources/users/v2/me"), session.logout):
            with pytest.raises(TransportError) as caught:
                await call()
            errors.append(caught.value)
        assert session.last_error is not None
        texts = [text for error in [*errors, session.last_error] for text in exception_texts(error)]
        assert len(texts) > 10  # the walk saw chains and tracebacks
        leaks = {secret[:8] for secret in secrets for text in texts if secret in text}
        assert not leaks
        for error in errors:  # nothing of aiohttp's is kept at all
            chain = [error.__cause__, error.__context__]
            assert not any(isinstance(link, aiohttp.ClientError) for link in chain)
    finally:
        await session.aclose()
