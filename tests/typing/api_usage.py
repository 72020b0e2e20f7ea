"""Uses the whole public API; checked by ``mypy --strict`` in CI, never run."""

from __future__ import annotations

import aiohttp
from yarl import URL

import frontegg_async
from frontegg_async import (
    AuthenticationError,
    AuthResponse,
    Clock,
    FronteggError,
    FronteggSession,
    MfaAuthenticatorApp,
    MfaDevices,
    MfaEmailDevice,
    MfaPhoneDevice,
    MfaRequiredError,
    MfaWebAuthnDevice,
    RateLimitedError,
    Region,
    ResponseFormatError,
    ServerError,
    SessionClosedError,
    SessionError,
    SessionExpiredError,
    TransportError,
    WrongLoopError,
)
from frontegg_async.testing import FakeFrontegg, FakeUser, Fault, JumpingClock, RecordedRequest


async def use_everything(http: aiohttp.ClientSession, clock: Clock) -> None:
    installed: str = frontegg_async.__version__
    session = FronteggSession(
        Region.EU,
        email="a@example.com",
        password="pw",
        vendor_host="app.example.com",
        client_id="abc-def",
        application_id="app-1",
        http=http,
        refresh_ratio=0.75,
        relogin=False,
        totp_secret="JBSWY3DPEHPK3PXP",
        timeout=5.0,
        clock=clock,
    )
    other = FronteggSession(URL("https://app-x.frontegg.com/identity"), email="e", password="p")
    async with other:
        token: str = await other.access_token()
        auth: AuthResponse | None = other.auth
        refreshed: AuthResponse = await other.refresh()
    try:
        first: AuthResponse = await session.login()
    except MfaRequiredError as challenge:
        mfa_token: str = challenge.mfa_token
        offered: tuple[str, ...] = challenge.strategies
        enrolled: bool | None = challenge.enrolled
        first = await session.verify_mfa("123456")
    except (AuthenticationError, RateLimitedError, ServerError, TransportError) as error:
        status: int | None = error.status
        messages: tuple[str, ...] = error.errors
        retry: bool = error.retryable
        raise
    except (ResponseFormatError, SessionExpiredError, SessionClosedError, FronteggError):
        raise
    try:
        await session.access_token()
    except WrongLoopError as moved:
        family: SessionError = moved
        raise family from None
    devices: MfaDevices | None = first.mfa_devices
    if devices is not None:
        keys: tuple[MfaWebAuthnDevice, ...] = devices.webauthn
        phones: tuple[MfaPhoneDevice, ...] = devices.phones
        apps: tuple[MfaAuthenticatorApp, ...] = devices.authenticators
        emails: tuple[MfaEmailDevice, ...] = devices.emails
    lifetime: float | None = first.expires_in
    strategies: tuple[str, ...] | None = first.mfa_strategies
    last: FronteggError | None = session.last_error
    base: URL = session.base_url
    closed: bool = session.closed
    await session.logout()
    await session.aclose()
    identity: URL = Region.US.identity_url
    gateway: URL = Region.US.api_url
    if isinstance(last, RateLimitedError):
        wait: float | None = last.retry_after
    names: list[str] = frontegg_async.__all__


async def use_testing() -> None:
    jumping = JumpingClock()
    async with FakeFrontegg(token_lifetime=2, clock=jumping.time) as fake:
        user: FakeUser = fake.add_user("a@example.com", "pw", totp_secret=None)
        fake.fail_next("refresh", times=2, status=503)
        fake.fail_next("login", fault=Fault(delay=0.1, drop=True))
        fake.revoke_sessions(user.email)
        jumping.jump(10.0)
        url: URL = fake.identity_url
        seen: list[RecordedRequest] = fake.requests
        count: int = fake.calls["refresh"]
        claims: dict[str, object] = fake.decode("a.b.c")
        now: float = fake.now()


