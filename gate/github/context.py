"""The GitHub Actions run slo-gate is part of: its environment variables and event payload.

Everything from the payload that a pull request's author controls (title, body, labels, branch
names) is untrusted data: it is stored exactly as given and never interpreted here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from gate import safejson
from gate.errors import UsageError

__all__ = [
    "PRE_MERGE_EVENTS",
    "PULL_REQUEST_EVENTS",
    "GitHubContext",
    "PullRequestInfo",
    "in_github_actions",
]

# GitHub caps webhook payloads at 25 MB; anything bigger is not an event file.
_MAX_EVENT_BYTES: Final = 32 * 1024 * 1024
# The events whose run judges an open pull request (its payload carries `pull_request`).
PULL_REQUEST_EVENTS: Final = frozenset({"pull_request", "pull_request_target"})
# Runs that judge a change before it merges (a PR check, a merge-queue check): never a deploy.
PRE_MERGE_EVENTS: Final = PULL_REQUEST_EVENTS | {"merge_group"}


def in_github_actions(env: Mapping[str, str]) -> bool:
    """The one test for "this process is a GitHub Actions step" (the runner sets GITHUB_ACTIONS=true)."""
    return env.get("GITHUB_ACTIONS") == "true"


@dataclass(frozen=True)
class PullRequestInfo:
    number: int
    title: str
    body: str
    author: str
    author_type: str  # "User", "Bot", "Organization", as GitHub reports it
    labels: tuple[str, ...]
    base_sha: str
    head_sha: str
    base_ref: str
    head_ref: str
    head_repo: str | None  # None when the fork it came from was deleted


@dataclass(frozen=True)
class GitHubContext:
    event_name: str
    repository: str
    api_url: str
    server_url: str
    sha: str
    run_id: str
    run_attempt: str
    workspace: str
    payload: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitHubContext | None:
        """The Actions context, or None when not running in GitHub Actions."""
        if not in_github_actions(env):
            return None
        return cls(
            event_name=env.get("GITHUB_EVENT_NAME", ""),
            repository=env.get("GITHUB_REPOSITORY", ""),
            api_url=env.get("GITHUB_API_URL") or "https://api.github.com",
            server_url=env.get("GITHUB_SERVER_URL") or "https://github.com",
            sha=env.get("GITHUB_SHA", ""),
            run_id=env.get("GITHUB_RUN_ID", ""),
            run_attempt=env.get("GITHUB_RUN_ATTEMPT", ""),
            workspace=env.get("GITHUB_WORKSPACE", ""),
            payload=_read_event(env.get("GITHUB_EVENT_PATH", "")),
        )

    @property
    def pull_request(self) -> PullRequestInfo | None:
        """The pull request of a pull_request or pull_request_target event; None for other events."""
        if self.event_name not in PULL_REQUEST_EVENTS:
            return None
        pr = self.payload.get("pull_request")
        if not isinstance(pr, Mapping):
            return None
        user, base, head = _object(pr, "user"), _object(pr, "base"), _object(pr, "head")
        head_repo = head.get("repo")
        labels = pr.get("labels") or []
        if not isinstance(labels, list):
            raise _bad("pull_request.labels", "a list")
        number = pr.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
            raise _bad("pull_request.number", "a positive integer")
        return PullRequestInfo(
            number=number,
            title=_text(pr, "title", "pull_request"),
            body=_text(pr, "body", "pull_request", nullable=True),
            author=_text(user, "login", "pull_request.user"),
            author_type=_text(user, "type", "pull_request.user", nullable=True),
            labels=tuple(
                _text(_as_object(label, "pull_request.labels[]"), "name", "label") for label in labels
            ),
            base_sha=_text(base, "sha", "pull_request.base"),
            head_sha=_text(head, "sha", "pull_request.head"),
            base_ref=_text(base, "ref", "pull_request.base"),
            head_ref=_text(head, "ref", "pull_request.head"),
            head_repo=(
                _text(head_repo, "full_name", "pull_request.head.repo")
                if isinstance(head_repo, Mapping)
                else None
            ),
        )


def _read_event(path: str) -> Mapping[str, Any]:
    if not path:
        raise UsageError("GITHUB_ACTIONS is true but GITHUB_EVENT_PATH is not set")
    try:
        with open(path, "rb") as handle:
            raw = handle.read(_MAX_EVENT_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"GITHUB_EVENT_PATH {path!r} cannot be read: {exc.strerror or exc}") from None
    if len(raw) > _MAX_EVENT_BYTES:
        raise UsageError(f"GITHUB_EVENT_PATH {path!r} is larger than {_MAX_EVENT_BYTES // (1024 * 1024)} MiB")
    try:
        payload = safejson.loads(raw)
    except safejson.JSONError as exc:
        raise UsageError(f"GITHUB_EVENT_PATH {path!r} is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise UsageError(f"GITHUB_EVENT_PATH {path!r} does not hold a JSON object")
    return payload


def _bad(where: str, expected: str) -> UsageError:
    return UsageError(f"GitHub event payload: {where} is not {expected}")


def _as_object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad(where, "an object")
    return value


def _object(parent: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    return _as_object(parent.get(key), f"pull_request.{key}")


def _text(parent: Mapping[str, Any], key: str, where: str, *, nullable: bool = False) -> str:
    value = parent.get(key)
    if value is None and nullable:
        return ""
    if not isinstance(value, str):
        raise _bad(f"{where}.{key}", "a string")
    return value
