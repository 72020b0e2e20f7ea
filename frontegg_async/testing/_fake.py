"""A fake Frontegg identity service on loopback, faithful to the published spec."""

from __future__ import annotations

import asyncio
import base64
import collections
import datetime
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from attrs import define, field, frozen
from yarl import URL

from .._totp import decode_secret, totp
from .._transport import REFRESH_COOKIE_PREFIX, refresh_cookie_name

Handler = Callable[[web.Request, Any], Awaitable[web.StreamResponse]]

#: Endpoint names used by ``fail_next`` and ``calls``.
LOGIN = "login"
REFRESH = "refresh"
LOGOUT = "logout"
MFA_VERIFY = "mfa_verify"
ME = "me"
ENDPOINTS = (LOGIN, REFRESH, LOGOUT, MFA_VERIFY, ME)


@frozen
class Fault:
    """What the fake does instead of answering normally, for one call.

    Exactly the fields given apply, in this order: wait ``delay`` seconds; then ``drop`` the
    connection mid-answer, or answer ``status`` with ``body`` (default ``{"errors": [...]}``) and
    ``headers`` (``retry_after`` sets ``Retry-After``).
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


@define
class _RefreshGrant:
    user: FakeUser
    consumed: bool = False
    revoked: bool = False


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


class FakeFrontegg:
    """A Frontegg identity service on 127.0.0.1, for tests (yours and ours).

    It serves login, refresh, logout, MFA verification and ``/resources/users/v2/me`` under
    ``identity_url`` as Frontegg's spec describes them: HS256 JWTs with Frontegg's claims,
    single-use rotating refresh tokens in an ``fe_refresh_<clientId>`` cookie, ``{"errors": [...]}``
    bodies. ``fail_next`` injects faults; ``calls`` counts calls per endpoint; ``requests`` records
    every request with the answer sent.

    Args:
        token_lifetime: seconds an access token lives (``expiresIn``).
        client_id: the environment's client id, which names the refresh cookie.
        clock: seconds since the epoch; share a ``JumpingClock``'s ``time`` with the session to
            make both sides see the same jumps.
    """

    def __init__(
        self,
        *,
        token_lifetime: float = 60.0,
        client_id: str = "0f4a7a51-7a6e-4d3b-9a0e-3f1c2b7d9e10",
        clock: Callable[[], float] = time.time,
        issuer: str = "https://fake.frontegg.test",
    ) -> None:
        self.token_lifetime = token_lifetime
        self.client_id = client_id
        self.issuer = issuer
        self.calls: collections.Counter[str] = collections.Counter()
        self.requests: list[RecordedRequest] = []
        #: Refresh tokens presented after they had been used once (rotation violations).
        self.reused_refresh_tokens = 0
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._users: dict[str, FakeUser] = {}
        self._grants: dict[str, _RefreshGrant] = {}
        self._revoked_access: set[str] = set()
        self._mfa_challenges: dict[str, FakeUser] = {}
        self._faults: dict[str, collections.deque[Fault]] = collections.defaultdict(
            collections.deque
        )
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        routes = [
            ("POST", "/identity/resources/auth/v1/user", LOGIN, self._login),
            ("POST", "/identity/resources/auth/v1/user/token/refresh", REFRESH, self._refresh),
            ("POST", "/identity/resources/auth/v1/logout", LOGOUT, self._logout),
            ("POST", "/identity/resources/auth/v1/user/mfa/verify", MFA_VERIFY, self._mfa_verify),
            ("GET", "/identity/resources/users/v2/me", ME, self._me),
        ]
        for method, path, endpoint, handler in routes:
            app.router.add_route(method, path, self._guarded(endpoint, handler))
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=0.1
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self._port = sockets[0].getsockname()[1]

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

    def fail_next(
        self, endpoint: str, times: int = 1, fault: Fault | None = None, **kw: Any
    ) -> None:
        """Make the next ``times`` calls of ``endpoint`` fail as ``fault`` (or ``Fault(**kw)``)."""
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {', '.join(ENDPOINTS)}")
        chosen = fault if fault is not None else Fault(**kw)
        self._faults[endpoint].extend([chosen] * times)

    def clear_faults(self) -> None:
        """Forget every pending fault."""
        self._faults.clear()

    def revoke_sessions(self, email: str | None = None) -> None:
        """Revoke the refresh tokens of one user (or of all), as a logout elsewhere would."""
        for grant in self._grants.values():
            if email is None or grant.user.email.lower() == email.lower():
                grant.revoked = True

    def decode(self, token: str) -> dict[str, Any]:
        """Verify one of the fake's JWTs and return its claims; ValueError when it is not valid."""
        try:
            header_b64, payload_b64, signature_b64 = token.split(".")
        except ValueError:
            raise ValueError("not a JWT") from None
        expected = hmac.new(
            self._key, f"{header_b64}.{payload_b64}".encode(), hashlib.sha256
        ).digest()
        given = base64.urlsafe_b64decode(signature_b64 + "=" * (-len(signature_b64) % 4))
        if not hmac.compare_digest(expected, given):
            raise ValueError("bad signature")
        payload: dict[str, Any] = json.loads(
            base64.urlsafe_b64decode(payload_b64 + "=" * (-len(payload_b64) % 4))
        )
        return payload

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
            if fault is not None:
                response = await self._apply(request, fault)
            elif body is ValueError:
                response = self._error(400, "Request body is not valid JSON")
            else:
                response = await handler(request, body)
            self._record(endpoint, received_at, request, body, response)
            return response

        return guarded

    async def _apply(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.delay:
            await asyncio.sleep(fault.delay)
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
            )
        )

    @staticmethod
    def _error(
        status: int, *messages: str, headers: Mapping[str, str] | None = None
    ) -> web.Response:
        return web.json_response({"errors": list(messages)}, status=status, headers=headers)

    def _issue(self, user: FakeUser, *, status: int) -> web.Response:
        now = self._clock()
        lifetime = self.token_lifetime
        claims = {
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
            "iat": int(now),
            "exp": round(now + lifetime, 3),
            "jti": uuid.uuid4().hex,
        }
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        access_token = f"{header}.{payload}.{_b64url(signature)}"
        refresh_token = secrets.token_urlsafe(32)
        self._grants[refresh_token] = _RefreshGrant(user=user)
        expires = datetime.datetime.fromtimestamp(now + lifetime, tz=datetime.UTC)
        body = {
            "tokenType": "bearer",
            "mfaRequired": False,
            "accessToken": access_token,
            "refreshToken": refresh_token,
            "expiresIn": _number(lifetime),
            "expires": expires.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
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
        key = decode_secret(user.totp_secret)
        now = self._clock()
        valid = {totp(key, now + skew) for skew in (-30, 0, 30)}
        if code not in valid:
            return self._error(401, "Invalid MFA code")
        del self._mfa_challenges[mfa_token]
        return self._issue(user, status=201)

    async def _refresh(self, request: web.Request, body: Any) -> web.Response:
        if not request.headers.get("frontegg-vendor-host"):
            return self._error(400, "frontegg-vendor-host header is required")
        grant = self._refresh_grant(request)
        if grant is None:
            return self._error(401, "Session not found")
        if grant.consumed:
            self.reused_refresh_tokens += 1
            return self._error(401, "Refresh token was already used")
        if grant.revoked:
            return self._error(401, "Session was revoked")
        grant.consumed = True
        return self._issue(grant.user, status=201)

    async def _logout(self, request: web.Request, body: Any) -> web.Response:
        if not request.headers.get("frontegg-vendor-host"):
            return self._error(400, "frontegg-vendor-host header is required")
        grant = self._refresh_grant(request)
        if grant is not None:
            grant.revoked = True
        authorization = request.headers.get("Authorization", "")
        if authorization.startswith("Bearer "):
            self._revoked_access.add(authorization.removeprefix("Bearer "))
        return web.Response(status=201)

    async def _me(self, request: web.Request, body: Any) -> web.Response:
        authorization = request.headers.get("Authorization", "")
        token = authorization.removeprefix("Bearer ")
        if not authorization.startswith("Bearer ") or token in self._revoked_access:
            return self._error(401, "Unauthorized")
        try:
            claims = self.decode(token)
        except ValueError:
            return self._error(401, "Unauthorized")
        if claims.get("exp", 0) <= self._clock():
            return self._error(401, "Token expired")
        user = next((u for u in self._users.values() if u.id == claims["sub"]), None)
        if user is None:
            return self._error(404, "User not found")
        created = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC).isoformat()
        return web.json_response(
            {
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
                "tenantId": claims["tenantId"],
                "tenantIds": list(user.tenant_ids),
                "tenants": [{"tenantId": t, "roles": []} for t in user.tenant_ids],
                "metadata": "{}",
                "vendorMetadata": "{}",
                "createdAt": created,
                "lastLogin": created,
                "subAccountAccessAllowed": False,
            }
        )
