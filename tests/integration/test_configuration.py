"""Constructors refuse what cannot work, at once, with one typed error that is a ValueError too."""

from __future__ import annotations

from typing import Any

import pytest

from frontegg_async import (
    ApiTokenSession,
    ConfigurationError,
    EnvironmentSession,
    FileStore,
    FronteggError,
    FronteggSession,
    InvalidRequestError,
    RedisStore,
)
from frontegg_async.testing import FakeFrontegg

from ..conftest import EMAIL, PASSWORD, SessionFactory

URL = "https://app-xxxx.frontegg.com/identity"


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"vendor_host": "x.example\r\nX-Injected: 1"}, "vendor_host contains a control character"),
        ({"email": "a@b.c\nBcc: x"}, "email contains a control character"),
        ({"client_id": "id\x00"}, "client_id contains a control character"),
        ({"application_id": "app\r\nX-Evil: 1"}, "application_id contains a control character"),
        ({"base_url": None}, "base_url must be a Region or a URL"),
        ({"base_url": "ftp://x/identity"}, "must use https"),
        ({"refresh_ratio": "0.8"}, "refresh_ratio must be in"),
        ({"refresh_ratio": 1.5}, "refresh_ratio must be in"),
        ({"refresh_ratio": True}, "refresh_ratio must be in"),
        ({"timeout": 0}, "timeout must be a positive number"),
        ({"http": object()}, "http must be an aiohttp.ClientSession"),
        ({"store": {"tokens": 1}}, "store must be a TokenStore"),
        ({"totp_secret": "not base32!"}, "totp_secret is not valid base32"),
        ({"password": ""}, "password must be a string"),
    ],
)
def test_a_user_session_refuses_what_cannot_work(options: dict[str, Any], says: str) -> None:
    arguments: dict[str, Any] = {"email": EMAIL, "password": PASSWORD, **options}
    base_url = arguments.pop("base_url", URL)
    with pytest.raises(ConfigurationError, match=says) as caught:
        FronteggSession(base_url, **arguments)
    assert isinstance(caught.value, FronteggError)
    assert isinstance(caught.value, ValueError)  # what such checks always raised


def test_machine_sessions_and_stores_refuse_too(tmp_path: Any) -> None:
    with pytest.raises(ConfigurationError, match="client_id contains a control character"):
        ApiTokenSession(URL, client_id="id\r\n", secret="s")
    with pytest.raises(ConfigurationError, match="client_id must be a string that is not empty"):
        EnvironmentSession("https://api.frontegg.com", client_id="", secret="s")
    with pytest.raises(ConfigurationError, match="timeout must be positive"):
        FileStore(tmp_path / "t.json", timeout=0)
    with pytest.raises(ConfigurationError, match="key must not be empty"):
        RedisStore(object(), "")  # type: ignore[arg-type]


async def test_a_header_value_with_a_line_break_is_refused_before_sending(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    session = make_session()
    await session.login()
    before = len(fake.requests)
    with pytest.raises(InvalidRequestError, match="control character"):
        await session.request("GET", "resources/users/v2/me", headers={"X-Note": "a\r\nb: c"})
    assert len(fake.requests) == before  # nothing was sent
