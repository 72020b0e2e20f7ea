"""A string that never shows itself: passwords, tokens and cookies live in ``Secret``."""

from __future__ import annotations

import hashlib
import hmac
from typing import final


def fingerprint(value: str) -> str:
    """A short, stable, non-reversible label for a secret, safe for logs (8 hex digits)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:8]


@final
class Secret:
    """Holds a secret string; its repr and str show only a fingerprint.

    Call ``reveal()`` at the one place the raw value is needed (a request being built).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"a secret must be a str, not {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """The raw value. Never log it."""
        return self._value

    @property
    def fingerprint(self) -> str:
        """See ``fingerprint()``."""
        return fingerprint(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return f"Secret(sha256:{self.fingerprint})"

    __str__ = __repr__

    def __reduce__(self) -> str:
        # Pickling would write the raw value to wherever the pickle goes.
        raise TypeError("Secret values cannot be pickled")
