"""Sessions that start in a browser: ``OAuthSession`` and ``hosted_login()``.

``hosted_login()`` signs a user in through Frontegg's hosted login box (SSO, social login,
passkeys, MFA: whatever the environment offers) and returns an ``OAuthSession`` that keeps that
identity fresh from then on, on the same renewal engine as every other session. The redirect
comes back to a listener on 127.0.0.1 (a free port), which answers one page and stops.
``OAuthSession`` also adopts a refresh token obtained elsewhere, or resumes from a store that
``hosted_login(store=...)`` or ``frontegg-async login`` wrote.
"""

from __future__ import annotations

import asyncio
import html
import inspect
import socket
import webbrowser
from collections.abc import Callable

import aiohttp
from aiohttp import web
from yarl import URL

from ._clock import Clock
from ._core.flows import Strategy
from ._core.oauth import (
    SIGN_IN_AGAIN,
    HostedLogin,
    SignIn,
    authorize_url,
    check_nonce,
    code_from_redirect,
    start_sign_in,
)
from ._errors import AuthenticationError, ConfigurationError
from ._http import check_base_url
from ._models import OAuthTokens
from ._secrets import Secret
from ._session import _require, _TokenSession
from ._stores import TokenStore
from ._stores.codec import StoreIdentity

#: Where the browser is sent back to, on the loopback listener.
CALLBACK_PATH = "/callback"

#: Opens the sign-in URL for the user: plain or async (the default: the ``webbrowser`` module).
OpenBrowser = Callable[[str], object]


def _domain_of(base_url: URL | str) -> URL:
    """The Frontegg domain, from it or from its identity URL (``.../identity``)."""
    if not isinstance(base_url, str | URL):
        raise ConfigurationError(
            "base_url must be your Frontegg domain, such as https://app-xxxx.frontegg.com, "
            f"not {type(base_url).__name__}"
        )
    url = check_base_url(URL(base_url) if isinstance(base_url, str) else base_url)
    for suffix in ("/frontegg/identity", "/identity"):
        if url.path.endswith(suffix):
            url = url.with_path(url.path[: -len(suffix)] or "/")
    return url


class OAuthSession(_TokenSession[OAuthTokens]):
    """A user's session that started in a browser (Frontegg's hosted login), kept fresh.

    It renews with the refresh token at Frontegg's ``POST /oauth/token`` (rotating), with every
    guarantee of the other sessions: one renewal for any number of callers, retries bounded by
    the token's life, stores shared by a fleet, events, no secret in any log. It cannot sign in
    by itself: a refused refresh token ends it with ``SessionExpiredError``, saying to sign in
    again (``hosted_login()``, or ``frontegg-async login`` for a store).

    Args:
        base_url: your Frontegg domain, e.g. ``"https://app-xxxx.frontegg.com"`` (its identity
            URL, ending in ``/identity``, is read as the domain too).
        client_id: the environment's client id, or the application's id.
        refresh_token: a refresh token obtained elsewhere (a web app's), spent on first use.
        store: where the token set is kept; a ``FileStore`` written by ``hosted_login`` or
            ``frontegg-async login`` resumes the identity with no browser.
        http, refresh_ratio, timeout, clock: as for ``FronteggSession``.

    ``access_token()`` gives the JWT Frontegg's web SDK uses as the user's bearer (the ID
    token); ``request()``, ``middleware`` and ``FronteggClient(session)`` send it to the
    domain's ``/identity`` API. Leaving ``async with`` closes the session without logging out
    (the identity came from a browser and cannot come back without one); ``logout()`` ends it.
    """

    def __init__(
        self,
        base_url: URL | str,
        *,
        client_id: str,
        refresh_token: str | None = None,
        store: TokenStore | None = None,
        http: aiohttp.ClientSession | None = None,
        refresh_ratio: float = 0.8,
        timeout: float = 10.0,
        clock: Clock | None = None,
    ) -> None:
        domain = _domain_of(base_url)
        _require(client_id, "client_id", plain=True)
        if refresh_token is not None:
            _require(refresh_token, "refresh_token")
        self._domain = domain
        self._client_id = client_id
        self._hosted: HostedLogin | None = None
        adopted = None if refresh_token is None else Secret(refresh_token)

        def make_strategy(now: Callable[[], float]) -> Strategy[OAuthTokens]:
            self._hosted = HostedLogin(
                domain=domain, client_id=client_id, clock=now, adopted=adopted
            )
            return self._hosted

        super().__init__(
            identity_url=domain / "identity",
            name=f"OAuthSession({client_id})",
            make_strategy=make_strategy,
            http=http,
            refresh_ratio=refresh_ratio,
            # Nothing to log in with: a refusal ends the session, saying to sign in again.
            relogin=False,
            timeout=timeout,
            clock=clock,
            store=store,
            identity=StoreIdentity(kind="oauth", url=str(domain), subject=client_id),
        )

    @property
    def domain(self) -> URL:
        """The Frontegg domain the session signs in and renews at."""
        return self._domain

    async def login(self) -> OAuthTokens:
        """Start from the set held, the store's, or the refresh token handed over (renewing
        when its token lapsed: never the browser while a refresh token lives)."""
        if self._engine.tokens is None:
            return (await self._engine.login(resume_first=True)).answer
        await self.access_token()
        tokens = self._engine.tokens
        assert tokens is not None
        return tokens.answer

    async def _start(self) -> None:
        await self.login()

    async def logout(self) -> None:
        """Revoke the refresh token at Frontegg and forget the set (in the store too)."""
        await self._engine.logout()

    async def _sign_in(self, code: str, sign_in: SignIn, redirect_uri: str) -> OAuthTokens:
        """Install the set the browser's code is exchanged for."""
        hosted = self._hosted
        assert hosted is not None
        tokens = await self._engine.complete(
            lambda: self._transport.drive(hosted.exchange(code, sign_in, redirect_uri))
        )
        check_nonce(tokens, sign_in)
        return tokens.answer


