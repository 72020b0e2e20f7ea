"""``FronteggSession``: a user's session, kept fresh by the renewal engine."""

from __future__ import annotations

import ipaddress
import logging
import time
from types import TracebackType

import aiohttp
from yarl import URL

from ._clock import Clock, SystemClock
from ._engine import TokenEngine
from ._errors import FronteggError, MfaRequiredError, SessionExpiredError
from ._models import AuthResponse
from ._regions import Region
from ._secrets import Secret
from ._strategies import UserPassword
from ._totp import decode_secret
from ._transport import Transport

logger = logging.getLogger("frontegg_async")


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


def check_base_url(url: URL, *, what: str = "base_url") -> URL:
    """Validate a base URL: absolute, https (or http on loopback), no query or credentials."""
    if not url.is_absolute() or url.host is None:
        raise ValueError(
            f"{what} must be an absolute URL such as https://app-xxxx.frontegg.com/identity"
        )
    if url.scheme not in ("https", "http"):
        raise ValueError(f"{what} must use https, not {url.scheme!r}")
    if url.scheme == "http" and not is_loopback_host(url.host):
        raise ValueError(
            f"{what} uses plain http to {url.host}: credentials would travel unencrypted; "
            "use https (plain http is allowed on loopback only, for tests)"
        )
    if url.user is not None or url.password is not None:
        raise ValueError(f"{what} must not carry credentials")
    if url.query_string or url.fragment:
        raise ValueError(f"{what} must not have a query or a fragment")
    return url.with_path(url.path.rstrip("/") or "/")


