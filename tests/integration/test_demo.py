"""The demo runs and shows renewals."""

from __future__ import annotations

import io
import re

from frontegg_async._cli import main
from frontegg_async._cli.demo import run_demo


async def test_demo_shows_renewals_and_logs_out() -> None:
    out = io.StringIO()
    assert await run_demo(duration=1.5, lifetime=0.5, out=out) == 0
    text = out.getvalue()
    assert "logged in token" in text
    assert len(re.findall(r"renewed\s+token [0-9a-f]{8}", text)) >= 2
    assert "0 reused refresh tokens" in text
    assert "logged out (1 logout call)" in text


def test_command_line_rejects_bad_arguments(capsys: object) -> None:
    import pytest

    with pytest.raises(SystemExit) as caught:
        main(["demo", "--duration", "-1"])
    assert caught.value.code == 2
