"""A FastAPI app that serves only requests bearing a valid Frontegg token.

pip install 'frontegg-async[fastapi]' uvicorn
FRONTEGG_DOMAIN=https://app-xxxx.frontegg.com uvicorn examples.verify_fastapi:app
"""

# No "from __future__ import annotations" here: FastAPI reads the route's annotations, and
# SignedIn and UserReader are local names it could not resolve from strings.
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI

from frontegg_async import TokenVerifier, VerifiedToken
from frontegg_async.fastapi import require


def make_app(domain: str, client_id: str | None = None) -> FastAPI:
    verifier = TokenVerifier(domain, audience=client_id)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with verifier:  # closes its connections at shutdown
            yield

    app = FastAPI(lifespan=lifespan)
    SignedIn = Annotated[VerifiedToken, Depends(require(verifier))]
    UserReader = Annotated[
        VerifiedToken, Depends(require(verifier, permissions="fe.secure.read.users"))
    ]

    @app.get("/me")
    async def me(token: SignedIn) -> dict[str, str | None]:
        return {"user": token.sub, "tenant": token.tenant_id}

    @app.get("/users")
    async def users(token: UserReader) -> dict[str, object]:
        return {"tenant": token.tenant_id, "users": []}

    return app


if "FRONTEGG_DOMAIN" in os.environ:
    app = make_app(os.environ["FRONTEGG_DOMAIN"], os.environ.get("FRONTEGG_CLIENT_ID"))
