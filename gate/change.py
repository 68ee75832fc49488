"""Gather the change: its diff, title, body, labels and commit messages, from wherever they are.

Sources, in order: `--diff FILE` (or stdin), `--base/--head` (`git diff BASE...HEAD` and the commit
messages of `BASE..HEAD`), and in a GitHub Actions pull-request run with neither, the PR's base and
head commits: from git when the workspace has them, else from the REST API's PR files and commits
endpoints (shallow checkouts often lack the base). Title, body and labels come from the options or,
in Actions, from the event payload. Everything returned is untrusted text; gate.risk.material cleans
it before any other stage reads it. This module reads files, git and the network: it is an edge.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gate.errors import GateError, UsageError
from gate.git import ZERO_SHA
from gate.risk.diff import ParsedDiff

if TYPE_CHECKING:
    from gate.github.context import GitHubContext

__all__ = ["RawChange", "gather_change", "github_token"]

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


def github_token(env: Mapping[str, str]) -> str | None:
    return env.get("SLO_GATE_GITHUB_TOKEN") or env.get("GITHUB_TOKEN") or None


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


def split_labels(text: str) -> tuple[str, ...]:
    return tuple(label.strip() for label in text.split(",") if label.strip())


def gather_change(
    *,
    diff_path: str | None,
    base: str | None,
    head: str | None,
    labels: str,
    title: str | None,
    body_file: str | None,
    env: Mapping[str, str],
) -> RawChange:
    from gate.risk.collect import git_commit_messages, git_diff

    if diff_path is not None and (base or head):
        raise UsageError("give either --diff or --base/--head, not both")
    if bool(base) != bool(head):
        raise UsageError("--base and --head go together")
    body = _read_text(body_file, "--body-file", MAX_BODY_BYTES) if body_file else None
    label_list = split_labels(labels)
    if diff_path is not None:
        text = _read_text(diff_path, "--diff")
        origin = "stdin" if diff_path == "-" else f"--diff {diff_path}"
        return RawChange(text, origin, title or "", body or "", label_list)
    if base and head:
        text = git_diff(base, head)
        commits = tuple(git_commit_messages(base, head))
        return RawChange(text, f"git diff {base}...{head}", title or "", body or "", label_list, commits)
    pull = _pull_request_change(env) or _pushed_change(env)
    if pull is None:
        return RawChange(None, "no diff given", title or "", body or "", label_list)
    return RawChange(
        pull.diff_text,
        pull.origin,
        title if title is not None else pull.title,
        body if body is not None else pull.body,
        label_list or pull.labels,
        pull.commits,
        pull.parsed,
        pull.notes,
    )


def _pull_request_change(env: Mapping[str, str]) -> RawChange | None:
    """In a GitHub Actions pull-request run: the PR's change from git, else from the REST API."""
    from gate.github.context import PULL_REQUEST_EVENTS, GitHubContext
    from gate.risk.collect import git_commit_messages, git_diff

    context = GitHubContext.from_env(env)
    if context is None:
        return None
    pr = context.pull_request
    if pr is None:
        if context.event_name in PULL_REQUEST_EVENTS:
            gap = f"the {context.event_name} event carries no pull request, so the change could not be read"
            return RawChange("", "unreadable", parsed=ParsedDiff(incomplete=[gap]))
        return None
    cwd = context.workspace or None
    try:
        text = git_diff(pr.base_sha, pr.head_sha, cwd=cwd)
        commits = tuple(git_commit_messages(pr.base_sha, pr.head_sha, cwd=cwd))
    except UsageError as exc:
        fallback = f"git could not diff the PR's commits ({exc}); read the files from the GitHub API"
    else:
        origin = f"git diff {pr.base_sha[:12]}...{pr.head_sha[:12]} (PR #{pr.number})"
        return RawChange(text, origin, pr.title, pr.body, pr.labels, commits)
    return _api_change(context, pr.number, fallback, pr.title, pr.body, pr.labels, env)


def _pushed_change(env: Mapping[str, str]) -> RawChange | None:
    """A `push` or `merge_group` run: the pushed range (or the queued merge) from git, if it is there.

    Unlike a PR, a missing history is not suspicious here (deploy jobs often check out one commit):
    the change is then "no diff" (medium unless `--risk` says otherwise), with a note how to fix it.
    """
    from gate.github.context import GitHubContext
    from gate.risk.collect import git_commit_messages, git_diff

    context = GitHubContext.from_env(env)
    if context is None:
        return None
    payload = context.payload
    if context.event_name == "push":
        base, head = payload.get("before"), context.sha or payload.get("after")
    elif context.event_name == "merge_group":
        group = payload.get("merge_group")
        base, head = (
            (group.get("base_sha"), group.get("head_sha")) if isinstance(group, Mapping) else (None, None)
        )
    else:
        return None
    if not isinstance(base, str) or not isinstance(head, str) or base in ("", ZERO_SHA):
        return None  # a new branch: there is no range to diff
    cwd = context.workspace or None
    try:
        text = git_diff(base, head, cwd=cwd)
        commits = tuple(git_commit_messages(base, head, cwd=cwd))
    except UsageError as exc:
        note = (
            f"the {context.event_name} range {base[:12]}..{head[:12]} is not in the checkout ({exc}); "
            "check out with fetch-depth: 0, or declare --risk"
        )
        return RawChange(None, "no diff (history missing)", notes=(note,))
    return RawChange(text, f"git diff {base[:12]}...{head[:12]} ({context.event_name})", commits=commits)


def _api_change(
    context: GitHubContext,
    number: int,
    note: str,
    title: str,
    body: str,
    labels: tuple[str, ...],
    env: Mapping[str, str],
) -> RawChange:
    from gate.github.api import GitHubClient
    from gate.risk.collect import diff_from_pull_files

    try:
        with GitHubClient(github_token(env), api_url=context.api_url) as client:
            pull = client.pull_request(context.repository, number)
            files = client.pull_request_files(context.repository, number)
            commits = tuple(client.pull_request_commit_messages(context.repository, number))
    except GateError as exc:
        # Fail safe, not open: an unreadable change is judged as high risk, and the run still decides.
        gap = f"the change of PR #{number} could not be read from git or the GitHub API ({exc})"
        return RawChange("", "unreadable", title, body, labels, (), ParsedDiff(incomplete=[gap]), (note,))
    changed = pull.get("changed_files")
    text, parsed = diff_from_pull_files(files, changed if isinstance(changed, int) else len(files))
    origin = f"GitHub API: PR #{number} files ({len(files)})"
    return RawChange(text, origin, title, body, labels, commits, parsed, (note,))
