"""Write ``frontegg_async/api/`` (and the fake's operation table) from Frontegg's OpenAPI spec.

Run from the repository's root::

    python tools/generate_api.py                 # reads spec/identity.json
    python tools/generate_api.py --spec PATH --out DIR

Outputs, all generated and committed (never edit them by hand):

- ``frontegg_async/api/models.py``: one frozen attrs class per object schema the operations use;
- ``frontegg_async/api/_<group>.py``: one class per tag, one async method per operation;
- ``frontegg_async/api/_client.py`` and ``__init__.py``: ``FronteggClient`` and the exports;
- ``frontegg_async/testing/_operations.json``: the operation table the fake validates against
  (the spec's structure without its prose);
- ``docs/api.md``: every method beside its HTTP method and path.

Naming, so that a method can be found from its path (and back):

- group: the tag in snake_case (``"IP restrictions"`` -> ``client.ip_restrictions``), except the
  renames in ``GROUP_NAMES``;
- method: the path's literal segments after ``/resources/``, without version segments (``v1``)
  and path parameters, snake_cased; a leading ``configurations`` segment is dropped, and so is
  a following segment that is one of the group name's words (``/resources/roles/v1`` in
  ``client.roles`` has no words left). The verb comes first: GET -> ``get``, PUT -> ``replace``,
  PATCH -> ``update``, DELETE -> ``delete``, POST -> ``create``; but when the last word of a
  POST path is an action (``ACTION_WORDS``: verify, lock, reset, ...), that word is the verb.
  Where two operations of a group would share a name, the one whose path ends in a parameter
  gets ``_by_<parameter>`` (``get`` and ``get_by_id``); if they still clash, the oldest
  version keeps the name and each newer one gets ``_v2``, ``_v3``...;
- parameters: path parameters are positional, in path order, then ``body``; query and header
  parameters are keyword-only, snake_cased without their leading underscore
  (``_sortBy`` -> ``sort_by``, ``frontegg-tenant-id`` -> ``frontegg_tenant_id``); every
  method also takes ``retries`` (passed to ``session.request()``).
"""

from __future__ import annotations

import argparse
import json
import keyword
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from frontegg_async._policy import DEFAULT_API_RETRIES, IDEMPOTENT_METHODS  # noqa: E402

DEFAULT_SPEC = ROOT / "spec" / "identity.json"

#: Tags whose snake_case name reads poorly as an attribute.
GROUP_NAMES = {
    "User management": "users",
    "Users": "user_admin",
    "Users-applications management": "applications",
    "Custom social OAuth provider": "custom_social_oauth",
    "M2M tokens": "m2m_tokens",
}
#: The last word of a POST path that is a verb of its own.
ACTION_WORDS = frozenset(
    {
        "accept",
        "activate",
        "assign",
        "change",
        "disable",
        "enable",
        "enroll",
        "execute",
        "generate_activation_token",
        "generate_password_reset_token",
        "invite",
        "lock",
        "logout",
        "migrate",
        "postlogin",
        "prelogin",
        "preverify",
        "recover",
        "refresh",
        "reset",
        "unassign",
        "unenroll",
        "unlock",
        "verify",
    }
)
VERBS = {"get": "get", "put": "replace", "patch": "update", "delete": "delete", "post": "create"}
#: x-tagGroups -> which token an operation needs.
AUDIENCES = {
    "Authentication": "ANY",
    "Self-Service": "USER",
    "Management": "ENVIRONMENT",
    "Applications": "ENVIRONMENT",
}
AUDIENCE_WORDS = {
    "ANY": "any session (these calls are public or act on the signed-in user)",
    "USER": (
        "a user session; an EnvironmentSession also works with frontegg_tenant_id and "
        "frontegg_user_id"
    ),
    "ENVIRONMENT": "an EnvironmentSession (the environment's management token)",
}
PAGE_SCHEMA = "FronteggPaginationWrapper"
#: Headers the spec requires that Frontegg's gateway derives from a user's token (its clients
#: never send them there): optional keywords, required (checked before sending) only on an
#: EnvironmentSession, whose token names no user.
DERIVED_FROM_USER_TOKEN = ("frontegg-tenant-id", "frontegg-user-id")


