"""Every repository path the documentation names exists, so a move cannot leave a doc behind.

The documentation is README.md, tests/README.md and every docs/**/*.md page, found anew on
each run: a new page is checked without being listed here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [
    "README.md",
    "tests/README.md",
    *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("**/*.md")),
]
# `a/b/c.py` or `a/b/` in backticks (an optional `::test_name` after a file): a repository path.
PATH = re.compile(r"`((?:[\w.-]+/)+(?:[\w.-]+\.(?:py|md|html|txt|json|toml|yml|sh))?)(?:::\w+)?`")
GENERATED = ("var/", "test-artifacts/", "bench/out/", "bench/.venv/", "staticfiles/")


def test_the_docs_are_found():
    assert {"README.md", "tests/README.md", "docs/README.md", "docs/api.md"} <= set(DOCS)


@pytest.mark.parametrize("doc", DOCS)
def test_every_path_a_doc_names_exists(doc):
    named = {m.group(1) for m in PATH.finditer((ROOT / doc).read_text())}
    named = {p for p in named if "." in p.rsplit("/", 1)[-1] or p.count("/") > 1}  # not `admin/`
    missing = sorted(p for p in named if not p.startswith(GENERATED) and not (ROOT / p).exists())
    assert missing == []
