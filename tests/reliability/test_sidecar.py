"""The token sidecar (``frontegg-async token --watch`` / ``--exec``) through outages, revocation
and signals, run as a real process against a fake that stops and starts again on the same port
(the ``fake`` command as a process of its own is tested in test_cli.py)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import pathlib
import signal
import sys
import time
from collections.abc import AsyncIterator

import pytest

from frontegg_async.testing import FakeFrontegg

from ..fleet.conftest import free_port

EMAIL, PASSWORD = "sidecar@example.com", "sidecar-canary-password"
LIFETIME = 1.0


def exp_of(token: str) -> float:
    payload = token.split(".")[1]
    return float(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"])


class RestartableFake:
    """A fake on a fixed port that can die and come back: each start is a new fake, which
    knows none of the refresh tokens of the one before (as a restarted service would)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.fake: FakeFrontegg | None = None

    @property
    def identity_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/identity"

    async def start(self) -> None:
        self.fake = FakeFrontegg(port=self.port, token_lifetime=LIFETIME)
        await self.fake.start()
        self.fake.add_user(EMAIL, PASSWORD)

    async def kill(self) -> None:
        fake, self.fake = self.fake, None
        assert fake is not None
        await fake.close()


@pytest.fixture
async def fake_process() -> AsyncIterator[RestartableFake]:
    fake = RestartableFake(free_port())
    await fake.start()
    yield fake
    if fake.fake is not None:
        await fake.kill()


async def sidecar(url: str, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "frontegg_async",
        "token",
        "--base-url",
        url,
        "--email",
        EMAIL,
        *args,
        env={**os.environ, "FRONTEGG_PASSWORD": PASSWORD},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )


async def wait_until(condition: object, seconds: float) -> float:
    """Poll ``condition()`` every 20 ms; returns the seconds it took, fails after ``seconds``."""
    assert callable(condition)
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > seconds:
            raise AssertionError("not reached in time")
        await asyncio.sleep(0.02)
    return time.monotonic() - start


def fresh(path: pathlib.Path) -> bool:
    try:
        return exp_of(path.read_text()) > time.time()
    except (OSError, IndexError, ValueError):
        return False


async def test_the_file_is_fresh_again_within_one_lifetime_after_a_long_outage(
    fake_process: RestartableFake, tmp_path: pathlib.Path
) -> None:
    out, health = tmp_path / "token", tmp_path / "healthy"
    process = await sidecar(
        fake_process.identity_url, "--watch", "--out", str(out), "--health-file", str(health)
    )
    await wait_until(lambda: fresh(out) and health.exists(), 10)
    await fake_process.kill()  # the identity service is gone for three token lifetimes
    await wait_until(lambda: not health.exists(), 3 * LIFETIME)  # the probe sees it
    await asyncio.sleep(3 * LIFETIME)
    assert not fresh(out)
    await fake_process.start()  # a new fake: it knows none of the old refresh tokens
    took = await wait_until(lambda: fresh(out) and health.exists(), 10)
    assert took < LIFETIME + 1.0  # one lifetime, plus the backoff's last wait at most
    assert process.returncode is None  # it rode the outage out
    process.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 130
    assert not health.exists()
    lines = err.decode().splitlines()
    assert lines, "each failed try is said on stderr"
    assert all(line.startswith("frontegg-async: no fresh token (") for line in lines), lines
    assert "Traceback" not in err.decode()
    assert PASSWORD not in err.decode()


async def test_the_sidecar_exits_1_with_a_reason_when_the_session_is_over(
    tmp_path: pathlib.Path,
) -> None:
    async with FakeFrontegg(token_lifetime=LIFETIME) as fake:
        user = fake.add_user(EMAIL, PASSWORD)
        out = tmp_path / "token"
        process = await sidecar(str(fake.identity_url), "--watch", "--out", str(out))
        await wait_until(lambda: fresh(out), 10)
        user.password = "changed-elsewhere"
        fake.revoke_sessions(EMAIL)  # and every session of the user revoked
        _, err = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 1
    lines = err.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("frontegg-async: the session is over: ")


async def test_exec_of_a_command_that_cannot_start_exits_127(fake_process: RestartableFake) -> None:
    process = await sidecar(
        fake_process.identity_url, "--exec", "--", "/nonexistent/frontegg-test-command"
    )
    _, err = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 127
    assert "could not run /nonexistent/frontegg-test-command" in err.decode()


async def test_exec_waits_out_an_outage_before_starting_its_command(
    fake_process: RestartableFake, tmp_path: pathlib.Path
) -> None:
    await fake_process.kill()
    script = "import os; print(os.environ['FRONTEGG_ACCESS_TOKEN'].count('.'))"
    process = await sidecar(fake_process.identity_url, "--exec", "--", sys.executable, "-c", script)
    await asyncio.sleep(1.0)
    assert process.returncode is None
    await fake_process.start()
    out, _ = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 0
    assert out.decode().strip() == "2"


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--out", "missing-folder/token", "missing-folder does not exist"),
        ("--out", ".", "is a directory"),
        ("--store", ".", "is a directory"),
    ],
)
async def test_bad_paths_name_the_path_given(
    fake_process: RestartableFake, tmp_path: pathlib.Path, option: str, value: str, says: str
) -> None:
    path = str(tmp_path / value)
    extra = ["--watch"] if option == "--out" else []
    process = await sidecar(fake_process.identity_url, option, path, *extra)
    _, err = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode in (1, 2)
    message = err.decode()
    assert message.count("\n") == 1, message
    assert says in message
    assert os.path.normpath(path) in message or path in message
