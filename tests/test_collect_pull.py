"""diff_from_pull_files (GitHub's files API -> diff text + ParsedDiff) and git_commit_messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.errors import UsageError
from gate.gitdiff import git_commit_messages
from gate.github.api import MAX_PULL_FILES, PullFile
from gate.github.pull_files import diff_from_pull_files
from gate.models import ChangedFile
from gate.risk.diff import ParsedDiff
from tests.support.git import git

ODD_NAMES = [
    "docs/a name with spaces.md",
    'src/say "hi".txt',
    "src/back\\slash.py",
    "naïve/日本語.md",
    "tab\there.txt",
    "new\nline.txt",
    " leading space.txt",
    "x b/y.txt",  # contains " b/", the usual split point of a `diff --git` line
]


def section(text: str, parsed: ParsedDiff, index: int) -> list[str]:
    span = parsed.spans[index]
    return text.split("\n")[span.start : span.end]


def hunk_text(text: str, parsed: ParsedDiff, index: int) -> str:
    """The lines of a file's hunks, joined back: what GitHub sent as `patch`."""
    lines = text.split("\n")
    return "\n".join(line for start, end in parsed.spans[index].hunks for line in lines[start:end])


ENTRIES = [
    PullFile("src/new.py", "added", 2, 0, "@@ -0,0 +1,2 @@\n+import os\n+print(os.sep)"),
    PullFile("old/gone.txt", "removed", 0, 3, "@@ -1,3 +0,0 @@\n-a\n-b\n-c"),
    PullFile(
        "README.md",
        "modified",
        2,
        1,
        "@@ -1,3 +1,4 @@\n # Title\n-old line\n+new line\n+another\n text\n"
        "@@ -10,2 +11,2 @@\n x\n-y\n\\ No newline at end of file\n+y\n\\ No newline at end of file",
    ),
    PullFile("lib/new name.py", "renamed", 1, 1, "@@ -1 +1 @@\n-x = 1\n+x = 2", "lib/old.py"),
    PullFile("lib/moved.py", "renamed", 0, 0, None, "lib/was.py"),
    PullFile("assets/logo.png", "added", 0, 0, None),
    PullFile("vendor/huge.min.js", "modified", 5000, 4000, None),
    PullFile("bin/run.sh", "changed", 0, 0, None),
    PullFile("lib/copy.py", "copied", 1, 0, "@@ -1 +1,2 @@\n x\n+y", "lib/orig.py"),
]


def test_each_status_becomes_the_right_changed_file() -> None:
    text, parsed = diff_from_pull_files(ENTRIES, len(ENTRIES))
    assert parsed.problems == []
    assert parsed.incomplete == []
    assert parsed.files == [
        ChangedFile(path="src/new.py", added=2, removed=0, status="added"),
        ChangedFile(path="old/gone.txt", added=0, removed=3, status="deleted"),
        ChangedFile(path="README.md", added=2, removed=1, status="modified"),
        ChangedFile(path="lib/new name.py", old_path="lib/old.py", added=1, removed=1, status="renamed"),
        # a pure rename has nothing to review, so it is not "no patch"
        ChangedFile(path="lib/moved.py", old_path="lib/was.py", status="renamed"),
        ChangedFile(path="assets/logo.png", no_patch=True, status="added"),
        ChangedFile(path="vendor/huge.min.js", added=5000, removed=4000, no_patch=True, status="modified"),
        ChangedFile(path="bin/run.sh", no_patch=True, status="modified"),
        ChangedFile(path="lib/copy.py", added=1, removed=0, status="added"),
    ]
    assert parsed.lines_added == 5006
    assert text.endswith("\n")


