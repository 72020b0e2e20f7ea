"""The one 401 flow, sans I/O: send with a fresh token; on a 401, renew once (unless a newer
token already replaced the refused one: many 401s, one renewal) and send once more, if what was
sent can be sent again; otherwise the 401 stands.

It is a generator of steps (the idea of httpx's ``Auth.auth_flow``), so that ``request()``,
the aiohttp middleware and any other shell run the same rule: the shell answers ``FreshToken``
with a token, ``Send`` with the status of what it sent, ``Discard`` and ``Renew`` with None,
and keeps the last thing it sent, which is the flow's outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Generator

from attrs import field, frozen


@frozen
class FreshToken:
    """Ask for a token that is valid now (the session's ``access_token()``)."""


@frozen
class Send:
    """Send the request with this bearer; answer with the status it got."""

    token: str = field(repr=False)


@frozen
class Discard:
    """Let go of what was sent last (its answer will not be returned)."""


@frozen
class Renew:
    """Renew because the server refused ``rejected``, unless a newer token replaced it."""

    rejected: str = field(repr=False)


Step = FreshToken | Send | Discard | Renew
#: What a shell drives: it yields steps and receives a token (for ``FreshToken``), a status (for
#: ``Send``) or None.
BearerFlow = Generator[Step, str | int | None, None]


def bearer_flow(*, can_resend: Callable[[], bool] = lambda: True) -> BearerFlow:
    """The 401 rule; ``can_resend()`` says whether what was sent can be sent again (a streamed
    body cannot: resent, it would go out empty)."""
    token = yield FreshToken()
    assert isinstance(token, str)
    status = yield Send(token)
    if status != 401 or not can_resend():
        return
    yield Discard()
    yield Renew(token)
    fresh = yield FreshToken()
    assert isinstance(fresh, str)
    yield Send(fresh)
