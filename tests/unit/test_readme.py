"""The README reads the same on a package index as in the repository: no link to a file of the
repository (an index shows the README alone), every link absolute or to a heading of its own."""

from __future__ import annotations

import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"
LINK = re.compile(r"\]\(([^)\s]+)\)|^\[[^\]]+\]:\s*(\S+)", re.MULTILINE)


def test_every_link_works_without_the_repository() -> None:
    text = README.read_text()
    # Code blocks may hold anything; links are in the prose.
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    targets = [a or b for a, b in LINK.findall(prose)]
    relative = [t for t in targets if not t.startswith(("https://", "http://", "#", "mailto:"))]
    assert relative == []
    headings = {
        re.sub(r"[^\w\- ]", "", line.lstrip("#").strip()).lower().replace(" ", "-")
        for line in prose.splitlines()
        if line.startswith("#")
    }
    anchors = [t[1:] for t in targets if t.startswith("#")]
    assert [a for a in anchors if a not in headings] == []
