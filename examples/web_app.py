"""An aiohttp web app that calls a Frontegg-protected API on behalf of one service user.

The session is opened in the app's cleanup context (logged in at startup, logged out at
shutdown) and its middleware authenticates every request of the app's own ClientSession.

    FRONTEGG_BASE_URL=https://app-xxxx.frontegg.com/identity \\
    FRONTEGG_EMAIL=svc@example.com FRONTEGG_PASSWORD=... python examples/web_app.py

Without those variables it runs against the embedded fake Frontegg.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from frontegg_async import FronteggSession

SESSION = web.AppKey("frontegg_session", FronteggSession)
HTTP = web.AppKey("http", aiohttp.ClientSession)


def make_app(base_url: str, email: str, password: str) -> web.Application:
    """The web app: ``GET /whoami`` answers with the service user's Frontegg profile."""

    async def frontegg(app: web.Application) -> AsyncIterator[None]:
        async with FronteggSession(base_url, email=email, password=password) as session:
            app[SESSION] = session
            async with aiohttp.ClientSession(middlewares=[session.middleware]) as http:
                app[HTTP] = http
                yield

    async def whoami(request: web.Request) -> web.Response:
        session = request.app[SESSION]
        # Any request to the identity host gets a fresh bearer token from the middleware.
        async with request.app[HTTP].get(session.identity_url / "resources/users/v2/me") as answer:
            profile = await answer.json()
        return web.json_response({"email": profile["email"], "tenant": profile["tenantId"]})

    app = web.Application()
    app.cleanup_ctx.append(frontegg)
    app.router.add_get("/whoami", whoami)
    return app


async def main() -> None:
    """Serve on 127.0.0.1:8080 against Frontegg, or against the fake when not configured."""
    base_url = os.environ.get("FRONTEGG_BASE_URL")
    if base_url:
        app = make_app(base_url, os.environ["FRONTEGG_EMAIL"], os.environ["FRONTEGG_PASSWORD"])
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 8080).start()
        print("serving http://127.0.0.1:8080/whoami")
        await asyncio.Event().wait()
    from frontegg_async.testing import FakeFrontegg

    async with FakeFrontegg(token_lifetime=5) as fake:
        fake.add_user("svc@example.com", "svc-password")
        runner = web.AppRunner(make_app(str(fake.identity_url), "svc@example.com", "svc-password"))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/whoami"  # type: ignore[union-attr]
        async with aiohttp.ClientSession() as client, client.get(url) as answer:
            print(url, "->", await answer.json())
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
