"""What a session holds and what it knows about it, in one object the engine changes only
through its methods (sans-I/O: no clock is read here, no task started).

Theory of operation
-------------------
A session holds at most one ``TokenSet`` with its ``Plan`` (``_core.policy``) and is somewhere in
its ``Life`` (``_core.lifecycle``). Everything else the engine used to keep in loose fields
follows from what happened to it, so it changes here and nowhere else:

* ``installed()``: a new set is current; a refusal and a run of failures are forgotten, and so
  is the refresh token that must not be sent again (the new set carries its own).
* ``rotated()``: an answer refused for its access token named a new refresh token: the set
  held keeps it, and the next try renews with it.
* ``failed()``: a try at renewing failed; while a set is held the session is *degraded*; a
  failure that is not transient ends an ACTIVE session (EXPIRED), and its error is kept as the
  *refusal* every later caller is told about.
* ``forgotten()``: ``logout()`` revoked it; ``closed()``: ``aclose()``.

What callers are told follows from that too: ``usable()`` (the set that may be handed out),
``unusable()`` (why not, as the error to raise), ``state()`` (the public ``SessionState``) and
``lapse_to_tell()`` (whether EXPIRED is yet to be published for the set held: once per set).
"""

from __future__ import annotations

from typing import Generic

from .._errors import FronteggError, SessionExpiredError
from .._secrets import Secret
from .flows import LOGIN_AGAIN
from .lifecycle import Happening, Life, SessionState, after, public_state
from .policy import Plan
from .tokens import AnswerT, TokenSet


