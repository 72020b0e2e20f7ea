"""Hosted login: OAuth 2.0 authorization code with PKCE (S256), as Frontegg's web, mobile and
Next.js SDKs use it (PROTOCOL.md), under both ``/oauth`` and ``/frontegg/oauth``.

``GET /oauth/authorize`` shows a login page (a form with ``email`` and ``password``; a second
one asking for the TOTP code of a user with MFA); a good login answers 302 to ``redirect_uri``
with ``code`` and ``state`` and sets the refresh cookie. ``POST /oauth/token`` exchanges the
code (single use, for the same ``redirect_uri``, the ``code_verifier`` checked) or a refresh
token (single use, rotating), as JSON or a form; ``POST /oauth/authorize/silent`` renews from
the cookie; ``POST /oauth/logout/token`` revokes. Errors are RFC 6749's
``{"error": ..., "error_description": ...}``; bad input gets a 4xx, never a 500.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
from typing import Any

from aiohttp import web
from attrs import define
from yarl import URL

from ._auth_routes import AuthRoutes
from ._common import FakeUser
from ._identity import totp_matches

#: How long an authorization code may wait for its exchange (seconds).
CODE_LIFETIME = 60.0
#: The authorize parameters the login form carries from one step to the next.
CARRIED = ("client_id", "redirect_uri", "code_challenge", "state", "nonce", "scope")


@define
class AuthorizationCode:
    """A code the authorize step issued, waiting for its exchange."""

    user: FakeUser
    redirect_uri: str
    challenge: str
    nonce: str | None
    expires_at: float
    used: bool = False


def oauth_error(status: int, error: str, description: str) -> web.Response:
    """RFC 6749's error body."""
    return web.json_response({"error": error, "error_description": description}, status=status)


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of ``verifier``."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _page(
    title: str, fields: str, params: dict[str, str], action: str, problem: str = ""
) -> web.Response:
    """A page whose form posts to ``action``: an absolute path, so that the second step (the
    MFA code, or a retry after a wrong password) posts to the same place as the first."""
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
        for name, value in params.items()
    )
    warning = f'<p role="alert">{html.escape(problem)}</p>' if problem else ""
    body = (
        f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1>"
        f'{warning}<form method="post" action="{html.escape(action)}">{hidden}{fields}'
        '<button type="submit">Continue</button></form></body></html>'
    )
    return web.Response(text=body, content_type="text/html", status=401 if problem else 200)


