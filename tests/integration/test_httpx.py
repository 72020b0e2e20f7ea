"""``session.httpx_auth``: the one bearer flow as an ``httpx.Auth``, against the fake over
loopback with a real ``httpx.AsyncClient``: a fresh token on every request, one renewal for many
401s, the body resent whole, plain http refused off loopback, and no httpx needed to import
the package."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import httpx
import pytest

from frontegg_async import ConfigurationError, EnvironmentSession
from frontegg_async.testing import FakeFrontegg, JumpingClock

from ..conftest import EMAIL, SessionFactory


async def test_every_request_carries_a_fresh_token(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock
) -> None:
    session = make_session()
    async with httpx.AsyncClient(auth=session.httpx_auth, base_url=str(fake.identity_url)) as http:
        answer = await http.get("/resources/users/v2/me")
        assert answer.status_code == 200
        assert answer.json()["email"] == EMAIL
        first = fake.requests[-1].headers["Authorization"]
        clock.jump(59)  # the token is within its leeway: the next request renews first
        assert (await http.get("/resources/users/v2/me")).status_code == 200
        assert fake.requests[-1].headers["Authorization"] != first
        assert fake.calls["refresh"] == 1


async def test_many_401s_for_one_token_cause_one_renewal_and_each_is_resent_once(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    await session.login()
    fake.reject_access_tokens()  # as after a key rotation: every token so far answers 401
    async with httpx.AsyncClient(auth=session.httpx_auth, base_url=str(fake.identity_url)) as http:
        answers = await asyncio.gather(*(http.get("/resources/users/v2/me") for _ in range(100)))
    assert [a.status_code for a in answers] == [200] * 100
    assert fake.calls["refresh"] == 1


async def test_a_refused_request_is_resent_with_its_whole_body(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    await session.login()
    fake.reject_access_tokens()
    async with httpx.AsyncClient(auth=session.httpx_auth, base_url=str(fake.identity_url)) as http:
        answer = await http.put("/resources/users/v1/tenant", json={"tenantId": "tenant-1"})
    sent = [r for r in fake.requests if r.path.endswith("/resources/users/v1/tenant")]
    assert [r.status for r in sent] == [401, answer.status_code]
    assert sent[0].json == sent[1].json == {"tenantId": "tenant-1"}


async def test_a_second_401_is_returned_as_it_came(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    await session.login()
    async with httpx.AsyncClient(auth=session.httpx_auth, base_url=str(fake.identity_url)) as http:
        fake.fail_next("api", status=401, times=2)
        answer = await http.get("/resources/users/v3/me")
    assert answer.status_code == 401
    assert fake.calls["refresh"] == 1  # one renewal, one resend: never a loop


async def test_plain_http_off_loopback_is_refused_and_nothing_is_sent(
    make_session: SessionFactory,
) -> None:
    session = make_session()
    async with httpx.AsyncClient(auth=session.httpx_auth) as http:
        with pytest.raises(ConfigurationError, match=r"plain http to example\.com"):
            await http.get("http://example.com/anything")


def test_a_sync_client_is_told_to_use_an_async_one() -> None:
    session = EnvironmentSession("http://127.0.0.1:9", client_id="c", secret="s")
    with (
        httpx.Client(auth=session.httpx_auth) as http,
        pytest.raises(ConfigurationError, match=r"httpx\.AsyncClient"),
    ):
        http.get("http://127.0.0.1:9/never-sent")


def test_the_package_imports_without_httpx_and_says_which_extra_to_install() -> None:
    script = (
        "import sys; sys.modules['httpx'] = None\n"
        "import frontegg_async\n"
        "s = frontegg_async.EnvironmentSession('http://127.0.0.1:9', client_id='c', secret='s')\n"
        "try:\n"
        "    s.httpx_auth\n"
        "except frontegg_async.ConfigurationError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert "pip install 'frontegg-async[httpx]'" in done.stdout
