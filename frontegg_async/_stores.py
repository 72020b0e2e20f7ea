"""Where a session keeps its token set, and how sessions that share one take turns renewing it.

A store holds one JSON-ready mapping (the token set) and offers a *lease*: "I am renewing".
The engine renews only while holding the lease, and looks in the store first: another holder
may have renewed already, and its tokens are adopted instead of renewing again. So sessions in
several processes that share a store make one renewal between them, and a rotating refresh
token is never sent by two of them.

- ``MemoryStore``: this session alone (the default); the lease is always granted at once.
- ``FileStore``: a JSON file (written atomically, mode 0600) with an advisory lock beside it,
  shared by the processes of one machine and kept across restarts.
- ``RedisStore``: a key in Redis with a ``SET NX PX`` lease, shared by a fleet of machines.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, Protocol

from ._errors import FronteggError
from ._models import ANSWER_TYPES, structure, unstructure
from ._secrets import Secret
from ._tokens import TokenSet
from ._transport import RefreshCookie

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]


class StoreError(FronteggError):
    """A token store could not be read or written (a file, a server): see the message."""


class TokenStore(Protocol):
    """What a session needs from a store. ``shared`` says whether other sessions may use it."""

    @property
    def shared(self) -> bool:
        """Whether other sessions (in this process or others) may share this store."""
        ...

    async def load(self) -> Mapping[str, Any] | None:
        """The stored token set, or None."""
        ...

    async def save(self, state: Mapping[str, Any]) -> None:
        """Replace the stored token set."""
        ...

    async def delete(self) -> None:
        """Forget the stored token set."""
        ...

    def lease(self, wait: float) -> contextlib.AbstractAsyncContextManager[bool]:
        """Hold the right to renew for the block; yields False if not had within ``wait`` s."""
        ...


class MemoryStore:
    """Keeps the token set in this process, for one session: the default."""

    shared = False

    def __init__(self) -> None:
        self._state: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"MemoryStore({'empty' if self._state is None else 'holding a token set'})"

    async def load(self) -> Mapping[str, Any] | None:
        """The stored token set, or None."""
        return self._state

    async def save(self, state: Mapping[str, Any]) -> None:
        """Replace the stored token set."""
        self._state = dict(state)

    async def delete(self) -> None:
        """Forget the stored token set."""
        self._state = None

    @contextlib.asynccontextmanager
    async def lease(self, wait: float) -> AsyncIterator[bool]:
        """Always granted: the session's own single flight already makes renewals one at a time."""
        yield True


class FileStore:
    """A token set in a JSON file, shared by the processes of one machine, kept across restarts.

    The file is replaced atomically (a temporary file renamed over it) and is readable by its
    owner only (mode 0600): it holds the tokens. The lease is an advisory lock (``flock``) on
    ``<path>.lock``; the kernel releases it when its holder dies, so a crash mid-renewal never
    blocks the others. POSIX only.
    """

    shared = True

    def __init__(self, path: str | os.PathLike[str]) -> None:
        if fcntl is None:  # pragma: no cover
            raise StoreError("FileStore needs POSIX file locks (fcntl); this system has none")
        self._path = os.fspath(path)
        self._lock_path = self._path + ".lock"

    def __repr__(self) -> str:
        return f"FileStore({self._path!r})"

    @property
    def path(self) -> str:
        """The JSON file."""
        return self._path

    async def load(self) -> Mapping[str, Any] | None:
        """The stored token set, or None when there is no file (or it is not one of ours)."""
        return await asyncio.to_thread(self._read)

    async def save(self, state: Mapping[str, Any]) -> None:
        """Write the token set atomically, owner-readable only."""
        await asyncio.to_thread(self._write, dict(state))

    def _read(self) -> Mapping[str, Any] | None:
        try:
            with open(self._path, encoding="utf-8") as file:
                data = json.load(file)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise StoreError(
                f"could not read the token store {self._path} ({type(error).__name__}); "
                "delete it to start afresh"
            ) from None
        return data if isinstance(data, dict) else None

    def _write(self, state: Mapping[str, Any]) -> None:
        directory = os.path.dirname(os.path.abspath(self._path))
        try:
            handle, temporary = tempfile.mkstemp(dir=directory, prefix=".frontegg-", suffix=".tmp")
            try:
                os.fchmod(handle, 0o600)
                with os.fdopen(handle, "w", encoding="utf-8") as file:
                    json.dump(state, file)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temporary, self._path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError as error:
            raise StoreError(
                f"could not write the token store {self._path} ({error.strerror})"
            ) from None

    async def delete(self) -> None:
        """Remove the file."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path)

    @contextlib.asynccontextmanager
    async def lease(self, wait: float) -> AsyncIterator[bool]:
        """Hold the lock file for the block; yields False if another held it past ``wait`` s."""
        assert fcntl is not None
        try:
            descriptor = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise StoreError(
                f"could not open the lock {self._lock_path} ({error.strerror})"
            ) from None
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + wait
            held = False
            # Non-blocking tries: a thread blocked in flock could not be cancelled, and would
            # take the lock after its waiter had gone.
            while True:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as error:
                    if error.errno not in (errno.EAGAIN, errno.EACCES):
                        raise StoreError(
                            f"could not lock {self._lock_path} ({error.strerror})"
                        ) from None
                    if loop.time() >= deadline:
                        break
                    await asyncio.sleep(0.01)
                else:
                    held = True
                    break
            try:
                yield held
            finally:
                if held:
                    fcntl.flock(descriptor, fcntl.LOCK_UN)
        finally:
            os.close(descriptor)


#: The layout of a stored token set; a store holding another is ignored (and overwritten).
STATE_VERSION = 1


def encode_tokens(tokens: TokenSet) -> dict[str, Any]:
    """A token set as a JSON-ready mapping (secrets in the clear: it is what a store is for)."""
    answer = tokens.answer
    return {
        "version": STATE_VERSION,
        "accessToken": tokens.access_token.reveal(),
        "refreshToken": None if tokens.refresh_token is None else tokens.refresh_token.reveal(),
        "cookie": None
        if tokens.cookie is None
        else {"name": tokens.cookie.name, "value": tokens.cookie.value.reveal()},
        "obtainedAt": tokens.obtained_at,
        "lifetime": tokens.lifetime,
        "answerType": None if answer is None else type(answer).__name__,
        "answer": None if answer is None else unstructure(answer),
    }


def decode_tokens(state: Mapping[str, Any]) -> TokenSet | None:
    """The token set in a stored mapping, or None when it is not one this version wrote."""
    try:
        if state.get("version") != STATE_VERSION:
            return None
        cookie = state.get("cookie")
        answer_type = ANSWER_TYPES.get(str(state.get("answerType")))
        answer: Any = None
        if answer_type is not None and isinstance(state.get("answer"), dict):
            answer = structure(state["answer"], answer_type, what="the token store")
        refresh_token = state.get("refreshToken")
        return TokenSet(
            access_token=Secret(str(state["accessToken"])),
            refresh_token=None if refresh_token is None else Secret(str(refresh_token)),
            cookie=None
            if not isinstance(cookie, dict)
            else RefreshCookie(name=str(cookie["name"]), value=Secret(str(cookie["value"]))),
            obtained_at=float(state["obtainedAt"]),
            lifetime=float(state["lifetime"]),
            answer=answer,
        )
    except (KeyError, TypeError, ValueError, FronteggError):
        return None


class RedisLike(Protocol):
    """The part of redis-py's asyncio client (``redis.asyncio.Redis``) a ``RedisStore`` uses."""

    async def get(self, name: str) -> Any:
        """GET."""
        ...

    async def set(self, name: str, value: str, *, nx: bool = ..., px: int | None = ...) -> Any:
        """SET, with NX and PX."""
        ...

    async def delete(self, *names: str) -> Any:
        """DEL."""
        ...

    async def eval(self, script: str, numkeys: int, *keys_and_args: str) -> Any:
        """EVAL."""
        ...


