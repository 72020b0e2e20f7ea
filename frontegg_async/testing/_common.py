"""What the fake's parts share: endpoint names, the records it keeps (users, API tokens,
grants, requests), and ``FakeState``, the state every part of the server reads and writes.

``FakeFrontegg`` is assembled from parts that each own one concern: ``_faults`` (injected
faults), ``_auth_routes`` (the token calls: login, MFA, refresh, logout, the environment and API
tokens), ``_routes`` (everything else: the user, tenants, keys, configuration, the spec's
operations) and ``_fake`` (the server: lifecycle, the route table, recording, test controls).
"""

from __future__ import annotations

import collections
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from attrs import define, field, frozen
from yarl import URL

from ._identity import SigningKeys, refresh_cookie_name
from ._spec import SpecTable

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
OAUTH_AUTHORIZE = "oauth_authorize"
OAUTH_LOGIN = "oauth_login"
OAUTH_TOKEN = "oauth_token"
OAUTH_SILENT = "oauth_silent"
OAUTH_LOGOUT = "oauth_logout"
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
    OAUTH_AUTHORIZE,
    OAUTH_LOGIN,
    OAUTH_TOKEN,
    OAUTH_SILENT,
    OAUTH_LOGOUT,
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
class RefreshGrant:
    user: FakeUser
    consumed: bool = False
    revoked: bool = False


@define
class ApiGrant:
    api_token: FakeApiToken
    consumed: bool = False
    revoked: bool = False


#: Frontegg's domains serve the identity API under both: its web SDK and Next.js call
#: ``/frontegg/identity/...``, its iOS and Android SDKs ``/identity/...`` (PROTOCOL.md).
IDENTITY_PREFIXES = ("/frontegg/identity", "/identity")
#: And hosted login likewise.
OAUTH_PREFIXES = ("/frontegg/oauth", "/oauth")


def raw_path(request: web.Request) -> str:
    """The path after the identity prefix, undecoded (a quoted "/" inside a path value stays
    inside it)."""
    raw = request.rel_url.raw_path
    for prefix in IDENTITY_PREFIXES:
        if raw.startswith(prefix + "/"):
            return raw.removeprefix(prefix)
    return raw


def check_endpoint(endpoint: str) -> None:
    """Refuse an endpoint name that is not one of ``ENDPOINTS``."""
    if endpoint not in ENDPOINTS:
        raise ValueError(f"unknown endpoint {endpoint!r}; one of {', '.join(ENDPOINTS)}")


def number(value: float) -> float | int:
    """A whole number as an int on the wire, as Frontegg sends ``expiresIn``."""
    return int(value) if float(value).is_integer() else value


def json_error(
    status: int, *messages: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    """Frontegg's error body: ``{"errors": [...]}``."""
    return web.json_response({"errors": list(messages)}, status=status, headers=headers)


class FakeState:
    """The state the fake's parts share (set by ``FakeFrontegg.__init__``), and what every part
    reads of it: the clock, the URL, the keys, a bearer token's claims."""

    token_lifetime: float
    jwt_lifetime: float | None
    client_id: str
    environment_secret: str
    strict_headers: bool
    calls: collections.Counter[str]
    api_calls: collections.Counter[str]
    answer_optional_fields: bool
    requests: list[RecordedRequest]
    record_requests: bool
    reused_refresh_tokens: int
    _issuer: str | None
    _answers: dict[tuple[str, bool], bytes | None]
    _clock: Callable[[], float]
    _keys: SigningKeys
    _spec: SpecTable
    _users: dict[str, FakeUser]
    _grants: dict[str, RefreshGrant]
    _revoked_access: set[str]
    _api_tokens: dict[str, FakeApiToken]
    _api_grants: dict[str, ApiGrant]
    _serial: int
    _min_serial: int
    _mfa_challenges: dict[str, FakeUser]
    _port: int | None

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

    def decode(self, token: str) -> dict[str, Any]:
        """Verify one of the fake's JWTs (RS256, a ``kid`` it publishes) and return its claims;
        ValueError when it is not valid. The expiry is not checked."""
        return self._keys.verify(token, now=self._clock())

    @property
    def issuer(self) -> str:
        """The ``iss`` of the fake's tokens: the ``issuer`` given, or the fake's own URL."""
        return self._issuer if self._issuer is not None else str(self.url)

    @staticmethod
    def _error(
        status: int, *messages: str, headers: Mapping[str, str] | None = None
    ) -> web.Response:
        return json_error(status, *messages, headers=headers)

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

    def _user_of(self, claims: Mapping[str, Any]) -> FakeUser | None:
        if claims.get("type") != "userToken":
            return None
        return next((u for u in self._users.values() if u.id == claims.get("sub")), None)
