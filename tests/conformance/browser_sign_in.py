"""A ``$BROWSER`` for ``frontegg-async login`` in the tests: Debian's headless Chromium, driven
by Playwright, opens the URL it is given and signs in as the user that the environment names
(``SIGN_IN_EMAIL``, ``SIGN_IN_PASSWORD``), as a person at a browser would; exits 0 once the
browser reached the login command's loopback listener."""

from __future__ import annotations

import os
import re
import sys

from playwright.sync_api import Browser, sync_playwright
from playwright.sync_api import Error as PlaywrightError

#: As the machine's notes say: no background traffic to hosts a closed network refuses.
FLAGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main(url: str) -> int:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=FLAGS
        )
        try:
            return sign_in(browser, url)
        except PlaywrightError as crashed:
            # Chromium died before the page loaded (a loaded machine, once in many runs): the
            # same address again, in a browser started again if need be, as a user would.
            if "closed" not in str(crashed):
                raise
            if not browser.is_connected():
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", headless=True, args=FLAGS
                )
            return sign_in(browser, url)
        finally:
            if browser.is_connected():
                browser.close()


def sign_in(browser: Browser, url: str) -> int:
    page = browser.new_page()
    try:
        page.goto(url)
        page.fill('input[name="email"]', os.environ["SIGN_IN_EMAIL"])
        page.fill('input[name="password"]', os.environ["SIGN_IN_PASSWORD"])
        page.click('button[type="submit"]')
        page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/callback\?"))
        return 0 if "close this tab" in page.inner_text("body") else 1
    finally:
        page.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
