"""Every relative link and image of the documentation resolves, and no doc points outside it.

README.md and every docs/**/*.md page: a relative markdown link `[text](path)` or image
`![alt](path)` must name an existing file or folder (relative to the page); a link's `#anchor`
must be a heading of the page it points to (itself, or another .md file), with GitHub's
heading slugs. External links (`https:`, `mailto:`) are not fetched. Code blocks and code
spans are not read: what they show is not a link.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
# Also kept free of references to files that are not in this repository.
MENTION_CHECKED = [*DOCS, ROOT / "tests" / "README.md"]
NOT_IN_THE_REPOSITORY = re.compile(r"\b(?:PRODUCT|API)\.md\b|\.\./shared")

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.DOTALL | re.MULTILINE)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def prose(text: str) -> str:
    """The page without its fenced code blocks and code spans."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup and punctuation dropped, lowercase, spaces to -."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of a page's headings; a repeated heading gets -1, -2, … as on GitHub."""
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(page: Path) -> list[str]:
    problems = []
    for target in LINK.findall(prose(page.read_text(encoding="utf-8"))):
        if SCHEME.match(target) or target.startswith("//"):
            continue  # an external address: not ours to check
        path, _, anchor = target.partition("#")
        resolved = (page.parent / unquote(path)).resolve() if path else page
        if not resolved.is_relative_to(ROOT):
            problems.append(f"{target}: outside the repository")
        elif not resolved.exists():
            problems.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and unquote(anchor) not in anchors(resolved):
            problems.append(f"{target}: no heading #{anchor} in {resolved.relative_to(ROOT)}")
    return problems


def test_the_docs_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in DOCS}
    assert {"README.md", "docs/README.md", "docs/api.md", "docs/architecture.md"} <= names


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_and_image_of_the_page_resolves(page):
    assert broken_links(page) == []


@pytest.mark.parametrize("page", MENTION_CHECKED, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_doc_mentions_a_file_that_is_not_in_the_repository(page):
    text = page.read_text(encoding="utf-8")
    found = [m.group(0) for m in NOT_IN_THE_REPOSITORY.finditer(text)]
    assert found == []


def test_the_checks_see_what_they_check():
    """The link reader finds links and images, skips code, and slugs headings as GitHub."""
    text = "See [a](docs/x.md#b-c) and ![i](p.png). `[no](code.md)`\n```\n[no](block.md)\n```\n"
    assert LINK.findall(prose(text)) == ["docs/x.md#b-c", "p.png"]
    assert slug("Scale-out: `make scaleout`") == "scale-out-make-scaleout"
    assert slug("Key usage: last use, a 30-day chart") == "key-usage-last-use-a-30-day-chart"
    assert slug('Errors, 503 included ("Unavailable")') == "errors-503-included-unavailable"
    assert NOT_IN_THE_REPOSITORY.search("see API.md") is not None
    assert NOT_IN_THE_REPOSITORY.search("see docs/api.md") is None
