"""The generated API's names say what each call does: the override table is honest, the
newest version has the plain name, a former name still works for a release (with a warning),
counting parameters are ``int`` and undescribed answers reach the caller."""

from __future__ import annotations

import json
import pathlib
import typing

import pytest

from frontegg_async import FronteggClient
from frontegg_async.api import UserGroupsApi, UsersApi
from frontegg_async.api.models import AuthenticateUserPasswordDto, UserDto, UserV3Dto
from frontegg_async.testing import FakeFrontegg

from ..conftest import EMAIL, PASSWORD, SessionFactory, api_groups, generator

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPEC = ROOT / "spec" / "identity.json"


def documented() -> dict[str, set[str]]:
    """docs/api.md's methods, by group."""
    groups: dict[str, set[str]] = {}
    group = ""
    for line in (ROOT / "docs" / "api.md").read_text().splitlines():
        if line.startswith("## client."):
            group = line.removeprefix("## client.")
        elif line.startswith("| `"):
            groups.setdefault(group, set()).add(line.split("`")[1])
    return groups


def test_every_override_names_an_operation_of_the_spec_and_is_used() -> None:
    naming = generator().naming
    spec = json.loads(SPEC.read_text())
    operations = {
        f"{method.upper()} {path}" for path, item in spec["paths"].items() for method in item
    }
    stale = sorted(set(naming.NAME_OVERRIDES) - operations)
    assert stale == [], "overrides for operations the spec no longer has"
    named = {
        op.key: op.name
        for ops in generator().naming.collect(generator().spec.Spec(spec)).values()
        for op in ops
    }
    for key, name in naming.NAME_OVERRIDES.items():
        assert named[key] == name, key  # no clash pushed a suffix onto an override


def test_names_say_what_the_call_does() -> None:
    docs = documented()
    expected = {
        "general": {"login"},
        "api_token": {"authenticate", "refresh_api_token"},
        "user_groups": {"get_groups_bulk"},
        "users": {"reset_all_invitations", "set_primary_email", "activate_with_code"},
        "domain_restrictions": {"replace_email_domains"},
        "user_admin": {"lock_user", "unlock_user"},
        "m2m_tokens": {"get_active_user_access_tokens"},
    }
    for group, names in expected.items():
        assert names <= docs[group], group
    # The newest version has the plain name; older ones say their version.
    hints = typing.get_type_hints(UsersApi.get_me)
    assert hints["return"] is UserV3Dto
    assert typing.get_type_hints(UsersApi.get_me_v2)["return"] is UserDto


def test_docs_list_no_deprecated_alias() -> None:
    groups = api_groups()
    docs = documented()
    for group, cls in groups.items():
        methods = {
            name
            for name, value in vars(cls).items()
            if callable(value) and not name.startswith("_")
        }
        aliases = {
            name
            for name in methods
            if "Deprecated: the former name" in (getattr(cls, name).__doc__ or "")
        }
        assert not aliases & docs[group], group
        listed = docs[group] | {f"iter_{name}" for name in docs[group]}
        assert methods - aliases <= listed, group


async def test_a_former_name_still_works_for_a_release_and_says_the_new_one(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    client = FronteggClient(make_session())
    await client.session.access_token()  # the session's own login first
    logins = fake.api_calls["general.login"]
    credentials = AuthenticateUserPasswordDto(email=EMAIL, password=PASSWORD)
    with pytest.warns(DeprecationWarning, match=r"call client\.general\.login") as warned:
        answer = await client.general.create_auth_user(credentials)
    assert answer.access_token
    assert warned[0].filename == __file__  # the warning points at the caller
    assert fake.api_calls["general.login"] == logins + 1  # the same operation
    with pytest.warns(DeprecationWarning, match=r"client\.users\.get_me\b"):
        me = await client.users.get_me_v3()
    assert isinstance(me, UserV3Dto)


def test_counting_parameters_are_whole_numbers() -> None:
    hints = typing.get_type_hints(UserGroupsApi.get)
    assert hints["limit"] == int | None
    assert hints["offset"] == int | None


async def test_a_read_the_spec_leaves_undescribed_returns_its_json(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    client = FronteggClient(make_session())
    fake.fail_next("api", body=b'{"levels": [1, 2, 3]}')
    assert await client.account_roles.get_distinct_levels() == {"levels": [1, 2, 3]}
