"""The only module that speaks HTTP: it sends one request, reads the whole answer, and maps
network failures to ``TransportError``. Status codes are judged by ``decipher_response``.

Auth calls never follow redirects, and the refresh cookie never goes through a cookie jar: the
session keeps it and sends it itself, to the identity host only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
from attrs import field, frozen
from yarl import URL

from ._errors import FronteggError, ResponseFormatError, TransportError, decipher_response
from ._secrets import Secret

REFRESH_COOKIE_PREFIX = "fe_refresh_"
#: The most an auth answer may hold, decompressed: they are a few KB.
MAX_AUTH_ANSWER = 1 << 20
#: The default for ``request()``: Frontegg's API answers are small too.
MAX_API_ANSWER = 4 << 20


@frozen
class RefreshCookie:
    """The ``fe_refresh_*`` cookie Frontegg set; the value is the refresh token."""

    name: str
    value: Secret = field(repr=False)


@frozen
class Answer:
    """An HTTP answer, read in full."""

    status: int
    headers: Mapping[str, str] = field(repr=False)  # Set-Cookie included: never shown
    body: bytes = field(repr=False)
    refresh_cookie: RefreshCookie | None


def refresh_cookie_name(client_id: str) -> str:
    """The cookie name Frontegg uses for a client id: only its first dash is removed."""
    return REFRESH_COOKIE_PREFIX + client_id.replace("-", "", 1)


def find_refresh_cookie(set_cookie_headers: list[str]) -> RefreshCookie | None:
    """The last ``fe_refresh_*`` cookie among Set-Cookie headers, or None.

    A cookie set with an empty value or a non-positive Max-Age is a deletion, not a token. Only
    the name, the value and Max-Age matter here, so the header is read by hand: the standard
    library's cookie parser costs more than the rest of a refresh.
    """
    found: RefreshCookie | None = None
    for header in set_cookie_headers:
        pair, _, attributes = header.partition(";")
        name, equals, value = pair.strip().partition("=")
        if not equals or not name.startswith(REFRESH_COOKIE_PREFIX):
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if not value or _deletes(attributes):
            continue
        found = RefreshCookie(name=name, value=Secret(value))
    return found


def _deletes(attributes: str) -> bool:
    for attribute in attributes.split(";"):
        key, _, setting = attribute.strip().partition("=")
        if key.lower() == "max-age":
            try:
                return int(setting.strip()) <= 0
            except ValueError:
                return False
    return False


class Transport:
    """Owns (or borrows) the aiohttp session and sends requests with a per-call timeout."""

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

    async def send(
        self,
        method: str,
        url: URL,
        *,
        what: str,
        json: Any = None,
        params: Mapping[str, str | int | float] | Sequence[tuple[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        bearer: Secret | None = None,
        cookie: RefreshCookie | None = None,
        limit: int = MAX_AUTH_ANSWER,
    ) -> Answer:
        """Send one request and return the answer whatever its status; raise TransportError.

        An answer of more than ``limit`` bytes (after decompression) is a
        ``ResponseFormatError``; it is never read, nor inflated, past that.
        """
        all_headers = {"Accept": "application/json", **(headers or {})}
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
                method,
                url,
                json=json,
                params=params,
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

    async def call(self, method: str, url: URL, *, what: str, **kwargs: Any) -> Answer:
        """Like ``send``, but a non-2xx answer is raised as the error it means."""
        answer = await self.send(method, url, what=what, **kwargs)
        error = decipher_answer(answer, what)
        if error is not None:
            raise error
        return answer

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


def decipher_answer(answer: Answer, what: str) -> FronteggError | None:
    """The error an answer means (redirects included), or None for a 2xx."""
    if 300 <= answer.status < 400:
        return FronteggError(
            f"{what} was redirected (HTTP {answer.status}); auth calls never follow redirects, "
            "so check the base URL",
            status=answer.status,
        )
    return decipher_response(answer.status, answer.body, answer.headers, what=what)


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