def derived_header(op: Operation, param: dict[str, Any]) -> bool:
    """Whether ``param`` is a required header that a user's token stands in for."""
    return (
        param["in"] == "header"
        and param["name"].lower() in DERIVED_FROM_USER_TOKEN
        and bool(param.get("required"))
        and op.audience != "ENVIRONMENT"
    )


PROSE_KEYS = frozenset({"description", "summary", "example", "examples", "title"})
#: Field names (without underscores) that may hold a secret: left out of reprs. One-time codes
#: and QR codes (which carry a TOTP seed) count.
SECRET_WORD = re.compile(
    r"password|secret|token|apikey|privatekey|cookie|recoverycode|qrcode|^code$"
)
SUCCESS = ("200", "201", "202", "204")


def snake(name: str) -> str:
    """``bulkGet`` -> ``bulk_get``, ``MFAStrategies`` -> ``mfa_strategies``, ``api-tokens`` ->
    ``api_tokens``."""
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    name = re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_").lower()
    return re.sub(r"_+", "_", name)


def pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in snake(name).split("_"))


def py_name(name: str) -> str:
    result = snake(name)
    if keyword.iskeyword(result) or result in {"self", "body"}:
        result += "_"
    if result[:1].isdigit():
        result = "n" + result
    return result


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


class Models:
    """Collects the models the operations use and renders them."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.classes: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        self.used_by: dict[str, set[str]] = {}

    def type_of(self, schema: dict[str, Any], context: str, user: str) -> str:
        """The Python annotation for ``schema``; registers the models it needs."""
        name = ref_name(schema)
        if name is not None:
            target = self.spec.schemas[name]
            if target.get("type") == "object" or "properties" in target:
                return self.model(name, target, user)
            return self.type_of(target, name, user)
        if "allOf" in schema:
            if len(schema["allOf"]) == 1:
                return self.type_of(schema["allOf"][0], context, user)
            item = page_item(schema)
            if item is not None:
                return f"Page[{self.type_of(item, context + 'Item', user)}]"
            raise ValueError(f"unsupported allOf at {context}")
        if "oneOf" in schema or "anyOf" in schema:
            options = [
                self.type_of(option, f"{context}Option{index}", user)
                for index, option in enumerate(schema.get("oneOf") or schema["anyOf"])
            ]
            annotation = " | ".join(dict.fromkeys(options))
        else:
            kind = schema.get("type")
            if kind == "string":
                annotation = "str"
            elif kind == "number":
                annotation = "float"
            elif kind == "integer":
                annotation = "int"
            elif kind == "boolean":
                annotation = "bool"
            elif kind == "array":
                annotation = f"Sequence[{self.type_of(schema.get('items', {}), context, user)}]"
            elif kind == "object" or "properties" in schema:
                if schema.get("properties"):
                    annotation = self.model(context, schema, user)
                else:
                    annotation = "Mapping[str, Any]"
            else:
                annotation = "Any"
        if schema.get("nullable") and annotation != "Any":
            annotation += " | None"
        return annotation

    def model(self, name: str, schema: dict[str, Any], user: str) -> str:
        class_name = pascal(name) if not name[:1].isupper() else name
        self.used_by.setdefault(class_name, set()).add(user)
        if class_name not in self.classes:
            self.classes[class_name] = {}  # placeholder: recursion stops here
            fields = []
            required = set(schema.get("required", []))
            seen: set[str] = set()
            for wire, prop in schema.get("properties", {}).items():
                attribute = py_name(wire)
                if attribute in seen:
                    raise ValueError(f"{class_name}: two properties become {attribute}")
                seen.add(attribute)
                annotation = self.type_of(prop, class_name + pascal(wire), f"{class_name}")
                fields.append((attribute, wire, annotation, wire in required))
            self.classes[class_name] = {"fields": fields, "schema": name}
            self.order.append(class_name)
        return class_name

    def render(self) -> str:
        lines = [
            '"""Every shape the identity API sends or takes, as frozen attrs classes.',
            "",
            "Generated by tools/generate_api.py from Frontegg's OpenAPI spec: do not edit.",
            "Fields are snake_case; the converter in ``frontegg_async._api`` reads and writes the",
            "spec's camelCase names (kept in each field's ``metadata['json']``). Arrays are",
            "sequences (read back as tuples); optional fields default to None and are left out",
            "of request bodies when None. Fields that may hold a secret are left out of reprs.",
            '"""',
            "",
            "from __future__ import annotations",
            "",
            "from collections.abc import Mapping, Sequence",
            "from typing import Any",
            "",
            "from attrs import field, frozen",
            "",
            "from .._api import Page",
            "",
            "__all__ = [",
            *[f'    "{name}",' for name in sorted(self.order)],
            "]",
        ]
        for class_name in sorted(self.order):
            model = self.classes[class_name]
            users = sorted(self.used_by.get(class_name, ()))
            lines += ["", "", "@frozen(kw_only=True)", f"class {class_name}:"]
            lines += wrap(f'"""The ``{model["schema"]}`` shape; used by {describe(users)}."""', 4)
            if model["fields"]:
                lines.append("")
            for attribute, wire, annotation, required in model["fields"]:
                options = []
                if not required:
                    if not annotation.endswith("| None") and annotation != "Any":
                        annotation += " | None"
                    options.append("default=None")
                if SECRET_WORD.search(attribute.replace("_", "")) and "str" in annotation:
                    options.append("repr=False")
                options.append(f'metadata={{"json": "{wire}"}}')
                lines.append(f"    {attribute}: {annotation} = field({', '.join(options)})")
        return "\n".join(lines) + "\n"


