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

#: Names the rule gets wrong, by ``"METHOD /path"``: a POST that is a login or a read, a verb
#: hidden mid-path, a bulk call named by its URL. A test keeps every key an operation of the spec.
NAME_OVERRIDES = {
    "POST /resources/auth/v1/user": "login",
    "POST /resources/auth/v2/api-token": "authenticate",
    "POST /resources/auth/v2/api-token/token/refresh": "refresh_api_token",
    "POST /resources/groups/v1/bulkGet": "get_groups_bulk",
    "POST /resources/users/v1/invitation/reset/all": "reset_all_invitations",
    "POST /resources/users/v1/mfa/authenticator/{deviceId}/disable/verify": (
        "disable_authenticator_mfa"
    ),
    "POST /resources/users/v1/mfa/sms/{deviceId}/disable/verify": "disable_sms_mfa",
    "GET /resources/vendor-only/users/access-tokens/v1/active": "get_active_user_access_tokens",
    "POST /resources/configurations/restrictions/v1/email-domain/replace-bulk": (
        "replace_email_domains"
    ),
    "POST /resources/users/emails/v1/me/primary": "set_primary_email",
    "POST /resources/users/v1/activate/code": "activate_with_code",
    "POST /resources/users/v1/invitation/accept/code": "accept_invitation_with_code",
    "POST /resources/users/v1/{userId}/lock": "lock_user",
    "POST /resources/users/v1/{userId}/unlock": "unlock_user",
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
            self.base_name = "_".join([words[-1], *words[:-1]])
        else:
            self.base_name = "_".join([VERBS[method], *words])
        #: The method's name: ``base_name`` with a clash settled, or its override.
        self.name = self.base_name
        self.path_params = re.findall(r"\{(\w+)\}", path)
        #: The name of the release before the overrides and the newest-first rule: kept one
        #: release as a deprecated alias where it is free.
        self.former_name = self.name
        #: The Python return annotation, once the group's writer has rendered the method.
        self.returns = ""

    @property
    def key(self) -> str:
        """``"METHOD /path"``, as ``NAME_OVERRIDES`` names it."""
        return f"{self.method.upper()} {self.path}"


def collect(spec: Spec) -> dict[str, list[Operation]]:
    """Every operation of the spec, named, by group; ``former_name`` set on each."""
    groups: dict[str, list[Operation]] = {}
    for path, method, raw in spec.operations():
        operation = Operation(spec, path, method, raw)
        groups.setdefault(operation.group, []).append(operation)
    for operations in groups.values():
        settle(operations, newest_first=False)
        for operation in operations:
            operation.former_name = operation.name
            operation.name = NAME_OVERRIDES.get(operation.key, operation.base_name)
        settle(operations, newest_first=True)
    return groups


def settle(operations: list[Operation], *, newest_first: bool) -> None:
    """Settle the clashes of one group's names: first the one naming a single item (the path
    ends in a parameter) gets ``_by_<parameter>``, then versions tell the rest apart. The
    newest version keeps the name and each older one gets ``_v<version>`` (before this
    release, the oldest kept it: ``newest_first=False`` gives the former names)."""
    for clash in clashes(operations):
        for operation in clash:
            if operation.path.endswith("}"):
                operation.name += "_by_" + py_name(operation.path_params[-1])
    for clash in clashes(operations):
        versions = [operation.version for operation in clash]
        keeper = max(versions) if newest_first else min(versions)
        for operation in clash:
            if operation.version != keeper:
                operation.name += f"_v{operation.version}"
    left = clashes(operations)
    if left:
        raise ValueError(f"names still clash in {operations[0].group}: {left}")


def clashes(operations: list[Operation]) -> list[list[Operation]]:
    by_name: dict[str, list[Operation]] = {}
    for operation in operations:
        by_name.setdefault(operation.name, []).append(operation)
    return [clash for clash in by_name.values() if len(clash) > 1]
