"""The forged table (tests/forged.py) through our ``TokenVerifier`` and through Frontegg's own
Python and Node SDKs: every token an SDK accepts, we accept, but for the differences the
README's table lists for it; every token we refuse for a reason the SDKs check too, they
refuse. And after a key rotation, they refuse new tokens where the verifier follows. Each SDK
runs in a process of its own (``official_validator.py``, ``node/node_validator.js``); the Node
one needs Node.js and ``npm ci`` (``.ci/run`` does both)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

import pytest

from frontegg_async import FronteggSession, InvalidTokenError, TokenVerifier
from frontegg_async.testing import FakeFrontegg

from ..conftest import EMAIL, PASSWORD
from ..forged import Forged, forged_tokens
from . import NODE, node_ready, run_checks
from .test_python_sdk import tokens

HERE = Path(__file__).parent
README = HERE.parents[1] / "README.md"
#: The README table's column for each SDK.
COLUMNS = {"python": 1, "node": 2}


def documented_differences(sdk: str) -> set[str]:
    """The rows of the README's table where ``sdk`` accepts a token that we refuse."""
    section = README.read_text().split("### Compared with Frontegg's SDKs")[1]
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in section.split("\nOther differences")[0].splitlines()
        if line.startswith("| ") and not line.startswith("| token")
    ]
    return {row[0] for row in rows if row[COLUMNS[sdk]] == "accepted"}


def sdk_command(sdk: str, fake: FakeFrontegg) -> tuple[tuple[str, ...], Path, dict[str, str]]:
    """The SDK's validator script, run against ``fake``: its argv (but the tables), folder and
    environment."""
    if sdk == "python":
        script = (sys.executable, str(HERE / "official_validator.py"), str(fake.url))
        return (*script, fake.client_id, fake.environment_secret), HERE, {}
    node = (node_ready("@frontegg/client"), str(NODE / "node_validator.js"))
    gateway = {"FRONTEGG_API_GATEWAY_URL": str(fake.url)}
    return (*node, fake.client_id, fake.environment_secret), NODE, gateway


def sdk_name(sdk: str) -> str:
    """The name its script prints its count under."""
    return "official validator" if sdk == "python" else "node validator"


async def judged_by_sdk(sdk: str, fake: FakeFrontegg, table: Path, count: int) -> dict[str, str]:
    argv, cwd, env = sdk_command(sdk, fake)
    output = await run_checks(sdk_name(sdk), *argv, str(table), checks=count, cwd=cwd, env=env)
    return {
        name: verdict
        for _, name, verdict in (
            line.split("\t") for line in output.splitlines() if line.startswith("verdict\t")
        )
    }


async def tokens_of(fake: FakeFrontegg) -> tuple[dict[str, str], dict[str, Forged]]:
    user_token, api_token = await tokens(fake)
    forged = forged_tokens(fake, user_token, now=time.time())
    tokens_ = {
        "a user's token": user_token,
        "an API token": api_token,
        **{name: row.token for name, row in forged.items()},
    }
    return tokens_, forged


@pytest.mark.parametrize("sdk", ["python", "node"])
async def test_the_verifier_and_frontegg_sdks_agree_on_the_forged_table(
    sdk: str, fake: FakeFrontegg, tmp_path: Path
) -> None:
    tokens, forged = await tokens_of(fake)
    ours: dict[str, str] = {}
    async with TokenVerifier(str(fake.url), audience=fake.client_id) as verifier:
        for name, token in tokens.items():
            try:
                await verifier.verify(token)
            except InvalidTokenError as refusal:
                ours[name] = f"refused: {refusal.reason}"
            else:
                ours[name] = "accepted"
    table = tmp_path / "tokens.json"
    table.write_text(json.dumps(tokens))
    theirs = await judged_by_sdk(sdk, fake, table, len(tokens))
    assert theirs.keys() == ours.keys()
    assert theirs["a user's token"] == theirs["an API token"] == "accepted", theirs
    assert ours["a user's token"] == ours["an API token"] == "accepted"
    accepted_by_them = {name for name, verdict in theirs.items() if verdict == "accepted"}
    accepted_by_us = {name for name, verdict in ours.items() if verdict == "accepted"}
    # Every token it accepts, we accept, but for what the README says we check and it does not.
    assert accepted_by_them - accepted_by_us == documented_differences(sdk), (theirs, ours)
    assert accepted_by_us <= accepted_by_them
    # Every token we refuse for a reason the SDK checks too, it refuses.
    checked = {name for name, row in forged.items() if row.sdk_checks}
    assert (checked - documented_differences(sdk)) & accepted_by_them == set(), theirs
    # And the table's "checked by the SDKs" marks hold for the Python SDK as they stand.
    if sdk == "python":
        assert checked & accepted_by_them == set()


async def sdk_process(sdk: str, fake: FakeFrontegg, *tables: Path) -> asyncio.subprocess.Process:
    argv, cwd, env = sdk_command(sdk, fake)
    return await asyncio.create_subprocess_exec(
        *argv,
        *map(str, tables),
        cwd=cwd,
        env={**os.environ, **env},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def verdicts_until(process: asyncio.subprocess.Process, end: str) -> dict[str, str]:
    """The verdicts the process prints before a line starting with ``end``."""
    assert process.stdout is not None
    seen: dict[str, str] = {}
    while True:
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        assert line, f"the process ended before {end!r}: {seen}"
        if line.startswith(end):
            return seen
        if line.startswith("verdict\t"):
            _, name, verdict = line.rstrip("\n").split("\t")
            seen[name] = verdict


@pytest.mark.parametrize("sdk", ["python", "node"])
async def test_after_a_rotation_the_sdks_refuse_new_tokens_and_the_verifier_does_not(
    sdk: str, fake: FakeFrontegg, tmp_path: Path
) -> None:
    """What the README says of the SDKs' keys (kept for the life of the process), measured."""
    async with FronteggSession(fake.identity_url, email=EMAIL, password=PASSWORD) as user:
        before = await user.access_token()
    first, second = tmp_path / "before.json", tmp_path / "after.json"
    first.write_text(json.dumps({"before the rotation": before}))
    async with TokenVerifier(str(fake.url)) as verifier:
        await verifier.verify(before)
        process = await sdk_process(sdk, fake, first, second)
        try:
            assert await verdicts_until(process, "next table?") == {
                "before the rotation": "accepted"
            }
            fake.rotate_signing_key(grace=300)
            async with FronteggSession(fake.identity_url, email=EMAIL, password=PASSWORD) as user:
                after = await user.access_token()
            second.write_text(json.dumps({"after the rotation": after, "the old key's": before}))
            assert process.stdin is not None
            process.stdin.write(b"go\n")
            await process.stdin.drain()
            theirs = await verdicts_until(process, f"{sdk_name(sdk)} checks passed")
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()
        assert theirs["the old key's"] == "accepted"
        assert theirs["after the rotation"].startswith("refused"), theirs
        # The verifier follows: one refetch for the new kid, the old key still in its grace.
        assert (await verifier.verify(after)).sub == (await verifier.verify(before)).sub
        assert verifier.fetches == 2
