"""TokenVerifier against the fake's RS256 tokens and JWKS: genuine tokens of every kind pass,
the forged table is refused for the right reason, keys are fetched once for any crowd, kept
through failures, refetched for a rotation and at most once a ``refetch_interval`` for unknown
kids; the cache never outlives a token's exp nor its key."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frontegg_async import (
    ApiTokenSession,
    ConfigurationError,
    FronteggSession,
    InsufficientAccessError,
    InvalidTokenError,
    ResponseFormatError,
    ServerError,
    TokenVerifier,
    TransportError,
    VerifiedToken,
    WrongLoopError,
)
from frontegg_async.testing import FakeFrontegg, JumpingClock

from ..conftest import EMAIL, PASSWORD, token_of
from ..forged import forged_tokens, other_key, unverified

API_ID, API_SECRET = "verify-api-client", "verify-api-secret"


@pytest.fixture
async def fake(clock: JumpingClock) -> AsyncIterator[FakeFrontegg]:
    # Long-lived tokens: these tests jump the clock by minutes.
    async with FakeFrontegg(token_lifetime=3600, clock=clock.time) as server:
        server.add_user(EMAIL, PASSWORD)
        server.add_api_token(API_ID, API_SECRET)
        yield server


@pytest.fixture
async def user_token(fake: FakeFrontegg, clock: JumpingClock) -> str:
    return await token_of(fake, clock)


@pytest.fixture
async def verifier(fake: FakeFrontegg, clock: JumpingClock) -> AsyncIterator[TokenVerifier]:
    async with TokenVerifier(
        str(fake.url), audience=fake.client_id, clock=clock, timeout=1.0, refetch_interval=1.0
    ) as made:
        yield made


async def test_a_users_token_verifies_with_its_claims(
    verifier: TokenVerifier, user_token: str, fake: FakeFrontegg
) -> None:
    claims = await verifier.verify(user_token)
    assert isinstance(claims, VerifiedToken)
    expected = unverified(user_token)
    assert claims.sub == expected["sub"]
    assert claims.type == "userToken"
    assert claims.email == EMAIL
    assert claims.tenant_id == expected["tenantId"]
    assert claims.roles == tuple(expected["roles"])
    assert claims.permissions == tuple(expected["permissions"])
    assert claims.iss == fake.issuer
    assert dict(claims.raw) == expected
    # The Authorization header's form is taken as it comes.
    assert await verifier.verify(f"Bearer {user_token}") == claims
    assert await verifier.verify(f"bearer   {user_token} ") == claims
    assert fake.calls["jwks"] == 1


async def test_api_tokens_verify(
    verifier: TokenVerifier, fake: FakeFrontegg, clock: JumpingClock
) -> None:
    async with ApiTokenSession(
        fake.identity_url, client_id=API_ID, secret=API_SECRET, clock=clock
    ) as session:
        token = await session.access_token()
    claims = await verifier.verify(token)
    assert claims.type == "tenantApiToken"
    assert claims.sub == unverified(token)["sub"]


@pytest.mark.parametrize(
    "name",
    [
        "alg none",
        "HS256 keyed with the public key",
        "an alg that is not the key's",
        "ES256 by a key of its own",
        "an unknown kid",
        "another key with the same kid",
        "a tampered payload",
        "another audience",
        "another issuer",
        "expired an hour ago",
        "not valid for an hour",
        "issued an hour from now",
        "a type no route accepts",
        "no exp",
        "not a JWT",
        "two parts",
        "an exp of NaN",
        "a boolean iat",
        "a numeric sub",
    ],
)
async def test_each_forged_token_is_refused_for_its_reason(
    name: str,
    verifier: TokenVerifier,
    user_token: str,
    fake: FakeFrontegg,
    clock: JumpingClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await verifier.verify(user_token)  # keys held: an unknown kid costs one refetch, not two
    forged = forged_tokens(fake, user_token, now=clock.time())[name]
    caplog.set_level(logging.DEBUG, logger="frontegg_async")
    with pytest.raises(InvalidTokenError) as refused:
        await verifier.verify(forged.token)
    error = refused.value
    assert forged.reason in error.reason, error.reason
    assert error.status == 401
    # The reason is for logs: never the token, nor any part of it; nothing chained.
    for part in forged.token.split("."):
        if len(part) > 8:
            assert part not in str(error)
            assert part not in repr(error.args)
            assert part not in caplog.text
    assert error.__cause__ is None
    assert error.__context__ is None
    assert fake.calls["jwks"] == (2 if name == "an unknown kid" else 1)


async def test_the_audience_is_checked_only_when_configured(
    fake: FakeFrontegg, user_token: str, clock: JumpingClock
) -> None:
    elsewhere = fake.sign_token({**unverified(user_token), "aud": "another-application"})
    async with TokenVerifier(str(fake.url), clock=clock) as anyone:
        assert (await anyone.verify(elsewhere)).sub == unverified(user_token)["sub"]
    async with TokenVerifier(str(fake.url), audience=["x", "another-application"]) as listed:
        await listed.verify(elsewhere)


async def test_the_leeway_allows_that_much_skew_and_no_more(
    fake: FakeFrontegg, user_token: str, clock: JumpingClock
) -> None:
    now = clock.time()
    claims = unverified(user_token)
    just_expired = fake.sign_token({**claims, "exp": now - 10})
    from_the_future = fake.sign_token({**claims, "iat": now + 10, "nbf": now + 10})
    async with TokenVerifier(str(fake.url), clock=clock, leeway=30) as lenient:
        await lenient.verify(just_expired)
        await lenient.verify(from_the_future)
    async with TokenVerifier(str(fake.url), clock=clock, leeway=0) as strict:
        with pytest.raises(InvalidTokenError, match="expired"):
            await strict.verify(just_expired)
        with pytest.raises(InvalidTokenError, match=r"not valid for another|issued"):
            await strict.verify(from_the_future)


async def test_token_types_are_configurable(
    fake: FakeFrontegg, user_token: str, clock: JumpingClock
) -> None:
    async with TokenVerifier(str(fake.url), clock=clock, token_types=["tenantApiToken"]) as v:
        with pytest.raises(InvalidTokenError, match=r"type \('userToken'\)"):
            await v.verify(user_token)
    odd = fake.sign_token({**unverified(user_token), "type": "somethingElse"})
    async with TokenVerifier(str(fake.url), clock=clock, token_types=None) as any_type:
        assert (await any_type.verify(odd)).type == "somethingElse"


async def test_missing_permissions_and_roles_are_insufficient_access_not_invalid(
    verifier: TokenVerifier, user_token: str
) -> None:
    claims = unverified(user_token)
    have = claims["permissions"][0]
    assert await verifier.verify(user_token, permissions=have, roles=claims["roles"])
    with pytest.raises(InsufficientAccessError) as lacking:
        await verifier.verify(
            user_token, permissions=[have, "fe.secure.delete.everything"], roles=["Owner"]
        )
    error = lacking.value
    assert error.status == 403
    assert error.missing_permissions == ("fe.secure.delete.everything",)
    assert error.missing_roles == ("Owner",)
    assert "fe.secure.delete.everything" in str(error)
    assert isinstance(error.token, VerifiedToken)
    assert not isinstance(error, InvalidTokenError)
    # A lone string is one permission, not its letters.
    with pytest.raises(InsufficientAccessError):
        await verifier.verify(user_token, permissions="fe")


async def test_ten_thousand_first_verifications_fetch_the_keys_once(
    fake: FakeFrontegg, user_token: str, clock: JumpingClock
) -> None:
    async with TokenVerifier(str(fake.url), clock=clock) as cold:
        results = await asyncio.gather(*(cold.verify(user_token) for _ in range(10_000)))
    assert {result.sub for result in results} == {unverified(user_token)["sub"]}
    assert fake.calls["jwks"] == 1
    assert cold.fetches == 1


async def test_callers_cancelled_during_the_first_fetch_leave_it_to_the_others(
    fake: FakeFrontegg, user_token: str, clock: JumpingClock
) -> None:
    """A client that hangs up cancels its handler; the fetch it started goes on for the rest."""
    fake.fail_next("jwks", delay=0.3)
    async with TokenVerifier(str(fake.url), clock=clock) as cold:
        waiting = [asyncio.ensure_future(cold.verify(user_token)) for _ in range(100)]
        await asyncio.sleep(0.1)
        for task in waiting[:50]:  # the first caller, who started the fetch, among them
            task.cancel()
        done = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(result, asyncio.CancelledError) for result in done[:50])
    assert all(isinstance(result, VerifiedToken) for result in done[50:]), done[50]
    assert fake.calls["jwks"] == 1


async def test_forged_kids_cause_at_most_one_fetch_per_interval(
    verifier: TokenVerifier, user_token: str, fake: FakeFrontegg, clock: JumpingClock
) -> None:
    await verifier.verify(user_token)
    claims = unverified(user_token)
    forged = [
        jwt.encode(claims, other_key(), algorithm="RS256", headers={"kid": f"kid-{n}"})
        for n in range(200)
    ]
    # All at once: one refetch between them.
    refused = await asyncio.gather(*(verifier.verify(t) for t in forged), return_exceptions=True)
    assert all(isinstance(r, InvalidTokenError) for r in refused)
    assert fake.calls["jwks"] == 2
    # One at a time, within the interval: none.
    for token in forged[:50]:
        with pytest.raises(InvalidTokenError, match="none of the 1 signing keys"):
            await verifier.verify(token)
    assert fake.calls["jwks"] == 2
    # After it, the next unknown kid may look again, once.
    clock.advance(1.0)
    for token in forged[50:100]:
        with pytest.raises(InvalidTokenError):
            await verifier.verify(token)
    assert fake.calls["jwks"] == 3
    # The genuine token never waited on any of it: its key is held.
    assert await verifier.verify(user_token)


async def test_a_rotation_new_tokens_verify_after_one_refetch_old_ones_until_the_grace_ends(
    verifier: TokenVerifier, fake: FakeFrontegg, clock: JumpingClock
) -> None:
    async with FronteggSession(
        fake.identity_url, email=EMAIL, password=PASSWORD, clock=clock
    ) as session:
        old = await session.access_token()
        await verifier.verify(old)
        fake.rotate_signing_key(grace=300)
        new = await session.refresh()
    new_token = new.access_token  # type: ignore[attr-defined]
    assert (await verifier.verify(new_token)).sub == unverified(old)["sub"]
    assert fake.calls["jwks"] == 2
    assert await verifier.verify(old)  # the old key is still published, and held
    # The grace ends, and then the keys' max-age (600 s): the refetch drops the old key.
    clock.advance(601)
    await verifier.verify(new_token)  # stale keys serve, and are fetched again behind it
    await asyncio.sleep(0.2)
    assert fake.calls["jwks"] == 3
    with pytest.raises(InvalidTokenError, match="none of the 1 signing keys"):
        await verifier.verify(old)


async def test_a_burst_of_new_tokens_after_a_rotation_all_wait_for_the_one_refetch(
    verifier: TokenVerifier, user_token: str, fake: FakeFrontegg
) -> None:
    await verifier.verify(user_token)
    fake.rotate_signing_key(grace=300)
    claims = unverified(user_token)
    fresh = [fake.sign_token({**claims, "jti": f"after-{n}"}) for n in range(100)]
    fake.fail_next("jwks", delay=0.2)  # the refetch takes a while: they all arrive during it
    verified = await asyncio.gather(*(verifier.verify(token) for token in fresh))
    assert {token.sub for token in verified} == {claims["sub"]}
    assert fake.calls["jwks"] == 2


async def test_a_failing_jwks_keeps_the_last_good_keys(
    verifier: TokenVerifier,
    user_token: str,
    fake: FakeFrontegg,
    clock: JumpingClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await verifier.verify(user_token)
    fake.fail_next("jwks", times=3, status=503)
    clock.advance(601)  # the keys are stale: each verification may start a fetch
    for _ in range(3):
        assert await verifier.verify(user_token)
        await asyncio.sleep(0.05)
        clock.advance(120)  # past any backoff
    assert fake.calls["jwks"] == 4
    assert "the 1 keys held are kept" in caplog.text
    # A later fetch that works brings the keys back to fresh.
    assert await verifier.verify(user_token)
    await asyncio.sleep(0.1)
    assert fake.calls["jwks"] == 5
    assert await verifier.verify(user_token)
    assert fake.calls["jwks"] == 5


async def test_an_unknown_kid_during_an_outage_is_unverifiable_not_invalid(
    verifier: TokenVerifier, user_token: str, fake: FakeFrontegg, clock: JumpingClock
) -> None:
    """Keys that could not be refreshed cannot tell a rotation's new key from a forged kid:
    the guards answer 503 (keep the token, try later), never 401 (drop it)."""
    await verifier.verify(user_token)
    claims = unverified(user_token)
    new_kid = jwt.encode(claims, other_key(), algorithm="RS256", headers={"kid": "next"})
    fake.fail_next("jwks", times=5, status=503)
    for _ in range(3):  # the refetch's own failure, then the backoff's
        with pytest.raises(ServerError, match="a token signed by a key not held"):
            await verifier.verify(new_kid)
    assert fake.calls["jwks"] == 2
    assert await verifier.verify(user_token)  # the keys held still serve their tokens
    fake.clear_faults()
    clock.advance(2.0)
    with pytest.raises(InvalidTokenError, match="none of the 1 signing keys"):
        await verifier.verify(new_kid)
    assert fake.calls["jwks"] == 3


async def test_a_cold_verifier_fails_fast_with_the_fetchs_error_and_backs_off(
    fake: FakeFrontegg, user_token: str, clock: JumpingClock
) -> None:
    fake.fail_next("jwks", times=2, status=503)
    async with TokenVerifier(str(fake.url), clock=clock) as cold:
        failures = await asyncio.gather(
            *(cold.verify(user_token) for _ in range(100)), return_exceptions=True
        )
        assert all(isinstance(f, ServerError) for f in failures)
        assert len({id(f) for f in failures}) == 100  # one error each, not one shared
        assert fake.calls["jwks"] == 1
        assert 0.5 < cold.retry_after <= 1.0
        # Within the backoff: no request, the same family, said at once.
        started = time.monotonic()
        with pytest.raises(ServerError, match="tries again in"):
            await cold.verify(user_token)
        assert time.monotonic() - started < 0.5
        assert fake.calls["jwks"] == 1
        clock.advance(1.0)
        assert cold.retry_after == 0.0
        with pytest.raises(ServerError):
            await cold.verify(user_token)
        assert fake.calls["jwks"] == 2
        assert 1.5 < cold.retry_after <= 2.0
        clock.advance(2.0)  # the backoff doubled
        assert await cold.verify(user_token)
        assert fake.calls["jwks"] == 3


async def test_a_stalled_jwks_is_a_transport_error_within_the_timeout(
    fake: FakeFrontegg, user_token: str, clock: JumpingClock
) -> None:
    fake.fail_next("jwks", delay=5.0)
    async with TokenVerifier(str(fake.url), clock=clock, timeout=0.3) as cold:
        started = time.monotonic()
        failures = await asyncio.gather(
            *(cold.verify(user_token) for _ in range(50)), return_exceptions=True
        )
        assert time.monotonic() - started < 2.0
        assert all(isinstance(f, TransportError) for f in failures), failures[0]
        assert "timed out" in str(failures[0])
        assert fake.calls["jwks"] == 1


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"<html>gateway</html>", "not a JSON Web Key Set"),
        (b'{"keys": "none"}', "not a JSON Web Key Set"),
        (b'{"keys": [{"kty": "RSA", "kid": "k", "n": "!!", "e": "AQAB"}]}', "no usable"),
        (b'{"keys": [{"kty": "oct", "kid": "k", "k": "c2VjcmV0"}]}', "no usable"),
        (b'{"keys": [{"kty": "RSA", "kid": "k", "alg": "HS256", "n": "AQAB"}]}', "no usable"),
    ],
)
async def test_a_garbage_jwks_is_a_response_format_error(
    fake: FakeFrontegg, user_token: str, clock: JumpingClock, body: bytes, says: str
) -> None:
    fake.fail_next("jwks", body=body, status=200)
    async with TokenVerifier(str(fake.url), clock=clock) as cold:
        with pytest.raises(ResponseFormatError, match=says):
            await cold.verify(user_token)


async def test_the_cache_never_outlives_a_tokens_exp(
    fake: FakeFrontegg, user_token: str, clock: JumpingClock
) -> None:
    short = fake.sign_token({**unverified(user_token), "exp": clock.time() + 5})
    async with TokenVerifier(str(fake.url), clock=clock, leeway=0) as verifier:
        await verifier.verify(short)
        await verifier.verify(short)
        assert verifier.cached_tokens == 1
        clock.jump(6)
        with pytest.raises(InvalidTokenError, match="expired"):
            await verifier.verify(short)
        assert verifier.cached_tokens == 0


async def test_the_cache_is_bounded(
    fake: FakeFrontegg, user_token: str, clock: JumpingClock
) -> None:
    claims = unverified(user_token)
    tokens = [fake.sign_token({**claims, "jti": f"t{n}"}) for n in range(30)]
    async with TokenVerifier(str(fake.url), clock=clock, cache_size=10) as verifier:
        for token in tokens:
            await verifier.verify(token)
        assert verifier.cached_tokens == 10
    async with TokenVerifier(str(fake.url), clock=clock, cache_size=0) as uncached:
        await uncached.verify(tokens[0])
        assert uncached.cached_tokens == 0


async def test_a_borrowed_client_session_is_never_closed(
    fake: FakeFrontegg, user_token: str
) -> None:
    async with aiohttp.ClientSession() as http:
        async with TokenVerifier(str(fake.url), http=http) as verifier:
            await verifier.verify(user_token)
        assert not http.closed
        async with http.get(fake.jwks_url) as answer:
            assert answer.status == 200


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"domain": "http://app.example.com"}, "plain http"),
        ({"domain": "app-xxxx.frontegg.com"}, "absolute"),
        ({"domain": "https://app-xxxx.frontegg.com/identity"}, "not the identity API's URL"),
        ({"refetch_interval": 0.1}, "between 1 and 10"),
        ({"refetch_interval": 60}, "between 1 and 10"),
        ({"leeway": -1}, "negative"),
        ({"cache_size": -1}, "cache_size"),
        ({"timeout": 0}, "timeout"),
        ({"http": "not a session"}, "ClientSession"),
    ],
)
def test_a_verifier_refuses_what_cannot_work(kwargs: dict[str, object], says: str) -> None:
    options: dict[str, object] = {"domain": "https://app-xxxx.frontegg.com", **kwargs}
    with pytest.raises(ConfigurationError, match=says):
        TokenVerifier(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("", "no token"),
        ("Bearer ", "no token"),
        ("Basic dXNlcjpwdw==", r"scheme \('Basic'\) is not Bearer"),
        ("eyJhbGciOiJSUzI1NiJ9.e30 .sig", r"scheme is not Bearer"),
        ("x" * 20_000, "longer than"),
    ],
)
async def test_what_is_not_a_token_is_refused_before_any_fetch(
    fake: FakeFrontegg, given: str, says: str
) -> None:
    async with TokenVerifier(str(fake.url)) as verifier:
        with pytest.raises(InvalidTokenError, match=says):
            await verifier.verify(given)
    assert fake.calls["jwks"] == 0


def test_any_input_is_a_verified_token_or_an_invalid_token_error() -> None:
    """Whatever arrives (any text, any three base64url JSON parts naming the right kid), the
    verifier answers with a VerifiedToken or an InvalidTokenError that does not quote it:
    never PyJWT's exceptions, nor a KeyError or a TypeError."""
    loop = asyncio.new_event_loop()
    fake = FakeFrontegg()
    loop.run_until_complete(fake.start())
    verifier = TokenVerifier(str(fake.url))
    genuine = fake.sign_token(
        {"sub": "s", "exp": time.time() + 600, "type": "userToken", "iss": fake.issuer}
    )

    def b64(value: object) -> str:
        text = value if isinstance(value, bytes) else json.dumps(value).encode()
        return base64.urlsafe_b64encode(text).rstrip(b"=").decode()

    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
        max_leaves=8,
    )
    headers = st.fixed_dictionaries(
        {"alg": st.sampled_from(["RS256", "none", "HS256", "ES256", "RS512", 7, None])},
        optional={
            "kid": st.sampled_from([fake.signing_kid, "other", 3, None]),
            "b64": st.booleans(),
            "crit": json_values,
        },
    )
    payloads = st.dictionaries(
        st.sampled_from(["sub", "exp", "nbf", "iat", "iss", "aud", "type", "roles"]), json_values
    )
    tokens = st.tuples(headers, payloads, st.binary(max_size=300)).map(
        lambda parts: f"{b64(parts[0])}.{b64(parts[1])}.{b64(parts[2])}"
    )

    @settings(max_examples=300, deadline=None)
    @given(st.one_of(st.text(max_size=200), tokens))
    def check(text: str) -> None:
        try:
            verified = loop.run_until_complete(verifier.verify(text))
        except InvalidTokenError as refusal:
            assert len(text) < 12 or text not in str(refusal)  # noqa: PT017
        else:
            assert isinstance(verified, VerifiedToken)

    try:
        loop.run_until_complete(verifier.verify(genuine))
        check()
    finally:
        loop.run_until_complete(verifier.aclose())
        loop.run_until_complete(fake.close())
        loop.close()


