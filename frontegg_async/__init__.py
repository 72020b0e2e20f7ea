"""frontegg-async: an asyncio client for Frontegg's identity API that keeps its tokens fresh."""

from ._claims import Claims
from ._clock import Clock
from ._errors import (
    AuthenticationError,
    FronteggError,
    MfaRequiredError,
    RateLimitedError,
    ResponseFormatError,
    ServerError,
    SessionClosedError,
    SessionExpiredError,
    TransportError,
)
from ._events import EventKind, SessionState, Subscription, TokenEvent
from ._models import (
    ApiTokenResponse,
    AuthResponse,
    MfaAuthenticatorApp,
    MfaDevices,
    MfaEmailDevice,
    MfaPhoneDevice,
    MfaWebAuthnDevice,
    Permission,
    Role,
    User,
    UserTenant,
    VendorToken,
)
from ._regions import Region
from ._session import ApiTokenSession, EnvironmentSession, FronteggSession
from ._stores import FileStore, MemoryStore, RedisStore, StoreError, TokenStore

__all__ = [
    "ApiTokenResponse",
    "ApiTokenSession",
    "AuthResponse",
    "AuthenticationError",
    "Claims",
    "Clock",
    "EnvironmentSession",
    "EventKind",
    "FileStore",
    "FronteggError",
    "FronteggSession",
    "MemoryStore",
    "MfaAuthenticatorApp",
    "MfaDevices",
    "MfaEmailDevice",
    "MfaPhoneDevice",
    "MfaRequiredError",
    "MfaWebAuthnDevice",
    "Permission",
    "RateLimitedError",
    "RedisStore",
    "Region",
    "ResponseFormatError",
    "Role",
    "ServerError",
    "SessionClosedError",
    "SessionExpiredError",
    "SessionState",
    "StoreError",
    "Subscription",
    "TokenEvent",
    "TokenStore",
    "TransportError",
    "User",
    "UserTenant",
    "VendorToken",
]
