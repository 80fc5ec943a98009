"""The README and docs keep their promises: every `make X` they name is a Makefile target, every
relative link they hold resolves to a file of the repository, and every `#anchor` of a link into a
Markdown page names one of its headings (a moved or renamed file or heading breaks a test, not a
reader's click)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
#: `make target` in backticks or at the start of a line of a code block (prose says "make ru seen")
MAKE = re.compile(r"(?:`|^)make ([a-z][a-z-]*)\b", flags=re.M)
#: [text](target) with a relative target (no scheme, no pure anchor)
LINK = re.compile(r"\]\(([^)\s]+)\)")


#: a Markdown heading line (outside code fences)
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


def heading_anchors(page: Path) -> set[str]:
    """The anchors GitHub gives ``page``'s headings: lower case, every character that is not a letter,
    digit, space, ``-`` or ``_`` dropped, spaces made ``-``; a repeated anchor gets ``-1``, ``-2``, …"""
    anchors: set[str] = set()
    fenced = False
    for line in page.read_text().splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        match = None if fenced else HEADING.match(line)
        if match:
            base = re.sub(r"[^\w\- ]", "", match.group(1).lower()).replace(" ", "-")
            anchor, n = base, 0
            while anchor in anchors:
                n += 1
                anchor = f"{base}-{n}"
            anchors.add(anchor)
    return anchors


def test_heading_anchors_follow_github(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Make `results`: twice!\n```\n# not a heading\n```\n## Make results\n## Make results\n")
    assert heading_anchors(page) == {"make-results-twice", "make-results", "make-results-1"}


def makefile_targets() -> set[str]:
    text = (REPO / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z-]*):", text, flags=re.M))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_make_target_named_exists(page):
    named = set(MAKE.findall(page.read_text()))
    missing = named - makefile_targets()
    assert not missing, f"{page.name} names make targets the Makefile lacks: {sorted(missing)}"


def relative_links(page: Path) -> list[tuple[str, str, str]]:
    """``(target, path, anchor)`` of every link of ``page`` that has no scheme (``path`` empty for an
    anchor into the page itself, ``anchor`` empty when there is none)."""
    links = []
    for target in LINK.findall(page.read_text()):
        if not re.match(r"^[a-z]+:", target):
            path, _, anchor = target.partition("#")
            links.append((target, path, anchor))
    return links


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_resolves(page):
    links = relative_links(page)
    broken = [target for target, path, _ in links if path and not (page.parent / path).exists()]
    assert not broken, f"{page.name} links files that do not exist: {broken}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_anchor_names_a_heading(page):
    broken = []
    for target, path, anchor in relative_links(page):
        linked = (page.parent / path) if path else page
        if anchor and linked.suffix == ".md" and anchor not in heading_anchors(linked):
            broken.append(target)
    assert not broken, f"{page.name} links headings that do not exist: {broken}"


def test_the_readme_fits_two_minutes():
    assert len((REPO / "README.md").read_text().splitlines()) <= 200


def test_the_readme_answer_comes_first():
    """The answer and the forest plot are on the first screen, before the commands."""
    text = (REPO / "README.md").read_text()
    answer, forest, commands = (
        text.index(s) for s in ("<!-- answer:start", "forest_comparisons.png", "## Two")
    )
    assert answer < forest < commands
