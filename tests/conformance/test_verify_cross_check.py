"""The forged table (tests/forged.py) through our ``TokenVerifier`` and through Frontegg's own
Python SDK: every token the SDK accepts, we accept, but for the differences the README lists;
every token we refuse for a reason the SDK checks too, the SDK refuses."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

from frontegg_async import (
    ApiTokenSession,
    FronteggSession,
    InvalidTokenError,
    TokenVerifier,
)
from frontegg_async.testing import FakeFrontegg

from ..conftest import EMAIL, PASSWORD
from ..forged import forged_tokens
from . import run_checks

HERE = Path(__file__).parent
README = HERE.parents[1] / "README.md"


def documented_differences() -> set[str]:
    """The rows of the README's table of tokens the official SDK accepts and we refuse."""
    section = README.read_text().split("### Compared with Frontegg's Python SDK")[1]
    table = section.split("\nOther differences")[0]
    return set(re.findall(r"^\| ([^|]+?) \| accepted \| refused", table, re.MULTILINE))


async def test_the_verifier_and_the_official_sdk_agree_on_the_forged_table(
    fake: FakeFrontegg, tmp_path: Path
) -> None:
    fake.add_api_token("cross-check-m2m", "cross-check-m2m-secret")
    async with (
        FronteggSession(fake.identity_url, email=EMAIL, password=PASSWORD) as user,
        ApiTokenSession(
            fake.identity_url, client_id="cross-check-m2m", secret="cross-check-m2m-secret"
        ) as machine,
    ):
        user_token, api_token = await user.access_token(), await machine.access_token()
    forged = forged_tokens(fake, user_token, now=time.time())
    tokens = {
        "a user's token": user_token,
        "an API token": api_token,
        **{name: row.token for name, row in forged.items()},
    }
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
    output = await run_checks(
        "official validator",
        sys.executable,
        str(HERE / "official_validator.py"),
        str(fake.url),
        fake.client_id,
        fake.environment_secret,
        str(table),
        checks=len(tokens),
        cwd=HERE,
    )
    theirs = {
        name: verdict
        for _, name, verdict in (
            line.split("\t") for line in output.splitlines() if line.startswith("verdict\t")
        )
    }
    assert theirs.keys() == ours.keys()
    assert ours["a user's token"] == ours["an API token"] == "accepted"
    accepted_by_them = {name for name, verdict in theirs.items() if verdict == "accepted"}
    accepted_by_us = {name for name, verdict in ours.items() if verdict == "accepted"}
    # Every token it accepts, we accept, but for what the README says we check and it does not.
    assert accepted_by_them - accepted_by_us == documented_differences(), (theirs, ours)
    assert accepted_by_us <= accepted_by_them
    # Every token we refuse for a reason it checks, it refuses.
    checked_by_both = {name for name, row in forged.items() if row.sdk_checks}
    assert checked_by_both & accepted_by_them == set(), theirs
