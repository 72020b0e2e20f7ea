"""A fake Frontegg identity service on loopback, faithful to the published spec."""

from __future__ import annotations

import asyncio
import collections
import datetime
import hmac
import json
import random
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from attrs import define, field, frozen
from yarl import URL

from ._identity import (
    REFRESH_COOKIE_PREFIX,
    SigningKeys,
    refresh_cookie_name,
    totp_matches,
    whole_seconds,
)
from ._spec import SpecOperation, SpecTable

Handler = Callable[[web.Request, Any], Awaitable[web.StreamResponse]]

#: Endpoint names used by ``fail_next`` and ``calls``.
LOGIN = "login"
REFRESH = "refresh"
LOGOUT = "logout"
MFA_VERIFY = "mfa_verify"
ME = "me"
VENDOR = "vendor"
API_TOKEN = "api_token"
API_TOKEN_REFRESH = "api_token_refresh"
SWITCH_TENANT = "switch_tenant"
USERS = "users"
ME_TENANTS = "me_tenants"
CONFIGURATION = "configuration"
JWKS = "jwks"
#: Every other identity operation, answered from the spec (see ``api_calls`` for which).
API = "api"
ENDPOINTS = (
    LOGIN,
    REFRESH,
    LOGOUT,
    MFA_VERIFY,
    ME,
    VENDOR,
    API_TOKEN,
    API_TOKEN_REFRESH,
    SWITCH_TENANT,
    USERS,
    ME_TENANTS,
    CONFIGURATION,
    JWKS,
    API,
)
#: Headers the spec marks required that Frontegg's gateway works out for itself on a user's
#: domain, so that none of Frontegg's clients sends them (PROTOCOL.md): the vendor host always;
#: the tenant and the user when a user's token says who they are. ``strict_headers`` demands
#: them as the spec says.
DERIVED_HEADERS = frozenset({"frontegg-vendor-host"})
DERIVED_FROM_USER_TOKEN = frozenset({"frontegg-tenant-id", "frontegg-user-id"})
#: Frontegg keeps at most this many live refresh tokens per API token.
API_TOKEN_LIVE_REFRESH_TOKENS = 100
#: The ``type`` of the tokens that speak for a user (or a user's API token).
USER_TOKEN_TYPES = frozenset({"userToken", "userApiToken", "tenantApiToken"})


@frozen
class Fault:
    """What the fake does instead of answering normally, for one call.

    Exactly the fields given apply, in this order: wait ``delay`` seconds; then ``drop`` the
    connection mid-answer, or answer ``status`` with ``body`` (default ``{"errors": [...]}``) and
    ``headers`` (``retry_after`` sets ``Retry-After``). A fault with only a ``delay`` answers
    normally after it; one with only a ``body`` answers it with status 200.
    """

    status: int | None = None
    body: bytes | None = None
    delay: float = 0.0
    drop: bool = False
    retry_after: float | None = None
    headers: Mapping[str, str] = field(factory=dict)


@define
class FakeUser:
    """A user of the fake, with its tenants and access."""

    email: str
    password: str = field(repr=False)
    id: str = field(factory=lambda: str(uuid.uuid4()))
    name: str = "Test User"
    tenant_id: str = field(factory=lambda: str(uuid.uuid4()))
    tenant_ids: list[str] = field(factory=list)
    roles: list[str] = field(factory=lambda: ["Admin"])
    permissions: list[str] = field(factory=lambda: ["fe.secure.read.users"])
    totp_secret: str | None = field(default=None, repr=False)


@frozen
class RecordedRequest:
    """One request the fake received, and what it answered."""

    endpoint: str
    #: When the fake received it, on the fake's clock.
    at: float
    method: str
    path: str
    headers: Mapping[str, str] = field(repr=False)
    cookies: Mapping[str, str] = field(repr=False)
    json: Any = field(repr=False)
    status: int
    response_json: Any = field(repr=False)
    #: The query string's ``(name, value)`` pairs, in order (a name repeats for an array).
    query: tuple[tuple[str, str], ...] = field(default=(), repr=False)


