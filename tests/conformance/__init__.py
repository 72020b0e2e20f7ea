"""Frontegg's own clients against the fake. Each check script prints one line per check and a
count; the counts are gathered here and printed at the end of the run (``conftest.py``)."""

#: "what checked" -> the line with its count, as the check printed it.
COUNTS: dict[str, str] = {}
