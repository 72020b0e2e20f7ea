"""Reading Frontegg's OpenAPI document: operations, schemas, the token each tag needs, and
the spec's structure without its prose (for the fake's operation table)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SPEC = ROOT / "spec" / "identity.json"

#: x-tagGroups -> which token an operation needs.
AUDIENCES = {
    "Authentication": "ANY",
    "Self-Service": "USER",
    "Management": "ENVIRONMENT",
    "Applications": "ENVIRONMENT",
}

PAGE_SCHEMA = "FronteggPaginationWrapper"

PROSE_KEYS = frozenset({"description", "summary", "example", "examples", "title"})

SUCCESS = ("200", "201", "202", "204")


def strip_prose(value: Any) -> Any:
    """The spec's structure without its words (descriptions, summaries, examples)."""
    if isinstance(value, dict):
        return {
            key: (
                {name: strip_prose(item) for name, item in sub.items()}
                if key == "properties"
                else strip_prose(sub)
            )
            for key, sub in value.items()
            if key == "properties" or key not in PROSE_KEYS
        }
    if isinstance(value, list):
        return [strip_prose(item) for item in value]
    return value


class Spec:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.schemas: dict[str, Any] = document["components"]["schemas"]
        self.audience_of_tag = {
            tag: AUDIENCES[group["name"]]
            for group in document.get("x-tagGroups", [])
            for tag in group["tags"]
        }

    def deref(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def operations(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for path, item in self.document["paths"].items():
            for method, operation in item.items():
                yield path, method, operation


def ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[1] if isinstance(ref, str) else None


def page_item(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The item schema of a paginated answer (allOf the pagination wrapper), else None."""
    parts = schema.get("allOf")
    if not parts or ref_name(parts[0]) != PAGE_SCHEMA:
        return None
    for part in parts[1:]:
        items = part.get("properties", {}).get("items")
        if items is not None:
            item: dict[str, Any] = items.get("items", {})
            return item
    return {}


def success_schema(spec: Spec, raw: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    for status in SUCCESS:
        answer = raw["responses"].get(status)
        if answer is not None:
            content = answer.get("content", {}).get("application/json")
            return status, (content or {}).get("schema")
    raise ValueError(f"no success answer in {raw['operationId']}")
