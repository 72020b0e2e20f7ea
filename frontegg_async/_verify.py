"""``TokenVerifier``: checks the Frontegg tokens that requests bring to your application.

The shell around ``_core.keys`` (when to fetch, and the fetch's flow): it owns the one flight
that fetches the key set for every caller, the key objects, and a bounded cache of tokens
already verified. The answers a web app gives for its errors are ``_guards``'. PyJWT (with its
crypto extra, ``frontegg-async[verify]``) checks every signature; nothing here does
cryptography of its own.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from types import ModuleType
from typing import Any, Final

import aiohttp
from aiohttp.typedefs import Middleware as ServerMiddleware
from attrs import frozen
from yarl import URL

from . import _guards
from ._claims import Claims, bearer_token, read_claims, unverified_header
from ._clock import Clock, SystemClock
from ._core.keys import (
    MAX_REFETCH_INTERVAL,
    MIN_REFETCH_INTERVAL,
    KeySchedule,
    KeySet,
    Step,
    fetch_keys,
)
from ._engine.flight import SingleFlight, WaitedTooLong
from ._errors import (
    ConfigurationError,
    FronteggError,
    InsufficientAccessError,
    InvalidTokenError,
    ResponseFormatError,
    SessionClosedError,
    TransportError,
    WrongLoopError,
    restated,
)
from ._guards import Handler
from ._http import check_base_url, check_http, check_timeout
from ._transport import Transport

logger = logging.getLogger("frontegg_async")

#: The token types Frontegg's SDKs accept on a route: users', and API tokens of both kinds.
DEFAULT_TOKEN_TYPES: Final = ("userToken", "userApiToken", "tenantApiToken")
#: Distinct token headers whose reading is kept: an environment's tokens share one or two.
HEADERS_KEPT: Final = 64
#: Algorithms a key may announce; any other key in the set is ignored. A key that announces
#: none is taken as RS256 when it is an RSA key (what Frontegg signs with), else ignored.
ALLOWED_ALGORITHMS: Final = frozenset({"RS256", "PS256", "ES256"})


@frozen
class VerifiedToken(Claims):
    """The claims of a token a ``TokenVerifier`` verified: its signature, its times, its
    issuer, its audience (when one is configured) and its type were checked.

    The fields are ``Claims``' (``sub``, ``tenant_id``, ``roles``, ``permissions``, ``type``,
    ``email``...); ``raw`` holds the whole payload, Frontegg's other claims included. The token
    itself is not kept. ``sub`` and ``exp`` are never None here: a token without them is
    refused.
    """

    sub: str
    exp: float


def _require_pyjwt() -> ModuleType:
    try:
        import jwt
        from jwt.algorithms import has_crypto
    except ImportError:
        has_crypto = False
    if not has_crypto:
        raise ConfigurationError(
            "TokenVerifier checks signatures with PyJWT and its crypto extra, which are not "
            "installed: pip install 'frontegg-async[verify]'"
        )
    return jwt


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigurationError(f"{name} must be a finite number, not {value!r}")
    return float(value)


def names_of(value: str | Iterable[str], what: str) -> tuple[str, ...]:
    # A lone string is one name, not its characters.
    names = (value,) if isinstance(value, str) else tuple(value)
    if not all(isinstance(name, str) for name in names):
        raise ConfigurationError(f"{what} must be strings")
    return names


@frozen
class _Key:
    """A usable key of the set: PyJWT's key object and the one algorithm it verifies."""

    kid: str | None
    algorithm: str
    key: Any  # jwt.PyJWK
    jwk: Mapping[str, Any]

    @property
    def algorithms(self) -> list[str]:
        """The allow-list PyJWT is given: this key's one algorithm."""
        return [self.algorithm]


@frozen
class _Cached:
    token: VerifiedToken
    key: _Key
    until: float


