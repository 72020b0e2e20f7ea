"""Token stores: persistence across restarts and sessions that share one identity."""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import stat

import pytest

from frontegg_async import (
    EventKind,
    FileStore,
    FronteggSession,
    MemoryStore,
    StoreError,
)
from frontegg_async.testing import FakeFrontegg, JumpingClock

from ..conftest import EMAIL, PASSWORD, SessionFactory


@pytest.fixture
def store_path(tmp_path: pathlib.Path) -> pathlib.Path:
    return tmp_path / "frontegg-tokens.json"


async def test_file_store_round_trip_is_owner_only_and_atomic(store_path: pathlib.Path) -> None:
    store = FileStore(store_path)
    assert await store.load() is None
    await store.save({"version": 1, "accessToken": "canary-stored-token"})
    loaded = dict(await store.load() or {})
    assert 0 <= loaded.pop("storedFor") < 5  # the file's age, by this machine's clock
    assert loaded == {"version": 1, "accessToken": "canary-stored-token"}
    assert stat.S_IMODE(os.stat(store_path).st_mode) == 0o600
    assert sorted(p.name for p in store_path.parent.iterdir()) == [store_path.name]
    assert "canary-stored-token" not in repr(store)
    await store.delete()
    assert await store.load() is None
    await store.delete()  # deleting nothing is fine


@pytest.mark.parametrize("content", [b"", b"{not json", b"\x00\xff\xfe garbage", b"[1, 2]"])
async def test_a_store_file_that_holds_no_token_set_is_empty_and_replaced(
    store_path: pathlib.Path, content: bytes
) -> None:
    store_path.write_bytes(content)
    store = FileStore(store_path)
    assert await store.load() is None
    await store.save({"version": 2})
    assert json.loads(store_path.read_text()) == {"version": 2}


async def test_a_store_file_that_cannot_be_read_is_a_transient_store_error(
    store_path: pathlib.Path,
) -> None:
    store = FileStore(store_path)
    store_path.mkdir()  # became unreadable after the session was made: EISDIR, like EACCES
    with pytest.raises(StoreError, match=str(store_path)) as caught:
        await store.load()
    assert caught.value.retryable


def test_a_store_path_that_is_a_directory_is_refused_at_once(tmp_path: pathlib.Path) -> None:
    with pytest.raises(StoreError, match=f"{tmp_path} is a directory") as caught:
        FileStore(tmp_path)
    assert not caught.value.retryable


async def test_a_path_under_the_home_directory_is_read_as_a_shell_would(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    store = FileStore("~/identity.json")
    await store.save({"version": 1})
    assert (tmp_path / "identity.json").is_file()
    assert not pathlib.Path("~").exists()


async def test_lease_is_exclusive_and_times_out(store_path: pathlib.Path) -> None:
    first, second = FileStore(store_path), FileStore(store_path)
    async with first.lease(1.0) as held:
        assert held
        async with second.lease(0.1) as also:
            assert not also
    async with second.lease(0.1) as held_after:
        assert held_after


async def test_memory_store_is_private(fake: FakeFrontegg, make_session: SessionFactory) -> None:
    store = MemoryStore()
    assert not store.shared
    async with make_session(store=store) as session:
        assert await session.access_token()


async def test_a_restart_resumes_without_logging_in(
    fake: FakeFrontegg, make_session: SessionFactory, store_path: pathlib.Path
) -> None:
    async with make_session(store=FileStore(store_path)) as first:
        token = await first.access_token()
        auth = first.auth
    assert fake.calls["logout"] == 0  # a shared store: leaving does not log out
    stored = json.loads(store_path.read_text())
    assert stored["accessToken"] == token
    restarted = make_session(store=FileStore(store_path))
    events = restarted.subscribe()
    async with restarted:
        assert await restarted.access_token() == token
        # Rebuilt from the tokens alone: the store keeps only what renewal needs.
        assert restarted.auth is not None
        assert restarted.auth.access_token == token
        assert auth is not None
        assert restarted.auth.refresh_token == auth.refresh_token
    assert fake.calls["login"] == 1
    kinds = [e.kind async for e in events]
    assert kinds[0] is EventKind.RESUMED


async def test_a_lapsed_store_is_renewed_with_its_refresh_token(
    fake: FakeFrontegg, make_session: SessionFactory, store_path: pathlib.Path, clock: JumpingClock
) -> None:
    async with make_session(store=FileStore(store_path)):
        pass
    clock.jump(3600)  # the access token lapsed while everything was down
    async with make_session(store=FileStore(store_path)) as later:
        assert await later.access_token()
    assert fake.calls["login"] == 1
    assert fake.calls["refresh"] == 1
    fake.revoke_sessions()  # and once the refresh token is dead too, a login it is
    clock.jump(3600)
    async with make_session(store=FileStore(store_path)) as much_later:
        assert await much_later.access_token()
    assert fake.calls["login"] == 2
    assert fake.reused_refresh_tokens == 0


async def test_sessions_sharing_a_store_refresh_once_between_them(
    fake: FakeFrontegg, make_session: SessionFactory, store_path: pathlib.Path, clock: JumpingClock
) -> None:
    # Separate stores on one path behave like separate processes: one lock, one file.
    sessions = [make_session(store=FileStore(store_path)) for _ in range(4)]
    for session in sessions:
        await session.__aenter__()
    assert fake.calls["login"] == 1  # the first logged in; the others resumed
    for _ in range(3):
        clock.jump(59)  # everyone's token is past its usable window at once
        tokens = await asyncio.gather(*(s.access_token() for s in sessions for _ in range(25)))
        assert len(set(tokens)) == 1
    assert fake.calls["refresh"] == 3
    assert fake.reused_refresh_tokens == 0
    for session in sessions:
        await session.__aexit__(None, None, None)


async def test_logout_ends_it_for_every_sharer(
    fake: FakeFrontegg, make_session: SessionFactory, store_path: pathlib.Path
) -> None:
    session = make_session(store=FileStore(store_path))
    await session.login()
    assert store_path.exists()
    await session.logout()
    assert not store_path.exists()
    assert fake.calls["logout"] == 1


async def test_a_store_from_another_version_is_ignored(
    fake: FakeFrontegg, make_session: SessionFactory, store_path: pathlib.Path
) -> None:
    store_path.write_text(json.dumps({"version": 99, "accessToken": "x"}))
    async with make_session(store=FileStore(store_path)) as session:
        assert await session.access_token() != "x"
    assert json.loads(store_path.read_text())["version"] == 2


async def test_machine_sessions_share_a_store_too(
    fake: FakeFrontegg, store_path: pathlib.Path
) -> None:
    from frontegg_async import ApiTokenSession

    fake.add_api_token("m2m", "m2m-secret")
    async with ApiTokenSession(
        fake.identity_url, client_id="m2m", secret="m2m-secret", store=FileStore(store_path)
    ) as first:
        token = await first.access_token()
    async with ApiTokenSession(
        fake.identity_url, client_id="m2m", secret="m2m-secret", store=FileStore(store_path)
    ) as second:
        assert await second.access_token() == token
    assert fake.calls["api_token"] == 1


def test_password_never_stored(store_path: pathlib.Path) -> None:
    async def run() -> None:
        async with FakeFrontegg() as server:
            server.add_user(EMAIL, PASSWORD)
            async with FronteggSession(
                server.identity_url, email=EMAIL, password=PASSWORD, store=FileStore(store_path)
            ):
                pass

    asyncio.run(run())
    assert PASSWORD not in store_path.read_text()
