"""Laying out generated text: wrapped lines and short lists."""

from __future__ import annotations

import textwrap


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
