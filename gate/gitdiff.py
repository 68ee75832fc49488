"""Read a change from the workspace's git history: `git diff BASE...HEAD` and the commit messages.

Refs are data: each must look like a git ref, may not start with '-', and reaches git after
`--end-of-options`, so a ref can never become an option. git runs through gate/git.py, so a failure
shows git's own `fatal:` line and the command. An all-zeros base (a push that creates a branch) is
answered by `head_change`: the head commit against its first parent, or the whole tree of a root
commit. `git_files_named` lists the files of a commit's tree with given names (the marker files,
such as `Chart.yaml`, that make a folder infrastructure even when the change does not touch them).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Final

from gate import git
from gate.errors import UsageError

__all__ = [
    "EMPTY_TREE",
    "MAX_DIFF_BYTES",
    "first_parent",
    "git_commit_messages",
    "git_diff",
    "git_files_named",
]

# A ref is a name git accepts; refusing a leading '-' (and using --end-of-options) stops option injection.
_REF: Final = re.compile(r"[A-Za-z0-9._/@{}^~:-]{1,200}")
MAX_DIFF_BYTES: Final = 64 * 1024 * 1024
# The id of git's empty tree: diffing a root commit against it shows the whole tree as added.
EMPTY_TREE: Final = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def _check_refs(base: str, head: str) -> None:
    for name, ref in (("--base", base), ("--head", head)):
        if not _REF.fullmatch(ref) or ref.startswith("-"):
            raise UsageError(f"{name} {ref!r} is not a git ref")


def _run_git(args: list[str], config: tuple[str, ...], without_git: str, cwd: str | None) -> bytes:
    """Run git and return its stdout; any failure is a UsageError with git's own reason and the command."""
    try:
        done = git.run(args, cwd=cwd, config=config)
    except git.GitUnavailable as exc:
        raise UsageError(f"{exc}; {without_git}") from None
    if not done.ok:
        raise UsageError(done.failure())
    return done.stdout


def git_diff(base: str, head: str, *, cwd: str | None = None, merge_base: bool = True) -> str:
    """`git diff BASE...HEAD`: the change since the merge base, as a pull request shows it.

    `merge_base=False` diffs BASE against HEAD directly (`BASE HEAD`), for a base that is a tree.
    """
    _check_refs(base, head)
    revisions = [f"{base}...{head}"] if merge_base else [base, head]
    args = ["diff", "--no-color", "--no-ext-diff", "--no-textconv", "--find-renames", "--end-of-options"]
    shown = " ".join(revisions)
    stdout = _run_git(
        [*args, *revisions], ("core.quotepath=on",), "pass the change with --diff FILE instead", cwd
    )
    if len(stdout) > MAX_DIFF_BYTES:
        raise UsageError(f"git diff {shown} is larger than {MAX_DIFF_BYTES // (1024 * 1024)} MiB")
    return stdout.decode("utf-8", "surrogateescape")


def git_commit_messages(
    base: str, head: str, *, cwd: str | None = None, max_bytes: int = 64 * 1024, root: bool = False
) -> list[str]:
    """The messages of the commits in BASE..HEAD, newest first, stripped, at most `max_bytes` in total.

    `root=True`: HEAD is a root commit (there is no BASE), so only its own message. Past the cap the
    message that crosses it is cut and the older ones are dropped: messages are untrusted text and
    only ever read, so a bounded sample is enough.
    """
    _check_refs(base, head)
    revisions = (
        ["--max-count=1", "--end-of-options", head] if root else ["--end-of-options", f"{base}..{head}"]
    )
    args = ["log", "--no-color", "--format=%B%x00", *revisions]
    stdout = _run_git(args, ("log.showSignature=false",), "cannot read the commit messages", cwd)
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


def first_parent(commit: str, *, cwd: str | None = None) -> str | None:
    """The first parent of `commit`, or None for a root commit; a UsageError if git cannot tell."""
    _check_refs(commit, commit)
    try:
        done = git.run(["rev-list", "--parents", "-n", "1", "--end-of-options", commit], cwd=cwd)
    except git.GitUnavailable as exc:
        raise UsageError(f"git rev-list {commit}: {exc}") from None
    if not done.ok:
        raise UsageError(done.failure())
    ids = done.stdout.decode("ascii", "replace").split()
    return ids[1] if len(ids) > 1 else None


def git_files_named(commit: str, names: Collection[str], *, cwd: str | None = None) -> list[str]:
    """Paths in `commit`'s tree whose file name (lower-cased) is in `names`, in tree order.

    Best effort: the rules only gain from it, so a git that cannot list the tree (a shallow or
    partial checkout, no git) gives an empty list instead of an error. At most `MAX_DIFF_BYTES` of
    listing is read, and at most `max_found` paths are kept.
    """
    _check_refs(commit, commit)
    try:
        done = git.run(["ls-tree", "-r", "-z", "--name-only", "--end-of-options", commit], cwd=cwd)
    except git.GitUnavailable:
        return []
    if not done.ok or len(done.stdout) > MAX_DIFF_BYTES:
        return []
    found: list[str] = []
    for raw in done.stdout.split(b"\0"):
        name = raw.rpartition(b"/")[2].decode("utf-8", "surrogateescape").lower()
        if name in names:
            found.append(raw.decode("utf-8", "surrogateescape"))
            if len(found) >= MAX_FOUND:
                break
    return found


MAX_FOUND: Final = 10_000  # marker files kept from one tree listing
