"""The machine sessions: ``EnvironmentSession`` (the environment's management token) and
``ApiTokenSession`` (machine-to-machine API tokens), both from a client id and a secret."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import aiohttp
from yarl import URL

from ._clock import Clock
from ._core.flows import ApiToken, Environment, Strategy
from ._models import ApiTokenResponse, VendorToken
from ._regions import Region
from ._secrets import Secret
from ._session import _require, _TokenSession, _url_of
from ._stores import TokenStore
from ._stores.codec import StoreIdentity

AnswerT = TypeVar("AnswerT")


class _MachineSession(_TokenSession[AnswerT]):
    """What the two machine sessions share: client credentials, and relogin always on."""

    def _init_machine(
        self,
        strategy_type: Callable[..., Strategy[AnswerT]],
        *,
        kind: str,
        strategy_url: URL,
        identity_url: URL,
        client_id: str,
        secret: str,
        http: aiohttp.ClientSession | None,
        refresh_ratio: float,
        timeout: float,
        clock: Clock | None,
        store: TokenStore | None,
    ) -> None:
        """Set up a session for a machine (client credentials) strategy; ``kind`` names it in
        the store's identity."""
        _require(client_id, "client_id", plain=True)
        _require(secret, "secret")

        def make_strategy(now: Callable[[], float]) -> Strategy[AnswerT]:
            return strategy_type(
                base_url=strategy_url,
                client_id=client_id,
                secret=Secret(secret),
                clock=now,
            )

        super().__init__(
            identity_url=identity_url,
            name=f"{type(self).__name__}({client_id})",
            make_strategy=make_strategy,
            http=http,
            refresh_ratio=refresh_ratio,
            relogin=True,
            timeout=timeout,
            clock=clock,
            store=store,
            identity=StoreIdentity(kind=kind, url=str(strategy_url), subject=client_id),
        )


class EnvironmentSession(_MachineSession[VendorToken]):
    """The environment (vendor) token, for Frontegg's management endpoints, kept fresh.

    ``POST {gateway}/auth/vendor`` with the environment's client id and API key. The token has
    no refresh token: renewing is authenticating again, at ``refresh_ratio`` of its lifetime,
    with the same single flight, retries and leeway as a user session.

    Args:
        region_or_gateway_url: a ``Region`` or the gateway root, e.g.
            ``"https://api.frontegg.com"``. ``request()`` paths are relative to its
            ``/identity``.
        client_id: the environment's client id.
        secret: the environment's API key (kept out of every repr, message and log).
        http, refresh_ratio, timeout, clock, store: as for ``FronteggSession``.
    """

    def __init__(
        self,
        region_or_gateway_url: Region | URL | str,
        *,
        client_id: str,
        secret: str,
        http: aiohttp.ClientSession | None = None,
        refresh_ratio: float = 0.8,
        timeout: float = 10.0,
        clock: Clock | None = None,
        store: TokenStore | None = None,
    ) -> None:
        gateway = _url_of(
            region_or_gateway_url, region_url=lambda r: r.api_url, what="region_or_gateway_url"
        )
        self._gateway_url = gateway
        self._init_machine(
            Environment,
            kind="environment",
            strategy_url=gateway,
            identity_url=gateway / "identity",
            client_id=client_id,
            secret=secret,
            http=http,
            refresh_ratio=refresh_ratio,
            timeout=timeout,
            clock=clock,
            store=store,
        )

    @property
    def gateway_url(self) -> URL:
        """The gateway root that ``/auth/vendor`` is under."""
        return self._gateway_url


class ApiTokenSession(_MachineSession[ApiTokenResponse]):
    """A machine-to-machine API token (tenant or user API token), kept fresh.

    ``POST /resources/auth/v2/api-token`` with the token's client id and secret, then its
    rotating refresh (``.../api-token/token/refresh``). When a refresh token is refused, the
    session authenticates again with the client id and secret.

    Args:
        base_url: a ``Region`` or the identity base URL (usually your own sub-domain's).
        client_id: the API token's client id.
        secret: the API token's secret (kept out of every repr, message and log).
        http, refresh_ratio, timeout, clock, store: as for ``FronteggSession``.
    """

    def __init__(
        self,
        base_url: Region | URL | str,
        *,
        client_id: str,
        secret: str,
        http: aiohttp.ClientSession | None = None,
        refresh_ratio: float = 0.8,
        timeout: float = 10.0,
        clock: Clock | None = None,
        store: TokenStore | None = None,
    ) -> None:
        url = _url_of(base_url, region_url=lambda r: r.identity_url, what="base_url")
        self._init_machine(
            ApiToken,
            kind="api token",
            strategy_url=url,
            identity_url=url,
            client_id=client_id,
            secret=secret,
            http=http,
            refresh_ratio=refresh_ratio,
            timeout=timeout,
            clock=clock,
            store=store,
        )
