"""The session's life table, walked whole: every state meets every happening, CLOSED is final,
and the public state is read the same way from the same facts (no loop, no socket)."""

from __future__ import annotations

import itertools

import pytest

from frontegg_async import SessionState
from frontegg_async._core.lifecycle import TRANSITIONS, Happening, Life, after, public_state


def test_every_state_meets_every_happening() -> None:
    assert set(TRANSITIONS) == set(itertools.product(Life, Happening))


def test_closed_is_final() -> None:
    for happening in Happening:
        assert after(Life.CLOSED, happening) is Life.CLOSED
    for life in Life:
        assert after(life, Happening.CLOSED) is Life.CLOSED


@pytest.mark.parametrize("life", [Life.NEW, Life.ACTIVE, Life.EXPIRED, Life.LOGGED_OUT])
def test_a_token_set_installed_makes_any_open_session_active(life: Life) -> None:
    assert after(life, Happening.INSTALLED) is Life.ACTIVE
    assert after(life, Happening.LOGGED_OUT) is Life.LOGGED_OUT


def test_only_a_session_that_had_a_token_expires() -> None:
    expiring = {life for life in Life if after(life, Happening.REFUSED) is Life.EXPIRED}
    assert expiring == {Life.ACTIVE, Life.EXPIRED}
    # A first login refused leaves a new session new; a logged-out one stays logged out.
    assert after(Life.NEW, Happening.REFUSED) is Life.NEW
    assert after(Life.LOGGED_OUT, Happening.REFUSED) is Life.LOGGED_OUT


def state(life: Life = Life.ACTIVE, **facts: bool) -> SessionState:
    given = {
        "holds_token": True,
        "lapsed": False,
        "usable": True,
        "refused": False,
        "failing": False,
        "renewing": False,
    }
    given.update(facts)
    return public_state(life, **given)


def test_the_public_state_from_the_facts() -> None:
    assert state() is SessionState.AUTHENTICATED
    assert state(renewing=True) is SessionState.REFRESHING
    assert state(failing=True, renewing=True) is SessionState.DEGRADED
    assert state(refused=True) is SessionState.DEGRADED  # refused, the token still usable
    assert state(refused=True, usable=False) is SessionState.EXPIRED
    assert state(lapsed=True, usable=False) is SessionState.EXPIRED
    assert state(Life.NEW, holds_token=False) is SessionState.UNAUTHENTICATED
    assert state(Life.LOGGED_OUT, holds_token=False) is SessionState.UNAUTHENTICATED
    assert state(Life.NEW, holds_token=False, refused=True) is SessionState.EXPIRED
    assert state(Life.CLOSED, renewing=True, refused=True) is SessionState.CLOSED
