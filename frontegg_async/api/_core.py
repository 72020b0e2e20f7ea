"""What the generated API (``frontegg_async.api``) stands on: one call path and one converter.

The generated methods only describe an operation (method, path, which token, parameters) and
hand it to ``ApiCore``; everything that could go wrong lives here once: refusing a session of
the wrong kind before anything is sent, quoting path parameters, spelling query parameters the
way Frontegg reads them, leaving unset fields out of bodies, and reading answers with the
library's one strict private converter (``_convert``), whose failures become
``ResponseFormatError`` naming the field. It is written by hand; the rest of the package is
generated.
"""

from __future__ import annotations

import enum
import math
import typing
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from attrs import field, frozen
from yarl import URL

from .._convert import structure_as, unstructure
from .._errors import InvalidRequestError, ResponseFormatError, WrongSessionError
from .._machine import ApiTokenSession, EnvironmentSession
from .._session import _TokenSession
from .._user import FronteggSession

#: Any kind of session a client may hold.
AnySession = FronteggSession | EnvironmentSession | ApiTokenSession

T = TypeVar("T")
ItemT = TypeVar("ItemT")

__all__ = [
    "AnySession",
    "ApiCore",
    "Audience",
    "Operation",
    "Page",
    "PageLinks",
    "PageMetadata",
    "deprecated_name",
]


def deprecated_name(former: str, current: str) -> None:
    """Warn that ``client.<former>`` was renamed ``client.<current>`` (the same operation)."""
    warnings.warn(
        f"client.{former} is deprecated: call client.{current}, the same operation under the "
        "name that says what it does; the former name goes in the next release",
        DeprecationWarning,
        stacklevel=3,
    )


class Audience(enum.Enum):
    """Which token an operation needs (from the spec's tag groups)."""

    #: Public calls (login, sign-up, passwordless) and MFA steps of the signed-in user.
    ANY = "any"
    #: Self-service: a user's token, or the environment's with tenant and user headers.
    USER = "user"
    #: Management of the whole environment: only the environment token will do.
    ENVIRONMENT = "environment"


@frozen
class Operation:
    """One operation of the spec: ``method`` and ``path`` as the spec writes them."""

    method: str
    path: str
    #: ``group.method`` as called on ``FronteggClient``, for messages.
    name: str
    audience: Audience
    #: Headers the spec requires that a user's token stands in for (the gateway derives the
    #: tenant and the user from it, and Frontegg's clients never send them): required only
    #: with the environment token.
    environment_headers: tuple[str, ...] = ()


@frozen(kw_only=True)
class PageLinks:
    """Where the neighbouring pages are (query strings, as Frontegg gives them)."""

    next: str = field(metadata={"json": "next"})
    prev: str = field(metadata={"json": "prev"})
    first: str = field(metadata={"json": "first"})
    last: str = field(metadata={"json": "last"})


@frozen(kw_only=True)
class PageMetadata:
    """How many items and pages there are in all."""

    total_items: float = field(metadata={"json": "totalItems"})
    total_pages: float = field(metadata={"json": "totalPages"})


@frozen(kw_only=True)
class Page(Generic[ItemT]):
    """One page of a paginated answer: ``items``, plus ``links`` and ``metadata`` (totals).

    Methods that return a page have an ``iter_`` twin that walks every page for you.
    """

    items: Sequence[ItemT] = field(default=(), metadata={"json": "items"})
    links: PageLinks | None = field(default=None, metadata={"json": "_links"})
    metadata: PageMetadata | None = field(default=None, metadata={"json": "_metadata"})


def unstructure_body(value: object) -> Any:
    """A request body as JSON-ready data (lists of models included)."""
    return unstructure(value)


def structure_answer(data: Any, answer: Any, *, what: str) -> Any:
    """Decoded JSON as ``answer`` (a model, a ``list[...]``, a page, ``str``...); when it does
    not fit, the ``ResponseFormatError`` carries ``data`` for the caller to fall back on."""
    try:
        if typing.get_origin(answer) is list:
            (item_type,) = typing.get_args(answer)
            items = structure_as(data, tuple[item_type, ...], what=what)  # type: ignore[valid-type]
            return list(items)
        return structure_as(data, answer, what=what)
    except ResponseFormatError as error:
        failure = error
    failure.data = data
    raise failure


def _query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


