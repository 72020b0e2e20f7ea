"""Where a session keeps its token set, and how sessions that share one take turns renewing it.

A store holds one JSON-ready mapping (the token set; its layout is ``_codec``'s) and offers a
*lease*: "I am renewing". The engine renews only while holding the lease, and looks in the
store first: another holder may have renewed already, and its tokens are adopted instead of
renewing again. So sessions in several processes that share a store make one renewal between
them, and a rotating refresh token is never sent by two of them.

- ``MemoryStore``: this session alone (the default); the lease is always granted at once.
- ``FileStore``: a JSON file (written atomically, mode 0600) with an advisory lock beside it,
  shared by the processes of one machine and kept across restarts.
- ``RedisStore``: a key in Redis with a ``SET NX PX`` lease, shared by a fleet of machines.

Every call a store makes is bounded (``timeout``): a hung Redis or file system becomes a
transient ``StoreError`` within it, which the session rides out on the token it holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar

from ._codec import STORED_FOR
from ._errors import ConfigurationError, StoreError
from ._files import write_private

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("frontegg_async")

T = TypeVar("T")

#: Seconds a store call may take by default before it counts as failed.
DEFAULT_STORE_TIMEOUT = 3.0
#: A stored set is a few hundred bytes; a store file beyond this is not one of ours.
MAX_STORE_FILE = 1 << 20


def _check_timeout(timeout: float) -> float:
    if not timeout > 0:
        raise ConfigurationError(f"timeout must be positive, not {timeout!r}")
    return timeout


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
        """Hold the right to renew for the block; yields False if not had within ``wait`` s.

        ``wait`` is also the session's bound on one renewal: a lease that can outlive a holder
        that died should lapse within about half of it.
        """
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
    owner only (mode 0600): it holds the tokens. A writer killed mid-write leaves no copy of
    them behind. The lease is an advisory lock (``flock``) on ``<path>.lock``; the kernel
    releases it when its holder dies, so a crash mid-renewal never blocks the others. A file
    that is empty, truncated or not JSON counts as holding nothing (and is replaced at the next
    save); one that cannot be read at all (EACCES, I/O error) is a transient ``StoreError``.
    Every file system call is bounded by ``timeout`` seconds. POSIX only.
    """

    shared = True

    def __init__(
        self, path: str | os.PathLike[str], *, timeout: float = DEFAULT_STORE_TIMEOUT
    ) -> None:
        if fcntl is None:  # pragma: no cover
            raise StoreError(
                "FileStore needs POSIX file locks (fcntl); this system has none", retryable=False
            )
        self._path = os.fspath(path)
        if os.path.isdir(self._path):
            raise StoreError(
                f"the token store {self._path} is a directory; give the path of a file "
                "(it is created at the first save)",
                retryable=False,
            )
        self._lock_path = self._path + ".lock"
        self._timeout = _check_timeout(timeout)

    def __repr__(self) -> str:
        return f"FileStore({self._path!r})"

    @property
    def path(self) -> str:
        """The JSON file."""
        return self._path

    async def _bounded(self, call: Callable[[], T], doing: str) -> T:
        try:
            return await asyncio.wait_for(asyncio.to_thread(call), self._timeout)
        except TimeoutError:
            raise StoreError(
                f"could not {doing} the token store {self._path}: the file system did not "
                f"answer within {self._timeout:g} s"
            ) from None

    async def load(self) -> Mapping[str, Any] | None:
        """The stored token set, or None when there is no file or none that can be read."""
        return await self._bounded(self._read, "read")

    async def save(self, state: Mapping[str, Any]) -> None:
        """Write the token set atomically, owner-readable only."""
        data = json.dumps(dict(state)).encode()
        await self._bounded(lambda: self._write(data), "write")

    def _read(self) -> Mapping[str, Any] | None:
        try:
            with open(self._path, "rb") as file:
                raw = file.read(MAX_STORE_FILE + 1)
                written = os.fstat(file.fileno()).st_mtime
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StoreError(
                f"could not read the token store {self._path} ({error.strerror}); "
                "the session carries on with the tokens it holds"
            ) from None
        try:
            data = json.loads(raw) if len(raw) <= MAX_STORE_FILE else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            logger.warning(
                "the token store %s holds no token set (empty, truncated or not JSON); "
                "it is replaced at the next save",
                self._path,
            )
            return None
        # The file's age on this machine's clock, whatever clock the session was given.
        data[STORED_FOR] = max(0.0, time.time() - written)
        return data

    def _write(self, data: bytes) -> None:
        try:
            write_private(self._path, data)
        except OSError as error:
            raise StoreError(
                f"could not write the token store {self._path} ({error.strerror}); "
                "the tokens are kept in memory and saved once it can be written"
            ) from None

    async def delete(self) -> None:
        """Remove the file."""

        def unlink() -> None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._path)

        try:
            await self._bounded(unlink, "delete")
        except OSError as error:
            raise StoreError(
                f"could not delete the token store {self._path} ({error.strerror})"
            ) from None

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


class RedisLike(Protocol):
    """The part of redis-py's asyncio client (``redis.asyncio.Redis``) a ``RedisStore`` uses."""

    def set(self, name: str, value: str, *, nx: bool = ..., px: int | None = ...) -> Awaitable[Any]:
        """SET, with NX and PX."""
        ...

    def delete(self, *names: str) -> Awaitable[Any]:
        """DEL."""
        ...

    def eval(self, script: str, numkeys: int, *keys_and_args: str) -> Awaitable[Any]:
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

