"""Calls to Frontegg with a session's fresh token: ``request()`` and the aiohttp middleware.

Both run the one bearer flow (``BearerHttp.with_bearer``: send with a fresh token; on a 401,
renew once and send once more) and ``request()`` the one retry regime for API calls
(``with_retries``). The transport below sends; the engine above renews.
"""

from __future__ import annotations

import ipaddress
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import aiohttp
from aiohttp import ClientHandlerType, ClientRequest, ClientResponse, hdrs
from yarl import URL

from ._clock import Clock
from ._convert import read_json
from ._core.bearer import Discard, FreshToken, Send, bearer_flow
from ._core.policy import (
    API_RETRY_WINDOW,
    bounded_retry_delay,
    default_api_retries,
    honoured_retry_after,
)
from ._core.wire import MAX_API_ANSWER, Answer, Request, decipher_answer
from ._errors import (
    ConfigurationError,
    FronteggError,
    InvalidRequestError,
    TransportError,
    has_control_character,
    restated,
)
from ._secrets import Secret
from ._transport import Transport, scrub_credentials

logger = logging.getLogger("frontegg_async")

SentT = TypeVar("SentT")
Middleware = Callable[[ClientRequest, ClientHandlerType], Any]


def is_loopback_host(host: str | None) -> bool:
    """Whether ``host`` is this machine: localhost, 127.0.0.0/8 or ::1."""
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bearer_transport(scheme: str, host: str | None) -> None:
    """Refuse to send a bearer over plain http anywhere but loopback (``ConfigurationError``,
    raised before anything is sent): the one rule for the middleware and httpx alike."""
    if scheme != "https" and not is_loopback_host(host):
        raise ConfigurationError(
            f"refusing to send the Frontegg token over plain http to {host or ''}; use https "
            "(plain http is allowed on loopback only); nothing was sent"
        )


def check_timeout(timeout: float) -> float:
    """``timeout`` if it is a positive number of seconds (``ConfigurationError`` otherwise)."""
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or not timeout > 0:
        raise ConfigurationError(f"timeout must be a positive number, not {timeout!r}")
    return float(timeout)


def check_http(http: aiohttp.ClientSession | None) -> None:
    """A caller's ClientSession, or None (``ConfigurationError`` for anything else)."""
    if http is not None and not isinstance(http, aiohttp.ClientSession):
        raise ConfigurationError(
            f"http must be an aiohttp.ClientSession (or None), not {type(http).__name__}"
        )


def check_base_url(url: URL, *, what: str = "base_url") -> URL:
    """Validate a base URL: absolute, https (or http on loopback), no query or credentials."""
    if not url.is_absolute() or url.host is None:
        raise ConfigurationError(
            f"{what} must be an absolute URL such as https://app-xxxx.frontegg.com/identity"
        )
    if url.scheme not in ("https", "http"):
        raise ConfigurationError(f"{what} must use https, not {url.scheme!r}")
    if url.scheme == "http" and not is_loopback_host(url.host):
        raise ConfigurationError(
            f"{what} uses plain http to {url.host}: credentials would travel unencrypted; "
            "use https (plain http is allowed on loopback only, for tests)"
        )
    if url.user is not None or url.password is not None:
        raise ConfigurationError(f"{what} must not carry credentials")
    if url.query_string or url.fragment:
        raise ConfigurationError(f"{what} must not have a query or a fragment")
    return url.with_path(url.path.rstrip("/") or "/")


