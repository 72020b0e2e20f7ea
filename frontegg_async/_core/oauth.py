"""Hosted login, sans I/O: OAuth 2.0 authorization code with PKCE (S256) as Frontegg's web,
mobile and Next.js SDKs use it (``../shared/PROTOCOL.md``), and the strategy that renews a
session that started in a browser.

Theory of operation
-------------------
``start_sign_in()`` makes what one sign-in needs and nothing else holds: a fresh code verifier
and its S256 challenge, ``state`` (the answer to a forged redirect) and ``nonce`` (bound into the
ID token). ``authorize_url()`` is where the browser goes; ``code_from_redirect()`` reads the
redirect that comes back to the loopback listener, refusing a wrong ``state``, an ``error=``, or
no code. ``HostedLogin.exchange()`` trades the code (with the verifier) for the first token set
at ``POST /oauth/token``; from then on ``renew()`` trades the refresh token there (single use:
Frontegg rotates it) and ``revoke()`` ends it at ``POST /oauth/logout/token``.

A session that started in a browser cannot start again without one: ``obtain()`` can only spend
a refresh token handed over from elsewhere (``OAuthSession(refresh_token=...)``), once, and
otherwise says to sign in again.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Mapping

from attrs import field, frozen
from yarl import URL

from .._claims import decode_claims
from .._convert import parse_body
from .._errors import (
    AuthenticationError,
    FronteggError,
    ResponseFormatError,
    SessionExpiredError,
    restated,
)
from .._models import OAuthTokens
from .._secrets import Secret
from .policy import Verdict, classify
from .tokens import TokenSet, issued
from .wire import Answer, Flow, Request, decipher_answer, succeeded

TOKEN_PATH = "oauth/token"
AUTHORIZE_PATH = "oauth/authorize"
LOGOUT_PATH = "oauth/logout/token"
#: What Frontegg's SDKs ask for; the ID token carries the user's profile.
DEFAULT_SCOPE = "openid email profile"
#: Frontegg's web SDK takes a missing ``expires_in`` as this many seconds.
DEFAULT_LIFETIME = 300.0
#: What to do when a session that started in a browser has nothing left to renew with.
SIGN_IN_AGAIN = "sign in again in a browser: hosted_login(), or `frontegg-async login` for a store"


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of ``verifier`` (RFC 7636): base64url of its SHA-256, unpadded."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@frozen
class SignIn:
    """What one browser sign-in needs: made fresh each time, never reused."""

    verifier: Secret = field(repr=False)
    state: str = field(repr=False)
    nonce: str = field(repr=False)

    @property
    def challenge(self) -> str:
        """The S256 challenge sent to the authorize endpoint."""
        return s256(self.verifier.reveal())


def start_sign_in(token: Callable[[int], str] = secrets.token_urlsafe) -> SignIn:
    """A fresh verifier (86 characters, within RFC 7636's 43 to 128), state and nonce."""
    return SignIn(verifier=Secret(token(64)), state=token(24), nonce=token(24))


def authorize_url(
    domain: URL, *, client_id: str, redirect_uri: str, sign_in: SignIn, scope: str = DEFAULT_SCOPE
) -> URL:
    """Where the browser goes: Frontegg's login box for this client."""
    return (domain / AUTHORIZE_PATH).with_query(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "code_challenge": sign_in.challenge,
            "code_challenge_method": "S256",
            "state": sign_in.state,
            "nonce": sign_in.nonce,
        }
    )


def code_from_redirect(query: Mapping[str, str], sign_in: SignIn) -> str:
    """The code the redirect carries, or the ``AuthenticationError`` saying why there is none."""
    if not secrets.compare_digest(query.get("state", ""), sign_in.state):
        raise AuthenticationError(
            "the sign-in redirect carried another state than the one sent: it did not come from "
            f"this sign-in, and was ignored; {SIGN_IN_AGAIN}"
        )
    error = query.get("error")
    if error is not None:
        description = query.get("error_description")
        said = f"{error}: {description}" if description else error
        raise AuthenticationError(f"the sign-in was refused ({said}); {SIGN_IN_AGAIN}")
    code = query.get("code")
    if not code:
        raise AuthenticationError(f"the sign-in redirect carried no code; {SIGN_IN_AGAIN}")
    return code


def check_nonce(tokens: TokenSet[OAuthTokens], sign_in: SignIn) -> None:
    """Refuse an ID token bound to another sign-in (``nonce``); one without a nonce passes, as
    Frontegg's SDKs let it."""
    id_token = tokens.answer.id_token
    if not id_token:
        return
    nonce = decode_claims(id_token).raw.get("nonce")
    if nonce is not None and not secrets.compare_digest(str(nonce), sign_in.nonce):
        raise AuthenticationError(
            f"the ID token was issued for another sign-in (nonce differs); {SIGN_IN_AGAIN}"
        )