def wrap(text: str, indent: int) -> list[str]:
    """``text`` as lines of at most 100 characters, indented; a docstring's quotes stay whole."""
    lines = textwrap.wrap(text, 100 - indent, break_long_words=False, break_on_hyphens=False)
    if len(lines) > 1 and lines[0].startswith('"""') and lines[-1].endswith('"""'):
        lines[-1] = lines[-1][:-3]
        lines.append('"""')
    return [" " * indent + line for line in lines]


def describe(users: list[str]) -> str:
    shown = [f"``{user}``" for user in users[:3]]
    more = f" and {len(users) - 3} more" if len(users) > 3 else ""
    return ", ".join(shown) + more


class Operation:
    def __init__(self, spec: Spec, path: str, method: str, raw: dict[str, Any]) -> None:
        self.path = path
        self.method = method
        self.raw = raw
        self.tag = raw["tags"][0]
        self.group = GROUP_NAMES.get(self.tag, snake(self.tag))
        self.audience = spec.audience_of_tag.get(self.tag, "ANY")
        segments = [s for s in path.split("/") if s][1:]  # drop "resources"
        self.version = next((int(s[1:]) for s in segments if re.fullmatch(r"v\d+", s)), 1)
        words = [snake(s) for s in segments if not re.fullmatch(r"v\d+|\{.*\}", s)]
        if words and words[0] == "configurations":
            words = words[1:]
        if words and (words[0] == self.group or words[0] in self.group.split("_")):
            words = words[1:]
        if method == "post" and words and words[-1] in ACTION_WORDS:
            self.name = "_".join([words[-1], *words[:-1]])
        else:
            self.name = "_".join([VERBS[method], *words])
        self.path_params = re.findall(r"\{(\w+)\}", path)
        #: The Python return annotation, once the group's writer has rendered the method.
        self.returns = ""


def collect(spec: Spec) -> tuple[dict[str, list[Operation]], Models]:
    groups: dict[str, list[Operation]] = {}
    for path, method, raw in spec.operations():
        operation = Operation(spec, path, method, raw)
        groups.setdefault(operation.group, []).append(operation)
    for operations in groups.values():
        # Clashes: first the one naming a single item (path ends in a parameter) gets
        # "_by_<parameter>", then each one newer than the oldest gets "_v<version>".
        for clash in clashes(operations):
            for operation in clash:
                if operation.path.endswith("}"):
                    operation.name += "_by_" + py_name(operation.path_params[-1])
        for clash in clashes(operations):
            oldest = min(operation.version for operation in clash)
            for operation in clash:
                if operation.version > oldest:
                    operation.name += f"_v{operation.version}"
        left = clashes(operations)
        if left:
            raise ValueError(f"names still clash in {operations[0].group}: {left}")
    return groups, Models(spec)


