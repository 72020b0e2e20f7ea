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

__all__ = [
    "ApiTokenResponse",
    "ApiTokenSession",
    "AuthResponse",
    "AuthenticationError",
    "Claims",
    "Clock",
    "EnvironmentSession",
    "EventKind",
    "FronteggError",
    "FronteggSession",
    "MfaAuthenticatorApp",
    "MfaDevices",
    "MfaEmailDevice",
    "MfaPhoneDevice",
    "MfaRequiredError",
    "MfaWebAuthnDevice",
    "Permission",
    "RateLimitedError",
    "Region",
    "ResponseFormatError",
    "Role",
    "ServerError",
    "SessionClosedError",
    "SessionExpiredError",
    "SessionState",
    "Subscription",
    "TokenEvent",
    "TransportError",
    "User",
    "UserTenant",
    "VendorToken",
]
