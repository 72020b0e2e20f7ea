"""``FileStore``: a token set in a JSON file, shared by the processes of one machine."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, TypeVar

from .._errors import StoreError
from .base import DEFAULT_STORE_TIMEOUT, check_timeout
from .codec import STORED_FOR
from .files import write_private

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("frontegg_async")

T = TypeVar("T")

#: A stored set is a few hundred bytes; a store file beyond this is not one of ours.
MAX_STORE_FILE = 1 << 20


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
        # "~/.config/..." means the user's home, as it would in a shell.
        self._path = os.path.expanduser(os.fspath(path))
        if os.path.isdir(self._path):
            raise StoreError(
                f"the token store {self._path} is a directory; give the path of a file "
                "(it is created at the first save)",
                retryable=False,
            )
        self._lock_path = self._path + ".lock"
        self._timeout = check_timeout(timeout)

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
