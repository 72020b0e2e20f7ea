"""The chaos table: each call a user makes, through a TCP proxy that breaks its answers.

Every row is a call (login, refresh, logout, ``request()``, the middleware, and the renewal that
a 401 starts inside the last two); every column a way the wire breaks (``Chaos``: a reset
mid-body, a stall before the headers or in the middle of the body, an answer dripped byte by
byte, garbage instead of HTTP, a garbled body), once or for as long as the test lasts. In each
cell: the call succeeds or raises a typed error (a ``FronteggError``; the middleware's own
request, aiohttp's), within the row's bound (a small multiple of the timeout); no refresh
token is ever sent twice; no secret is in the error's chain or in a log record; and once the
proxy behaves, the session works again (unless it was logged out).

The cells of a row run at once, each with a proxy and a session of its own, so that the whole
table costs about as long as its slowest cell per row.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import attrs
import pytest

from frontegg_async import FronteggError, FronteggSession, SessionState
from frontegg_async._core.policy import API_RETRY_WINDOW
from frontegg_async.testing import Chaos, ChaosProxy, FakeFrontegg

from ..conftest import after_a_fault, exception_texts
from .test_faults import all_secrets

#: Bursts of processes or of concurrent scenarios: run one at a time on one pytest-xdist worker,
#: never two of them at once on a two-core machine.
pytestmark = pytest.mark.xdist_group("bursts")

EMAIL, PASSWORD = "chaos@example.com", "canary-chaos-password-5d1c"
TIMEOUT = 0.2
#: What a loaded machine may add to a bound (the cells of a row share two cores).
SLACK = 1.0

LOGIN = "/resources/auth/v1/user"
REFRESH = "/user/token/refresh"
LOGOUT = "/resources/auth/v1/logout"
ME = "/resources/users/v2/me"


@attrs.frozen
class Cell:
    """What happened in one cell."""

    chaos: Chaos
    times: int | None
    outcome: BaseException | None
    took: float
    reused: int
    broken: int
    works_after: bool


@attrs.frozen
class Row:
    """One call: how to get there (``prepare``), the call (``act``), the path broken, the bound
    on its wait, and whether it must succeed when that path stays broken."""

    name: str
    path: str
    bound: float
    act: Callable[[FronteggSession, ChaosProxy, FakeFrontegg], Awaitable[Any]]
    prepare: bool = True  # log in first (through the clean proxy)
    recovers: bool = False  # succeeds even when every answer on ``path`` is broken
    typed: tuple[type[BaseException], ...] = (FronteggError,)
    logs_out: bool = False


async def via_middleware(session: FronteggSession, *, within: float) -> int:
    """A GET through the caller's own ClientSession, whose timeout (``within`` seconds) covers
    the middleware's renewal too."""
    timeout = aiohttp.ClientTimeout(total=within)
    url = session.identity_url / ME.lstrip("/")
    async with (
        aiohttp.ClientSession(middlewares=[session.middleware], timeout=timeout) as http,
        http.get(url) as response,
    ):
        await response.read()
        return response.status


async def login(session: FronteggSession, proxy: ChaosProxy, fake: FakeFrontegg) -> Any:
    return await session.login()


async def refresh(session: FronteggSession, proxy: ChaosProxy, fake: FakeFrontegg) -> Any:
    return await session.refresh()


async def logout(session: FronteggSession, proxy: ChaosProxy, fake: FakeFrontegg) -> Any:
    return await session.logout()


async def request(session: FronteggSession, proxy: ChaosProxy, fake: FakeFrontegg) -> Any:
    return await session.request("GET", ME)


async def request_renewing(session: FronteggSession, proxy: ChaosProxy, fake: FakeFrontegg) -> Any:
    fake.reject_access_tokens()  # the call's 401 starts a renewal, whose answers break
    return await session.request("GET", ME)


async def middleware(session: FronteggSession, proxy: ChaosProxy, fake: FakeFrontegg) -> Any:
    status = await via_middleware(session, within=TIMEOUT)
    assert status == 200
    return status


