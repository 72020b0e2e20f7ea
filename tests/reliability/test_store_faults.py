"""Token stores that fail, lie, race and disagree about the time: the session keeps its promises.

Real ``FileStore`` files on disk; faults that no file can be made to show (a lease call that
fails once, a full disk) come from a wrapper that implements the public ``TokenStore`` protocol
over a real ``FileStore``. Time moves by ``JumpingClock`` jumps, shared with the fake.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pathlib
import sys
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from frontegg_async import (
    FileStore,
    FronteggSession,
    SessionExpiredError,
    SessionState,
    StoreError,
)
from frontegg_async.testing import FakeFrontegg, JumpingClock

from ..conftest import EMAIL, PASSWORD, SessionFactory, exp_of, wait_for

LIFETIME = 60.0


class FaultyStore:
    """A real ``FileStore`` whose next calls can be made to fail, as Redis or a disk fails."""

    shared = True

    def __init__(self, path: pathlib.Path) -> None:
        self.inner = FileStore(path)
        self.fail_lease = self.fail_load = self.fail_save = 0

    async def load(self) -> Mapping[str, Any] | None:
        if self.fail_load:
            self.fail_load -= 1
            raise StoreError("could not read the store (ConnectionError)")
        return await self.inner.load()

    async def save(self, state: Mapping[str, Any]) -> None:
        if self.fail_save:
            self.fail_save -= 1
            raise StoreError("could not write the token store (No space left on device)")
        await self.inner.save(state)

    async def delete(self) -> None:
        await self.inner.delete()

    @contextlib.asynccontextmanager
    async def lease(self, wait: float) -> AsyncIterator[bool]:
        if self.fail_lease:
            self.fail_lease -= 1
            raise StoreError("could not take the lease in Redis (ConnectionError)")
        async with self.inner.lease(wait) as held:
            yield held


@pytest.fixture
def path(tmp_path: pathlib.Path) -> pathlib.Path:
    return tmp_path / "tokens.json"


def stored(path: pathlib.Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def renewed_from(session: FronteggSession, token: str) -> bool:
    """Whether the session holds a set other than the one of ``token``."""
    return session.auth is not None and session.auth.access_token != token


def holds(path: pathlib.Path, token: str) -> bool:
    try:
        return stored(path)["accessToken"] == token
    except (OSError, ValueError):
        return False


# -- a store fault is transient, never fatal (r01, r15, r16) ------------------------------------


@pytest.mark.parametrize("fault", ["fail_lease", "fail_load"])
async def test_a_store_that_fails_at_the_due_renewal_does_not_end_the_session(
    fake: FakeFrontegg,
    make_session: SessionFactory,
    clock: JumpingClock,
    path: pathlib.Path,
    fault: str,
) -> None:
    store = FaultyStore(path)
    session = make_session(store=store)
    await session.login()
    first = await session.access_token()
    setattr(store, fault, 3)  # down for three calls at the due renewal, then healthy again
    clock.jump(0.85 * LIFETIME)
    await wait_for(lambda: renewed_from(session, first))
    token = await session.access_token()
    assert token != first
    assert session.state is SessionState.AUTHENTICATED
    assert stored(path)["accessToken"] == token  # written once the store answered
    assert isinstance(session.last_error, StoreError)


async def test_the_token_is_handed_out_while_the_store_is_down_and_renewed_when_it_is_back(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock, path: pathlib.Path
) -> None:
    store = FaultyStore(path)
    session = make_session(store=store)
    first = (await session.login()).access_token
    store.fail_lease = 10**6  # Redis is down, for good it seems
    clock.jump(0.85 * LIFETIME)  # due, not lapsed: renewals fail in the background
    for _ in range(20):
        assert await session.access_token() == first
        await asyncio.sleep(0.01)
    assert session.state is SessionState.DEGRADED
    clock.jump(0.15 * LIFETIME)  # lapsed while the store is down: a transient error at once
    with pytest.raises(StoreError) as caught:
        await session.access_token()
    assert caught.value.retryable
    store.fail_lease = 0  # back
    token = await session.access_token()
    assert exp_of(fake, token) > clock.time() + 0.9 * LIFETIME
    assert fake.calls["login"] == 1
    assert fake.reused_refresh_tokens == 0


@pytest.mark.parametrize("damage", [b"", b'{"version": 2, "accessTo', b"\x00\xff garbage \x01"])
async def test_a_store_file_damaged_mid_run_is_rewritten(
    fake: FakeFrontegg,
    make_session: SessionFactory,
    clock: JumpingClock,
    path: pathlib.Path,
    damage: bytes,
) -> None:
    session = make_session(store=FileStore(path))
    first = (await session.login()).access_token
    path.write_bytes(damage)  # a tool, a full disk, a truncated copy
    clock.jump(0.85 * LIFETIME)
    await wait_for(lambda: renewed_from(session, first))
    second = await session.access_token()
    assert holds(path, second)
    path.unlink()  # and even once the file is gone
    clock.jump(0.85 * LIFETIME)
    await wait_for(lambda: renewed_from(session, second))
    assert holds(path, await session.access_token())
    assert session.state is SessionState.AUTHENTICATED


async def test_a_store_file_that_cannot_be_read_is_ridden_out(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock, path: pathlib.Path
) -> None:
    session = make_session(store=FileStore(path))
    first = (await session.login()).access_token
    path.unlink()
    path.mkdir()  # every read now fails (EISDIR), as EACCES or EIO would
    clock.jump(0.85 * LIFETIME)
    assert await session.access_token() == first  # still valid: handed out
    await wait_for(lambda: isinstance(session.last_error, StoreError))
    assert fake.calls["refresh"] == 0  # no renewal without the store that says what is newest
    path.rmdir()
    clock.jump(0.01)
    await wait_for(lambda: renewed_from(session, first), timeout=10)
    assert holds(path, await session.access_token())


async def test_new_tokens_are_never_dropped_when_saving_them_fails(
    fake: FakeFrontegg, make_session: SessionFactory, path: pathlib.Path
) -> None:
    store = FaultyStore(path)
    session = make_session(store=store)
    await session.login()
    store.fail_save = 1  # the refresh spends the old refresh token; the disk is full
    renewed = await session.refresh()
    assert await session.access_token() == renewed.access_token  # installed all the same
    await wait_for(lambda: holds(path, renewed.access_token))
    again = await session.refresh()  # and renewal goes on from the new refresh token
    assert again.access_token != renewed.access_token
    assert fake.reused_refresh_tokens == 0
    assert fake.calls["login"] == 1


async def test_a_set_stored_late_never_overwrites_a_newer_one(
    fake: FakeFrontegg, make_session: SessionFactory, path: pathlib.Path
) -> None:
    store = FaultyStore(path)
    holder = make_session(store=store)
    await holder.login()
    store.fail_save = 10**6
    await holder.refresh()  # generation 2, in memory only
    other = make_session(store=FileStore(path))
    await other.login()  # takes up generation 1 from the file ...
    # ... whose refresh token the holder spent: renewing with it is refused, and the other
    # logs in again (generation 2 there too, but another set).
    await other.refresh()
    store.fail_save = 0
    await wait_for(lambda: holder.state is SessionState.AUTHENTICATED)
    await asyncio.sleep(0.2)
    # The store went by the set it has; the holder took it up instead of overwriting it.
    assert holds(path, await other.access_token())
    newest = await other.access_token()
    await wait_for(lambda: holder.auth is not None and holder.auth.access_token == newest)


# -- a lease is never ignored (r03) -------------------------------------------------------------


async def test_a_sharer_that_cannot_get_the_lease_never_renews_with_the_holders_token(
    fake: FakeFrontegg, make_session: SessionFactory, path: pathlib.Path
) -> None:
    holder = make_session(store=FileStore(path), timeout=3.0)  # waits up to 6 s for the lease
    await holder.login()
    impatient = make_session(store=FileStore(path), timeout=0.2)  # 0.4 s
    await impatient.login()
    fake.fail_next("refresh", delay=1.0)  # a slow answer, within the holder's timeout
    renewing = asyncio.create_task(holder.refresh())
    # The holder's refresh has reached the server, so it holds the lease (a fixed sleep was
    # not always enough on a loaded machine).
    await wait_for(lambda: fake.calls["refresh"] == 1)
    token = await impatient.access_token()  # still valid: no wait at all
    with pytest.raises(StoreError) as caught:
        await impatient.refresh()  # the lease is busy past its wait: a transient error ...
    assert caught.value.retryable
    assert "held the lease" in str(caught.value)
    assert await impatient.access_token() == token  # (the valid token all the while)
    await renewing
    # ... and then (its background retry, with the lease free) it takes up what the holder
    # stored, rather than spending the holder's token.
    held = await holder.access_token()
    await wait_for(lambda: impatient.auth is not None and impatient.auth.access_token == held)
    assert fake.calls["refresh"] == 1
    assert fake.reused_refresh_tokens == 0
    # Renewing from there spends the refresh token it took up, once, and the store has the result.
    renewed = await impatient.refresh()
    assert renewed.access_token not in (token, held)
    assert fake.calls["refresh"] == 2
    assert fake.reused_refresh_tokens == 0
    assert holds(path, renewed.access_token)


# -- "newer" is decided by generation, not by clocks (r02, r04, r17) ---------------------------


async def test_a_sharer_suspended_past_the_newest_token_renews_with_its_refresh_token(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock, path: pathlib.Path
) -> None:
    a = make_session(store=FileStore(path))
    await a.login()
    b = make_session(store=FileStore(path))
    await b.__aenter__()
    await b.refresh()  # B spends RT1 and stores RT2 (generation 2) ...
    await b.aclose()
    clock.jump(1.5 * LIFETIME)  # ... and A sleeps past the life of RT2's access token
    token = await a.access_token()
    assert exp_of(fake, token) > clock.time()
    assert fake.reused_refresh_tokens == 0
    assert fake.calls["login"] == 1
    assert fake.calls["refresh"] == 2
    assert stored(path)["generation"] == 3


class Skewed:
    """Another machine's wall clock: real time plus an offset."""

    def __init__(self, offset: float) -> None:
        self.offset = offset

    def time(self) -> float:
        return time.time() + self.offset

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def test_sharers_whose_clocks_differ_by_a_minute_hand_out_no_expired_token(
    path: pathlib.Path,
) -> None:
    lifetime = 1.0
    async with FakeFrontegg(token_lifetime=lifetime) as fake:
        fake.add_user(EMAIL, PASSWORD)
        sessions = [
            FronteggSession(
                fake.identity_url,
                email=EMAIL,
                password=PASSWORD,
                store=FileStore(path),
                clock=Skewed(offset),
                timeout=1.0,
            )
            for offset in (-60.0, 0.0, 60.0, -5.0, 5.0)
        ]
        expired = calls = 0
        end = time.monotonic() + 3 * lifetime

        async def ask(session: FronteggSession) -> None:
            nonlocal expired, calls
            while time.monotonic() < end:
                token = await session.access_token()
                calls += 1
                expired += exp_of(fake, token) <= time.time()
                await asyncio.sleep(0.01)

        try:
            await asyncio.gather(*(ask(s) for s in sessions for _ in range(5)))
        finally:
            for session in sessions:
                await session.aclose()
        assert calls > 500
        assert expired == 0
        assert fake.reused_refresh_tokens == 0
        assert fake.calls["login"] == 1


