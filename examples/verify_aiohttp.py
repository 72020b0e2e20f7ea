"""An aiohttp.web API that serves only requests bearing a valid Frontegg token.

FRONTEGG_DOMAIN=https://app-xxxx.frontegg.com python examples/verify_aiohttp.py
"""

from __future__ import annotations

import os

from aiohttp import web

from frontegg_async import TokenVerifier, VerifiedToken


def make_app(domain: str, client_id: str | None = None) -> web.Application:
    verifier = TokenVerifier(domain, audience=client_id)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})  # no token needed

    @verifier.require()
    async def me(request: web.Request) -> web.Response:
        token: VerifiedToken = request["frontegg"]
        return web.json_response({"user": token.sub, "tenant": token.tenant_id})

    @verifier.require(permissions="fe.secure.read.users")
    async def users(request: web.Request) -> web.Response:
        token: VerifiedToken = request["frontegg"]
        return web.json_response({"tenant": token.tenant_id, "users": []})

    async def close_verifier(app: web.Application) -> None:
        await verifier.aclose()

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/me", me)
    app.router.add_get("/users", users)
    app.on_cleanup.append(close_verifier)
    return app


if __name__ == "__main__":
    domain = os.environ["FRONTEGG_DOMAIN"]
    web.run_app(make_app(domain, os.environ.get("FRONTEGG_CLIENT_ID")), host="127.0.0.1")
