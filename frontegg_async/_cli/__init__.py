"""The ``frontegg-async`` command line: a token sidecar (``token``), sign-in through the
browser (``login``, ``logout``), checking a token (``verify``), the fake server (``fake``), the
demo (``demo``), one module each; this one parses and dispatches.

Exit codes: 0 success (``--exec``: the command's own status; ``--watch``: stopped by SIGTERM),
1 a Frontegg, store or system error (for ``--watch`` and ``--exec``: the session is over, its
credentials refused or revoked; for ``verify``: the token was refused), 2 bad usage (bad
arguments, no password, a missing folder), 127 the ``--exec`` command could not be run, 130
interrupted (SIGINT). Errors are one line on stderr, never a traceback; ``--watch`` and
``--exec`` ride out outages, each failed try one line on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from .._errors import FronteggError
from .._version import __version__
from .fake import run_fake
from .login import default_store, run_login, run_logout
from .token import PASSWORD_ENV, TOKEN_ENV, run_token
from .usage import UsageError
from .verify import run_verify

__all__ = ["build_parser", "main"]


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
        epilog="Exit codes: 0 success (--exec: the command's status; --watch: SIGTERM), "
        "1 Frontegg or store error (--watch/--exec: the session is over; verify: the token was "
        "refused), 2 bad usage, "
        "127 the --exec command could not be run, 130 interrupted (SIGINT).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
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
        "prints a fresh JWT; with --store alone, it takes up the identity that "
        "`frontegg-async login` kept instead.",
    )
    token.add_argument(
        "--base-url", help="identity base URL, e.g. https://app-xxxx.frontegg.com/identity"
    )
    token.add_argument(
        "--email",
        help="log in with this email and a password; without it, --store names the identity "
        "that `frontegg-async login` kept (no password)",
    )
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
        "--health-file",
        metavar="PATH",
        help="with --watch or --exec: PATH exists while a fresh token could be had and is "
        "removed as soon as one could not (a Kubernetes probe: test -f PATH)",
    )
    token.add_argument(
        "--exec",
        dest="exec_",
        action="store_true",
        help=f"last: --exec -- CMD ...: run CMD with a fresh {TOKEN_ENV} in its environment "
        "and exit with its status (with --out, FILE stays fresh while it runs)",
    )

    login = commands.add_parser(
        "login",
        help="sign in through Frontegg's hosted login in a browser and keep the identity",
        description="Opens Frontegg's hosted login in a browser (SSO, social login, MFA: "
        "whatever the environment offers) and keeps the identity in a store (mode 0600) that "
        "`token --store` and `logout --store` take up with no password.",
    )
    login.add_argument(
        "--base-url", required=True, help="the Frontegg domain, e.g. https://app-xxxx.frontegg.com"
    )
    login.add_argument("--client-id", required=True, help="the client id or application id")
    login.add_argument(
        "--store", metavar="FILE", help=f"where to keep the identity (default {default_store()})"
    )
    login.add_argument(
        "--timeout", type=_positive, default=300.0, help="seconds to wait for the user (300)"
    )
    logout = commands.add_parser(
        "logout", help="revoke the identity `login` kept, at Frontegg, and forget it"
    )
    logout.add_argument(
        "--store", metavar="FILE", help=f"the store `login` wrote (default {default_store()})"
    )

    verify = commands.add_parser(
        "verify",
        help="check a token (read from stdin) against a domain's keys and print its claims",
        description="Reads a token from stdin (the JWT, or 'Bearer <JWT>'; never from the "
        "command line), verifies it as TokenVerifier does (signature, times, issuer, type, "
        "and the audience, permissions and roles given) and prints its claims as JSON; "
        "a refused token is one line on stderr saying why, and exit status 1.",
    )
    verify.add_argument(
        "--domain", required=True, help="the Frontegg domain, e.g. https://app-xxxx.frontegg.com"
    )
    verify.add_argument("--audience", help="the aud the token must carry (default: unchecked)")
    verify.add_argument("--issuer", help="the iss the token must carry (default: the domain)")
    verify.add_argument(
        "--leeway", type=float, default=30.0, help="seconds of clock skew allowed (default 30)"
    )
    verify.add_argument(
        "--permission", action="append", default=[], help="a permission it must have (repeatable)"
    )
    verify.add_argument(
        "--role", action="append", default=[], help="a role it must have (repeatable)"
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
    # The command speaks for itself, one line per event on stderr: the library's own log
    # records (several per failed renewal) would drown them.
    logging.getLogger("frontegg_async").addHandler(logging.NullHandler())
    try:
        if args.command == "demo":
            from .demo import run_demo

            return asyncio.run(run_demo(args.duration, args.lifetime))
        if args.command == "token":
            return asyncio.run(run_token(args))
        if args.command == "login":
            return asyncio.run(run_login(args))
        if args.command == "logout":
            return asyncio.run(run_logout(args))
        if args.command == "verify":
            return asyncio.run(run_verify(args))
        return asyncio.run(run_fake(args))
    except (UsageError, ValueError) as error:
        print(f"frontegg-async: {error}", file=sys.stderr)
        return 2
    except ImportError as error:  # `demo` and `fake` without the testing extra
        print(f"frontegg-async: {error}", file=sys.stderr)
        return 1
    except (FronteggError, OSError) as error:
        print(f"frontegg-async: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
