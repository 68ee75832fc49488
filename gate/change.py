"""Gather the change: its diff, title, body, labels and commit messages, from whichever source has them.

A `ChangeSource` produces a `RawChange`; the composition root picks one (`choose_source`), in order:
`--diff FILE` (or stdin), `--base/--head` (`git diff BASE...HEAD` plus the commit messages of
`BASE..HEAD`), and in a GitHub Actions run with neither, the pull request's base and head commits
(from git when the checkout has them, else from the PR files API) or the pushed range. GitHub is one
provider of the change, as git and `--diff` are: this module reaches it only through the small
`PullRequestFiles` interface the run hands in.

An all-zeros base (what `github.event.before` is on a push that creates a branch) has no range to
diff: the head commit is judged against its first parent, and a root commit as a whole-tree change
at high risk; the report says which. Everything returned is untrusted text; gate.risk.material cleans
it before any other stage reads it. This module reads files, git and the network: it is an edge.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from gate.errors import GateError, UsageError
from gate.git import ZERO_SHA
from gate.gitdiff import EMPTY_TREE, first_parent, git_commit_messages, git_diff, git_files_named
from gate.risk.diff import ParsedDiff, parse_unified_diff

if TYPE_CHECKING:
    from gate.github.api import PullFile
    from gate.github.context import GitHubContext, PullRequestInfo

__all__ = [
    "ChangeRequest",
    "ChangeSource",
    "PullRequestFiles",
    "RawChange",
    "choose_source",
    "gather_change",
    "split_labels",
]

MAX_BODY_BYTES = 256 * 1024


@dataclass(frozen=True)
class RawChange:
    diff_text: str | None
    origin: str  # where the diff came from, for reports
    title: str = ""
    body: str = ""
    labels: tuple[str, ...] = ()
    commits: tuple[str, ...] = ()
    parsed: ParsedDiff | None = None  # set when the collector parsed it (GitHub API counts)
    notes: tuple[str, ...] = ()  # how collection went (e.g. a fallback), for reports
    # Marker files in the head commit's tree (Chart.yaml, kustomization.yaml, …): their folders are
    # infrastructure even when the change does not touch the marker itself (gate.risk.kinds).
    markers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChangeRequest:
    """What the user said about the change (options or SLO_GATE_* variables); None means "not given"."""

    diff_path: str | None = None
    base: str | None = None
    head: str | None = None
    labels: str = ""
    title: str | None = None
    body_file: str | None = None


class ChangeSource(Protocol):
    def collect(self) -> RawChange: ...


class PullRequestFiles(Protocol):
    """The part of a GitHub client the PR fallback needs (gate.github.api.GitHubClient is one)."""

    def pull_request(self, repo: str, number: int) -> dict[str, Any]: ...
    def pull_request_files(self, repo: str, number: int) -> list[PullFile]: ...
    def pull_request_commit_messages(self, repo: str, number: int) -> list[str]: ...


def split_labels(text: str) -> tuple[str, ...]:
    return tuple(label.strip() for label in text.split(",") if label.strip())


def _read_text(path: str, option: str, limit: int | None = None) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"{option} {path}: {exc.strerror}") from exc
    if limit is not None and len(data) > limit:
        raise UsageError(f"{option} {path}: larger than {limit // 1024} KiB")
    return data.decode("utf-8", "surrogateescape")


# ---- the sources ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffFile:
    """`--diff FILE`, or stdin for `-`."""

    path: str

    def collect(self) -> RawChange:
        origin = "stdin" if self.path == "-" else f"--diff {self.path}"
        return RawChange(_read_text(self.path, "--diff"), origin)


@dataclass(frozen=True)
class GitRange:
    """`git diff BASE...HEAD` and the messages of BASE..HEAD; an all-zeros base judges HEAD alone."""

    base: str
    head: str
    cwd: str | None = None
    label: str = ""  # how the report names the range's origin, e.g. " (push)" or " (PR #7)"
    short: bool = False  # shorten commit ids in the origin (they came from an event, not the user)

    def collect(self) -> RawChange:
        if self.base == ZERO_SHA:
            return head_change(self.head, cwd=self.cwd, label=self.label)
        text = git_diff(self.base, self.head, cwd=self.cwd)
        commits = tuple(git_commit_messages(self.base, self.head, cwd=self.cwd))
        base, head = (_short(self.base), _short(self.head)) if self.short else (self.base, self.head)
        origin = f"git diff {base}...{head}{self.label}"
        # The rule tables load when a git range is read, not at start-up.
        from gate.risk.kinds.infra import MARKERS

        markers = tuple(git_files_named(self.head, MARKERS, cwd=self.cwd))
        return RawChange(text, origin, commits=commits, markers=markers)


def head_change(head: str, *, cwd: str | None = None, label: str = "") -> RawChange:
    """A push with no "before" commit: HEAD against its first parent, or a root commit's whole tree."""
    parent = first_parent(head, cwd=cwd)
    if parent is not None:
        note = (
            f"the base is all zeros (a push that creates a branch): judged as the head commit "
            f"{_short(head)} against its first parent {_short(parent)}"
        )
        change = GitRange(parent, head, cwd, label, short=True).collect()
        return replace(change, notes=(*change.notes, note))
    text = git_diff(EMPTY_TREE, head, cwd=cwd, merge_base=False)
    gap = (
        f"the base is all zeros and {_short(head)} is a root commit: the whole tree is judged as new "
        "(high risk)"
    )
    parsed = parse_unified_diff(text)
    parsed = parsed.model_copy(update={"incomplete": [*parsed.incomplete, gap]})
    commits = tuple(git_commit_messages(EMPTY_TREE, head, cwd=cwd, root=True))
    return RawChange(text, f"git show {_short(head)} (root commit){label}", commits=commits, parsed=parsed)


