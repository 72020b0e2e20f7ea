"""The token calls, as Frontegg answers them: user login and MFA verification, refresh with
the refresh cookie (single use), logout, the environment token, API tokens (v2) with rotating
refresh tokens; and how the fake issues its tokens."""

from __future__ import annotations

import datetime
import hmac
import secrets
import uuid
from typing import Any

from aiohttp import web

from ._common import (
    API_TOKEN_LIVE_REFRESH_TOKENS,
    ApiGrant,
    FakeApiToken,
    FakeState,
    FakeUser,
    RefreshGrant,
    number,
)
from ._identity import REFRESH_COOKIE_PREFIX, totp_matches, whole_seconds


class AuthRoutes(FakeState):
    """The endpoints that issue, renew and revoke tokens."""

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

    def _user_claims(self, user: FakeUser, now: float) -> dict[str, Any]:
        """The claims of a user's access token (and, with ``nonce`` added, of an id_token)."""
        return {
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

    def _new_grant(self, user: FakeUser) -> str:
        """A fresh single-use refresh token for ``user``."""
        refresh_token = secrets.token_urlsafe(32)
        self._grants[refresh_token] = RefreshGrant(user=user)
        return refresh_token

    def _set_refresh_cookie(self, response: web.StreamResponse, refresh_token: str) -> None:
        response.set_cookie(
            self.refresh_cookie_name,
            refresh_token,
            path="/",
            httponly=True,
            secure=True,
            samesite="None",
            max_age=30 * 24 * 3600,
        )

    def _issue(self, user: FakeUser, *, status: int) -> web.Response:
        now = self._clock()
        access_token = self._sign(self._user_claims(user, now))
        refresh_token = self._new_grant(user)
        body = {
            "tokenType": "bearer",
            "mfaRequired": False,
            "accessToken": access_token,
            "refreshToken": refresh_token,
            "expiresIn": number(self.token_lifetime),
            "expires": self._expires(now),
            "userId": user.id,
            "userEmail": user.email,
            "emailVerified": True,
            "mfaEnrolled": user.totp_secret is not None,
        }
        response = web.json_response(body, status=status)
        self._set_refresh_cookie(response, refresh_token)
        return response

    def _refresh_grant(self, request: web.Request) -> RefreshGrant | None:
        for name, value in request.cookies.items():
            if name.startswith(REFRESH_COOKIE_PREFIX) and value in self._grants:
                return self._grants[value]
        return None

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
        return web.json_response({"token": token, "expiresIn": number(self.token_lifetime)})

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
        self._api_grants[refresh_token] = ApiGrant(api_token=api_token)
        live = api_token.live_refresh_tokens
        live.append(refresh_token)
        while len(live) > API_TOKEN_LIVE_REFRESH_TOKENS:
            self._api_grants[live.popleft()].revoked = True
        return web.json_response(
            {
                "access_token": self._sign(claims),
                "refresh_token": refresh_token,
                "expires_in": number(self.token_lifetime),
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
