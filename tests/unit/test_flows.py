"""The flows of each kind of token, driven by hand with ``next()`` and ``.send()``: what each
asks to send, and what each makes of an answer (no event loop, no socket)."""

from __future__ import annotations

import json
from typing import Any, TypeVar

import pytest
from yarl import URL

from frontegg_async import (
    AuthenticationError,
    AuthResponse,
    InvalidRequestError,
    MfaRequiredError,
    NotFoundError,
    ResponseFormatError,
    ServerError,
    TransportError,
)
from frontegg_async._core.flows import ApiToken, Environment, UserPassword
from frontegg_async._core.renewal import How, Learned, kept_from_refused, renew_or_obtain
from frontegg_async._core.tokens import TokenSet
from frontegg_async._core.wire import Answer, Flow, RefreshCookie, Request, find_refresh_cookie
from frontegg_async._secrets import Secret
from frontegg_async._totp import decode_secret, totp

T = TypeVar("T")

BASE = URL("https://app-x.frontegg.com/identity")
GATEWAY = URL("https://api.frontegg.com")
COOKIE = "fe_refresh_abcdef"
TOTP_SECRET = "JBSWY3DPEHPK3PXP"


class Clock:
    """A wall clock that moves only when told."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def answer(status: int, body: Any = None, *, cookie: str | None = None, **headers: str) -> Answer:
    raw = b"" if body is None else json.dumps(body).encode()
    set_cookies = [] if cookie is None else [f"{COOKIE}={cookie}; Path=/; HttpOnly"]
    return Answer(
        status=status,
        headers={"Content-Type": "application/json", **headers},
        body=raw,
        refresh_cookie=find_refresh_cookie(set_cookies),
    )


def tokens_body(access: str = "access-1", refresh: str = "refresh-1", **more: Any) -> Any:
    return {
        "mfaRequired": False,
        "accessToken": access,
        "refreshToken": refresh,
        "expiresIn": 60,
        **more,
    }


def finish(flow: Flow[T], reply: Answer) -> T:
    """Hand ``reply`` to a flow that must end with it, and return what it returns."""
    with pytest.raises(StopIteration) as done:
        flow.send(reply)
    result: T = done.value.value
    return result


def user(clock: Clock | None = None, **options: Any) -> UserPassword:
    settings: dict[str, Any] = {
        "base_url": BASE,
        "vendor_host": "app-x.frontegg.com",
        "email": "ada@example.com",
        "password": Secret("canary-password"),
        "totp_secret": None,
        "client_id": None,
        "clock": clock or Clock(),
    }
    settings.update(options)
    return UserPassword(**settings)


def signed_in(cookie: str = "refresh-1") -> TokenSet[AuthResponse]:
    return TokenSet(
        access_token=Secret("access-1"),
        refresh_token=Secret(cookie),
        cookie=RefreshCookie(COOKIE, Secret(cookie)),
        obtained_at=0.0,
        lifetime=60.0,
        answer=AuthResponse(mfa_required=False),
    )


# -- the user's session ----------------------------------------------------------------------


def test_login_posts_the_credentials_and_keeps_the_cookie_it_is_given() -> None:
    clock = Clock()
    flow = user(clock).obtain()
    request = next(flow)
    assert (request.method, request.url) == ("POST", BASE / "resources/auth/v1/user")
    assert request.json == {"email": "ada@example.com", "password": "canary-password"}
    assert request.headers["frontegg-vendor-host"] == "app-x.frontegg.com"
    assert request.headers["Origin"] == "https://app-x.frontegg.com"
    assert request.bearer is None
    assert request.cookie is None
    clock.now += 0.25  # the round trip
    tokens = finish(flow, answer(200, tokens_body(), cookie="refresh-1"))
    assert tokens.access_token.reveal() == "access-1"
    assert tokens.cookie == RefreshCookie(COOKIE, Secret("refresh-1"))
    assert tokens.obtained_at == 1_700_000_000.0  # before the request: conservative
    assert tokens.lifetime == 60.0


def test_a_request_shows_no_credential_in_its_repr() -> None:
    flow = user().obtain()
    assert "canary-password" not in repr(next(flow))
    logout = user().revoke(signed_in("canary-refresh"))
    request = next(logout)
    assert request.bearer is not None
    assert request.cookie is not None
    assert "canary-refresh" not in repr(request)
    assert "access-1" not in repr(request)


def test_login_answers_an_mfa_challenge_with_the_totp_code_of_the_moment() -> None:
    clock = Clock()
    flow = user(clock, totp_secret=Secret(TOTP_SECRET)).obtain()
    next(flow)
    challenge = {
        "mfaRequired": True,
        "mfaToken": "challenge-1",
        "mfaStrategies": ["AuthenticatorApp"],
    }
    verify = flow.send(answer(200, challenge))
    assert verify.url == BASE / "resources/auth/v1/user/mfa/verify"
    assert verify.json == {
        "mfaToken": "challenge-1",
        "value": totp(decode_secret(TOTP_SECRET), clock.now),
    }
    tokens = finish(flow, answer(200, tokens_body(), cookie="refresh-1"))
    assert tokens.access_token.reveal() == "access-1"


def test_without_a_totp_secret_an_mfa_challenge_is_raised_with_what_to_do() -> None:
    flow = user().obtain()
    next(flow)
    challenge = {"mfaRequired": True, "mfaToken": "challenge-1", "mfaStrategies": ["SMS"]}
    with pytest.raises(MfaRequiredError, match=r"verify_mfa\(code\)") as raised:
        flow.send(answer(200, challenge))
    assert raised.value.mfa_token == "challenge-1"
    assert raised.value.strategies == ("SMS",)


def test_a_login_route_that_is_not_there_says_to_check_the_base_url() -> None:
    flow = user().obtain()
    next(flow)
    with pytest.raises(NotFoundError, match="ending in /identity"):
        flow.send(answer(404, {"errors": ["Cannot POST"]}))


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, AuthenticationError), (400, InvalidRequestError), (503, ServerError)],
)
def test_a_refused_login_is_the_error_its_status_means(status: int, error: type[Exception]) -> None:
    flow = user().obtain()
    next(flow)
    with pytest.raises(error):
        flow.send(answer(status, {"errors": ["no"]}))


def test_refresh_sends_the_cookie_and_rotation_moves_it_to_the_new_refresh_token() -> None:
    flow = user().renew(signed_in("refresh-1"))
    request = next(flow)
    assert request.url == BASE / "resources/auth/v1/user/token/refresh"
    assert request.cookie == RefreshCookie(COOKIE, Secret("refresh-1"))
    # The new refresh token in the body only, no Set-Cookie: the cookie follows it.
    tokens = finish(flow, answer(200, tokens_body("access-2", "refresh-2")))
    assert tokens.cookie == RefreshCookie(COOKIE, Secret("refresh-2"))
    assert tokens.access_token.reveal() == "access-2"


def test_a_400_that_names_the_refresh_token_is_a_refused_refresh() -> None:
    flow = user().renew(signed_in())
    next(flow)
    with pytest.raises(AuthenticationError):
        flow.send(answer(400, {"errors": ["Refresh token is invalid"]}))
    other = user().renew(signed_in())
    next(other)
    with pytest.raises(InvalidRequestError):  # any other 400 is not about the token
        other.send(answer(400, {"errors": ["tenantId must be a string"]}))


def test_an_answer_without_a_refresh_cookie_or_a_way_to_name_one_is_refused() -> None:
    flow = user().obtain()
    next(flow)
    with pytest.raises(ResponseFormatError, match="client_id="):
        flow.send(answer(200, tokens_body()))
    named = user(client_id="abcd-ef").obtain()
    next(named)
    tokens = finish(named, answer(200, tokens_body()))
    assert tokens.cookie == RefreshCookie("fe_refresh_abcdef", Secret("refresh-1"))


def test_an_auth_answer_that_does_not_fit_is_never_kept_on_the_error() -> None:
    flow = user().obtain()
    next(flow)
    with pytest.raises(ResponseFormatError, match="mfa_required") as raised:
        flow.send(answer(200, {"accessToken": "canary-token"}))  # tokens: not for an error
    assert raised.value.data is None


@pytest.mark.parametrize("expires_in", [0, -30])
def test_a_lifetime_that_is_not_positive_is_refused_and_what_renews_is_kept(
    expires_in: int,
) -> None:
    flow = user().obtain()
    next(flow)
    tokens = finish(flow, answer(200, tokens_body(expiresIn=expires_in), cookie="r"))
    assert tokens.refused is not None
    assert "must be positive" in tokens.refused
    assert tokens.lifetime == 0
    assert tokens.cookie == RefreshCookie("fe_refresh_abcdef", Secret("r"))
    assert "access-1" not in tokens.refused


def test_a_token_that_lives_no_longer_than_its_round_trip_is_refused() -> None:
    clock = Clock()
    flow = user(clock).obtain()
    next(flow)
    clock.now += 2.0  # the answer took two seconds, and the token lives one
    tokens = finish(flow, answer(200, tokens_body(expiresIn=1), cookie="r"))
    assert tokens.refused is not None
    assert "lapse before it could be used" in tokens.refused


def test_a_refused_lifetime_with_nothing_that_renews_is_raised() -> None:
    flow = machine(Environment).obtain()
    next(flow)
    with pytest.raises(ResponseFormatError, match="must be positive"):
        flow.send(answer(200, {"token": "v1", "expiresIn": 0}))


def test_after_a_refused_renewal_the_new_refresh_token_is_kept_with_the_old_access_token() -> None:
    previous = signed_in()
    flow = user().renew(previous)
    next(flow)
    refused = finish(flow, answer(200, tokens_body("access-2", "refresh-2", expiresIn=0)))
    kept = kept_from_refused(refused, previous)
    assert kept.access_token == previous.access_token
    assert kept.lifetime == previous.lifetime
    assert kept.refresh_token == Secret("refresh-2")
    assert kept.cookie is not None
    assert kept.cookie.value == Secret("refresh-2")
    assert kept.refused is None
    # With nothing renewed before (a login), the answer's own set, never usable.
    alone = kept_from_refused(refused, None)
    assert (alone.access_token, alone.lifetime, alone.refused) == (Secret("access-2"), 0, None)


def test_logout_is_one_call_with_the_bearer_and_the_cookie() -> None:
    flow = user().revoke(signed_in())
    request = next(flow)
    assert request.url == BASE / "resources/auth/v1/logout"
    assert request.bearer == Secret("access-1")
    assert finish(flow, answer(200)) is None


# -- machine tokens -----------------------------------------------------------------------------


def api_token_body(access: str, refresh: str) -> Any:
    return {
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": 60,
        "expires": "Thu, 01 Jan 2099 00:00:00 GMT",
    }


def machine(kind: type[ApiToken] | type[Environment], clock: Clock | None = None) -> Any:
    url = BASE if kind is ApiToken else GATEWAY
    return kind(
        base_url=url, client_id="m2m", secret=Secret("canary-secret"), clock=clock or Clock()
    )


def test_an_api_token_authenticates_then_spends_its_refresh_token_once() -> None:
    flow = machine(ApiToken).obtain()
    request = next(flow)
    assert request.url == BASE / "resources/auth/v2/api-token"
    assert request.json == {"clientId": "m2m", "secret": "canary-secret"}
    first = finish(flow, answer(200, api_token_body("a1", "r1")))
    renewal = machine(ApiToken).renew(first)
    request = next(renewal)
    assert request.url == BASE / "resources/auth/v2/api-token/token/refresh"
    assert request.json == {"refreshToken": "r1"}
    second = finish(renewal, answer(200, api_token_body("a2", "r2")))
    assert second.refresh_token == Secret("r2")


def test_the_environment_token_renews_by_authenticating_again() -> None:
    environment = machine(Environment)
    flow = environment.obtain()
    next(flow)
    tokens = finish(flow, answer(200, {"token": "v1", "expiresIn": 60}))
    assert not environment.can_renew(tokens)
    renewal = environment.renew(tokens)
    assert next(renewal).url == GATEWAY / "auth/vendor"
    with pytest.raises(ResponseFormatError, match="empty token"):
        renewal.send(answer(200, {"token": "", "expiresIn": 60}))


@pytest.mark.parametrize("kind", [ApiToken, Environment])
def test_machine_tokens_have_nothing_to_revoke(kind: type[ApiToken] | type[Environment]) -> None:
    with pytest.raises(StopIteration):
        next(machine(kind).revoke(signed_in()))


def test_requests_are_values() -> None:
    request = Request("GET", BASE / "x", what="x")
    assert request == Request("GET", BASE / "x", what="x")
    assert request.limit == 1 << 20


# -- renewing or obtaining: what the engine's flight runs ----------------------------------------


def renewal(
    tokens: TokenSet[AuthResponse] | None, *, relogin: bool = True, spent: Secret | None = None
) -> tuple[Flow[tuple[TokenSet[AuthResponse], How]], Learned]:
    learned = Learned()
    strategy = user(client_id="abcd-ef")
    return renew_or_obtain(strategy, tokens, spent=spent, relogin=relogin, learned=learned), learned


def test_without_a_token_set_it_logs_in() -> None:
    flow, learned = renewal(None)
    assert next(flow).url == BASE / "resources/auth/v1/user"
    tokens, how = finish(flow, answer(200, tokens_body()))
    assert (tokens.access_token.reveal(), how) == ("access-1", How.LOGGED_IN)
    assert learned == Learned()


def test_a_spent_refresh_token_is_never_sent_again() -> None:
    held = signed_in()
    flow, _ = renewal(held, spent=held.access_token)
    assert next(flow).url == BASE / "resources/auth/v1/user"  # a login, not a refresh
    assert finish(flow, answer(200, tokens_body()))[1] is How.RELOGGED_IN


def test_a_refused_refresh_spends_the_token_and_logs_in_again() -> None:
    held = signed_in()
    flow, learned = renewal(held)
    assert next(flow).url == BASE / "resources/auth/v1/user/token/refresh"
    login = flow.send(answer(401, {"errors": ["Session was revoked"]}))
    assert login.url == BASE / "resources/auth/v1/user"
    tokens, how = finish(flow, answer(200, tokens_body("access-2", "refresh-2")))
    assert (tokens.access_token.reveal(), how) == ("access-2", How.RELOGGED_IN)
    assert learned.spent == held.access_token
    assert isinstance(learned.refusal, AuthenticationError)


def test_without_relogin_a_refusal_is_raised_and_still_spends_the_token() -> None:
    held = signed_in()
    flow, learned = renewal(held, relogin=False)
    next(flow)
    with pytest.raises(AuthenticationError):
        flow.send(answer(401, {"errors": ["Session was revoked"]}))
    assert learned.spent == held.access_token


def test_a_refresh_whose_outcome_is_unknown_is_raised_and_never_resent() -> None:
    held = signed_in()
    flow, learned = renewal(held)
    next(flow)
    # As Transport.drive does with a timeout: thrown into the flow at its yield.
    with pytest.raises(TransportError):
        flow.throw(TransportError("refresh timed out after 2 s"))
    assert learned.spent == held.access_token
    assert learned.refusal is None


def test_a_transient_failure_is_raised_and_spends_nothing() -> None:
    flow, learned = renewal(signed_in())
    next(flow)
    with pytest.raises(ServerError):
        flow.send(answer(503, {"errors": ["busy"]}))
    assert learned == Learned()


def test_an_answer_too_large_to_read_spends_the_refresh_token_too() -> None:
    # The shell throws what sending raised, an oversized answer included: the server may have
    # rotated the token all the same.
    held = signed_in()
    flow, learned = renewal(held)
    next(flow)
    with pytest.raises(ResponseFormatError):
        flow.throw(ResponseFormatError("refresh answered with more than 1,048,576 bytes"))
    assert learned.spent == held.access_token
