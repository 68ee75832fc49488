"""A pull request's change from GitHub's PR files API, rebuilt into git diff text so one parser reads
both this and `git diff`. GitHub is one provider of the change, as git and `--diff` are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

from gate.github.api import MAX_PULL_FILES, PullFile
from gate.models import ChangedFile
from gate.risk.diff import ParsedDiff, parse_unified_diff

__all__ = ["diff_from_pull_files"]

_STATUS: Final[dict[str, Literal["added", "modified", "deleted", "renamed"]]] = {
    "added": "added",
    "removed": "deleted",
    "modified": "modified",
    "renamed": "renamed",
    "copied": "added",  # as parse_unified_diff reports a copy
    "changed": "modified",  # a mode change
    "unchanged": "modified",
}
_C_ESCAPES: Final = {7: "a", 8: "b", 9: "t", 10: "n", 11: "v", 12: "f", 13: "r", 34: '"', 92: "\\"}


def _git_name(prefix: str, path: str) -> str:
    """`prefix + path` as a diff header writes it: C-quoted (like git) when it is not plain ASCII.

    Git leaves spaces unquoted; quoting them too keeps `diff --git` lines unambiguous for renames.
    """
    name = prefix + path
    if all(0x20 < ord(ch) < 0x7F and ch not in '"\\' for ch in name):
        return name
    out = ['"']
    # "replace": a lone surrogate cannot round-trip; the parse-back check then reports the file.
    for byte in name.encode("utf-8", "replace"):
        if byte in _C_ESCAPES:
            out.append("\\" + _C_ESCAPES[byte])
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03o}")
    out.append('"')
    return "".join(out)


def _file_section(entry: PullFile) -> list[str]:
    """The git diff text for one API entry: headers as its status needs, then its patch if any."""
    new = entry.filename
    old = (
        entry.previous_filename if entry.status in ("renamed", "copied") and entry.previous_filename else new
    )
    lines = [f"diff --git {_git_name('a/', old)} {_git_name('b/', new)}"]
    minus, plus = _git_name("a/", old), _git_name("b/", new)
    if entry.status == "added":
        lines.append("new file mode 100644")
        minus = "/dev/null"
    elif entry.status == "removed":
        lines.append("deleted file mode 100644")
        plus = "/dev/null"
    elif entry.status == "renamed" and old != new:
        lines += [f"rename from {_git_name('', old)}", f"rename to {_git_name('', new)}"]
    elif entry.status == "copied" and old != new:
        lines += [f"copy from {_git_name('', old)}", f"copy to {_git_name('', new)}"]
    if entry.patch:
        lines += [f"--- {minus}", f"+++ {plus}"]
        lines += entry.patch.removesuffix("\n").split("\n")
    return lines


def diff_from_pull_files(files: Sequence[PullFile], changed_files: int) -> tuple[str, ParsedDiff]:
    """Git diff text rebuilt from GitHub's pull request files, and what the change is made of.

    The API is the authority for names, statuses and counts (it counts files it sends no patch
    for); the text is parsed back only to locate each file's section (`spans`) and to catch patches
    that do not add up (`problems`). `changed_files` is the pull request's own count, which can
    exceed what the files endpoint lists.
    """
    lines: list[str] = []
    for entry in files:
        lines += _file_section(entry)
    text = "\n".join(lines) + "\n" if lines else ""
    parsed = parse_unified_diff(text)
    problems = list(parsed.problems)
    changed: list[ChangedFile] = []
    for entry in files:
        status = _STATUS.get(entry.status)
        if status is None:
            problems.append(f"{entry.filename}: GitHub reported an unknown file status {entry.status!r}")
            status = "modified"
        changed.append(
            ChangedFile(
                path=entry.filename,
                old_path=entry.previous_filename if status == "renamed" else None,
                added=entry.additions,
                removed=entry.deletions,
                # A pure rename has nothing to show; anything else without a patch is unreviewable.
                no_patch=entry.patch is None
                and not (status == "renamed" and entry.additions + entry.deletions == 0),
                status=status,
            )
        )
    spans = list(parsed.spans)
    if [f.path for f in parsed.files] != [f.path for f in changed]:
        problems.append(
            f"the diff rebuilt from GitHub's {len(files)} file entries parsed back as {len(parsed.files)} "
            "files that do not match them; line positions are not available"
        )
        spans = []
    incomplete = []
    if changed_files > len(files) or len(files) >= MAX_PULL_FILES:
        incomplete.append(
            f"the pull request changes {max(changed_files, len(files))} files; "
            f"GitHub's API lists only the first {MAX_PULL_FILES}"
        )
    return text, ParsedDiff(files=changed, problems=problems, incomplete=incomplete, spans=spans)
