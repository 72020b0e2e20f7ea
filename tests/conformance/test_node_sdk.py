"""Frontegg's own Node SDK accepts the fake's tokens and refuses a forged one (see
``node/node_sdk.js``). Needs Node.js and ``npm ci`` in ``tests/conformance/node`` (``.ci/run``
does both); without them this test fails, saying so: it never skips."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

from frontegg_async.testing import FakeFrontegg

from . import COUNTS
from .test_python_sdk import forged_from, tokens

NODE = Path(__file__).parent / "node"


async def test_the_node_sdk_validates_the_fakes_tokens(fake: FakeFrontegg) -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed for the conformance suite: apt-get install nodejs"
    assert (NODE / "node_modules" / "@frontegg" / "client").is_dir(), (
        f"run `npm ci` in {NODE} first (.ci/run does)"
    )
    user_token, api_token = await tokens(fake)
    process = await asyncio.create_subprocess_exec(
        node,
        str(NODE / "node_sdk.js"),
        fake.client_id,
        fake.environment_secret,
        user_token,
        api_token,
        forged_from(user_token),
        cwd=NODE,
        env={**os.environ, "FRONTEGG_API_GATEWAY_URL": str(fake.url)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    text = out.decode()
    print(text)
    assert process.returncode == 0, text
    COUNTS["node sdk"] = next(
        (line for line in text.splitlines() if line.startswith("node sdk checks passed: ")), ""
    )
    assert "node sdk checks passed: 3" in text
    fetched = [r for r in fake.requests if r.endpoint == "configuration"]
    assert {r.path for r in fetched} == {"/identity/resources/configurations/v1"}
    assert fake.calls["vendor"] >= 1