# Release the lease only if it is still ours: a holder whose lease expired must not delete the
# lease a successor took since.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


@contextlib.contextmanager
def _redis_errors(doing: str) -> Iterator[None]:
    """Turn whatever the Redis client raises into a ``StoreError`` that says what failed."""
    try:
        yield
    except Exception as error:
        raise StoreError(f"could not {doing} Redis ({type(error).__name__})") from None


class RedisStore:
    """A token set in Redis, shared by every process of a fleet, on every machine.

    ``redis`` is an asyncio client of redis-py (``pip install 'frontegg-async[redis]'``), used
    and never closed here. The token set is a JSON string at ``key``; the lease is
    ``<key>:lease``, taken with ``SET NX PX`` and released only by its owner
    (compare-and-delete), so exactly one process renews at a time, and a holder that dies
    mid-renewal is replaced once ``lease_ttl`` seconds have passed. Waiters poll the lease
    every ``poll`` seconds and then take up the renewed tokens.
    """

    shared = True

    def __init__(
        self, redis: RedisLike, key: str, *, lease_ttl: float = 30.0, poll: float = 0.05
    ) -> None:
        if not key:
            raise ValueError("key must not be empty")
        if not lease_ttl > 0 or not poll > 0:
            raise ValueError("lease_ttl and poll must be positive")
        self._redis = redis
        self._key = key
        self._lease_key = key + ":lease"
        self._lease_ms = max(1, int(lease_ttl * 1000))
        self._poll = poll

    def __repr__(self) -> str:
        return f"RedisStore(key={self._key!r})"

    async def load(self) -> Mapping[str, Any] | None:
        """The stored token set, or None."""
        with _redis_errors(f"read {self._key} from"):
            raw = await self._redis.get(self._key)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    async def save(self, state: Mapping[str, Any]) -> None:
        """Replace the stored token set."""
        with _redis_errors(f"write {self._key} to"):
            await self._redis.set(self._key, json.dumps(state))

    async def delete(self) -> None:
        """Forget the stored token set."""
        with _redis_errors(f"delete {self._key} in"):
            await self._redis.delete(self._key)

    @contextlib.asynccontextmanager
    async def lease(self, wait: float) -> AsyncIterator[bool]:
        """Hold ``<key>:lease`` for the block; yields False if not had within ``wait`` s."""
        owner = secrets.token_hex(16)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        held = False
        with _redis_errors(f"take the lease {self._lease_key} in"):
            while True:
                if await self._redis.set(self._lease_key, owner, nx=True, px=self._lease_ms):
                    held = True
                    break
                if loop.time() >= deadline:
                    break
                await asyncio.sleep(self._poll)
        try:
            yield held
        finally:
            if held:
                with contextlib.suppress(Exception):
                    await self._redis.eval(_RELEASE, 1, self._lease_key, owner)
