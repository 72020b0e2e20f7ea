"""
Every failure the library reports, and the one pure function that maps an HTTP answer to it.

The tree::

    FronteggError                 base: .status, .errors (server messages), .retryable
    ├── AuthenticationError       the credentials or the refresh token were rejected (401, ...)
    │   ├── ForbiddenError        403: the token is good but may not do this (no renewal)
    │   └── MfaRequiredError      login needs a second factor: .mfa_token, then verify_mfa(code)
    ├── SessionError              the session cannot serve this call as it stands (nothing sent)
    │   ├── SessionExpiredError   no usable token is left and none can be had: log in again
    │   ├── SessionClosedError    the session was closed with aclose()
    │   ├── WrongLoopError        the session belongs to another event loop: one per loop
    │   └── WrongSessionError     an API operation needs another kind of session
    ├── RateLimitedError          429 Too Many Requests: .retry_after (seconds, or None)
    ├── ServerError               5xx, 408, or an error page that is not JSON
    ├── TransportError            the connection failed or timed out
    ├── ResponseFormatError       a 2xx answer that is not JSON or lacks a required field
    ├── InvalidRequestError       the request did not fit the operation (400/422, or refused
    │                             before sending): the messages say which parameter
    ├── NotFoundError             404: the user, role, tenant... does not exist
    ├── ConfigurationError        a session or store was given what cannot work (also a
    │                             ValueError): raised by the constructor, nothing sent
    ├── StoreError                a token store could not be read or written (transient), or
    │                             holds another identity's tokens (not retryable)
    ├── InvalidTokenError         TokenVerifier: a token your app received is not valid (a 401
    │                             for its caller): .reason says why, never the token
    └── InsufficientAccessError   TokenVerifier: a valid token lacks a permission or a role the
                                  route requires (a 403): .missing_permissions, .missing_roles

The last two are about tokens sent *to* your application, not about the session's own: they
are the caller's doing, and never retryable. When a verifier cannot get Frontegg's signing keys,
it raises the fetch's own family (``TransportError``, ``ServerError``, ``ResponseFormatError``...):
the service is failing, not the token.

``retryable`` is the library's own verdict: transient errors (``RateLimitedError``,
``ServerError``, ``TransportError``, most ``StoreError``) are retried by the background task with
backoff; the others need a change on the caller's side first. How a renewal reacts to each is
decided in one place, ``_core.policy.classify``.

No message ever contains a password, a token or a cookie: messages are built from the status,
the server's ``errors`` list and the request's name only.
"""

from __future__ import annotations

import copy
import email.utils
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "ForbiddenError",
    "FronteggError",
    "InsufficientAccessError",
    "InvalidRequestError",
    "InvalidTokenError",
    "MfaRequiredError",
    "NotFoundError",
    "RateLimitedError",
    "ResponseFormatError",
    "ServerError",
    "SessionClosedError",
    "SessionError",
    "SessionExpiredError",
    "StoreError",
    "TransportError",
    "WrongLoopError",
    "WrongSessionError",
    "decipher_response",
]