class TokenVerifier:
    """Verifies the Frontegg JWTs that requests bring, against the environment's signing keys.

    Args:
        domain: your Frontegg domain (``https://app-xxxx.frontegg.com``, or a custom one); the
            keys come from its ``/.well-known/jwks.json``.
        audience: when given, the ``aud`` a token must carry (a string, or any of several);
            None skips the check, as Frontegg's SDKs do.
        issuer: the ``iss`` a token must carry; by default the domain itself.
        leeway: seconds of clock skew allowed on ``exp``, ``nbf`` and ``iat``.
        http: an aiohttp ClientSession to fetch the keys with; it is never closed here.
        token_types: the ``type`` claims accepted (users' tokens and API tokens by default);
            None accepts any.
        cache_size: how many verified tokens are kept, so that a token seen again costs a
            dictionary look-up, not an RSA check (0 turns the cache off).
        refetch_interval: a token with an unknown ``kid`` makes the verifier fetch the keys
            again (a new key after a rotation), at most once in this many seconds (1 to 10).
        timeout: seconds a fetch of the keys may take.
        clock: where the time comes from (tests pass a ``JumpingClock``).

    One verifier serves any number of concurrent requests: the keys are fetched once for all of
    them, kept for the ``max-age`` the server gives (at least a minute, at most a day), and kept
    when a later fetch fails. It keeps no connection between fetches, so one made at import
    time serves the event loops that run one after another (each ``asyncio.run()``, a test's
    loop); from a second loop while the first still runs, it raises ``WrongLoopError``.
    ``aclose()`` (or ``async with``) stops a fetch under way.
    """

    def __init__(
        self,
        domain: str | URL,
        *,
        audience: str | Sequence[str] | None = None,
        issuer: str | None = None,
        leeway: float = 30.0,
        http: aiohttp.ClientSession | None = None,
        token_types: Collection[str] | None = DEFAULT_TOKEN_TYPES,
        cache_size: int = 4096,
        refetch_interval: float = 5.0,
        timeout: float = 5.0,
        clock: Clock | None = None,
    ) -> None:
        self._jwt: Any = _require_pyjwt()
        if not isinstance(domain, str | URL):
            raise ConfigurationError(f"domain must be a URL, not {type(domain).__name__}")
        base = check_base_url(URL(domain) if isinstance(domain, str) else domain, what="domain")
        if base.path.rstrip("/").endswith("/identity"):
            # The sessions take the identity URL; the keys and the issuer are the domain's.
            raise ConfigurationError(
                f"domain is the Frontegg domain ({base.origin()}), not the identity API's URL "
                f"({base}): the signing keys are at the domain's /.well-known/jwks.json"
            )
        self._domain = base
        self._jwks_url = base / ".well-known" / "jwks.json"
        self._issuer = issuer if issuer is not None else str(base).rstrip("/")
        if audience is not None and not isinstance(audience, str):
            audience = list(names_of(audience, "audience"))
        self._audience: str | list[str] | None = audience
        self._leeway = _number(leeway, "leeway")
        if self._leeway < 0:
            raise ConfigurationError(f"leeway must not be negative, not {leeway!r}")
        self._types = None if token_types is None else frozenset(names_of(token_types, "types"))
        if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 0:
            raise ConfigurationError(f"cache_size must be a whole number >= 0, not {cache_size!r}")
        self._cache_size = cache_size
        interval = _number(refetch_interval, "refetch_interval")
        if not MIN_REFETCH_INTERVAL <= interval <= MAX_REFETCH_INTERVAL:
            raise ConfigurationError(
                f"refetch_interval must be between {MIN_REFETCH_INTERVAL:g} and "
                f"{MAX_REFETCH_INTERVAL:g} seconds, not {refetch_interval!r}"
            )
        # Finite too: the fetch's wait is the bound every caller relies on.
        self._timeout = check_timeout(_number(timeout, "timeout"))
        check_http(http)
        self._http = http
        self._loop: asyncio.AbstractEventLoop | None = None
        self._decode_options = {
            # The times are checked apart, on the verifier's clock: the cache's too.
            "verify_exp": False,
            "verify_nbf": False,
            "verify_iat": False,
            "verify_aud": self._audience is not None,
            "require": ["exp", "sub"],
        }
        self._clock = clock if clock is not None else SystemClock()
        self._schedule = KeySchedule(refetch_interval=interval)
        self._keys: dict[str | None, _Key] = {}
        self._flight: SingleFlight[None] = SingleFlight("the token verifier")
        self._cache: collections.OrderedDict[str, _Cached] = collections.OrderedDict()
        #: A header segment -> the algorithm and kid it names (see _named_key).
        self._headers: dict[str, tuple[str, str | None]] = {}
        self._fetches = 0

    def __repr__(self) -> str:
        return f"TokenVerifier({str(self._domain)!r}, keys={len(self._keys)})"

    async def __aenter__(self) -> TokenVerifier:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop a fetch under way (a ClientSession you passed as ``http`` is left open; the
        verifier keeps no other connection between its fetches). The verifier may be used again
        afterwards, keys and cache kept: an app's lifespan may run more than once (tests)."""
        await self._flight.cancel()

    @property
    def fetches(self) -> int:
        """How many fetches of the keys were started (one per flight, whatever the callers)."""
        return self._fetches

    @property
    def cached_tokens(self) -> int:
        """How many verified tokens are kept now (never more than ``cache_size``)."""
        return len(self._cache)

    @property
    def jwks_url(self) -> URL:
        """Where the keys come from."""
        return self._jwks_url

    @property
    def retry_after(self) -> float:
        """Seconds until the next fetch of the keys may start (0: one may start now). After
        ``verify`` raised a fetch's error, this is the ``Retry-After`` of the 503 to answer."""
        return max(self._schedule.retry_at - self._clock.monotonic(), 0.0)

    def aiohttp_middleware(
        self, *, permissions: str | Iterable[str] = (), roles: str | Iterable[str] = ()
    ) -> ServerMiddleware:
        """An ``aiohttp.web`` middleware that lets through only requests whose bearer token
        verifies (and has the permissions and roles named), with the ``VerifiedToken`` on
        ``request["frontegg"]``.

        Others get 401 with ``WWW-Authenticate: Bearer`` (``error="invalid_token"`` when a token
        was sent), 403 with ``error="insufficient_scope"``, or 503 with ``Retry-After`` when
        the keys cannot be fetched. The body is ``{"errors": [reason]}``.
        """
        return _guards.middleware(
            self, names_of(permissions, "permissions"), names_of(roles, "roles")
        )

    def require(
        self, *, permissions: str | Iterable[str] = (), roles: str | Iterable[str] = ()
    ) -> Callable[[Handler], Handler]:
        """A decorator for one ``aiohttp.web`` handler, with the middleware's semantics."""
        return _guards.decorator(
            self, names_of(permissions, "permissions"), names_of(roles, "roles")
        )

    async def verify(
        self,
        token: str,
        *,
        permissions: str | Iterable[str] = (),
        roles: str | Iterable[str] = (),
    ) -> VerifiedToken:
        """The claims of ``token`` (a JWT, or an ``Authorization`` header's ``Bearer <JWT>``)
        once it is verified, and has every permission and role named.

        Raises ``InvalidTokenError`` (answer 401) when it is not a valid token of this
        environment, ``InsufficientAccessError`` (answer 403) when it lacks a permission or a
        role, and the fetch's own error (``TransportError``, ``ServerError``...; answer 503)
        when no key is at hand to decide it. Waits at most ``timeout`` seconds, for a fetch
        of the keys.
        """
        raw = bearer_token(token)
        verified = self._cached(raw)
        if verified is None:
            verified = await self._verified(raw)
        if permissions or roles:
            check_access(verified, names_of(permissions, "permissions"), names_of(roles, "roles"))
        return verified

    def _cached(self, raw: str) -> VerifiedToken | None:
        entry = self._cache.get(raw)
        if entry is None:
            return None
        if entry.until <= self._clock.time() or self._keys.get(entry.key.kid) is not entry.key:
            # Expired, or its key was dropped from the set since (the end of a rotation's grace).
            del self._cache[raw]
            return None
        self._cache.move_to_end(raw)
        # A hot token must not keep stale keys alive: a rotation's end is seen all the same.
        self._keep_fresh()
        return entry.token

    async def _verified(self, raw: str) -> VerifiedToken:
        algorithm, kid = self._named_key(raw)
        key = self._ready(kid)
        if key is None:
            key = await self._key_for(kid)
        if algorithm != key.algorithm:
            raise InvalidTokenError(
                f"it says it is signed with {algorithm[:10]!r}, where its key is for "
                f"{key.algorithm}"
            )
        payload = self._decode(raw, key)
        if not isinstance(payload.get("sub"), str):
            raise InvalidTokenError("its 'sub' claim is not a string")
        self._check_times(payload)
        if self._types is not None and payload.get("type") not in self._types:
            said = payload.get("type")
            shown = repr(said[:40]) if isinstance(said, str) else "missing"
            raise InvalidTokenError(
                f"its type ({shown}) is not one this verifier accepts "
                f"({', '.join(sorted(self._types))})"
            )
        verified = read_claims(payload, VerifiedToken)
        self._remember(raw, verified, key)
        return verified

    def _named_key(self, raw: str) -> tuple[str, str | None]:
        """The algorithm and the kid a token's header names; ``InvalidTokenError`` for a header
        that names no usable pair."""
        # Read here rather than by PyJWT's get_unverified_header, which decode() repeats: it
        # costs as much as the RSA check (PyJWT 2.15 scans each segment character by character).
        # One environment's tokens share one header, so its reading is kept (a few of them).
        segment = raw.partition(".")[0]
        named = self._headers.get(segment)
        if named is None:
            header = unverified_header(raw)
            if header is None:
                raise InvalidTokenError("it is not a well-formed JWT")
            algorithm, kid = header.get("alg"), header.get("kid")
            if kid is not None and not isinstance(kid, str):
                raise InvalidTokenError("its header's kid is not a string")
            if not isinstance(algorithm, str) or algorithm.lower() == "none":
                raise InvalidTokenError("it is not signed (alg none)")
            if len(self._headers) >= HEADERS_KEPT:
                self._headers.clear()  # forged headers by the thousand: start again
            named = self._headers[segment] = (algorithm, kid)
        return named

    def _ready(self, kid: str | None) -> _Key | None:
        """The key for ``kid`` if it is held (a refetch started behind it when the keys are
        stale); None when the schedule must be asked to fetch, wait or refuse."""
        key = self._lookup(kid)
        if key is not None:
            self._keep_fresh()
        return key

    def _decode(self, raw: str, key: _Key) -> dict[str, Any]:
        jwt: Any = self._jwt
        reason: str | None = None
        payload: Any = None
        try:
            payload = jwt.decode(
                raw,
                key.key,
                algorithms=key.algorithms,
                audience=self._audience,
                issuer=self._issuer,
                options=self._decode_options,
            )
        except jwt.PyJWTError as error:
            reason = _reason(jwt, error)
        # Raised outside the handler: PyJWT's exception, and its traceback's frames holding
        # the token, stay out of the error's context.
        if reason is not None:
            raise InvalidTokenError(reason)
        if not isinstance(payload, dict):
            raise InvalidTokenError("its payload is not a JSON object")
        return payload

    def _check_times(self, payload: Mapping[str, Any]) -> None:
        now, leeway = self._clock.time(), self._leeway
        times: dict[str, float] = {}
        for claim in ("exp", "nbf", "iat"):
            value = payload.get(claim)
            if value is None and claim != "exp":
                continue
            # A bool is an int, but no time; NaN and infinity (JSON parsers take them) would
            # make a token that never expires.
            if value.__class__ not in (int, float) or not math.isfinite(value):
                raise InvalidTokenError(f"its '{claim}' claim is not a number")
            times[claim] = float(value)
        if now > times["exp"] + leeway:
            raise InvalidTokenError(f"it expired {now - times['exp']:.0f} s ago")
        if "nbf" in times and now + leeway < times["nbf"]:
            raise InvalidTokenError(f"it is not valid for another {times['nbf'] - now:.0f} s")
        if "iat" in times and now + leeway < times["iat"]:
            raise InvalidTokenError(f"it says it was issued {times['iat'] - now:.0f} s from now")

    def _remember(self, raw: str, verified: VerifiedToken, key: _Key) -> None:
        if not self._cache_size or verified.exp <= self._clock.time():
            return  # a token inside its leeway would only push a live one out
        # Never kept past its exp: after it, the token is checked again (leeway and all).
        self._cache[raw] = _Cached(token=verified, key=key, until=verified.exp)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _lookup(self, kid: str | None) -> _Key | None:
        if kid is None:
            # A token naming no key: decided by the only key, if the set holds only one.
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    async def _key_for(self, kid: str | None) -> _Key:
        fetched = False
        while True:
            key = self._lookup(kid)
            now = self._clock.monotonic()
            step = self._schedule.step(
                now, kid_known=key is not None, fetching=self._flight.running and not fetched
            )
            if key is not None:
                self._keep_fresh()
                return key
            if step is Step.FAIL:
                raise self._schedule.unavailable(now)
            if fetched or step is Step.REFUSE or (kid is None and self._schedule.held):
                held = len(self._keys)
                if kid is None:
                    raise InvalidTokenError(f"it names no key (kid), and the key set holds {held}")
                raise InvalidTokenError(
                    f"its kid {kid[:40]!r} is none of the {held} signing keys of {self._domain}"
                )
            if self._schedule.held and not self._flight.running:
                self._schedule.looking_for_kid(now)
            await self._join_fetch()
            fetched = True

    def _this_loop(self) -> None:
        """Check that the verifier's fetches may run in the running loop: its first loop, or
        a later one once that has stopped (tests, and each ``asyncio.run()``, start loops one
        after the other; the keys held go on serving in the next)."""
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        if self._loop is not None and self._loop.is_running():
            raise WrongLoopError(
                "the token verifier is in use in another event loop that is still running; "
                "create a verifier for each event loop (each thread that runs one)"
            )
        self._loop = loop
        self._flight.forget()  # a flight of a loop that has stopped will never land

    def _keep_fresh(self) -> None:
        """Start a fetch behind the caller when the keys held are stale (the schedule's
        ``USE_AND_REFRESH``) and none is under way: every path that uses a held key asks here."""
        if self._flight.running:
            return
        if self._schedule.step(self._clock.monotonic(), kid_known=True) is Step.USE_AND_REFRESH:
            self._this_loop()
            self._flight.start(self._fetch)

    async def _join_fetch(self) -> None:
        self._this_loop()
        try:
            # The fetch's own timeout ends it first; the bound is the promise that no wait is
            # longer, whatever happens inside.
            await self._flight.join(self._fetch, bound=self._timeout + 1.0)
        except WaitedTooLong:
            raise TransportError(
                f"the signing keys' fetch from {self._jwks_url} took longer than "
                f"{self._timeout:g} s"
            ) from None
        except SessionClosedError as error:  # aclose() cancelled the fetch
            raise restated(error, error.message) from None
        except FronteggError:
            # One failure, many callers: each gets an error of its own, which says when the
            # next fetch may be (the failure is the schedule's last).
            raise self._schedule.unavailable(self._clock.monotonic()) from None

    async def _fetch(self) -> None:
        self._fetches += 1
        failure: FronteggError | None = None
        keys: dict[str | None, _Key] = {}
        # A ClientSession for this fetch only, unless one was given: fetches are minutes apart,
        # and a connection kept between them would tie the verifier to one event loop.
        transport = Transport(self._http, timeout=self._timeout)
        try:
            key_set = await transport.drive(fetch_keys(self._jwks_url))
            keys = self._usable(key_set)
        except FronteggError as error:
            failure = error
        except Exception as error:  # a bug here must not end a refresh behind requests unseen
            logger.exception("the signing keys' fetch from %s failed unexpectedly", self._jwks_url)
            failure = FronteggError(
                f"the signing keys' fetch from {self._jwks_url} failed unexpectedly "
                f"({type(error).__name__}); see the log"
            )
        finally:
            await transport.aclose()
        now = self._clock.monotonic()
        if failure is not None:
            delay = self._schedule.failed(now, failure)
            kept = f"; the {len(self._keys)} keys held are kept" if self._keys else ""
            logger.warning("%s%s; trying again in %.0f s or later", failure, kept, delay)
            raise failure
        self._keys = keys
        self._schedule.fetched(now, key_set.lifetime)
        logger.info(
            "fetched %d signing key(s) from %s (kids %s); next fetch in %.0f s",
            len(keys),
            self._jwks_url,
            ", ".join(sorted(str(kid) for kid in keys)),
            key_set.lifetime,
        )

    def _usable(self, key_set: KeySet) -> dict[str | None, _Key]:
        jwt: Any = self._jwt
        keys: dict[str | None, _Key] = {}
        for jwk in key_set.keys:
            kid = jwk.get("kid")
            algorithm = jwk.get("alg")
            if algorithm is None and jwk.get("kty") == "RSA":
                algorithm = "RS256"
            if (
                algorithm not in ALLOWED_ALGORITHMS
                or jwk.get("use", "sig") != "sig"
                or not (kid is None or isinstance(kid, str))
            ):
                continue
            held = self._keys.get(kid)
            if held is not None and held.jwk == jwk and held.algorithm == algorithm:
                # The same key as before: the tokens cached under it stay cached.
                keys[kid] = held
                continue
            try:
                key = jwt.PyJWK(dict(jwk), algorithm=algorithm)
            except (jwt.PyJWTError, ValueError, TypeError, KeyError):
                continue
            keys[kid] = _Key(kid=kid, algorithm=str(algorithm), key=key, jwk=dict(jwk))
        if not keys:
            raise ResponseFormatError(
                f"the key set at {self._jwks_url} holds no usable signing key (RS256, PS256 or "
                "ES256): tokens cannot be verified against it"
            )
        return keys


