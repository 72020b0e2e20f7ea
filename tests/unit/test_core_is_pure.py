"""``frontegg_async._core`` decides without doing I/O: neither it nor anything it imports from
the package imports asyncio or aiohttp (read from the source, so that the package's own
``__init__``, which imports everything, cannot hide a slip)."""

from __future__ import annotations

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "frontegg_async"
FORBIDDEN = {"asyncio", "aiohttp"}


def imports_of(path: pathlib.Path) -> set[str]:
    """The absolute names of the modules ``path`` imports."""
    # A module's package is its directory, an ``__init__``'s included.
    package = ".".join(path.relative_to(PACKAGE.parent).parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: up from this module's package
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            names.add(target)
            # ``from . import wire`` names a module too.
            names |= {f"{target}.{alias.name}" for alias in node.names}
    return names


def source_of(module: str) -> pathlib.Path | None:
    if not module.startswith("frontegg_async"):
        return None
    relative = pathlib.Path(*module.split(".")[1:])
    for candidate in (PACKAGE / relative.with_suffix(".py"), PACKAGE / relative / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def test_the_core_and_what_it_imports_never_import_asyncio_or_aiohttp() -> None:
    pending = sorted((PACKAGE / "_core").glob("*.py"))
    assert len(pending) >= 3, pending
    seen: dict[pathlib.Path, set[str]] = {}
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen[path] = imports_of(path)
        for name in seen[path]:
            source = source_of(name)
            if source is not None and source not in seen:
                pending.append(source)
    offenders = {
        str(path.relative_to(PACKAGE.parent)): sorted(
            name for name in names if name.split(".")[0] in FORBIDDEN
        )
        for path, names in seen.items()
    }
    assert {path: names for path, names in offenders.items() if names} == {}
    # The walk did reach the package modules the flows need.
    reached = {path.name for path in seen}
    assert {"flows.py", "wire.py", "_errors.py", "_models.py", "policy.py", "holding.py"} <= reached


def test_the_walk_sees_an_asyncio_import() -> None:
    # The check above is only as good as the import reader: it finds the engine's asyncio.
    assert "asyncio" in imports_of(PACKAGE / "_engine" / "__init__.py")
    assert "frontegg_async._core.flows" in imports_of(PACKAGE / "_engine" / "__init__.py")
