"""``frontegg-async login`` and ``logout``: an identity signed in through the browser, kept in
a FileStore (0600) that ``token --store`` and ``OAuthSession(store=...)`` take up with no
password and no browser."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import webbrowser

from .._oauth import OAuthSession, hosted_login
from .._stores import FileStore
from .._stores.codec import stored_identity
from .usage import UsageError


def default_store() -> str:
    """Where ``login`` keeps the identity by default: the user's configuration directory."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "frontegg-async", "identity.json")


def _prepare(path: str) -> str:
    path = os.path.expanduser(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, mode=0o700, exist_ok=True)
    return path


def _show(url: str) -> None:
    """Open the sign-in page, and say where it is for a machine with no browser to open."""
    print(f"Sign in at: {url}", file=sys.stderr, flush=True)
    if not webbrowser.open(url):
        print("(no browser could be started: open the address above)", file=sys.stderr)


async def run_login(args: argparse.Namespace) -> int:
    """``frontegg-async login``: sign in in the browser, keep the identity in the store."""
    path = _prepare(args.store or default_store())
    session = await hosted_login(
        args.base_url,
        client_id=args.client_id,
        open_browser=lambda url: asyncio.to_thread(_show, url),
        store=FileStore(path),
        timeout=args.timeout,
    )
    try:
        claims = session.claims
        who = (claims.email or claims.sub) if claims is not None else None
        print(f"Signed in as {who or 'the user'}; the identity is kept in {path}")
    finally:
        await session.aclose()  # closed, not logged out: the store keeps it for later
    return 0


async def session_from_store(path: str) -> OAuthSession:
    """An ``OAuthSession`` for the identity that ``login`` kept in the FileStore at ``path``."""
    state = await FileStore(path).load()
    identity = None if state is None else stored_identity(state)
    if identity is None or identity.kind != "oauth":
        raise UsageError(
            f"{path} holds no identity signed in through the browser: run "
            "`frontegg-async login --base-url URL --client-id ID --store "
            f"{path}` first (or give --email and --base-url to log in with a password)"
        )
    return OAuthSession(identity.url, client_id=identity.subject, store=FileStore(path))


async def run_logout(args: argparse.Namespace) -> int:
    """``frontegg-async logout``: revoke the stored identity at Frontegg and forget it."""
    path = args.store or default_store()
    session = await session_from_store(path)
    try:
        await session.login()
        await session.logout()
    finally:
        await session.aclose()
    print(f"Signed out; {path} no longer holds the identity")
    return 0
