"""The fault matrix: every auth call against every fault, generated from the tables below.

For each call and fault: a caller is never handed an expired token; a caller that does get an
error gets the documented typed error; the session recovers once the fault clears; and no secret
reaches a message or a log record (checked once over the whole matrix, at DEBUG).

Calls a caller makes directly (login, MFA verification, logout, the first API-token or
environment authentication) surface the fault as an error. Calls the renewal engine makes
(refresh, the re-login and its MFA step, API-token refresh, environment re-authentication) must
hide it: the callers keep the still-valid token and see nothing.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import attrs
import pytest

from frontegg_async import (
    ApiTokenSession,
    EnvironmentSession,
    FronteggError,
    FronteggSession,
    MfaRequiredError,
    OAuthSession,
    RateLimitedError,
    ResponseFormatError,
    ServerError,
    SessionExpiredError,
    SessionState,
    TransportError,
)
from frontegg_async._core.policy import FIRST_ATTEMPTS
from frontegg_async._totp import totp
from frontegg_async.testing import FakeFrontegg

from ..conftest import after_a_fault, exception_texts, wait_for
from ..integration.test_kinds import signed_in_elsewhere
from ..integration.test_oauth_session import FormFiller

#: Bursts of processes or of concurrent scenarios: run one at a time on one pytest-xdist worker,
#: never two of them at once on a two-core machine.
pytestmark = pytest.mark.xdist_group("bursts")

EMAIL, PASSWORD = "fault@example.com", "canary-fault-password-3b8e"
MFA_EMAIL = "fault-mfa@example.com"
TOTP_KEY = b"fault-matrix-totp-key-00"
TOTP_SECRET = base64.b32encode(TOTP_KEY).decode()
API_ID, API_SECRET = "fault-m2m", "canary-fault-api-secret-77aa"
TIMEOUT = 0.2


@attrs.frozen
class Case:
    """One fault: how to cause it, and what a direct caller must get (None: success)."""

    name: str
    outcome: type[FronteggError] | None
    fault: dict[str, Any] | None = None  # for fail_next
    refuse: bool = False  # the server stops accepting connections
    lifetime: float | None = None  # expiresIn while the fault lasts
    jwt_lifetime: float | None = None  # the JWT's own exp - iat while the fault lasts
    #: The fault lives in an answer's body or lifetime, which logout never reads.
    body_only: bool = False
    #: Whether a token obtained during the fault is due for renewal within the scenario.
    renews_soon: bool = True


CASES = [
    Case("connection refused", TransportError, refuse=True),
    Case("dropped mid-body", TransportError, {"drop": True}),
    Case("slower than the timeout", TransportError, {"delay": TIMEOUT * 2}),
    Case("408", ServerError, {"status": 408}),
    Case("429", RateLimitedError, {"status": 429}),
    Case("429 with Retry-After", RateLimitedError, {"status": 429, "retry_after": 0.1}),
    Case("500", ServerError, {"status": 500}),
    Case("502", ServerError, {"status": 502}),
    Case("503", ServerError, {"status": 503}),
    Case("504", ServerError, {"status": 504}),
    Case("HTML error page", ServerError, {"status": 502, "body": b"<html><h1>502</h1></html>"}),
    Case(
        "truncated JSON",
        ResponseFormatError,
        {"status": 200, "body": b'{"token": "ab'},
        body_only=True,
    ),
    Case(
        "JSON of the wrong shape",
        ResponseFormatError,
        {"status": 200, "body": b'{"x": [1]}'},
        body_only=True,
    ),
    Case("a JSON array", ResponseFormatError, {"status": 200, "body": b"[]"}, body_only=True),
    Case(
        "2xx with an empty body", ResponseFormatError, {"status": 200, "body": b""}, body_only=True
    ),
    Case("expiresIn 0", ResponseFormatError, lifetime=0, body_only=True),
    Case("expiresIn negative", ResponseFormatError, lifetime=-30, body_only=True),
    Case("expiresIn fractional", None, lifetime=0.75, body_only=True),
    Case("expiresIn absurdly large", None, lifetime=1e12, body_only=True, renews_soon=False),
    Case("exp disagrees with expiresIn", None, jwt_lifetime=0.6, body_only=True),
]


class Applied:
    """A fault in force on one fake, undone by ``clear()``."""

    def __init__(self, fake: FakeFrontegg, case: Case, endpoint: str, times: int) -> None:
        self.fake, self.case = fake, case
        self.saved = (fake.token_lifetime, fake.jwt_lifetime)
        if case.fault is not None:
            fake.fail_next(endpoint, times=times, **case.fault)
        if case.lifetime is not None:
            fake.token_lifetime = case.lifetime
        if case.jwt_lifetime is not None:
            fake.jwt_lifetime = case.jwt_lifetime

    async def start(self) -> Applied:
        if self.case.refuse:
            await self.fake.refuse_connections()
        return self

    async def clear(self) -> None:
        self.fake.clear_faults()
        self.fake.token_lifetime, self.fake.jwt_lifetime = self.saved
        if self.case.refuse:
            await self.fake.accept_connections()


def new_fake(lifetime: float) -> FakeFrontegg:
    fake = FakeFrontegg(token_lifetime=lifetime)
    fake.add_user(EMAIL, PASSWORD)
    fake.add_user(MFA_EMAIL, PASSWORD, totp_secret=TOTP_SECRET)
    fake.add_api_token(API_ID, API_SECRET)
    return fake


def user(fake: FakeFrontegg, **kw: Any) -> FronteggSession:
    return FronteggSession(fake.identity_url, email=EMAIL, password=PASSWORD, timeout=TIMEOUT, **kw)


def mfa_user(fake: FakeFrontegg, **kw: Any) -> FronteggSession:
    return FronteggSession(
        fake.identity_url, email=MFA_EMAIL, password=PASSWORD, timeout=TIMEOUT, **kw
    )


def machine(fake: FakeFrontegg, **kw: Any) -> ApiTokenSession:
    return ApiTokenSession(
        fake.identity_url, client_id=API_ID, secret=API_SECRET, timeout=TIMEOUT, **kw
    )


def environment(fake: FakeFrontegg, **kw: Any) -> EnvironmentSession:
    return EnvironmentSession(
        fake.url, client_id=fake.client_id, secret=fake.environment_secret, timeout=TIMEOUT, **kw
    )


def all_secrets(fakes: list[FakeFrontegg]) -> set[str]:
    found = {PASSWORD, API_SECRET}
    for fake in fakes:
        found.add(fake.environment_secret)
        for request in fake.requests:
            answer = request.response_json
            if isinstance(answer, dict):
                for key in (
                    "accessToken",
                    "refreshToken",
                    "mfaToken",
                    "access_token",
                    "id_token",
                    "refresh_token",
                    "token",
                ):
                    if answer.get(key):
                        found.add(str(answer[key]))
    return found


@pytest.fixture
async def secret_watch(caplog: pytest.LogCaptureFixture) -> AsyncIterator[list[Any]]:
    """Collects fakes and error texts; at the end no secret may be in them or in any log."""
    caplog.set_level(logging.DEBUG)
    seen: list[Any] = []
    yield seen
    fakes = [item for item in seen if isinstance(item, FakeFrontegg)]
    texts = [item for item in seen if isinstance(item, str)]
    texts += [record.getMessage() for record in caplog.records]
    secrets = all_secrets(fakes)
    assert len(secrets) > 10
    leaks = {secret[:6] for secret in secrets for text in texts if secret in text}
    assert not leaks


# -- calls a caller makes directly ---------------------------------------------------------------


@attrs.frozen
class DirectCall:
    """``act`` makes the call under test; ``prepare`` gets there; both return a token or None."""

    name: str
    endpoint: str
    make: Callable[[FakeFrontegg], Any]
    prepare: Callable[[Any], Awaitable[None]]
    act: Callable[[Any], Awaitable[str | None]]


async def nothing(session: Any) -> None:
    return None


async def login(session: FronteggSession) -> str:
    await session.login()
    return await session.access_token()


async def challenge(session: FronteggSession) -> None:
    with pytest.raises(MfaRequiredError):
        await session.login()


async def verify(session: FronteggSession) -> str:
    import time

    await session.verify_mfa(totp(TOTP_KEY, time.time()))
    return await session.access_token()


async def logout(session: FronteggSession) -> None:
    await session.logout()


async def first_token(session: ApiTokenSession | EnvironmentSession) -> str:
    return await session.access_token()


#: First authentications try transient failures again (FIRST_ATTEMPTS in all) before the
#: caller sees them: in this matrix a transient fault lasts that long.
FIRST_AUTHENTICATIONS = {"login", "api_token", "vendor"}

DIRECT = [
    DirectCall("login", "login", user, nothing, login),
    DirectCall("MFA verify", "mfa_verify", mfa_user, challenge, verify),
    DirectCall("logout", "logout", user, login, logout),  # type: ignore[arg-type]
    DirectCall("api-token", "api_token", machine, nothing, first_token),
    DirectCall("vendor", "vendor", environment, nothing, first_token),
]


async def direct_scenario(call: DirectCall, case: Case, seen: list[Any]) -> list[str]:
    problems: list[str] = []
    expected = case.outcome
    if call.endpoint == "logout" and case.body_only:
        expected = None  # logout reads no body and issues no token
    if case.refuse and call.endpoint == "logout":
        expected = TransportError
    async with new_fake(lifetime=60) as fake:
        seen.append(fake)
        session = call.make(fake)
        try:
            await call.prepare(session)
            lasting = (
                call.endpoint in FIRST_AUTHENTICATIONS
                and expected is not None
                and expected.retryable
            )
            times = FIRST_ATTEMPTS if lasting else 1
            applied = await Applied(fake, case, call.endpoint, times=times).start()
            try:
                token = await call.act(session)
            except FronteggError as error:
                seen += exception_texts(error)
                if expected is None or not isinstance(error, expected):
                    problems.append(f"{case.name}: got {error!r}, expected {expected}")
            else:
                if expected is not None:
                    problems.append(f"{case.name}: succeeded, expected {expected.__name__}")
                if token is not None and float(fake.decode(token)["exp"]) <= fake.now():
                    problems.append(f"{case.name}: an expired token was handed out")
            await applied.clear()

            # Recovery: the same call path works once the fault is gone.
            async def again() -> Any:
                await call.prepare(session)
                return await call.act(session)

            await after_a_fault(again)
        except Exception as error:
            problems.append(f"{case.name}: {error!r}")
        finally:
            await session.aclose()
    return problems


@pytest.mark.parametrize("call", DIRECT, ids=[c.name for c in DIRECT])
async def test_direct_calls_raise_the_documented_error_and_recover(
    call: DirectCall, secret_watch: list[Any]
) -> None:
    # Every case at once, each against its own fake, as for the renewals below.
    outcomes = await asyncio.gather(*(direct_scenario(call, c, secret_watch) for c in CASES))
    assert [problem for problems in outcomes for problem in problems] == []


# -- calls the renewal engine makes ----------------------------------------------------------------


@attrs.frozen
class RenewalCall:
    name: str
    endpoint: str
    make: Callable[..., Any]
    #: Makes the next renewal go through ``endpoint`` (e.g. refuse the refresh to force a login).
    steer: Callable[[FakeFrontegg], None] = lambda fake: None
    #: What the kind needs before a session is made (the keywords it adds), if anything.
    prepare: Callable[[FakeFrontegg], Awaitable[dict[str, Any]]] | None = None
    #: The faults this kind cannot ride out, and why: the session must end, saying so.
    ends_on: dict[str, str] = attrs.field(factory=dict)


def hosted(fake: FakeFrontegg, **kw: Any) -> OAuthSession:
    return OAuthSession(fake.url, client_id=fake.client_id, timeout=TIMEOUT, **kw)


#: A session from a browser has nothing to log in again with, so an answer lost after Frontegg
#: rotated its refresh token ends it (the README says so); every other fault it rides out.
LOST_ROTATION = (
    "the answer came after the session gave up, and the refresh token it sent was spent by it"
)


RENEWALS = [
    RenewalCall("refresh", "refresh", user),
    RenewalCall("re-login", "login", user, lambda fake: fake.revoke_sessions()),
    RenewalCall(
        "re-login MFA verify",
        "mfa_verify",
        lambda fake, **kw: mfa_user(fake, totp_secret=TOTP_SECRET, **kw),
        lambda fake: fake.revoke_sessions(),
    ),
    RenewalCall("api-token refresh", "api_token_refresh", machine),
    RenewalCall("vendor", "vendor", environment),
    RenewalCall(
        "hosted login refresh",
        "oauth_token",
        hosted,
        prepare=lambda fake: signed_in_elsewhere(fake, FormFiller(EMAIL, PASSWORD)),
        ends_on={"slower than the timeout": LOST_ROTATION},
    ),
]


async def renewal_scenario(call: RenewalCall, case: Case, seen: list[Any]) -> list[str]:
    problems: list[str] = []
    lifetime = 1.5
    ends = case.name in call.ends_on
    async with new_fake(lifetime) as fake:
        seen.append(fake)
        more = {} if call.prepare is None else await call.prepare(fake)
        # Renewal after 30 % of a 1.5 s life: a second of retries before the token lapses.
        async with call.make(fake, refresh_ratio=0.3, **more) as session:
            loop = asyncio.get_running_loop()
            start = loop.time()
            call.steer(fake)
            applied = await Applied(fake, case, call.endpoint, times=3).start()
            window_ends = start + 0.8  # faults without a count last this long
            cleared = False
            renewed_before = 0
            while loop.time() < start + 1.8:
                if not cleared and loop.time() >= window_ends:
                    await applied.clear()
                    cleared, renewed_before = True, fake.calls[call.endpoint]
                try:
                    token = await session.access_token()
                except FronteggError as error:
                    seen += exception_texts(error)
                    if not ends:
                        problems.append(f"{case.name}: a caller saw {error!r}")
                    elif not isinstance(error, SessionExpiredError) or "sign in again" not in str(
                        error
                    ):
                        problems.append(f"{case.name}: ended with {error!r}")
                else:
                    if float(fake.decode(token)["exp"]) <= fake.now():
                        problems.append(f"{case.name}: an expired token was handed out")
                await asyncio.sleep(0.02)
            if session.last_error is not None:
                seen += exception_texts(session.last_error)
            if ends:
                if session.state is not SessionState.EXPIRED:
                    problems.append(f"{case.name}: {session.state.value}, expected expired")
                return problems
            # Recovery: the renewal task is alive and renews again through the same call.
            call.steer(fake)
            try:
                if case.renews_soon:
                    await wait_for(lambda: fake.calls[call.endpoint] > renewed_before, timeout=3)
                await wait_for(lambda: session.state is SessionState.AUTHENTICATED, timeout=3)
            except AssertionError:
                problems.append(f"{case.name}: no recovery (state {session.state.value})")
    return problems


@pytest.mark.parametrize("call", RENEWALS, ids=[c.name for c in RENEWALS])
async def test_renewal_faults_are_invisible_and_recovered_from(
    call: RenewalCall, secret_watch: list[Any]
) -> None:
    # Every case at once, each against its own fake: the matrix costs one scenario's time.
    outcomes = await asyncio.gather(*(renewal_scenario(call, c, secret_watch) for c in CASES))
    assert [problem for problems in outcomes for problem in problems] == []


# -- the token verifier's key fetches --------------------------------------------------------------

#: The faults that can meet a JWKS fetch (the others change the tokens a session is issued).
KEY_FAULTS = [case for case in CASES if case.lifetime is None and case.jwt_lifetime is None]


async def verifier_scenario(case: Case, warm: bool, seen: list[Any]) -> list[str]:
    """A verifier meets ``case`` on its first fetch (cold: the fetch's typed error, at once, and
    then the keys once it clears) or on the refetch of stale keys (warm: nothing at all)."""
    from frontegg_async import TokenVerifier
    from frontegg_async.testing import JumpingClock

    problems: list[str] = []
    clock = JumpingClock()
    async with new_fake(lifetime=3600) as fake:
        seen.append(fake)
        async with user(fake) as session:
            token = await session.access_token()
        verifier = TokenVerifier(str(fake.url), timeout=TIMEOUT, clock=clock)
        try:
            if warm:
                await verifier.verify(token)
                clock.advance(601)  # stale: the next verification refetches behind it
            applied = await Applied(fake, case, "jwks", times=1).start()
            started = clock.monotonic()
            try:
                await verifier.verify(token)
                if warm:
                    await wait_for(lambda: verifier.fetches == 2, timeout=3)
                    await asyncio.sleep(TIMEOUT * 3)  # the refetch meets the fault, and fails
                    await verifier.verify(token)
            except FronteggError as error:
                seen += exception_texts(error)
                if warm or case.outcome is None or not isinstance(error, case.outcome):
                    problems.append(f"{case.name}: got {error!r}")
            else:
                if not warm:
                    problems.append(f"{case.name}: verified with no keys to verify with")
            if clock.monotonic() - started > TIMEOUT * 5 + 2:
                problems.append(f"{case.name}: waited {clock.monotonic() - started:.1f} s")
            await applied.clear()
            # Recovery: past the backoff, the keys are fetched, and they are fresh again.
            clock.advance(61)
            fetched = verifier.fetches
            await after_a_fault(lambda: verifier.verify(token))
            await wait_for(lambda: verifier.fetches > fetched, timeout=3)
            await asyncio.sleep(0.05)
            fetched = verifier.fetches
            await verifier.verify(token)
            if verifier.fetches != fetched:
                problems.append(f"{case.name}: the keys were not fresh after the recovery")
        except Exception as error:
            problems.append(f"{case.name}: {error!r}")
        finally:
            await verifier.aclose()
    return problems


@pytest.mark.parametrize("warm", [False, True], ids=["cold verifier", "warm verifier"])
async def test_a_verifier_rides_out_every_fault_on_its_keys(
    warm: bool, secret_watch: list[Any]
) -> None:
    outcomes = await asyncio.gather(
        *(verifier_scenario(case, warm, secret_watch) for case in KEY_FAULTS)
    )
    assert [problem for problems in outcomes for problem in problems] == []
