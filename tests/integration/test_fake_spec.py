"""The fake answers with bodies that validate against Frontegg's published spec, and the
sessions send requests that do too."""

from __future__ import annotations

import base64
import functools
import json
import pathlib
from typing import Any

import jsonschema
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from frontegg_async import ApiTokenSession, EnvironmentSession
from frontegg_async.testing import FakeFrontegg, RecordedRequest

from ..conftest import PASSWORD, SessionFactory

OPENAPI = pathlib.Path(__file__).resolve().parents[2] / "spec"

# endpoint -> (spec file, path, method, the status the spec documents for success)
OPERATIONS = {
    "login": ("identity.json", "/resources/auth/v1/user", "post", "200"),
    "refresh": ("identity.json", "/resources/auth/v1/user/token/refresh", "post", "201"),
    "logout": ("identity.json", "/resources/auth/v1/logout", "post", "201"),
    "mfa_verify": ("identity.json", "/resources/auth/v1/user/mfa/verify", "post", "201"),
    "me": ("identity.json", "/resources/users/v2/me", "get", "200"),
    "switch_tenant": ("identity.json", "/resources/users/v1/tenant", "put", "200"),
    "users": ("identity.json", "/resources/users/v3", "get", "200"),
    "api_token": ("identity.json", "/resources/auth/v2/api-token", "post", "200"),
    "api_token_refresh": (
        "identity.json",
        "/resources/auth/v2/api-token/token/refresh",
        "post",
        "200",
    ),
    "vendor": ("env-auth.json", "/", "post", "200"),
}
#: The spec operations this test calls through the fake's "api" endpoint, by request path.
API_OPERATIONS = {
    "/identity/resources/users/v3/me": ("identity.json", "/resources/users/v3/me", "get", "200"),
}
# The spec documents no body for MFA verification; Frontegg answers as after a login.
UNDOCUMENTED = {"mfa_verify": "AuthenticationResponseDto"}


#: Where Frontegg's own clients read an answer otherwise than the spec describes it, they win
#: (PROTOCOL.md): schema -> property -> what the clients read.
CLIENTS_WIN = {
    "AuthenticationResponseDto": {
        # A list of names, read with .length and [0] by the web SDK; the spec says "object".
        "mfaStrategies": {"type": "array", "items": {"type": "string"}},
    },
}


#: Required headers that none of Frontegg's clients sends with a user's token: the gateway
#: derives them from it (PROTOCOL.md), and so the library leaves them out.
DERIVED_FROM_USER_TOKEN = frozenset({"frontegg-tenant-id", "frontegg-user-id"})


def bearer_claims(request: RecordedRequest) -> dict[str, Any]:
    """The payload of the request's bearer JWT, unverified ({} without one)."""
    token = request.headers.get("Authorization", "").removeprefix("Bearer ")
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
    )
    return claims


def load(name: str, *, as_clients_read: bool = False) -> dict[str, Any]:
    """A spec file; with ``as_clients_read``, ``CLIENTS_WIN`` applied (for the answers the fake
    gives by hand, as Frontegg does)."""
    spec: dict[str, Any] = json.loads((OPENAPI / name).read_text())
    schemas = spec.get("components", {}).get("schemas", {})
    for schema, properties in CLIENTS_WIN.items() if as_clients_read else ():
        if schema in schemas:
            schemas[schema]["properties"].update(properties)
    return spec


