"""The benchmarks still run in their short modes (they measure nothing here), and the soak's
short mode holds its guarantees: no caller error, no expired token, no reused refresh token."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

#: Bursts of processes or of concurrent scenarios: run one at a time on one pytest-xdist worker,
#: never two of them at once on a two-core machine.
pytestmark = pytest.mark.xdist_group("bursts")

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run_benchmark(name: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-W", "error", str(ROOT / "benchmarks" / name), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_benchmark_short_mode_runs() -> None:
    out = run_benchmark("refresh_storm.py", "--short")
    assert "1000 callers -> 1 refresh request(s)" in out
    assert "1000 callers -> 1 /auth/vendor request(s)" in out
    assert "access_token() / floor" in out


def test_soak_short_mode_sees_no_error() -> None:
    out = run_benchmark("soak.py", "--short")
    figures = dict(line.split(None, 1) for line in out.splitlines() if line.strip())
    assert figures["caller_errors"] == "0"
    assert figures["expired_tokens_handed_out"] == "0"
    assert figures["reused_refresh_tokens"] == "0"
    assert int(figures["refreshes"]) > 60  # 50 sessions, 1 s tokens, 2 s: about two each


def test_verify_benchmark_short_mode_runs() -> None:
    out = run_benchmark("verify.py", "--short")
    assert "10,000 concurrent first verifications -> 1 JWKS request(s)" in out
    assert "20,000 distinct forged tokens: 20,000 refused" in out
    assert "500 verified tokens cached of 500" in out
    assert "hot token: TokenVerifier" in out
    assert "distinct tokens: TokenVerifier" in out
