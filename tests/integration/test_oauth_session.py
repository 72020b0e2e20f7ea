"""Sessions that start in a browser: ``hosted_login()`` through the fake's hosted login (the
page, its form, the MFA step, the redirect to the loopback listener), the code exchanged with
PKCE, then ``OAuthSession`` renewing at ``/oauth/token`` with every guarantee of the other
sessions; adopting a refresh token; resuming from a store; refusals, a forged redirect, a
browser that never comes back. A real headless browser drives the same page in
tests/conformance (issue 14's next step); here an HTTP client fills the form as one would."""

from __future__ import annotations

import asyncio
import base64
import logging
import pathlib
import re
from typing import Any

import aiohttp
import pytest
from yarl import URL

from frontegg_async import (
    AuthenticationError,
    FileStore,
    OAuthSession,
    SessionExpiredError,
    hosted_login,
)
from frontegg_async._totp import totp
from frontegg_async.testing import FakeFrontegg, JumpingClock

from ..conftest import EMAIL, PASSWORD, exception_texts

MFA_EMAIL, TOTP_KEY = "hosted-mfa@example.com", b"hosted-mfa-totp-key-0001"


class FormFiller:
    """Stands in for the user at a browser: opens the sign-in URL, fills the login form (and the
    MFA step), and follows the redirect back to the listener."""

    def __init__(
        self,
        email: str = EMAIL,
        password: str = PASSWORD,
        totp_key: bytes | None = None,
        now: Any = None,
    ) -> None:
        self.email, self.password, self.totp_key, self.now = email, password, totp_key, now
        self.opened: list[URL] = []
        self.landing = ""

    async def __call__(self, url: str) -> None:
        self.opened.append(URL(url))
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as answer:
                assert answer.status == 200, await answer.text()
                page = await answer.text()
            fields = {**hidden_fields(page), "email": self.email, "password": self.password}
            action = form_action(url, page)
            async with http.post(action, data=fields, allow_redirects=False) as answer:
                page = await answer.text()
                location = answer.headers.get("Location")
            if location is None and self.totp_key is not None:
                fields = {**hidden_fields(page), "code": totp(self.totp_key, self.now())}
                # As a browser does: the second form posts where it says, from where it is.
                async with http.post(
                    form_action(str(action), page), data=fields, allow_redirects=False
                ) as answer:
                    location = answer.headers.get("Location")
            assert location is not None, page
            async with http.get(location) as answer:
                self.landing = await answer.text()


def form_action(page_url: str, page: str) -> URL:
    """Where the page's form posts, resolved against the page's address."""
    found = re.search(r'<form method="post" action="([^"]+)"', page)
    assert found is not None, page
    return URL(page_url).join(URL(found.group(1)))


def hidden_fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))


async def signed_in(fake: FakeFrontegg, clock: JumpingClock, **options: Any) -> OAuthSession:
    options.setdefault("timeout", 10)
    browser = options.pop("browser", FormFiller())
    return await hosted_login(
        fake.url, client_id=fake.client_id, open_browser=browser, clock=clock, **options
    )


async def test_hosted_login_signs_in_through_the_page_and_the_token_is_the_users(
    fake: FakeFrontegg, clock: JumpingClock
) -> None:
    browser = FormFiller()
    session = await signed_in(fake, clock, browser=browser)
    try:
        (opened,) = browser.opened
        query = opened.query
        assert opened.path == "/oauth/authorize"
        assert query["response_type"] == "code"
        assert query["client_id"] == fake.client_id
        assert query["scope"] == "openid email profile"
        assert query["code_challenge_method"] == "S256"
        assert len(query["code_challenge"]) == 43  # base64url of a SHA-256, unpadded
        assert query["state"]
        assert query["nonce"]
        redirect = URL(query["redirect_uri"])
        assert redirect.host == "127.0.0.1"
        assert redirect.port
        assert "close this tab" in browser.landing
        # The bearer is the one Frontegg's own web SDK uses, and the fake's API takes it.
        me = await session.request("GET", "resources/users/v2/me")
        assert me["email"] == EMAIL
        assert session.claims is not None
        assert session.claims.email == EMAIL
        assert fake.calls["oauth_token"] == 1
        # The listener stopped with the sign-in.
        with pytest.raises(aiohttp.ClientConnectionError):
            async with aiohttp.ClientSession() as http, http.get(redirect):
                pass
    finally:
        await session.aclose()


