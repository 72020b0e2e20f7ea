"""What a web app answers when ``TokenVerifier.verify`` fails: one mapping of its errors to HTTP
answers (401 and 403 with RFC 6750's ``WWW-Authenticate``, 503 with ``Retry-After``), for the
aiohttp.web middleware and decorator here and for ``frontegg_async.fastapi``."""

from __future__ import annotations

import functools
import logging
import math
import warnings
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.typedefs import Middleware as ServerMiddleware
from attrs import frozen

from ._claims import bearer_token
from ._errors import FronteggError, InsufficientAccessError, InvalidTokenError
from ._secrets import fingerprint

if TYPE_CHECKING:
    from ._verify import TokenVerifier

logger = logging.getLogger("frontegg_async")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@frozen
class Refusal:
    """The HTTP answer to a request whose token did not pass."""

    status: int
    message: str
    headers: Mapping[str, str]


def refusal_for(error: FronteggError, *, authorization: str | None, retry_after: float) -> Refusal:
    """401, 403 or 503 for what ``verify`` raised about a request's ``Authorization`` header
    (None: it had none); ``retry_after`` is the verifier's, for a 503. Logged at DEBUG, the
    token by its fingerprint."""
    refusal = _refusal(error, token_sent=authorization is not None, retry_after=retry_after)
    logger.debug(
        "answered %d to a request (token %s): %s",
        refusal.status,
        "none" if authorization is None else fingerprint(_without_scheme(authorization)),
        refusal.message,
    )
    return refusal


def _without_scheme(authorization: str) -> str:
    # The token alone is fingerprinted, so that the label matches the session's own logs.
    try:
        return bearer_token(authorization)
    except InvalidTokenError:
        return authorization


def _refusal(error: FronteggError, *, token_sent: bool, retry_after: float) -> Refusal:
    if isinstance(error, InvalidTokenError):
        if not token_sent:
            return Refusal(401, "a bearer token is required", {"WWW-Authenticate": "Bearer"})
        description = error.reason.replace('"', "'").replace("\\", "/")
        challenge = f'Bearer error="invalid_token", error_description="{description}"'
        return Refusal(401, error.message, {"WWW-Authenticate": challenge})
    if isinstance(error, InsufficientAccessError):
        return Refusal(
            403, error.message, {"WWW-Authenticate": 'Bearer error="insufficient_scope"'}
        )
    # No key at hand to decide: the service is failing, not the token, so the client is not
    # told to drop it.
    seconds = str(max(1, math.ceil(retry_after)))
    return Refusal(503, f"tokens cannot be verified now: {error}", {"Retry-After": seconds})


async def _admit(
    verifier: TokenVerifier,
    request: web.Request,
    permissions: tuple[str, ...],
    roles: tuple[str, ...],
) -> web.Response | None:
    """None once the request's token passed (it is then on ``request["frontegg"]``), else the
    answer to send."""
    authorization = request.headers.get("Authorization")
    try:
        verified = await verifier.verify(authorization or "", permissions=permissions, roles=roles)
    except FronteggError as error:
        refusal = refusal_for(error, authorization=authorization, retry_after=verifier.retry_after)
        return web.json_response(
            {"errors": [refusal.message]}, status=refusal.status, headers=refusal.headers
        )
    with warnings.catch_warnings():
        # aiohttp 3.14 recommends typed keys (web.RequestKey, which 3.12 lacks); the
        # documented place is the plain "frontegg" one, for every supported release.
        warnings.simplefilter("ignore", web.NotAppKeyWarning)
        request["frontegg"] = verified
    return None


def middleware(
    verifier: TokenVerifier, permissions: tuple[str, ...], roles: tuple[str, ...]
) -> ServerMiddleware:
    """``TokenVerifier.aiohttp_middleware``."""

    @web.middleware
    async def frontegg_verify(request: web.Request, handler: Handler) -> web.StreamResponse:
        refused = await _admit(verifier, request, permissions, roles)
        return refused if refused is not None else await handler(request)

    return frontegg_verify


def decorator(
    verifier: TokenVerifier, permissions: tuple[str, ...], roles: tuple[str, ...]
) -> Callable[[Handler], Handler]:
    """``TokenVerifier.require``."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            refused = await _admit(verifier, request, permissions, roles)
            return refused if refused is not None else await handler(request)

        return guarded

    return decorate