class _Listener:
    """The loopback end of the redirect: one page, one redirect, then it stops."""

    def __init__(self) -> None:
        self._redirect: asyncio.Future[dict[str, str]] = asyncio.get_running_loop().create_future()
        self._runner: web.AppRunner | None = None
        self.redirect_uri = ""

    async def __aenter__(self) -> _Listener:
        app = web.Application()
        app.router.add_get(CALLBACK_PATH, self._callback)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        # Bound here, on loopback only, so that the port is known before the browser leaves.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self.redirect_uri = f"http://127.0.0.1:{port}{CALLBACK_PATH}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _callback(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        if not self._redirect.done():
            self._redirect.set_result(query)
        if "error" in query:
            title, said = (
                "Sign-in failed",
                html.escape(query.get("error_description") or query["error"]),
            )
        else:
            title, said = "Signed in", "You can close this tab and go back to your application."
        page = (
            f"<!doctype html><html><head><title>{title}</title></head>"
            f"<body><h1>{title}</h1><p>{said}</p></body></html>"
        )
        return web.Response(text=page, content_type="text/html")

    async def redirect(self, within: float) -> dict[str, str]:
        """The query of the redirect, once the browser comes back (within ``within`` s)."""
        try:
            async with asyncio.timeout(within):
                return await asyncio.shield(self._redirect)
        except TimeoutError:
            pass
        raise AuthenticationError(
            f"no sign-in came back within {within:g} s (the browser never reached "
            f"{self.redirect_uri}); {SIGN_IN_AGAIN}"
        )


async def _open(open_browser: OpenBrowser | None, url: str) -> None:
    if open_browser is None:
        # webbrowser blocks while it starts a browser (and honours $BROWSER): off the loop.
        opened = await asyncio.get_running_loop().run_in_executor(None, webbrowser.open, url)
        if not opened:
            raise AuthenticationError(
                f"no browser could be started to sign in; open this address yourself: {url}"
            )
        return
    result = open_browser(url)
    if inspect.isawaitable(result):
        await result


async def hosted_login(
    base_url: URL | str,
    *,
    client_id: str,
    open_browser: OpenBrowser | None = None,
    store: TokenStore | None = None,
    # How long the user may take is part of what the call is, not a bound a caller adds.
    timeout: float = 300.0,  # noqa: ASYNC109
    http: aiohttp.ClientSession | None = None,
    clock: Clock | None = None,
) -> OAuthSession:
    """Sign a user in through Frontegg's hosted login in a browser; returns the session.

    ``open_browser(url)`` (plain or async) shows the user ``url``; by default the
    ``webbrowser`` module opens it (``$BROWSER`` is honoured). The redirect comes back to a
    listener on 127.0.0.1; its ``state`` is checked, and the code is exchanged with PKCE (S256)
    at ``POST /oauth/token``. With ``store``, the identity is kept there (a ``FileStore`` for a
    CLI: ``OAuthSession(..., store=...)`` resumes it later with no browser).

    Raises ``AuthenticationError`` when the sign-in is refused (an ``error=`` redirect), when a
    redirect carries another state, or when none comes back within ``timeout`` seconds.
    """
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or not timeout > 0:
        raise ConfigurationError(f"timeout must be a positive number, not {timeout!r}")
    session = OAuthSession(base_url, client_id=client_id, store=store, http=http, clock=clock)
    try:
        sign_in = start_sign_in()
        async with _Listener() as listener:
            url = authorize_url(
                session.domain,
                client_id=client_id,
                redirect_uri=listener.redirect_uri,
                sign_in=sign_in,
            )
            await _open(open_browser, str(url))
            query = await listener.redirect(timeout)
        code = code_from_redirect(query, sign_in)
        await session._sign_in(code, sign_in, listener.redirect_uri)
    except BaseException:
        await session.aclose()
        raise
    return session