class FronteggSession:
    """A Frontegg user session that logs in once and keeps its JWT fresh in the background.

    Use it as an async context manager (login on enter; logout and close on exit), then
    ``await session.access_token()`` whenever a token is needed: it is never expired and never
    within the leeway of expiry. Renewal happens in one background task per session, before
    ``refresh_ratio`` of the token's lifetime has passed; concurrent callers share one refresh.

    Args:
        base_url: a ``Region`` or the identity base URL, e.g.
            ``"https://app-xxxx.frontegg.com/identity"``.
        email: the user's email.
        password: the user's password (kept out of every repr, message and log).
        vendor_host: the ``frontegg-vendor-host`` header; defaults to the host of a URL
            ``base_url``, and is required with a ``Region``.
        client_id: names the refresh cookie when the server set none.
        http: an ``aiohttp.ClientSession`` of yours to send requests with; it is never closed
            here. By default the session makes and closes its own.
        refresh_ratio: refresh once this fraction of the lifetime has passed, in (0, 1].
        relogin: log in again with the stored credentials when a refresh is refused.
        totp_secret: base32 TOTP secret, to answer MFA challenges unattended.
        timeout: seconds allowed for each HTTP call.
        clock: where time is read and slept on (tests inject one that jumps).
    """

    def __init__(
        self,
        base_url: Region | URL | str,
        *,
        email: str,
        password: str,
        vendor_host: str | None = None,
        client_id: str | None = None,
        http: aiohttp.ClientSession | None = None,
        refresh_ratio: float = 0.8,
        relogin: bool = True,
        totp_secret: str | None = None,
        timeout: float = 10.0,
        clock: Clock | None = None,
    ) -> None:
        if isinstance(base_url, Region):
            if vendor_host is None:
                raise ValueError(
                    "vendor_host is required with a Region: pass your Frontegg domain, "
                    "e.g. vendor_host='app-xxxx.frontegg.com'"
                )
            url = base_url.identity_url
        else:
            url = check_base_url(URL(base_url) if isinstance(base_url, str) else base_url)
            if vendor_host is None:
                vendor_host = url.host
        if not vendor_host:
            raise ValueError("vendor_host must not be empty")
        if not email:
            raise ValueError("email must not be empty")
        if not password:
            raise ValueError("password must not be empty")
        if not 0 < refresh_ratio <= 1:
            raise ValueError(f"refresh_ratio must be in (0, 1], not {refresh_ratio!r}")
        if not timeout > 0:
            raise ValueError(f"timeout must be positive, not {timeout!r}")
        if totp_secret is not None:
            decode_secret(totp_secret)  # fail now, not at the first MFA challenge
        self._base_url = url
        self._email = email
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._now = time.time if clock is None else self._clock.time
        self._transport = Transport(http, timeout=timeout)
        self._strategy = UserPassword(
            self._transport,
            base_url=url,
            vendor_host=vendor_host,
            email=email,
            password=Secret(password),
            totp_secret=None if totp_secret is None else Secret(totp_secret),
            client_id=client_id,
            clock=self._clock.time,
        )
        self._engine = TokenEngine(
            self._strategy,
            name=f"FronteggSession({email})",
            clock=self._clock,
            refresh_ratio=refresh_ratio,
            relogin=relogin,
        )
        self._pending_mfa: Secret | None = None

    def __repr__(self) -> str:
        state = self._engine.tokens
        token = f"token={state.fingerprint}" if state is not None else "no token"
        return f"<FronteggSession {self._email} at {self._base_url} {token}>"

    @property
    def base_url(self) -> URL:
        """The identity base URL requests go to."""
        return self._base_url

    @property
    def auth(self) -> AuthResponse | None:
        """The latest answer from a login, MFA verification or refresh, or None."""
        tokens = self._engine.tokens
        return None if tokens is None else tokens.auth

    @property
    def last_error(self) -> FronteggError | None:
        """The most recent failure, including ones the background task recovered from."""
        return self._engine.last_error

    @property
    def closed(self) -> bool:
        """Whether ``aclose()`` was called."""
        return self._engine.closed

    async def login(self) -> AuthResponse:
        """Log in with the stored credentials and start background renewal.

        Raises ``MfaRequiredError`` when a second factor is needed and no ``totp_secret`` was
        given: finish with ``verify_mfa(code)``. Bad credentials raise ``AuthenticationError``.
        """
        try:
            tokens = await self._engine.login()
        except MfaRequiredError as challenge:
            self._pending_mfa = Secret(challenge.mfa_token)
            raise
        self._pending_mfa = None
        assert tokens.auth is not None
        return tokens.auth

    async def verify_mfa(self, code: str) -> AuthResponse:
        """Finish a login that raised ``MfaRequiredError`` with the authenticator app's code."""
        pending = self._pending_mfa
        if pending is None:
            raise SessionExpiredError(
                "there is no MFA challenge to answer: call login() first; it raises "
                "MfaRequiredError when a code is needed"
            )
        tokens = await self._engine.complete(
            lambda: self._strategy.verify_mfa(pending.reveal(), code.strip())
        )
        self._pending_mfa = None
        assert tokens.auth is not None
        return tokens.auth

    async def access_token(self) -> str:
        """A JWT valid for at least the leeway (5 s, at most a tenth of its lifetime).

        Logs in first when the session never has. Waits only when the token must be renewed,
        and then for the one renewal in flight. Raises ``SessionExpiredError`` at once when the
        token has lapsed and renewal failed for good.
        """
        engine = self._engine
        if self._now() < engine.hot_until:
            return engine.hot_token
        return await engine.access_token()

    async def refresh(self) -> AuthResponse:
        """Renew the token now (joining a renewal already in flight) and return the answer."""
        tokens = await self._engine.refresh()
        assert tokens.auth is not None
        return tokens.auth

    async def logout(self) -> None:
        """Log out on the server (the refresh token stops working) and stop renewing."""
        await self._engine.logout()

    async def aclose(self) -> None:
        """Stop renewing and close the HTTP session if this session created it. Idempotent."""
        await self._engine.aclose()
        await self._transport.aclose()

    async def __aenter__(self) -> FronteggSession:
        try:
            await self.login()
        except BaseException:
            await self.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self.closed and self._engine.tokens is not None:
                try:
                    await self.logout()
                except FronteggError as error:
                    logger.warning("logout on exit failed (%s); closing anyway", error)
        finally:
            await self.aclose()
