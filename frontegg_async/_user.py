"""``FronteggSession``: a user's session, from an email and a password (and TOTP for MFA)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType

import aiohttp
from yarl import URL

from ._clock import Clock
from ._convert import structure
from ._core.flows import Strategy, UserPassword
from ._errors import ConfigurationError, FronteggError, MfaRequiredError, SessionExpiredError
from ._models import AuthResponse, User
from ._regions import Region
from ._secrets import Secret
from ._session import _require, _TokenSession, _url_of
from ._stores import TokenStore
from ._stores.codec import StoreIdentity
from ._totp import decode_secret

logger = logging.getLogger("frontegg_async")

ME_PATH = "resources/users/v2/me"
SWITCH_TENANT_PATH = "resources/users/v1/tenant"


class FronteggSession(_TokenSession[AuthResponse]):
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
        application_id: the Frontegg application the user signs in to: sent as
            ``frontegg-requested-application-id`` on the auth calls (as Frontegg's SDKs do),
            and, before ``client_id``, the name of the refresh cookie when the server set none.
        http: an ``aiohttp.ClientSession`` of yours to send requests with; it is never closed
            here. By default the session makes and closes its own.
        refresh_ratio: refresh once this fraction of the lifetime has passed, in (0, 1].
        relogin: log in again with the stored credentials when a refresh is refused.
        totp_secret: base32 TOTP secret, to answer MFA challenges unattended.
        timeout: seconds allowed for each HTTP call.
        clock: where time is read and slept on (tests inject one that jumps).
        store: where the token set is kept (default: in memory, for this session alone). A
            shared store (``FileStore``) lets sessions in several processes take turns: one
            renews, the others take up its tokens, and a restart resumes without a login.

    The auth calls also carry ``Origin`` (the identity URL's scheme, host and port), as
    Frontegg's iOS, Android and Next.js SDKs send it on every call.
    """

    def __init__(
        self,
        base_url: Region | URL | str,
        *,
        email: str,
        password: str,
        vendor_host: str | None = None,
        client_id: str | None = None,
        application_id: str | None = None,
        http: aiohttp.ClientSession | None = None,
        refresh_ratio: float = 0.8,
        relogin: bool = True,
        totp_secret: str | None = None,
        timeout: float = 10.0,
        clock: Clock | None = None,
        store: TokenStore | None = None,
    ) -> None:
        if isinstance(base_url, Region) and vendor_host is None:
            raise ConfigurationError(
                "vendor_host is required with a Region: pass your Frontegg domain, "
                "e.g. vendor_host='app-xxxx.frontegg.com'"
            )
        url = _url_of(base_url, region_url=lambda r: r.identity_url, what="base_url")
        vendor_host = vendor_host if vendor_host is not None else url.host
        _require(vendor_host or "", "vendor_host", plain=True)
        _require(email, "email", plain=True)
        if client_id is not None:
            _require(client_id, "client_id", plain=True)
        if application_id is not None:
            _require(application_id, "application_id", plain=True)
        _require(password, "password")
        if totp_secret is not None:
            failure: ConfigurationError | None = None
            try:
                decode_secret(totp_secret)  # fail now, not at the first MFA challenge
            except ValueError as error:
                failure = ConfigurationError(str(error))  # raised below: no secret in a chain
            if failure is not None:
                raise failure
        self._email = email
        self._pending_mfa: Secret | None = None
        self._user_password: UserPassword | None = None

        def make_strategy(now: Callable[[], float]) -> Strategy[AuthResponse]:
            self._user_password = UserPassword(
                base_url=url,
                vendor_host=vendor_host or "",
                email=email,
                password=Secret(password),
                totp_secret=None if totp_secret is None else Secret(totp_secret),
                client_id=client_id,
                application_id=application_id,
                clock=now,
            )
            return self._user_password

        super().__init__(
            identity_url=url,
            name=f"FronteggSession({email})",
            make_strategy=make_strategy,
            http=http,
            refresh_ratio=refresh_ratio,
            relogin=relogin,
            timeout=timeout,
            clock=clock,
            store=store,
            identity=StoreIdentity(
                kind="user", url=str(url), subject=email.lower(), vendor_host=vendor_host
            ),
        )

    @property
    def base_url(self) -> URL:
        """The identity base URL requests go to."""
        return self._identity_url

    async def login(self) -> AuthResponse:
        """Log in with the stored credentials and start background renewal.

        The first login of a session whose store holds this identity's token set is a
        restart: it takes the set up (renewing it with its refresh token if the access token
        lapsed) instead of logging in. Later calls always log in afresh.

        Raises ``MfaRequiredError`` when a second factor is needed and no ``totp_secret`` was
        given: finish with ``verify_mfa(code)``. Bad credentials raise ``AuthenticationError``.
        """
        return await self._login(resume_first=False)

    async def _login(self, *, resume_first: bool) -> AuthResponse:
        try:
            tokens = await self._engine.login(resume_first=resume_first)
        except MfaRequiredError as challenge:
            self._pending_mfa = Secret(challenge.mfa_token)
            raise
        self._pending_mfa = None
        return tokens.answer

    async def verify_mfa(self, code: str) -> AuthResponse:
        """Finish a login that raised ``MfaRequiredError`` with the authenticator app's code."""
        pending, strategy = self._pending_mfa, self._user_password
        if pending is None or strategy is None:
            raise SessionExpiredError(
                "there is no MFA challenge to answer: call login() first; it raises "
                "MfaRequiredError when a code is needed"
            )
        tokens = await self._engine.complete(
            lambda: self._transport.drive(strategy.verify_mfa(pending.reveal(), code.strip()))
        )
        self._pending_mfa = None
        return tokens.answer

    async def me(self) -> User:
        """The logged-in user's profile (``GET /resources/users/v2/me``)."""
        body = await self.request("GET", ME_PATH)
        return structure(body, User, what=f"GET {ME_PATH}")

    async def switch_tenant(self, tenant_id: str) -> User:
        """Make ``tenant_id`` the user's active tenant, then refresh so the JWT names it.

        ``PUT /resources/users/v1/tenant``; returns the updated user. When this returns,
        ``claims.tenant_id`` is ``tenant_id``.
        """
        _require(tenant_id, "tenant_id")
        # No frontegg-tenant-id / frontegg-user-id: the spec requires them, but the gateway
        # derives both from the user's token and none of Frontegg's clients sends them.
        body = await self.request("PUT", SWITCH_TENANT_PATH, json={"tenantId": tenant_id})
        user = structure(body, User, what=f"PUT {SWITCH_TENANT_PATH}")
        await self._engine.refresh(after_current=True)
        return user

    async def logout(self) -> None:
        """Log out on the server (the refresh token stops working) and stop renewing."""
        await self._engine.logout()

    async def _start(self) -> None:
        # As login(), so that an MFA challenge met on entering can be answered with verify_mfa.
        await self._login(resume_first=True)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # With a shared store, the refresh token belongs to every sharer: leaving closes this
        # session only. logout() stays there to end the session for all of them.
        shared = self._store is not None and self._store.shared
        try:
            if not self.closed and not shared and self._engine.tokens is not None:
                try:
                    await self.logout()
                except FronteggError as error:
                    logger.warning("logout on exit failed (%s); closing anyway", error)
        finally:
            await self.aclose()