class BearerHttp:
    """A session's HTTP side: what it sends with its token, and how a refused token is renewed."""

    __slots__ = (
        "_access_token",
        "_clock",
        "_identity_url",
        "_name",
        "_renew_if_current",
        "_transport",
    )

    def __init__(
        self,
        *,
        name: str,
        identity_url: URL,
        transport: Transport,
        clock: Clock,
        access_token: Callable[[], Awaitable[str]],
        renew_if_current: Callable[[str], Awaitable[None]],
    ) -> None:
        self._name = name
        self._identity_url = identity_url
        self._transport = transport
        self._clock = clock
        self._access_token = access_token
        self._renew_if_current = renew_if_current

    def resolve(self, path: str | URL) -> URL:
        """``path`` on the identity service: relative to ``identity_url``, or an absolute URL
        of its origin (any other origin would get the token: refused)."""
        target = URL(path) if isinstance(path, str) else path
        base = self._identity_url
        if target.is_absolute():
            if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
                raise InvalidRequestError(
                    f"request() sends the token to {base.host} only, not to {target.host}; "
                    "use middleware_for() with your own ClientSession for other hosts; "
                    "nothing was sent"
                )
            return target
        joined = base.path.rstrip("/") + "/" + target.path.lstrip("/")
        return base.with_path(joined).with_query(target.query)

    async def request(
        self,
        method: str,
        path: str | URL,
        *,
        json: Any = None,
        params: Mapping[str, str | int | float] | Sequence[tuple[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        max_bytes: int = MAX_API_ANSWER,
        retries: int | None = None,
    ) -> Any:
        """``FronteggSession.request()`` (its docstring says what it promises)."""
        for name, value in (headers or {}).items():
            if has_control_character(name + value):
                raise InvalidRequestError(
                    f"the header {name!r} holds a control character (a line break?); "
                    "nothing was sent"
                )
        if retries is None:
            retries = default_api_retries(method)
        elif isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise InvalidRequestError(
                f"retries must be a whole number of 0 or more, not {retries!r}; nothing was sent"
            )
        url = self.resolve(path)
        what = f"{method.upper()} {url.path}"

        def send(token: str) -> Awaitable[Answer]:
            return self.with_retries(
                lambda: self._transport.send(
                    Request(
                        method,
                        url,
                        what=what,
                        json=json,
                        params=params,
                        headers=headers or {},
                        bearer=Secret(token),
                        limit=max_bytes,
                    )
                ),
                what,
                attempts=1 + retries,
            )

        answer = await self.with_bearer(send, lambda answer: answer.status)
        error = decipher_answer(answer, what)
        if error is not None:
            raise error
        if not answer.body.strip():
            return None
        return read_json(answer.body, what=what)

    async def with_retries(
        self, send: Callable[[], Awaitable[Answer]], what: str, *, attempts: int
    ) -> Answer:
        """Send until an answer that is not a transient failure, within ``attempts`` tries and
        the retry window (``_core.policy.bounded_retry_delay``). A 401 is returned at once, for the
        bearer flow to renew; so is any answer that is not worth another try. When the tries
        run out, the last failure is raised, saying how many were made."""
        started = self._clock.monotonic()
        attempt = 0
        while True:
            began = self._clock.monotonic()
            try:
                answer = await send()
            except TransportError as error:
                failure: FronteggError = error
            else:
                if answer.status < 400 or answer.status == 401:
                    return answer
                verdict = decipher_answer(answer, what)
                if verdict is None or not verdict.retryable:
                    return answer
                failure = verdict
            now = self._clock.monotonic()
            delay = bounded_retry_delay(
                attempt,
                attempts=attempts,
                jitter=random.random(),
                retry_after=honoured_retry_after(failure),
                spent=now - started,
                took=now - began,
                budget=API_RETRY_WINDOW,
            )
            if delay is None:
                if attempt == 0:
                    raise failure
                raise restated(
                    failure, f"{failure} (tried {attempt + 1} times in {now - started:.1f} s)"
                )
            logger.info("%s: %s (try %d); again in %.3g s", self._name, failure, attempt + 1, delay)
            await self._clock.sleep(delay)
            attempt += 1

    async def with_bearer(
        self,
        send: Callable[[str], Awaitable[SentT]],
        status: Callable[[SentT], int],
        *,
        can_resend: Callable[[], bool] = lambda: True,
        discard: Callable[[SentT], None] = lambda _: None,
    ) -> SentT:
        """Run the one 401 flow (``_core.bearer``) for ``request()`` and the middleware alike:
        ``send(token)`` sends, ``status`` reads what came back, ``discard`` lets go of an
        answer that will not be returned. Returns what was sent last."""
        flow = bearer_flow(can_resend=can_resend)
        reply: str | int | None = None
        sent: SentT | None = None
        try:
            while True:
                step = flow.send(reply)
                if isinstance(step, FreshToken):
                    reply = await self._access_token()
                elif isinstance(step, Send):
                    sent = await send(step.token)
                    reply = status(sent)
                elif isinstance(step, Discard):
                    assert sent is not None
                    discard(sent)
                    reply = None
                else:
                    await self._renew_if_current(step.rejected)
                    reply = None
        except StopIteration:
            pass
        finally:
            flow.close()
        assert sent is not None
        return sent

    def middleware_for(self, *hosts: str) -> Middleware:
        """The middleware for ``hosts`` (see ``FronteggSession.middleware_for``)."""
        named = frozenset(h.lower() for h in hosts)
        identity = self._identity_url
        origin = (identity.scheme, (identity.host or "").lower(), identity.port)

        def allowed(url: URL) -> bool:
            host = (url.host or "").lower()
            if named:
                return host in named
            return (url.scheme, host, url.port) == origin

        async def frontegg_auth(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
            if not allowed(req.url):
                return await handler(req)
            check_bearer_transport(req.url.scheme, req.url.host)

            async def send(token: str) -> ClientResponse:
                req.headers[hdrs.AUTHORIZATION] = f"Bearer {token}"
                try:
                    return await handler(req)
                except aiohttp.ClientResponseError as error:
                    scrub_credentials(error)
                    raise

            return await self.with_bearer(
                send,
                lambda response: response.status,
                # A streamed body is spent once sent: resent, it would go out empty.
                can_resend=lambda: not getattr(req.body, "consumed", False),
                discard=lambda response: response.release(),
            )

        return frontegg_auth