def validator(spec: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Validator:
    return jsonschema.Draft7Validator({**schema, "components": spec["components"]})


def entry(request: RecordedRequest) -> tuple[str, str, str, str]:
    """Where the spec describes a recorded request: (spec file, path, method, success)."""
    if request.endpoint == "api":
        return API_OPERATIONS[request.path]
    return OPERATIONS[request.endpoint]


def operation(request: RecordedRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    spec_name, path, method, _ = entry(request)
    spec = load(spec_name, as_clients_read=True)
    return spec, spec["paths"][path][method]


def check_answer(request: RecordedRequest) -> None:
    spec, op = operation(request)
    status = entry(request)[3]
    if request.status >= 400:
        assert isinstance(request.response_json["errors"], list)
        assert all(isinstance(m, str) for m in request.response_json["errors"])
        return
    assert str(request.status) == status, (request.endpoint, request.status)
    content = op["responses"][status].get("content")
    if content is None:
        if request.endpoint in UNDOCUMENTED:
            schema = {"$ref": f"#/components/schemas/{UNDOCUMENTED[request.endpoint]}"}
            validator(spec, schema).validate(request.response_json)
        else:
            assert request.response_json is None
        return
    validator(spec, content["application/json"]["schema"]).validate(request.response_json)


def check_request(request: RecordedRequest) -> None:
    spec, op = operation(request)
    user_token = "type" in bearer_claims(request)
    for parameter in op.get("parameters", []):
        if parameter["in"] == "header" and parameter.get("required"):
            if user_token and parameter["name"] in DERIVED_FROM_USER_TOKEN:
                continue  # the clients win: see DERIVED_FROM_USER_TOKEN
            assert request.headers.get(parameter["name"]), (request.endpoint, parameter["name"])
    body = op.get("requestBody")
    if body is not None and request.method != "GET":
        schema = body["content"]["application/json"]["schema"]
        validator(spec, schema).validate(request.json)


async def test_every_request_and_answer_validates(
    fake: FakeFrontegg, make_session: SessionFactory
) -> None:
    key = b"spec-check-totp-key-1234"
    fake.add_user("mfa@example.com", PASSWORD, totp_secret=base64.b32encode(key).decode())
    fake.add_user("multi@example.com", PASSWORD, tenant_id="t1", tenant_ids=["t1", "t2"])
    fake.add_api_token("m2m", "m2m-secret")

    session = make_session(email="multi@example.com")
    await session.login()
    await session.refresh()
    await session.me()
    await session.request("GET", "resources/users/v3/me")
    await session.switch_tenant("t2")
    await session.request("GET", "resources/users/v3", params={"_limit": 2})
    await session.logout()
    mfa = make_session(email="mfa@example.com", totp_secret=base64.b32encode(key).decode())
    await mfa.login()
    fake.fail_next("login", status=429)
    with pytest.raises(Exception):  # noqa: B017, PT011 - only the bodies matter here
        await mfa.login()
    async with ApiTokenSession(fake.identity_url, client_id="m2m", secret="m2m-secret") as api:
        await api.refresh()
    async with EnvironmentSession(
        fake.url, client_id=fake.client_id, secret=fake.environment_secret
    ) as environment:
        await environment.refresh()

    seen = set()
    for request in fake.requests:
        check_answer(request)
        if request.status < 300:
            check_request(request)
        seen.add(request.endpoint)
    assert seen == {*OPERATIONS, "api"}


def as_json_schema(value: Any, *, patterns: bool = False) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: ``nullable`` becomes a null alternative. Several of
    the spec's ``pattern`` values are JavaScript literals (``/^x$/``) or the names of constants,
    not regexes: they are dropped, or with ``patterns`` the literals are unwrapped and only the
    names dropped."""
    if isinstance(value, list):
        return [as_json_schema(item, patterns=patterns) for item in value]
    if not isinstance(value, dict):
        return value
    converted = {
        key: (
            {name: as_json_schema(sub, patterns=patterns) for name, sub in item.items()}
            if key == "properties"
            else as_json_schema(item, patterns=patterns)
        )
        for key, item in value.items()
        if key not in ("nullable", "pattern") or key == "properties"
    }
    pattern = value.get("pattern")
    if patterns and isinstance(pattern, str) and not pattern.isalpha():
        literal = len(pattern) > 1 and pattern.startswith("/") and pattern.endswith("/")
        converted["pattern"] = pattern[1:-1] if literal else pattern
    if value.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def test_the_spec_fakes_bodies_validate_against_the_spec_itself() -> None:
    """An independent check of the spec-driven fake: jsonschema, on the original spec, accepts
    every answer it builds (full and required-only) and every request body it would build."""
    from frontegg_async.testing._spec import SpecTable

    spec = load("identity.json")
    components = as_json_schema(spec["components"])
    table = SpecTable.load()
    checked = 0
    for op in table.operations:
        raw = spec["paths"][op.path][op.method.lower()]
        for status in ("200", "201", "202", "204"):
            if status in raw["responses"]:
                content = raw["responses"][status].get("content")
                break
        if content is not None:
            schema = as_json_schema(content["application/json"]["schema"])
            for optional in (True, False):
                body = table.make(schema, "value", optional=optional, depth=0)
                jsonschema.Draft7Validator({**schema, "components": components}).validate(body)
            checked += 1
        if "requestBody" in raw:
            schema = as_json_schema(raw["requestBody"]["content"]["application/json"]["schema"])
            body = table.make(schema, "body", optional=True, depth=0)
            jsonschema.Draft7Validator({**schema, "components": components}).validate(body)
            problems: list[str] = []
            table.check(schema, body, "body", problems)
            assert problems == []
            checked += 1
    assert checked > 300


def strict_json_schema(value: Any) -> Any:
    """``as_json_schema`` plus the fake's own reading of the spec: declared properties are the
    only ones allowed, and a ``oneOf`` needs one fitting shape, not exactly one."""
    if isinstance(value, list):
        return [strict_json_schema(item) for item in value]
    if not isinstance(value, dict):
        return value
    converted = {
        ("anyOf" if key == "oneOf" else key): (
            {name: strict_json_schema(sub) for name, sub in item.items()}
            if key == "properties"
            else strict_json_schema(item)
        )
        for key, item in value.items()
    }
    if value.get("properties"):
        converted["additionalProperties"] = False
    return converted


JSON_LEAVES = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=4,
)


def mutate(value: Any, data: st.DataObject) -> Any:
    """``value`` with one part replaced, one key dropped or one key added."""
    if isinstance(value, dict) and value and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(value)))
        action = data.draw(st.sampled_from(["drop", "add", "deeper"]))
        if action == "drop":
            return {k: v for k, v in value.items() if k != key}
        if action == "add":
            return {**value, data.draw(st.text(min_size=1, max_size=4)): 1}
        return {**value, key: mutate(value[key], data)}
    if isinstance(value, list) and value and data.draw(st.booleans()):
        return [mutate(value[0], data), *value[1:]]
    return data.draw(JSON_VALUES)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_fakes_validator_agrees_with_jsonschema(data: st.DataObject) -> None:
    """On the spec's request shapes, mutated at random, the fake's validator refuses exactly
    what jsonschema refuses (reading the spec as the fake does)."""
    table, components = strict_spec()
    bodies = [op.request_body for op in table.operations if op.request_body is not None]
    body = data.draw(st.sampled_from(bodies))
    schema = body["content"]["application/json"]["schema"]
    value = mutate(table.make(schema, "body", optional=data.draw(st.booleans()), depth=0), data)
    problems: list[str] = []
    table.check(schema, value, "body", problems)
    strict = strict_json_schema(as_json_schema(schema, patterns=True))
    valid = jsonschema.Draft7Validator({**strict, "components": components}).is_valid(value)
    event(f"valid={valid}")
    assert valid == (problems == []), (value, problems)


@functools.cache
def strict_spec() -> tuple[Any, dict[str, Any]]:
    from frontegg_async.testing._spec import SpecTable

    schemas = load("identity.json")["components"]["schemas"]
    return SpecTable.load(), {"schemas": strict_json_schema(as_json_schema(schemas, patterns=True))}
