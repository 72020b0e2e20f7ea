"""frontegg-async: an asyncio client for Frontegg's identity API that keeps its tokens fresh."""

from typing import TYPE_CHECKING, Any

from ._claims import Claims
from ._clock import Clock
from ._core.lifecycle import SessionState
from ._errors import (
    AuthenticationError,
    ConfigurationError,
    ForbiddenError,
    FronteggError,
    InsufficientAccessError,
    InvalidRequestError,
    InvalidTokenError,
    MfaRequiredError,
    NotFoundError,
    RateLimitedError,
    ResponseFormatError,
    ServerError,
    SessionClosedError,
    SessionError,
    SessionExpiredError,
    StoreError,
    TransportError,
    WrongLoopError,
    WrongSessionError,
)
from ._events import EventKind, Subscription, TokenEvent
from ._machine import ApiTokenSession, EnvironmentSession
from ._models import (
    ApiTokenResponse,
    AuthResponse,
    MfaAuthenticatorApp,
    MfaDevices,
    MfaEmailDevice,
    MfaPhoneDevice,
    MfaWebAuthnDevice,
    OAuthTokens,
    Permission,
    Role,
    User,
    UserTenant,
    VendorToken,
)
from ._oauth import OAuthSession, hosted_login
from ._regions import Region
from ._stores import FileStore, MemoryStore, RedisStore, TokenStore
from ._user import FronteggSession
from ._verify import TokenVerifier, VerifiedToken
from ._version import __version__

if TYPE_CHECKING:
    from .api import FronteggClient

__all__ = [
    "ApiTokenResponse",
    "ApiTokenSession",
    "AuthResponse",
    "AuthenticationError",
    "Claims",
    "Clock",
    "ConfigurationError",
    "EnvironmentSession",
    "EventKind",
    "FileStore",
    "ForbiddenError",
    "FronteggClient",
    "FronteggError",
    "FronteggSession",
    "InsufficientAccessError",
    "InvalidRequestError",
    "InvalidTokenError",
    "MemoryStore",
    "MfaAuthenticatorApp",
    "MfaDevices",
    "MfaEmailDevice",
    "MfaPhoneDevice",
    "MfaRequiredError",
    "MfaWebAuthnDevice",
    "NotFoundError",
    "OAuthSession",
    "OAuthTokens",
    "Permission",
    "RateLimitedError",
    "RedisStore",
    "Region",
    "ResponseFormatError",
    "Role",
    "ServerError",
    "SessionClosedError",
    "SessionError",
    "SessionExpiredError",
    "SessionState",
    "StoreError",
    "Subscription",
    "TokenEvent",
    "TokenStore",
    "TokenVerifier",
    "TransportError",
    "User",
    "UserTenant",
    "VendorToken",
    "VerifiedToken",
    "WrongLoopError",
    "WrongSessionError",
    "__version__",
    "hosted_login",
]


def __getattr__(name: str) -> Any:
    # The generated API (300 models) costs a third of a second to import: only on first use.
    if name == "FronteggClient":
        from .api import FronteggClient

        return FronteggClient
    raise AttributeError(f"module 'frontegg_async' has no attribute {name!r}")
