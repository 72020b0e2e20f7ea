"""The ``frontegg-async`` command line: a token sidecar, the fake server, the demo.

Exit codes: 0 success (``--exec``: the command's own status), 1 a Frontegg, store or system
error, 2 bad usage (bad arguments, no password), 130 interrupted. Errors are one line on
stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import signal
import sys
from collections.abc import Sequence

from ._errors import FronteggError
from ._files import write_private
from ._session import FronteggSession
from ._stores import FileStore

PASSWORD_ENV = "FRONTEGG_PASSWORD"
TOKEN_ENV = "FRONTEGG_ACCESS_TOKEN"


class UsageError(Exception):
    """Bad arguments: exit 2."""


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The parser, with every command and option documented in its help."""
    parser = argparse.ArgumentParser(
        prog="frontegg-async",
        description="An asyncio client for Frontegg's identity API that keeps its JWT fresh.",
        epilog="Exit codes: 0 success (--exec: the command's status), 1 Frontegg or store "
        "error, 2 bad usage, 130 interrupted.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo", help="watch a session keep its token fresh against a fake Frontegg on loopback"
    )
    demo.add_argument("--duration", type=_positive, default=20.0, help="seconds (default 20)")
    demo.add_argument(
        "--lifetime", type=_positive, default=3.0, help="token lifetime in seconds (default 3)"
    )

    token = commands.add_parser(
        "token",
        help="log in and print a fresh JWT, keep a file fresh, or run a command with one",
        description="Logs in with email and password (the password comes from the "
        f"{PASSWORD_ENV} environment variable, or a prompt; never from the command line) and "
        "prints a fresh JWT.",
    )
    token.add_argument(
        "--base-url",
        required=True,
        help="identity base URL, e.g. https://app-xxxx.frontegg.com/identity",
    )
    token.add_argument("--email", required=True)
    token.add_argument("--vendor-host", help="frontegg-vendor-host (default: the URL's host)")
    token.add_argument(
        "--password-env",
        default=PASSWORD_ENV,
        metavar="NAME",
        help=f"environment variable holding the password (default {PASSWORD_ENV})",
    )
    token.add_argument(
        "--store", metavar="FILE", help="share the session through this FileStore (JSON, 0600)"
    )
    token.add_argument("--out", metavar="FILE", help="write the token to FILE (atomically, 0600)")
    token.add_argument(
        "--watch", action="store_true", help="with --out: keep FILE fresh until interrupted"
    )
    token.add_argument(
        "--exec",
        dest="exec_",
        action="store_true",
        help=f"last: --exec -- CMD ...: run CMD with a fresh {TOKEN_ENV} in its environment "
        "and exit with its status (with --out, FILE stays fresh while it runs)",
    )

    fake = commands.add_parser(
        "fake", help="run the fake Frontegg on loopback, for testing other programs against it"
    )
    fake.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any)")
    fake.add_argument("--lifetime", type=_positive, default=60.0, help="token lifetime (s)")
    fake.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="EMAIL:PASSWORD",
        help="a user who can log in (repeatable; default demo@example.com:demo-password)",
    )
    return parser


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


async def run_token(args: argparse.Namespace) -> int:
    """``frontegg-async token``."""
    command: list[str] = args.command_line
    if args.exec_ and not command:
        raise UsageError("--exec needs a command after it: --exec -- CMD ...")
    if args.watch and not args.out:
        raise UsageError("--watch needs --out FILE")
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
    async with session:
        if args.out:
            await asyncio.to_thread(write_atomically, args.out, await session.access_token())
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        keeper = asyncio.create_task(keep_fresh(session, args.out, stop)) if args.out else None
        try:
            if command:
                env = {**os.environ, TOKEN_ENV: await session.access_token()}
                env.pop(args.password_env, None)  # the child gets a token, not the password
                child = await asyncio.create_subprocess_exec(*command, env=env)
                waiter = asyncio.create_task(child.wait())
                stopper = asyncio.create_task(stop.wait())
                await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
                if not waiter.done():
                    child.terminate()
                stopper.cancel()
                return await waiter
            await stop.wait()
            return 0
        finally:
            stop.set()
            if keeper is not None:
                await keeper
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)


async def keep_fresh(session: FronteggSession, path: str, stop: asyncio.Event) -> None:
    """Rewrite ``path`` whenever the token changes, until ``stop``."""
    written = ""
    while not stop.is_set():
        token = await session.access_token()
        if token != written:
            await asyncio.to_thread(write_atomically, path, token)
            written = token
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.2)


async def run_fake(args: argparse.Namespace) -> int:
    """``frontegg-async fake``."""
    from .testing import FakeFrontegg

    users = args.user or ["demo@example.com:demo-password"]
    async with FakeFrontegg(token_lifetime=args.lifetime, port=args.port) as fake:
        for user in users:
            email, colon, password = user.partition(":")
            if not colon or not email or not password:
                raise UsageError(f"--user takes EMAIL:PASSWORD, not {user!r}")
            fake.add_user(email, password)
        print(
            f"fake Frontegg at {fake.identity_url} (environment token at {fake.url}/auth/vendor)",
            flush=True,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    # Everything after --exec is the command to run, options included: argparse would read
    # them as its own.
    command: list[str] = []
    if "--exec" in words:
        at = words.index("--exec")
        words, command = words[: at + 1], words[at + 1 :]
        if command[:1] == ["--"]:
            command = command[1:]
    args = build_parser().parse_args(words)
    args.command_line = command
    try:
        if args.command == "demo":
            from ._demo import run_demo

            return asyncio.run(run_demo(args.duration, args.lifetime))
        if args.command == "token":
            return asyncio.run(run_token(args))
        return asyncio.run(run_fake(args))
    except (UsageError, ValueError) as error:
        print(f"frontegg-async: {error}", file=sys.stderr)
        return 2
    except (FronteggError, OSError) as error:
        print(f"frontegg-async: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