def clashes(operations: list[Operation]) -> list[list[Operation]]:
    by_name: dict[str, list[Operation]] = {}
    for operation in operations:
        by_name.setdefault(operation.name, []).append(operation)
    return [clash for clash in by_name.values() if len(clash) > 1]


def success_schema(spec: Spec, raw: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    for status in SUCCESS:
        answer = raw["responses"].get(status)
        if answer is not None:
            content = answer.get("content", {}).get("application/json")
            return status, (content or {}).get("schema")
    raise ValueError(f"no success answer in {raw['operationId']}")


def literal(schema: dict[str, Any]) -> str | None:
    values = schema.get("enum")
    if values and all(isinstance(value, str) for value in values):
        return "Literal[" + ", ".join(json.dumps(value) for value in values) + "]"
    return None


def param_type(spec: Spec, schema: dict[str, Any]) -> str:
    schema = spec.deref(schema)
    if schema.get("type") == "array":
        return f"Sequence[{param_type(spec, schema.get('items', {}))}]"
    return literal(schema) or {"number": "float", "integer": "int", "boolean": "bool"}.get(
        schema.get("type", "string"), "str"
    )


class GroupWriter:
    def __init__(self, spec: Spec, models: Models, group: str, ops: list[Operation]) -> None:
        self.spec = spec
        self.models = models
        self.group = group
        self.ops = ops
        self.class_name = pascal(group) + "Api"
        self.model_names: set[str] = set()
        self.typing_names: set[str] = set()

    def note_types(self, annotation: str) -> None:
        for word in re.findall(r"[A-Za-z_]\w*", annotation):
            if word in self.models.classes:
                self.model_names.add(word)
            elif word in {"Sequence", "Mapping", "Literal", "Any", "Page", "AsyncIterator"}:
                self.typing_names.add(word)

    def method(self, op: Operation) -> list[str]:
        user = f"client.{self.group}.{op.name}"
        params = op.raw.get("parameters", [])
        signature = ["self"]
        path_args: list[str] = []
        query_args: list[str] = []
        header_args: list[str] = []
        for name in op.path_params:
            signature.append(f"{py_name(name)}: str")
            path_args.append(f'"{name}": {py_name(name)}')
        body = op.raw.get("requestBody")
        body_type = None
        if body is not None:
            schema = body["content"]["application/json"]["schema"]
            body_type = self.models.type_of(schema, pascal(op.name) + "Request", user)
            self.note_types(body_type)
            required = body.get("required", False)
            signature.append(f"body: {body_type}" + ("" if required else " | None = None"))
        keywords: list[str] = []
        names = {py_name(name) for name in op.path_params} | {"body"}
        for param in params:
            where = param["in"]
            if where == "path":
                continue
            name = py_name(param["name"])
            if name in names:
                raise ValueError(f"{user}: two parameters become {name}")
            names.add(name)
            annotation = param_type(self.spec, param.get("schema", {}))
            self.note_types(annotation)
            if param.get("required") and not derived_header(op, param):
                keywords.append(f"{name}: {annotation}")
            else:
                keywords.append(f"{name}: {annotation} | None = None")
            target = query_args if where == "query" else header_args
            target.append(f'"{param["name"]}": {name}')
        if "retries" in names:
            raise ValueError(f"{user}: a parameter is called retries, which every method takes")
        signature.append("*")
        signature += [*keywords, "retries: int | None = None"]
        status, answer_schema = success_schema(self.spec, op.raw)
        if answer_schema is None:
            returns = "None"
        else:
            returns = self.models.type_of(answer_schema, pascal(op.name) + "Response", user)
            returns = re.sub(r"^Sequence\[", "list[", returns)
            self.note_types(returns)
        op.returns = returns
        lines = ["", f"    async def {op.name}({', '.join(signature)}) -> {returns}:"]
        lines += self.docstring(op, status, returns)
        call = [
            f"_{op.name.upper()}",
            f"path={{{', '.join(path_args)}}}",
            f"query={{{', '.join(query_args)}}}",
            f"headers={{{', '.join(header_args)}}}",
        ]
        if body is not None:
            call.append("body=body")
        call.append("retries=retries")
        if returns == "None":
            lines.append(f"        await self._core.call_none({', '.join(call)})")
        else:
            call.append(f"answer={returns}")
            lines.append(f"        return await self._core.call({', '.join(call)})")
        lines += self.iterator(op, returns, keywords, query_args, header_args)
        return lines

    def iterator(
        self,
        op: Operation,
        returns: str,
        keywords: list[str],
        query_args: list[str],
        header_args: list[str],
    ) -> list[str]:
        match = re.fullmatch(r"Page\[(\w+)\]", returns)
        query_names = {p["name"] for p in op.raw["parameters"] if p["in"] == "query"}
        if match is None or not {"_limit", "_offset"} <= query_names or op.path_params:
            return []
        item = match.group(1)
        self.typing_names.add("AsyncIterator")
        rest = [k for k in keywords if not k.startswith(("limit:", "offset:"))]
        rest.append("retries: int | None = None")
        signature = ["self", "*", "page_size: int = 50", *rest]
        forwarded = [f"{k.split(':')[0]}={k.split(':')[0]}" for k in rest]
        call = ", ".join(["limit=page_size", "offset=number", *forwarded])
        name = f"iter_{op.name}"
        return [
            "",
            f"    def {name}({', '.join(signature)}) -> AsyncIterator[{item}]:",
            *wrap(f'"""Every ``{item}`` of ``{op.name}``, ``page_size`` at a time.', 8),
            "",
            f"        ``{op.method.upper()} {op.path}`` page after page (``_offset`` is a page",
            "        number) until they run out. Stop early by leaving the ``async for``.",
            '        """',
            "",
            f"        async def page(number: int) -> Page[{item}]:",
            f"            return await self.{op.name}({call})",
            "",
            "        return self._core.iterate(page, page_size)",
        ]

    def docstring(self, op: Operation, status: str, returns: str) -> list[str]:
        if returns == "None":
            answer = f"Frontegg answers {status} with no body; returns None."
        elif returns.startswith("Page["):
            answer = f"Returns one page ({status}): ``{returns}``, with links and totals."
        else:
            answer = f"Returns ``{returns}`` (HTTP {status})."
        lines = [
            f'        """``{op.method.upper()} {op.path}``.',
            "",
            f"        {answer}",
            *wrap(f"Token: {AUDIENCE_WORDS[op.audience]}.", 8),
        ]
        if op.method.upper() in IDEMPOTENT_METHODS:
            retried = (
                f"A 429, 5xx or failed connection is tried {DEFAULT_API_RETRIES} times more "
                "(``retries=``)."
            )
        else:
            retried = "Not retried (it may have taken effect) unless ``retries=`` says so."
        lines.append(f"        {retried}")
        if op.raw.get("deprecated"):
            lines.append("        Deprecated by Frontegg: a newer version of this call exists.")
        sent = self.where_sent(op)
        if sent:
            lines += ["", *wrap(sent, 8)]
        lines.append('        """')
        return lines

    def where_sent(self, op: Operation) -> str:
        """One sentence saying where each argument goes on the wire."""
        parts = [f"``{py_name(name)}`` fills ``{{{name}}}``" for name in op.path_params]
        if op.raw.get("requestBody") is not None:
            parts.append("``body`` is the JSON body")
        for param in op.raw.get("parameters", []):
            if param["in"] in ("query", "header"):
                required = " (required)" if param.get("required") else ""
                if derived_header(op, param):
                    required = " (required with an EnvironmentSession; a user's token names it)"
                if param["name"] == "_offset":
                    required = " (a page number, from 0)"
                parts.append(
                    f"``{py_name(param['name'])}`` is the ``{param['name']}`` "
                    f"{param['in']}{required}"
                )
        return ("Arguments: " + "; ".join(parts) + ".") if parts else ""

    def render(self) -> str:
        body: list[str] = []
        constants: list[str] = []
        for op in self.ops:
            body += self.method(op)
            derived = tuple(
                p["name"] for p in op.raw.get("parameters", []) if derived_header(op, p)
            )
            extra = f", environment_headers={derived!r}" if derived else ""
            constants.append(
                f'_{op.name.upper()} = Operation("{op.method.upper()}", "{op.path}", '
                f'"{self.group}.{op.name}", Audience.{op.audience}{extra})'
            )
        models = sorted(self.model_names)
        typing_imports = []
        abc = sorted(self.typing_names & {"AsyncIterator", "Mapping", "Sequence"})
        if abc:
            typing_imports.append(f"from collections.abc import {', '.join(abc)}")
        plain = sorted(self.typing_names & {"Any", "Literal"})
        if plain:
            typing_imports.append(f"from typing import {', '.join(plain)}")
        header = [
            f'"""``client.{self.group}``: the operations tagged "{self.ops[0].tag}".',
            "",
            "Generated by tools/generate_api.py from Frontegg's OpenAPI spec: do not edit.",
            '"""',
            "",
            "from __future__ import annotations",
            "",
            *typing_imports,
            "",
            "from .._api import ApiCore, Audience, Operation, Page",
        ]
        if models:
            header.append(f"from .models import {', '.join(models)}")
        tag = self.ops[0].tag
        audiences = sorted({op.audience for op in self.ops})
        token = "; ".join(AUDIENCE_WORDS[a] for a in audiences)
        lines = [
            *header,
            "",
            *constants,
            "",
            "",
            f"class {self.class_name}:",
            *wrap(f'"""Operations tagged "{tag}" ({len(self.ops)}). Token: {token}."""', 4),
            "",
            '    __slots__ = ("_core",)',
            "",
            "    def __init__(self, core: ApiCore) -> None:",
            "        self._core = core",
            *body,
        ]
        return "\n".join(lines) + "\n"


def render_client(writers: list[GroupWriter]) -> str:
    lines = [
        '"""``FronteggClient``: every operation of the identity API, grouped by tag.',
        "",
        "Generated by tools/generate_api.py from Frontegg's OpenAPI spec: do not edit.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Generic, TypeVar",
        "",
        "from .._api import ApiCore",
        "from .._session import ApiTokenSession, EnvironmentSession, FronteggSession",
    ]
    for writer in writers:
        lines.append(f"from ._{writer.group} import {writer.class_name}")
    lines += [
        "",
        "#: The kind of session a client holds; management groups ask for EnvironmentSession.",
        'SessionT = TypeVar("SessionT", bound="FronteggSession | EnvironmentSession | '
        'ApiTokenSession")',
        "",
        "",
        "class FronteggClient(Generic[SessionT]):",
        '    """Typed async methods for all of Frontegg\'s identity API, on a session\'s token.',
        "",
        "    ``FronteggClient(session)`` sends every call through ``session.request``: the token",
        "    is always fresh, a 401 renews it once and retries, and failures raise the typed",
        "    ``FronteggError`` subclasses. Every method takes ``retries=``, as ``request()`` does:",
        "    GET, PUT and DELETE calls try a 429, 5xx or failed connection twice more by default,",
        "    POST and PATCH calls only when asked. The groups that manage the environment are",
        "    typed for a ``FronteggClient[EnvironmentSession]`` only: on a client of another",
        "    session, mypy flags them and a call raises ``WrongSessionError`` before sending",
        "    anything.",
        "    The client owns nothing: closing the session is the caller's business.",
        '    """',
        "",
        '    __slots__ = ("_core", "_session")',
        "",
        "    def __init__(self, session: SessionT) -> None:",
        "        self._core = ApiCore(session)",
        "        self._session = session",
        "",
        "    @property",
        "    def session(self) -> SessionT:",
        '        """The session whose token the calls carry."""',
        "        return self._session",
    ]
    for writer in writers:
        tag = writer.ops[0].tag
        audience = writer.ops[0].audience
        owner = "FronteggClient[EnvironmentSession]" if audience == "ENVIRONMENT" else ""
        self_arg = f"self: {owner}" if owner else "self"
        lines += [
            "",
            "    @property",
            f"    def {writer.group}({self_arg}) -> {writer.class_name}:",
            f'        """Operations tagged "{tag}" (token: {audience.lower()})."""',
            f"        return {writer.class_name}(self._core)",
        ]
    return "\n".join(lines) + "\n"


def render_init(writers: list[GroupWriter]) -> str:
    pages = ["Page", "PageLinks", "PageMetadata"]
    names = sorted(["FronteggClient", *pages, *[writer.class_name for writer in writers]])
    lines = [
        '"""The whole identity API, typed: ``FronteggClient`` and one class per tag.',
        "",
        "Generated by tools/generate_api.py from Frontegg's OpenAPI spec: do not edit. The models",
        "are in ``frontegg_async.api.models``.",
        '"""',
        "",
        "from .._api import Page, PageLinks, PageMetadata",
        "from ._client import FronteggClient",
    ]
    lines += [f"from ._{w.group} import {w.class_name}" for w in writers]
    lines += ["", "__all__ = [", *[f'    "{name}",' for name in names], "]"]
    return "\n".join(lines) + "\n"


def render_table(spec: Spec, groups: dict[str, list[Operation]]) -> str:
    """The operation table the fake validates against: structure only, no prose."""
    operations = []
    for group in sorted(groups):
        for op in groups[group]:
            status, schema = success_schema(spec, op.raw)
            operations.append(
                {
                    "name": f"{group}.{op.name}",
                    "method": op.method.upper(),
                    "path": op.path,
                    "audience": op.audience,
                    "parameters": strip_prose(op.raw.get("parameters", [])),
                    "requestBody": strip_prose(op.raw.get("requestBody")),
                    "status": int(status),
                    "response": strip_prose(schema),
                }
            )
    table = {
        "source": "frontegg/openapi-public identity.json, generated by tools/generate_api.py",
        "operations": operations,
        "schemas": strip_prose(spec.schemas),
    }
    return json.dumps(table, indent=1, sort_keys=True) + "\n"


def render_docs(groups: dict[str, list[Operation]]) -> str:
    count = sum(len(ops) for ops in groups.values())
    lines = [
        "# The identity API, method by method",
        "",
        f"Generated by `tools/generate_api.py`: {count} operations in {len(groups)} groups.",
        "The naming rule is in the generator's docstring and in the README. Token: `any`",
        "(public or the signed-in user), `user` (a user session, or an EnvironmentSession with",
        "`frontegg_tenant_id`/`frontegg_user_id`), `environment` (an EnvironmentSession).",
    ]
    for group in sorted(groups):
        lines += [
            "",
            f"## client.{group}",
            "",
            "| method | HTTP | returns | token |",
            "|---|---|---|---|",
        ]
        for op in groups[group]:
            lines.append(
                f"| `{op.name}` | `{op.method.upper()} {op.path}` | `{op.returns}` "
                f"| {op.audience.lower()} |"
            )
    return "\n".join(lines) + "\n"


def generate(spec_path: Path, out: Path) -> None:
    """Write every generated file under ``out`` (a repository root)."""
    spec = Spec(json.loads(spec_path.read_text(encoding="utf-8")))
    groups, models = collect(spec)
    writers = [GroupWriter(spec, models, g, groups[g]) for g in sorted(groups)]
    texts = {f"_{w.group}.py": w.render() for w in writers}
    package = out / "frontegg_async" / "api"
    package.mkdir(parents=True, exist_ok=True)
    for stale in package.glob("*.py"):
        stale.unlink()
    for name, text in texts.items():
        (package / name).write_text(text, encoding="utf-8")
    (package / "models.py").write_text(models.render(), encoding="utf-8")
    (package / "_client.py").write_text(render_client(writers), encoding="utf-8")
    (package / "__init__.py").write_text(render_init(writers), encoding="utf-8")
    testing = out / "frontegg_async" / "testing"
    testing.mkdir(parents=True, exist_ok=True)
    (testing / "_operations.json").write_text(render_table(spec, groups), encoding="utf-8")
    docs = out / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "api.md").write_text(render_docs(groups), encoding="utf-8")
    ruff = [sys.executable, "-m", "ruff"]
    config = ["--config", str(ROOT / "pyproject.toml")]
    # Our own interpreter running ruff on our own output: no untrusted input here.
    subprocess.run([*ruff, "format", "--quiet", *config, str(package)], check=True)  # noqa: S603
    subprocess.run([*ruff, "check", "--fix", "--quiet", *config, str(package)], check=True)  # noqa: S603


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="identity.json")
    parser.add_argument("--out", type=Path, default=ROOT, help="repository root to write into")
    args = parser.parse_args(argv)
    if not args.spec.is_file():
        parser.error(f"no spec at {args.spec}: pass --spec PATH")
    generate(args.spec, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