def test_one_verifier_serves_event_loops_one_after_another() -> None:
    """Made at import time, as apps do, and used by each asyncio.run() in turn (as tests do):
    the keys it holds carry over; only a loop that still runs elsewhere is refused."""
    import threading

    served = asyncio.new_event_loop()
    fake = FakeFrontegg()
    served.run_until_complete(fake.start())
    thread = threading.Thread(target=served.run_forever, daemon=True)
    thread.start()

    def on_served(coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, served).result(10)

    try:
        claims = {"sub": "s", "exp": time.time() + 600, "type": "userToken", "iss": fake.issuer}
        token = fake.sign_token(claims)
        unknown = jwt.encode(claims, other_key(), algorithm="RS256", headers={"kid": "new"})
        verifier = TokenVerifier(str(fake.url))
        assert asyncio.run(verifier.verify(token)).sub == "s"
        assert asyncio.run(verifier.verify(f"Bearer {token}")).sub == "s"
        with pytest.raises(InvalidTokenError, match="none of the 1"):
            asyncio.run(verifier.verify(unknown))  # a fetch, in a third loop
        assert fake.calls["jwks"] == 2
        # In use by a loop that still runs: another loop's fetch is refused, clearly.
        shared = TokenVerifier(str(fake.url))
        on_served(shared.verify(token))
        with pytest.raises(WrongLoopError, match="another event loop"):
            asyncio.run(shared.verify(unknown))
    finally:
        on_served(fake.close())
        served.call_soon_threadsafe(served.stop)
        thread.join(5)
        served.close()


