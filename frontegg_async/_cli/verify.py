"""``frontegg-async verify``: is this token valid for that domain, and what does it say?

The token comes on stdin (a line: the JWT, or an ``Authorization`` header's ``Bearer <JWT>``),
never from the command line, where other users of the machine could read it.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from .usage import UsageError


async def run_verify(args: argparse.Namespace) -> int:
    """``frontegg-async verify``: the verified claims as JSON on stdout, or one line on stderr
    saying why the token was refused (exit 1)."""
    from .._verify import TokenVerifier

    interactive = sys.stdin.isatty()
    given = getpass.getpass("token (not shown): ") if interactive else sys.stdin.readline()
    if not given.strip():
        raise UsageError('give the token on stdin: echo "$TOKEN" | frontegg-async verify ...')
    async with TokenVerifier(
        args.domain, audience=args.audience, issuer=args.issuer, leeway=args.leeway
    ) as verifier:
        verified = await verifier.verify(given, permissions=args.permission, roles=args.role)
    print(json.dumps(dict(verified.raw), indent=2, sort_keys=True))
    return 0
