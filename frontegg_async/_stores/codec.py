"""What a token store holds, and how a stored set is read back: the one stored layout.

A stored set records only what renewal needs (the access token, the refresh token and cookie,
when it was obtained and how long it lives), the *identity* it belongs to (never a secret), and
a *generation*: every renewal or login stores generation + 1, so sharers tell a newer set from
their own by that number, never by comparing wall clocks of different machines.

Reading a set back is where clocks of different machines meet, so its age is never taken on
trust: it is at least what this machine's clock says since ``obtainedAt`` (a set "obtained in
the future" is as old as it was when stored), at least what the store's own clock says
(``storedFor``, added by stores that have one), and the token is never trusted past its JWT's
``exp`` by this machine's clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import evolve, frozen

from .._claims import issued_and_expires
from .._core.tokens import TokenSet
from .._core.wire import RefreshCookie
from .._errors import StoreError
from .._models import ApiTokenResponse, AuthResponse, OAuthTokens, VendorToken
from .._secrets import Secret

#: The layout written; a set of any other layout is ignored (and replaced by the next save).
STATE_VERSION = 2

#: Added to a loaded mapping by a store that knows, on its own clock, how many seconds ago the
#: set was written (Redis: its server's clock; a file: its modification time).
STORED_FOR = "storedFor"


@frozen
class StoreIdentity:
    """Whom a stored set belongs to: the kind of session, the service and the principal."""

    kind: str
    url: str
    subject: str
    vendor_host: str | None = None

    def as_json(self) -> dict[str, str]:
        """The JSON form written beside the tokens."""
        data = {"kind": self.kind, "url": self.url, "subject": self.subject}
        if self.vendor_host is not None:
            data["vendorHost"] = self.vendor_host
        return data

    @classmethod
    def from_json(cls, data: Any) -> StoreIdentity | None:
        """The identity in a stored set, or None when it has none that can be read."""
        if not isinstance(data, Mapping):
            return None
        kind, url, subject = data.get("kind"), data.get("url"), data.get("subject")
        vendor_host = data.get("vendorHost")
        if not all(isinstance(value, str) for value in (kind, url, subject)):
            return None
        return cls(
            kind=str(kind),
            url=str(url),
            subject=str(subject),
            vendor_host=vendor_host if isinstance(vendor_host, str) else None,
        )

    def __str__(self) -> str:
        host = "" if self.vendor_host is None else f" (vendor host {self.vendor_host})"
        return f"{self.kind} {self.subject} at {self.url}{host}"


def _answer_type(answer: object) -> str | None:
    for cls in (AuthResponse, VendorToken, ApiTokenResponse, OAuthTokens):
        if isinstance(answer, cls):
            return cls.__name__
    return None


def encode_tokens(tokens: TokenSet[Any], identity: StoreIdentity, *, now: float) -> dict[str, Any]:
    """A token set as a JSON-ready mapping (secrets in the clear: it is what a store is for)."""
    return {
        "version": STATE_VERSION,
        "identity": identity.as_json(),
        "generation": tokens.generation,
        "accessToken": tokens.access_token.reveal(),
        # A user's refresh token travels in its cookie: stored once, not twice.
        "refreshToken": None
        if tokens.refresh_token is None
        or (tokens.cookie is not None and tokens.cookie.value == tokens.refresh_token)
        else tokens.refresh_token.reveal(),
        "cookie": None
        if tokens.cookie is None
        else {"name": tokens.cookie.name, "value": tokens.cookie.value.reveal()},
        "obtainedAt": tokens.obtained_at,
        # The set's age when written, on the writer's own clock: with the store's own
        # storedFor it gives the age on no sharer's clock at all.
        "ageAtSave": max(0.0, now - tokens.obtained_at),
        "lifetime": tokens.lifetime,
        "answerType": _answer_type(tokens.answer),
    }


def _rebuilt_answer(kind: object, tokens: TokenSet[Any]) -> Any:
    """The answer a stored set stands for, rebuilt from the tokens (only they are stored)."""
    access = tokens.access_token.reveal()
    refresh = "" if tokens.refresh_token is None else tokens.refresh_token.reveal()
    if kind == "AuthResponse":
        return AuthResponse(
            mfa_required=False,
            access_token=access,
            refresh_token=refresh,
            expires_in=tokens.lifetime,
            expires="",
        )
    if kind == "VendorToken":
        return VendorToken(token=access, expires_in=tokens.lifetime)
    if kind == "ApiTokenResponse":
        return ApiTokenResponse(
            access_token=access, refresh_token=refresh, expires_in=tokens.lifetime, expires=""
        )
    if kind == "OAuthTokens":
        # The bearer a session hands out is the ID token: stored as the access token.
        return OAuthTokens(
            access_token=access, id_token=access, refresh_token=refresh, expires_in=tokens.lifetime
        )
    return None


def stored_identity(state: Mapping[str, Any]) -> StoreIdentity | None:
    """The identity a stored mapping of this layout belongs to, if it names one."""
    if state.get("version") != STATE_VERSION:
        return None
    return StoreIdentity.from_json(state.get("identity"))


def check_identity(state: Mapping[str, Any], identity: StoreIdentity, *, store: object) -> None:
    """Raise a (non-retryable) ``StoreError`` when ``state`` belongs to another identity."""
    theirs = stored_identity(state)
    if theirs is not None and theirs != identity:
        raise StoreError(
            f"the token store {store!r} holds the tokens of {theirs}, not of {identity}; "
            "nothing was taken up or overwritten: give each identity a store (file, key) of "
            "its own",
            retryable=False,
        )


def decode_tokens(
    state: Mapping[str, Any], identity: StoreIdentity, *, now: float, store: object = None
) -> TokenSet[Any] | None:
    """The token set in a stored mapping, aged by this machine's clock; None if not ours to read.

    Raises ``StoreError`` (not retryable) when the set belongs to another identity.
    """
    check_identity(state, identity, store=store)
    if stored_identity(state) is None:
        return None
    try:
        cookie = state.get("cookie")
        refresh_token = state.get("refreshToken")
        if refresh_token is None and isinstance(cookie, dict):
            refresh_token = cookie.get("value")
        access_token = str(state["accessToken"])
        lifetime = float(state["lifetime"])
        obtained_at = float(state["obtainedAt"])
        generation = int(state.get("generation", 0))
        tokens: TokenSet[Any] = TokenSet(
            access_token=Secret(access_token),
            refresh_token=None if refresh_token is None else Secret(str(refresh_token)),
            cookie=None
            if not isinstance(cookie, dict)
            else RefreshCookie(name=str(cookie["name"]), value=Secret(str(cookie["value"]))),
            obtained_at=obtained_at,
            lifetime=lifetime,
            answer=None,  # rebuilt below, from the tokens as they are read
            generation=generation,
        )
        age = max(0.0, now - obtained_at)
        stored_for = state.get(STORED_FOR)
        if isinstance(stored_for, int | float):
            age = max(age, float(state.get("ageAtSave", 0.0)) + max(0.0, float(stored_for)))
    except (KeyError, TypeError, ValueError):
        return None
    remaining = lifetime - age
    _, expires_at = issued_and_expires(access_token)
    if expires_at is not None:
        remaining = min(remaining, expires_at - now)
    # Planned from "obtained now", the set lives what is left of it, never more.
    obtained_at = now - age
    tokens = evolve(tokens, obtained_at=obtained_at, lifetime=max(0.0, remaining + age))
    return evolve(tokens, answer=_rebuilt_answer(state.get("answerType"), tokens))
