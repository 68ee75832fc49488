"""parse_unified_diff against real `git diff` output, with `git diff --numstat` as the ground truth."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from gate.models import ChangedFile
from gate.risk.diff import ParsedDiff, parse_unified_diff
from tests.support.git import git


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        git(root, "init", "-q", "-b", "main")
        git(root, "commit", "-q", "--allow-empty", "-m", "empty")

    def write(self, name: str, content: str | bytes) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_bytes(content.encode("utf-8"))
        else:
            path.write_bytes(content)

    def remove(self, name: str) -> None:
        (self.root / name).unlink()

    def move(self, old: str, new: str) -> None:
        (self.root / new).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(self.root / old, self.root / new)

    def commit(self) -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "--allow-empty", "-m", "change")
        return git(self.root, "rev-parse", "HEAD").strip()


def numstat(
    repo: Path, base: str, head: str, *args: str
) -> dict[str, tuple[int | None, int | None, str | None]]:
    """path -> (added, removed, old path of a rename/copy); None counts for binary files."""
    tokens = git(repo, "diff", *args, "--numstat", "-z", base, head).split("\0")
    out: dict[str, tuple[int | None, int | None, str | None]] = {}
    i = 0
    while i < len(tokens) and tokens[i]:
        added, removed, path = tokens[i].split("\t", 2)
        old: str | None = None
        if path == "":
            old, path = tokens[i + 1], tokens[i + 2]
            i += 3
        else:
            i += 1
        out[path] = (None if added == "-" else int(added), None if removed == "-" else int(removed), old)
    return out


def as_numstat(parsed: ParsedDiff) -> dict[str, tuple[int | None, int | None, str | None]]:
    return {
        f.path: (None, None, f.old_path) if f.binary else (f.added, f.removed, f.old_path)
        for f in parsed.files
    }


def _mixed(repo: Repo) -> None:
    repo.write("keep.txt", "a\nb\nc\n")
    repo.write("sp ace.txt", "x\ny\n")
    repo.write("gone.txt", "old\n")
    repo.write("ren.txt", "".join(f"{n}\n" for n in range(50)))
    repo.write("bin.dat", bytes(range(256)) * 3)
    repo.write("ü.txt", "é\n")
    repo.commit()
    repo.write("keep.txt", "a\nB\nc\nd")  # no newline at end of file
    repo.write("sp ace.txt", "x\nz\n")
    repo.remove("gone.txt")
    repo.move("ren.txt", "dir with space/renamed.txt")
    repo.write("dir with space/renamed.txt", "".join(f"{n}\n" for n in range(51)))
    repo.write("bin.dat", bytes(reversed(range(256))) * 3)
    repo.write("t\tab.txt", "tab\n")
    repo.write('quo"te.txt', "q\n")
    repo.write("new-empty", "")
    os.chmod(repo.root / "ü.txt", 0o700)  # a mode change only


def _binary_patch(repo: Repo) -> None:
    repo.write("img/logo.png", bytes(range(256)) * 10)
    repo.write("old.bin", b"\x00\x01\x02" * 100)
    repo.write("text.txt", "one\n")
    repo.write("empty-to-delete", "")
    repo.commit()
    repo.remove("empty-to-delete")
    repo.write("img/logo.png", bytes(range(255, -1, -1)) * 10)
    repo.write("img/new.png", b"\x89PNG\r\n\x1a\n\x00" + bytes(range(200)))
    repo.remove("old.bin")
    repo.write("text.txt", "one\ntwo\n")


def _renames_and_copies(repo: Repo) -> None:
    def body(kind: str) -> str:
        return "".join(f"line {n} of a long enough {kind} file\n" for n in range(40))

    repo.write("a/pure.txt", body("pure"))
    repo.write("src/orig.py", body("python"))
    repo.write("b/x.txt", body("x"))
    repo.commit()
    repo.move("a/pure.txt", "moved/pure.txt")  # 100% rename: no hunks at all
    repo.write("src/copy.py", body("python") + "extra\n")  # a copy with an edit
    repo.move("b/x.txt", "a/x.txt")  # a rename whose new path starts with `a/`


def _tricky_content(repo: Repo) -> None:
    repo.write("t.txt", "--- a/t.txt\n+++ b/t.txt\n@@ -1 +1 @@\ndiff --git a b\nkeep\n-- x\n\n\n")
    repo.write("crlf.txt", "one\r\ntwo\r\n")
    repo.write("ff.c", "a\x0cb\nc\u2028d\ne\x1cf\n")
    repo.commit()
    repo.write("t.txt", "++ b/t.txt\n@@ -1 +1 @@\nkeep\n-- y\n\n\n\\ not a marker\n")
    repo.write("crlf.txt", "one\r\n2\r\nthree\r\n")
    repo.write("ff.c", "a\x0cB\nc\u2028D\ne\x1cf\n")


def _many_hunks(repo: Repo) -> None:
    repo.write("big.txt", "".join(f"{n}\n" for n in range(1000)))
    repo.commit()
    repo.write("big.txt", "".join(f"{n}\n" if n % 97 else f"changed {n}\nadded\n" for n in range(1000)))


def _random(seed: int, files: int) -> Callable[[Repo], None]:
    def build(repo: Repo) -> None:
        rng = random.Random(seed)
        contents: dict[str, list[str]] = {}
        for n in range(files):
            name = f"pkg{n % 7}/file {n}.txt" if n % 5 == 0 else f"pkg{n % 7}/file_{n}.py"
            contents[name] = [
                f"{rng.randrange(50)} {'x' * rng.randrange(5)}\n" for _ in range(rng.randrange(1, 400))
            ]
            repo.write(name, "".join(contents[name]))
        repo.commit()
        for name, lines in contents.items():
            action = rng.random()
            if action < 0.05:
                repo.remove(name)
                continue
            for _ in range(rng.randrange(0, 40)):
                pos = rng.randrange(len(lines) + 1)
                op = rng.random()
                if op < 0.4 and lines:
                    del lines[min(pos, len(lines) - 1)]
                elif op < 0.7:
                    lines.insert(pos, f"new {rng.randrange(10)}\n")
                elif lines:
                    lines[min(pos, len(lines) - 1)] = f"edit {rng.randrange(10)}\n"
            text = "".join(lines)
            if rng.random() < 0.1:
                text = text.rstrip("\n")
            repo.write(name, text)
        for n in range(files // 10):
            repo.write(
                f"added/new_{n}.txt", "".join(f"{rng.random()}\n" for _ in range(rng.randrange(0, 50)))
            )

    return build


SCENARIOS: list[tuple[str, Callable[[Repo], None], tuple[str, ...]]] = [
    ("mixed", _mixed, ("-M",)),
    ("mixed-no-renames", _mixed, ("--no-renames",)),
    ("mixed-U0", _mixed, ("-M", "-U0")),
    ("binary-summary", _binary_patch, ("-M",)),
    ("binary-patch", _binary_patch, ("-M", "--binary")),
    ("renames-copies", _renames_and_copies, ("-M", "-C", "--find-copies-harder")),
    ("tricky-content", _tricky_content, ("-M",)),
    ("tricky-content-U0", _tricky_content, ("-U0",)),
    ("many-hunks", _many_hunks, ("-M", "-U1")),
    ("random-small", _random(7, 20), ("-M",)),
    ("random-large", _random(20240601, 300), ("-M", "-U2")),
    ("random-large-binary-flag", _random(99, 120), ("-M", "--binary", "-U5")),
]


@pytest.mark.parametrize(("build", "args"), [(s[1], s[2]) for s in SCENARIOS], ids=[s[0] for s in SCENARIOS])
def test_counts_match_git_numstat(
    tmp_path: Path, build: Callable[[Repo], None], args: tuple[str, ...]
) -> None:
    repo = Repo(tmp_path)
    build(repo)  # commits the "before" state, then edits the work tree
    base = git(tmp_path, "rev-parse", "HEAD").strip()
    head = repo.commit()
    parsed = parse_unified_diff(git(tmp_path, "diff", "--no-color", "--no-ext-diff", *args, base, head))
    assert parsed.problems == []
    expected = numstat(tmp_path, base, head, *args)
    assert {path: counts[:2] for path, counts in as_numstat(parsed).items()} == {
        path: counts[:2] for path, counts in expected.items()
    }
    assert len(parsed.files) == len(expected)
    for changed in parsed.files:  # numstat names the source of renames and copies; copies are "added"
        source = expected[changed.path][2]
        if changed.status == "renamed":
            assert changed.old_path == source
        else:
            assert changed.old_path is None
            assert source is None or changed.status == "added"


def test_statuses_paths_and_flags(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    _mixed(repo)
    base = git(tmp_path, "rev-parse", "HEAD").strip()
    repo.commit()
    parsed = parse_unified_diff(git(tmp_path, "diff", "-M", base, "HEAD"))
    by_path = {f.path: f for f in parsed.files}
    assert by_path["keep.txt"] == ChangedFile(path="keep.txt", added=2, removed=1)
    assert by_path["gone.txt"].status == "deleted"
    assert by_path["new-empty"] == ChangedFile(path="new-empty", status="added")
    assert by_path["dir with space/renamed.txt"] == ChangedFile(
        path="dir with space/renamed.txt", old_path="ren.txt", added=1, status="renamed"
    )
    assert by_path["bin.dat"].binary
    assert by_path["bin.dat"].status == "modified"
    assert by_path["t\tab.txt"].status == "added"  # a C-quoted path with an escape
    assert by_path['quo"te.txt'].added == 1
    assert by_path["ü.txt"] == ChangedFile(path="ü.txt")  # mode change only: octal-escaped UTF-8
    assert parsed.lines_added == sum(f.added for f in parsed.files)


def test_binary_patch_files(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    _binary_patch(repo)
    base = git(tmp_path, "rev-parse", "HEAD").strip()
    repo.commit()
    parsed = parse_unified_diff(git(tmp_path, "diff", "--binary", base, "HEAD"))
    assert "GIT binary patch" in git(tmp_path, "diff", "--binary", base, "HEAD")
    statuses = {f.path: (f.status, f.binary) for f in parsed.files}
    assert statuses == {
        "img/logo.png": ("modified", True),
        "img/new.png": ("added", True),
        "old.bin": ("deleted", True),
        "text.txt": ("modified", False),
        "empty-to-delete": ("deleted", False),
    }


def test_pure_rename_and_copy(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    _renames_and_copies(repo)
    base = git(tmp_path, "rev-parse", "HEAD").strip()
    repo.commit()
    parsed = parse_unified_diff(git(tmp_path, "diff", "-M", "-C", "--find-copies-harder", base, "HEAD"))
    by_path = {f.path: f for f in parsed.files}
    assert by_path["moved/pure.txt"] == ChangedFile(
        path="moved/pure.txt", old_path="a/pure.txt", status="renamed"
    )
    assert by_path["a/x.txt"] == ChangedFile(path="a/x.txt", old_path="b/x.txt", status="renamed")
    assert by_path["src/copy.py"] == ChangedFile(path="src/copy.py", added=1, status="added")


@pytest.mark.parametrize(
    ("flags", "path"),
    [(("--no-prefix",), "dir/f.txt"), (("--src-prefix=c/", "--dst-prefix=w/"), "dir/f.txt")],
)
def test_prefix_variants(tmp_path: Path, flags: tuple[str, ...], path: str) -> None:
    repo = Repo(tmp_path)
    repo.write("dir/f.txt", "1\n2\n")
    repo.write("dir/bin", b"\x00\x01")
    repo.commit()
    repo.write("dir/f.txt", "1\n3\n4\n")
    repo.write("dir/bin", b"\x00\x02")
    repo.commit()
    parsed = parse_unified_diff(git(tmp_path, "diff", *flags, "HEAD~1", "HEAD"))
    assert parsed.problems == []
    assert [(f.path, f.added, f.removed, f.binary) for f in parsed.files] == [
        ("dir/bin", 0, 0, True),
        (path, 2, 1, False),
    ]


def test_format_patch_mail_series(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.write("a.txt", "1\n")
    repo.commit()
    repo.write("a.txt", "1\n2\n")
    repo.commit()
    repo.write("b.txt", "x\n")
    repo.commit()
    mail = git(tmp_path, "format-patch", "--stdout", "HEAD~2")
    parsed = parse_unified_diff(mail)
    assert parsed.problems == []
    assert [(f.path, f.added, f.status) for f in parsed.files] == [
        ("a.txt", 1, "modified"),
        ("b.txt", 1, "added"),
    ]


@pytest.mark.skipif(shutil.which("diff") is None, reason="needs GNU diff")
def test_plain_diff_u(tmp_path: Path) -> None:
    (tmp_path / "old" / "sub").mkdir(parents=True)
    (tmp_path / "new" / "sub").mkdir(parents=True)
    (tmp_path / "old" / "sub" / "x.py").write_text("a\nb\nc\n")
    (tmp_path / "new" / "sub" / "x.py").write_text("a\nB\nc\nd\n")
    (tmp_path / "old" / "gone.txt").write_text("1\n2\n")
    (tmp_path / "new" / "fresh.txt").write_text("new\n")
    (tmp_path / "old" / "b.bin").write_bytes(b"\x00\x01")
    (tmp_path / "new" / "b.bin").write_bytes(b"\x00\x02")
    done = subprocess.run(["diff", "-ruN", "old", "new"], cwd=tmp_path, capture_output=True, check=False)
    assert done.returncode == 1
    parsed = parse_unified_diff(done.stdout.decode())
    assert parsed.problems == []
    assert sorted((f.path, f.added, f.removed, f.status, f.binary) for f in parsed.files) == [
        ("b.bin", 0, 0, "modified", True),
        ("fresh.txt", 1, 0, "added", False),
        ("gone.txt", 0, 2, "deleted", False),
        ("sub/x.py", 2, 1, "modified", False),
    ]
    # two loose files: the new name is the path
    single = subprocess.run(
        ["diff", "-u", "old/sub/x.py", "new/fresh.txt"], cwd=tmp_path, capture_output=True, check=False
    )
    (only,) = parse_unified_diff(single.stdout.decode()).files
    assert only.path == "new/fresh.txt"


_SIMPLE = """\
diff --git a/src/app.py b/src/app.py
index 1111111..2222222 100644
--- a/src/app.py
+++ b/src/app.py
@@ -1,3 +1,4 @@
 a
