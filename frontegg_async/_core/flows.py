"""How each kind of token is obtained, renewed and revoked: one small class a kind, whose
methods are flows.

A flow is a generator that yields the ``Request`` it needs sent and receives its ``Answer``
(httpx's auth flows, gidgethub's sans-I/O): it decides what to ask and what an answer means,
and never touches a socket. ``Transport.drive`` runs one over the network; the unit tests run
them with ``next()`` and ``.send()``. A strategy keeps no state about the session's life:
deciding when to run a flow, retrying and single flight belong to the engine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from yarl import URL

from .._convert import parse_body
from .._errors import (
    AuthenticationError,
    MfaRequiredError,
    NotFoundError,
    ResponseFormatError,
)
from .._models import ApiTokenResponse, AuthResponse, VendorToken, parse_auth_response
from .._secrets import Secret
from .._totp import decode_secret, totp
from .policy import is_refresh_rejection
from .tokens import AnswerT, TokenSet, issued
from .wire import (
    Answer,
    Flow,
    RefreshCookie,
    Request,
    decipher_answer,
    refresh_cookie_name,
    succeeded,
)

logger = logging.getLogger("frontegg_async")

LOGIN_PATH = "resources/auth/v1/user"
REFRESH_PATH = "resources/auth/v1/user/token/refresh"
LOGOUT_PATH = "resources/auth/v1/logout"
MFA_VERIFY_PATH = "resources/auth/v1/user/mfa/verify"
VENDOR_PATH = "auth/vendor"
API_TOKEN_PATH = "resources/auth/v2/api-token"
API_TOKEN_REFRESH_PATH = "resources/auth/v2/api-token/token/refresh"


#: What to do once a session cannot renew, for kinds whose credentials log in again.
LOGIN_AGAIN = "call login() again"


class Strategy(Protocol[AnswerT]):
    """What the engine needs from a kind of token: three flows, one question, and what to tell
    a caller once renewing cannot help (``start_again``)."""

    start_again: str

    def obtain(self) -> Flow[TokenSet[AnswerT]]:
        """Authenticate from the stored credentials."""
        ...

    def renew(self, tokens: TokenSet[AnswerT]) -> Flow[TokenSet[AnswerT]]:
        """Exchange ``tokens``' refresh token for a new set; AuthenticationError if refused."""
        ...

    def revoke(self, tokens: TokenSet[AnswerT]) -> Flow[None]:
        """Invalidate ``tokens`` on the server."""
        ...

    def can_renew(self, tokens: TokenSet[AnswerT]) -> bool:
        """Whether ``tokens`` carry what ``renew`` needs (else the engine obtains anew)."""
        ...


def mfa_required(auth: AuthResponse, mfa_token: str) -> MfaRequiredError:
    """The error for a login that asks for a second factor, saying which and what to do."""
    strategies = auth.mfa_strategies or ()
    offered = f" ({', '.join(strategies)})" if strategies else ""
    if auth.mfa_enrolled is False:
        message = (
            f"login needs a second factor{offered} that the user has not enrolled yet: enrol one "
            "(Frontegg's login box offers it), then log in again"
        )
    else:
        message = (
            f"login needs a second factor{offered}: call verify_mfa(code) with the code from "
            "the authenticator app, or give the session a totp_secret"
        )
    return MfaRequiredError(
        message, mfa_token=mfa_token, strategies=strategies, enrolled=auth.mfa_enrolled
    )


