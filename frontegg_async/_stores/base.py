"""What a session needs from a store, and the store of a session alone (in memory)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol

from .._errors import ConfigurationError

#: Seconds a store call may take by default before it counts as failed.
DEFAULT_STORE_TIMEOUT = 3.0


def check_timeout(timeout: float) -> float:
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