-b
+B
 c
+d
diff --git a/README.md b/README.md
index 3333333..4444444 100644
--- a/README.md
+++ b/README.md
@@ -1 +1 @@
-x
+y
"""


def test_the_simple_fixture_parses_cleanly() -> None:
    parsed = parse_unified_diff(_SIMPLE)
    assert parsed.problems == []
    assert [(f.path, f.added, f.removed) for f in parsed.files] == [("src/app.py", 2, 1), ("README.md", 1, 1)]


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("@@ -1,3 +1,4 @@", "@@ -1,3 +1,5 @@", "src/app.py: hunk header at line 5 does not match its body"),
        ("@@ -1,3 +1,4 @@", "@@ -1,3 +1,3 @@", "src/app.py: hunk header at line 5 does not match its body"),
        ("@@ -1,3 +1,4 @@", "@@ -1,2 +1,4 @@", "src/app.py: hunk header at line 5 does not match its body"),
        ("@@ -1,3 +1,4 @@", "@@ -one +1,4 @@", "src/app.py: unparsable hunk header at line 5"),
        (
            "@@ -1 +1 @@\n-x",
            "@@ -1 +1 @@\n-x\n-w",
            "README.md: hunk header at line 15 does not match its body",
        ),
        (
            "@@ -1 +1 @@\n-x\n+y\n",
            "@@ -1 +1 @@\n-x\n",
            "README.md: hunk header at line 15 does not match its body",
        ),
        (
            "diff --git a/README.md",
            "diff --cc README.md",
            "line 11: combined (merge) diffs are not supported",
        ),
    ],
)
def test_corrupt_hunks_are_problems(old: str, new: str, problem: str) -> None:
    assert old in _SIMPLE
    parsed = parse_unified_diff(_SIMPLE.replace(old, new, 1))
    assert any(p.startswith(problem) for p in parsed.problems), parsed.problems


def test_corrupted_real_git_diff(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    _many_hunks(repo)
    base = git(tmp_path, "rev-parse", "HEAD").strip()
    repo.commit()
    text = git(tmp_path, "diff", base, "HEAD")
    lines = text.split("\n")
    hunk_lines = [i for i, line in enumerate(lines) if line.startswith("@@ ")]
    target = hunk_lines[len(hunk_lines) // 2]
    lines[target] = lines[target].replace(" @@", "0 @@", 1)  # inflate the new count
    parsed = parse_unified_diff("\n".join(lines))
    assert len(parsed.problems) == 1
    assert f"hunk header at line {target + 1} does not match its body" in parsed.problems[0]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("this is not a diff\nat all\n", "no file headers found"),
        ("@@ -1 +1 @@\n-a\n+b\n", "hunk header outside any file"),
        ("--- /dev/null\n+++ ../../etc/passwd\n@@ -0,0 +1 @@\n+x\n", "not a path inside the repository"),
        ("--- /dev/null\n+++ /etc/passwd\n@@ -0,0 +1 @@\n+x\n", "not a path inside the repository"),
    ],
)
def test_other_problems(text: str, problem: str) -> None:
    assert any(problem in p for p in parse_unified_diff(text).problems)


@pytest.mark.parametrize("text", ["", "\n"])
def test_empty_diff_has_no_files_and_no_problems(text: str) -> None:
    assert parse_unified_diff(text) == ParsedDiff()


def test_parsed_diff_is_frozen() -> None:
    parsed = parse_unified_diff(_SIMPLE)
    with pytest.raises(ValueError, match="frozen"):
        parsed.files = []
