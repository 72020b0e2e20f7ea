"""Values that cross the wire: the ``Request`` a flow asks for, the ``Answer`` it gets back, the
refresh cookie, and the one reading of an answer's status as an error."""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from attrs import field, frozen
from yarl import URL

from .._errors import FronteggError, decipher_response
from .._secrets import Secret

T = TypeVar("T")

REFRESH_COOKIE_PREFIX = "fe_refresh_"
#: The most an auth answer may hold, decompressed: they are a few KB.
MAX_AUTH_ANSWER = 1 << 20
#: The default for ``request()``: Frontegg's API answers are small too.
MAX_API_ANSWER = 4 << 20


@frozen
class RefreshCookie:
    """The ``fe_refresh_*`` cookie Frontegg set; the value is the refresh token."""

    name: str
    value: Secret = field(repr=False)


@frozen
class Request:
    """One HTTP request, as a flow asks for it: the shell adds nothing but the connection.

    ``what`` names the call in errors ("refresh", "login"); ``limit`` caps the answer's body,
    decompressed. The bearer and the cookie are kept apart from ``headers`` so that they are
    put on the wire only, never in a repr.
    """

    method: str
    url: URL
    what: str
    json: Any = field(default=None, repr=False)
    params: Mapping[str, str | int | float] | Sequence[tuple[str, str]] | None = None
    headers: Mapping[str, str] = field(factory=dict)
    bearer: Secret | None = field(default=None, repr=False)
    cookie: RefreshCookie | None = field(default=None, repr=False)
    limit: int = MAX_AUTH_ANSWER


@frozen
class Answer:
    """An HTTP answer, read in full."""

    status: int
    headers: Mapping[str, str] = field(repr=False)  # Set-Cookie included: never shown
    body: bytes = field(repr=False)
    refresh_cookie: RefreshCookie | None


#: A flow: yields the requests it needs sent, receives their answers, returns a ``T``.
Flow = Generator[Request, Answer, T]


class Driver(Protocol):
    """What runs a flow over a network (``Transport``): send each request, hand back the
    answer, return what the flow returns."""

    async def drive(self, flow: Flow[T]) -> T:
        """Run ``flow`` to its end."""
        ...


def refresh_cookie_name(client_id: str) -> str:
    """The cookie name Frontegg uses for a client id: only its first dash is removed."""
    return REFRESH_COOKIE_PREFIX + client_id.replace("-", "", 1)


def find_refresh_cookie(set_cookie_headers: Sequence[str]) -> RefreshCookie | None:
    """The last ``fe_refresh_*`` cookie among Set-Cookie headers, or None.

    A cookie set with an empty value or a non-positive Max-Age is a deletion, not a token. Only
    the name, the value and Max-Age matter here, so the header is read by hand: the standard
    library's cookie parser costs more than the rest of a refresh.
    """
    found: RefreshCookie | None = None
    for header in set_cookie_headers:
        pair, _, attributes = header.partition(";")
        name, equals, value = pair.strip().partition("=")
        if not equals or not name.startswith(REFRESH_COOKIE_PREFIX):
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if not value or _deletes(attributes):
            continue
        found = RefreshCookie(name=name, value=Secret(value))
    return found


def _deletes(attributes: str) -> bool:
    for attribute in attributes.split(";"):
        key, _, setting = attribute.strip().partition("=")
        if key.lower() == "max-age":
            try:
                return int(setting.strip()) <= 0
            except ValueError:
                return False
    return False


def decipher_answer(answer: Answer, what: str) -> FronteggError | None:
    """The error an answer means (redirects included), or None for a 2xx."""
    if 300 <= answer.status < 400:
        return FronteggError(
            f"{what} was redirected (HTTP {answer.status}); auth calls never follow redirects, "
            "so check the base URL",
            status=answer.status,
        )
    return decipher_response(answer.status, answer.body, answer.headers, what=what)


def succeeded(answer: Answer, what: str) -> Answer:
    """``answer`` if it is a 2xx; otherwise the error it means is raised."""
    error = decipher_answer(answer, what)
    if error is not None:
        raise error
    return answer
