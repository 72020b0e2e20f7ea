"""``FakeFrontegg``: a Frontegg identity service on loopback, for tests (yours and ours).

This module is the server: its lifecycle, the route table, recording and the test controls.
The routes live in ``_auth_routes`` and ``_routes``, the faults in ``_faults``, the keys and
tokens in ``_identity``, the spec's operations in ``_spec``.
"""

from __future__ import annotations

import asyncio
import collections
import json
import random
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web
from yarl import URL

from ._common import (
    API,
    API_TOKEN,
    API_TOKEN_REFRESH,
    CONFIGURATION,
    IDENTITY_PREFIXES,
    JWKS,
    LOGIN,
    LOGOUT,
    ME,
    ME_TENANTS,
    MFA_VERIFY,
    OAUTH_AUTHORIZE,
    OAUTH_LOGIN,
    OAUTH_LOGOUT,
    OAUTH_PREFIXES,
    OAUTH_SILENT,
    OAUTH_TOKEN,
    REFRESH,
    SWITCH_TENANT,
    USERS,
    VENDOR,
    ApiGrant,
    FakeApiToken,
    FakeUser,
    Handler,
    RecordedRequest,
    RefreshGrant,
    raw_path,
)
from ._faults import Fault, FaultControls
from ._identity import SigningKeys
from ._oauth import AuthorizationCode, OAuthRoutes
from ._routes import ResourceRoutes
from ._spec import SpecTable

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["FakeApiToken", "FakeFrontegg", "FakeUser", "Fault", "RecordedRequest"]


