"""``frontegg_async/api/models.py``: a frozen attrs class for each object schema the
operations use."""

from __future__ import annotations

import re
from typing import Any

from .naming import pascal, py_name
from .spec import Spec, page_item, ref_name
from .text import describe, module_head, wrap

#: Field names (without underscores) that may hold a secret: left out of reprs. One-time codes
#: and QR codes (which carry a TOTP seed) count.
SECRET_WORD = re.compile(
    r"password|secret|token|apikey|privatekey|cookie|recoverycode|qrcode|^code$"
)


#: Schemas whose one definition is hand-written in ``frontegg_async._models``, because Frontegg's
#: own clients read them otherwise than the spec says (clients win): a login that asks for MFA
#: carries no tokens, ``mfaStrategies`` is a list of names, and a user's profile leaves out
#: fields the spec requires. The generated name is an alias of that class, so the session's own
#: calls and the generated ones read the same answer the same way. A test checks that each one
#: has exactly the schema's properties.
SHARED = {
    "AuthenticationResponseDto": "AuthResponse",
    "UserMFADevicesResponse": "MfaDevices",
    "UserMFAWebAuthnDeviceResponse": "MfaWebAuthnDevice",
    "UserMFAPhoneDeviceResponse": "MfaPhoneDevice",
    "UserMFAAuthenticatorAppResponse": "MfaAuthenticatorApp",
    "UserMFAEmailCodeResponse": "MfaEmailDevice",
    "UserDto": "User",
    "RoleResponse": "Role",
    "PermissionResponse": "Permission",
    "UserTenantDto": "UserTenant",
}


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

    def imports(self) -> list[str]:
        """The import lines the models need, and no more."""
        used = {
            word
            for name, model in self.classes.items()
            if name not in SHARED
            for _, _, annotation, _ in model["fields"]
            for word in re.findall(r"[A-Za-z_]\w*", annotation)
        }
        lines = []
        abc = sorted(used & {"Mapping", "Sequence"})
        if abc:
            lines.append(f"from collections.abc import {', '.join(abc)}")
        if "Any" in used:
            lines.append("from typing import Any")
        lines += ["", "from attrs import field, frozen", ""]
        shared = sorted(SHARED[name] for name in self.classes if name in SHARED)
        if shared:
            lines.append(f"from .._models import {', '.join(shared)}")
        if "Page" in used:
            lines.append("from ._core import Page")
        return [*lines, ""] if shared or "Page" in used else lines

    def render(self) -> str:
        lines = [
            *module_head(
                "Every shape the identity API sends or takes, as frozen attrs classes.",
                "Fields are snake_case; the library's one converter (``frontegg_async._convert``)",
                "reads and writes the spec's camelCase names (kept in each field's",
                "``metadata['json']``). Arrays",
                "are sequences (read back as tuples); optional fields default to None and are left",
                "out of request bodies when None. Fields that may hold a secret are left out of",
                "reprs.",
            ),
            *self.imports(),
            "__all__ = [",
            *[f'    "{name}",' for name in sorted(self.order)],
            "]",
        ]
        for class_name in sorted(self.order):
            model = self.classes[class_name]
            users = sorted(self.used_by.get(class_name, ()))
            if class_name in SHARED:
                lines += ["", "", f"{class_name} = {SHARED[class_name]}"]
                lines += wrap(
                    f'"""The ``{model["schema"]}`` shape, as Frontegg\'s clients read it (one '
                    f"definition: ``frontegg_async.{SHARED[class_name]}``); used by "
                    f'{describe(users)}."""',
                    0,
                )
                continue
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
