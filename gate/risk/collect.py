"""Collect the change: from the workspace's git history (no shell, refs passed as data) or from
GitHub's pull request files API (rebuilt into git diff text so one parser reads both).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final, Literal

from gate import git
from gate.errors import UsageError
from gate.github.api import MAX_PULL_FILES as _GITHUB_FILES_LIMIT
from gate.github.api import PullFile
from gate.models import ChangedFile
from gate.risk.diff import ParsedDiff, parse_unified_diff

# A ref is a name git accepts; refusing a leading '-' (and using --end-of-options) stops option injection.
_REF = re.compile(r"^[A-Za-z0-9._/@{}^~:-]{1,200}$")
MAX_DIFF_BYTES = 64 * 1024 * 1024
# GitHub's pull request files endpoint lists no more than this many files.
MAX_PULL_FILES: Final = _GITHUB_FILES_LIMIT


def _check_refs(base: str, head: str) -> None:
    for name, ref in (("--base", base), ("--head", head)):
        if not _REF.fullmatch(ref) or ref.startswith("-"):
            raise UsageError(f"{name} {ref!r} is not a git ref")


def _run_git(command: list[str], what: str, without_git: str, cwd: str | None) -> bytes:
    """Run git and return its stdout; any failure is a UsageError with git's own reason and the command."""
    try:
        done = git.run(command[1:], cwd=cwd)
    except git.GitUnavailable as exc:
        raise UsageError(f"{what}: {exc}; {without_git}") from None
    if not done.ok:
        raise UsageError(done.failure())
    return done.stdout


def git_diff(base: str, head: str, *, cwd: str | None = None) -> str:
    """`git diff BASE...HEAD`: the change since the merge base, as a pull request shows it."""
    _check_refs(base, head)
    command = [
        "git",
        "-c",
        "core.quotepath=on",
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--find-renames",
        "--end-of-options",
        f"{base}...{head}",
    ]
    stdout = _run_git(command, f"git diff {base}...{head}", "pass the change with --diff FILE instead", cwd)
    if len(stdout) > MAX_DIFF_BYTES:
        raise UsageError(f"git diff {base}...{head} is larger than {MAX_DIFF_BYTES // (1024 * 1024)} MiB")
    return stdout.decode("utf-8", "surrogateescape")


def git_commit_messages(
    base: str, head: str, *, cwd: str | None = None, max_bytes: int = 64 * 1024
) -> list[str]:
    """The messages of the commits in BASE..HEAD, newest first, stripped, at most `max_bytes` in total.

    Past the cap the message that crosses it is cut and the older ones are dropped: messages are
    untrusted text and only ever read, so a bounded sample is enough.
    """
    _check_refs(base, head)
    command = [
        "git",
        "-c",
        "log.showSignature=false",
        "log",
        "--no-color",
        "--format=%B%x00",
        "--end-of-options",
        f"{base}..{head}",
    ]
    stdout = _run_git(command, f"git log {base}..{head}", "cannot read the commit messages", cwd)
    messages: list[str] = []
    left = max_bytes
    for raw in stdout.split(b"\0"):
        text = raw.decode("utf-8", "replace").strip()
        if not text:
            continue  # the newline after the last NUL, or a commit with an empty message
        encoded = text.encode("utf-8")
        if len(encoded) > left:
            cut = encoded[:left].decode("utf-8", "ignore").rstrip()  # never split a character
            if cut:
                messages.append(cut)
            break
        messages.append(text)
        left -= len(encoded)
    return messages


# -- pull request files from GitHub's API --------------------------------------------------------

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