def test_headers_follow_the_status() -> None:
    text, parsed = diff_from_pull_files(ENTRIES, len(ENTRIES))
    assert section(text, parsed, 0)[:4] == [
        "diff --git a/src/new.py b/src/new.py",
        "new file mode 100644",
        "--- /dev/null",
        "+++ b/src/new.py",
    ]
    assert section(text, parsed, 1)[:4] == [
        "diff --git a/old/gone.txt b/old/gone.txt",
        "deleted file mode 100644",
        "--- a/old/gone.txt",
        "+++ /dev/null",
    ]
    assert section(text, parsed, 3)[:5] == [
        'diff --git a/lib/old.py "b/lib/new name.py"',
        "rename from lib/old.py",
        'rename to "lib/new name.py"',
        "--- a/lib/old.py",
        '+++ "b/lib/new name.py"',
    ]
    # Patchless entries get their header lines only.
    assert section(text, parsed, 4) == [
        "diff --git a/lib/was.py b/lib/moved.py",
        "rename from lib/was.py",
        "rename to lib/moved.py",
    ]
    assert section(text, parsed, 5) == [
        "diff --git a/assets/logo.png b/assets/logo.png",
        "new file mode 100644",
    ]
    assert section(text, parsed, 6) == ["diff --git a/vendor/huge.min.js b/vendor/huge.min.js"]
    assert section(text, parsed, 8)[1:3] == ["copy from lib/orig.py", "copy to lib/copy.py"]


def test_spans_point_at_each_files_patch() -> None:
    text, parsed = diff_from_pull_files(ENTRIES, len(ENTRIES))
    assert len(parsed.spans) == len(parsed.files)
    lines = text.split("\n")
    for index, entry in enumerate(ENTRIES):
        span = parsed.spans[index]
        assert lines[span.start].startswith("diff --git ")
        assert hunk_text(text, parsed, index) == (entry.patch or "")
        for start, _ in span.hunks:
            assert lines[start].startswith("@@ ")
    assert len(parsed.spans[2].hunks) == 2
    # Sections are contiguous and cover the whole text.
    assert parsed.spans[0].start == 0
    assert all(a.end == b.start for a, b in zip(parsed.spans, parsed.spans[1:], strict=False))
    assert parsed.spans[-1].end == len(lines) - 1


@pytest.mark.parametrize("name", ODD_NAMES)
@pytest.mark.parametrize("status", ["added", "modified", "removed", "renamed"])
def test_odd_filenames_round_trip(name: str, status: str) -> None:
    previous = f"old dir/{name}" if status == "renamed" else None
    patches = {
        "added": "@@ -0,0 +1 @@\n+x",
        "removed": "@@ -1 +0,0 @@\n-x",
        "modified": "@@ -1 +1 @@\n-x\n+y",
        "renamed": "@@ -1 +1 @@\n-x\n+y",
    }
    entries = [
        PullFile(name, status, 1, 1, patches[status], previous),
        PullFile(name, status, 0, 0, None, previous),  # patchless: names come from the header lines only
    ]
    text, parsed = diff_from_pull_files(entries, 2)
    assert parsed.problems == []
    assert [f.path for f in parsed.files] == [name, name]
    assert [f.old_path for f in parsed.files] == [previous, previous]
    assert hunk_text(text, parsed, 0) == patches[status]


def test_odd_filenames_are_quoted_the_way_git_reads_them(tmp_path: Path) -> None:
    """Real git parses the rebuilt text to the same names and counts (`git apply --numstat`)."""
    entries = [PullFile(name, "added", 1, 0, "@@ -0,0 +1 @@\n+x") for name in ODD_NAMES]
    entries.append(PullFile("dst/ü q.txt", "renamed", 1, 1, "@@ -1 +1 @@\n-x\n+y", 'src/"ü".txt'))
    text, parsed = diff_from_pull_files(entries, len(entries))
    assert parsed.problems == []
    git(tmp_path, "init", "-q")

    def numstat(*reverse: str) -> list[tuple[str, str]]:
        out = git(tmp_path, "apply", "--numstat", "-z", *reverse, "-", input=text.encode())
        return [
            (line.split("\t", 2)[2], "/".join(line.split("\t", 2)[:2])) for line in out.split("\0") if line
        ]

    # git's numstat names only the new path; applied in reverse, a rename names the old one.
    assert numstat() == [(e.filename, f"{e.additions}/{e.deletions}") for e in entries]
    # (git lists a reversed patch in its own order.)
    assert sorted(numstat("-R")) == sorted(
        (e.previous_filename or e.filename, f"{e.deletions}/{e.additions}") for e in entries
    )


def test_the_github_file_limit_marks_the_diff_incomplete() -> None:
    entries = [PullFile(f"f{i}.txt", "added", 1, 0, "@@ -0,0 +1 @@\n+x") for i in range(MAX_PULL_FILES)]
    _, parsed = diff_from_pull_files(entries, 3456)
    assert len(parsed.files) == MAX_PULL_FILES == 3000
    assert parsed.incomplete == [
        "the pull request changes 3456 files; GitHub's API lists only the first 3000"
    ]
    _, at_limit = diff_from_pull_files(entries, 3000)
    assert at_limit.incomplete == [
        "the pull request changes 3000 files; GitHub's API lists only the first 3000"
    ]


