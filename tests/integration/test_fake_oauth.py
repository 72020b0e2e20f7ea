"""The fake's hosted login (OAuth 2.0 authorization code with PKCE), driven as a browser and
Frontegg's web SDK drive Frontegg's: the page, the form, the redirect, the code exchange, the
rotating refresh, silent renewal from the cookie, logout; and every refusal a 4xx."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
from typing import Any

import aiohttp
import jwt
import pytest
from yarl import URL

from frontegg_async._totp import totp
from frontegg_async.testing import FakeFrontegg

from ..conftest import EMAIL, PASSWORD

REDIRECT = "http://127.0.0.1:9/callback"
MFA_EMAIL, TOTP_KEY = "oauth-mfa@example.com", b"oauth-mfa-totp-key-0001"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def form_fields(page: str) -> dict[str, str]:
    """The hidden inputs of the page's form."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))


class Browser:
    """Cookies kept by hand (as a browser would, for the fake's host), redirects not followed."""

    def __init__(self, fake: FakeFrontegg, prefix: str = "oauth") -> None:
        self.fake, self.base = fake, fake.url / prefix
        self.cookies: dict[str, str] = {}

    async def send(self, method: str, url: URL, **kw: Any) -> tuple[int, str, dict[str, str]]:
        headers = dict(kw.pop("headers", {}))
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        async with (
            aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
            http.request(method, url, headers=headers, allow_redirects=False, **kw) as answer,
        ):
            for name, morsel in answer.cookies.items():
                self.cookies[name] = morsel.value
            return answer.status, await answer.text(), dict(answer.headers)

    async def sign_in(self, email: str, password: str, **extra: str) -> tuple[str, str, str]:
        """Through the page and its form; returns (code, state, verifier)."""
        verifier, challenge = pkce()
        state = secrets.token_urlsafe(8)
        query = {
            "response_type": "code",
            "client_id": self.fake.client_id,
            "redirect_uri": REDIRECT,
            "scope": "openid email profile",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": state,
            "nonce": "n-0S6",
        }
        status, page, _ = await self.send("GET", (self.base / "authorize").with_query(query))
        assert status == 200
        assert 'name="email"' in page
        assert 'name="password"' in page
        fields = {**form_fields(page), "email": email, "password": password}
        status, page, headers = await self.send("POST", self.base / "authorize/login", data=fields)
        if "code" in extra:  # the MFA step
            assert status == 200
            assert 'name="code"' in page
            fields = {**form_fields(page), "code": extra["code"]}
            status, page, headers = await self.send(
                "POST", self.base / "authorize/login", data=fields
            )
        assert status == 302, page
        target = URL(headers["Location"])
        assert str(target.with_query(None)) == REDIRECT
        assert target.query["state"] == state
        return target.query["code"], state, verifier

    async def token(self, **fields: str) -> tuple[int, dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.base / "token", json=fields) as answer,
        ):
            return answer.status, await answer.json()


@pytest.mark.parametrize("prefix", ["oauth", "frontegg/oauth"])
async def test_hosted_login_code_exchange_and_rotation(fake: FakeFrontegg, prefix: str) -> None:
    browser = Browser(fake, prefix)
    code, _, verifier = await browser.sign_in(EMAIL, PASSWORD)
    assert fake.refresh_cookie_name in browser.cookies  # the redirect set the cookie
    status, tokens = await browser.token(
        grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    )
    assert status == 200, tokens
    assert set(tokens) == {"access_token", "id_token", "refresh_token", "expires_in", "token_type"}

    def verify(token: str) -> dict[str, Any]:
        key = jwt.PyJWKClient(str(fake.jwks_url)).get_signing_key_from_jwt(token)
        claims: dict[str, Any] = jwt.decode(
            token, key.key, algorithms=["RS256"], audience=fake.client_id
        )
        return claims

    id_claims = await asyncio.to_thread(verify, tokens["id_token"])
    assert id_claims["email"] == EMAIL
    assert id_claims["nonce"] == "n-0S6"
    # The code is single use.
    again, error = await browser.token(
        grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    )
    assert (again, error["error"]) == (400, "invalid_grant")
    # The refresh token rotates; a spent one is refused.
    status, renewed = await browser.token(
        grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert status == 200
    assert renewed["refresh_token"] != tokens["refresh_token"]
    status, error = await browser.token(
        grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert (status, error["error"]) == (400, "invalid_grant")
    assert fake.reused_refresh_tokens == 1


async def test_silent_renewal_from_the_cookie_and_logout(fake: FakeFrontegg) -> None:
    browser = Browser(fake)
    await browser.sign_in(EMAIL, PASSWORD)
    status, body, _ = await browser.send("POST", browser.base / "authorize/silent")
    assert status == 200, body
    status, body, _ = await browser.send("POST", browser.base / "logout/token")
    assert status == 200
    status, body, _ = await browser.send("POST", browser.base / "authorize/silent")
    assert status == 401
    assert '"invalid_grant"' in body


async def test_an_mfa_user_gives_a_code_on_a_second_page(fake: FakeFrontegg) -> None:
    secret = base64.b32encode(TOTP_KEY).decode()
    fake.add_user(MFA_EMAIL, PASSWORD, totp_secret=secret)
    browser = Browser(fake)
    code, _, verifier = await browser.sign_in(MFA_EMAIL, PASSWORD, code=totp(TOTP_KEY, fake.now()))
    status, tokens = await browser.token(
        grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    )
    assert status == 200
    assert fake.decode(tokens["access_token"])["email"] == MFA_EMAIL


async def test_every_refusal_is_a_clear_4xx(fake: FakeFrontegg) -> None:
    browser = Browser(fake)
    authorize = browser.base / "authorize"
    good = {
        "response_type": "code",
        "client_id": fake.client_id,
        "redirect_uri": REDIRECT,
        "code_challenge": pkce()[1],
    }
    for change in (
        {"client_id": "someone-else"},
        {"redirect_uri": "not a url"},
        {"code_challenge": ""},
        {"code_challenge_method": "plain"},
        {"response_type": "token"},
    ):
        status, body, _ = await browser.send("GET", authorize.with_query({**good, **change}))
        assert status == 400, (change, body)
        assert '"error"' in body
    status, page, _ = await browser.send("GET", authorize.with_query(good))
    wrong = {**form_fields(page), "email": EMAIL, "password": "not-it"}
    status, page, _ = await browser.send("POST", browser.base / "authorize/login", data=wrong)
    assert status == 401
    assert "Incorrect email or password" in page
    code, _, verifier = await browser.sign_in(EMAIL, PASSWORD)
    for fields in (
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT + "x"},
        {"grant_type": "authorization_code", "code": "nope", "redirect_uri": REDIRECT},
        {"grant_type": "password"},
        {},
    ):
        status, error = await browser.token(code_verifier="wrong-verifier", **fields)
        assert status == 400, fields
        assert error["error"] in ("invalid_grant", "unsupported_grant_type")
    # A form body works as well as JSON (RFC 6749 speaks of forms).
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            browser.base / "token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
            },
        ) as answer,
    ):
        assert answer.status == 200