class FronteggError(Exception):
    """Base class of every error raised by frontegg-async.

    Attributes:
        status: the HTTP status of the answer that caused it, or None when there was none.
        errors: the messages the server sent in its ``{"errors": [...]}`` body (may be empty).
        retryable: True when trying the same call again later may succeed.
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        errors: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.errors: tuple[str, ...] = tuple(errors)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status!r})"


class AuthenticationError(FronteggError):
    """Frontegg refused the credentials, the refresh token or the bearer token.

    Check the email, password or secret; a session with ``relogin=True`` logs in again by itself
    when only the refresh token was refused.
    """


class ForbiddenError(AuthenticationError):
    """Frontegg answered 403: the token was accepted but may not do this (a missing role or
    permission, a management call with a user token). A renewal would not change that, so none
    is made; an ``AuthenticationError`` handler still catches it."""


class MfaRequiredError(AuthenticationError):
    """The login needs a second factor.

    Pass the 6-digit code to ``FronteggSession.verify_mfa(code)``, or give the session a
    ``totp_secret`` so it answers by itself. ``mfa_token`` is the challenge token (a secret: it is
    kept out of the message and the repr); ``strategies`` the second factors the answer offered
    (``("AuthenticatorApp", "SMS")``, empty when it named none); ``enrolled`` whether the user
    has one enrolled (False: they must enrol first; None when the answer did not say).
    """

    def __init__(
        self,
        message: str,
        *,
        mfa_token: str,
        strategies: tuple[str, ...] = (),
        enrolled: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.mfa_token = mfa_token
        self.strategies = strategies
        self.enrolled = enrolled


class SessionError(FronteggError):
    """The session, as it stands, cannot serve the call; the subclass says why. Nothing was
    sent for the call itself: what helps is a change on the caller's side (log in again, a
    new session, the right kind of session)."""


class SessionExpiredError(SessionError):
    """The session holds no usable token and could not get one: it must log in again."""


class SessionClosedError(SessionError):
    """The session was used after ``aclose()``; create a new one."""


class WrongLoopError(SessionError):
    """The session was used from an event loop other than the one it first ran in.

    A session's renewal task and connections belong to that loop, so it cannot move. Create
    one session in each loop (each ``asyncio.run()`` starts a new loop, and so does each
    thread running one); sessions that share a store (``FileStore``, ``RedisStore``) share one
    identity and renew it once between them."""


class RateLimitedError(FronteggError):
    """Frontegg answered 429 Too Many Requests.

    ``retry_after`` holds the seconds the server asked to wait (from ``Retry-After``), or None.
    """

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        status: int | None = 429,
        errors: Sequence[str] = (),
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, errors=errors)
        self.retry_after = retry_after


class ServerError(FronteggError):
    """Frontegg failed on its side (5xx, 408, or an error page that is not JSON); retry later."""

    retryable = True


class TransportError(FronteggError):
    """The request never got an answer: the connection failed, dropped or timed out.

    ``maybe_processed`` is False only when the request certainly never reached the server (the
    connection could not be made); after a timeout or a dropped answer the server may have
    acted on it.
    """

    retryable = True

    def __init__(self, message: str, *, maybe_processed: bool = True) -> None:
        super().__init__(message)
        self.maybe_processed = maybe_processed


class ResponseFormatError(FronteggError):
    """A successful answer could not be read: it was not JSON or lacked a required field.

    This points at a change on Frontegg's side or a proxy in between; the message names the field.

    Attributes:
        data: for a typed call of ``FronteggClient`` whose answer was JSON that did not fit its
            model (a field Frontegg left null, say), that JSON as decoded, so the caller can
            read it anyway; None otherwise (the session's own auth answers carry tokens and are
            never kept). It is never part of the error's str, repr or args.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        errors: Sequence[str] = (),
        data: Any = None,
    ) -> None:
        super().__init__(message, status=status, errors=errors)
        self.data = data


class InvalidRequestError(FronteggError):
    """Frontegg refused the request's content (HTTP 400 or 422), or the library did before
    sending it; ``errors`` holds the server's messages. Fix the parameters and call again."""


class NotFoundError(FronteggError):
    """Frontegg answered 404: what the request names (a user, a role, a tenant...) is not there."""


class WrongSessionError(SessionError):
    """An API operation was called through a client whose session holds the wrong kind of
    token (say, a management call on a user session). Nothing was sent: build a
    ``FronteggClient`` on the session the operation's group names."""


class ConfigurationError(FronteggError, ValueError):
    """A session, store or client was given something that cannot work (a URL, a header value
    with a line break, a ratio out of range, an object of the wrong kind). Raised at once by
    the constructor, before anything is sent; the message names the argument. It is a
    ``ValueError`` too."""


def has_control_character(text: str) -> bool:
    """Whether ``text`` holds a control character (CR, LF, NUL, DEL...): never in a header."""
    return any(ord(char) < 0x20 or ord(char) == 0x7F for char in text)


def check_header_value(value: str, name: str) -> str:
    """``value``, if it can travel in an HTTP header: no control character (CR, LF, NUL...)."""
    if has_control_character(value):
        raise ConfigurationError(
            f"{name} contains a control character (a line break?); it travels in an HTTP "
            "header, where that cannot be sent"
        )
    return value