async def use_machine_sessions_and_events(fake: FakeFrontegg) -> None:
    from aiohttp import ClientSession

    from frontegg_async import (
        ApiTokenResponse,
        ApiTokenSession,
        Claims,
        EnvironmentSession,
        EventKind,
        Permission,
        Role,
        SessionState,
        Subscription,
        TokenEvent,
        User,
        UserTenant,
        VendorToken,
    )
    from frontegg_async.testing import FakeApiToken

    api_token: FakeApiToken = fake.add_api_token("id", "secret", tenant_id="t")
    fake.reject_access_tokens()
    async with EnvironmentSession(Region.EU, client_id="id", secret="s") as environment:
        vendor: VendorToken = await environment.refresh()
        listing: object = await environment.request("GET", "resources/users/v3", params={"a": 1})
        once: object = await environment.request("POST", "resources/x", json={}, retries=0)
        gateway: URL = environment.gateway_url
    async with ApiTokenSession("https://x.example/identity", client_id="i", secret="s") as api:
        pair: ApiTokenResponse = await api.refresh()
        state: SessionState = api.state
        claims: Claims | None = api.claims
        if claims is not None:
            tenant: str | None = claims.tenant_id
            roles: tuple[str, ...] = claims.roles
    user_session = FronteggSession("https://x.example/identity", email="e", password="p")
    me: User = await user_session.me()
    tenants: tuple[UserTenant, ...] = me.tenants
    user_roles: tuple[Role, ...] = me.roles
    permissions: tuple[Permission, ...] = me.permissions
    switched: User = await user_session.switch_tenant("t2")
    async with ClientSession(middlewares=[user_session.middleware]) as http:
        await http.get("https://x.example/identity/resources/users/v2/me")
    extra = user_session.middleware_for("api.example.com")
    events: Subscription = user_session.subscribe(maxsize=10)
    async for event in events:
        kind: EventKind = event.kind
        when: float = event.at
        label: str | None = event.fingerprint
        failure: FronteggError | None = event.error
    lost: int = events.dropped

    async def on_event(event: TokenEvent) -> None:
        pass

    def on_event_sync(event: TokenEvent) -> None:
        pass

    remove = user_session.on_event(on_event, timeout=1.0)
    user_session.on_event(on_event_sync)
    remove()
    identity: URL = user_session.identity_url


async def use_stores(fake: FakeFrontegg) -> None:
    import redis.asyncio

    from frontegg_async import FileStore, MemoryStore, RedisStore, StoreError, TokenStore
    from frontegg_async.testing import RedisServer

    async with RedisServer() as redis_server:
        redis_server.freeze()
        redis_server.thaw()
        await redis_server.kill()
        await redis_server.start(timeout=5.0)
        address: str = redis_server.url
    client = redis.asyncio.Redis(host="127.0.0.1", port=redis_server.port)
    stores: list[TokenStore] = [
        MemoryStore(),
        FileStore("/tmp/tokens.json", timeout=2.0),
        RedisStore(client, "frontegg:e", lease_ttl=None, poll=0.05, timeout=1.0),
    ]
    for store in stores:
        shared: bool = store.shared
        async with store.lease(1.0) as held:
            state = await store.load()
            if held and state is not None:
                await store.save(state)
        await store.delete()
    session = FronteggSession(fake.identity_url, email="e", password="p", store=stores[1])
    try:
        async with session:
            pass
    except StoreError as error:
        message: str = str(error)
        transient: bool = error.retryable
    try:
        FronteggSession(fake.identity_url, email="e\n", password="p")
    except frontegg_async.ConfigurationError as refused:
        as_value_error: ValueError = refused


async def use_the_api_client(
    user: FronteggSession, environment: frontegg_async.EnvironmentSession
) -> None:
    from collections.abc import AsyncIterator

    from frontegg_async import (
        FronteggClient,
        InvalidRequestError,
        NotFoundError,
        WrongSessionError,
    )
    from frontegg_async.api import Page, PageMetadata, RolesApi, UsersApi
    from frontegg_async.api._client import FronteggClient as Generated
    from frontegg_async.api.models import AddRoleRequest, RoleResponse, UserDto, UserV3Dto

    client: FronteggClient[FronteggSession] = FronteggClient(user)
    generated: type[Generated[FronteggSession]] = FronteggClient
    # Management groups exist only on a client of an EnvironmentSession: mypy says so (and
    # warn_unused_ignores makes this line fail the check if it ever stops saying so).
    wrong = client.roles  # type: ignore[misc]
    users: UsersApi = client.users
    me: UserV3Dto = await users.get_me()  # the newest version has the plain name
    again: UserV3Dto = await users.get_me(retries=5)
    older: UserDto = await users.get_me_v2()
    admin = FronteggClient(environment)
    roles: RolesApi = admin.roles
    created: list[RoleResponse] = await roles.create(
        [AddRoleRequest(key="k", name="n", level=1)], frontegg_tenant_id="t"
    )
    await roles.delete(created[0].id)
    page: Page[UserV3Dto] = await admin.users.get(limit=10, offset=0, sort_by="email")
    totals: PageMetadata | None = page.metadata
    walk: AsyncIterator[UserV3Dto] = admin.users.iter_get(page_size=100, retries=1)
    async for one in walk:
        email: str = one.email
    try:
        await admin.roles.get()
    except (WrongSessionError, InvalidRequestError, NotFoundError) as error:
        problems: tuple[str, ...] = error.errors


