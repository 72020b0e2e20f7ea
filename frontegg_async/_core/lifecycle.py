"""A session's life in one table: its states, what moves it between them, and how the public
``SessionState`` is read from it (the idea of h11's ``_state.py``).

Theory of operation
-------------------
A session starts NEW: it holds no token, and its first ``access_token()`` authenticates. A token
set *installed* (a login, a renewal, or a set taken up from a store) makes it ACTIVE, from any
state but CLOSED. A renewal *refused for good* (no retry and no fresh login can mend it) makes
an ACTIVE session EXPIRED: callers still get the last token while it is usable, then
``SessionExpiredError`` at once; only a token set installed (``login()``) brings it back. A
refusal changes nothing in the other states: a first login refused leaves a NEW session NEW
(the caller has the error), and a LOGGED_OUT one stays logged out. ``logout()`` makes it
LOGGED_OUT (its token revoked and forgotten; ``login()`` starts it again). ``aclose()`` makes it
CLOSED, which is final: what finishes after it (a renewal in flight as the session closed)
changes nothing.

The public ``SessionState`` adds what callers care about and the table does not hold: whether a
renewal is in flight (REFRESHING), whether renewals fail while the token is still valid
(DEGRADED), and whether the token has lapsed (EXPIRED, also for a session that never had one and
whose login was refused for good). ``public_state`` reads it from the life and those facts.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping


class Life(enum.Enum):
    """Where a session is in its life (the engine's own state)."""

    NEW = "new"
    ACTIVE = "active"
    EXPIRED = "expired"
    LOGGED_OUT = "logged_out"
    CLOSED = "closed"


class Happening(enum.Enum):
    """What moves a session from one ``Life`` to another."""

    #: A token set became current: a login, a renewal, or one taken up from a store.
    INSTALLED = "installed"
    #: Renewal failed for good: neither a retry nor a fresh login can mend it.
    REFUSED = "refused"
    #: ``logout()``: the token set was revoked and forgotten.
    LOGGED_OUT = "logged_out"
    #: ``aclose()``.
    CLOSED = "closed"


_NEW, _ACTIVE, _EXPIRED, _OUT, _CLOSED = Life
#: Every (state, happening) pair and the state it leads to.
TRANSITIONS: Mapping[tuple[Life, Happening], Life] = {
    (_NEW, Happening.INSTALLED): _ACTIVE,
    (_NEW, Happening.REFUSED): _NEW,
    (_NEW, Happening.LOGGED_OUT): _OUT,
    (_NEW, Happening.CLOSED): _CLOSED,
    (_ACTIVE, Happening.INSTALLED): _ACTIVE,
    (_ACTIVE, Happening.REFUSED): _EXPIRED,
    (_ACTIVE, Happening.LOGGED_OUT): _OUT,
    (_ACTIVE, Happening.CLOSED): _CLOSED,
    (_EXPIRED, Happening.INSTALLED): _ACTIVE,
    (_EXPIRED, Happening.REFUSED): _EXPIRED,
    (_EXPIRED, Happening.LOGGED_OUT): _OUT,
    (_EXPIRED, Happening.CLOSED): _CLOSED,
    (_OUT, Happening.INSTALLED): _ACTIVE,
    (_OUT, Happening.REFUSED): _OUT,
    (_OUT, Happening.LOGGED_OUT): _OUT,
    (_OUT, Happening.CLOSED): _CLOSED,
    (_CLOSED, Happening.INSTALLED): _CLOSED,
    (_CLOSED, Happening.REFUSED): _CLOSED,
    (_CLOSED, Happening.LOGGED_OUT): _CLOSED,
    (_CLOSED, Happening.CLOSED): _CLOSED,
}


def after(life: Life, happening: Happening) -> Life:
    """The state ``happening`` leads to from ``life``."""
    return TRANSITIONS[life, happening]


class SessionState(enum.Enum):
    """Where a session stands, as ``session.state`` reports it."""

    #: No token yet (before the first login) or any more (after ``logout()``).
    UNAUTHENTICATED = "unauthenticated"
    #: A usable token is held and nothing is failing.
    AUTHENTICATED = "authenticated"
    #: A renewal is in flight; callers still get the current token while it is usable.
    REFRESHING = "refreshing"
    #: Renewal is failing but the token is still valid: callers see nothing yet.
    DEGRADED = "degraded"
    #: The token lapsed and could not be renewed; ``access_token()`` raises.
    EXPIRED = "expired"
    #: ``aclose()`` was called.
    CLOSED = "closed"


def public_state(
    life: Life,
    *,
    holds_token: bool,
    lapsed: bool,
    usable: bool,
    refused: bool,
    failing: bool,
    renewing: bool,
) -> SessionState:
    """The public state: ``holds_token`` whether a token set is current, ``lapsed`` whether it
    expired, ``usable`` whether it may still be handed out, ``refused`` whether renewal failed
    for good, ``failing`` whether the last renewals failed, ``renewing`` whether one is in
    flight."""
    if life is Life.CLOSED:
        return SessionState.CLOSED
    if not holds_token:
        return SessionState.EXPIRED if refused else SessionState.UNAUTHENTICATED
    if lapsed or (refused and not usable):
        return SessionState.EXPIRED
    if refused or failing:
        return SessionState.DEGRADED
    if renewing:
        return SessionState.REFRESHING
    return SessionState.AUTHENTICATED