class FakeFrontegg(FaultControls, OAuthRoutes, ResourceRoutes):
    """A Frontegg identity service on 127.0.0.1, for tests (yours and ours).

    It serves, as Frontegg's spec and its own clients describe them (PROTOCOL.md), under both
    ``/identity`` and ``/frontegg/identity``: user login, refresh (with the refresh cookie
    only), logout, MFA verification, ``/resources/users/v2/me`` and ``v3/me``,
    ``/resources/users/v3/me/tenants`` and tenant switching; API tokens (v2) with rotating
    refresh; the environment token at ``url / "auth/vendor"``; a users listing; the
    configuration with the signing key's PEM; the JWKS at ``/.well-known/jwks.json``; and every
    other operation of the spec, checked against it and answered from its schemas. Tokens are
    RS256 JWTs with Frontegg's claims and a ``kid``; refresh tokens are single use (a user's
    travel in an ``fe_refresh_<clientId>`` cookie); errors are ``{"errors": [...]}`` bodies.
    ``fail_next`` injects faults; ``calls`` counts calls per endpoint; ``requests`` records
    every request with the answer sent.

    Args:
        token_lifetime: seconds an access token lives (``expiresIn``), for every kind.
        client_id: the environment's client id, which names the refresh cookie and, with
            ``environment_secret``, authenticates ``/auth/vendor``.
        environment_secret: the environment's API key.
        clock: seconds since the epoch; share a ``JumpingClock``'s ``time`` with the session to
            make both sides see the same jumps.
        issuer: the tokens' ``iss`` (default: the fake's own URL).
        record_requests: keep every request in ``requests`` (on by default).
        port: the port to listen on (0, the default, picks a free one).
        own_key: sign with an RSA key of this fake's own (by default the fakes of a process
            share one key, each with its own ``kid``: making a key takes tens of ms).
        strict_headers: demand every header the spec marks required, as the spec reads
            (``frontegg-vendor-host`` on refresh, the tenant and user headers with a user's
            token), where Frontegg's clients send none of them.
    """

    def __init__(
        self,
        *,
        token_lifetime: float = 60.0,
        client_id: str = "0f4a7a51-7a6e-4d3b-9a0e-3f1c2b7d9e10",
        environment_secret: str = "fake-environment-api-key",  # noqa: S107 - a fake's
        clock: Callable[[], float] = time.time,
        issuer: str | None = None,
        record_requests: bool = True,
        port: int = 0,
        own_key: bool = False,
        strict_headers: bool = False,
    ) -> None:
        self.token_lifetime = token_lifetime
        self.client_id = client_id
        self.environment_secret = environment_secret
        #: When set, JWTs say they live this long (``exp - iat``) whatever ``expiresIn`` says:
        #: a server whose two statements of a token's life disagree.
        self.jwt_lifetime: float | None = None
        self._issuer = issuer
        #: Demand every header the spec marks required, as the spec reads (see
        #: ``DERIVED_HEADERS``); off by default, as on Frontegg's domains.
        self.strict_headers = strict_headers
        self.calls: collections.Counter[str] = collections.Counter()
        #: Requests that matched an operation of the spec, validated and were answered with
        #: success, by the operation's ``group.method`` name in ``FronteggClient`` (the
        #: sessions' own calls included).
        self.api_calls: collections.Counter[str] = collections.Counter()
        #: Whether spec-generated answers carry the optional properties too (else only the
        #: required ones).
        self.answer_optional_fields = True
        self._answers: dict[tuple[str, bool], bytes | None] = {}
        self.requests: list[RecordedRequest] = []
        #: Whether ``requests`` is kept (benchmarks turn it off: it grows with every call).
        self.record_requests = record_requests
        self._wanted_port = port
        #: Refresh tokens presented after they had been used once (rotation violations).
        self.reused_refresh_tokens = 0
        self._clock = clock
        self._keys = SigningKeys(own_key=own_key)
        self._users: dict[str, FakeUser] = {}
        self._grants: dict[str, RefreshGrant] = {}
        self._revoked_access: set[str] = set()
        self._api_tokens: dict[str, FakeApiToken] = {}
        self._api_grants: dict[str, ApiGrant] = {}
        # Access tokens carry a serial number; reject_access_tokens() raises the floor.
        self._serial = 0
        self._min_serial = 0
        self._mfa_challenges: dict[str, FakeUser] = {}
        self._oauth_codes: dict[str, AuthorizationCode] = {}
        self._oauth_challenges: dict[str, FakeUser] = {}
        self._faults: dict[str, collections.deque[Fault]] = collections.defaultdict(
            collections.deque
        )
        self._random_faults: dict[str, tuple[float, random.Random, tuple[Fault, ...]]] = {}
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._port: int | None = None

    async def start(self) -> None:
        """Listen on 127.0.0.1, on ``port`` (by default a free one)."""
        app = web.Application()
        identity_routes: list[tuple[str, str, str, Handler]] = [
            ("POST", "/resources/auth/v1/user", LOGIN, self._login),
            ("POST", "/resources/auth/v1/user/token/refresh", REFRESH, self._refresh),
            ("POST", "/resources/auth/v1/logout", LOGOUT, self._logout),
            ("POST", "/resources/auth/v1/user/mfa/verify", MFA_VERIFY, self._mfa_verify),
            ("GET", "/resources/users/v2/me", ME, self._me),
            # Not in the published spec; every Frontegg client loads it after login.
            ("GET", "/resources/users/v3/me/tenants", ME_TENANTS, self._me_tenants),
            ("POST", "/resources/auth/v2/api-token", API_TOKEN, self._api_token),
            (
                "POST",
                "/resources/auth/v2/api-token/token/refresh",
                API_TOKEN_REFRESH,
                self._api_token_refresh,
            ),
            ("PUT", "/resources/users/v1/tenant", SWITCH_TENANT, self._switch_tenant),
            ("GET", "/resources/users/v3", USERS, self._users_page),
            # Frontegg's Python SDK asks with a trailing slash, its Node SDK without.
            ("GET", "/resources/configurations/v1", CONFIGURATION, self._configuration),
            ("GET", "/resources/configurations/v1/", CONFIGURATION, self._configuration),
        ]
        routes: list[tuple[str, str, str, Handler]] = [
            (method, prefix + path, endpoint, handler)
            for prefix in IDENTITY_PREFIXES
            for method, path, endpoint, handler in identity_routes
        ]
        routes += [
            ("POST", "/auth/vendor", VENDOR, self._vendor),
            # Frontegg's own Python SDK posts to the path with a trailing slash.
            ("POST", "/auth/vendor/", VENDOR, self._vendor),
            ("GET", "/.well-known/jwks.json", JWKS, self._jwks),
        ]
        oauth_routes: list[tuple[str, str, str, Handler]] = [
            ("GET", "/authorize", OAUTH_AUTHORIZE, self._oauth_authorize),
            ("POST", "/authorize/login", OAUTH_LOGIN, self._oauth_login),
            ("POST", "/token", OAUTH_TOKEN, self._oauth_token),
            ("POST", "/authorize/silent", OAUTH_SILENT, self._oauth_silent),
            ("POST", "/logout/token", OAUTH_LOGOUT, self._oauth_logout),
        ]
        routes += [
            (method, prefix + path, endpoint, handler)
            for prefix in OAUTH_PREFIXES
            for method, path, endpoint, handler in oauth_routes
        ]
        # Last: every operation of the spec that no route above answers by hand.
        routes += [
            ("*", prefix + "/{tail:.*}", API, self._spec_answer) for prefix in IDENTITY_PREFIXES
        ]
        self._spec = SpecTable.load()
        for method, path, endpoint, handler in routes:
            app.router.add_route(method, path, self._guarded(endpoint, handler))
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=0.1
        )
        await self._runner.setup()
        await self._listen(self._wanted_port)

    async def _listen(self, port: int) -> None:
        assert self._runner is not None
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self._port = sockets[0].getsockname()[1]
        self._site = site

    async def refuse_connections(self) -> None:
        """Stop listening and drop every open connection: clients get "connection refused"."""
        site, self._site = self._site, None
        if site is not None:
            await site.stop()
        if self._runner is not None and self._runner.server is not None:
            for handler in self._runner.server.connections:
                handler.force_close()

    async def accept_connections(self) -> None:
        """Listen again, on the same port, after ``refuse_connections()``."""
        if self._site is None and self._port is not None:
            await self._listen(self._port)

    async def close(self) -> None:
        """Stop listening."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeFrontegg:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def add_user(
        self,
        email: str,
        password: str,
        *,
        totp_secret: str | None = None,
        **details: Any,
    ) -> FakeUser:
        """Add a user who can log in; ``totp_secret`` (base32) turns MFA on for them."""
        user = FakeUser(email=email, password=password, totp_secret=totp_secret, **details)
        if not user.tenant_ids:
            user.tenant_ids = [user.tenant_id]
        self._users[email.lower()] = user
        return user

    def add_api_token(
        self,
        client_id: str,
        secret: str,
        *,
        user_id: str | None = None,
        **details: Any,
    ) -> FakeApiToken:
        """Add an API token: a tenant token, or a user token when ``user_id`` is given."""
        api_token = FakeApiToken(client_id=client_id, secret=secret, user_id=user_id, **details)
        self._api_tokens[client_id] = api_token
        return api_token

    def reject_access_tokens(self) -> None:
        """Make every access token issued so far fail with 401 (as after a key rotation)."""
        self._min_serial = self._serial + 1

    def revoke_sessions(self, email: str | None = None) -> None:
        """Revoke the refresh tokens of one user (or of all), as a logout elsewhere would."""
        for grant in self._grants.values():
            if email is None or grant.user.email.lower() == email.lower():
                grant.revoked = True

    @property
    def jwks_url(self) -> URL:
        """Where the fake publishes its signing keys, as Frontegg does on a domain."""
        return self.url / ".well-known" / "jwks.json"

    @property
    def signing_kid(self) -> str:
        """The ``kid`` of the key that signs the fake's tokens now."""
        return self._keys.kid

    @property
    def signing_key(self) -> rsa.RSAPrivateKey:
        """The private key that signs now (a ``cryptography`` RSA key): for tests that forge
        tokens with it (another algorithm, a tampered header)."""
        return self._keys.current_key

    def sign_token(
        self, claims: Mapping[str, Any], *, header: Mapping[str, Any] | None = None
    ) -> str:
        """An RS256 JWT of exactly ``claims``, signed with the current key and its ``kid``
        (``header`` adds to or overrides the header): a token the fake would never issue
        (expired, for another audience...) that still carries a genuine signature, for tests
        of a verifier."""
        return self._keys.sign(dict(claims), header=header)

    def public_key_pem(self) -> str:
        """The current signing key's public half, as PEM (what Frontegg's configuration
        endpoint calls ``publicKey``)."""
        return self._keys.public_pem()

    def rotate_signing_key(self, *, grace: float = 300.0) -> str:
        """Sign with a new RSA key from now on and return its ``kid``; the old key stays in
        the JWKS for ``grace`` seconds, so that tokens it signed still verify there (and a
        verifier's cache of it can be tested)."""
        return self._keys.rotate(now=self._clock(), grace=grace)

    def _guarded(
        self, endpoint: str, handler: Handler
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def guarded(request: web.Request) -> web.StreamResponse:
            self.calls[endpoint] += 1
            received_at = self._clock()
            raw = await request.read()
            body: Any
            if request.content_type == "application/x-www-form-urlencoded":
                # Hosted login's form and OAuth token requests (RFC 6749 allows both).
                body = dict(urllib.parse.parse_qsl(raw.decode("utf-8", "replace")))
            else:
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = ValueError
            fault = self._next_fault(endpoint)
            if fault is not None and fault.delay:
                await asyncio.sleep(fault.delay)
            if fault is not None and (
                fault.drop or fault.status is not None or fault.body is not None
            ):
                response = await self._apply(request, fault)
            elif body is ValueError:
                response = self._error(400, "Request body is not valid JSON")
            elif endpoint == API:
                response = await handler(request, body)
            else:
                found = self._spec.match(request.method, raw_path(request))
                problems = [] if found is None else self._check_request(request, *found, raw)
                if problems:
                    response = self._error(400, *problems)
                else:
                    response = await handler(request, body)
                    if found is not None and response.status < 300:
                        self.api_calls[found[0].name] += 1
            if self.record_requests:
                self._record(endpoint, received_at, request, body, response)
            return response

        return guarded

    def _record(
        self,
        endpoint: str,
        received_at: float,
        request: web.Request,
        body: Any,
        response: web.StreamResponse,
    ) -> None:
        sent: Any = None
        if isinstance(response, web.Response) and response.body:
            try:
                sent = json.loads(response.body)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                sent = None
        self.requests.append(
            RecordedRequest(
                endpoint=endpoint,
                at=received_at,
                method=request.method,
                path=request.path,
                headers=dict(request.headers),
                cookies=dict(request.cookies),
                json=None if body is ValueError else body,
                status=response.status,
                response_json=sent,
                query=tuple(request.query.items()),
            )
        )
