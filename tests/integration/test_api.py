"""FronteggClient's behaviour around the calls: sessions, renewal, errors, paths, pages."""

from __future__ import annotations

import json
import pathlib
from collections.abc import AsyncIterator
from typing import Any, cast

import attrs
import pytest

from frontegg_async import (
    EnvironmentSession,
    FronteggClient,
    InvalidRequestError,
    NotFoundError,
    ResponseFormatError,
    WrongSessionError,
)
from frontegg_async.api.models import (
    AddRoleRequest,
    AuthenticateUserPasswordDto,
    CreateTenantApiTokenDto,
    RoleResponse,
)
from frontegg_async.testing import FakeFrontegg

from ..conftest import PASSWORD, SessionFactory, api_groups, generator

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPEC = ROOT / "spec" / "identity.json"


@pytest.fixture
async def environment(fake: FakeFrontegg) -> AsyncIterator[EnvironmentSession]:
    async with EnvironmentSession(
        fake.url, client_id=fake.client_id, secret=fake.environment_secret
    ) as session:
        yield session


async def test_self_service_and_management_calls(
    fake: FakeFrontegg, make_session: SessionFactory, environment: EnvironmentSession
) -> None:
    user = FronteggClient(make_session())
    me = await user.users.get_me()
    assert me.email == "ada@example.com"  # the fake's own user, read into the generated model
    admin = FronteggClient(environment)
    created = await admin.roles.create([AddRoleRequest(key="auditor", name="Auditor", level=1)])
    assert isinstance(created[0], RoleResponse)
    sent = [r for r in fake.requests if r.path == "/identity/resources/roles/v1"][-1]
    # snake_case in Python, the spec's camelCase on the wire; unset fields are not sent.
    assert sent.json == [{"key": "auditor", "name": "Auditor", "level": 1}]
    assert admin.session is environment


async def test_tenant_and_user_headers_come_from_a_users_token(
    fake: FakeFrontegg, make_session: SessionFactory, environment: EnvironmentSession
) -> None:
    # As Frontegg's clients call it: no frontegg-tenant-id / frontegg-user-id with a user's
    # token (the gateway derives them); with the environment token they are required, and
    # checked before anything is sent.
    user = FronteggClient(make_session())
    tenants = await user.users.get_me_tenants()
    assert tenants
    sent = [r for r in fake.requests if r.path.endswith("/users/v2/me/tenants")][-1]
    assert "frontegg-user-id" not in sent.headers
    admin = FronteggClient(environment)
    before = len(fake.requests)
    with pytest.raises(InvalidRequestError, match="frontegg_user_id with the environment token"):
        await admin.users.get_me_tenants()
    assert len(fake.requests) == before
    me = await user.session.me()
    assert await admin.users.get_me_tenants(frontegg_user_id=me.id)