@define
class FakeApiToken:
    """A tenant or user API token of the fake (``tenant_id`` or ``user_id`` says which)."""

    client_id: str
    secret: str = field(repr=False)
    tenant_id: str = field(factory=lambda: str(uuid.uuid4()))
    user_id: str | None = None
    roles: list[str] = field(factory=list)
    permissions: list[str] = field(factory=list)
    live_refresh_tokens: collections.deque[str] = field(factory=collections.deque, repr=False)


@define
class _RefreshGrant:
    user: FakeUser
    consumed: bool = False
    revoked: bool = False


@define
class _ApiGrant:
    api_token: FakeApiToken
    consumed: bool = False
    revoked: bool = False


#: Frontegg's domains serve the identity API under both: its web SDK and Next.js call
#: ``/frontegg/identity/...``, its iOS and Android SDKs ``/identity/...`` (PROTOCOL.md).
IDENTITY_PREFIXES = ("/frontegg/identity", "/identity")


def _raw_path(request: web.Request) -> str:
    # Matched before decoding, so that a quoted "/" inside a path value stays inside it.
    raw = request.rel_url.raw_path
    for prefix in IDENTITY_PREFIXES:
        if raw.startswith(prefix + "/"):
            return raw.removeprefix(prefix)
    return raw


def _check_endpoint(endpoint: str) -> None:
    if endpoint not in ENDPOINTS:
        raise ValueError(f"unknown endpoint {endpoint!r}; one of {', '.join(ENDPOINTS)}")


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