async def middleware_renewing(
    session: FronteggSession, proxy: ChaosProxy, fake: FakeFrontegg
) -> Any:
    fake.reject_access_tokens()
    # The caller's timeout is long here: what is measured is the renewal's own bound.
    status = await via_middleware(session, within=10)
    assert status == 200
    return status


ROWS = [
    # The first login tries transient failures again within the caller's wait (3 timeouts).
    Row("login", LOGIN, 3 * TIMEOUT, login, prepare=False),
    # A renewal whose answer is lost may have rotated the refresh token: the session never
    # sends it again and logs in afresh, so a broken refresh path costs the caller nothing.
    Row("refresh", REFRESH, 3 * TIMEOUT, refresh, recovers=True),
    Row("logout", LOGOUT, TIMEOUT, logout, logs_out=True),
    # Tries start within the retry window; the last may take a timeout.
    Row("request()", ME, API_RETRY_WINDOW + TIMEOUT, request),
    Row("request() renewing", REFRESH, 3 * TIMEOUT + TIMEOUT, request_renewing, recovers=True),
    # The middleware's own request is the caller's aiohttp request: aiohttp's errors, its
    # timeout, no retries of ours.
    Row(
        "middleware",
        ME,
        TIMEOUT,
        middleware,
        typed=(aiohttp.ClientError, TimeoutError, AssertionError),
    ),
    Row("middleware renewing", REFRESH, 3 * TIMEOUT + TIMEOUT, middleware_renewing, recovers=True),
]