async def jwks_with(fake: FakeFrontegg, *extra: dict[str, Any]) -> bytes:
    """The fake's key set with ``extra`` keys added, as a JWKS answer's body."""
    async with aiohttp.ClientSession() as http, http.get(fake.jwks_url) as answer:
        published = await answer.json()
    fake.calls["jwks"] -= 1  # the tests count the verifier's fetches only
    return json.dumps({"keys": [*published["keys"], *extra]}).encode()


async def test_es256_and_ps256_only_for_keys_that_announce_them(
    fake: FakeFrontegg, clock: JumpingClock
) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_jwk = {**jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True)}
    ps_jwk = {**jwt.algorithms.RSAAlgorithm.to_jwk(other_key().public_key(), as_dict=True)}
    unannounced = {**ec_jwk, "kid": "ec-quiet"}
    body = await jwks_with(
        fake,
        {**ec_jwk, "kid": "ec-1", "alg": "ES256"},
        {**ps_jwk, "kid": "ps-1", "alg": "PS256"},
        unannounced,
    )
    fake.fail_next("jwks", times=2, status=200, body=body)  # the refetch for ec-quiet too
    claims = {"sub": "s", "exp": clock.time() + 600, "type": "userToken", "iss": fake.issuer}
    async with TokenVerifier(str(fake.url), clock=clock) as verifier:
        signed_ec = jwt.encode(claims, ec_key, algorithm="ES256", headers={"kid": "ec-1"})
        assert (await verifier.verify(signed_ec)).sub == "s"
        signed_ps = jwt.encode(claims, other_key(), algorithm="PS256", headers={"kid": "ps-1"})
        assert (await verifier.verify(signed_ps)).sub == "s"
        # The same RSA key, the algorithm it did not announce.
        rs_on_ps = jwt.encode(claims, other_key(), algorithm="RS256", headers={"kid": "ps-1"})
        with pytest.raises(InvalidTokenError, match="where its key is for PS256"):
            await verifier.verify(rs_on_ps)
        # An EC key with no alg is not taken on faith: its tokens find no key.
        quiet = jwt.encode(claims, ec_key, algorithm="ES256", headers={"kid": "ec-quiet"})
        with pytest.raises(InvalidTokenError, match="none of the 3 signing keys"):
            await verifier.verify(quiet)


