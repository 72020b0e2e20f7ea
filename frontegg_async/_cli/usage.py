"""What every command shares: the error for bad usage."""

from __future__ import annotations


class UsageError(Exception):
    """Bad arguments: exit 2."""
