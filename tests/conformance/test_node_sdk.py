"""Frontegg's own Node SDK accepts the fake's tokens and refuses a forged one (see
``node/node_sdk.js``). Needs Node.js and ``npm ci`` in ``tests/conformance/node`` (``.ci/run``
does both); without them this test fails, saying so: it never skips."""

from __future__ import annotations

from frontegg_async.testing import FakeFrontegg

from . import NODE, node_ready, run_checks
from .test_python_sdk import forged_from, tokens


async def test_the_node_sdk_validates_the_fakes_tokens(fake: FakeFrontegg) -> None:
    node = node_ready("@frontegg/client")
    user_token, api_token = await tokens(fake)
    await run_checks(
        "node sdk",
        node,
        str(NODE / "node_sdk.js"),
        fake.client_id,
        fake.environment_secret,
        user_token,
        api_token,
        forged_from(user_token),
        checks=3,
        cwd=NODE,
        env={"FRONTEGG_API_GATEWAY_URL": str(fake.url)},
    )
    fetched = [r for r in fake.requests if r.endpoint == "configuration"]
    assert {r.path for r in fetched} == {"/identity/resources/configurations/v1"}
    assert fake.calls["vendor"] >= 1
