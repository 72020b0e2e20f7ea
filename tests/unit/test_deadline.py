"""The one "usable until" rule (``Deadline``): before it on both clocks, and the same instant on
the boot clock; a plan's deadline is its leeway before expiry (no loop, no socket)."""

from __future__ import annotations

import math

from frontegg_async._core.policy import plan
from frontegg_async._core.tokens import Deadline


def test_a_deadline_holds_only_while_it_holds_on_both_clocks() -> None:
    until = Deadline(wall=1000.0, mono=50.0)
    assert until.holds(999.9, 49.9)
    assert not until.holds(1000.0, 10.0)  # the wall clock passed it (a suspended process)
    assert not until.holds(10.0, 50.0)  # the monotonic clock passed it (the wall went back)


def test_on_the_boot_clock_it_is_the_nearer_of_the_two() -> None:
    until = Deadline(wall=1000.0, mono=50.0)
    # Read at wall 990 (10 s left) and mono 45 (5 s left): 5 s from now on the boot clock.
    assert until.on_boot_clock(990.0, 45.0, 7000.0) == 7005.0


def test_no_token_is_never_usable() -> None:
    nothing = Deadline()
    assert not nothing.holds(-1e300, -1e300)
    assert nothing.boot == -math.inf


def test_a_plan_is_usable_until_its_leeway_before_expiry() -> None:
    current = plan(1000.0, 10.0, 100.0, ratio=0.8, jitter=0.0)
    until = current.usable_until
    assert (until.wall, until.mono) == (1095.0, 105.0)  # 5 s of leeway
    assert current.usable(1094.9, 104.9)
    assert not current.usable(1095.0, 50.0)