def test_fewer_files_listed_than_the_pull_request_changes_is_incomplete() -> None:
    _, parsed = diff_from_pull_files(ENTRIES[:2], 5)
    assert parsed.incomplete == ["the pull request changes 5 files; GitHub's API lists only the first 3000"]
    _, complete = diff_from_pull_files(ENTRIES[:2], 2)
    assert complete.incomplete == []


def test_no_files() -> None:
    text, parsed = diff_from_pull_files([], 0)
    assert text == ""
    assert parsed.files == []
    assert parsed.problems == parsed.incomplete == []


def test_a_patch_that_smuggles_a_file_header_is_a_problem() -> None:
    entries = [PullFile("a.py", "modified", 1, 1, "@@ -1 +1 @@\n-x\n+y\ndiff --git a/evil b/evil")]
    _, parsed = diff_from_pull_files(entries, 1)
    # The API stays the authority on what changed; the mismatch is reported and spans are dropped.
    assert [f.path for f in parsed.files] == ["a.py"]
    assert parsed.spans == []
    assert any("do not match" in problem for problem in parsed.problems)


def test_a_patch_whose_counts_do_not_add_up_is_a_problem() -> None:
    entries = [PullFile("a.py", "modified", 1, 1, "@@ -1,5 +1,5 @@\n-x\n+y")]
    _, parsed = diff_from_pull_files(entries, 1)
    assert len(parsed.problems) == 1
    assert "does not match its body" in parsed.problems[0]
    assert parsed.files[0].added == 1


def test_an_unknown_status_is_a_problem() -> None:
    _, parsed = diff_from_pull_files([PullFile("a.py", "teleported", 0, 0, None)], 1)
    assert parsed.files[0].status == "modified"
    assert parsed.problems == ["a.py: GitHub reported an unknown file status 'teleported'"]


# -- git_commit_messages -----------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "base commit")
    git(tmp_path, "tag", "base")
    for message in [
        "feat: add the thing\n\nIt does things.\n\nRefs: #12",
        "fix: handle ünïcode and `$(shell)`\n\n- one\n- two\n",
        "   chore: padded   \n\n",
    ]:
        git(tmp_path, "commit", "-q", "--allow-empty", "--cleanup=verbatim", "-m", message)
    return tmp_path


def test_commit_messages_newest_first_stripped(repo: Path) -> None:
    assert git_commit_messages("base", "HEAD", cwd=str(repo)) == [
        "chore: padded",
        "fix: handle ünïcode and `$(shell)`\n\n- one\n- two",
        "feat: add the thing\n\nIt does things.\n\nRefs: #12",
    ]


def test_commit_messages_of_an_empty_range(repo: Path) -> None:
    assert git_commit_messages("HEAD", "HEAD", cwd=str(repo)) == []


def test_commit_messages_are_capped(repo: Path) -> None:
    got = git_commit_messages("base", "HEAD", cwd=str(repo), max_bytes=len("chore: padded") + 10)
    assert got == ["chore: padded", "fix: handl"]
    # A cut never splits a UTF-8 character: "ü" is two bytes, and half of it is dropped.
    cut = git_commit_messages("HEAD~2", "HEAD~1", cwd=str(repo), max_bytes=len("fix: handle ") + 1)
    assert cut == ["fix: handle"]


@pytest.mark.parametrize(
    ("base", "head"),
    [("--output=/tmp/x", "HEAD"), ("base", "-p"), ("a b", "HEAD"), ("base", "$(id)"), ("", "HEAD")],
)
def test_bad_refs_are_refused(repo: Path, base: str, head: str) -> None:
    with pytest.raises(UsageError, match="is not a git ref"):
        git_commit_messages(base, head, cwd=str(repo))


def test_an_unknown_ref_is_a_usage_error(repo: Path) -> None:
    # git's own `fatal:` line and the command, not the usage text git prints after it
    with pytest.raises(
        UsageError, match=r"git log .*base\.\.nope failed: fatal: ambiguous argument 'base\.\.nope'"
    ):
        git_commit_messages("base", "nope", cwd=str(repo))