class OAuthRoutes(AuthRoutes):
    """The hosted-login endpoints."""

    _oauth_codes: dict[str, AuthorizationCode]
    _oauth_challenges: dict[str, FakeUser]

    def _authorize_params(self, query: dict[str, str]) -> dict[str, str] | web.Response:
        """The carried parameters of a valid authorize request, or the 400 to answer."""
        if query.get("response_type", "code") != "code":
            return oauth_error(400, "unsupported_response_type", "response_type must be code")
        if query.get("client_id") != self.client_id:
            return oauth_error(400, "invalid_client", "client_id is not this environment's")
        redirect = URL(query.get("redirect_uri", ""))
        if not redirect.is_absolute() or redirect.scheme not in ("http", "https"):
            return oauth_error(400, "invalid_request", "redirect_uri must be an absolute URL")
        if not query.get("code_challenge"):
            return oauth_error(400, "invalid_request", "code_challenge is required (PKCE)")
        if query.get("code_challenge_method", "S256") != "S256":
            return oauth_error(400, "invalid_request", "code_challenge_method must be S256")
        return {name: query[name] for name in CARRIED if query.get(name) is not None}

    async def _oauth_authorize(self, request: web.Request, body: Any) -> web.Response:
        params = self._authorize_params(dict(request.query))
        if isinstance(params, web.Response):
            return params
        return _page("Sign in", _LOGIN_FIELDS, params, request.path + "/login")

    async def _oauth_login(self, request: web.Request, body: Any) -> web.StreamResponse:
        """The login form's post: the password, then (for MFA) the code; then the redirect."""
        form = body if isinstance(body, dict) else {}
        params = self._authorize_params({k: str(v) for k, v in form.items()})
        if isinstance(params, web.Response):
            return params
        challenge = form.get("mfa_token")
        if isinstance(challenge, str) and challenge:
            user = self._oauth_challenges.get(challenge)
            code = form.get("code")
            if user is None or user.totp_secret is None:
                return oauth_error(400, "invalid_request", "the MFA step expired: sign in again")
            if not isinstance(code, str) or not totp_matches(
                user.totp_secret, code, now=self._clock()
            ):
                return _mfa_page(challenge, params, request.path, "That code is not valid")
            del self._oauth_challenges[challenge]
            return self._signed_in(user, params)
        email, password = form.get("email"), form.get("password")
        user = self._users.get(email.lower()) if isinstance(email, str) else None
        if (
            user is None
            or not isinstance(password, str)
            or not hmac.compare_digest(user.password, password)
        ):
            return _page(
                "Sign in", _LOGIN_FIELDS, params, request.path, "Incorrect email or password"
            )
        if user.totp_secret is not None:
            challenge = secrets.token_urlsafe(24)
            self._oauth_challenges[challenge] = user
            return _mfa_page(challenge, params, request.path)
        return self._signed_in(user, params)

    def _signed_in(self, user: FakeUser, params: dict[str, str]) -> web.StreamResponse:
        code = secrets.token_urlsafe(24)
        self._oauth_codes[code] = AuthorizationCode(
            user=user,
            redirect_uri=params["redirect_uri"],
            challenge=params["code_challenge"],
            nonce=params.get("nonce"),
            expires_at=self._clock() + CODE_LIFETIME,
        )
        query = {"code": code, **({"state": params["state"]} if "state" in params else {})}
        target = URL(params["redirect_uri"]).update_query(query)
        response = web.Response(status=302, headers={"Location": str(target)})
        self._set_refresh_cookie(response, self._new_grant(user))
        return response

    def _oauth_answer(self, user: FakeUser, *, nonce: str | None = None) -> dict[str, Any]:
        now = self._clock()
        claims = self._user_claims(user, now)
        id_claims = {**claims, **({"nonce": nonce} if nonce is not None else {})}
        return {
            "access_token": self._sign(claims),
            "id_token": self._sign(id_claims),
            "refresh_token": self._new_grant(user),
            "expires_in": self.token_lifetime,
            "token_type": "Bearer",
        }

    async def _oauth_token(self, request: web.Request, body: Any) -> web.Response:
        form = body if isinstance(body, dict) else {}
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            found = self._oauth_codes.get(str(form.get("code", "")))
            if found is None or found.used or self._clock() >= found.expires_at:
                return oauth_error(400, "invalid_grant", "the code is unknown, used or expired")
            if form.get("redirect_uri") != found.redirect_uri:
                return oauth_error(400, "invalid_grant", "redirect_uri differs from authorize's")
            verifier = form.get("code_verifier")
            if not isinstance(verifier, str) or not hmac.compare_digest(
                s256(verifier), found.challenge
            ):
                return oauth_error(400, "invalid_grant", "code_verifier does not match")
            found.used = True
            return web.json_response(self._oauth_answer(found.user, nonce=found.nonce))
        if grant_type == "refresh_token":
            grant = self._grants.get(str(form.get("refresh_token", "")))
            if grant is None or grant.revoked:
                return oauth_error(400, "invalid_grant", "the refresh token is unknown or revoked")
            if grant.consumed:
                self.reused_refresh_tokens += 1
                return oauth_error(400, "invalid_grant", "the refresh token was already used")
            grant.consumed = True
            return web.json_response(self._oauth_answer(grant.user))
        return oauth_error(
            400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token"
        )

    async def _oauth_silent(self, request: web.Request, body: Any) -> web.Response:
        grant = self._refresh_grant(request)
        if grant is None or grant.revoked:
            return oauth_error(401, "invalid_grant", "no live session: sign in again")
        if grant.consumed:
            self.reused_refresh_tokens += 1
            return oauth_error(401, "invalid_grant", "the refresh cookie was already used")
        grant.consumed = True
        answer = self._oauth_answer(grant.user)
        response = web.json_response(answer)
        self._set_refresh_cookie(response, answer["refresh_token"])
        return response

    async def _oauth_logout(self, request: web.Request, body: Any) -> web.Response:
        grant = self._refresh_grant(request)
        form = body if isinstance(body, dict) else {}
        named = self._grants.get(str(form.get("refresh_token", "")))
        for found in (grant, named):
            if found is not None:
                found.revoked = True
        return web.json_response({})


_LOGIN_FIELDS = (
    '<input name="email" type="email" autocomplete="username">'
    '<input name="password" type="password" autocomplete="current-password">'
)


def _mfa_page(
    challenge: str, params: dict[str, str], action: str, problem: str = ""
) -> web.Response:
    return _page(
        "Two-factor authentication",
        '<input name="code" inputmode="numeric" autocomplete="one-time-code">',
        {**params, "mfa_token": challenge},
        action,
        problem,
    )
