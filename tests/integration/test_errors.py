"""The error tree: one pure mapping from a status and body to a typed error (the server's
messages kept, Retry-After read), what a 403 and a login 404 mean to a session, and the tree
drawn in the README and in ``_errors`` being the real one."""

from __future__ import annotations

import json

import pytest

from frontegg_async import (
    AuthenticationError,
    ForbiddenError,
    FronteggError,
    InvalidRequestError,
    NotFoundError,
    RateLimitedError,
    ServerError,
)
from frontegg_async._errors import decipher_response, parse_retry_after
from frontegg_async.testing import FakeFrontegg

from ..conftest import SessionFactory


def body(*messages: str) -> bytes:
    return json.dumps({"errors": list(messages)}).encode()


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_any_2xx_is_success(status: int) -> None:
    assert decipher_response(status, b"", {}, what="refresh") is None


@pytest.mark.parametrize(
    ("status", "raw", "kind", "retryable"),
    [
        (401, body("Incorrect email or password"), AuthenticationError, False),
        (403, body("Forbidden"), ForbiddenError, False),
        (403, b"<html>forbidden</html>", ForbiddenError, False),
        (401, b"<html>nope</html>", AuthenticationError, False),
        (429, body("Too many"), RateLimitedError, True),
        (408, body("Timeout"), ServerError, True),
        (500, body("boom"), ServerError, True),
        (502, b"<html>bad gateway</html>", ServerError, True),
        (503, b"", ServerError, True),
        (504, body("slow"), ServerError, True),
        (400, b"<html>bad</html>", ServerError, True),
        (400, body("password should not be empty"), InvalidRequestError, False),
        (422, body("name is too long"), InvalidRequestError, False),
        (404, body("Not found"), NotFoundError, False),
        (409, body("Role key already exists"), FronteggError, False),
    ],
)
def test_status_maps_to_error(
    status: int, raw: bytes, kind: type[FronteggError], retryable: bool
) -> None:
    error = decipher_response(status, raw, {}, what="login")
    assert type(error) is kind
    assert error is not None
    assert error.status == status
    assert error.retryable is retryable
    assert "login" in str(error)


def test_server_messages_are_kept_and_shown() -> None:
    error = decipher_response(401, body("Incorrect email or password"), {}, what="login")
    assert error is not None
    assert error.errors == ("Incorrect email or password",)
    assert "Incorrect email or password" in str(error)


def test_message_key_is_read_too() -> None:
    error = decipher_response(400, json.dumps({"message": "bad input"}).encode(), {}, what="x")
    assert error is not None
    assert error.errors == ("bad input",)


def test_retry_after_is_read_from_429() -> None:
    error = decipher_response(429, body("slow down"), {"Retry-After": "7"}, what="refresh")
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 7.0
    assert "retry after 7 s" in str(error)


def test_retry_after_absent_is_none() -> None:
    error = decipher_response(429, b"", {}, what="refresh")
    assert isinstance(error, RateLimitedError)
    assert error.retry_after is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        ("0.5", 0.5),
        ("-4", 0.0),
        ("soon", None),
        (None, None),
        ("nan", None),
        ("Thu, 01 Jan 1970 00:01:40 GMT", 40.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=60.0) == expected


def test_repr_and_str_name_the_class_and_status() -> None:
    error = AuthenticationError("login was refused (HTTP 401)", status=401)
    assert repr(error) == "AuthenticationError('login was refused (HTTP 401)', status=401)"
    assert str(error) == "login was refused (HTTP 401)"


def test_a_403_is_still_caught_as_an_authentication_error() -> None:
    error = decipher_response(403, body("Forbidden"), {}, what="GET /users")
    assert isinstance(error, AuthenticationError)
    assert "may not do this" in str(error)


async def test_a_403_on_an_api_call_renews_nothing(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    await session.login()
    fake.fail_next("me", status=403, body=body("Missing permission"))
    with pytest.raises(ForbiddenError, match="Missing permission"):
        await session.request("GET", "resources/users/v2/me")
    assert fake.calls["refresh"] == 0


async def test_a_login_that_answers_404_says_to_check_the_base_url(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session(base_url=fake.url / "wrong")
    with pytest.raises(NotFoundError, match="ending in /identity"):
        await session.login()


def drawn_tree(text: str) -> dict[str, str]:
    """The parent of each class in a tree drawn with box characters (``├──``, ``│``)."""
    parents: dict[str, str] = {}
    stack: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("FronteggError"):
            stack = ["FronteggError"]
            continue
        marker = max(line.find("├── "), line.find("└── "))
        if marker < 0 or not stack:
            continue
        depth = (marker - line.index(line.lstrip()[0])) // 4 + 1
        name = line[marker + 4 :].split()[0]
        del stack[depth:]
        parents[name] = stack[-1]
        stack.append(name)
    return parents


def public_errors() -> dict[str, str]:
    import frontegg_async

    return {
        name: getattr(frontegg_async, name).__bases__[0].__name__
        for name in frontegg_async.__all__
        if name != "FronteggError"
        and isinstance(getattr(frontegg_async, name), type)
        and issubclass(getattr(frontegg_async, name), FronteggError)
    }


@pytest.mark.parametrize("where", ["README.md", "frontegg_async/_errors.py"])
def test_the_drawn_error_tree_is_the_real_one(where: str) -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / where).read_text()
    block = text[text.index("FronteggError\n" if where == "README.md" else "FronteggError ") :]
    block = block[: block.index("```" if where == "README.md" else '"""')]
    assert drawn_tree(block) == public_errors()
