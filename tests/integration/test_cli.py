"""The command line, run as a real process against the fake (itself run by the command line)."""

from __future__ import annotations

import asyncio
import os
import pathlib
import signal
import stat
import sys
from collections.abc import AsyncIterator

import aiohttp
import pytest

from frontegg_async.testing import FakeFrontegg

PASSWORD = "cli-canary-password"


async def run(
    *args: str, env: dict[str, str] | None = None, given: str | None = None
) -> tuple[int, str, str]:
    """The command's status, stdout and stderr; ``given`` is its stdin (none by default)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "frontegg_async",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL if given is None else asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    sent = None if given is None else given.encode()
    out, err = await asyncio.wait_for(process.communicate(sent), 30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
async def fake_url() -> AsyncIterator[str]:
    """A fake in this process (the ``fake`` command itself is tested once, below)."""
    async with FakeFrontegg(token_lifetime=1) as fake:
        fake.add_user("cli@example.com", PASSWORD)
        yield str(fake.identity_url)


async def test_fake_command_serves_until_terminated() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "frontegg_async",
        "fake",
        "--lifetime",
        "60",
        "--user",
        f"cli@example.com:{PASSWORD}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 15)).decode()
    assert line.startswith("fake Frontegg at http://127.0.0.1:")
    code, out, err = await run(*token_args(line.split()[3]), env={"FRONTEGG_PASSWORD": PASSWORD})
    assert code == 0, err
    assert out.count(".") == 2
    # The whole identity API is there for another program holding the token.
    async with aiohttp.ClientSession() as http:
        url = line.split()[3].rstrip("/") + "/resources/users/v1/me/tenants"
        headers = {"Authorization": f"Bearer {out.strip()}"}
        async with http.get(url, headers=headers) as answer:
            assert answer.status == 200, await answer.text()
            assert isinstance(await answer.json(), dict | list)
    process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.wait(), 10)
    assert process.returncode == 0


def token_args(url: str, *extra: str) -> list[str]:
    return ["token", "--base-url", url, "--email", "cli@example.com", *extra]


async def test_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version

    import frontegg_async

    code, out, err = await run("--version")
    assert code == 0, err
    assert out.strip() == f"frontegg-async {version('frontegg-async')}"
    assert frontegg_async.__version__ == version("frontegg-async")


async def test_token_prints_a_fresh_jwt(fake_url: str) -> None:
    code, out, err = await run(*token_args(fake_url), env={"FRONTEGG_PASSWORD": PASSWORD})
    assert code == 0, err
    assert out.count(".") == 2
    assert PASSWORD not in out + err


async def test_errors_are_one_line_and_nonzero(fake_url: str) -> None:
    refused, no_password, plain_http = await asyncio.gather(
        run(*token_args(fake_url), env={"FRONTEGG_PASSWORD": "wrong"}),
        run(*token_args(fake_url), env={"FRONTEGG_PASSWORD": ""}),
        run(*token_args("http://example.com/identity"), env={"FRONTEGG_PASSWORD": "x"}),
    )
    code, _out, err = refused
    assert code == 1
    assert err.startswith("frontegg-async: login was refused (HTTP 401)")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    code, _, err = no_password
    assert code == 2
    assert "FRONTEGG_PASSWORD" in err
    code, _, err = plain_http
    assert code == 2
    assert "plain http" in err


async def test_exec_passes_a_token_and_the_commands_status(
    fake_url: str, tmp_path: pathlib.Path
) -> None:
    script = (
        "import os, sys; t = os.environ['FRONTEGG_ACCESS_TOKEN']; "
        "sys.exit(3 if t.count('.') == 2 and 'FRONTEGG_PASSWORD' not in os.environ else 9)"
    )
    code, _, err = await run(
        *token_args(fake_url, "--exec", "--", sys.executable, "-c", script),
        env={"FRONTEGG_PASSWORD": PASSWORD},
    )
    assert code == 3, err


async def test_watch_keeps_the_file_fresh_until_interrupted(
    fake_url: str, tmp_path: pathlib.Path
) -> None:
    out_file = tmp_path / "token"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "frontegg_async",
        *token_args(fake_url, "--watch", "--out", str(out_file)),
        env={**os.environ, "FRONTEGG_PASSWORD": PASSWORD},
        stderr=asyncio.subprocess.PIPE,
    )
    seen: set[str] = set()
    for _ in range(60):  # tokens live 1 s: several renewals in 3 s
        await asyncio.sleep(0.05)
        if out_file.exists():
            seen.add(out_file.read_text())
        if len(seen) >= 3:
            break
    assert len(seen) >= 3
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.wait(), 10)
    assert process.returncode == 0


async def test_help_documents_exit_codes() -> None:
    (code, out, _), (_, token_help, _) = await asyncio.gather(run("--help"), run("token", "--help"))
    assert code == 0
    assert "Exit codes" in out
    assert "--exec" in token_help
    assert "never from the command line" in token_help


async def test_verify_checks_a_token_from_stdin() -> None:
    import json

    async with FakeFrontegg(token_lifetime=600) as fake:
        fake.add_user("cli@example.com", PASSWORD)
        code, token, _ = await run(
            "token",
            "--base-url",
            str(fake.identity_url),
            "--email",
            "cli@example.com",
            env={"FRONTEGG_PASSWORD": PASSWORD},
        )
        token = token.strip()
        domain = ("--domain", str(fake.url), "--audience", fake.client_id)
        code, out, err = await run("verify", *domain, given=f"Bearer {token}\n")
        assert (code, err) == (0, "")
        claims = json.loads(out)
        assert claims["email"] == "cli@example.com"
        assert claims["type"] == "userToken"
        head, payload, signature = token.split(".")
        forged = f"{head}.{payload}.{signature[:-6]}AAAAAA"
        code, out, err = await run("verify", *domain, given=forged)
        assert code == 1
        assert out == ""
        assert err.count("\n") == 1
        assert "the token was refused: its signature" in err
        assert signature[:-6] not in err
        code, _, err = await run(
            "verify", *domain, "--permission", "fe.secure.delete.all", given=token
        )
        assert code == 1
        assert "lacks the permissions fe.secure.delete.all" in err
        code, _, err = await run("verify", *domain, given="")
        assert code == 2
        assert "on stdin" in err
