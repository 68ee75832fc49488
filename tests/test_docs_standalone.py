"""The documentation stands alone: it cites no file users do not get, and every relative link resolves.

Users get the repository, not the maintainers' notes, so README.md, docs/ and policies/README.md must
not send them to a design file outside it; a link to a file or a heading that does not exist is the
same defect one rename later.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted(
    [ROOT / "README.md", ROOT / "policies" / "README.md", *(ROOT / "docs").rglob("*.md")],
    key=lambda p: str(p),
)
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} (.+?)\s*$", re.M)
FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in HEADING.findall(text)}


@pytest.fixture(params=DOCS, ids=_rel)
def doc(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    return path


def test_no_reference_to_files_outside_the_repository(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        assert not re.search(r"\.\./shared|DESIGN(\.md|\s*§)", line), f"{_rel(doc)}:{number}: {line.strip()}"


def test_relative_links_resolve(doc: Path) -> None:
    text = FENCE.sub("", doc.read_text(encoding="utf-8"))
    for target in LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        path_part, _, anchor = target.partition("#")
        linked = (doc.parent / path_part).resolve() if path_part else doc
        assert linked.exists(), f"{_rel(doc)}: link to {target}: {path_part} does not exist"
        assert linked.is_relative_to(ROOT), f"{_rel(doc)}: link to {target} leaves the repository"
        if anchor:
            assert linked.suffix == ".md", f"{_rel(doc)}: anchor on a non-Markdown file: {target}"
            assert anchor in _anchors(linked), f"{_rel(doc)}: link to {target}: no such heading"


def test_the_checker_sees_links_and_anchors() -> None:
    """The two checks above look at something: the README links the architecture notes by heading."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/architecture.md#budget-math" in LINK.findall(readme)
    assert {"budget-math", "decision-order", "the-audit-chain"} <= _anchors(ROOT / "docs" / "architecture.md")
    assert "slo-gate-check" in _anchors(ROOT / "README.md")