async def use_hosted_login(fake: FakeFrontegg, store: frontegg_async.TokenStore) -> None:
    opened: list[str] = []

    async def open_in_browser(url: str) -> None:
        opened.append(url)

    session: frontegg_async.OAuthSession = await frontegg_async.hosted_login(
        fake.url, client_id=fake.client_id, open_browser=open_in_browser, store=store, timeout=60.0
    )
    token: str = await session.access_token()
    answer: frontegg_async.OAuthTokens | None = session.auth
    if answer is not None:
        bearer: str = answer.id_token
        lifetime: float | None = answer.expires_in
    renewed: frontegg_async.OAuthTokens = await session.refresh()
    domain: URL = session.domain
    await session.logout()
    async with frontegg_async.OAuthSession(
        "https://app-xxxx.frontegg.com", client_id="c", refresh_token="r", store=store
    ) as adopted:
        again: frontegg_async.OAuthTokens = await adopted.login()
        me: object = await adopted.request("GET", "resources/users/v2/me")


async def use_httpx(session: FronteggSession) -> None:
    import httpx

    auth: httpx.Auth = session.httpx_auth
    async with httpx.AsyncClient(auth=auth) as http:
        answer: httpx.Response = await http.get("https://app-xxxx.frontegg.com/identity/x")
        status: int = answer.status_code


async def use_the_verifier(fake: FakeFrontegg, http: aiohttp.ClientSession, clock: Clock) -> None:
    from aiohttp import web
    from fastapi import Depends, FastAPI

    from frontegg_async import (
        InsufficientAccessError,
        InvalidTokenError,
        TokenVerifier,
        VerifiedToken,
    )
    from frontegg_async.fastapi import require

    verifier = TokenVerifier(
        "https://app-xxxx.frontegg.com",
        audience="client-id",
        issuer=None,
        leeway=30.0,
        http=http,
        token_types=("userToken",),
        cache_size=1024,
        refetch_interval=5.0,
        timeout=5.0,
        clock=clock,
    )
    async with verifier:
        try:
            claims: VerifiedToken = await verifier.verify(
                "Bearer x", permissions=("fe.secure.read.users",), roles="Admin"
            )
        except InvalidTokenError as invalid:
            reason: str = invalid.reason
        except InsufficientAccessError as insufficient:
            lacking: tuple[str, ...] = insufficient.missing_permissions + insufficient.missing_roles
        else:
            sub: str = claims.sub  # verified: never None
            expires: float = claims.exp
            tenant: str | None = claims.tenant_id
            kinds: tuple[tuple[str, ...], str | None] = (
                claims.roles + claims.permissions,
                claims.type,
            )
            email: str | None = claims.email
            raw: object = claims.raw
    kept: int = verifier.cached_tokens
    fetched: int = verifier.fetches
    where: URL = verifier.jwks_url
    app = web.Application(middlewares=[verifier.aiohttp_middleware(permissions="fe.x")])

    @verifier.require(roles=["Admin"])
    async def handler(request: web.Request) -> web.StreamResponse:
        token: VerifiedToken = request["frontegg"]
        return web.json_response({"sub": token.sub})

    api = FastAPI()
    readers = require(verifier, permissions=["fe.secure.read.users"])

    @api.get("/me")
    async def me(token: VerifiedToken = Depends(readers)) -> dict[str, str | None]:  # noqa: B008
        return {"sub": token.sub}

    signed: str = fake.sign_token({"sub": "x"}, header={"kid": fake.signing_kid})
    key: object = fake.signing_key
    wait: float = verifier.retry_after