async def test_a_user_with_mfa_gives_the_code_in_the_browser(
    fake: FakeFrontegg, clock: JumpingClock
) -> None:
    fake.add_user(MFA_EMAIL, PASSWORD, totp_secret=base64.b32encode(TOTP_KEY).decode())
    browser = FormFiller(MFA_EMAIL, totp_key=TOTP_KEY, now=fake.now)
    async with await signed_in(fake, clock, browser=browser) as session:
        assert session.claims is not None
        assert session.claims.email == MFA_EMAIL


async def test_renewal_rotates_at_oauth_token_once_for_a_thousand_callers(
    fake: FakeFrontegg, clock: JumpingClock
) -> None:
    async with await signed_in(fake, clock) as session:
        first = await session.access_token()
        clock.jump(59)  # the 60 s token is within its leeway
        tokens = await asyncio.gather(*(session.access_token() for _ in range(1000)))
        assert len(set(tokens)) == 1
        assert tokens[0] != first
        assert fake.calls["oauth_token"] == 2  # the exchange, then one renewal
        assert fake.reused_refresh_tokens == 0
        clock.jump(59)
        await session.refresh()
        assert fake.calls["oauth_token"] == 3
        assert fake.reused_refresh_tokens == 0


async def test_a_refused_refresh_token_ends_the_session_saying_to_sign_in_again(
    fake: FakeFrontegg, clock: JumpingClock
) -> None:
    async with await signed_in(fake, clock) as session:
        fake.revoke_sessions()
        clock.jump(61)
        with pytest.raises(SessionExpiredError, match="sign in again"):
            await session.access_token()
        # Nothing can log it in again: the next call says so at once, sending nothing.
        sent = fake.calls["oauth_token"]
        with pytest.raises(SessionExpiredError, match="sign in again"):
            await session.access_token()
        assert fake.calls["oauth_token"] == sent


async def test_an_adopted_refresh_token_starts_a_session_and_is_spent_once(
    fake: FakeFrontegg, clock: JumpingClock
) -> None:
    first = await signed_in(fake, clock)
    handed_over = first.auth.refresh_token if first.auth is not None else ""
    await first.aclose()  # the web app hands its refresh token over and forgets it
    async with OAuthSession(
        fake.url, client_id=fake.client_id, refresh_token=handed_over, clock=clock
    ) as session:
        me = await session.request("GET", "resources/users/v2/me")
        assert me["email"] == EMAIL
        clock.jump(59)
        await session.access_token()
        assert fake.reused_refresh_tokens == 0
        await session.logout()
        # After a logout nothing is left to start from: the handed-over token is never resent.
        with pytest.raises(SessionExpiredError, match="sign in again"):
            await session.login()
        assert fake.reused_refresh_tokens == 0