def _is_refusal(error: FronteggError) -> bool:
    """Whether ``/oauth/token`` refused the grant itself (OAuth's ``invalid_grant`` and kin:
    a 400 or 401), rather than failing to answer it."""
    return error.status in (400, 401) and not error.retryable


class HostedLogin:
    """A session that started in a browser: renews and revokes at Frontegg's ``/oauth``."""

    __slots__ = ("_adopted", "_client_id", "_clock", "_domain", "_headers")
    start_again = SIGN_IN_AGAIN

    def __init__(
        self,
        *,
        domain: URL,
        client_id: str,
        clock: Callable[[], float],
        adopted: Secret | None = None,
    ) -> None:
        self._domain = domain
        self._client_id = client_id
        self._clock = clock
        #: A refresh token handed over (obtained elsewhere), spent by the first ``obtain()``.
        self._adopted = adopted
        self._headers = {"Origin": str(domain.origin())}

    def obtain(self) -> Flow[TokenSet[OAuthTokens]]:
        """Spend the refresh token handed over, once; without one, say to sign in again."""
        adopted = self._adopted
        if adopted is None:
            raise SessionExpiredError(
                f"this session has no refresh token to start from; {SIGN_IN_AGAIN}"
            )
        try:
            fresh = yield from self._refreshed(adopted, what="refresh")
        except FronteggError as error:
            # A refusal, or an answer that may have spent it: never sent again. A try that
            # surely did not reach the server keeps it for the next one.
            if classify(error, renewing=True) is not Verdict.RETRY:
                self._adopted = None
            raise
        self._adopted = None
        return fresh

    def exchange(
        self, code: str, sign_in: SignIn, redirect_uri: str
    ) -> Flow[TokenSet[OAuthTokens]]:
        """Trade the authorization code (and the verifier it was asked with) for tokens."""
        started = self._clock()
        answer = yield Request(
            "POST",
            self._domain / TOKEN_PATH,
            what="sign-in",
            json={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": sign_in.verifier.reveal(),
                "client_id": self._client_id,
            },
            headers=self._headers,
        )
        error = decipher_answer(answer, "sign-in")
        if error is not None and _is_refusal(error):
            raise AuthenticationError(
                f"{error}; {SIGN_IN_AGAIN}", status=error.status, errors=error.errors
            )
        if error is not None:
            # Frontegg or the wire failed, not the user: the family says so. The code may be
            # spent all the same, and nothing here tries it again.
            raise restated(error, f"{error}; the sign-in did not complete: {SIGN_IN_AGAIN}")
        return self._token_set(answer, started, what="sign-in")

    def renew(self, tokens: TokenSet[OAuthTokens]) -> Flow[TokenSet[OAuthTokens]]:
        """Trade the refresh token for a new set (Frontegg rotates it)."""
        assert tokens.refresh_token is not None
        return (yield from self._refreshed(tokens.refresh_token, what="refresh"))

    def can_renew(self, tokens: TokenSet[OAuthTokens]) -> bool:
        """A set renews with its refresh token."""
        return tokens.refresh_token is not None

    def revoke(self, tokens: TokenSet[OAuthTokens]) -> Flow[None]:
        """Log out: the refresh token is revoked."""
        body = (
            {} if tokens.refresh_token is None else {"refresh_token": tokens.refresh_token.reveal()}
        )
        answer = yield Request(
            "POST",
            self._domain / LOGOUT_PATH,
            what="logout",
            json=body,
            headers=self._headers,
            bearer=tokens.access_token,
        )
        succeeded(answer, "logout")

    def _refreshed(self, refresh_token: Secret, *, what: str) -> Flow[TokenSet[OAuthTokens]]:
        started = self._clock()
        answer = yield Request(
            "POST",
            self._domain / TOKEN_PATH,
            what=what,
            json={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token.reveal(),
                "client_id": self._client_id,
            },
            headers=self._headers,
        )
        error = decipher_answer(answer, what)
        if error is not None and _is_refusal(error):
            # invalid_grant: spent, revoked or expired. Nothing but a browser mends it.
            raise AuthenticationError(
                f"{error}; the refresh token was refused: {SIGN_IN_AGAIN}",
                status=error.status,
                errors=error.errors,
            )
        if error is not None:
            raise error
        return self._token_set(answer, started, what=what)

    def _token_set(self, answer: Answer, started: float, *, what: str) -> TokenSet[OAuthTokens]:
        tokens = parse_body(answer.body, OAuthTokens, what=what)
        bearer = tokens.id_token or tokens.access_token
        if not bearer:
            raise ResponseFormatError(f"{what} answered with neither id_token nor access_token")
        if not tokens.refresh_token:
            raise ResponseFormatError(
                f"{what} answered without a refresh_token, so the session could not renew; "
                "check that the application allows refresh tokens (offline access)"
            )
        return issued(
            tokens,
            access_token=bearer,
            refresh_token=tokens.refresh_token,
            cookie=None,
            expires_in=DEFAULT_LIFETIME if tokens.expires_in is None else tokens.expires_in,
            started=started,
            what=what,
            clock=self._clock,
        )