class UserPassword:
    """A user's session: email and password login, refresh cookie, optional TOTP for MFA."""

    __slots__ = (
        "_base_url",
        "_clock",
        "_cookie_owner",
        "_email",
        "_header_values",
        "_password",
        "_totp_key",
        "_urls",
        "_vendor_host",
    )
    start_again = LOGIN_AGAIN

    def __init__(
        self,
        *,
        base_url: URL,
        vendor_host: str,
        email: str,
        password: Secret,
        totp_secret: Secret | None,
        client_id: str | None,
        clock: Callable[[], float],
        application_id: str | None = None,
    ) -> None:
        self._base_url = base_url
        self._vendor_host = vendor_host
        # Frontegg's native and Next.js SDKs send the domain as Origin on every auth call; with
        # an application, they name it (PROTOCOL.md).
        headers = {"frontegg-vendor-host": vendor_host, "Origin": str(base_url.origin())}
        if application_id is not None:
            headers["frontegg-requested-application-id"] = application_id
        self._header_values = headers
        # Next.js names the refresh cookie after the application when there is one.
        self._cookie_owner = application_id if application_id is not None else client_id
        self._email = email
        self._password = password
        self._totp_key = None if totp_secret is None else decode_secret(totp_secret.reveal())
        self._clock = clock
        self._urls = {
            path: base_url / path
            for path in (LOGIN_PATH, MFA_VERIFY_PATH, REFRESH_PATH, LOGOUT_PATH)
        }

    @property
    def _headers(self) -> dict[str, str]:
        return self._header_values

    def obtain(self) -> Flow[TokenSet[AuthResponse]]:
        """Log in; answer an MFA challenge with the TOTP secret when there is one."""
        started = self._clock()
        answer = yield Request(
            "POST",
            self._urls[LOGIN_PATH],
            what="login",
            json={"email": self._email, "password": self._password.reveal()},
            headers=self._headers,
        )
        error = decipher_answer(answer, "login")
        if error is not None and error.status == 404:
            # JSON or an error page alike: no login here means a wrong base URL, which no
            # retry mends.
            raise NotFoundError(
                f"{error}; no login route at {self._base_url}: check that the base URL is "
                "your Frontegg domain's identity URL, ending in /identity",
                status=error.status,
                errors=error.errors,
            )
        if error is not None:
            raise error
        auth = parse_auth_response(answer.body, what="login")
        if auth.mfa_required:
            mfa_token = auth.mfa_token or ""
            if self._totp_key is None or auth.mfa_enrolled is False:
                raise mfa_required(auth, mfa_token)
            return (yield from self.verify_mfa(mfa_token, totp(self._totp_key, self._clock())))
        return self._token_set(auth, answer, started, what="login")

    def verify_mfa(self, mfa_token: str, code: str) -> Flow[TokenSet[AuthResponse]]:
        """Complete a login that asked for MFA with a code from the authenticator app."""
        started = self._clock()
        # The spec's prose swaps the two fields; Frontegg's own web SDK sends the challenge
        # token as mfaToken and the 6-digit code as value, and so do we.
        answer = yield Request(
            "POST",
            self._urls[MFA_VERIFY_PATH],
            what="MFA verification",
            json={"mfaToken": mfa_token, "value": code},
            headers=self._headers,
        )
        auth = parse_auth_response(
            succeeded(answer, "MFA verification").body, what="MFA verification"
        )
        return self._token_set(auth, answer, started, what="MFA verification")

    def renew(self, tokens: TokenSet[AuthResponse]) -> Flow[TokenSet[AuthResponse]]:
        """Refresh with the session's refresh cookie (the spec answers 201; any 2xx will do)."""
        started = self._clock()
        answer = yield Request(
            "POST",
            self._urls[REFRESH_PATH],
            what="refresh",
            json={},
            headers=self._headers,
            cookie=tokens.cookie,
        )
        error = decipher_answer(answer, "refresh")
        if error is not None and error.status == 400 and is_refresh_rejection(error):
            raise AuthenticationError(str(error), status=error.status, errors=error.errors)
        if error is not None:
            raise error
        auth = parse_auth_response(answer.body, what="refresh")
        return self._token_set(auth, answer, started, what="refresh", previous=tokens)

    def can_renew(self, tokens: TokenSet[AuthResponse]) -> bool:
        """A user session renews with its refresh cookie."""
        return tokens.cookie is not None

    def revoke(self, tokens: TokenSet[AuthResponse]) -> Flow[None]:
        """Log out: the server invalidates the refresh token."""
        answer = yield Request(
            "POST",
            self._urls[LOGOUT_PATH],
            what="logout",
            headers=self._headers,
            bearer=tokens.access_token,
            cookie=tokens.cookie,
        )
        succeeded(answer, "logout")

    def _token_set(
        self,
        auth: AuthResponse,
        answer: Answer,
        started: float,
        *,
        what: str,
        previous: TokenSet[AuthResponse] | None = None,
    ) -> TokenSet[AuthResponse]:
        if auth.mfa_required:
            raise ResponseFormatError(f"{what} asked for MFA again; log in once more")
        if not auth.access_token:
            raise ResponseFormatError(f"{what} answered with an empty accessToken")
        if auth.expires_in is None:
            raise ResponseFormatError(
                f"{what} answered without expiresIn: required field missing @ $.expires_in"
            )
        cookie = answer.refresh_cookie
        if cookie is None and auth.refresh_token and self._cookie_owner is not None:
            cookie = RefreshCookie(
                name=refresh_cookie_name(self._cookie_owner), value=Secret(auth.refresh_token)
            )
        if (
            cookie is None
            and previous is not None
            and previous.cookie is not None
            and auth.refresh_token
        ):
            # Rotation puts the new refresh token in the body; the cookie carries the same value.
            cookie = RefreshCookie(name=previous.cookie.name, value=Secret(auth.refresh_token))
        if cookie is None:
            raise ResponseFormatError(
                f"{what} set no fe_refresh_* cookie, so the session could not refresh; "
                "pass client_id= (or application_id=) so that it can name the cookie itself"
            )
        return issued(
            auth,
            access_token=auth.access_token,
            refresh_token=auth.refresh_token,
            cookie=cookie,
            expires_in=auth.expires_in,
            started=started,
            what=what,
            clock=self._clock,
        )


