"""Frontegg's Python SDK (pip ``frontegg``, pinned in pyproject's dev extra) checks the fake's
tokens as it checks Frontegg's: the environment token from ``/auth/vendor/``, the public key
from ``/identity/resources/configurations/v1/``, RS256 only, the token ``type`` checked.

Run by ``test_python_sdk.py`` in a process of its own, because the SDK reads the gateway's
address from the environment when it is imported::

    python python_sdk.py GATEWAY_URL CLIENT_ID SECRET USER_TOKEN API_TOKEN FORGED_TOKEN

It prints one line per check and ``python sdk checks passed: N``, and exits 1 on the first
check that fails.
"""

from __future__ import annotations

import asyncio
import os
import sys


async def main(gateway: str, client_id: str, secret: str, *tokens: str) -> int:
    os.environ["FRONTEGG_API_GATEWAY_URL"] = gateway
    # Imported here: the SDK reads the variable when it is imported.
    from frontegg.fastapi import frontegg

    user_token, api_token, forged = tokens
    await frontegg.init_app(client_id, secret)
    passed = 0

    def check(name: str, ok: bool) -> None:
        nonlocal passed
        print(f"{'ok' if ok else 'FAILED'}: {name}", flush=True)
        if not ok:
            raise SystemExit(1)
        passed += 1

    check("the environment token is issued (/auth/vendor/)", bool(frontegg.access_token))
    key = await frontegg.fetch_public_key()
    check("the public key is served (/identity/resources/configurations/v1/)", "PUBLIC KEY" in key)
    user = await frontegg.validate_identity_on_token(user_token, None, "JWT")
    check("validate_identity_on_token accepts a user token", user.get("type") == "userToken")
    machine = await frontegg.validate_identity_on_token(api_token, None, "JWT")
    check(
        "validate_identity_on_token accepts an API token",
        machine.get("type") in ("tenantApiToken", "userApiToken"),
    )
    try:
        await frontegg.validate_identity_on_token(forged, None, "JWT")
    except Exception:  # the SDK raises its own, or PyJWT's
        refused = True
    else:
        refused = False
    check("validate_identity_on_token refuses a forged token", refused)
    print(f"python sdk checks passed: {passed}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:])))