# Extend the lease while its holder lives, only if it is still ours.
_EXTEND = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""

# The set and when Redis wrote it, by Redis's clock: the one clock every sharer can agree on.
_SAVE = """
local now = redis.call('time')
redis.call('set', KEYS[1], ARGV[1])
redis.call('set', KEYS[2], now[1] .. '.' .. string.format('%06d', tonumber(now[2])))
return 1
"""

_LOAD = """
local value = redis.call('get', KEYS[1])
if not value then
    return false
end
local written = redis.call('get', KEYS[2]) or ''
local now = redis.call('time')
return {value, written, now[1] .. '.' .. string.format('%06d', tonumber(now[2]))}
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisStore:
    """A token set in Redis, shared by every process of a fleet, on every machine.

    ``redis`` is an asyncio client of redis-py (``pip install 'frontegg-async[redis]'``), used
    and never closed here. The token set is a JSON string at ``key`` (and when Redis wrote it at
    ``<key>:at``, by Redis's own clock, so that sharers whose clocks differ agree on its age).
    The lease is ``<key>:lease``, taken with ``SET NX PX`` and released only by its owner
    (compare-and-delete), so exactly one process renews at a time; its value names the holder
    (``host:pid:random``). The holder extends it while
    it lives; one that dies mid-renewal is replaced once ``lease_ttl`` seconds have passed (by
    default half of the session's bound on a renewal, that is about one request timeout).
    Waiters poll the lease every ``poll`` seconds and then take up the renewed tokens. Every
    call to Redis is bounded by ``timeout`` seconds: a Redis that hangs is a transient
    ``StoreError``, never a caller that waits forever.
    """

    shared = True

    def __init__(
        self,
        redis: RedisLike,
        key: str,
        *,
        lease_ttl: float | None = None,
        poll: float = 0.05,
        timeout: float = DEFAULT_STORE_TIMEOUT,
    ) -> None:
        if not key:
            raise ConfigurationError("key must not be empty")
        if (lease_ttl is not None and not lease_ttl > 0) or not poll > 0:
            raise ConfigurationError("lease_ttl and poll must be positive")
        self._redis = redis
        self._key = key
        self._at_key = key + ":at"
        self._lease_key = key + ":lease"
        self._lease_ttl = lease_ttl
        self._poll = poll
        self._timeout = _check_timeout(timeout)

    def __repr__(self) -> str:
        return f"RedisStore(key={self._key!r})"

    async def _call(self, doing: str, call: Awaitable[T]) -> T:
        """Await one Redis call within the timeout; whatever fails is a ``StoreError``."""
        # The client's errors may hold the command (the token set among its arguments): the
        # error raised is built in the handler and raised outside it, with no __context__.
        try:
            async with asyncio.timeout(self._timeout):
                return await call
        except TimeoutError:
            failure = StoreError(f"could not {doing} Redis: no answer within {self._timeout:g} s")
        except Exception as error:
            failure = StoreError(f"could not {doing} Redis ({type(error).__name__})")
        raise failure

    async def load(self) -> Mapping[str, Any] | None:
        """The stored token set, or None."""
        found = await self._call(
            f"read {self._key} from", self._redis.eval(_LOAD, 2, self._key, self._at_key)
        )
        if not found:
            return None
        raw, written, now = (_text(part) for part in found)
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        with contextlib.suppress(ValueError):
            data[STORED_FOR] = max(0.0, float(now) - float(written))
        return data

    async def save(self, state: Mapping[str, Any]) -> None:
        """Replace the stored token set."""
        await self._call(
            f"write {self._key} to",
            self._redis.eval(_SAVE, 2, self._key, self._at_key, json.dumps(dict(state))),
        )

    async def delete(self) -> None:
        """Forget the stored token set."""
        await self._call(f"delete {self._key} in", self._redis.delete(self._key, self._at_key))

    @contextlib.asynccontextmanager
    async def lease(self, wait: float) -> AsyncIterator[bool]:
        """Hold ``<key>:lease`` for the block; yields False if not had within ``wait`` s."""
        # Names its holder, for whoever looks at Redis to see who is renewing.
        owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(8)}"
        ttl = self._lease_ttl if self._lease_ttl is not None else max(wait / 2, 0.05)
        ttl_ms = max(1, int(ttl * 1000))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        held = False
        doing = f"take the lease {self._lease_key} in"
        while True:
            if await self._call(doing, self._redis.set(self._lease_key, owner, nx=True, px=ttl_ms)):
                held = True
                break
            if loop.time() >= deadline:
                break
            await asyncio.sleep(self._poll)
        keeper = None
        if held:
            keeper = loop.create_task(self._keep(owner, ttl, ttl_ms), name="frontegg_async lease")
        try:
            yield held
        finally:
            if keeper is not None:
                keeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await keeper
            if held:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(self._timeout):
                        await self._redis.eval(_RELEASE, 1, self._lease_key, owner)

    async def _keep(self, owner: str, ttl: float, ttl_ms: int) -> None:
        """Extend the lease every third of its life while the holder runs."""
        while True:
            await asyncio.sleep(ttl / 3)
            with contextlib.suppress(Exception):
                async with asyncio.timeout(max(ttl / 3, 0.01)):
                    await self._redis.eval(_EXTEND, 1, self._lease_key, owner, str(ttl_ms))