class Holding(Generic[AnswerT]):
    """A session's token set, its plan, its life, and the failures that bear on them."""

    __slots__ = (
        "_lapse_told",
        "degraded",
        "life",
        "plan",
        "refusal",
        "spent",
        "start_again",
        "tokens",
    )

    def __init__(self, *, start_again: str = LOGIN_AGAIN) -> None:
        #: What a caller is told to do once renewing cannot help (the kind's: a browser for a
        #: session that started in one, ``login()`` for the others).
        self.start_again = start_again
        self.life = Life.NEW
        self.tokens: TokenSet[AnswerT] | None = None
        self.plan: Plan | None = None
        #: The error that ended the session (a refusal no retry nor login mends), until a set
        #: is installed again.
        self.refusal: FronteggError | None = None
        #: Whether the last tries at renewing the held set failed.
        self.degraded = False
        #: The access token of the set whose refresh token must never be sent again (refused,
        #: or its refresh may have been carried out unseen).
        self.spent: Secret | None = None
        #: The plan whose lapse was told (EXPIRED is published once per token set).
        self._lapse_told: Plan | None = None

    @property
    def closed(self) -> bool:
        """Whether the session was closed."""
        return self.life is Life.CLOSED

    # -- what happened ----------------------------------------------------------------------

    def installed(self, tokens: TokenSet[AnswerT], plan: Plan) -> bool | None:
        """``tokens`` (renewed on ``plan``) are current; returns whether this mends a refusal
        or a run of failures, or ``None`` when the session is closed and nothing changed."""
        if after(self.life, Happening.INSTALLED) is Life.CLOSED:
            return None
        recovered = self.degraded or self.refusal is not None
        self.tokens, self.plan = tokens, plan
        self.spent = self.refusal = self._lapse_told = None
        self.degraded = False
        self.life = after(self.life, Happening.INSTALLED)
        return recovered

    def rotated(self, tokens: TokenSet[AnswerT]) -> None:
        """An answer was refused for its access token but named a new refresh token: hold
        ``tokens`` (``_core.renewal.kept_from_refused``), so that the next try renews with it.
        The plan stays (the access token handed out is the same one, or none), and the refresh
        token marked spent is no longer held."""
        if self.life is Life.CLOSED:
            return
        if self.spent is not None and self.spent == tokens.access_token:
            self.spent = None
        self.tokens = tokens

    def failed(self, error: FronteggError, *, transient: bool, had_tokens: bool) -> bool:
        """A try at a token set failed with ``error``; returns whether it ended the session."""
        if had_tokens:
            self.degraded = True
        if transient or after(self.life, Happening.REFUSED) is not Life.EXPIRED:
            return False
        self.refusal = error
        self.life = after(self.life, Happening.REFUSED)
        return True

    def forgotten(self) -> TokenSet[AnswerT] | None:
        """``logout()``: the set is dropped (and returned, to be revoked)."""
        tokens, self.tokens, self.plan = self.tokens, None, None
        self.life = after(self.life, Happening.LOGGED_OUT)
        return tokens

    def closed_now(self) -> None:
        """``aclose()``: final (the set stays until ``let_go()``: a flight may still be landing)."""
        self.life = after(self.life, Happening.CLOSED)

    def let_go(self) -> None:
        """Drop the set of a closed session, once nothing runs that reads it."""
        self.tokens, self.plan = None, None

    # -- what callers are told --------------------------------------------------------------

    def usable(self, wall: float, mono: float) -> TokenSet[AnswerT] | None:
        """The set that may be handed out at these times, if any."""
        tokens, plan = self.tokens, self.plan
        if tokens is not None and plan is not None and plan.usable(wall, mono):
            return tokens
        return None

    def unusable(self, name: str) -> SessionExpiredError | None:
        """Why nothing may be handed out without renewing first, if renewing cannot help."""
        if self.life is Life.LOGGED_OUT:
            return SessionExpiredError(f"{name} was logged out; {self._advice()}")
        if self.refusal is not None:
            return self.expired(
                f"{name} has no usable token and could not renew it ({self.refusal})"
                + self._advice(after=self.refusal)
            )
        return None

    def _advice(self, after: FronteggError | None = None) -> str:
        """What to do now, unless the error told already (a refusal of a browser's session
        says to sign in again itself)."""
        if after is None:
            return self.start_again
        return "" if self.start_again in str(after) else f"; {self.start_again}"

    def unrenewable(self, name: str) -> SessionExpiredError | None:
        """Why ``refresh()`` cannot be done, if it cannot."""
        if self.refusal is not None or self.life is Life.LOGGED_OUT:
            return self.expired(
                f"{name} cannot refresh: it has no live refresh token; {self.start_again}"
            )
        return None

    def ended_by(self, error: FronteggError, name: str) -> SessionExpiredError | None:
        """The expiry to report to a caller whose wait ended with ``error``, if it ended the
        session."""
        if self.life is Life.EXPIRED and error is self.refusal:
            return self.expired(
                f"{name} could not renew its token ({error})" + self._advice(after=error)
            )
        return None

    def expired(self, message: str) -> SessionExpiredError:
        """The expiry error, carrying the status and messages of the refusal that caused it
        (raise it ``from`` ``refusal``)."""
        cause = self.refusal
        if cause is None:
            return SessionExpiredError(message)
        return SessionExpiredError(message, status=cause.status, errors=cause.errors)

    def lapse_to_tell(self) -> bool:
        """Whether EXPIRED is yet to be told for the set held; once true, false until the next
        set is installed."""
        if self.plan is not None and self._lapse_told is self.plan:
            return False
        self._lapse_told = self.plan
        return True

    def lapse_told(self) -> bool:
        """Whether EXPIRED was told for the set held."""
        return self._lapse_told is self.plan

    def state(self, wall: float, mono: float, *, renewing: bool) -> SessionState:
        """The public view at these times; see ``_core.lifecycle``."""
        plan = self.plan
        return public_state(
            self.life,
            holds_token=plan is not None,
            lapsed=plan is not None and plan.expired(wall, mono),
            usable=plan is not None and plan.usable(wall, mono),
            refused=self.refusal is not None,
            failing=self.degraded,
            renewing=renewing,
        )
