"""``RedisStore``: a token set in Redis, shared by a fleet of machines."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import Any, Protocol, TypeVar

from .._errors import ConfigurationError, StoreError
from .base import DEFAULT_STORE_TIMEOUT, check_timeout
from .codec import STORED_FOR

logger = logging.getLogger("frontegg_async")

T = TypeVar("T")


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
        self._timeout = check_timeout(timeout)

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