async def test_a_management_call_on_a_user_session_is_refused_before_sending(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    client = FronteggClient(make_session())
    await client.session.access_token()
    before = len(fake.requests)
    with pytest.raises(WrongSessionError, match=r"client\.roles\.get manages the environment"):
        await client.roles.get()
    assert len(fake.requests) == before


async def test_the_fake_refuses_a_management_call_with_a_user_token(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    # Without the client's own check, the server's answer is a typed error too.
    session = make_session()
    with pytest.raises(Exception, match="HTTP 403") as caught:
        await session.request("GET", "resources/roles/v1")
    assert caught.value.status == 403  # type: ignore[attr-defined]


async def test_a_401_renews_the_token_once_and_retries(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    client = FronteggClient(make_session())
    await client.users.get_me()
    fake.reject_access_tokens()
    logins, refreshes = fake.calls["login"], fake.calls["refresh"]
    assert (await client.users.get_me()).email == "ada@example.com"
    assert (fake.calls["login"], fake.calls["refresh"]) == (logins, refreshes + 1)


async def test_pagination_walks_every_page(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    for index in range(5):
        fake.add_user(f"user{index}@example.com", PASSWORD)
    client = FronteggClient(make_session())
    before = fake.calls["users"]
    emails = [user.email async for user in client.users.iter_get(page_size=2)]
    assert emails == sorted(["ada@example.com", *(f"user{i}@example.com" for i in range(5))])
    assert fake.calls["users"] - before == 3  # 6 users, 2 a page, stops at the last page
    page = await client.users.get(limit=4, offset=1)
    assert [u.email for u in page.items] == emails[4:]
    assert page.metadata is not None
    assert page.metadata.total_pages == 2


async def test_an_invalid_request_is_a_typed_error_with_the_servers_reasons(
    fake: FakeFrontegg, environment: EnvironmentSession
) -> None:
    client = FronteggClient(environment)
    with pytest.raises(InvalidRequestError) as caught:
        await client.users.get(sort_by=cast(Any, "shoe-size"))
    assert caught.value.status == 400
    assert any("query _sortBy must be one of" in message for message in caught.value.errors)


async def test_path_parameters_are_checked_and_quoted(
    fake: FakeFrontegg, environment: EnvironmentSession
) -> None:
    client = FronteggClient(environment)
    before = len(fake.requests)
    with pytest.raises(InvalidRequestError, match=r"path parameter 'roleId'.*nothing was sent"):
        await client.roles.delete("")
    assert len(fake.requests) == before
    await client.roles.delete("a/b c")
    # One segment on the wire ("a%2Fb%20c"), so the fake found the operation.
    assert fake.api_calls["roles.delete"] == 1


async def test_an_answer_that_does_not_fit_names_the_field(
    fake: FakeFrontegg, environment: EnvironmentSession
) -> None:
    client = FronteggClient(environment)
    fake.fail_next("api", body=b'[{"id": "r1", "key": 7}]')
    with pytest.raises(ResponseFormatError, match=r"client\.roles\.get .*\$\[0\]\.key"):
        await client.roles.get()


async def test_an_answer_that_does_not_fit_still_gives_its_json(
    fake: FakeFrontegg, environment: EnvironmentSession
) -> None:
    client = FronteggClient(environment)
    # A field of the wrong type: the typed call fails, naming it, and the error holds the
    # decoded answer for the caller to read anyway.
    drifted = [{"id": "r1", "key": 7, "name": "canary-drift"}]
    fake.fail_next("api", body=json.dumps(drifted).encode())
    with pytest.raises(ResponseFormatError, match=r"client\.roles\.get .*\$\[0\]\.key") as raised:
        await client.roles.get()
    assert raised.value.data == drifted
    shown = str(raised.value) + repr(raised.value) + repr(raised.value.args)
    assert "canary-drift" not in shown


async def test_an_empty_answer_where_a_model_was_due_is_a_format_error(
    fake: FakeFrontegg, environment: EnvironmentSession
) -> None:
    client = FronteggClient(environment)
    fake.fail_next("api", body=b"")
    with pytest.raises(ResponseFormatError, match=r"roles\.get answered with an empty body"):
        await client.roles.get()


async def test_not_found_is_its_own_error(environment: EnvironmentSession) -> None:
    client = FronteggClient(environment)
    with pytest.raises(NotFoundError):
        await client.session.request("GET", "resources/no-such-thing/v1")


async def test_secrets_in_answers_stay_out_of_reprs(environment: EnvironmentSession) -> None:
    client = FronteggClient(environment)
    token = await client.api_tokens.create_tenants_api_tokens(
        CreateTenantApiTokenDto(description="ci"), frontegg_tenant_id="tenant-1"
    )
    assert token.secret == "fake-secret"
    assert "fake-secret" not in repr(token)


async def test_the_client_takes_only_sessions() -> None:
    with pytest.raises(TypeError, match="takes a FronteggSession"):
        FronteggClient(cast(Any, "not a session"))


def test_the_generated_code_is_what_the_generator_writes(tmp_path: pathlib.Path) -> None:
    generator().generate(SPEC, tmp_path)
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(
        [
            *(
                p.relative_to(ROOT)
                for p in (ROOT / "frontegg_async/api").glob("*.py")
                if p.name not in generator().HAND_WRITTEN
            ),
            pathlib.Path("frontegg_async/testing/_operations.json"),
            pathlib.Path("docs/api.md"),
        ]
    )
    assert written == committed
    stale = [str(p) for p in written if (tmp_path / p).read_bytes() != (ROOT / p).read_bytes()]
    assert stale == [], "run: python tools/generate_api"


async def test_the_readme_examples_run(fake: FakeFrontegg) -> None:
    """The three examples of the README's API section, run as written against the fake."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## The whole identity API, typed")[1].split("\n## ")[0]
    blocks = section.split("```python\n")[1:4]
    code = "\n".join(block.split("```")[0] for block in blocks)
    assert code.count("client.users.get_me()") == 1
    code = code.replace("Region.EU", "GATEWAY")
    body = "".join(f"    {line}\n" for line in code.splitlines())
    namespace: dict[str, Any] = {
        "BASE_URL": fake.identity_url,
        "EMAIL": "ada@example.com",
        "PASSWORD": PASSWORD,
        "GATEWAY": fake.url,
        "CLIENT_ID": fake.client_id,
        "API_KEY": fake.environment_secret,
        "TENANT_ID": "tenant-1",
    }
    exec(f"async def example():\n{body}", namespace)
    await namespace["example"]()
    assert fake.api_calls["roles.create"] == 1
    assert fake.calls["users"] == 2  # the page, then the walk over a single page
    # The fourth: falling back on the JSON of an answer that drifted from the spec.
    fallback = section.split("```python\n")[4].split("```")[0].replace("Region.EU", "GATEWAY")
    body = "".join(f"    {line}\n" for line in fallback.splitlines()) + "    return keys\n"
    exec(f"async def fallback():\n{body}", namespace)
    fake.fail_next("api", body=b'[{"id": "r1", "key": "auditor", "name": null}]')
    assert await namespace["fallback"]() == ["auditor"]


def test_every_method_the_docs_name_exists() -> None:
    """``client.group.method`` in the README, and every row of docs/api.md, resolve."""
    import re

    rows = set()
    group = ""
    for line in (ROOT / "docs/api.md").read_text().splitlines():
        if line.startswith("## client."):
            group = line.removeprefix("## client.")
        elif line.startswith("| `"):
            rows.add((group, line.split("`")[1]))
    assert len(rows) == 307
    in_readme = set(re.findall(r"client\.(\w+)\.(\w+)", (ROOT / "README.md").read_text()))
    assert in_readme
    groups = api_groups()
    for group, method in rows | in_readme:
        assert hasattr(groups[group], method), f"client.{group}.{method}"


async def test_query_parameters_are_spelled_as_frontegg_reads_them(
    fake: FakeFrontegg, environment: EnvironmentSession
) -> None:
    client = FronteggClient(environment)
    await client.core_settings.get_jwt_templates(ids=["t1", "t2"], limit=50.0, keys=None)
    await client.users.get_query_phrase(include_sub_tenants=False, ids="u1,u2")
    first, second = fake.requests[-2].query, fake.requests[-1].query
    # Arrays repeat the name, booleans are words, whole numbers have no ".0", None is left out.
    assert first == (("ids", "t1"), ("ids", "t2"), ("_limit", "50"))
    assert second == (("_includeSubTenants", "false"), ("ids", "u1,u2"))
    assert fake.api_calls["core_settings.get_jwt_templates"] == 1


def test_one_of_reads_the_shape_that_keeps_every_key() -> None:
    from frontegg_async.api._core import structure_answer
    from frontegg_async.api.models import (
        ExternalAuth0UserSourceConfig,
        UserSourceNewTenantConfig,
        UserSourceStaticTenantConfig,
    )

    either = UserSourceNewTenantConfig | UserSourceStaticTenantConfig
    static = structure_answer({"tenantResolverType": "static", "tenantId": "t1"}, either, what="t")
    assert static == UserSourceStaticTenantConfig(tenant_resolver_type="static", tenant_id="t1")
    new = structure_answer({"tenantResolverType": "new"}, either, what="t")
    assert new == UserSourceNewTenantConfig(tenant_resolver_type="new")
    config = {"syncOnLogin": True, "isMigrated": False, "domain": "d", "clientId": "c"}
    with pytest.raises(ResponseFormatError, match=r"expected .*TenantConfig @ \$\.tenant_config"):
        structure_answer(
            {**config, "secret": "s", "tenantConfig": {"tenantId": 5}},
            ExternalAuth0UserSourceConfig,
            what="t",
        )


def test_each_shape_the_session_reads_itself_has_one_definition_with_the_schemas_fields() -> None:
    import frontegg_async
    from frontegg_async import _models
    from frontegg_async._convert import wire_name
    from frontegg_async.api import models

    shared = generator().models.SHARED
    schemas = json.loads(SPEC.read_text())["components"]["schemas"]
    assert shared, "the table is empty"
    for schema, hand_written in shared.items():
        cls = getattr(_models, hand_written)
        # One class: the generated name is the session's own, exported under both names.
        assert getattr(models, schema) is cls is getattr(frontegg_async, hand_written)
        # Not lossy: every property the spec gives is read (by the same wire name), and no
        # field is invented.
        wire = {wire_name(a) for a in attrs.fields(cls)} - {"groups"}
        assert wire == set(schemas[schema]["properties"]) - {"groups"}, schema


async def test_a_generated_login_that_asks_for_mfa_reads_as_the_sessions_own(
    fake: FakeFrontegg, environment: EnvironmentSession
) -> None:
    # The spec's AuthenticationResponseDto requires tokens that an MFA challenge never carries:
    # read by the one lenient definition, client.general.login answers instead of failing.
    fake.add_user("mfa@example.com", PASSWORD, totp_secret="JBSWY3DPEHPK3PXP")
    client = FronteggClient(environment)
    answer = await client.general.login(
        AuthenticateUserPasswordDto(email="mfa@example.com", password=PASSWORD)
    )
    assert answer.mfa_required is True
    assert answer.access_token == ""
    assert answer.mfa_strategies == ("AuthenticatorApp",)