async def run_cell(row: Row, fake: FakeFrontegg, chaos: Chaos, times: int | None) -> Cell:
    async with ChaosProxy(fake.url, drip_interval=0.01) as proxy:
        session = FronteggSession(
            proxy.wrap(fake.identity_url), email=EMAIL, password=PASSWORD, timeout=TIMEOUT
        )
        try:
            if row.prepare:
                await session.login()
            reused = fake.reused_refresh_tokens
            proxy.inject(chaos, path=row.path, times=times)
            outcome: BaseException | None = None
            started = time.monotonic()
            try:
                await asyncio.wait_for(row.act(session, proxy, fake), 30)
            except Exception as error:  # the cell records what came out
                outcome = error
            took = time.monotonic() - started
            proxy.clear()
            works_after = False
            if not row.logs_out:
                works_after = bool(await after_a_fault(lambda: session.request("GET", ME)))
            return Cell(
                chaos,
                times,
                outcome,
                took,
                fake.reused_refresh_tokens - reused,
                proxy.broken(),
                works_after,
            )
        finally:
            await session.aclose()


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
async def test_chaos_row(row: Row, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with FakeFrontegg() as fake:
        fake.add_user(EMAIL, PASSWORD)
        cells = await asyncio.gather(
            *(run_cell(row, fake, chaos, times) for chaos in Chaos for times in (1, None))
        )
        secrets = all_secrets([fake]) | {PASSWORD}
    texts = [record.getMessage() for record in caplog.records]
    for cell in cells:
        where = f"{row.name} x {cell.chaos.value} ({'once' if cell.times else 'always'})"
        assert cell.broken >= 1, where  # the chaos really met the call
        if cell.outcome is not None:
            assert isinstance(cell.outcome, row.typed), (where, repr(cell.outcome))
            assert not (row.recovers and cell.times is None), (where, repr(cell.outcome))
            texts += exception_texts(cell.outcome)
        assert cell.took <= row.bound + SLACK, (where, cell.took)
        assert cell.reused == 0, where
        assert cell.works_after or row.logs_out, where
    leaks = {secret[:8] for secret in secrets for text in texts if secret in text}
    assert not leaks, row.name
    # A stall really waits for the client to give up: the bound is not met by luck.
    stalled = [c for c in cells if c.chaos is Chaos.STALL_BEFORE_HEADERS and c.times is None]
    assert all(c.took >= TIMEOUT * 0.9 for c in stalled if c.outcome is not None)


async def test_the_proxy_passes_answers_through_untouched() -> None:
    async with FakeFrontegg() as fake, ChaosProxy(fake.url) as proxy:
        fake.add_user(EMAIL, PASSWORD)
        session = FronteggSession(proxy.wrap(fake.identity_url), email=EMAIL, password=PASSWORD)
        async with session:
            for _ in range(3):  # one kept-alive connection carries them all
                assert (await session.request("GET", ME))["email"] == EMAIL
            await session.refresh()
        assert [s.path.rsplit("/", 1)[-1] for s in proxy.served][:2] == ["user", "me"]
        assert proxy.broken() == 0
        assert session.state is SessionState.CLOSED


async def test_the_proxy_breaks_only_what_it_is_told_to() -> None:
    async with FakeFrontegg() as fake, ChaosProxy(fake.url) as proxy:
        fake.add_user(EMAIL, PASSWORD)
        session = FronteggSession(
            proxy.wrap(fake.identity_url), email=EMAIL, password=PASSWORD, timeout=TIMEOUT
        )
        async with session:
            proxy.inject(Chaos.GARBAGE, path=ME, times=2)
            assert (await session.request("GET", ME))["email"] == EMAIL  # the third try passes
            assert proxy.broken(Chaos.GARBAGE) == 2
            assert (await session.request("GET", ME))["email"] == EMAIL
            assert proxy.broken() == 2
    with pytest.raises(ValueError, match="loopback"):
        ChaosProxy("http://example.com:80")


JWKS = "/.well-known/jwks.json"


async def verifier_cell(
    fake: FakeFrontegg, token: str, chaos: Chaos, times: int | None, warm: bool
) -> str | None:
    """A verifier whose key fetches go through the proxy meets ``chaos``: cold, it verifies or
    raises a typed error within its bound; warm (stale keys), it verifies as if nothing
    happened; either way it verifies once the proxy behaves. A problem, or None."""
    from frontegg_async import TokenVerifier
    from frontegg_async.testing import JumpingClock

    where = (
        f"{'warm' if warm else 'cold'} verifier x {chaos.value} ({'once' if times else 'always'})"
    )
    clock = JumpingClock()
    async with ChaosProxy(fake.url, drip_interval=0.01) as proxy:
        verifier = TokenVerifier(
            proxy.wrap(fake.url), issuer=fake.issuer, timeout=TIMEOUT, clock=clock
        )
        try:
            if warm:
                await verifier.verify(token)
                clock.advance(601)
            proxy.inject(chaos, path=JWKS, times=times)
            started = time.monotonic()
            try:
                await verifier.verify(token)
                if warm:
                    await asyncio.sleep(TIMEOUT * 3)  # the refetch behind it meets the chaos
                    await verifier.verify(token)
            except FronteggError as error:
                if warm:
                    return f"{where}: {error!r}"
            took = time.monotonic() - started
            if took > TIMEOUT + 1.0 + SLACK + (TIMEOUT * 3 if warm else 0):
                return f"{where}: took {took:.2f} s"
            if proxy.broken() < 1:
                return f"{where}: the chaos never met the fetch"
            proxy.clear()
            clock.advance(61)  # past any backoff
            await after_a_fault(lambda: verifier.verify(token))
        except Exception as error:
            return f"{where}: {error!r}"
        finally:
            await verifier.aclose()
    return None


@pytest.mark.parametrize("warm", [False, True], ids=["cold verifier", "warm verifier"])
async def test_a_verifier_through_chaos(warm: bool) -> None:
    async with FakeFrontegg(token_lifetime=3600) as fake:
        fake.add_user(EMAIL, PASSWORD)
        async with FronteggSession(fake.identity_url, email=EMAIL, password=PASSWORD) as session:
            token = await session.access_token()
        problems = await asyncio.gather(
            *(
                verifier_cell(fake, token, chaos, times, warm)
                for chaos in Chaos
                for times in (1, None)
            )
        )
    assert [problem for problem in problems if problem] == []
