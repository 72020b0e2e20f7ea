"""Names: a group for each tag, a method for each operation (see the package's docstring for
the rule), and the settling of clashes."""

from __future__ import annotations

import keyword
import re
from typing import Any

from .spec import Spec

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


def collect(spec: Spec) -> dict[str, list[Operation]]:
    """Every operation of the spec, named, by group."""
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
    return groups


def clashes(operations: list[Operation]) -> list[list[Operation]]:
    by_name: dict[str, list[Operation]] = {}
    for operation in operations:
        by_name.setdefault(operation.name, []).append(operation)
    return [clash for clash in by_name.values() if len(clash) > 1]