async def test_a_store_keeps_the_identity_for_a_session_with_no_browser(
    fake: FakeFrontegg, clock: JumpingClock, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "identity.json"
    signed = await signed_in(fake, clock, store=FileStore(path))
    await signed.aclose()  # leaving closes; it does not log out
    assert path.stat().st_mode & 0o777 == 0o600
    clock.jump(61)  # lapsed while nobody ran: the restart renews with the stored refresh token
    async with OAuthSession(
        str(fake.url) + "/identity", client_id=fake.client_id, store=FileStore(path), clock=clock
    ) as session:
        me = await session.request("GET", "resources/users/v2/me")
        assert me["email"] == EMAIL
        assert fake.calls["oauth_token"] == 2
        await session.logout()
    # logout forgets it in the store too: a session from it has nothing to start from.
    with pytest.raises(SessionExpiredError, match="sign in again"):
        async with OAuthSession(
            fake.url, client_id=fake.client_id, store=FileStore(path), clock=clock
        ):
            pass


async def test_a_redirect_with_another_state_is_refused(
    fake: FakeFrontegg, clock: JumpingClock
) -> None:
    async def forger(url: str) -> None:
        redirect = URL(URL(url).query["redirect_uri"]).with_query(code="forged", state="not-it")
        async with aiohttp.ClientSession() as http, http.get(redirect):
            pass

    with pytest.raises(AuthenticationError, match="another state"):
        await signed_in(fake, clock, browser=forger)
    assert fake.calls["oauth_token"] == 0


async def test_a_refused_sign_in_says_so(fake: FakeFrontegg, clock: JumpingClock) -> None:
    async def refuser(url: str) -> None:
        query = URL(url).query
        redirect = URL(query["redirect_uri"]).with_query(
            error="access_denied", error_description="the user said no", state=query["state"]
        )
        async with aiohttp.ClientSession() as http, http.get(redirect) as answer:
            assert "the user said no" in await answer.text()

    with pytest.raises(AuthenticationError, match="access_denied: the user said no"):
        await signed_in(fake, clock, browser=refuser)


async def test_a_browser_that_never_comes_back_times_out(
    fake: FakeFrontegg, clock: JumpingClock
) -> None:
    opened: list[str] = []
    with pytest.raises(AuthenticationError, match=r"no sign-in came back within 0\.2 s"):
        await hosted_login(
            fake.url, client_id=fake.client_id, open_browser=opened.append, timeout=0.2
        )
    assert len(opened) == 1


async def test_a_wrong_password_never_redirects_and_a_bad_code_is_refused(
    fake: FakeFrontegg, clock: JumpingClock
) -> None:
    with pytest.raises(AssertionError):
        await signed_in(fake, clock, browser=FormFiller(password="wrong"), timeout=0.5)

    class Replayer(FormFiller):
        async def __call__(self, url: str) -> None:
            # The code is swapped for one the fake never issued: the exchange is refused.
            query = URL(url).query
            redirect = URL(query["redirect_uri"]).with_query(
                code="never-issued", state=query["state"]
            )
            async with aiohttp.ClientSession() as http, http.get(redirect):
                pass

    with pytest.raises(AuthenticationError, match="invalid_grant"):
        await signed_in(fake, clock, browser=Replayer())


async def test_no_token_in_reprs_errors_or_the_debug_log(
    fake: FakeFrontegg, clock: JumpingClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="frontegg_async")
    async with await signed_in(fake, clock) as session:
        token = await session.access_token()
        auth = session.auth
        assert auth is not None
        secrets = {token, auth.refresh_token, auth.access_token, auth.id_token}
        fake.revoke_sessions()
        clock.jump(61)
        with pytest.raises(SessionExpiredError) as caught:
            await session.access_token()
        shown = [repr(session), repr(auth), *exception_texts(caught.value), caplog.text]
        assert not [s for s in secrets if any(s in text for text in shown)]


async def test_sessions_sharing_the_stored_identity_renew_once_between_them(
    fake: FakeFrontegg, clock: JumpingClock, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "identity.json"
    await (await signed_in(fake, clock, store=FileStore(path))).aclose()
    # Separate stores on one path behave like separate processes: one lock, one file.
    sessions = [
        OAuthSession(fake.url, client_id=fake.client_id, store=FileStore(path), clock=clock)
        for _ in range(4)
    ]
    for session in sessions:
        await session.__aenter__()
    assert fake.calls["oauth_token"] == 1  # the sign-in's exchange: every sharer took it up
    for _ in range(3):
        clock.jump(59)  # everyone's token is past its usable window at once
        tokens = await asyncio.gather(*(s.access_token() for s in sessions for _ in range(25)))
        assert len(set(tokens)) == 1
    assert fake.calls["oauth_token"] == 4  # one renewal a round, for all of them
    assert fake.reused_refresh_tokens == 0
    for session in sessions:
        await session.aclose()
