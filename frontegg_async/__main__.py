"""The ``frontegg-async`` command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from ._errors import FronteggError


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="frontegg-async", description="An asyncio client for Frontegg's identity API."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="watch a session keep its token fresh against a fake Frontegg on loopback",
    )
    demo.add_argument(
        "--duration", type=_positive, default=20.0, help="seconds to run (default 20)"
    )
    demo.add_argument(
        "--lifetime", type=_positive, default=3.0, help="token lifetime in seconds (default 3)"
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        from ._demo import run_demo

        try:
            return asyncio.run(run_demo(args.duration, args.lifetime))
        except FronteggError as error:
            print(f"frontegg-async: {error}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 130
    parser.error(f"unknown command {args.command}")
    return 2  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