async def test_a_stored_obtained_at_in_the_future_is_not_believed(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock, path: pathlib.Path
) -> None:
    async with make_session(store=FileStore(path)):
        pass
    state = stored(path)
    state["obtainedAt"] += 3600  # written by a clock an hour ahead, or set back since
    path.write_text(json.dumps(state))
    async with make_session(store=FileStore(path)) as later:
        assert await later.access_token() == state["accessToken"]  # fresh: taken up
        clock.jump(LIFETIME + 1)
        token = await later.access_token()
        assert exp_of(fake, token) > clock.time()  # never past its real expiry
    assert fake.reused_refresh_tokens == 0


async def test_a_stored_set_is_never_trusted_past_its_jwt_exp(
    fake: FakeFrontegg, make_session: SessionFactory, clock: JumpingClock, path: pathlib.Path
) -> None:
    async with make_session(store=FileStore(path)):
        pass
    state = stored(path)
    state["lifetime"] = 10 * LIFETIME  # a store edited, or a writer that misread expiresIn
    path.write_text(json.dumps(state))
    clock.jump(LIFETIME + 1)  # past the JWT's exp
    async with make_session(store=FileStore(path)) as later:
        token = await later.access_token()
        assert token != state["accessToken"]
        assert exp_of(fake, token) > clock.time()
    assert fake.calls["refresh"] == 1


