"""Frontegg's Python SDK (pip ``frontegg``, pinned) judges a table of tokens, for the
cross-check with ``TokenVerifier`` (``test_verify_cross_check.py``).

Run in a process of its own, since the SDK reads the gateway's address when it is imported::

    python official_validator.py GATEWAY_URL CLIENT_ID SECRET TABLE.json [TABLE.json ...]

Each ``TABLE.json`` maps names to tokens. For each token, the SDK's own entry point for a route,
``validate_identity_on_token``, is called as its FastAPI guard calls it; the script prints
``verdict<TAB>name<TAB>accepted`` or ``verdict<TAB>name<TAB>refused ExceptionName``. Before each
table but the first it prints ``next table?`` and waits for a line on stdin (the test changes
the fake in between: a key rotation). Last, ``official validator checks passed: N`` (N: the
tokens judged).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path


async def main(gateway: str, client_id: str, secret: str, *tables: str) -> int:
    os.environ["FRONTEGG_API_GATEWAY_URL"] = gateway
    # Imported here: the SDK reads the variable when it is imported.
    from frontegg.fastapi import frontegg

    await frontegg.init_app(client_id, secret)
    judged = 0
    for number, table in enumerate(tables):
        if number:
            print("next table?", flush=True)
            sys.stdin.readline()
        tokens: dict[str, str] = json.loads(Path(table).read_text())
        for name, token in tokens.items():
            try:
                await frontegg.validate_identity_on_token(token, None, "JWT")
            except Exception as refusal:  # the SDK raises its own, PyJWT's, or a bare Exception
                verdict = f"refused {type(refusal).__name__}"
            else:
                verdict = "accepted"
            print(f"verdict\t{name}\t{verdict}", flush=True)
            judged += 1
    print(f"official validator checks passed: {judged}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:])))
