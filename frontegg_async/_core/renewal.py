"""What a renewal flight runs: renew the held set, or obtain one afresh, and what it learns
about a refresh token that must never be sent again (a flow, like those of ``flows``)."""

from __future__ import annotations

import enum

from attrs import define

from .._errors import FronteggError
from .._secrets import Secret
from .flows import Strategy
from .policy import Verdict, classify
from .tokens import TokenSet
from .wire import Flow


class How(enum.Enum):
    """How a renewal got its token set (the engine names its event after it)."""

    LOGGED_IN = "logged_in"
    RELOGGED_IN = "relogged_in"
    REFRESHED = "refreshed"


@define
class Learned:
    """What a renewal learned beside its answer, kept even when it fails: a refresh token that
    must never be sent again (``spent``: the access token of its set), and the refusal that
    led to a fresh login (``refusal``)."""

    spent: Secret | None = None
    refusal: FronteggError | None = None


def renew_or_obtain(
    strategy: Strategy,
    tokens: TokenSet | None,
    *,
    spent: Secret | None,
    relogin: bool,
    learned: Learned,
) -> Flow[tuple[TokenSet, How]]:
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
