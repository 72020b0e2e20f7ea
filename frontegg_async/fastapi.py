"""``TokenVerifier`` as a FastAPI dependency (``pip install 'frontegg-async[fastapi]'``).

::

    from fastapi import Depends, FastAPI
    from frontegg_async import TokenVerifier, VerifiedToken
    from frontegg_async.fastapi import require

    verifier = TokenVerifier("https://app-xxxx.frontegg.com")
    app = FastAPI()

    readers = require(verifier, permissions="fe.secure.read.users")

    @app.get("/users")
    async def users(token: VerifiedToken = Depends(readers)):
        ...

The answers are the aiohttp middleware's: 401 with ``WWW-Authenticate: Bearer`` (and
``error="invalid_token"`` when a token was sent), 403 with ``error="insufficient_scope"``, 503
with ``Retry-After`` when the keys cannot be fetched; the detail is the reason, never the token.
The verified token is also put on ``request.state.frontegg``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

try:
    from fastapi import HTTPException, Request
except ImportError as missing:  # pragma: no cover - the extra is part of every test setup
    raise ImportError(
        "frontegg_async.fastapi needs FastAPI: pip install 'frontegg-async[fastapi]'"
    ) from missing

from ._errors import FronteggError
from ._guards import refusal_for
from ._verify import TokenVerifier, VerifiedToken, names_of

__all__ = ["require"]


def require(
    verifier: TokenVerifier,
    *,
    permissions: str | Iterable[str] = (),
    roles: str | Iterable[str] = (),
) -> Callable[[Request], Awaitable[VerifiedToken]]:
    """A dependency that verifies the request's bearer token with ``verifier`` and returns the
    ``VerifiedToken``, or answers 401, 403 or 503 (see the module's docstring)."""
    wanted_permissions, wanted_roles = (
        names_of(permissions, "permissions"),
        names_of(roles, "roles"),
    )

    async def frontegg_token(request: Request) -> VerifiedToken:
        authorization = request.headers.get("Authorization")
        failure: FronteggError | None = None
        try:
            verified = await verifier.verify(
                authorization or "", permissions=wanted_permissions, roles=wanted_roles
            )
        except FronteggError as error:
            failure = error
        if failure is not None:
            refusal = refusal_for(
                failure, authorization=authorization, retry_after=verifier.retry_after
            )
            # Raised outside the handler: nothing of the verification rides along as context.
            raise HTTPException(refusal.status, refusal.message, headers=dict(refusal.headers))
        request.state.frontegg = verified
        return verified

    return frontegg_token
