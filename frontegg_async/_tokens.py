"""What a session holds between calls: one token set, replaced whole on every renewal."""

from __future__ import annotations

from typing import Any

from attrs import field, frozen

from ._core.wire import RefreshCookie
from ._secrets import Secret


@frozen
class TokenSet:
    """An access token with what renews it, and when it was obtained.

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
    #: The server's answer that carried it (``AuthResponse``, ``VendorToken``, ...).
    answer: Any = field(default=None, repr=False)
    #: Counts the sets of one identity in a shared store: each login or renewal stores the
    #: highest generation seen plus one, so "newer" never depends on a machine's clock.
    generation: int = 0

    @property
    def fingerprint(self) -> str:
        """A short label of the access token, safe to log."""
        return self.access_token.fingerprint