# -- a store is bound to one identity (r05) -----------------------------------------------------


async def test_a_store_of_another_identity_is_neither_taken_up_nor_overwritten(
    path: pathlib.Path,
) -> None:
    async with FakeFrontegg() as prod, FakeFrontegg() as staging:
        for server in (prod, staging):
            server.add_user("alice@x.io", "alice-password")
            server.add_user("bob@x.io", "bob-password")
        async with FronteggSession(
            prod.identity_url, email="alice@x.io", password="alice-password", store=FileStore(path)
        ):
            pass
        written = path.read_bytes()
        for server, email, password in (
            (prod, "bob@x.io", "bob-password"),  # another user
            (staging, "alice@x.io", "alice-password"),  # the same user of another environment
        ):
            session = FronteggSession(
                server.identity_url, email=email, password=password, store=FileStore(path)
            )
            with pytest.raises(StoreError) as caught:
                await session.__aenter__()
            message = str(caught.value)
            assert f"user alice@x.io at {prod.identity_url}" in message
            assert f"not of user {email} at {server.identity_url}" in message
            assert not caught.value.retryable
            await session.aclose()
            assert path.read_bytes() == written
        assert prod.calls["login"] == 1
        assert staging.calls["login"] == 0
        assert all(r.endpoint != "me" for r in staging.requests)


