"""The installed distribution's version, read once from its metadata."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def installed_version() -> str:
    """The version pip installed (``pyproject.toml``'s), or ``0+unknown`` from a bare checkout."""
    try:
        return version("frontegg-async")
    except PackageNotFoundError:
        return "0+unknown"


__version__ = installed_version()
