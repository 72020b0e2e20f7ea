"""Write ``frontegg_async/api/`` (and the fake's operation table) from Frontegg's OpenAPI spec.

Run from the repository's root::

    python tools/generate_api                    # reads spec/identity.json
    python tools/generate_api --spec PATH --out DIR

Its modules: ``spec`` reads the document, ``naming`` names groups and methods, ``models``,
``render`` (a group's module) and ``package`` (the client, the exports, the fake's table)
write the code, ``docs`` the table of methods.

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
  gets ``_by_<parameter>`` (``get`` and ``get_by_id``); if they still clash, the newest version
  keeps the name and each older one gets ``_v1``, ``_v2``...; where the rule reads wrong, the
  table ``naming.NAME_OVERRIDES`` names the call (``POST /resources/auth/v1/user`` is
  ``general.login``). A method's name from before this rule that no method took over is kept
  one release as a deprecated alias;
- parameters: path parameters are positional, in path order, then ``body``; query and header
  parameters are keyword-only, snake_cased without their leading underscore
  (``_sortBy`` -> ``sort_by``, ``frontegg-tenant-id`` -> ``frontegg_tenant_id``); every
  method also takes ``retries`` (passed to ``session.request()``); ``_limit`` and ``_offset``
  are ``int`` (the spec says number; they count). A GET whose answer the spec does not describe
  returns the decoded JSON (``Any``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from .docs import render_docs
from .models import Models
from .naming import collect, py_name
from .package import render_client, render_init, render_table
from .render import GroupWriter
from .spec import DEFAULT_SPEC, ROOT, Spec

__all__ = ["generate", "main", "py_name"]


#: The one module of the package written by hand (what the generated code stands on).
HAND_WRITTEN = frozenset({"_core.py"})


def generate(spec_path: Path, out: Path) -> None:
    """Write every generated file under ``out`` (a repository root)."""
    spec = Spec(json.loads(spec_path.read_text(encoding="utf-8")))
    groups = collect(spec)
    models = Models(spec)
    writers = [GroupWriter(spec, models, g, groups[g]) for g in sorted(groups)]
    texts = {f"_{w.group}.py": w.render() for w in writers}
    package = out / "frontegg_async" / "api"
    package.mkdir(parents=True, exist_ok=True)
    for stale in package.glob("*.py"):
        if stale.name not in HAND_WRITTEN:
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
    # Only the layout is left to ruff: the imports are written exactly as used.
    subprocess.run([*ruff, "format", "--quiet", *config, str(package)], check=True)  # noqa: S603


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="identity.json")
    parser.add_argument("--out", type=Path, default=ROOT, help="repository root to write into")
    args = parser.parse_args(argv)
    if not args.spec.is_file():
        parser.error(f"no spec at {args.spec}: pass --spec PATH")
    generate(args.spec, args.out)
    return 0
