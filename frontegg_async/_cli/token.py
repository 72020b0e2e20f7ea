"""``frontegg-async token``: a fresh token printed, written to a file and kept fresh
(``--watch``, the Kubernetes sidecar), or handed to a command (``--exec``); from an email and a
password, or from the identity ``frontegg-async login`` kept in a store."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import signal
import sys
from typing import Any

from .._core.lifecycle import SessionState
from .._errors import FronteggError, SessionExpiredError
from .._oauth import OAuthSession
from .._stores import FileStore
from .._stores.files import write_private
from .._user import FronteggSession
from .login import session_from_store
from .usage import UsageError

PASSWORD_ENV = "FRONTEGG_PASSWORD"
#: What the sidecar keeps fresh: a user's session from a password, or one from the browser.
AnySession = FronteggSession | OAuthSession
TOKEN_ENV = "FRONTEGG_ACCESS_TOKEN"


def write_atomically(path: str, text: str) -> None:
    """Replace ``path`` with ``text`` in one rename, readable by the owner only."""
    write_private(path, text.encode())


def read_password(variable: str) -> str:
    """The password from the environment, or from a prompt on a terminal."""
    password = os.environ.get(variable)
    if password:
        return password
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(f"Frontegg password (or set {variable}): ")
    raise UsageError(f"no password: set {variable} (the password is never taken from argv)")


class SessionOver(Exception):
    """The session cannot go on (credentials refused, session revoked): exit 1."""


#: Between tries of a sidecar whose token could not be renewed: grows to the cap.
RETRY_FIRST, RETRY_CAP = 0.2, 5.0


def _retry_delay(failures: int) -> float:
    return min(RETRY_CAP, RETRY_FIRST * 2.0 ** min(failures, 16))


def _check_out_path(path: str, what: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"{what} {path}: the folder {folder} does not exist")
    if os.path.isdir(path):
        raise UsageError(f"{what} {path} is a directory; give the path of a file")


async def next_token(session: AnySession, failures: int) -> str | None:
    """A fresh token, or None after a transient failure (said in one line on stderr).

    Raises ``SessionOver`` when the session cannot go on, whatever is retried.
    """
    try:
        return await session.access_token()
    except FronteggError as error:
        if isinstance(error, SessionExpiredError) or not error.retryable:
            raise SessionOver(str(error)) from None
        print(
            f"frontegg-async: no fresh token ({type(error).__name__}: {error}); "
            f"trying again in {_retry_delay(failures):g} s",
            file=sys.stderr,
            flush=True,
        )
        return None


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


async def keep_fresh(
    session: AnySession, path: str | None, health: str | None, stop: asyncio.Event
) -> None:
    """Rewrite ``path`` whenever the token changes, through any outage, until ``stop``.

    ``health`` exists (rewritten every turn) while a usable token could be had, and is removed
    as soon as one could not. Raises ``SessionOver`` when the session ends.
    """
    written = ""
    failures = 0
    while not stop.is_set():
        token = await next_token(session, failures)
        if token is None:
            delay = _retry_delay(failures)
            failures += 1
            if health is not None:
                await asyncio.to_thread(_remove, health)
        else:
            delay, failures = 0.2, 0
            if path is not None and token != written:
                await asyncio.to_thread(write_atomically, path, token)
                written = token
            if health is not None:
                await asyncio.to_thread(write_atomically, health, "fresh\n")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)


async def _first_token(session: AnySession, stop: asyncio.Event) -> str | None:
    """The first token of a long-running command, waiting out an outage; None if stopped."""
    failures = 0
    while not stop.is_set():
        token = await next_token(session, failures)
        if token is not None:
            return token
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), _retry_delay(failures))
        failures += 1
    return None


async def run_token(args: argparse.Namespace) -> int:
    """``frontegg-async token``."""
    command: list[str] = args.command_line
    if args.exec_ and not command:
        raise UsageError("--exec needs a command after it: --exec -- CMD ...")
    if args.watch and not args.out:
        raise UsageError("--watch needs --out FILE")
    if args.health_file and not (args.watch or command):
        raise UsageError("--health-file needs --watch or --exec")
    for path, what in ((args.out, "--out"), (args.health_file, "--health-file")):
        if path:
            _check_out_path(path, what)
    session: AnySession
    if args.email is None:
        if not args.store:
            raise UsageError(
                "give --email and --base-url to log in with a password, or --store FILE "
                "written by `frontegg-async login`"
            )
        session = await session_from_store(args.store)
    else:
        if not args.base_url:
            raise UsageError("--email needs --base-url (the identity base URL)")
        session = FronteggSession(
            args.base_url,
            email=args.email,
            password=read_password(args.password_env),
            vendor_host=args.vendor_host,
            store=FileStore(args.store) if args.store else None,
        )
    if not command and not args.watch:
        # A one-shot token is for someone else to use after we exit: close without logging
        # out, which would revoke the session behind the token just handed over.
        try:
            token = await session.access_token()
            if args.out:
                await asyncio.to_thread(write_atomically, args.out, token)
            else:
                print(token)
            return 0
        finally:
            await session.aclose()
    return await _run_long(session, args, command)


async def _run_long(session: AnySession, args: argparse.Namespace, command: list[str]) -> int:
    """``--watch`` and ``--exec``: until interrupted, the command ends, or the session does."""
    stop = asyncio.Event()
    interrupted: list[int] = []
    loop = asyncio.get_running_loop()

    def on_signal(signum: int) -> None:
        interrupted.append(signum)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)
    keeper: asyncio.Task[None] | None = None
    waiters: set[asyncio.Future[Any]] = set()
    try:
        token = await _first_token(session, stop)
        if token is None:
            return _interrupted_status(interrupted)
        if args.out or args.health_file:
            keeper = asyncio.create_task(keep_fresh(session, args.out, args.health_file, stop))
            waiters.add(keeper)
        waiters.add(asyncio.ensure_future(stop.wait()))
        child = None
        if command:
            env = {**os.environ, TOKEN_ENV: token}
            env.pop(args.password_env, None)  # the child gets a token, not the password
            try:
                child = await asyncio.create_subprocess_exec(*command, env=env)
            except OSError as error:
                print(
                    f"frontegg-async: could not run {command[0]}: {error.strerror}",
                    file=sys.stderr,
                )
                return 127
            waiters.add(asyncio.ensure_future(child.wait()))
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        if keeper is not None and keeper.done():
            keeper.result()  # SessionOver: exit 1 with its reason
        if child is not None:
            if child.returncode is None:
                child.terminate()
            status = await child.wait()
            return _interrupted_status(interrupted) if interrupted else status
        return _interrupted_status(interrupted)
    except SessionOver as over:
        print(f"frontegg-async: the session is over: {over}", file=sys.stderr)
        return 1
    finally:
        stop.set()
        for waiter in waiters:
            waiter.cancel()
        if keeper is not None:
            with contextlib.suppress(asyncio.CancelledError, SessionOver):
                await keeper
        if args.health_file:
            _remove(args.health_file)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await _leave(session, shared=bool(args.store))


def _interrupted_status(interrupted: list[int]) -> int:
    """130 after SIGINT, as a shell reports it; 0 after SIGTERM, the normal stop of a sidecar."""
    return 130 if signal.SIGINT in interrupted else 0


async def _leave(session: AnySession, *, shared: bool) -> None:
    """Log out (a private session ends with the process) and close; a shared store's identity
    belongs to every sharer, so then only close."""
    try:
        if not shared and session.state is not SessionState.UNAUTHENTICATED:
            with contextlib.suppress(FronteggError):
                await session.logout()
    finally:
        await session.aclose()
