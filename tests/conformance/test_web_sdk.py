"""Frontegg's own web SDK (``@frontegg/rest-api``) signs in, renews, switches tenant, logs out,
answers MFA and goes through hosted login against the fake (see ``node/web_sdk.js``). Needs
Node.js and ``npm ci`` in ``tests/conformance/node`` (``.ci/run`` does both); without them this
test fails, saying so: it never skips."""

from __future__ import annotations

import base64

from frontegg_async._totp import totp
from frontegg_async.testing import FakeFrontegg

from . import NODE, node_ready, run_checks

EMAIL, PASSWORD = "web-sdk@example.com", "web-sdk-password-1d2e"
MFA_EMAIL, TOTP_KEY = "web-sdk-mfa@example.com", b"web-sdk-totp-key-000001"


async def test_the_web_sdk_drives_the_fake() -> None:
    node = node_ready("@frontegg/rest-api")
    async with FakeFrontegg() as fake:
        user = fake.add_user(EMAIL, PASSWORD)
        user.tenant_ids[:] = [user.tenant_id, "tenant-two"]
        fake.add_user(MFA_EMAIL, PASSWORD, totp_secret=base64.b32encode(TOTP_KEY).decode())
        await run_checks(
            "web sdk",
            node,
            str(NODE / "web_sdk.js"),
            str(fake.url),
            EMAIL,
            PASSWORD,
            "tenant-two",
            MFA_EMAIL,
            totp(TOTP_KEY, fake.now()),
            checks=14,
            cwd=NODE,
            env={"FRONTEGG_CLIENT_ID": fake.client_id},
        )
        # The SDK called the fake as it calls Frontegg: under /frontegg, with no vendor host,
        # tenant or user header, and never resent a spent refresh token.
        paths = {r.path for r in fake.requests}
        assert "/frontegg/identity/resources/auth/v1/user/token/refresh" in paths
        assert "/frontegg/oauth/token" in paths
        assert not any("frontegg-vendor-host" in r.headers for r in fake.requests)
        assert fake.reused_refresh_tokens == 0
