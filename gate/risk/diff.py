"""Unified diff parsing: which files a change touches and how many lines each gains and loses.

`parse_unified_diff` reads `git diff` output (extended headers, renames and copies, new/deleted
files, mode changes, binary files and `GIT binary patch`, C-quoted paths, `\\ No newline at end of
file`, `git format-patch` mail) and plain `diff -u`/`diff -ruN` output. It is a single pass over the
lines (linear time, no backtracking regexes) and never runs anything.

Counts come from the hunk bodies and are checked against the hunk headers; anything the parser
cannot account for is reported in `ParsedDiff.problems` as a short sentence with a line number
(a hunk whose header does not match its body, a truncated diff, a combined merge diff, a path
outside the repository). Binary files are not problems: they are reported through
`ChangedFile.binary`, and the risk rules decide what they mean.

Paths: the `a/`/`b/` (or mnemonic `c/`, `i/`, `w/`, `o/`) prefixes of git diffs are removed; for plain
diffs the first directory is removed when both sides share the rest (`diff -ruN old/ new/`), and
timestamps after a tab are ignored. A deleted file's `path` is the path it had; a renamed file
has `old_path`. A copy is reported as an added file.

`file_body` gives one file's hunk lines from its span, split into what was added, what was removed
and the context around them (markers dropped), and each hunk as the diff shows it: what the content
rules read. It is linear in the file's section and copies nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from gate.models import ChangedFile

__all__ = ["FileBody", "FileSpan", "ParsedDiff", "file_body", "parse_unified_diff"]

_HUNK = re.compile(r"@@ -(\d{1,9})(?:,(\d{1,9}))? \+(\d{1,9})(?:,(\d{1,9}))? @@")
_EPOCH = re.compile(r"^(?:1970-01-01 00:00:00|Thu Jan  1 00:00:00(?:\.0+)? 1970)")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
_PREFIX_PAIRS = {("a/", "b/"), ("c/", "w/"), ("c/", "i/"), ("i/", "w/"), ("o/", "w/"), ("c/", "o/")}

Status = Literal["added", "modified", "deleted", "renamed"]


class FileSpan(NamedTuple):
    """Where one file's section sits in the diff text: 0-based line indexes, `end` exclusive.

    `hunks` are (header line, end) pairs; the lines before the first hunk are the file's headers.
    """

    start: int
    end: int
    hunks: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class FileBody:
    """One file's lines in a diff.

    `hunks` keeps each hunk's lines with their marker (for comparing the old and new side of a
    hunk); `added`, `removed` and `context` are the same lines without it, sorted by marker, in diff
    order.
    """

    hunks: tuple[tuple[str, ...], ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    context: tuple[str, ...]


def file_body(lines: Sequence[str], span: FileSpan) -> FileBody:
    """The hunk lines of the file whose section is `span` in `lines` (the diff text's lines).

    The `@@` header and `\\ No newline` lines are left out; a hunk whose body is broken keeps what
    it has (the parser already reported it as a problem).
    """
    hunks: list[tuple[str, ...]] = []
    added: list[str] = []
    removed: list[str] = []
    context: list[str] = []
    for header, end in span.hunks:
        body = []
        for line in lines[header + 1 : min(end, len(lines))]:
            marker = line[:1]
            if marker == "+":
                added.append(line[1:])
            elif marker == "-":
                removed.append(line[1:])
            elif marker == " " or line == "":
                context.append(line[1:])
                line = line or " "
            else:
                continue
            body.append(line)
        hunks.append(tuple(body))
    return FileBody(tuple(hunks), tuple(added), tuple(removed), tuple(context))


class ParsedDiff(BaseModel):
    """The files a diff changes, in diff order, and what could not be parsed."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    files: list[ChangedFile] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)
    # Why the diff is known to be incomplete (set by collectors, e.g. GitHub's 3000-file limit).
    incomplete: list[str] = Field(default_factory=list)
    # One span per entry of `files` (same order); empty when the diff was not built from text.
    spans: list[FileSpan] = Field(default_factory=list, repr=False, exclude=True)

    @property
    def lines_added(self) -> int:
        return sum(f.added for f in self.files)

    @property
    def lines_removed(self) -> int:
        return sum(f.removed for f in self.files)


@dataclass
class _File:
    """Mutable state for the file being read; `None` names mean /dev/null (absent)."""

    git: bool
    line: int
    git_old: str | None = None
    git_new: str | None = None
    minus: str | None = None
    plus: str | None = None
    headers_seen: bool = False
    minus_epoch: bool = False
    plus_epoch: bool = False
    rename_from: str | None = None
    rename_to: str | None = None
    copy_to: str | None = None
    new_file: bool = False
    deleted_file: bool = False
    binary: bool = False
    hunks: int = 0
    hunk_line: int = 0
    added: int = 0
    removed: int = 0
    bad: bool = False
    prefixes: tuple[str, str] = ("a/", "b/")
    hunk_spans: list[tuple[int, int]] = field(default_factory=list)

    def old_name(self) -> str | None:
        if self.rename_from is not None:
            return self.rename_from
        return self.minus if self.headers_seen else self.git_old

    def new_name(self) -> str | None:
        if self.rename_to is not None:
            return self.rename_to
        if self.copy_to is not None:
            return self.copy_to
        return self.plus if self.headers_seen else self.git_new

    def display(self) -> str:
        return self.new_name() or self.old_name() or f"<file at line {self.line}>"


def _c_unquote(text: str, start: int) -> tuple[str, int] | None:
    """Decode the C-quoted string git writes for unusual paths; returns (value, index after it)."""
    out = bytearray()
    i = start + 1
    size = len(text)
    while i < size:
        char = text[i]
        if char == '"':
            return out.decode("utf-8", "replace"), i + 1
        if char == "\\":
            if i + 1 >= size:
                return None
            esc = text[i + 1]
            if esc in _ESCAPES:
                out.append(_ESCAPES[esc])
                i += 2
                continue
            digits = text[i + 1 : i + 4]
            if len(digits) == 3 and all(d in "01234567" for d in digits) and digits[0] in "0123":
                out.append(int(digits, 8))
                i += 4
                continue
            return None
        out.extend(char.encode("utf-8", "surrogateescape"))
        i += 1
    return None


def _header_name(raw: str) -> str:
    """A name from a `---`/`+++`/`rename from` line: unquoted, without a trailing tab and timestamp."""
    if raw.startswith('"'):
        decoded = _c_unquote(raw, 0)
        if decoded is not None:
            return decoded[0]
    tab = raw.find("\t")
    return (raw[:tab] if tab >= 0 else raw).rstrip("\r")


def _split_git_names(rest: str) -> tuple[str, str] | None:
    """The two names of a `diff --git A B` line, still with their prefixes."""
    rest = rest.rstrip("\r")
    if rest.startswith('"'):
        first = _c_unquote(rest, 0)
        if first is None or rest[first[1] : first[1] + 1] != " ":
            return None
        second_raw = rest[first[1] + 1 :]
        if second_raw.startswith('"'):
            second = _c_unquote(second_raw, 0)
            return (first[0], second[0]) if second and second[1] == len(second_raw) else None
        return first[0], second_raw
    if rest.endswith('"'):
        index = rest.find(' "')
        while index >= 0:
            second = _c_unquote(rest, index + 1)
            if second is not None and second[1] == len(rest):
                return rest[:index], second[0]
            index = rest.find(' "', index + 1)
    # Both unquoted: a non-rename is `a/P b/P`, so the names are the two halves.
    size = len(rest)
    mid = size // 2
    if size % 2 == 1 and rest[mid] == " ":
        old, new = rest[:mid], rest[mid + 1 :]
        if old == new or (old[1:2] == "/" and new[1:2] == "/" and old[2:] == new[2:]):
            return old, new
    index = rest.find(" b/")
    if index < 0:
        index = rest.find(" ")
    if index < 0:
        return None
    return rest[:index], rest[index + 1 :]


def _strip(name: str | None, prefix: str) -> str | None:
    if name is None or name == "/dev/null":
        return None
    return name[len(prefix) :] if prefix and name.startswith(prefix) else name


def _plain_names(old: str | None, new: str | None) -> tuple[str | None, str | None]:
    """Plain `diff -u` names: drop the differing top directories (`old/x` vs `new/x` -> `x`)."""
    if old is not None and new is not None:
        old_parts, new_parts = old.split("/", 1), new.split("/", 1)
        if len(old_parts) == 2 and len(new_parts) == 2 and old_parts[1] == new_parts[1]:
            return old_parts[1], new_parts[1]
        return old, new
    if old is not None:
        return (old[2:] if old.startswith("a/") else old), None
    if new is not None:
        return None, (new[2:] if new.startswith("b/") else new)
    return None, None


def _finish(
    current: _File, end: int, files: list[ChangedFile], problems: list[str], spans: list[FileSpan]
) -> None:
    old, new = current.old_name(), current.new_name()
    if not current.git:
        old, new = _plain_names(old, new)
        if current.minus_epoch and new is not None and current.removed == 0:
            old = None
        if current.plus_epoch and old is not None and current.added == 0:
            new = None
    if old is None and new is None:
        problems.append(f"line {current.line}: a file header without any file name")
        return
    status: Status
    if current.deleted_file or new is None:
        path, old_path, status = old, None, "deleted"
    elif current.new_file or old is None or current.copy_to is not None:
        path, old_path, status = new, None, "added"
    elif current.rename_to is not None or (current.git and old != new):
        path, old_path, status = new, old, "renamed"
    else:
        path, old_path, status = new, None, "modified"
    assert path is not None
    while path.startswith("./"):
        path = path[2:]
    for name in (path, old_path):
        if name is not None and (name.startswith("/") or ".." in name.split("/") or not name.strip("/")):
            problems.append(f"{name}: not a path inside the repository")
    files.append(
        ChangedFile(
            path=path,
            old_path=old_path,
            added=current.added,
            removed=current.removed,
            binary=current.binary,
            status=status,
        )
    )
    spans.append(FileSpan(current.line - 1, end, tuple(current.hunk_spans)))


def _git_file(line: str, number: int) -> _File:
    current = _File(git=True, line=number)
    names = _split_git_names(line[len("diff --git ") :])
    if names is None:
        return current
    old, new = names
    prefixes = (old[:2], new[:2])
    current.prefixes = prefixes if prefixes in _PREFIX_PAIRS else ("", "")
    current.git_old = _strip(old, current.prefixes[0])
    current.git_new = _strip(new, current.prefixes[1])
    return current


def _binary_names(line: str) -> tuple[str | None, str | None]:
    """Names from a plain `Binary files X and Y differ` line (best effort: unquoted names)."""
    body = line[len("Binary files ") : -len(" differ")]
    old, sep, new = body.partition(" and ")
    if not sep:
        return None, None
    return (None if old == "/dev/null" else old), (None if new == "/dev/null" else new)


def parse_unified_diff(text: str) -> ParsedDiff:
    """Parse `git diff` or `diff -u` output into per-file counts and a list of problems."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    size = len(lines)
    files: list[ChangedFile] = []
    problems: list[str] = []
    spans: list[FileSpan] = []
    current: _File | None = None
    i = 0
    while i < size:
        line = lines[i]
        head = line[:1]
        if head == "d" and line.startswith("diff "):
            if current is not None:
                _finish(current, i, files, problems, spans)
            if line.startswith("diff --git "):
                current = _git_file(line, i + 1)
            elif line.startswith(("diff --cc ", "diff --combined ")):
                problems.append(f"line {i + 1}: combined (merge) diffs are not supported")
                current = None
                i += 1
                while i < size and not lines[i].startswith("diff "):
                    i += 1
                continue
            else:  # `diff -ruN old/x new/x` from GNU diff: names come from ---/+++ or Binary
                current = _File(git=False, line=i + 1)
            i += 1
            continue
        if head == "@" and line.startswith("@@"):
            if current is None or not (current.headers_seen or current.git):
                problems.append(f"line {i + 1}: hunk header outside any file")
                current = current or _File(git=False, line=i + 1, bad=True)
                current.bad = True
            match = _HUNK.match(line)
            if match is None:
                problems.append(f"{current.display()}: unparsable hunk header at line {i + 1}")
                current.bad = True
                hunk_start = i
                i += 1
                # Count what follows anyway so the size of the change stays roughly right.
                while i < size:
                    body = lines[i]
                    if body.startswith("+") and not body.startswith("+++ "):
                        current.added += 1
                    elif body.startswith("-") and not (
                        body.startswith("--- ") and i + 1 < size and lines[i + 1].startswith("+++ ")
                    ):
                        current.removed += 1
                    elif not body.startswith((" ", "\\")) and body:
                        break
                    i += 1
                current.hunk_spans.append((hunk_start, i))
                continue
            old_left = 1 if match.group(2) is None else int(match.group(2))
            new_left = 1 if match.group(4) is None else int(match.group(4))
            header_line = current.hunk_line = i + 1
            current.hunks += 1
            added = removed = 0
            i += 1
            while i < size and (old_left or new_left):
                body = lines[i]
                first = body[:1]
                if first == "+":
                    if not new_left:
                        break
                    new_left -= 1
                    added += 1
                elif first == "-":
                    if not old_left:
                        break
                    old_left -= 1
                    removed += 1
                elif first == " " or first == "":
                    if not old_left or not new_left:
                        break
                    old_left -= 1
                    new_left -= 1
                elif first != "\\":
                    break
                i += 1
            current.added += added
            current.removed += removed
            if old_left or new_left:
                where = "the diff ends" if i >= size else f"line {i + 1}"
                problems.append(
                    f"{current.display()}: hunk header at line {header_line} does not match its body "
                    f"({old_left} old and {new_left} new lines missing when {where} is reached)"
                )
                current.bad = True
            while i < size and lines[i].startswith("\\"):
                i += 1
            current.hunk_spans.append((header_line - 1, i))
            continue
        if head == "-" and line.startswith("--- ") and i + 1 < size and lines[i + 1].startswith("+++ "):
            if current is None or current.headers_seen or current.hunks or current.binary:
                if current is not None:
                    _finish(current, i, files, problems, spans)
                current = _File(git=False, line=i + 1)
            minus_raw, plus_raw = line[4:], lines[i + 1][4:]
            current.minus = _strip(_header_name(minus_raw), current.prefixes[0] if current.git else "")
            current.plus = _strip(_header_name(plus_raw), current.prefixes[1] if current.git else "")
            if not current.git:
                tab_old, tab_new = minus_raw.find("\t"), plus_raw.find("\t")
                current.minus_epoch = tab_old >= 0 and bool(_EPOCH.match(minus_raw[tab_old + 1 :]))
                current.plus_epoch = tab_new >= 0 and bool(_EPOCH.match(plus_raw[tab_new + 1 :]))
            current.headers_seen = True
            i += 2
            continue
        if head == "F" and line.startswith("From ") and current is not None:
            # the next mail of a `git format-patch --stdout` series: its text is not diff
            _finish(current, i, files, problems, spans)
            current = None
            i += 1
            continue
        if current is not None:
            if head in "+- " and line and current.hunks and line != "-- ":
                if not current.bad:
                    problems.append(
                        f"{current.display()}: hunk header at line {current.hunk_line} does not match "
                        f"its body (line {i + 1} is outside any hunk)"
                    )
                    current.bad = True
                if head == "+":
                    current.added += 1
                elif head == "-":
                    current.removed += 1
                i += 1
                continue
            if line == "GIT binary patch":
                current.binary = True
                i += 1
                while i < size:
                    data = lines[i]
                    if data and " " in data and not data.startswith(("literal ", "delta ")):
                        break
                    i += 1
                continue
            if line.startswith("Binary files ") and line.endswith(" differ"):
                current.binary = True
                if not current.git and not current.headers_seen:
                    current.minus, current.plus = _binary_names(line)
                    current.headers_seen = True
                i += 1
                continue
            if current.git and not current.hunks and not current.headers_seen:
                _extended_header(current, line)
        elif line.startswith("Binary files ") and line.endswith(" differ"):
            current = _File(git=False, line=i + 1, binary=True, headers_seen=True)
            current.minus, current.plus = _binary_names(line)
        i += 1
    if current is not None:
        _finish(current, size, files, problems, spans)
    if not files and text.strip():
        problems.append("no file headers found: this does not look like a unified diff")
    return ParsedDiff(files=files, problems=problems, spans=spans)


def _extended_header(current: _File, line: str) -> None:
    """`git diff` extended header lines between `diff --git` and the first hunk."""
    if line.startswith("new file mode "):
        current.new_file = True
    elif line.startswith("deleted file mode "):
        current.deleted_file = True
    elif line.startswith("rename from "):
        current.rename_from = _header_name(line[len("rename from ") :])
    elif line.startswith("rename to "):
        current.rename_to = _header_name(line[len("rename to ") :])
    elif line.startswith("copy to "):
        current.copy_to = _header_name(line[len("copy to ") :])
