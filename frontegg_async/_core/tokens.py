"""What a session holds between calls: one token set, replaced whole on every renewal, and the
rule for how long an answer's token is trusted."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Generic, TypeVar

from attrs import field, frozen

from .._claims import issued_and_expires
from .._errors import ResponseFormatError
from .._secrets import Secret
from .wire import RefreshCookie

logger = logging.getLogger("frontegg_async")


#: A lifetime beyond this (a week) is taken for a server's mistake and capped.
MAX_LIFETIME = 7 * 86400.0
#: A token must live longer than this, and than the round trip that obtained it: a shorter
#: one would lapse before it could be used, and renewing it would spin.
MIN_LIFETIME = 0.05


class Deadline:
    """Until when a token may be handed out: the one "usable until" rule.

    It holds while the wall clock is before ``wall`` and the monotonic clock before ``mono``:
    the wall clock counts the time a suspended process lost, the monotonic clock never goes
    back, and a deadline holds only while it holds on both. ``boot`` is the same deadline on
    Linux's boot clock (``CLOCK_BOOTTIME``), which does both at once: where there is one, a
    single clock read settles it (the session's hot path). All are -inf for "no usable token".
    """

    __slots__ = ("boot", "mono", "wall")

    def __init__(
        self,
        wall: float = -math.inf,
        mono: float = -math.inf,
        boot: float = -math.inf,
    ) -> None:
        self.wall, self.mono, self.boot = wall, mono, boot

    def holds(self, wall: float, mono: float) -> bool:
        """Whether it is still before the deadline at these times, on both clocks."""
        return wall < self.wall and mono < self.mono

    def on_boot_clock(self, wall: float, mono: float, boot: float) -> float:
        """The deadline on the boot clock, from the three clocks read together now."""
        return boot + min(self.wall - wall, self.mono - mono)


class HotToken(Deadline):
    """The current raw token and its ``Deadline``, apart from everything else, so that the hot
    path reads a couple of attributes and no more (``boot`` where the system has a boot clock,
    one read of it; ``holds()`` otherwise)."""

    __slots__ = ("token",)

    def __init__(self) -> None:
        super().__init__()
        self.token = ""

    def set(self, token: str, until: Deadline, wall: float, mono: float, boot: float) -> None:
        """Publish ``token``, usable ``until``; ``wall``, ``mono`` and ``boot`` are the clocks
        read now."""
        self.token, self.wall, self.mono = token, until.wall, until.mono
        self.boot = until.on_boot_clock(wall, mono, boot)

    def clear(self) -> None:
        """No usable token."""
        self.token = ""
        self.wall = self.mono = self.boot = -math.inf


def effective_lifetime(
    expires_in: float, *, issued_at: float | None = None, expires_at: float | None = None
) -> float:
    """How long to trust a token: ``expiresIn``, shortened by the JWT's own ``exp - iat``.

    ``exp - iat`` is measured on the server's clock alone, so it is immune to skew between the
    server's clock and ours, like ``expiresIn``; when the two disagree the shorter wins. An
    absurd lifetime is capped at ``MAX_LIFETIME``. The caller rejects ``expires_in <= 0``.
    """
    lifetime = expires_in
    if issued_at is not None and expires_at is not None and expires_at > issued_at:
        lifetime = min(lifetime, expires_at - issued_at)
    return min(lifetime, MAX_LIFETIME)


#: The kind of answer a session's token sets carry (``AuthResponse``, ``VendorToken``, ...).
AnswerT = TypeVar("AnswerT")


@frozen
class TokenSet(Generic[AnswerT]):
    """An access token with what renews it, and when it was obtained, and the answer that
    carried it (of the session's kind of answer: ``AnswerT``).

    Replaced as a whole: the access token, the refresh token and the cookie always belong to the
    same answer, so a consumed refresh token can never be paired with a newer access token.
    """

    access_token: Secret = field(repr=False)
    refresh_token: Secret | None = field(repr=False)
    cookie: RefreshCookie | None = field(repr=False)
    #: Wall-clock time just before the request that produced it was sent (conservative).
    obtained_at: float
    #: Seconds the access token lives, from ``expiresIn``.
    lifetime: float
    #: The server's answer that carried it (rebuilt from the tokens when read from a store).
    answer: AnswerT = field(repr=False)
    #: Counts the sets of one identity in a shared store: each login or renewal stores the
    #: highest generation seen plus one, so "newer" never depends on a machine's clock.
    generation: int = 0
    #: Why its access token may never be used (``issued``: the answer's lifetime was refused),
    #: kept instead of raised when the answer named a refresh token or a cookie: the server
    #: may have rotated the one sent, and the new one must not be lost with the answer.
    refused: str | None = None

    @property
    def fingerprint(self) -> str:
        """A short label of the access token, safe to log."""
        return self.access_token.fingerprint


def token_lifetime(expires_in: float, access_token: str, *, what: str, took: float) -> float:
    """How long to trust a token: positive ``expiresIn``, shortened by its JWT's ``exp - iat``.

    See ``effective_lifetime``; a token that is not a JWT is trusted for ``expiresIn``. Refused
    with ``ResponseFormatError``: a lifetime that is not positive, one no longer than the round
    trip that obtained it (``took`` seconds: it would lapse before use), and a JWT whose ``exp``
    is not after its ``iat``.
    """
    if not expires_in > 0:
        raise ResponseFormatError(
            f"{what} answered with expiresIn={expires_in:g}; a lifetime must be positive"
        )
    # An opaque token has neither: expiresIn alone says how long it lives.
    issued_at, expires_at = issued_and_expires(access_token)
    if issued_at is not None and expires_at is not None and expires_at <= issued_at:
        raise ResponseFormatError(
            f"{what} answered with a JWT whose exp ({expires_at:.0f}) is not after its iat "
            f"({issued_at:.0f}): it is dead on arrival, and no lifetime can be trusted for it"
        )
    lifetime = effective_lifetime(expires_in, issued_at=issued_at, expires_at=expires_at)
    if lifetime <= max(MIN_LIFETIME, took):
        raise ResponseFormatError(
            f"{what} answered with a token that lives {lifetime:g} s, no longer than the "
            f"{took:.3g} s its answer took: it would lapse before it could be used"
        )
    if lifetime < expires_in:
        logger.warning(
            "%s: expiresIn=%g is longer than the token's own exp - iat or past the cap; "
            "trusting it for %g s",
            what,
            expires_in,
            lifetime,
        )
    return lifetime


def issued(
    answer: AnswerT,
    *,
    access_token: str,
    refresh_token: str | None,
    cookie: RefreshCookie | None,
    expires_in: float,
    started: float,
    what: str,
    clock: Callable[[], float],
) -> TokenSet[AnswerT]:
    """The token set an answer carries: obtained when its request was sent (``started``, so
    that its lifetime is never overestimated), trusted for ``token_lifetime``.

    A lifetime that cannot be trusted is a ``ResponseFormatError``, unless the answer also
    names what renews (a refresh token, a cookie): then the set comes back ``refused`` (the
    reason) and never usable (a lifetime of 0), so that the renewal that asked for it keeps
    its refresh token (``_core.renewal.kept_from_refused``) before raising the reason.
    """
    refused = None
    try:
        lifetime = token_lifetime(expires_in, access_token, what=what, took=clock() - started)
    except ResponseFormatError as error:
        if not refresh_token and cookie is None:
            raise
        lifetime, refused = 0.0, error.message
    return TokenSet(
        access_token=Secret(access_token),
        refresh_token=Secret(refresh_token) if refresh_token else None,
        cookie=cookie,
        obtained_at=started,
        lifetime=lifetime,
        answer=answer,
        refused=refused,
    )
