"""The only module that speaks HTTP: it sends one request, reads the whole answer, and maps
network failures to ``TransportError``. Status codes are judged by ``decipher_response``.

Auth calls never follow redirects, and the refresh cookie never goes through a cookie jar: the
session keeps it and sends it itself, to the identity host only.
"""

from __future__ import annotations

import asyncio
from typing import TypeVar

import aiohttp

from ._core.wire import REFRESH_COOKIE_PREFIX, Answer, Flow, Request, find_refresh_cookie
from ._errors import FronteggError, ResponseFormatError, TransportError

T = TypeVar("T")


class Transport:
    """Owns (or borrows) the aiohttp session and sends requests with a per-call timeout."""

    __slots__ = ("_borrowed", "_owned", "_timeout")

    def __init__(self, http: aiohttp.ClientSession | None, *, timeout: float) -> None:
        self._borrowed = http
        self._owned: aiohttp.ClientSession | None = None
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    @property
    def http(self) -> aiohttp.ClientSession:
        """The ClientSession in use, created on first use when the caller gave none."""
        if self._borrowed is not None:
            return self._borrowed
        if self._owned is None or self._owned.closed:
            # A dummy jar: the refresh cookie is kept by the session, never by a jar that could
            # drop it (Secure over loopback) or send it elsewhere.
            self._owned = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        return self._owned

    async def send(self, request: Request) -> Answer:
        """Send one request and return the answer whatever its status; raise TransportError.

        An answer of more than ``request.limit`` bytes (after decompression) is a
        ``ResponseFormatError``; it is never read, nor inflated, past that.
        """
        what, url, limit = request.what, request.url, request.limit
        bearer, cookie = request.bearer, request.cookie
        all_headers = {"Accept": "application/json", **request.headers}
        if bearer is not None:
            all_headers["Authorization"] = f"Bearer {bearer.reveal()}"
        if cookie is not None:
            all_headers["Cookie"] = f"{cookie.name}={cookie.value.reveal()}"
        # Whatever aiohttp raises holds the request (its headers: the bearer token, the refresh
        # cookie) in its repr: the error raised is built here and raised outside the handler,
        # so that nothing of aiohttp's rides along as its __context__.
        failure: TransportError | ResponseFormatError | None = None
        try:
            async with self.http.request(
                request.method,
                url,
                json=request.json,
                params=request.params,
                headers=all_headers,
                allow_redirects=False,
                timeout=self._timeout,
                # A caller's ClientSession may carry this library's own middleware: the
                # session's calls must not go through it (it would wait on itself).
                middlewares=(),
            ) as response:
                body = await _read_at_most(response, limit)
                if body is None:
                    failure = ResponseFormatError(
                        f"{what} answered with more than {limit:,} bytes (HTTP "
                        f"{response.status}); Frontegg's answers are small: a proxy or a "
                        "misconfigured URL is answering instead"
                    )
                    body = b""
                set_cookies = response.headers.getall("Set-Cookie", [])
                answer = Answer(
                    status=response.status,
                    headers=response.headers,
                    body=body,
                    refresh_cookie=find_refresh_cookie(set_cookies),
                )
        except TimeoutError:
            failure = TransportError(f"{what} timed out after {self._timeout.total:g} s")
        except aiohttp.ClientConnectorError as exc:
            failure = TransportError(
                f"{what} could not connect to {url.host} ({type(exc).__name__})",
                maybe_processed=False,
            )
        except aiohttp.ClientError as exc:
            failure = TransportError(
                f"{what} failed on the way to {url.host} ({type(exc).__name__})"
            )
        if failure is not None:
            del all_headers  # not in the traceback's frames either
            raise failure
        if self._borrowed is not None and set_cookies:
            self._forget_refresh_cookies(self._borrowed)
        return answer

    async def drive(self, flow: Flow[T]) -> T:
        """Run a flow of the core to its end: send each request it yields, hand it the answer.

        What sending raises (a ``TransportError``, or a ``ResponseFormatError`` for an answer
        past its size limit) is thrown into the flow at its ``yield``, as the outcome of that
        request: a flow that does not catch it ends with it. What the flow raises or returns is
        the result.
        """
        try:
            request = next(flow)
            while True:
                failure: FronteggError | None = None
                try:
                    answer = await self.send(request)
                except FronteggError as error:
                    failure = error
                # Thrown outside the handler: the flow's own errors carry no context of ours.
                request = flow.send(answer) if failure is None else flow.throw(failure)
        except StopIteration as done:
            result: T = done.value
            return result
        finally:
            flow.close()

    @staticmethod
    def _forget_refresh_cookies(http: aiohttp.ClientSession) -> None:
        # The caller's jar stored the refresh cookie too: take it out so that it is never sent
        # with the caller's own requests to other paths or hosts.
        http.cookie_jar.clear(lambda morsel: morsel.key.startswith(REFRESH_COOKIE_PREFIX))

    async def aclose(self) -> None:
        """Close the ClientSession if this transport created it; a borrowed one is left open."""
        owned, self._owned = self._owned, None
        if owned is not None and not owned.closed:
            await owned.close()
            # Give the connector's transports one loop turn to finish closing.
            await asyncio.sleep(0)


async def _read_at_most(response: aiohttp.ClientResponse, limit: int) -> bytes | None:
    """The body, or None once it passes ``limit`` bytes: aiohttp inflates a compressed body
    as it is read, so a gzip bomb is stopped after ``limit`` bytes of it, not after all."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


#: Request headers that carry credentials: never left in an exception.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


def scrub_credentials(error: BaseException) -> None:
    """Take the credentials out of the request aiohttp's errors remember.

    A ``ClientResponseError`` (a garbled answer, ``raise_for_status``) keeps the request's
    headers in ``request_info``, and so in its ``args`` and repr: a logged traceback of the
    middleware's requests would show the bearer token. Each error of the chain (cause and
    context) gets a copy of its ``request_info`` with those headers redacted; nothing else of
    it changes, so callers catch what they always caught.
    """
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, aiohttp.ClientResponseError):
            info = current.request_info
            # multidict's classes, reached through aiohttp's own objects (not a dependency).
            headers = info.headers.copy()
            for name in list(headers):
                if name.lower() in CREDENTIAL_HEADERS:
                    headers[name] = "<redacted>"
            clean = aiohttp.RequestInfo(
                info.url, info.method, type(info.headers)(headers), info.real_url
            )
            current.request_info = clean
            current.args = tuple(clean if arg is info else arg for arg in current.args)
        pending += [current.__cause__, current.__context__]