class FakeFrontegg:
    """A Frontegg identity service on 127.0.0.1, for tests (yours and ours).

    It serves, as Frontegg's spec describes them: user login, refresh, logout, MFA
    verification, ``/resources/users/v2/me`` and tenant switching under ``identity_url``; API
    tokens (v2) with rotating refresh; the environment token at ``url / "auth/vendor"``; and a
    management listing of users (``GET /resources/users/v3``). Tokens are HS256 JWTs with
    Frontegg's claims; refresh tokens are single use (a user's travel in an
    ``fe_refresh_<clientId>`` cookie); errors are ``{"errors": [...]}`` bodies. ``fail_next``
    injects faults; ``calls`` counts calls per endpoint; ``requests`` records every request
    with the answer sent.

    Args:
        token_lifetime: seconds an access token lives (``expiresIn``), for every kind.
        client_id: the environment's client id, which names the refresh cookie and, with
            ``environment_secret``, authenticates ``/auth/vendor``.
        environment_secret: the environment's API key.
        record_requests: keep every request in ``requests`` (on by default).
        port: the port to listen on (0, the default, picks a free one).
        clock: seconds since the epoch; share a ``JumpingClock``'s ``time`` with the session to
            make both sides see the same jumps.
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
        self._grants: dict[str, _RefreshGrant] = {}
        self._revoked_access: set[str] = set()
        self._api_tokens: dict[str, FakeApiToken] = {}
        self._api_grants: dict[str, _ApiGrant] = {}
        # Access tokens carry a serial number; reject_access_tokens() raises the floor.
        self._serial = 0
        self._min_serial = 0
        self._mfa_challenges: dict[str, FakeUser] = {}
        self._faults: dict[str, collections.deque[Fault]] = collections.defaultdict(
            collections.deque
        )
        self._random_faults: dict[str, tuple[float, random.Random, tuple[Fault, ...]]] = {}
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._port: int | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1, on ``port`` (by default a free one)."""
        app = web.Application()
        identity_routes = [
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
        routes = [
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

    @property
    def url(self) -> URL:
        """The server's root, e.g. ``http://127.0.0.1:54321``."""
        if self._port is None:
            raise RuntimeError("FakeFrontegg is not started: use 'async with' or start()")
        return URL.build(scheme="http", host="127.0.0.1", port=self._port)

    @property
    def identity_url(self) -> URL:
        """The identity base URL to point a session at."""
        return self.url / "identity"

    def now(self) -> float:
        """The fake's current time (its clock), in seconds since the epoch."""
        return self._clock()

    @property
    def refresh_cookie_name(self) -> str:
        """``fe_refresh_`` plus the client id without its first dash."""
        return refresh_cookie_name(self.client_id)

    # -- test controls ------------------------------------------------------------------------

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

    def fail_next(
        self, endpoint: str, times: int = 1, fault: Fault | None = None, **kw: Any
    ) -> None:
        """Make the next ``times`` calls of ``endpoint`` fail as ``fault`` (or ``Fault(**kw)``)."""
        _check_endpoint(endpoint)
        chosen = fault if fault is not None else Fault(**kw)
        self._faults[endpoint].extend([chosen] * times)

    def fail_randomly(
        self,
        endpoint: str,
        probability: float,
        *faults: Fault,
        seed: int | None = None,
        **kw: Any,
    ) -> None:
        """Make each call of ``endpoint`` fail with ``probability`` (0 turns it off), as one of
        ``faults`` picked at random (or ``Fault(**kw)``).

        Queued ``fail_next`` faults come first. ``seed`` makes the draws repeatable.
        """
        _check_endpoint(endpoint)
        if probability <= 0:
            self._random_faults.pop(endpoint, None)
            return
        chosen = faults or (Fault(**kw),)
        self._random_faults[endpoint] = (probability, random.Random(seed), chosen)

    def clear_faults(self) -> None:
        """Forget every pending and random fault."""
        self._faults.clear()
        self._random_faults.clear()

    def revoke_sessions(self, email: str | None = None) -> None:
        """Revoke the refresh tokens of one user (or of all), as a logout elsewhere would."""
        for grant in self._grants.values():
            if email is None or grant.user.email.lower() == email.lower():
                grant.revoked = True

    def decode(self, token: str) -> dict[str, Any]:
        """Verify one of the fake's JWTs (RS256, a ``kid`` it publishes) and return its claims;
        ValueError when it is not valid. The expiry is not checked."""
        return self._keys.verify(token, now=self._clock())

    @property
    def issuer(self) -> str:
        """The ``iss`` of the fake's tokens: the ``issuer`` given, or the fake's own URL."""
        return self._issuer if self._issuer is not None else str(self.url)

    @property
    def jwks_url(self) -> URL:
        """Where the fake publishes its signing keys, as Frontegg does on a domain."""
        return self.url / ".well-known" / "jwks.json"

    @property
    def signing_kid(self) -> str:
        """The ``kid`` of the key that signs the fake's tokens now."""
        return self._keys.kid

    def public_key_pem(self) -> str:
        """The current signing key's public half, as PEM (what Frontegg's configuration
        endpoint calls ``publicKey``)."""
        return self._keys.public_pem()

    def rotate_signing_key(self, *, grace: float = 300.0) -> str:
        """Sign with a new RSA key from now on and return its ``kid``; the old key stays in
        the JWKS for ``grace`` seconds, so that tokens it signed still verify there (and a
        verifier's cache of it can be tested)."""
        return self._keys.rotate(now=self._clock(), grace=grace)

    # -- plumbing -----------------------------------------------------------------------------

    def _guarded(
        self, endpoint: str, handler: Handler
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def guarded(request: web.Request) -> web.StreamResponse:
            self.calls[endpoint] += 1
            received_at = self._clock()
            raw = await request.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = ValueError
            faults = self._faults.get(endpoint)
            fault = faults.popleft() if faults else None
            if fault is None and endpoint in self._random_faults:
                probability, chance, choices = self._random_faults[endpoint]
                if chance.random() < probability:
                    fault = chance.choice(choices)
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
                found = self._spec.match(request.method, _raw_path(request))
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

    async def _apply(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.drop:
            response = web.StreamResponse(status=200)
            response.content_type = "application/json"
            response.content_length = 4096
            await response.prepare(request)
            await response.write(b'{"accessToken": "')
            if request.transport is not None:
                request.transport.close()
            return response
        status = fault.status if fault.status is not None else 200
        headers = dict(fault.headers)
        if fault.retry_after is not None:
            headers["Retry-After"] = f"{fault.retry_after:g}"
        if fault.body is not None:
            return web.Response(
                status=status, body=fault.body, headers=headers, content_type="application/json"
            )
        return self._error(status, f"Injected failure (HTTP {status})", headers=headers)

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

    @staticmethod
    def _error(
        status: int, *messages: str, headers: Mapping[str, str] | None = None
    ) -> web.Response:
        return web.json_response({"errors": list(messages)}, status=status, headers=headers)

    def _sign(self, claims: dict[str, Any]) -> str:
        self._serial += 1
        return self._keys.sign({**claims, "jti": f"{self._serial}.{uuid.uuid4().hex}"})

    def _lifetime_claims(self, now: float) -> dict[str, float | int]:
        """``iat`` and ``exp``: whole seconds, never shorter than ``expiresIn``; under the
        ``jwt_lifetime`` fault, exactly that far apart (fractions kept: the fault is the point)."""
        if self.jwt_lifetime is not None:
            issued = round(now, 3)
            return {"iat": issued, "exp": issued + self.jwt_lifetime}
        issued_at, expires_at = whole_seconds(now, self.token_lifetime)
        return {"iat": issued_at, "exp": expires_at}

    def _expires(self, now: float) -> str:
        # An absurd lifetime (a fault under test) still gets a date the calendar can hold.
        at = min(max(now + self.token_lifetime, 0.0), 253402300799.0)
        expires = datetime.datetime.fromtimestamp(at, tz=datetime.UTC)
        return expires.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def _authorize(self, request: web.Request) -> dict[str, Any] | web.Response:
        """The claims of a valid bearer token, or the 401 answer to send."""
        authorization = request.headers.get("Authorization", "")
        if not authorization and request.headers.get("x-access-token"):
            # The header Frontegg's older SDKs send the environment token in.
            authorization = "Bearer " + request.headers["x-access-token"]
        token = authorization.removeprefix("Bearer ")
        if not authorization.startswith("Bearer ") or token in self._revoked_access:
            return self._error(401, "Unauthorized")
        try:
            claims = self.decode(token)
        except ValueError:
            return self._error(401, "Unauthorized")
        if claims.get("exp", 0) <= self._clock():
            return self._error(401, "Token expired")
        serial = int(str(claims.get("jti", "0.")).split(".")[0] or 0)
        if serial < self._min_serial:
            return self._error(401, "Token is no longer valid")
        return claims

    def _issue(self, user: FakeUser, *, status: int) -> web.Response:
        now = self._clock()
        lifetime = self.token_lifetime
        claims: dict[str, Any] = {
            "sub": user.id,
            "name": user.name,
            "email": user.email,
            "email_verified": True,
            "metadata": {},
            "roles": list(user.roles),
            "permissions": list(user.permissions),
            "tenantId": user.tenant_id,
            "tenantIds": list(user.tenant_ids),
            "profilePictureUrl": "https://fake.frontegg.test/avatar.png",
            "type": "userToken",
            "iss": self.issuer,
            "aud": self.client_id,
            **self._lifetime_claims(now),
        }
        access_token = self._sign(claims)
        refresh_token = secrets.token_urlsafe(32)
        self._grants[refresh_token] = _RefreshGrant(user=user)
        body = {
            "tokenType": "bearer",
            "mfaRequired": False,
            "accessToken": access_token,
            "refreshToken": refresh_token,
            "expiresIn": _number(lifetime),
            "expires": self._expires(now),
            "userId": user.id,
            "userEmail": user.email,
            "emailVerified": True,
            "mfaEnrolled": user.totp_secret is not None,
        }
        response = web.json_response(body, status=status)
        response.set_cookie(
            self.refresh_cookie_name,
            refresh_token,
            path="/",
            httponly=True,
            secure=True,
            samesite="None",
            max_age=30 * 24 * 3600,
        )
        return response

    def _refresh_grant(self, request: web.Request) -> _RefreshGrant | None:
        for name, value in request.cookies.items():
            if name.startswith(REFRESH_COOKIE_PREFIX) and value in self._grants:
                return self._grants[value]
        return None

    # -- endpoints ----------------------------------------------------------------------------

    async def _login(self, request: web.Request, body: Any) -> web.Response:
        if not isinstance(body, dict) or not isinstance(body.get("password"), str):
            return self._error(400, "password should not be empty")
        login = body.get("email") or body.get("username")
        user = self._users.get(login.lower()) if isinstance(login, str) else None
        if user is None or not hmac.compare_digest(user.password, body["password"]):
            return self._error(401, "Incorrect email or password")
        if user.totp_secret is not None:
            mfa_token = secrets.token_urlsafe(24)
            self._mfa_challenges[mfa_token] = user
            return web.json_response(
                {
                    "mfaRequired": True,
                    "mfaToken": mfa_token,
                    "accessToken": "",
                    "refreshToken": "",
                    "expiresIn": 0,
                    "expires": "",
                    "mfaEnrolled": True,
                    # A list of names, as Frontegg sends and its clients read (the spec says
                    # an object).
                    "mfaStrategies": ["AuthenticatorApp"],
                    "mfaDevices": {
                        "webauthn": [],
                        "phones": [],
                        "authenticators": [{"id": "authenticator-1"}],
                        "emails": [],
                    },
                    "userEmail": user.email,
                }
            )
        return self._issue(user, status=200)

    async def _mfa_verify(self, request: web.Request, body: Any) -> web.Response:
        if not isinstance(body, dict):
            return self._error(400, "mfaToken and value are required")
        mfa_token, code = body.get("mfaToken"), body.get("value")
        if not isinstance(mfa_token, str):
            return self._error(400, "mfaToken should be a string")
        user = self._mfa_challenges.get(mfa_token)
        if user is None or user.totp_secret is None or not isinstance(code, str):
            return self._error(401, "Invalid MFA token")
        if not totp_matches(user.totp_secret, code, now=self._clock()):
            return self._error(401, "Invalid MFA code")
        del self._mfa_challenges[mfa_token]
        return self._issue(user, status=201)

    async def _refresh(self, request: web.Request, body: Any) -> web.Response:
        # A bearer token proves nothing here: only the refresh cookie renews (a client that
        # has none gets the 401 Frontegg gives it).
        grant = self._refresh_grant(request)
        if grant is None:
            return self._error(401, "Session not found")
        if grant.consumed:
            self.reused_refresh_tokens += 1
            return self._error(401, "Refresh token was already used")
        if grant.revoked:
            return self._error(401, "Session was revoked")
        tenant_id = body.get("tenantId") if isinstance(body, dict) else None
        if tenant_id is not None:
            # The web SDK names the tab's tenant (or null): the new JWT is for that tenant.
            known = {grant.user.tenant_id, *grant.user.tenant_ids}
            if not isinstance(tenant_id, str) or tenant_id not in known:
                return self._error(400, "tenantId is not one of the user's tenants")
            grant.user.tenant_id = tenant_id
        grant.consumed = True
        return self._issue(grant.user, status=201)

    async def _logout(self, request: web.Request, body: Any) -> web.Response:
        grant = self._refresh_grant(request)
        if grant is not None:
            grant.revoked = True
        authorization = request.headers.get("Authorization", "")
        if authorization.startswith("Bearer "):
            self._revoked_access.add(authorization.removeprefix("Bearer "))
        return web.Response(status=201)

    def _user_of(self, claims: Mapping[str, Any]) -> FakeUser | None:
        if claims.get("type") != "userToken":
            return None
        return next((u for u in self._users.values() if u.id == claims.get("sub")), None)

    def _derived_headers(self, request: web.Request) -> frozenset[str]:
        """The required headers this request may leave out (see ``DERIVED_HEADERS``)."""
        if self.strict_headers:
            return frozenset()
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        try:
            claims = self.decode(token) if token else {}
        except ValueError:
            claims = {}
        if str(claims.get("type", "")) in USER_TOKEN_TYPES:
            return DERIVED_HEADERS | DERIVED_FROM_USER_TOKEN
        return DERIVED_HEADERS

    def _check_request(
        self, request: web.Request, operation: SpecOperation, values: dict[str, str], raw: bytes
    ) -> list[str]:
        return self._spec.check_request(
            operation,
            values,
            list(request.query.items()),
            request.headers,
            request.content_type if raw.strip() else "",
            raw,
            derived=self._derived_headers(request),
        )

    async def _spec_answer(self, request: web.Request, body: Any) -> web.Response:
        """Any identity operation: check the token and the request, answer from the schema."""
        path = _raw_path(request)
        found = self._spec.match(request.method, path)
        if found is None:
            allowed = self._spec.allows(path)
            if allowed:
                return self._error(
                    405, f"{request.method} is not allowed here; try {', '.join(allowed)}"
                )
            return self._error(404, f"Cannot {request.method} {path}")
        operation, values = found
        claims = self._authorize(request)
        if isinstance(claims, web.Response):
            return claims
        if operation.audience == "ENVIRONMENT" and "type" in claims:
            return self._error(403, "This operation needs the environment token")
        problems = self._check_request(request, operation, values, await request.read())
        if problems:
            return self._error(400, *problems)
        self.api_calls[operation.name] += 1
        key = (operation.name, self.answer_optional_fields)
        if key not in self._answers:  # the same schema always makes the same body
            answer = self._spec.answer(operation, optional=self.answer_optional_fields)
            self._answers[key] = None if answer is None else json.dumps(answer).encode()
        body_bytes = self._answers[key]
        if body_bytes is None:
            return web.Response(status=operation.status)
        return web.Response(
            status=operation.status, body=body_bytes, content_type="application/json"
        )

    async def _me(self, request: web.Request, body: Any) -> web.Response:
        claims = self._authorize(request)
        if isinstance(claims, web.Response):
            return claims
        user = self._user_of(claims)
        if user is None:
            return self._error(403, "A user token is required for this route")
        return web.json_response(self._user_dto(user, claims["tenantId"]))

    async def _me_tenants(self, request: web.Request, body: Any) -> web.Response:
        claims = self._authorize(request)
        if isinstance(claims, web.Response):
            return claims
        user = self._user_of(claims)
        if user is None:
            return self._error(403, "A user token is required for this route")
        tenants = user.tenant_ids or [user.tenant_id]
        return web.json_response(
            [
                {
                    "tenantId": tenant,
                    "name": f"Tenant {tenant[:8]}",
                    "isReseller": False,
                    "metadata": "{}",
                    "createdAt": "2026-01-01T00:00:00.000Z",
                }
                for tenant in tenants
            ]
        )

    async def _jwks(self, request: web.Request, body: Any) -> web.Response:
        return web.json_response(
            self._keys.jwks(self._clock()), headers={"Cache-Control": "public, max-age=600"}
        )

    async def _configuration(self, request: web.Request, body: Any) -> web.Response:
        """The environment's configuration, with the public key Frontegg's server SDKs verify
        tokens with (they fetch it with the environment token)."""
        claims = self._authorize(request)
        if isinstance(claims, web.Response):
            return claims
        found = self._spec.match("GET", "/resources/configurations/v1")
        answer: dict[str, Any] = {}
        if found is not None:
            generated = self._spec.answer(found[0], optional=True)
            if isinstance(generated, dict):
                answer = generated
        # The spec requires a jwtSecret too (for environments that sign HS256); the fake's is
        # the spec's sample value, which signs nothing.
        answer.update(
            {
                "publicKey": self._keys.public_pem(),
                "jwtAlgorithm": "RS256",
                "defaultTokenExpiration": _number(self.token_lifetime),
                "rotateRefreshTokens": True,
            }
        )
        return web.json_response(answer)

    async def _switch_tenant(self, request: web.Request, body: Any) -> web.Response:
        claims = self._authorize(request)
        if isinstance(claims, web.Response):
            return claims
        user = self._user_of(claims)
        if user is None:
            return self._error(403, "A user token is required for this route")
        tenant_id = body.get("tenantId") if isinstance(body, dict) else None
        if not isinstance(tenant_id, str) or not tenant_id:
            return self._error(400, "tenantId should not be empty")
        if tenant_id not in user.tenant_ids:
            return self._error(404, "User is not a member of this tenant")
        user.tenant_id = tenant_id
        return web.json_response(self._user_dto(user, tenant_id))

    async def _users_page(self, request: web.Request, body: Any) -> web.Response:
        claims = self._authorize(request)
        if isinstance(claims, web.Response):
            return claims
        try:
            limit = min(200, max(1, int(request.query.get("_limit", "50"))))
            offset = max(0, int(request.query.get("_offset", "0")))
        except ValueError:
            return self._error(400, "_limit and _offset must be numbers")
        users = sorted(self._users.values(), key=lambda u: u.email)
        pages = max(1, -(-len(users) // limit))
        chunk = users[offset * limit : (offset + 1) * limit]
        items = []
        for user in chunk:
            dto = self._user_dto(user, user.tenant_id)
            for key in ("roles", "permissions"):
                del dto[key]
            items.append(dto)
        base = str(request.url.with_query(None))

        def link(page: int) -> str:
            return f"{base}?_limit={limit}&_offset={page}" if 0 <= page < pages else ""

        return web.json_response(
            {
                "items": items,
                "_metadata": {"totalItems": len(users), "totalPages": pages},
                "_links": {
                    "next": link(offset + 1),
                    "prev": link(offset - 1),
                    "first": link(0),
                    "last": link(pages - 1),
                },
            }
        )

    async def _vendor(self, request: web.Request, body: Any) -> web.Response:
        client_id = body.get("clientId") if isinstance(body, dict) else None
        secret = body.get("secret") if isinstance(body, dict) else None
        if not isinstance(client_id, str) or not isinstance(secret, str):
            return self._error(400, "clientId and secret are required")
        if client_id != self.client_id or not hmac.compare_digest(secret, self.environment_secret):
            return self._error(401, "Invalid authentication")
        now = self._clock()
        token = self._sign(
            {
                "sub": client_id,
                "iss": self.issuer,
                **self._lifetime_claims(now),
            }
        )
        return web.json_response({"token": token, "expiresIn": _number(self.token_lifetime)})

    def _issue_api(self, api_token: FakeApiToken) -> web.Response:
        now = self._clock()
        claims: dict[str, Any] = {
            "sub": api_token.client_id,
            "tenantId": api_token.tenant_id,
            "tenantIds": [api_token.tenant_id],
            "roles": list(api_token.roles),
            "permissions": list(api_token.permissions),
            "type": "userApiToken" if api_token.user_id else "tenantApiToken",
            "iss": self.issuer,
            "aud": self.client_id,
            **self._lifetime_claims(now),
        }
        if api_token.user_id:
            claims["userId"] = api_token.user_id
        refresh_token = secrets.token_urlsafe(32)
        self._api_grants[refresh_token] = _ApiGrant(api_token=api_token)
        live = api_token.live_refresh_tokens
        live.append(refresh_token)
        while len(live) > API_TOKEN_LIVE_REFRESH_TOKENS:
            self._api_grants[live.popleft()].revoked = True
        return web.json_response(
            {
                "access_token": self._sign(claims),
                "refresh_token": refresh_token,
                "expires_in": _number(self.token_lifetime),
                "expires": self._expires(now),
            }
        )

    async def _api_token(self, request: web.Request, body: Any) -> web.Response:
        client_id = body.get("clientId") if isinstance(body, dict) else None
        secret = body.get("secret") if isinstance(body, dict) else None
        if not isinstance(client_id, str) or not isinstance(secret, str):
            return self._error(400, "clientId and secret are required")
        api_token = self._api_tokens.get(client_id)
        if api_token is None or not hmac.compare_digest(secret, api_token.secret):
            return self._error(401, "Invalid API token credentials")
        return self._issue_api(api_token)

    async def _api_token_refresh(self, request: web.Request, body: Any) -> web.Response:
        refresh_token = body.get("refreshToken") if isinstance(body, dict) else None
        if not isinstance(refresh_token, str) or not refresh_token:
            return self._error(400, "refreshToken should not be empty")
        grant = self._api_grants.get(refresh_token)
        if grant is None:
            return self._error(401, "Invalid refresh token")
        if grant.consumed:
            self.reused_refresh_tokens += 1
            return self._error(401, "Refresh token was already used")
        if grant.revoked:
            return self._error(401, "Refresh token was revoked")
        grant.consumed = True
        live = grant.api_token.live_refresh_tokens
        if refresh_token in live:
            live.remove(refresh_token)
        return self._issue_api(grant.api_token)

    def _user_dto(self, user: FakeUser, tenant_id: str) -> dict[str, Any]:
        created = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC).isoformat()
        return {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "profilePictureUrl": "https://fake.frontegg.test/avatar.png",
            "sub": user.id,
            "verified": True,
            "mfaEnrolled": user.totp_secret is not None,
            "roles": [],
            "permissions": [],
            "provider": "local",
            "tenantId": tenant_id,
            "tenantIds": list(user.tenant_ids),
            "tenants": [{"tenantId": t, "roles": []} for t in user.tenant_ids],
            "metadata": "{}",
            "vendorMetadata": "{}",
            "createdAt": created,
            "lastLogin": created,
            "subAccountAccessAllowed": False,
        }
