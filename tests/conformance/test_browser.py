"""Hosted login in a real browser: Debian's headless Chromium, driven by Playwright, types into
the fake's login page (and its MFA step), follows the redirect to ``hosted_login``'s loopback
listener, and the session that comes back holds a token the fake's API accepts. Needs
``/usr/bin/chromium`` (``.ci/run`` installs Debian's package when it is missing) and the
``playwright`` package; without them these tests fail, saying so: they never skip, and
Playwright never downloads a browser of its own."""

from __future__ import annotations

import base64
import os
import pathlib
import re
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest

from frontegg_async import hosted_login
from frontegg_async._totp import totp
from frontegg_async.testing import FakeFrontegg

from ..integration.test_cli import run
from .browser_sign_in import FLAGS

CHROMIUM = "/usr/bin/chromium"
EMAIL, PASSWORD = "browser@example.com", "browser-password-4b1c"
MFA_EMAIL, TOTP_KEY = "browser-mfa@example.com", b"browser-totp-key-0000001"
CALLBACK = re.compile(r"^http://127\.0\.0\.1:\d+/callback\?")


class Chromium:
    """Debian's Chromium, launched by Playwright; launched again if it died."""

    def __init__(self, playwright: Any) -> None:
        self._playwright = playwright
        self._browser: Any = None
        #: Times the browser had to be launched again (a crash under load).
        self.relaunched = 0

    async def new_page(self) -> Any:
        if self._browser is not None and not self._browser.is_connected():
            self._browser = None
            self.relaunched += 1
        if self._browser is None:
            self._browser = await self._playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=FLAGS
            )
        return await self._browser.new_page()

    async def close(self) -> None:
        if self._browser is not None and self._browser.is_connected():
            await self._browser.close()


@pytest.fixture
async def chromium() -> AsyncIterator[Chromium]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = Chromium(playwright)
        try:
            yield browser
        finally:
            await browser.close()


def user_at(browser: Chromium, email: str, *, totp_key: bytes | None = None, fake: FakeFrontegg):
    """An ``open_browser`` for hosted_login: a new tab where the user signs in by typing."""

    async def sign_in(url: str) -> None:
        page = await browser.new_page()
        try:
            await page.goto(url)
            await page.fill('input[name="email"]', email)
            await page.fill('input[name="password"]', PASSWORD)
            await page.click('button[type="submit"]')
            if totp_key is not None:
                await page.wait_for_selector('input[name="code"]')
                await page.fill('input[name="code"]', totp(totp_key, fake.now()))
                await page.click('button[type="submit"]')
            await page.wait_for_url(CALLBACK)
            assert "close this tab" in await page.inner_text("body")
        finally:
            await page.close()

    async def open_browser(url: str) -> None:
        from playwright.async_api import Error as PlaywrightError

        try:
            await sign_in(url)
        except PlaywrightError as crashed:
            # On a loaded machine Chromium has died before the page loaded anything ("Target
            # page, context or browser has been closed", once in many runs): the user opens the
            # same address again, in a browser started again if need be, as anyone would.
            if "closed" not in str(crashed):
                raise
            await sign_in(url)

    return open_browser


async def test_a_user_signs_in_in_chromium_and_the_session_calls_the_api(
    chromium: Chromium,
) -> None:
    async with FakeFrontegg() as fake:
        fake.add_user(EMAIL, PASSWORD)
        session = await hosted_login(
            fake.url,
            client_id=fake.client_id,
            open_browser=user_at(chromium, EMAIL, fake=fake),
            timeout=30,
        )
        async with session:
            me = await session.request("GET", "resources/users/v2/me")
            assert me["email"] == EMAIL
            await session.refresh()  # renews at /oauth/token, rotating
            assert fake.reused_refresh_tokens == 0
        assert fake.calls["oauth_authorize"] == 1
        assert fake.calls["oauth_token"] == 2


async def test_a_user_with_mfa_signs_in_with_the_code_in_chromium(chromium: Chromium) -> None:
    async with FakeFrontegg() as fake:
        fake.add_user(MFA_EMAIL, PASSWORD, totp_secret=base64.b32encode(TOTP_KEY).decode())
        session = await hosted_login(
            fake.url,
            client_id=fake.client_id,
            open_browser=user_at(chromium, MFA_EMAIL, totp_key=TOTP_KEY, fake=fake),
            timeout=30,
        )
        async with session:
            me = await session.request("GET", "resources/users/v2/me")
            assert me["email"] == MFA_EMAIL


async def test_the_command_line_signs_in_in_chromium_then_serves_tokens_then_signs_out(
    chromium: Chromium, tmp_path: pathlib.Path
) -> None:
    script = pathlib.Path(__file__).with_name("browser_sign_in.py")
    # $BROWSER names one program (the webbrowser module runs it with the URL): a wrapper that
    # runs the script with this interpreter, which has Playwright.
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{script}" "$@"\n')
    browser.chmod(0o700)
    env = {
        "BROWSER": str(browser),
        "SIGN_IN_EMAIL": EMAIL,
        "SIGN_IN_PASSWORD": PASSWORD,
    }
    store = tmp_path / "config" / "identity.json"
    async with FakeFrontegg() as fake:
        fake.add_user(EMAIL, PASSWORD)
        status, out, err = await run(
            "login",
            "--base-url",
            str(fake.url),
            "--client-id",
            fake.client_id,
            "--store",
            str(store),
            "--timeout",
            "45",
            env=env,
        )
        assert status == 0, err
        assert f"Signed in as {EMAIL}" in out
        assert "Sign in at: " in err
        assert store.stat().st_mode & 0o777 == 0o600
        # No password anywhere from here on: the stored identity is enough.
        status, out, err = await run("token", "--store", str(store), env={})
        assert status == 0, err
        assert fake.decode(out.strip())["email"] == EMAIL
        status, out, err = await run("logout", "--store", str(store), env={})
        assert status == 0, err
        assert fake.calls["oauth_logout"] == 1
        status, out, err = await run("token", "--store", str(store), env={})
        assert status == 2
        assert "frontegg-async login" in err
