"""No password, token or cookie in any repr, str, exception or log record."""

from __future__ import annotations

import asyncio
import logging
import pickle

import pytest

from frontegg_async import FronteggError
from frontegg_async._secrets import Secret
from frontegg_async.testing import FakeFrontegg, JumpingClock

from ..conftest import PASSWORD, SessionFactory, exception_texts


def issued_secrets(fake: FakeFrontegg) -> set[str]:
    found = {PASSWORD}
    for request in fake.requests:
        answer = request.response_json
        if isinstance(answer, dict):
            for key in ("accessToken", "refreshToken", "mfaToken"):
                if answer.get(key):
                    found.add(answer[key])
        found.update(v for v in request.cookies.values() if v)
    return found


async def test_no_secret_in_any_repr_error_or_log(
    fake: FakeFrontegg,
    make_session: SessionFactory,
    clock: JumpingClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.token_lifetime = 0.4
    session = make_session()
    errors: list[BaseException] = []
    await session.login()
    # Drive every path that logs: refreshes, transient failures, a rejected refresh, re-login,
    # a failed re-login, expiry, logout.
    fake.fail_next("refresh", status=503)
    fake.fail_next("refresh", drop=True)
    await asyncio.sleep(1.0)
    fake.revoke_sessions()
    await session.refresh()
    texts = [repr(session), str(session), repr(session.auth), str(session.auth)]
    fake.revoke_sessions()
    fake.add_user("ada@example.com", "changed-password")
    clock.jump(5)
    try:
        await session.access_token()
    except FronteggError as error:
        errors.append(error)
    try:
        await session.logout()
    except FronteggError as error:
        errors.append(error)
    for error in [*errors, session.last_error]:
        texts += exception_texts(error)
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(record.args) for record in caplog.records]
    texts += [caplog.text]
    secrets = issued_secrets(fake)
    assert len(secrets) > 5
    assert errors, "the scenario should have produced errors to inspect"
    for text in texts:
        for secret in secrets:
            assert secret not in text


def test_secret_shows_only_a_fingerprint() -> None:
    secret = Secret("hunter2-canary")
    assert "hunter2" not in repr(secret)
    assert "hunter2" not in str(secret)
    assert "hunter2" not in f"{secret}"
    assert secret.reveal() == "hunter2-canary"
    assert secret == Secret("hunter2-canary")
    assert len(secret.fingerprint) == 8
    with pytest.raises(TypeError):
        pickle.dumps(secret)


async def test_machine_sessions_leak_no_secret(
    fake: FakeFrontegg, clock: JumpingClock, caplog: pytest.LogCaptureFixture
) -> None:
    from frontegg_async import ApiTokenSession, EnvironmentSession

    caplog.set_level(logging.DEBUG)
    fake.add_api_token("m2m", "canary-api-secret-9d1e")
    texts: list[str] = []
    async with ApiTokenSession(
        fake.identity_url, client_id="m2m", secret="canary-api-secret-9d1e", clock=clock
    ) as api:
        events = api.subscribe()
        await api.refresh()
        fake.fail_next("api_token_refresh", status=401)
        await api.refresh()
        fake.fail_next("api_token_refresh", status=503)
        await api.refresh()
        texts += [repr(api), repr(api.claims), repr(await api.refresh())]
    texts += [repr(event) async for event in events]
    async with EnvironmentSession(
        fake.url, client_id=fake.client_id, secret=fake.environment_secret, clock=clock
    ) as environment:
        fake.fail_next("vendor", status=500)
        await environment.refresh()
        texts += [repr(environment), repr(await environment.refresh())]
    bad = EnvironmentSession(fake.url, client_id=fake.client_id, secret="canary-wrong-secret")
    try:
        await bad.access_token()
    except FronteggError as error:
        texts += [repr(error), str(error)]
    await bad.aclose()
    texts += [record.getMessage() for record in caplog.records] + [caplog.text]

    secrets = {"canary-api-secret-9d1e", fake.environment_secret, "canary-wrong-secret"}
    for request in fake.requests:
        answer = request.response_json
        if isinstance(answer, dict):
            secrets.update(
                str(answer[key])
                for key in ("access_token", "refresh_token", "token")
                if answer.get(key)
            )
    assert len(secrets) > 8
    for text in texts:
        for secret in secrets:
            assert secret not in text