def check_access(
    token: VerifiedToken, permissions: tuple[str, ...], roles: tuple[str, ...]
) -> None:
    """``InsufficientAccessError`` unless ``token`` has every permission and role named."""
    missing_permissions = tuple(name for name in permissions if name not in token.permissions)
    missing_roles = tuple(name for name in roles if name not in token.roles)
    if missing_permissions or missing_roles:
        raise InsufficientAccessError(
            missing_permissions=missing_permissions, missing_roles=missing_roles, token=token
        )


def _reason(jwt: ModuleType, error: Exception) -> str:
    """Why PyJWT refused a token, in words that never quote it."""
    if isinstance(error, jwt.InvalidSignatureError):
        return "its signature is not its key's (forged, or signed by another environment)"
    if isinstance(error, jwt.InvalidAudienceError):
        return "it was issued for another audience"
    if isinstance(error, jwt.InvalidIssuerError):
        return "it was issued by another issuer"
    invalid_subject = getattr(jwt.exceptions, "InvalidSubjectError", ())  # PyJWT 2.10 and later
    if isinstance(error, invalid_subject):
        return "its 'sub' claim is not a string"
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"it lacks the {str(error.claim)[:20]!r} claim"
    if isinstance(error, jwt.InvalidAlgorithmError):
        return "its algorithm is not its key's"
    if isinstance(error, jwt.DecodeError):
        return "it is not a well-formed JWT"
    return f"PyJWT refused it ({type(error).__name__})"
