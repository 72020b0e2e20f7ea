"""Frontegg's own web SDK (``@frontegg/rest-api``) signs in, renews, switches tenant, logs out,
answers MFA and goes through hosted login against the fake (see ``node/web_sdk.js``). Needs
Node.js and ``npm ci`` in ``tests/conformance/node`` (``.ci/run`` does both); without them this
test fails, saying so: it never skips."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
from pathlib import Path

from frontegg_async._totp import totp
from frontegg_async.testing import FakeFrontegg

from . import COUNTS

NODE = Path(__file__).parent / "node"
EMAIL, PASSWORD = "web-sdk@example.com", "web-sdk-password-1d2e"
MFA_EMAIL, TOTP_KEY = "web-sdk-mfa@example.com", b"web-sdk-totp-key-000001"


async def test_the_web_sdk_drives_the_fake() -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed for the conformance suite: apt-get install nodejs"
    assert (NODE / "node_modules" / "@frontegg" / "rest-api").is_dir(), (
        f"run `npm ci` in {NODE} first (.ci/run does)"
    )
    async with FakeFrontegg() as fake:
        user = fake.add_user(EMAIL, PASSWORD)
        user.tenant_ids[:] = [user.tenant_id, "tenant-two"]
        fake.add_user(MFA_EMAIL, PASSWORD, totp_secret=base64.b32encode(TOTP_KEY).decode())
        process = await asyncio.create_subprocess_exec(
            node,
            str(NODE / "web_sdk.js"),
            str(fake.url),
            EMAIL,
            PASSWORD,
            "tenant-two",
            MFA_EMAIL,
            totp(TOTP_KEY, fake.now()),
            cwd=NODE,
            env={**os.environ, "FRONTEGG_CLIENT_ID": fake.client_id},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(process.communicate(), 60)
        text = out.decode()
        print(text)
        assert process.returncode == 0, text
        COUNTS["web sdk"] = next(
            (line for line in text.splitlines() if line.startswith("web sdk checks passed: ")), ""
        )
        assert "web sdk checks passed: 14" in text
        # The SDK called the fake as it calls Frontegg: under /frontegg, with no vendor host,
        # tenant or user header, and never resent a spent refresh token.
        paths = {r.path for r in fake.requests}
        assert "/frontegg/identity/resources/auth/v1/user/token/refresh" in paths
        assert "/frontegg/oauth/token" in paths
        assert not any("frontegg-vendor-host" in r.headers for r in fake.requests)
        assert fake.reused_refresh_tokens == 0
