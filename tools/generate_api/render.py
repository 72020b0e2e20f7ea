"""The generated modules of ``frontegg_async/api/``: one class per group, the client, the
package's exports, and the fake's operation table."""

from __future__ import annotations

import json
import re
from typing import Any

from frontegg_async._core.policy import DEFAULT_API_RETRIES, IDEMPOTENT_METHODS

from .models import Models
from .naming import Operation, pascal, py_name
from .spec import Spec, success_schema
from .text import module_head, wrap

AUDIENCE_WORDS = {
    "ANY": "any session (these calls are public or act on the signed-in user)",
    "USER": (
        "a user session; an EnvironmentSession also works with frontegg_tenant_id and "
        "frontegg_user_id"
    ),
    "ENVIRONMENT": "an EnvironmentSession (the environment's management token)",
}
#: Headers the spec requires that Frontegg's gateway derives from a user's token (its clients
#: never send them there): optional keywords, required (checked before sending) only on an
#: EnvironmentSession, whose token names no user.
DERIVED_FROM_USER_TOKEN = ("frontegg-tenant-id", "frontegg-user-id")


#: Query parameters the spec calls numbers that count (items per page, a page number):
#: typed ``int``, since a fraction means nothing to Frontegg.
COUNTING_PARAMETERS = frozenset({"_limit", "_offset"})


def derived_header(op: Operation, param: dict[str, Any]) -> bool:
    """Whether ``param`` is a required header that a user's token stands in for."""
    return (
        param["in"] == "header"
        and param["name"].lower() in DERIVED_FROM_USER_TOKEN
        and bool(param.get("required"))
        and op.audience != "ENVIRONMENT"
    )


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
        #: Whether a deprecated alias was written (it needs ``deprecated_name``).
        self.aliased = False

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
            if param["name"] in COUNTING_PARAMETERS and annotation == "float":
                annotation = "int"
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
        if answer_schema is None and op.method == "get":
            # A read whose answer the spec leaves undescribed still answers something: the
            # decoded JSON is returned as it came, never thrown away.
            returns = "Any"
            self.typing_names.add("Any")
        elif answer_schema is None:
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
            lines.append(f"        await self._core.call_json({', '.join(call)})")
        elif returns == "Any":
            lines.append(f"        return await self._core.call_json({', '.join(call)})")
        else:
            call.append(f"answer={returns}")
            lines.append(f"        return await self._core.call({', '.join(call)})")
        iterator = self.iterator(op, returns, keywords, query_args, header_args)
        lines += iterator
        lines += self.aliases(op, signature, returns, paged=bool(iterator))
        return lines

    def aliases(
        self, op: Operation, signature: list[str], returns: str, *, paged: bool
    ) -> list[str]:
        """The former name of a renamed method (and of its ``iter_`` twin), kept one release as
        a deprecated alias, where no method of the group took it over."""
        taken = {o.name for o in self.ops} | {f"iter_{o.name}" for o in self.ops}
        if op.former_name == op.name or op.former_name in taken:
            return []
        star = signature.index("*")
        positional = [part.split(":")[0] for part in signature[1:star]]
        keywords = [part.split(":")[0] for part in signature[star + 1 :]]
        args = ", ".join([*positional, *(f"{name}={name}" for name in keywords)])
        lines = self.alias(
            op.former_name,
            op.name,
            f"async def {op.former_name}({', '.join(signature)}) -> {returns}",
            f"await self.{op.name}({args})",
        )
        former_iter, new_iter = f"iter_{op.former_name}", f"iter_{op.name}"
        if paged and former_iter not in taken:
            item = returns.removeprefix("Page[").removesuffix("]")
            rest = [k for k in keywords if k not in ("limit", "offset")]
            page_signature = [
                "self",
                "*",
                "page_size: int = 50",
                *[part for part in signature[star + 1 :] if part.split(":")[0] in rest],
            ]
            forwarded = ", ".join(["page_size=page_size", *(f"{name}={name}" for name in rest)])
            lines += self.alias(
                former_iter,
                new_iter,
                f"def {former_iter}({', '.join(page_signature)}) -> AsyncIterator[{item}]",
                f"self.{new_iter}({forwarded})",
            )
        return lines

    def alias(self, old: str, new: str, definition: str, call: str) -> list[str]:
        self.aliased = True
        return [
            "",
            f"    {definition}:",
            *wrap(f'"""Deprecated: the former name of ``{new}``."""', 8),
            f'        deprecated_name("{self.group}.{old}", "{self.group}.{new}")',
            f"        return {call}",
        ]

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
        elif returns == "Any":
            answer = f"Returns the answer's JSON as it came ({status}; None if empty): no schema."
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
        models = sorted(self.model_names, key=str.lower)  # as isort orders them
        typing_imports = []
        abc = sorted(self.typing_names & {"AsyncIterator", "Mapping", "Sequence"})
        if abc:
            typing_imports.append(f"from collections.abc import {', '.join(abc)}")
        plain = sorted(self.typing_names & {"Any", "Literal"})
        if plain:
            typing_imports.append(f"from typing import {', '.join(plain)}")
        header = [
            *module_head(f'``client.{self.group}``: the operations tagged "{self.ops[0].tag}".'),
            *([*typing_imports, ""] if typing_imports else []),
            "from ._core import ApiCore, Audience, Operation"
            + (", Page" if "Page" in self.typing_names else "")
            + (", deprecated_name" if self.aliased else ""),
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
