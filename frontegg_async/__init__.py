"""frontegg-async: an asyncio client for Frontegg's identity API that keeps its JWT fresh."""

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
from ._models import (
    AuthResponse,
    MfaAuthenticatorApp,
    MfaDevices,
    MfaEmailDevice,
    MfaPhoneDevice,
    MfaWebAuthnDevice,
)
from ._regions import Region
from ._session import FronteggSession

__all__ = [
    "AuthResponse",
    "AuthenticationError",
    "Clock",
    "FronteggError",
    "FronteggSession",
    "MfaAuthenticatorApp",
    "MfaDevices",
    "MfaEmailDevice",
    "MfaPhoneDevice",
    "MfaRequiredError",
    "MfaWebAuthnDevice",
    "RateLimitedError",
    "Region",
    "ResponseFormatError",
    "ServerError",
    "SessionClosedError",
    "SessionExpiredError",
    "TransportError",
]
