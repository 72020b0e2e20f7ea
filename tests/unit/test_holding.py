"""What a session holds and is told (``_core.holding``) and where a try at a newer set starts
after a look at the store (``_core.renewal.start_from``): fed values, no loop, no socket."""

from __future__ import annotations

import pytest

from frontegg_async import (
    AuthenticationError,
    SessionExpiredError,
    SessionState,
    TransportError,
)
from frontegg_async._core.holding import Holding
from frontegg_async._core.lifecycle import Life
from frontegg_async._core.policy import Plan, plan
from frontegg_async._core.renewal import Start, is_newer, start_from
from frontegg_async._core.tokens import TokenSet
from frontegg_async._secrets import Secret

NOW = 1_000.0


def token_set(access: str = "a1", *, generation: int = 0, lifetime: float = 60.0) -> TokenSet[None]:
    return TokenSet(
        access_token=Secret(access),
        refresh_token=Secret("r-" + access),
        cookie=None,
        obtained_at=NOW,
        lifetime=lifetime,
        answer=None,
        generation=generation,
    )


def plan_of(tokens: TokenSet[None]) -> Plan:
    return plan(tokens.obtained_at, NOW, tokens.lifetime, ratio=0.8, jitter=0.0)


def holding_with(tokens: TokenSet[None]) -> Holding[None]:
    held = Holding[None]()
    assert held.installed(tokens, plan_of(tokens)) is False
    return held


def test_a_new_holding_has_nothing_to_hand_out_and_nothing_to_say_against_renewing() -> None:
    held = Holding[None]()
    assert held.life is Life.NEW
    assert held.usable(NOW, NOW) is None
    assert held.unusable("s") is None
    assert held.state(NOW, NOW, renewing=False) is SessionState.UNAUTHENTICATED


def test_an_installed_set_is_handed_out_until_its_leeway_then_not() -> None:
    tokens = token_set()
    held = holding_with(tokens)
    assert held.life is Life.ACTIVE
    assert held.usable(NOW + 1, NOW + 1) is tokens
    assert held.usable(NOW + 59.9, NOW + 59.9) is None  # inside the leeway before expiry
    # On either clock: a wall clock set back does not stretch it.
    assert held.usable(NOW + 1, NOW + 59.9) is None
    assert held.state(NOW + 1, NOW + 1, renewing=True) is SessionState.REFRESHING


def test_a_transient_failure_degrades_and_the_next_set_recovers() -> None:
    held = holding_with(token_set())
    assert held.failed(TransportError("down"), transient=True, had_tokens=True) is False
    assert held.degraded
    assert held.life is Life.ACTIVE
    assert held.state(NOW + 1, NOW + 1, renewing=False) is SessionState.DEGRADED
    fresh = token_set("a2")
    assert held.installed(fresh, plan_of(fresh)) is True  # it mends the run of failures
    assert not held.degraded


def test_a_refusal_ends_an_active_session_and_every_caller_is_told_why() -> None:
    held = holding_with(token_set())
    refusal = AuthenticationError("refused", status=401)
    assert held.failed(refusal, transient=False, had_tokens=True) is True
    assert held.life is Life.EXPIRED
    assert held.refusal is refusal
    unusable = held.unusable("s")
    assert isinstance(unusable, SessionExpiredError)
    assert unusable.status == 401
    assert "could not renew" in str(unusable)
    assert held.unrenewable("s") is not None
    assert held.ended_by(refusal, "s") is not None
    assert held.ended_by(TransportError("other"), "s") is None
    # Still handed out while usable; then EXPIRED.
    assert held.usable(NOW + 1, NOW + 1) is not None
    assert held.state(NOW + 59.9, NOW + 59.9, renewing=False) is SessionState.EXPIRED


def test_a_refused_first_login_leaves_a_new_session_new() -> None:
    held = Holding[None]()
    refusal = AuthenticationError("bad password", status=401)
    assert held.failed(refusal, transient=False, had_tokens=False) is False
    assert held.life is Life.NEW
    assert held.refusal is None
    assert not held.degraded


def test_the_lapse_is_told_once_per_set() -> None:
    held = holding_with(token_set())
    assert not held.lapse_told()
    assert held.lapse_to_tell() is True
    assert held.lapse_told()
    assert held.lapse_to_tell() is False
    fresh = token_set("a2")
    held.installed(fresh, plan_of(fresh))
    assert held.lapse_to_tell() is True


def test_logged_out_then_closed() -> None:
    tokens = token_set()
    held = holding_with(tokens)
    held.spent = tokens.access_token
    assert held.forgotten() is tokens
    assert held.life is Life.LOGGED_OUT
    assert held.tokens is None
    assert "logged out" in str(held.unusable("s"))
    held.closed_now()
    assert held.closed
    fresh = token_set("a2")
    assert held.installed(fresh, plan_of(fresh)) is None  # nothing lands on a closed session
    assert held.tokens is None
    assert held.state(NOW, NOW, renewing=False) is SessionState.CLOSED


def test_an_installed_set_forgets_the_spent_refresh_token_and_the_refusal() -> None:
    held = holding_with(token_set())
    held.spent = Secret("a1")
    held.failed(AuthenticationError("no", status=401), transient=False, had_tokens=True)
    fresh = token_set("a2")
    assert held.installed(fresh, plan_of(fresh)) is True
    assert held.spent is None
    assert held.refusal is None
    assert held.life is Life.ACTIVE


MINE, NEWER, SAME_GENERATION_OTHER = (
    token_set("m", generation=1),
    token_set("n", generation=2),
    token_set("o", generation=1),
)


def test_is_newer_goes_by_generation_then_by_difference() -> None:
    assert is_newer(NEWER, MINE)
    assert not is_newer(MINE, NEWER)
    assert is_newer(SAME_GENERATION_OTHER, MINE)  # a tie: the store is what sharers go by
    assert not is_newer(MINE, MINE)


@pytest.mark.parametrize(
    ("mine", "stored", "usable", "obtaining", "held", "expected"),
    [
        # A newer usable stored set is taken up, lease or not: nothing is sent.
        (MINE, NEWER, True, False, True, (Start.TAKE_UP, NEWER)),
        (MINE, NEWER, True, False, False, (Start.TAKE_UP, NEWER)),
        (None, NEWER, True, False, False, (Start.TAKE_UP, NEWER)),
        # Lapsed but newer: its refresh token is the one to renew with, never ours.
        (MINE, NEWER, False, False, True, (Start.RENEW, NEWER)),
        (MINE, NEWER, False, False, False, (Start.WAIT, None)),
        # Nothing newer: ours, under the lease only.
        (MINE, MINE, True, False, True, (Start.RENEW, MINE)),
        (MINE, None, False, False, True, (Start.RENEW, MINE)),
        (MINE, None, False, False, False, (Start.WAIT, None)),
        (None, None, False, False, True, (Start.RENEW, None)),
        # A login or an MFA code never takes up a stored set.
        (MINE, NEWER, True, True, True, (Start.RENEW, MINE)),
        (None, NEWER, True, True, False, (Start.WAIT, None)),
    ],
)
def test_where_a_try_starts(
    mine: TokenSet[None] | None,
    stored: TokenSet[None] | None,
    usable: bool,
    obtaining: bool,
    held: bool,
    expected: tuple[Start, TokenSet[None] | None],
) -> None:
    assert (
        start_from(mine, stored, stored_usable=usable, obtaining=obtaining, held=held) == expected
    )
