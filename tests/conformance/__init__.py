"""Frontegg's own clients against the fake. Each check script prints one line per check and a
count; ``run_checks`` runs one and keeps its count, printed at the end of the run
(``conftest.py``)."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

#: "what checked" -> the line with its count, as the check printed it.
COUNTS: dict[str, str] = {}
NODE = Path(__file__).parent / "node"


def node_ready(package: str) -> str:
    """The ``node`` executable, after checking that ``npm ci`` installed ``package``: without
    them the conformance suite fails, saying what to run; it never skips."""
    node = shutil.which("node")
    assert node is not None, "Node.js is needed for the conformance suite: apt-get install nodejs"
    assert (NODE / "node_modules" / package).is_dir(), f"run `npm ci` in {NODE} (.ci/run does)"
    return node


async def run_checks(
    name: str, *argv: str, checks: int, cwd: Path, env: dict[str, str] | None = None
) -> str:
    """Run a check script; it must exit 0 having passed ``checks`` checks. Returns its output."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    text = out.decode()
    assert process.returncode == 0, text
    marker = f"{name} checks passed: "
    COUNTS[name] = next((line for line in text.splitlines() if line.startswith(marker)), "")
    assert COUNTS[name] == f"{marker}{checks}", text
    return text