class StoreError(FronteggError):
    """A token store could not be read or written, or holds another identity's tokens.

    An unreachable, slow or failing store is transient (``retryable``): the session keeps its
    token in memory, goes on renewing, and writes the store once it answers again. A store that
    holds the tokens of another identity is not (``retryable`` is False): give each identity a
    store (a file, a Redis key) of its own.
    """

    retryable = True

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class InvalidTokenError(FronteggError):
    """A token given to ``TokenVerifier.verify`` is not a valid Frontegg token: malformed, signed
    by no key of the environment, expired, not yet valid, for another audience or issuer, or of a
    type the verifier does not accept. Answer its sender 401; it must get a new token.

    ``reason`` says which check failed, in words fit for a log (``"the token has expired"``);
    neither it nor the message ever holds the token.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"the token was refused: {reason}; its sender must present a valid Frontegg token",
            status=401,
        )
        self.reason = reason


class InsufficientAccessError(FronteggError):
    """A valid token lacks permissions or roles that were required of it. Answer its sender
    403: a new token of the same identity would not help, more access would.

    ``missing_permissions`` and ``missing_roles`` name what it lacks (the token's claims, not
    secrets); ``token`` is the ``VerifiedToken`` that was checked.
    """

    def __init__(
        self,
        *,
        missing_permissions: tuple[str, ...],
        missing_roles: tuple[str, ...],
        token: Any = None,
    ) -> None:
        lacking = [
            f"{kind} {', '.join(names)}"
            for kind, names in (("permissions", missing_permissions), ("roles", missing_roles))
            if names
        ]
        super().__init__(
            f"the token is valid but lacks the {' and the '.join(lacking)} this requires",
            status=403,
        )
        self.missing_permissions = missing_permissions
        self.missing_roles = missing_roles
        self.token = token


def restated(error: FronteggError, message: str) -> FronteggError:
    """A new error of ``error``'s kind and fields (status, server messages, retry verdict),
    saying ``message``: for telling many callers about one failure without them sharing (and
    each adding to the traceback of) one exception object."""
    try:
        fresh = copy.copy(error)
    except TypeError:  # a subclass whose constructor wants more than the message
        fresh = FronteggError(message, status=error.status, errors=error.errors)
    fresh.message = message
    fresh.args = (message,)
    fresh.__traceback__ = fresh.__cause__ = fresh.__context__ = None
    return fresh


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)


def _server_messages(body: bytes) -> tuple[tuple[str, ...], bool]:
    """The server's messages from an error body, and whether the body was JSON at all."""
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return (), False
    messages: list[str] = []
    if isinstance(data, Mapping):
        errors = data.get("errors")
        if isinstance(errors, list):
            messages.extend(str(e) for e in errors if isinstance(e, str | int | float))
        elif isinstance(errors, str):
            messages.append(errors)
        message = data.get("message")
        if isinstance(message, str) and message not in messages:
            messages.append(message)
        elif isinstance(message, list):
            messages.extend(str(m) for m in message if isinstance(m, str))
        # RFC 6749's error body, as the hosted login's /oauth endpoints answer.
        oauth_error, description = data.get("error"), data.get("error_description")
        if isinstance(oauth_error, str):
            messages.append(
                f"{oauth_error}: {description}" if isinstance(description, str) else oauth_error
            )
    return tuple(messages), True


def decipher_response(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    what: str,
) -> FronteggError | None:
    """Map an HTTP answer to the error it means, or None for a success (any 2xx).

    ``what`` names the call in the message ("login", "refresh", ...). This function is pure: it
    reads only its arguments, so every mapping is tested without a network.
    """
    if 200 <= status < 300:
        return None
    messages, is_json = _server_messages(body)
    said = f": {'; '.join(messages)}" if messages else ""
    if status == 429:
        retry_after = parse_retry_after(headers.get("Retry-After"))
        wait = f"; retry after {retry_after:g} s" if retry_after is not None else ""
        return RateLimitedError(
            f"{what} was rate limited (HTTP 429){said}{wait}",
            errors=messages,
            retry_after=retry_after,
        )
    if status >= 500 or status == 408:
        return ServerError(
            f"{what} failed on Frontegg's side (HTTP {status}){said}",
            status=status,
            errors=messages,
        )
    if not is_json and status not in (401, 403):
        return ServerError(
            f"{what} got HTTP {status} with a body that is not JSON (a proxy or error page?)",
            status=status,
        )
    if status == 403:
        return ForbiddenError(
            f"{what} was forbidden (HTTP 403){said}: the token is good but may not do this",
            status=status,
            errors=messages,
        )
    if status == 401:
        return AuthenticationError(
            f"{what} was refused (HTTP {status}){said}",
            status=status,
            errors=messages,
        )
    if status in (400, 422):
        return InvalidRequestError(
            f"{what} was refused as invalid (HTTP {status}){said}",
            status=status,
            errors=messages,
        )
    if status == 404:
        return NotFoundError(f"{what} found nothing (HTTP 404){said}", status=404, errors=messages)
    return FronteggError(f"{what} failed (HTTP {status}){said}", status=status, errors=messages)
