"""The fake asks of a client only what Frontegg's own clients send (PROTOCOL.md), and answers
by what is asked: driven here with raw HTTP, as those clients speak it."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from frontegg_async.testing import FakeFrontegg

from ..conftest import EMAIL, PASSWORD


async def call(
    fake: FakeFrontegg,
    method: str,
    path: str,
    *,
    json: Any = None,
    headers: dict[str, str] | None = None,
    cookies: dict[str, str] | None = None,
) -> tuple[int, Any, dict[str, str]]:
    """One request with nothing added: no cookie jar, no default headers of ours."""
    sent = dict(headers or {})
    if cookies:
        sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
        http.request(method, fake.url / path.lstrip("/"), json=json, headers=sent) as answer,
    ):
        body = await answer.json() if answer.content_type == "application/json" else None
        cookie = {name: morsel.value for name, morsel in answer.cookies.items()}
        return answer.status, body, cookie


async def log_in(fake: FakeFrontegg, prefix: str = "identity") -> tuple[str, str]:
    status, body, cookie = await call(
        fake,
        "POST",
        f"{prefix}/resources/auth/v1/user",
        json={"email": EMAIL, "password": PASSWORD},
    )
    assert status == 200, body
    return body["accessToken"], cookie[fake.refresh_cookie_name]


@pytest.mark.parametrize("prefix", ["identity", "frontegg/identity"])
async def test_refresh_and_logout_need_no_vendor_host(fake: FakeFrontegg, prefix: str) -> None:
    _, refresh_token = await log_in(fake, prefix)
    jar = {fake.refresh_cookie_name: refresh_token}
    status, body, cookie = await call(
        fake, "POST", f"{prefix}/resources/auth/v1/user/token/refresh", json={}, cookies=jar
    )
    assert status == 201, body
    jar = {fake.refresh_cookie_name: cookie[fake.refresh_cookie_name]}
    status, _, _ = await call(fake, "POST", f"{prefix}/resources/auth/v1/logout", cookies=jar)
    assert status == 201
    status, body, _ = await call(
        fake, "POST", f"{prefix}/resources/auth/v1/user/token/refresh", json={}, cookies=jar
    )
    assert status == 401  # logged out: the refresh token is revoked


async def test_strict_headers_demands_what_the_spec_marks_required() -> None:
    async with FakeFrontegg(strict_headers=True) as fake:
        fake.add_user(EMAIL, PASSWORD)
        _, refresh_token = await log_in(fake)
        status, body, _ = await call(
            fake,
            "POST",
            "identity/resources/auth/v1/user/token/refresh",
            json={},
            cookies={fake.refresh_cookie_name: refresh_token},
        )
        assert status == 400
        assert any("frontegg-vendor-host" in message for message in body["errors"])


async def test_a_bearer_without_the_refresh_cookie_is_refused(fake: FakeFrontegg) -> None:
    access_token, _ = await log_in(fake)
    status, body, _ = await call(
        fake,
        "POST",
        "identity/resources/auth/v1/user/token/refresh",
        json={},
        headers={"Authorization": f"Bearer {access_token}", "frontegg-vendor-host": "x"},
    )
    assert status == 401, body


async def test_the_refresh_body_names_the_tenant_of_the_new_token(fake: FakeFrontegg) -> None:
    user = fake._users[EMAIL.lower()]
    user.tenant_ids[:] = [user.tenant_id, "tenant-b"]
    _, refresh_token = await log_in(fake)
    path = "frontegg/identity/resources/auth/v1/user/token/refresh"
    for asked, expected in ((None, user.tenant_id), ("tenant-b", "tenant-b")):
        status, body, cookie = await call(
            fake,
            "POST",
            path,
            json={"tenantId": asked},
            cookies={fake.refresh_cookie_name: refresh_token},
        )
        assert status == 201, body
        assert fake.decode(body["accessToken"])["tenantId"] == expected
        refresh_token = cookie[fake.refresh_cookie_name]
    status, body, _ = await call(
        fake,
        "POST",
        path,
        json={"tenantId": "not-a-tenant-of-theirs"},
        cookies={fake.refresh_cookie_name: refresh_token},
    )
    assert status == 400
    assert fake.reused_refresh_tokens == 0


async def test_a_user_token_needs_no_tenant_or_user_headers_an_environment_token_does(
    fake: FakeFrontegg,
) -> None:
    user = fake._users[EMAIL.lower()]
    user.tenant_ids[:] = [user.tenant_id, "tenant-b"]
    access_token, _ = await log_in(fake)
    bearer = {"Authorization": f"Bearer {access_token}"}
    status, body, _ = await call(
        fake,
        "PUT",
        "identity/resources/users/v1/tenant",
        json={"tenantId": "tenant-b"},
        headers=bearer,
    )
    assert status == 200, body
    status, body, _ = await call(
        fake, "GET", "identity/resources/users/v2/me/tenants", headers=bearer
    )
    assert status == 200, body
    status, vendor, _ = await call(
        fake,
        "POST",
        "auth/vendor",
        json={"clientId": fake.client_id, "secret": fake.environment_secret},
    )
    assert status == 200
    status, body, _ = await call(
        fake,
        "GET",
        "identity/resources/users/v2/me/tenants",
        headers={"Authorization": f"Bearer {vendor['token']}"},
    )
    assert status == 400
    assert any("frontegg-user-id" in message for message in body["errors"])
