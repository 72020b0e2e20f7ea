"""``session.httpx_auth``: the one 401 flow (``_core.bearer``) as an ``httpx.Auth``, for apps
that call Frontegg or their own services with httpx. Imported only when asked for, so that
``import frontegg_async`` never needs httpx (the optional extra ``frontegg-async[httpx]``)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator

import httpx

from ._core.bearer import Discard, FreshToken, Send, bearer_flow
from ._errors import ConfigurationError
from ._http import check_bearer_transport


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


class FronteggAuth(httpx.Auth):
    """Sends each request with the session's fresh token; on a 401, renews once (only if the
    refused token is still the current one) and sends once more. For ``httpx.AsyncClient``."""

    # The body is read before the first send, so that a request refused with a 401 can be
    # sent again whole (httpx replays it from memory).
    requires_request_body = True

    def __init__(
        self,
        access_token: Callable[[], Awaitable[str]],
        renew_if_current: Callable[[str], Awaitable[None]],
    ) -> None:
        self._access_token = access_token
        self._renew_if_current = renew_if_current

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        check_bearer_transport(request.url.scheme, request.url.host)
        flow = bearer_flow()
        reply: str | int | None = None
        try:
            while True:
                try:
                    step = flow.send(reply)
                except StopIteration:
                    return
                if isinstance(step, FreshToken):
                    reply = await self._access_token()
                elif isinstance(step, Send):
                    request.headers["Authorization"] = f"Bearer {step.token}"
                    response = yield request
                    if _origin(response.request.url) != _origin(request.url):
                        # Redirected to another origin (httpx dropped the token on the way):
                        # whatever it answers, a 401 included, is not about our token.
                        return
                    reply = response.status_code
                elif isinstance(step, Discard):
                    reply = None  # httpx closes an answer it will not return
                else:
                    await self._renew_if_current(step.rejected)
                    reply = None
        finally:
            flow.close()

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise ConfigurationError(
            "session.httpx_auth is for httpx.AsyncClient: the session runs on asyncio"
        )
        yield request  # pragma: no cover  (a generator, as httpx expects)