# -- logout() ends the identity for every sharer (r06) ------------------------------------------


@pytest.mark.parametrize("relogin", [False, True])
async def test_logout_by_a_stale_sharer_revokes_the_newest_set(
    fake: FakeFrontegg, make_session: SessionFactory, path: pathlib.Path, relogin: bool
) -> None:
    a = make_session(store=FileStore(path))
    await a.login()
    b = make_session(store=FileStore(path), relogin=relogin)
    await b.__aenter__()
    await b.refresh()  # the newest set is B's; A holds a spent one
    await a.logout()
    assert not path.exists()
    if relogin:
        await b.refresh()  # refused, then a login with the credentials, as relogin says
        assert fake.calls["login"] == 2
    else:
        with pytest.raises(SessionExpiredError):
            await b.refresh()
    assert fake.reused_refresh_tokens == 0


# -- a restart renews, it does not log in (r22) -------------------------------------------------


@pytest.mark.parametrize("entry", ["access_token", "login", "async with"])
async def test_a_restart_renews_a_lapsed_stored_set_on_every_entry_point(
    fake: FakeFrontegg,
    make_session: SessionFactory,
    clock: JumpingClock,
    path: pathlib.Path,
    entry: str,
) -> None:
    first = make_session(store=FileStore(path))
    await first.login()
    await first.aclose()
    clock.jump(LIFETIME + 1)
    restarted = make_session(store=FileStore(path))
    if entry == "access_token":
        token = await restarted.access_token()
    elif entry == "login":
        token = (await restarted.login()).access_token
    else:
        async with restarted:
            token = await restarted.access_token()
    assert exp_of(fake, token) > clock.time()
    assert (fake.calls["login"], fake.calls["refresh"]) == (1, 1)


