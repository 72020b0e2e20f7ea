"""The fake's spec-driven half: every identity operation, checked and answered from the spec.

``_operations.json`` (written by tools/generate_api) holds each operation's method, path,
parameters, request schema and success answer, without the spec's prose. For a request this
module finds the operation, lists everything in the request that does not fit it (the fake
answers those with 400 and ``{"errors": [...]}``), and builds an answer body from the response
schema. The validator covers the part of OpenAPI 3.0 the spec uses: types, ``nullable``,
``enum``, bounds, ``maxLength``, ``pattern``, ``required``, ``allOf``/``oneOf`` and ``$ref``.
Objects with declared properties refuse undeclared ones, as Frontegg's request validation does.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any
from urllib.parse import unquote

from attrs import frozen

_MISSING = object()


@frozen
class SpecOperation:
    """One operation of the table."""

    name: str
    method: str
    path: str
    audience: str
    parameters: tuple[Mapping[str, Any], ...]
    request_body: Mapping[str, Any] | None
    status: int
    response: Mapping[str, Any] | None
    pattern: re.Pattern[str]
    literal_segments: int


class SpecTable:
    """The identity API's operations, for matching, validating and answering requests."""

    def __init__(self, table: Mapping[str, Any]) -> None:
        self.schemas: Mapping[str, Any] = table["schemas"]
        operations = []
        for raw in table["operations"]:
            path = raw["path"]
            regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
            operations.append(
                SpecOperation(
                    name=raw["name"],
                    method=raw["method"],
                    path=path,
                    audience=raw["audience"],
                    parameters=tuple(raw["parameters"]),
                    request_body=raw["requestBody"],
                    status=raw["status"],
                    response=raw["response"],
                    pattern=re.compile(regex + "$"),
                    literal_segments=sum("{" not in s for s in path.split("/")),
                )
            )
        # A literal segment beats a parameter: /users/v1/email before /users/v1/{id}.
        operations.sort(key=lambda op: -op.literal_segments)
        self.operations: tuple[SpecOperation, ...] = tuple(operations)

    @classmethod
    @functools.cache
    def load(cls) -> SpecTable:
        """The table shipped with the package (generated from the identity spec)."""
        text = resources.files(__package__).joinpath("_operations.json").read_text("utf-8")
        return cls(json.loads(text))

    def deref(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def match(self, method: str, path: str) -> tuple[SpecOperation, dict[str, str]] | None:
        """The operation for ``method path`` (the raw path after ``/identity``) and its path
        values, decoded."""
        for operation in self.operations:
            if operation.method != method:
                continue
            found = operation.pattern.match(path)
            if found is not None:
                return operation, {k: unquote(v) for k, v in found.groupdict().items()}
        return None

    def allows(self, path: str) -> list[str]:
        """The methods some operation offers on ``path`` (for a 405 answer)."""
        return sorted({op.method for op in self.operations if op.pattern.match(path)})

    # -- requests ---------------------------------------------------------------------------

    def check_request(
        self,
        operation: SpecOperation,
        path_values: Mapping[str, str],
        query: Sequence[tuple[str, str]],
        headers: Mapping[str, str],
        content_type: str,
        raw_body: bytes,
        *,
        derived: frozenset[str] = frozenset(),
    ) -> list[str]:
        """Everything in the request that does not fit ``operation``; empty when it all fits.

        ``derived`` names headers the spec requires that may be left out (lower case): the
        gateway works them out itself."""
        problems: list[str] = []
        declared = {p["name"] for p in operation.parameters if p["in"] == "query"}
        for name, _ in query:
            if name not in declared:
                problems.append(f"query parameter {name!r} is not one of this operation's")
        for parameter in operation.parameters:
            name, where = parameter["name"], parameter["in"]
            schema = parameter.get("schema", {})
            if where == "path":
                self.check_text(schema, path_values.get(name, ""), f"path {name}", problems)
                continue
            if where == "query":
                values = [value for key, value in query if key == name]
            else:
                value = headers.get(name)
                values = [] if value is None else [value]
            if not values:
                if parameter.get("required") and not (
                    where == "header" and name.lower() in derived
                ):
                    problems.append(f"{where} parameter {name!r} is required")
                continue
            where_name = f"{where} {name}"
            if self.deref(schema).get("type") == "array":
                items = self.deref(schema).get("items", {})
                for value in values:
                    self.check_text(items, value, where_name, problems)
            elif len(values) > 1:
                problems.append(f"{where_name} is given {len(values)} times")
            else:
                self.check_text(schema, values[0], where_name, problems)
        body = operation.request_body
        if not raw_body.strip():
            if body is not None and body.get("required"):
                problems.append("a JSON body is required")
            return problems
        if body is None:
            problems.append("this operation takes no body")
            return problems
        if content_type != "application/json":
            problems.append(f"the body must be application/json, not {content_type or 'untyped'}")
            return problems
        try:
            value = json.loads(raw_body)
        except ValueError:
            problems.append("the body is not valid JSON")
            return problems
        self.check(body["content"]["application/json"]["schema"], value, "body", problems)
        return problems

    def check_text(
        self, schema: Mapping[str, Any], text: str, where: str, problems: list[str]
    ) -> None:
        """Check a path, query or header value (always text on the wire) against ``schema``."""
        schema = self.deref(schema)
        kind = schema.get("type", "string")
        value: Any = text
        if kind in ("number", "integer"):
            try:
                value = float(text)
            except ValueError:
                problems.append(f"{where} must be a number, got {text!r}")
                return
            if kind == "integer" and not value.is_integer():
                problems.append(f"{where} must be an integer, got {text!r}")
                return
        elif kind == "boolean":
            if text not in ("true", "false"):
                problems.append(f"{where} must be true or false, got {text!r}")
                return
            value = text == "true"
        elif not text:
            problems.append(f"{where} must not be empty")
            return
        self.check(schema, value, where, problems)

    def check(self, schema: Mapping[str, Any], value: Any, where: str, problems: list[str]) -> None:
        """Check decoded JSON ``value`` against ``schema``, appending what does not fit."""
        schema = self.deref(schema)
        if value is None:
            if not schema.get("nullable"):
                problems.append(f"{where} must not be null")
            return
        if "allOf" in schema:
            self.check(self.merged(schema), value, where, problems)
            return
        options = schema.get("oneOf") or schema.get("anyOf")
        if options:
            # The spec's oneOf shapes overlap; one that fits is enough.
            attempts = []
            for option in options:
                attempt: list[str] = []
                self.check(option, value, where, attempt)
                if not attempt:
                    return
                attempts.append(attempt)
            problems.append(f"{where} fits none of its {len(options)} shapes: {attempts[0][0]}")
            return
        kind = schema.get("type") or ("object" if "properties" in schema else None)
        if kind is not None and not _is_kind(value, kind):
            problems.append(f"{where} must be {_KIND_WORDS[kind]}, got {_json_kind(value)}")
            return
        if "enum" in schema and value not in schema["enum"]:
            allowed = ", ".join(json.dumps(v) for v in schema["enum"])
            problems.append(f"{where} must be one of {allowed}, got {json.dumps(value)}")
            return
        if isinstance(value, str):
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                problems.append(f"{where} is longer than {schema['maxLength']} characters")
            if "minLength" in schema and len(value) < schema["minLength"]:
                problems.append(f"{where} is shorter than {schema['minLength']} characters")
            pattern = _pattern(schema.get("pattern"))
            if pattern is not None and pattern.search(value) is None:
                problems.append(f"{where} does not match {pattern.pattern}")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                problems.append(f"{where} must be at least {schema['minimum']}")
            if "maximum" in schema and value > schema["maximum"]:
                problems.append(f"{where} must be at most {schema['maximum']}")
        elif isinstance(value, list):
            items = schema.get("items", {})
            for index, item in enumerate(value):
                self.check(items, item, f"{where}[{index}]", problems)
        elif isinstance(value, dict):
            properties: Mapping[str, Any] = schema.get("properties", {})
            for name in schema.get("required", []):
                if name not in value:
                    problems.append(f"{where}.{name} is required")
            for name, item in value.items():
                if name in properties:
                    self.check(properties[name], item, f"{where}.{name}", problems)
                elif properties:
                    problems.append(f"{where}.{name} is not a property of this shape")

    def merged(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        """An ``allOf`` as one object schema: the union of its parts' properties."""
        properties: dict[str, Any] = {}
        required: list[str] = []
        for part in schema["allOf"]:
            part = self.deref(part)
            if "allOf" in part:
                part = self.merged(part)
            properties.update(part.get("properties", {}))
            required += part.get("required", [])
        if len(schema["allOf"]) == 1 and not properties:
            return self.deref(schema["allOf"][0])
        merged: dict[str, Any] = {"type": "object", "properties": properties, "required": required}
        if schema.get("nullable"):
            merged["nullable"] = True
        return merged

    # -- answers ----------------------------------------------------------------------------

    def answer(self, operation: SpecOperation, *, optional: bool = True) -> Any:
        """A body that fits the operation's success answer (None when it has none).

        ``optional=False`` leaves out every property the schema does not require.
        """
        if operation.response is None:
            return None
        return self.make(operation.response, "value", optional=optional, depth=0)

    def make(self, schema: Mapping[str, Any], hint: str, *, optional: bool, depth: int) -> Any:
        """A value that fits ``schema``; ``hint`` (a property's name) flavours strings."""
        schema = self.deref(schema)
        if "allOf" in schema:
            schema = self.merged(schema)
        options = schema.get("oneOf") or schema.get("anyOf")
        if options:
            return self.make(options[0], hint, optional=optional, depth=depth)
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type") or ("object" if "properties" in schema else "string")
        if kind == "string":
            return _text_for(schema, hint)
        if kind in ("number", "integer"):
            low = schema.get("minimum", 1)
            return min(max(low, 1), schema.get("maximum", max(low, 1)))
        if kind == "boolean":
            return True
        if kind == "array":
            if depth > 8:
                return []
            return [self.make(schema.get("items", {}), hint, optional=optional, depth=depth + 1)]
        if "properties" not in schema:
            return {"key": "value"}  # a free-form object
        properties: Mapping[str, Any] = schema["properties"]
        required = set(schema.get("required", []))
        return {
            name: self.make(prop, name, optional=optional, depth=depth + 1)
            for name, prop in properties.items()
            if name in required or (optional and depth < 8)
        }


_KIND_WORDS = {
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "array": "an array",
    "object": "an object",
}


def _is_kind(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return True


def _json_kind(value: Any) -> str:
    for kind in ("boolean", "string", "number", "array", "object"):
        if _is_kind(value, kind):
            return _KIND_WORDS[kind]
    return type(value).__name__


@functools.cache
def _pattern(text: str | None) -> re.Pattern[str] | None:
    """The spec's ``pattern`` as a regex. Some are JavaScript literals (``/^[a-z]+$/``); some
    are only the name of a server-side constant (``phoneNumberRegexp``), which cannot be
    checked here and is skipped."""
    if text is None:
        return None
    if len(text) > 1 and text.startswith("/") and text.endswith("/"):
        text = text[1:-1]
    elif re.fullmatch(r"[A-Za-z]+", text):
        return None
    return re.compile(text)


def _text_for(schema: Mapping[str, Any], hint: str) -> str:
    form = schema.get("format", "")
    lowered = hint.lower()
    if any(word in lowered for word in ("token", "secret", "password")):
        text = f"fake-{hint}"  # distinct from every other value: a canary for leaks
    elif "phone" in lowered:
        text = "+14155550100"
    elif "username" in lowered:
        text = "fake.user"
    elif "domain" in lowered:
        text = "example.com"
    elif form == "date-time" or lowered.endswith(("date", "time")) or hint.endswith("At"):
        text = "2026-01-01T00:00:00.000Z"
    elif form == "email" or "email" in lowered:
        text = "someone@example.com"
    elif form == "uuid" or lowered.endswith("id"):
        text = "3f0c5a9e-8f1d-4c8e-9a57-6b1e2f3d4c5b"
    elif "url" in lowered or form == "uri":
        text = "https://example.com/"
    else:
        text = f"fake-{hint}"
    if "maxLength" in schema:
        text = text[: schema["maxLength"]]
    return text
