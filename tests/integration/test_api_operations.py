"""Every operation of the identity API, called through FronteggClient against the spec fake.

Each call goes over loopback through a real session's request path; the fake checks the
request against the operation's parameters and request schema (400 otherwise) and answers with
a body built from the response schema, which the client must read into its model. Both kinds
of answer are tried: with every optional property, and with the required ones only; and every
operation is called once more just after the server stopped accepting the current tokens, so
that it must renew the token, resend the request and succeed.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import typing
from collections.abc import AsyncIterator, Mapping
from typing import Any

import attrs
import pytest
import pytest_asyncio

from frontegg_async import EnvironmentSession, FronteggClient, FronteggSession
from frontegg_async.api._core import Page, structure_answer, unstructure_body
from frontegg_async.testing import FakeFrontegg
from frontegg_async.testing._spec import SpecOperation, SpecTable

from ..conftest import EMAIL, PASSWORD, api_groups, generator, is_former_name

pytestmark = pytest.mark.asyncio(loop_scope="module")

TABLE = SpecTable.load()
#: The sessions' own calls: the fake answers them by what they ask (credentials checked, a
#: refresh only with the refresh cookie), never with a body made from the schema, so sample
#: arguments get the refusal a real Frontegg gives. ``test_session_calls_through_the_client``.
SESSION_CALLS = frozenset(
    {
        "general.login",
        "general.refresh_auth_user_token",
        "general.logout_auth",
        "mfa.verify_auth_user_mfa",
        "api_token.authenticate",
        "api_token.refresh_api_token",
    }
)
OPERATIONS = sorted(TABLE.operations, key=lambda op: op.name)
SPEC_ANSWERED = [op for op in OPERATIONS if op.name not in SESSION_CALLS]
#: Operation names each mode reached, for the count printed at the end of the run.
MODES = {
    "full": "full answers",
    "required-only": "required-only answers",
    "after-401": "after a 401, renewed and resent",
}
COVERED: dict[str, set[str]] = {words: set() for words in MODES.values()}
COVERED["session calls, answered by what they ask"] = set()


class World:
    """One fake and one client of each kind, shared by the module's tests."""

    def __init__(self, fake: FakeFrontegg, user: FronteggClient, env: FronteggClient) -> None:
        self.fake = fake
        self.user = user
        self.environment = env
        self.complaints: list[dict[str, Any]] = []


@pytest.fixture
def no_loop_complaints() -> None:
    """This module checks the loop for complaints once, in ``world`` (its loop is shared)."""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world() -> AsyncIterator[World]:
    loop = asyncio.get_running_loop()
    complaints: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: complaints.append(context))
    async with FakeFrontegg(token_lifetime=600) as fake:
        fake.add_user(EMAIL, PASSWORD, tenant_ids=["tenant-a", "tenant-b"], tenant_id="tenant-a")
        async with (
            FronteggSession(fake.identity_url, email=EMAIL, password=PASSWORD) as user_session,
            EnvironmentSession(
                fake.url, client_id=fake.client_id, secret=fake.environment_secret
            ) as env_session,
        ):
            yield World(fake, FronteggClient(user_session), FronteggClient(env_session))
    loop.set_exception_handler(previous)
    assert not complaints, [c.get("message") for c in complaints]


