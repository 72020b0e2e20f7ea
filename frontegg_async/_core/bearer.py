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


class _Step:
    """A step: equal to another of its kind with the same value; its value (a token) is never
    shown."""

    __slots__ = ()

    def _value(self) -> str | None:
        return None

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _Step)
            and type(other) is type(self)
            and other._value() == self._value()
        )

    def __hash__(self) -> int:
        return hash((type(self), self._value()))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}()"
            if self._value() is None
            else f"{type(self).__name__}(<hidden>)"
        )


class FreshToken(_Step):
    """Ask for a token that is valid now (the session's ``access_token()``)."""

    __slots__ = ()


class Send(_Step):
    """Send the request with this bearer; answer with the status it got."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    def _value(self) -> str | None:
        return self.token


class Discard(_Step):
    """Let go of what was sent last (its answer will not be returned)."""

    __slots__ = ()


class Renew(_Step):
    """Renew because the server refused ``rejected``, unless a newer token replaced it."""

    __slots__ = ("rejected",)

    def __init__(self, rejected: str) -> None:
        self.rejected = rejected

    def _value(self) -> str | None:
        return self.rejected


# Plain slotted classes, not attrs: every request through request() or the middleware takes
# these steps, and the two without a value are made once.
_FRESH_TOKEN = FreshToken()
_DISCARD = Discard()

Step = FreshToken | Send | Discard | Renew
#: What a shell drives: it yields steps and receives a token (for ``FreshToken``), a status (for
#: ``Send``) or None.
BearerFlow = Generator[Step, str | int | None, None]


def bearer_flow(*, can_resend: Callable[[], bool] = lambda: True) -> BearerFlow:
    """The 401 rule; ``can_resend()`` says whether what was sent can be sent again (a streamed
    body cannot: resent, it would go out empty)."""
    token = yield _FRESH_TOKEN
    assert isinstance(token, str)
    status = yield Send(token)
    if status != 401 or not can_resend():
        return
    yield _DISCARD
    yield Renew(token)
    fresh = yield _FRESH_TOKEN
    assert isinstance(fresh, str)
    yield Send(fresh)