@dataclass(frozen=True)
class PullRequestChange:
    """A GitHub pull request: its commits from git when the checkout has them, else the PR files API."""

    context: GitHubContext
    pr: PullRequestInfo
    github: Callable[[], PullRequestFiles | None]

    def collect(self) -> RawChange:
        pr = self.pr
        cwd = self.context.workspace or None
        try:
            change = GitRange(pr.base_sha, pr.head_sha, cwd, f" (PR #{pr.number})", short=True).collect()
        except UsageError as exc:
            note = f"git could not diff the PR's commits ({exc}); read the files from the GitHub API"
            return self._from_api(note)
        return replace(change, title=pr.title, body=pr.body, labels=pr.labels)

    def _from_api(self, note: str) -> RawChange:
        from gate.github.pull_files import diff_from_pull_files

        pr, repo = self.pr, self.context.repository
        client = self.github()
        try:
            if client is None:
                raise UsageError("no GitHub token to read the pull request's files")
            pull = client.pull_request(repo, pr.number)
            files = client.pull_request_files(repo, pr.number)
            commits = tuple(client.pull_request_commit_messages(repo, pr.number))
        except GateError as exc:
            # Fail safe, not open: an unreadable change is judged as high risk, and the run still decides.
            gap = f"the change of PR #{pr.number} could not be read from git or the GitHub API ({exc})"
            parsed = ParsedDiff(incomplete=[gap])
            return RawChange("", "unreadable", pr.title, pr.body, pr.labels, (), parsed, (note,))
        changed = pull.get("changed_files")
        text, parsed = diff_from_pull_files(files, changed if isinstance(changed, int) else len(files))
        origin = f"GitHub API: PR #{pr.number} files ({len(files)})"
        return RawChange(text, origin, pr.title, pr.body, pr.labels, commits, parsed, (note,))


@dataclass(frozen=True)
class UnreadablePullRequest:
    """A pull-request event whose payload carries no pull request: judged high, never skipped."""

    event: str

    def collect(self) -> RawChange:
        gap = f"the {self.event} event carries no pull request, so the change could not be read"
        return RawChange("", "unreadable", parsed=ParsedDiff(incomplete=[gap]))


@dataclass(frozen=True)
class PushedRange:
    """A `push` or `merge_group` run: the pushed range (or the queued merge) from git, if it is there.

    Unlike a PR, a missing history is not suspicious here (deploy jobs often check out one commit):
    the change is then "no diff" (medium unless `--risk` says otherwise), with a note how to fix it.
    """

    event: str
    base: str
    head: str
    cwd: str | None

    def collect(self) -> RawChange:
        try:
            return GitRange(self.base, self.head, self.cwd, f" ({self.event})", short=True).collect()
        except UsageError as exc:
            note = (
                f"the {self.event} range {_short(self.base)}..{_short(self.head)} is not in the checkout "
                f"({exc}); check out with fetch-depth: 0, or declare --risk"
            )
            return RawChange(None, "no diff (history missing)", notes=(note,))


@dataclass(frozen=True)
class NoChange:
    def collect(self) -> RawChange:
        return RawChange(None, "no diff given")


# ---- choosing one -----------------------------------------------------------------------------


def _actions_source(
    context: GitHubContext, github: Callable[[], PullRequestFiles | None]
) -> ChangeSource | None:
    from gate.github.context import PULL_REQUEST_EVENTS

    if context.event_name in PULL_REQUEST_EVENTS:
        pr = context.pull_request
        if pr is None:
            return UnreadablePullRequest(context.event_name)
        return PullRequestChange(context, pr, github)
    payload = context.payload
    cwd = context.workspace or None
    if context.event_name == "push":
        base, head = payload.get("before"), context.sha or payload.get("after")
    elif context.event_name == "merge_group":
        group = payload.get("merge_group")
        base, head = (
            (group.get("base_sha"), group.get("head_sha")) if isinstance(group, Mapping) else (None, None)
        )
    else:
        return None
    if not isinstance(base, str) or not isinstance(head, str) or not base or not head:
        return None
    return PushedRange(context.event_name, base, head, cwd)


def choose_source(
    request: ChangeRequest,
    context: GitHubContext | None,
    github: Callable[[], PullRequestFiles | None] = lambda: None,
) -> ChangeSource:
    """The source the options name, else the one the Actions event implies, else "no diff"."""
    if request.diff_path is not None and (request.base or request.head):
        raise UsageError("give either --diff or --base/--head, not both")
    if bool(request.base) != bool(request.head):
        raise UsageError("--base and --head go together")
    if request.diff_path is not None:
        return DiffFile(request.diff_path)
    if request.base and request.head:
        return GitRange(request.base, request.head)
    if context is not None:
        source = _actions_source(context, github)
        if source is not None:
            return source
    return NoChange()


def gather_change(request: ChangeRequest, source: ChangeSource) -> RawChange:
    """The source's change with the title, body and labels the options give (they win over the event)."""
    body = _read_text(request.body_file, "--body-file", MAX_BODY_BYTES) if request.body_file else None
    labels = split_labels(request.labels)
    change = source.collect()
    return replace(
        change,
        title=request.title if request.title is not None else change.title,
        body=body if body is not None else change.body,
        labels=labels or change.labels,
    )


def _short(sha: str) -> str:
    return sha[:12]