async def test_the_cli_token_store_renews_a_lapsed_set(path: pathlib.Path) -> None:
    async with FakeFrontegg(token_lifetime=1) as fake:
        fake.add_user(EMAIL, PASSWORD)

        async def token() -> str:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "frontegg_async",
                "token",
                "--base-url",
                str(fake.identity_url),
                "--email",
                EMAIL,
                "--store",
                str(path),
                env={**os.environ, "FRONTEGG_PASSWORD": PASSWORD},
                stdout=asyncio.subprocess.PIPE,
            )
            out, _ = await process.communicate()
            assert process.returncode == 0
            return out.decode().strip()

        await token()
        await asyncio.sleep(1.1)  # the stored access token lapses
        renewed = await token()
        assert exp_of(fake, renewed) > time.time()
        assert (fake.calls["login"], fake.calls["refresh"]) == (1, 1)


# -- no secret left behind on disk (r23, n_store_content) ---------------------------------------


async def test_a_stored_set_holds_only_what_renewal_needs(
    fake: FakeFrontegg, make_session: SessionFactory, path: pathlib.Path
) -> None:
    async with make_session(store=FileStore(path)) as session:
        token = await session.access_token()
        auth = session.auth
    assert auth is not None
    state = stored(path)
    assert set(state) == {
        "version",
        "identity",
        "generation",
        "accessToken",
        "refreshToken",
        "cookie",
        "obtainedAt",
        "ageAtSave",
        "lifetime",
        "answerType",
    }
    assert state["identity"] == {
        "kind": "user",
        "url": str(fake.identity_url),
        "subject": EMAIL,
        "vendorHost": "127.0.0.1",
    }
    assert state["accessToken"] == token
    assert state["refreshToken"] is None  # it travels in the cookie: stored once
    assert path.read_text().count(auth.refresh_token) == 1
    assert PASSWORD not in path.read_text()


WRITER = """
import asyncio, sys
from frontegg_async import FileStore
async def main():
    store = FileStore(sys.argv[1])
    print("writing", flush=True)
    while True:
        await store.save({"version": 2, "accessToken": "canary-killed-writer", "pad": "x" * 2**21})
asyncio.run(main())
"""


async def test_a_writer_killed_mid_save_leaves_no_token_behind(tmp_path: pathlib.Path) -> None:
    # The file has no name while it is written: a kill then leaves nothing. Only a kill in the
    # two system calls between naming it and renaming it could leave a stray; the next write
    # removes it, which the end of this test shows.
    async def kill_a_writer_after(pause: float) -> list[str]:
        folder = tmp_path / f"after-{pause}"
        folder.mkdir()
        writer = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            WRITER,
            str(folder / "tokens.json"),
            stdout=asyncio.subprocess.PIPE,
        )
        assert writer.stdout is not None
        assert (await writer.stdout.readline()).strip() == b"writing"
        await asyncio.sleep(pause)
        writer.kill()
        await writer.wait()
        return sorted(p.name for p in folder.iterdir())

    pauses = (0.05, 0.13, 0.21, 0.34, 0.55)
    for left in await asyncio.gather(*(kill_a_writer_after(pause) for pause in pauses)):
        assert left in ([], ["tokens.json"]), left
    path = tmp_path / "tokens.json"
    # A stray of a writer that died between naming its file and renaming it is swept.
    stray = tmp_path / ".frontegg-tokens.json.999999999.0123abcd.tmp"
    stray.write_text("canary-stray-token")
    await FileStore(path).save({"version": 2})
    assert not stray.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["tokens.json"]