def query_pairs(query: Mapping[str, object]) -> list[tuple[str, str]]:
    """Query parameters as Frontegg reads them: arrays repeat the name, None is left out."""
    pairs: list[tuple[str, str]] = []
    for name, value in query.items():
        if value is None:
            continue
        if isinstance(value, Sequence) and not isinstance(value, str | bytes):
            pairs += [(name, _query_value(item)) for item in value]
        else:
            pairs.append((name, _query_value(value)))
    return pairs


def fill_path(operation: Operation, values: Mapping[str, str]) -> str:
    """The operation's path with its parameters quoted in (a ``/`` in a value stays data)."""
    path = operation.path
    for name, value in values.items():
        if not isinstance(value, str) or not value:
            raise InvalidRequestError(
                f"{operation.name}: path parameter {name!r} must be a non-empty string, "
                f"got {value!r}; nothing was sent"
            )
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


class ApiCore:
    """Sends the generated operations through one session's authenticated request path."""

    __slots__ = ("_base", "_environment", "session")

    def __init__(self, session: AnySession) -> None:
        if not isinstance(session, _TokenSession):
            raise TypeError(
                "FronteggClient(session) takes a FronteggSession, EnvironmentSession or "
                f"ApiTokenSession, not {type(session).__name__}"
            )
        self.session: AnySession = session
        # Both fixed for the session's life: worked out once, not on every call.
        self._environment = isinstance(session, EnvironmentSession)
        self._base = str(session.identity_url).rstrip("/")

    def _check_session(self, operation: Operation, headers: Mapping[str, str | None]) -> None:
        if self._environment:
            missing = [h for h in operation.environment_headers if headers.get(h) is None]
            if missing:
                names = " and ".join(h.replace("-", "_") for h in missing)
                raise InvalidRequestError(
                    f"client.{operation.name} needs {names} with the environment token, which "
                    "names no user or tenant; nothing was sent"
                )
        if operation.audience is Audience.ENVIRONMENT and not self._environment:
            raise WrongSessionError(
                f"client.{operation.name} manages the environment and needs the "
                f"environment token; this client holds a {type(self.session).__name__}. "
                "Use FronteggClient(EnvironmentSession(client_id, secret)) for it; nothing "
                "was sent"
            )

    async def call(
        self,
        operation: Operation,
        *,
        path: Mapping[str, str],
        query: Mapping[str, object],
        headers: Mapping[str, str | None],
        body: object = None,
        answer: type[T],
        retries: int | None = None,
    ) -> T:
        """Send ``operation`` and read its answer as ``answer``; ``retries`` as for
        ``request()``."""
        data = await self.call_json(
            operation, path=path, query=query, headers=headers, body=body, retries=retries
        )
        if data is None:
            raise ResponseFormatError(
                f"client.{operation.name} answered with an empty body where "
                f"{getattr(answer, '__name__', answer)} was expected"
            )
        result: T = structure_answer(data, answer, what=f"client.{operation.name}")
        return result

    async def call_json(
        self,
        operation: Operation,
        *,
        path: Mapping[str, str],
        query: Mapping[str, object],
        headers: Mapping[str, str | None],
        body: object = None,
        retries: int | None = None,
    ) -> Any:
        """Send ``operation`` (refused first if this session cannot make it) and return the
        answer's decoded JSON, None for an empty body; ``retries`` as for ``request()``. The
        one way every generated method sends: those whose answer the spec leaves undescribed
        return this, those it says is empty drop it."""
        self._check_session(operation, headers)
        url = URL(self._base + fill_path(operation, path), encoded=True)
        return await self.session.request(
            operation.method,
            url,
            json=None if body is None else unstructure_body(body),
            params=query_pairs(query),
            headers={name: value for name, value in headers.items() if value is not None},
            retries=retries,
        )

    async def iterate(
        self, fetch: Callable[[int], Awaitable[Page[ItemT]]], page_size: int
    ) -> AsyncIterator[ItemT]:
        """Every item of a paginated operation: ``fetch(page_number)`` until the pages run out.

        Frontegg's ``_offset`` counts pages, not items (0 is the first page).
        """
        if page_size < 1:
            raise InvalidRequestError(f"page_size must be at least 1, got {page_size}")
        page_number = 0
        while True:
            page = await fetch(page_number)
            for item in page.items:
                yield item
            page_number += 1
            total_pages = page.metadata.total_pages if page.metadata is not None else None
            if len(page.items) < page_size or (
                total_pages is not None and page_number >= total_pages
            ):
                return