async def test_the_keys_live_as_long_as_the_servers_max_age(
    fake: FakeFrontegg, user_token: str, clock: JumpingClock
) -> None:
    body = await jwks_with(fake)
    fake.fail_next("jwks", status=200, body=body, headers={"Cache-Control": "max-age=120"})
    async with TokenVerifier(str(fake.url), clock=clock) as verifier:
        await verifier.verify(user_token)
        clock.advance(100)
        await verifier.verify(user_token)
        await asyncio.sleep(0.05)
        assert fake.calls["jwks"] == 1
        clock.advance(21)  # past 120 s: fetched again, behind a request that is served at once
        await verifier.verify(user_token)
        await asyncio.sleep(0.1)
        assert fake.calls["jwks"] == 2
        # The fake's own answer says max-age=600.
        clock.advance(590)
        await verifier.verify(user_token)
        await asyncio.sleep(0.05)
        assert fake.calls["jwks"] == 2


async def test_a_token_inside_its_leeway_verifies_but_is_not_cached(
    fake: FakeFrontegg, user_token: str, clock: JumpingClock
) -> None:
    lapsed = fake.sign_token({**unverified(user_token), "exp": clock.time() - 5})
    async with TokenVerifier(str(fake.url), clock=clock, leeway=30, cache_size=1) as verifier:
        await verifier.verify(user_token)
        await verifier.verify(lapsed)
        assert verifier.cached_tokens == 1  # still the live one
        clock.jump(26)
        with pytest.raises(InvalidTokenError, match=r"expired 3\d s ago"):
            await verifier.verify(lapsed)


