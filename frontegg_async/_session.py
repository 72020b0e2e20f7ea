"""What every session is: a thin façade over the renewal engine, for one kind of token.

``FronteggSession`` (a user: ``_user.py``), ``EnvironmentSession`` (the environment's management
token) and ``ApiTokenSession`` (machine-to-machine API tokens: both in ``_machine.py``) differ
only in the strategy they hand the engine; everything else (freshness, single flight, events,
requests through ``_http``) is shared here, in ``_TokenSession``, the one construction path.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

import aiohttp
from yarl import URL

from ._claims import Claims, decode_claims
from ._clock import BOOT_CLOCK, HAS_BOOT_CLOCK, Clock, SystemClock
from ._core.flows import Strategy
from ._core.lifecycle import SessionState
from ._core.wire import MAX_API_ANSWER
from ._engine import TokenEngine
from ._errors import (
    ConfigurationError,
    FronteggError,
    check_header_value,
)
from ._events import EventCallback, Subscription
from ._http import BearerHttp, Middleware, check_base_url, check_http, check_timeout
from ._regions import Region
from ._stores import TokenStore
from ._stores.codec import StoreIdentity
from ._transport import Transport

if TYPE_CHECKING:
    import httpx

# The hot path's clock, bound once: module globals are the cheapest calls there are.
_clock_gettime = time.clock_gettime

AnswerT = TypeVar("AnswerT")


def _url_of(base: Region | URL | str, *, region_url: Callable[[Region], URL], what: str) -> URL:
    if isinstance(base, Region):
        return region_url(base)
    if not isinstance(base, str | URL):
        raise ConfigurationError(
            f"{what} must be a Region or a URL such as https://app-xxxx.frontegg.com/identity, "
            f"not {type(base).__name__}"
        )
    return check_base_url(URL(base) if isinstance(base, str) else base, what=what)


def _check_common(
    refresh_ratio: float,
    timeout: float,
    http: aiohttp.ClientSession | None,
    store: TokenStore | None,
) -> None:
    if (
        not isinstance(refresh_ratio, int | float)
        or isinstance(refresh_ratio, bool)
        or not 0 < refresh_ratio <= 1
    ):
        raise ConfigurationError(f"refresh_ratio must be in (0, 1], not {refresh_ratio!r}")
    check_timeout(timeout)
    check_http(http)
    if store is not None and not all(
        hasattr(store, name) for name in ("shared", "load", "save", "delete", "lease")
    ):
        raise ConfigurationError(
            f"store must be a TokenStore (FileStore, RedisStore, MemoryStore, or one with "
            f"shared, load, save, delete and lease), not {type(store).__name__}"
        )


def _require(value: str, name: str, *, plain: bool = False) -> None:
    """A non-empty string; with ``plain``, one with no control character either (a name that
    may travel in a header or a cookie)."""
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{name} must be a string that is not empty")
    if plain:
        check_header_value(value, name)


class _TokenSession(Generic[AnswerT]):
    """What every session offers; see the public subclasses."""

    def __init__(
        self,
        *,
        identity_url: URL,
        name: str,
        make_strategy: Callable[[Callable[[], float]], Strategy[AnswerT]],
        http: aiohttp.ClientSession | None,
        refresh_ratio: float,
        relogin: bool,
        timeout: float,
        clock: Clock | None,
        store: TokenStore | None = None,
        identity: StoreIdentity,
    ) -> None:
        _check_common(refresh_ratio, timeout, http, store)
        self._store = store
        self._identity_url = identity_url
        self._name = name
        self._clock: Clock = clock if clock is not None else SystemClock()
        # The hot path reads the clocks directly: the builtins are the fastest calls there are.
        self._now = time.time if clock is None else self._clock.time
        self._mono = time.monotonic if clock is None else self._clock.monotonic
        self._transport = Transport(http, timeout=timeout)
        self._strategy = make_strategy(self._clock.time)
        self._engine = TokenEngine(
            self._strategy,
            self._transport,
            name=name,
            clock=self._clock,
            refresh_ratio=refresh_ratio,
            relogin=relogin,
            on_orphaned=self._transport.aclose,
            store=store,
            identity=identity,
            # A sharer waits for the lease as long as one renewal may take (its request
            # timeout) and a holder that died takes to be replaced (the lease's life).
            lease_wait=2 * timeout,
            # Callers of a lapsed token wait for the attempt under way and quick retries that
            # fit in one request timeout more: about two in all, never one per retry.
            lapse_budget=timeout,
            # A caller that asked for a renewal (refresh(), a 401) waits a few request timeouts
            # at most, not the token's whole remaining life.
            wait_budget=3 * timeout,
        )
        self._http = BearerHttp(
            name=name,
            identity_url=identity_url,
            transport=self._transport,
            clock=self._clock,
            access_token=self.access_token,
            renew_if_current=self._engine.renew_if_current,
        )
        self._hot = self._engine.hot
        # On the system clock, where a boot-time clock exists, one clock call settles it.
        self._boot_clock = clock is None and HAS_BOOT_CLOCK
        self._claims_cache: tuple[str, Claims] | None = None
        self._middleware: Middleware | None = None

    def __repr__(self) -> str:
        tokens = self._engine.tokens
        token = f"token {tokens.fingerprint}" if tokens is not None else "no token"
        return f"<{self._name}, {self._engine.state.value}, {token}>"

    # -- the token ------------------------------------------------------------------------------

    async def access_token(self) -> str:
        """A token valid for at least the leeway (5 s, at most a tenth of its lifetime).

        Authenticates first when the session never has. Waits only when the token must be
        renewed, and then for the one renewal in flight. Raises ``SessionExpiredError`` at
        once when the token has lapsed and renewal failed for good.
        """
        hot = self._hot
        if self._boot_clock:
            if _clock_gettime(BOOT_CLOCK) < hot.boot:
                return hot.token
        elif hot.holds(self._now(), self._mono()):
            return hot.token
        return await self._engine.access_token()

    async def refresh(self) -> AnswerT:
        """Renew the token now (joining a renewal already in flight); returns the answer."""
        tokens = await self._engine.refresh()
        return tokens.answer

    @property
    def auth(self) -> AnswerT | None:
        """The latest answer that carried the token (a login, a renewal, an MFA verification,
        a code exchanged), tokens hidden from its repr; None before the first."""
        tokens = self._engine.tokens
        return None if tokens is None else tokens.answer

    @property
    def claims(self) -> Claims | None:
        """The current token's payload, decoded but not verified; None before the first token.

        Raises ``ResponseFormatError`` if the token is not a JWT.
        """
        tokens = self._engine.tokens
        if tokens is None:
            return None
        token = tokens.access_token.reveal()
        cached = self._claims_cache
        if cached is None or cached[0] != token:
            cached = (token, decode_claims(token))
            self._claims_cache = cached
        return cached[1]

    @property
    def state(self) -> SessionState:
        """Where the session stands: see ``SessionState``."""
        return self._engine.state

    @property
    def last_error(self) -> FronteggError | None:
        """The most recent failure, including ones the background task recovered from."""
        return self._engine.last_error

    @property
    def closed(self) -> bool:
        """Whether ``aclose()`` was called."""
        return self._engine.closed

    @property
    def identity_url(self) -> URL:
        """The identity base URL that ``request()`` paths are relative to."""
        return self._identity_url

    # -- knowing what happens -------------------------------------------------------------------

    def subscribe(self, maxsize: int = 100) -> Subscription:
        """An async iterator of ``TokenEvent`` from now until the session closes.

        It keeps at most ``maxsize`` unread events and drops the oldest beyond that, so a slow
        reader never makes the session buffer without bound.
        """
        return self._engine.events.subscribe(maxsize)

    def on_event(self, callback: EventCallback, *, timeout: float = 5.0) -> Callable[[], None]:
        """Call ``callback(event)`` (plain or async) for every ``TokenEvent``.

        Each call runs in a task of its own, outside every lock, cancelled after ``timeout``
        seconds; an exception is logged. So a slow or failing callback never delays a renewal,
        and a callback may call the session back. Returns a function that removes it.
        """
        return self._engine.events.on_event(callback, timeout)

    # -- using the token ------------------------------------------------------------------------

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
        """Call Frontegg with the session's fresh token; returns the parsed JSON (None if empty).

        ``path`` is relative to ``identity_url`` (``"resources/users/v2/me"``) or an absolute
        URL on the same host. A 401 renews the token once (shared with concurrent callers) and
        retries once. A transient failure (429, 5xx, 408, the connection) is tried again up to
        ``retries`` times, after a short jittered backoff or the server's ``Retry-After``, all
        tries starting within 5 s of the first; by default 2 for the idempotent methods (GET,
        HEAD, OPTIONS, PUT, DELETE) and none for POST and PATCH, which may have taken effect
        (pass ``retries=`` when a call is safe to repeat, ``retries=0`` to turn retries off).
        An answer of more than ``max_bytes`` (4 MiB by default, decompressed) is a
        ``ResponseFormatError``, stopped as it arrives. Failures raise the typed errors of
        ``FronteggError``; after retries, the message says how many tries were made.
        """
        return await self._http.request(
            method,
            path,
            json=json,
            params=params,
            headers=headers,
            max_bytes=max_bytes,
            retries=retries,
        )

    @property
    def middleware(self) -> Middleware:
        """An aiohttp client middleware that authenticates requests to the identity host.

        ``aiohttp.ClientSession(middlewares=[session.middleware])``: each request to the
        service's origin (its scheme, host and port: never another port of the same host) gets
        ``Authorization: Bearer <fresh token>``; a 401 renews the token once (only if the
        refused token is still the current one) and retries the request once, if its body can
        be sent again (bytes, a string, a form, a file that rewinds; a stream cannot, and its
        401 is returned as it came). Other requests pass untouched: see ``middleware_for`` to
        name more hosts.
        """
        if self._middleware is None:
            self._middleware = self.middleware_for()
        return self._middleware

    @property
    def httpx_auth(self) -> httpx.Auth:
        """An ``httpx.Auth`` running the same bearer flow as ``request()`` and the middleware:
        ``httpx.AsyncClient(auth=session.httpx_auth)`` sends every request with a fresh token,
        and on a 401 renews once (only if the refused token is still the current one) and
        sends once more. Needs httpx (``pip install 'frontegg-async[httpx]'``)."""
        try:
            from ._httpx import FronteggAuth
        except ImportError:
            raise ConfigurationError(
                "session.httpx_auth needs httpx: pip install 'frontegg-async[httpx]'"
            ) from None
        return FronteggAuth(self.access_token, self._engine.renew_if_current)

    def middleware_for(self, *hosts: str) -> Middleware:
        """Like ``middleware``, for requests to the hosts you name (on any port; plain http
        only on loopback). With none, the identity service's origin only."""
        return self._http.middleware_for(*hosts)

    # -- lifecycle ------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Stop renewing, end event streams, and close the HTTP session if this session made it.

        Idempotent. A ClientSession passed as ``http=`` is never closed.
        """
        await self._engine.aclose()
        await self._transport.aclose()

    async def __aenter__(self) -> Self:
        try:
            await self._start()
        except BaseException:
            await self.aclose()
            raise
        return self

    async def _start(self) -> None:
        """What entering ``async with`` does: log in, or take up the store's set."""
        await self._engine.login(resume_first=True)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