def sample(operation: SpecOperation, schema: Mapping[str, Any]) -> Any:
    """A value for a query or header parameter that fits its schema."""
    schema = TABLE.deref(schema)
    if schema.get("type") == "array":
        return [sample(operation, schema.get("items", {}))]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "string")
    if kind in ("number", "integer"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    return "sample-value"


def arguments(operation: SpecOperation, method: Any) -> tuple[list[Any], dict[str, Any]]:
    """Positional and keyword arguments that make a valid call of ``operation``."""
    positional: list[Any] = []
    keywords: dict[str, Any] = {}
    for parameter in operation.parameters:
        if parameter["in"] == "path":
            enum = TABLE.deref(parameter["schema"]).get("enum")
            positional.append(enum[0] if enum else f"{parameter['name']}-1")
        elif parameter.get("required") or parameter["in"] == "query":
            keywords[generator().py_name(parameter["name"])] = sample(
                operation, parameter["schema"]
            )
    if operation.request_body is not None:
        schema = operation.request_body["content"]["application/json"]["schema"]
        data = TABLE.make(schema, "body", optional=True, depth=0)
        if operation.name == "users.replace_tenant":
            data = {"tenantId": "tenant-b"}  # answered by hand: must be one of the user's
        body_type = typing.get_type_hints(method)["body"]
        body = structure_answer(data, strip_none(body_type), what="test")
        # The model writes back exactly what it read: names and values survive the trip.
        assert unstructure_body(body) == data
        positional.append(body)
    return positional, keywords


def strip_none(annotation: Any) -> Any:
    options = [o for o in typing.get_args(annotation) if o is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, type(int | None)) and len(options) == 1:
        return options[0]
    return annotation


def check_answer(result: Any, annotation: Any) -> None:
    """``result`` is what the method's return annotation promises."""
    if annotation is type(None) or annotation is None:
        assert result is None
        return
    origin = typing.get_origin(annotation)
    if origin is list:
        (item,) = typing.get_args(annotation)
        assert isinstance(result, list)
        assert result, "the fake answers one item per array"
        for value in result:
            check_answer(value, item)
    elif origin is Page:
        (item,) = typing.get_args(annotation)
        assert isinstance(result, Page)
        for value in result.items:
            check_answer(value, item)
    elif attrs.has(annotation):
        assert isinstance(result, annotation)
    elif annotation is Any:  # no schema: the decoded JSON, as it came
        json.dumps(result)
    else:
        assert isinstance(result, annotation)


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("operation", SPEC_ANSWERED, ids=[op.name for op in SPEC_ANSWERED])
async def test_operation(world: World, operation: SpecOperation, mode: str) -> None:
    world.fake.answer_optional_fields = mode != "required-only"
    client: FronteggClient[Any] = (
        world.environment if operation.audience == "ENVIRONMENT" else world.user
    )
    group, name = operation.name.split(".")
    method = getattr(getattr(client, group), name)
    positional, keywords = arguments(operation, method)
    seen = len(world.fake.requests)
    if mode == "after-401":
        world.fake.reject_access_tokens()  # as after a signing key rotation
    before = world.fake.api_calls[operation.name]
    result = await method(*positional, **keywords)
    # A session's renewal: the environment token again, or a refresh with the cookie (the
    # client's own call of the refresh operation carries none).
    renewals = [
        r
        for r in world.fake.requests[seen:]
        if r.endpoint == "vendor" or (r.endpoint == "refresh" and r.cookies)
    ]
    # The fake matched the request to this very operation and it validated.
    assert world.fake.api_calls[operation.name] == before + 1
    check_answer(result, typing.get_type_hints(method)["return"])
    if mode == "after-401":  # refused once, renewed once (this client's session), resent
        assert len(renewals) == 1
    COVERED[MODES[mode]].add(operation.name)


async def test_every_operation_is_a_method() -> None:
    assert len(SPEC_ANSWERED) + len(SESSION_CALLS) == len(OPERATIONS)
    """The client's methods and the spec's operations are the same 307, one to one."""
    names = set()
    groups = api_groups()
    assert len(groups) == 38
    for group, cls in groups.items():
        names |= {
            f"{group}.{a}"
            for a, v in vars(cls).items()
            if inspect.iscoroutinefunction(v) and not is_former_name(cls, a)
        }
    assert names == {op.name for op in TABLE.operations}
    assert len(names) == 307


SECRET_NAME = re.compile(r"password|secret|token|apikey|privatekey|cookie|recoverycode|qrcode")


def secret_strings(value: Any, name: str = "") -> set[str]:
    """The string values in an answer that sit under a secret-looking property name."""
    if isinstance(value, dict):
        return set().union(*(secret_strings(v, k) for k, v in value.items()))
    if isinstance(value, list):
        return set().union(*(secret_strings(v, name) for v in value))
    key = name.lower().replace("_", "")
    if isinstance(value, str) and (SECRET_NAME.search(key) or key == "code"):
        return {value}
    return set()


async def test_no_answer_shows_a_secret_in_its_repr() -> None:
    """Every answer of every operation, read into its model: the values under secret-looking
    names (tokens, secrets, passwords, one-time codes...) never appear in the repr."""
    groups = api_groups()
    checked = 0
    for operation in OPERATIONS:
        group, name = operation.name.split(".")
        cls = groups[group]
        data = TABLE.answer(operation)
        secrets = secret_strings(data)
        if not secrets:
            continue
        result = structure_answer(
            data, typing.get_type_hints(getattr(cls, name))["return"], what="t"
        )
        shown = repr(result)
        assert not [s for s in secrets if s in shown], operation.name
        checked += 1
    assert checked > 30


def page_walkers() -> list[str]:
    """``group.iter_method`` for every ``iter_`` method of the client."""
    return sorted(
        f"{group}.{name}"
        for group, cls in api_groups().items()
        for name in vars(cls)
        if name.startswith("iter_") and not is_former_name(cls, name)
    )


@pytest.mark.parametrize("walker", page_walkers())
async def test_every_page_walker_walks(world: World, walker: str) -> None:
    """Each ``iter_`` method asks for page 0 with its page size and yields the page's items."""
    group, name = walker.split(".")
    operation = next(op for op in OPERATIONS if op.name == f"{group}.{name[5:]}")
    client = world.environment if operation.audience == "ENVIRONMENT" else world.user
    _, keywords = arguments(operation, getattr(getattr(client, group), name[5:]))
    keywords = {k: v for k, v in keywords.items() if k not in ("limit", "offset")}
    world.fake.answer_optional_fields = True
    before = len(world.fake.requests)
    items = [item async for item in getattr(getattr(client, group), name)(page_size=7, **keywords)]
    assert items
    assert all(attrs.has(type(item)) for item in items)
    path = "/identity" + operation.path
    sent = [r for r in world.fake.requests[before:] if r.path == path and r.status == 200]
    assert len(sent) == 1  # a short page: the walk stops there
    assert ("_limit", "7") in sent[0].query
    assert ("_offset", "0") in sent[0].query


async def test_session_calls_through_the_client(world: World) -> None:
    """Last in the module: it logs the user's session out at its end. The session's own
    calls, made through FronteggClient, get what Frontegg gives such a caller."""
    from frontegg_async import AuthenticationError
    from frontegg_async.api.models import (
        AuthApiTokenDto,
        AuthenticateUserPasswordDto,
        RefreshApiTokenDto,
        RefreshTokenDto,
        VerifyMFAAuthAppRequest,
    )

    fake, user, env = world.fake, world.user, world.environment
    fake.add_api_token("operations-m2m", "operations-m2m-secret")
    before = dict(fake.api_calls)  # the sessions' own calls count too
    signed_in = await user.general.login(
        AuthenticateUserPasswordDto(email=EMAIL, password=PASSWORD)
    )
    assert fake.decode(signed_in.access_token)["email"] == EMAIL
    with pytest.raises(AuthenticationError):
        await user.general.login(
            AuthenticateUserPasswordDto(email=EMAIL, password="not-the-password")
        )
    # A bearer proves nothing to the refresh endpoint: without the cookie, 401.
    with pytest.raises(AuthenticationError):
        await user.general.refresh_auth_user_token(RefreshTokenDto(), frontegg_vendor_host="x")
    with pytest.raises(AuthenticationError):
        await user.mfa.verify_auth_user_mfa(
            VerifyMFAAuthAppRequest(mfa_token="no-such-challenge", value="123456")
        )
    pair = await env.api_token.authenticate(
        AuthApiTokenDto(client_id="operations-m2m", secret="operations-m2m-secret")
    )
    renewed = await env.api_token.refresh_api_token(
        RefreshApiTokenDto(refresh_token=pair.refresh_token)
    )
    assert renewed.refresh_token != pair.refresh_token
    with pytest.raises(AuthenticationError):  # rotation: the spent one is refused
        await env.api_token.refresh_api_token(RefreshApiTokenDto(refresh_token=pair.refresh_token))
    # (A 401 from an API call renews the session's token and resends once: twice here.)
    assert fake.reused_refresh_tokens >= 1
    await user.general.logout_auth(frontegg_vendor_host="x")  # revokes the bearer it carries
    # (Each 401 above also made the user's session renew with its own cookie, as any 401 of an
    # API call does: those refreshes succeed, so they are not counted here.)
    succeeded = {
        name: fake.api_calls[f"general.{name}"] - before.get(f"general.{name}", 0)
        for name in ("login", "logout_auth")
    }
    assert succeeded == {"login": 1, "logout_auth": 1}
    COVERED["session calls, answered by what they ask"] |= SESSION_CALLS
