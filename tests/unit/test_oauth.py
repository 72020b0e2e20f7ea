"""Hosted login, sans I/O (``_core.oauth``): PKCE as RFC 7636 defines it, the authorize URL,
the redirect's checks, and the HostedLogin strategy's flows driven with ``next()`` and
``.send()`` (no loop, no socket)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from yarl import URL

from frontegg_async import (
    AuthenticationError,
    FronteggError,
    RateLimitedError,
    ResponseFormatError,
    ServerError,
    SessionExpiredError,
)
from frontegg_async._core.oauth import (
    HostedLogin,
    SignIn,
    authorize_url,
    code_from_redirect,
    s256,
    start_sign_in,
)
from frontegg_async._core.tokens import TokenSet
from frontegg_async._core.wire import Answer, Flow, Request
from frontegg_async._models import OAuthTokens
from frontegg_async._secrets import Secret

DOMAIN = URL("https://app-x.example.com")
NOW = 1_700_000_000.0


def jwt(**claims: Any) -> str:
    def part(value: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.signature"


def answer(status: int, body: Any) -> Answer:
    return Answer(
        status=status,
        headers={"Content-Type": "application/json"},
        body=json.dumps(body).encode(),
        refresh_cookie=None,
    )


def oauth_body(refresh: str = "r-2", **more: Any) -> dict[str, Any]:
    return {
        "access_token": jwt(sub="u", iat=NOW, exp=NOW + 60, kind="access"),
        "id_token": jwt(sub="u", iat=NOW, exp=NOW + 60, nonce="n-1"),
        "refresh_token": refresh,
        "expires_in": 60,
        "token_type": "Bearer",
        **more,
    }


def hosted(adopted: str | None = None) -> HostedLogin:
    return HostedLogin(
        domain=DOMAIN,
        client_id="client-1",
        clock=lambda: NOW,
        adopted=None if adopted is None else Secret(adopted),
    )


def finish(flow: Flow[Any], reply: Answer) -> Any:
    with pytest.raises(StopIteration) as done:
        flow.send(reply)
    return done.value.value


def held(refresh: str = "r-1") -> TokenSet[OAuthTokens]:
    return TokenSet(
        access_token=Secret("id-1"),
        refresh_token=Secret(refresh),
        cookie=None,
        obtained_at=NOW,
        lifetime=60.0,
        answer=OAuthTokens(access_token="a-1", id_token="id-1", refresh_token=refresh),
    )


SIGN_IN = SignIn(verifier=Secret("v" * 43), state="state-1", nonce="n-1")


def test_s256_is_rfc_7636s_example() -> None:
    # RFC 7636, appendix B.
    assert s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_each_sign_in_is_fresh_and_its_verifier_is_long_enough_and_hidden() -> None:
    first, second = start_sign_in(), start_sign_in()
    assert first.state != second.state
    assert first.verifier != second.verifier
    assert 43 <= len(first.verifier.reveal()) <= 128
    assert first.verifier.reveal() not in repr(first)
    assert first.state not in repr(first)


def test_the_authorize_url_asks_for_a_code_with_pkce() -> None:
    url = authorize_url(
        DOMAIN, client_id="client-1", redirect_uri="http://127.0.0.1:5/callback", sign_in=SIGN_IN
    )
    assert url.path == "/oauth/authorize"
    assert dict(url.query) == {
        "response_type": "code",
        "client_id": "client-1",
        "redirect_uri": "http://127.0.0.1:5/callback",
        "scope": "openid email profile",
        "code_challenge": s256("v" * 43),
        "code_challenge_method": "S256",
        "state": "state-1",
        "nonce": "n-1",
    }


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ({"code": "c", "state": "forged"}, "another state"),
        ({"code": "c"}, "another state"),
        ({"state": "state-1", "error": "access_denied"}, r"refused \(access_denied\)"),
        ({"state": "state-1"}, "no code"),
    ],
)
def test_a_redirect_without_a_good_code_says_why(query: dict[str, str], reason: str) -> None:
    with pytest.raises(AuthenticationError, match=reason):
        code_from_redirect(query, SIGN_IN)
    assert code_from_redirect({"code": "c", "state": "state-1"}, SIGN_IN) == "c"


def test_the_code_is_exchanged_with_the_verifier_and_the_id_token_is_the_bearer() -> None:
    flow = hosted().exchange("code-1", SIGN_IN, "http://127.0.0.1:5/callback")
    request: Request = next(flow)
    assert request.method == "POST"
    assert request.url == DOMAIN / "oauth/token"
    assert request.json == {
        "grant_type": "authorization_code",
        "code": "code-1",
        "redirect_uri": "http://127.0.0.1:5/callback",
        "code_verifier": "v" * 43,
        "client_id": "client-1",
    }
    assert "v" * 43 not in repr(request)
    body = oauth_body()
    tokens = finish(flow, answer(200, body))
    assert tokens.access_token.reveal() == body["id_token"]
    assert tokens.refresh_token.reveal() == "r-2"
    assert tokens.cookie is None
    assert tokens.lifetime == 60


def test_a_refused_exchange_says_to_sign_in_again() -> None:
    flow = hosted().exchange("code-1", SIGN_IN, "http://127.0.0.1:5/callback")
    next(flow)
    with pytest.raises(
        AuthenticationError, match=r"invalid_grant: the code is used.*sign in again"
    ):
        flow.send(answer(400, {"error": "invalid_grant", "error_description": "the code is used"}))


@pytest.mark.parametrize(
    ("status", "family"), [(503, ServerError), (429, RateLimitedError), (502, ServerError)]
)
def test_an_exchange_that_frontegg_failed_keeps_its_family_and_promises_no_retry(
    status: int, family: type[FronteggError]
) -> None:
    flow = hosted().exchange("code-1", SIGN_IN, "http://127.0.0.1:5/callback")
    next(flow)
    with pytest.raises(family) as caught:
        flow.send(answer(status, {"errors": ["down for a moment"]}))
    assert not isinstance(caught.value, AuthenticationError)
    assert caught.value.status == status
    assert "the sign-in did not complete: sign in again in a browser" in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


def test_renewal_trades_the_refresh_token_and_a_refusal_is_final() -> None:
    flow = hosted().renew(held())
    request = next(flow)
    assert request.json == {
        "grant_type": "refresh_token",
        "refresh_token": "r-1",
        "client_id": "client-1",
    }
    assert finish(flow, answer(200, oauth_body("r-3"))).refresh_token.reveal() == "r-3"
    refused = hosted().renew(held())
    next(refused)
    with pytest.raises(AuthenticationError, match="refresh token was refused"):
        refused.send(answer(400, {"error": "invalid_grant"}))


def test_without_expires_in_a_token_is_trusted_for_five_minutes_as_the_web_sdk_does() -> None:
    flow = hosted().renew(held())
    next(flow)
    body = oauth_body()
    del body["expires_in"]
    body["id_token"] = jwt(sub="u")  # no exp either
    assert finish(flow, answer(200, body)).lifetime == 300


@pytest.mark.parametrize(
    "change",
    [{"refresh_token": ""}, {"id_token": "", "access_token": ""}],
    ids=["no refresh token", "no token"],
)
def test_an_answer_that_cannot_be_renewed_or_used_is_refused(change: dict[str, Any]) -> None:
    flow = hosted().renew(held())
    next(flow)
    with pytest.raises(ResponseFormatError):
        flow.send(answer(200, {**oauth_body(), **change}))


def test_an_adopted_refresh_token_is_spent_once_and_then_nothing_is_left() -> None:
    strategy = hosted(adopted="handed-over")
    flow = strategy.obtain()
    assert next(flow).json["refresh_token"] == "handed-over"
    finish(flow, answer(200, oauth_body()))
    with pytest.raises(SessionExpiredError, match="sign in again"):
        next(strategy.obtain())


def test_an_adopted_token_is_kept_only_while_it_surely_never_reached_the_server() -> None:
    from frontegg_async import TransportError

    strategy = hosted(adopted="handed-over")
    flow = strategy.obtain()
    next(flow)
    with pytest.raises(TransportError):
        flow.throw(TransportError("refused", maybe_processed=False))
    assert next(strategy.obtain()).json["refresh_token"] == "handed-over"  # kept: retried
    flow = strategy.obtain()
    next(flow)
    with pytest.raises(TransportError):
        flow.throw(TransportError("timed out", maybe_processed=True))
    with pytest.raises(SessionExpiredError):
        next(strategy.obtain())  # it may be spent: never sent again


def test_logout_revokes_the_refresh_token() -> None:
    flow = hosted().revoke(held())
    request = next(flow)
    assert request.url == DOMAIN / "oauth/logout/token"
    assert request.json == {"refresh_token": "r-1"}
    assert request.bearer == Secret("id-1")
    finish(flow, answer(200, {}))