async def test_a_verifier_is_usable_again_after_aclose(fake: FakeFrontegg, user_token: str) -> None:
    verifier = TokenVerifier(str(fake.url))
    for _ in range(2):  # as an app's lifespan runs, once per test
        async with verifier:
            assert await verifier.verify(user_token)
    assert fake.calls["jwks"] == 1


def test_the_package_imports_without_pyjwt_and_the_verifier_names_its_extra() -> None:
    import subprocess
    import sys

    script = (
        "import sys; sys.modules['jwt'] = None\n"
        "import frontegg_async\n"
        "assert 'fastapi' not in sys.modules\n"
        "try:\n"
        "    frontegg_async.TokenVerifier('https://app-xxxx.frontegg.com')\n"
        "except frontegg_async.ConfigurationError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert "pip install 'frontegg-async[verify]'" in done.stdout


def test_any_key_set_is_keys_or_a_response_format_error() -> None:
    """Whatever a JWKS endpoint answers with (JSON of any shape, keys of any fields), a cold
    verifier either takes the usable keys or says ResponseFormatError, never anything else."""
    loop = asyncio.new_event_loop()
    fake = FakeFrontegg()
    loop.run_until_complete(fake.start())
    genuine = fake.sign_token(
        {"sub": "s", "exp": time.time() + 600, "type": "userToken", "iss": fake.issuer}
    )
    scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
    fields = st.dictionaries(
        st.sampled_from(["kty", "kid", "alg", "use", "n", "e", "crv", "x", "y", "k"]),
        scalars | st.sampled_from(["RSA", "EC", "oct", "RS256", "ES256", "sig", "AQAB", "P-256"]),
    )
    bodies = st.one_of(
        st.binary(max_size=40),
        st.builds(lambda keys: json.dumps({"keys": keys}).encode(), st.lists(fields, max_size=4)),
        st.builds(lambda value: json.dumps(value).encode(), st.lists(scalars, max_size=3)),
    )

    @settings(max_examples=150, deadline=None)
    @given(bodies)
    def check(body: bytes) -> None:
        async def attempt() -> None:
            fake.fail_next("jwks", status=200, body=body)
            async with TokenVerifier(str(fake.url)) as verifier:
                # No usable key; or some, and then the refetch for the kid brings the real one.
                with contextlib.suppress(ResponseFormatError):
                    await verifier.verify(genuine)

        loop.run_until_complete(attempt())

    try:
        check()
    finally:
        loop.run_until_complete(fake.close())
        loop.close()


async def test_the_keys_age_on_the_monotonic_clock_whatever_the_wall_clock_does(
    verifier: TokenVerifier, user_token: str, fake: FakeFrontegg, clock: JumpingClock
) -> None:
    """A wall clock set back an hour must not stretch the keys' life; one set forward a day
    must not age them (only the token's own times read the wall clock)."""
    await verifier.verify(user_token)
    clock.jump(86_400 - 60)  # forward: the token is expired, the keys are not stale
    with pytest.raises(InvalidTokenError, match="expired"):
        await verifier.verify(user_token)
    clock.jump(-(86_400 - 60) - 3600)  # back, and an hour before the token was issued
    with pytest.raises(InvalidTokenError, match="issued"):
        await verifier.verify(user_token)
    assert fake.calls["jwks"] == 1
    clock.jump(3600)
    clock.advance(601)  # the keys' max-age passes on the monotonic clock: refetched behind
    assert await verifier.verify(user_token)
    await asyncio.sleep(0.1)
    assert fake.calls["jwks"] == 2