class ClientCredentials:
    """What the machine strategies share: a client id and secret, sent to one base URL."""

    __slots__ = ("_base_url", "_client_id", "_clock", "_secret")
    start_again = LOGIN_AGAIN

    def __init__(
        self,
        *,
        base_url: URL,
        client_id: str,
        secret: Secret,
        clock: Callable[[], float],
    ) -> None:
        self._base_url = base_url
        self._client_id = client_id
        self._secret = secret
        self._clock = clock

    @property
    def _credentials(self) -> dict[str, str]:
        return {"clientId": self._client_id, "secret": self._secret.reveal()}


class Environment(ClientCredentials):
    """The environment (vendor) token: ``POST {gateway}/auth/vendor`` with client id and secret.

    Its ``base_url`` is the gateway root. It has no refresh token, so renewing it is
    authenticating again.
    """

    __slots__ = ()

    def obtain(self) -> Flow[TokenSet[VendorToken]]:
        """Authenticate the environment."""
        what = "environment authentication"
        started = self._clock()
        answer = yield Request(
            "POST", self._base_url / VENDOR_PATH, what=what, json=self._credentials
        )
        vendor = parse_body(succeeded(answer, what).body, VendorToken, what=what)
        if not vendor.token:
            raise ResponseFormatError("environment authentication answered with an empty token")
        return issued(
            vendor,
            access_token=vendor.token,
            refresh_token=None,
            cookie=None,
            expires_in=vendor.expires_in,
            started=started,
            what=what,
            clock=self._clock,
        )

    def can_renew(self, tokens: TokenSet[VendorToken]) -> bool:
        """Never: there is no refresh token."""
        return False

    def renew(self, tokens: TokenSet[VendorToken]) -> Flow[TokenSet[VendorToken]]:
        """Authenticate again."""
        return (yield from self.obtain())

    def revoke(self, tokens: TokenSet[VendorToken]) -> Flow[None]:
        """Nothing to revoke: the token simply lapses."""
        return
        yield  # a flow that sends nothing


class ApiToken(ClientCredentials):
    """Machine-to-machine API tokens (v2): client id and secret, rotating refresh tokens."""

    __slots__ = ()

    def obtain(self) -> Flow[TokenSet[ApiTokenResponse]]:
        """Authenticate with the API token's client id and secret."""
        what = "API token authentication"
        started = self._clock()
        answer = yield Request(
            "POST", self._base_url / API_TOKEN_PATH, what=what, json=self._credentials
        )
        return self._token_set(succeeded(answer, what), started, what=what)

    def can_renew(self, tokens: TokenSet[ApiTokenResponse]) -> bool:
        """When the last answer carried a refresh token."""
        return tokens.refresh_token is not None

    def renew(self, tokens: TokenSet[ApiTokenResponse]) -> Flow[TokenSet[ApiTokenResponse]]:
        """Exchange the refresh token (single use) for a new pair."""
        assert tokens.refresh_token is not None
        what = "API token refresh"
        started = self._clock()
        answer = yield Request(
            "POST",
            self._base_url / API_TOKEN_REFRESH_PATH,
            what=what,
            json={"refreshToken": tokens.refresh_token.reveal()},
        )
        return self._token_set(succeeded(answer, what), started, what=what)

    def revoke(self, tokens: TokenSet[ApiTokenResponse]) -> Flow[None]:
        """Nothing to call: Frontegg has no logout for API tokens; they lapse."""
        return
        yield  # a flow that sends nothing

    def _token_set(
        self, answer: Answer, started: float, *, what: str
    ) -> TokenSet[ApiTokenResponse]:
        api = parse_body(answer.body, ApiTokenResponse, what=what)
        if not api.access_token:
            raise ResponseFormatError(f"{what} answered with an empty access_token")
        return issued(
            api,
            access_token=api.access_token,
            refresh_token=api.refresh_token,
            cookie=None,
            expires_in=api.expires_in,
            started=started,
            what=what,
            clock=self._clock,
        )
