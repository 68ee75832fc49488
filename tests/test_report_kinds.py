"""The change section's per-file kinds in text, Markdown and JSON: counts per kind, every file in JSON,
a capped list in text and Markdown, and file names from the diff escaped for each sink."""

from __future__ import annotations

import json

from gate import report
from gate.models import ChangedFile, ChangeRisk, FileKind
from gate.policy import RiskConfig
from gate.risk.rules import assess_rules


def change_of(*paths: str) -> ChangeRisk:
    return assess_rules([ChangedFile(path=p, added=1) for p in paths], [], RiskConfig())


def test_json_has_the_counts_and_every_file() -> None:
    change = change_of("Dockerfile", "docs/a.md", "docs/b.md", "src/app.py")
    data = report.change_json(change)
    assert data["kinds"] == {"container": 1, "docs": 2, "code": 1}
    assert data["file_risks"][0] == {
        "path": "Dockerfile",
        "kind": "container",
        "rule": "container build (Dockerfile)",
        "risk": "high",
        "because": "container → high",
    }
    assert [item["path"] for item in data["file_risks"]] == [
        "Dockerfile",
        "docs/a.md",
        "docs/b.md",
        "src/app.py",
    ]
    json.dumps(data, allow_nan=False)


def test_text_lists_files_by_kind_most_first() -> None:
    lines = report.change_text(change_of("Dockerfile", "docs/a.md", "docs/b.md"))
    assert "  files by kind: docs 2, container 1" in lines
    assert "    high    container     Dockerfile: container build (Dockerfile); container → high" in lines


def test_text_and_markdown_cap_the_list_and_say_where_the_rest_is() -> None:
    change = change_of(*(f"docs/p{i}.md" for i in range(report.MAX_FILES_SHOWN + 7)))
    text = report.change_text(change)
    assert sum(line.startswith("    low ") for line in text) == report.MAX_FILES_SHOWN
    assert "    … 7 more files (every file is listed in the JSON output)" in text
    markdown = report.file_kinds_markdown(change)
    assert sum(line.startswith("| docs/p") for line in markdown) == report.MAX_FILES_SHOWN
    assert "_7 more files \\(every file is listed in the JSON output\\)_" in markdown
    assert (
        f"<details><summary>Each file's kind and floor ({report.MAX_FILES_SHOWN + 7} files)</summary>"
        in markdown
    )


def test_hostile_file_names_stay_inert() -> None:
    hostile = "src/a|b <img src=x onerror=alert(1)> @team [x](https://evil.example)\n::error::x.py"
    change = change_of(hostile)
    assert change.file_risks[0].kind is FileKind.CODE
    markdown = "\n".join(report.file_kinds_markdown(change))
    row = next(line for line in markdown.split("\n") if line.startswith("| src/a"))
    assert row.count(" | ") == 3  # the `|` in the name cannot add a column
    assert "<img" not in markdown.replace("\\<img", "")  # only ever escaped
    assert "@team" not in markdown and "https://evil" not in markdown
    text = report.change_text(change)
    assert not any(line.startswith("::error::") for line in text)
    assert all("\n" not in line for line in text)


def test_no_files_no_section() -> None:
    empty = assess_rules([], [], RiskConfig())
    assert report.file_kinds_text(empty) == []
    assert report.file_kinds_markdown(empty) == []
    assert report.change_json(empty)["kinds"] == {}
