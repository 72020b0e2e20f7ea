"""The one 401 flow (``_core.bearer``), driven step by step: no loop, no socket."""

from __future__ import annotations

import pytest

from frontegg_async._core.bearer import BearerFlow, Discard, FreshToken, Renew, Send, bearer_flow


def steps(flow: BearerFlow, replies: list[str | int | None]) -> list[object]:
    """The steps the flow takes, answered with ``replies`` in turn."""
    taken = [next(flow)]
    for reply in replies:
        try:
            taken.append(flow.send(reply))
        except StopIteration:
            return taken
    raise AssertionError(f"the flow did not end: {taken}")


def test_an_answer_that_is_not_a_401_is_the_outcome() -> None:
    assert steps(bearer_flow(), ["t1", 200]) == [FreshToken(), Send("t1")]


def test_a_401_renews_once_with_the_refused_token_and_sends_once_more() -> None:
    assert steps(bearer_flow(), ["t1", 401, None, None, "t2", 401]) == [
        FreshToken(),
        Send("t1"),
        Discard(),
        Renew("t1"),
        FreshToken(),
        Send("t2"),
    ]  # a second 401 stands: one renewal, one resend, never a loop


def test_a_401_for_a_body_that_cannot_be_sent_again_stands() -> None:
    flow = bearer_flow(can_resend=lambda: False)
    assert steps(flow, ["t1", 401]) == [FreshToken(), Send("t1")]


def test_no_step_shows_a_token() -> None:
    assert "t-secret" not in repr(Send("t-secret"))
    assert "t-secret" not in repr(Renew("t-secret"))


@pytest.mark.parametrize("status", [400, 403, 429, 500])
def test_other_refusals_are_never_renewed(status: int) -> None:
    assert steps(bearer_flow(), ["t1", status]) == [FreshToken(), Send("t1")]
