"""What a renewal flight runs: which set to start from when sharers store theirs
(``start_from``), renew it or obtain one afresh, and what it learns about a refresh token that
must never be sent again (a flow, like those of ``flows``)."""

from __future__ import annotations

import enum

from attrs import define, evolve

from .._errors import FronteggError
from .._secrets import Secret
from .flows import Strategy
from .policy import Verdict, classify
from .tokens import AnswerT, TokenSet
from .wire import Flow


class How(enum.Enum):
    """How a renewal got its token set (the engine names its event after it)."""

    LOGGED_IN = "logged_in"
    RELOGGED_IN = "relogged_in"
    REFRESHED = "refreshed"


def is_newer(stored: TokenSet[AnswerT], mine: TokenSet[AnswerT]) -> bool:
    """Whether a stored set replaces the one held: a later generation, or (on a tie, which only a
    lease that lapsed under a stalled holder allows) another set, since the store is what every
    sharer goes by."""
    if stored.generation != mine.generation:
        return stored.generation > mine.generation
    return stored.access_token != mine.access_token


class Start(enum.Enum):
    """Where one try at a newer token set starts, after a look at the store."""

    #: The stored set is newer and usable: take it up, send nothing.
    TAKE_UP = "take up the stored set"
    #: Renew (the set ``start_from`` names), or obtain one afresh.
    RENEW = "renew or obtain"
    #: Renewing needs the store's lease, and another sharer holds it: wait for its set.
    WAIT = "wait for the sharer holding the lease"


def start_from(
    mine: TokenSet[AnswerT] | None,
    stored: TokenSet[AnswerT] | None,
    *,
    stored_usable: bool,
    obtaining: bool,
    held: bool,
) -> tuple[Start, TokenSet[AnswerT] | None]:
    """Where a try starts from the set held (``mine``) and the one ``stored``, and the set it
    starts with.

    A newer stored set is taken up while usable; once lapsed, it is the one renewed (its refresh
    token is the newest: the one held may be spent already by the sharer that stored it). An
    ``obtaining`` try (a login, an MFA code) never takes up a stored set. Nothing is renewed
    without the lease ``held``.
    """
    if not obtaining and stored is not None and (mine is None or is_newer(stored, mine)):
        if stored_usable:
            return Start.TAKE_UP, stored
        mine = stored
    if not held:
        return Start.WAIT, None
    return Start.RENEW, mine


@define
class Learned:
    """What a renewal learned beside its answer, kept even when it fails: a refresh token that
    must never be sent again (``spent``: the access token of its set), and the refusal that
    led to a fresh login (``refusal``)."""

    spent: Secret | None = None
    refusal: FronteggError | None = None


def kept_from_refused(
    fresh: TokenSet[AnswerT], previous: TokenSet[AnswerT] | None
) -> TokenSet[AnswerT]:
    """What a session holds after an answer ``fresh`` that was ``refused`` for its access token
    but named a new refresh token or cookie: the set it renewed (``previous``, whose access token
    stays good until its own deadline) with what renews replaced by the answer's, or with no
    previous set the answer's own, never usable. Either way the next try renews with the new
    refresh token instead of sending the one the server may have rotated already."""
    if previous is None:
        return evolve(fresh, refused=None)
    return evolve(previous, refresh_token=fresh.refresh_token, cookie=fresh.cookie)


def renew_or_obtain(
    strategy: Strategy[AnswerT],
    tokens: TokenSet[AnswerT] | None,
    *,
    spent: Secret | None,
    relogin: bool,
    learned: Learned,
) -> Flow[tuple[TokenSet[AnswerT], How]]:
    """Renew ``tokens``, or obtain a set afresh when there is none, when its refresh token is
    ``spent`` (never sent again), or when the kind has nothing to renew with.

    A refused refresh token is spent or revoked; after an unreadable answer, a timeout or a
    dropped connection the server may have rotated it already. Either way it must never be
    sent again (``learned.spent``), and a refusal leads to a fresh login when ``relogin`` is
    on. An unknown outcome is raised as it is: the next try logs in (or, without relogin,
    resends: a 401 will tell). Transport errors reach this flow thrown at its ``yield``.
    """
    if tokens is None:
        return (yield from strategy.obtain()), How.LOGGED_IN
    if tokens.access_token == spent:
        return (yield from strategy.obtain()), How.RELOGGED_IN
    if not strategy.can_renew(tokens):
        return (yield from strategy.obtain()), How.REFRESHED
    try:
        fresh = yield from strategy.renew(tokens)
    except FronteggError as error:
        verdict = classify(error, renewing=True)
        if verdict is Verdict.UNKNOWN_OUTCOME:
            if relogin:
                learned.spent = tokens.access_token
            raise
        if verdict is not Verdict.RELOGIN:
            raise
        learned.spent, learned.refusal = tokens.access_token, error
        if not relogin:
            raise
    else:
        return fresh, How.REFRESHED
    return (yield from strategy.obtain()), How.RELOGGED_IN
