"""The engine's side of its token store: this identity's stored set, read and written so that
sharers agree on which set is newest.

Theory of operation
-------------------
Every renewal happens under the store's lease (see ``TokenStore.lease``), after a look at the
store: a sharer may have stored a newer set, of a higher *generation*, which is then taken up
instead (and renewed with its own refresh token if its access token lapsed), so that a
rotating refresh token is never sent by two sharers. A set that renewal produced and the store
could not take (it was down, the disk full) is kept as *unsaved*: the session uses it, and it
is stored once the store answers, unless a sharer stored a newer one meanwhile. A store that
holds another identity's set is never read as ours nor overwritten (``_stores.codec``).

A session without a store (the default) shares nothing: every call here is then a no-op, and
the lease is always granted.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Generic, TypeVar

from attrs import evolve

from ._clock import Clock
from ._core.policy import plan
from ._core.renewal import Start, is_newer, start_from
from ._core.tokens import AnswerT, TokenSet
from ._errors import StoreError
from ._stores import TokenStore
from ._stores.codec import StoreIdentity, decode_tokens, encode_tokens

logger = logging.getLogger("frontegg_async")


How = TypeVar("How")

#: A stored set, with the monotonic time at which it was obtained on this machine's clocks.
Stored = tuple[TokenSet[AnswerT], float]


class SharedStore(Generic[AnswerT]):
    """One session's link to its store: loads, saves, the lease, the generation, the unsaved set."""

    __slots__ = ("_clock", "_generation", "_identity", "_name", "_store", "lease_wait", "unsaved")

    def __init__(
        self,
        store: TokenStore | None,
        identity: StoreIdentity,
        *,
        name: str,
        clock: Clock,
        lease_wait: float,
    ) -> None:
        self._store = store
        self._identity = identity
        self._name = name
        self._clock = clock
        self.lease_wait = lease_wait
        #: A set that renewal produced but the store could not take yet: written once it can.
        self.unsaved: TokenSet[AnswerT] | None = None
        #: The highest generation seen, held or stored; the next set stored is one more.
        self._generation = 0

    @property
    def shared(self) -> bool:
        """Whether other sessions may use the store: renewals then need its lease."""
        return self._store is not None and self._store.shared

    def __repr__(self) -> str:
        return repr(self._store)

    @contextlib.asynccontextmanager
    async def lease(self) -> AsyncIterator[bool]:
        """The store's lease when it is shared; granted at once otherwise."""
        if self._store is None or not self._store.shared:
            yield True
            return
        async with self._store.lease(self.lease_wait) as held:
            yield held

    @contextlib.asynccontextmanager
    async def held_lease(self, doing: str) -> AsyncIterator[None]:
        """The lease, or a transient ``StoreError`` saying what could not be done without it."""
        async with self.lease() as held:
            if not held:
                raise StoreError(
                    f"{self._name} could not take the lease of {self._store!r} within "
                    f"{self.lease_wait:g} s to {doing}"
                )
            yield

    def seen(self, tokens: TokenSet[AnswerT]) -> None:
        """Note a set held, so that the next one stored is of a later generation."""
        self._generation = max(self._generation, tokens.generation)

    def next_generation(self, tokens: TokenSet[AnswerT]) -> TokenSet[AnswerT]:
        """``tokens``, as the set that follows every set seen so far."""
        return evolve(tokens, generation=self._generation + 1)

    async def load(self) -> Stored[AnswerT] | None:
        """This identity's stored set, usable or not.

        Raises ``StoreError``: transient when the store failed, not retryable when it holds
        another identity's set.
        """
        if self._store is None:
            return None
        state = await self._store.load()
        if state is None:
            return None
        wall, mono = self._clock.time(), self._clock.monotonic()
        tokens = decode_tokens(state, self._identity, now=wall, store=self._store)
        if tokens is None:
            return None
        self.seen(tokens)
        return tokens, mono - (wall - tokens.obtained_at)

    async def renewed(
        self,
        mine: TokenSet[AnswerT] | None,
        renew: Callable[[TokenSet[AnswerT] | None], Awaitable[tuple[TokenSet[AnswerT], How]]],
        *,
        obtaining: bool,
    ) -> tuple[TokenSet[AnswerT], How | None, StoreError | None]:
        """One try at a newer set than ``mine``, under the lease, after a look at the store.

        Returns a newer usable stored set taken up (how: ``None``), or the set ``renew`` made
        from the set to start from (``_core.renewal.start_from``), stored, with the store's
        error if it could not take it (the set is then kept as unsaved). Without the lease,
        nothing is renewed: a transient ``StoreError``.
        """
        async with self.lease() as held:
            try:
                stored = await self.load()
            except StoreError as error:
                if not error.retryable or mine is not None or not held:
                    raise
                # Nothing to hand out and the store is down: a session must still start. A
                # login spends no refresh token of anyone's; its set is stored once it answers.
                logger.warning(
                    "%s: the token store failed (%s); authenticating without it", self._name, error
                )
                stored = None
            start, tokens = start_from(
                mine,
                None if stored is None else stored[0],
                stored_usable=stored is not None and self._usable(stored),
                obtaining=obtaining,
                held=held,
            )
            if start is Start.TAKE_UP:
                assert tokens is not None
                logger.info("%s: took up token %s from the store", self._name, tokens.fingerprint)
                self.unsaved = None
                return tokens, None, None
            if start is Start.WAIT:
                raise StoreError(
                    f"{self._name}: another sharer of {self._store!r} held the lease for "
                    f"{self.lease_wait:g} s and stored no newer token set; retrying"
                )
            fresh, how = await renew(tokens)
            fresh = self.next_generation(fresh)
            return fresh, how, await self.save(fresh)

    def _usable(self, stored: Stored[AnswerT]) -> bool:
        tokens, obtained_mono = stored
        candidate = plan(tokens.obtained_at, obtained_mono, tokens.lifetime, ratio=1.0, jitter=0.0)
        return candidate.usable(self._clock.time(), self._clock.monotonic())

    async def save(self, tokens: TokenSet[AnswerT]) -> StoreError | None:
        """Store ``tokens``; when the store fails, keep them to store later and return why."""
        if self._store is None:
            return None
        try:
            await self._write(tokens)
        except StoreError as error:
            self.unsaved = tokens
            logger.warning(
                "%s: token %s kept in memory, stored once the store answers: %s",
                self._name,
                tokens.fingerprint,
                error,
            )
            return error
        self.unsaved = None
        return None

    async def _write(self, tokens: TokenSet[AnswerT]) -> None:
        assert self._store is not None
        await self._store.save(encode_tokens(tokens, self._identity, now=self._clock.time()))

    async def store_unsaved(self, current: TokenSet[AnswerT] | None) -> Stored[AnswerT] | None:
        """Write the unsaved set if it is still ``current``; returns a newer stored set to take
        up instead, if a sharer stored one meanwhile. Raises ``StoreError`` if it cannot."""
        pending = self.unsaved
        if pending is None or pending is not current:
            self.unsaved = None
            return None
        async with self.held_lease("store its token set"):
            stored = await self.load()
            if pending is not self.unsaved:
                return None  # a renewal replaced it meanwhile, and stored its own
            self.unsaved = None
            if stored is not None and is_newer(stored[0], pending):
                return stored
            try:
                await self._write(pending)
            except StoreError:
                self.unsaved = pending
                raise
        logger.info("%s: token %s stored at last", self._name, pending.fingerprint)
        return None

    async def forget(self, tokens: TokenSet[AnswerT]) -> TokenSet[AnswerT]:
        """Delete this identity's stored set; returns the newest set, the one to revoke.

        A sharer that logs out may hold a set that another has renewed since: revoking its
        own, spent, one would leave the identity alive for everyone else.
        """
        self.unsaved = None
        if self._store is None:
            return tokens
        async with self.held_lease("log out (its own token set is revoked; a newer one may live)"):
            stored = await self.load()
            if stored is None:
                return tokens
            await self._store.delete()
        return stored[0] if is_newer(stored[0], tokens) else tokens
