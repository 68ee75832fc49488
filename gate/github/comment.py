"""One sticky pull request comment per service, found again by a hidden marker and edited in place.

A comment is "ours" only when it carries this service's marker AND was written by one of the bot
logins: anyone can paste the marker into their own comment, and that comment must never be edited.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from gate.errors import UsageError
from gate.github.api import GitHubClient, ReadOnlyTokenError

__all__ = ["DEFAULT_BOT", "MARKER", "CommentResult", "marker", "upsert_comment"]

MARKER: Final = "<!-- slo-gate:comment service={service} -->"
# Who GITHUB_TOKEN comments as; used when the token cannot say who it is (`GET /user` is refused).
DEFAULT_BOT: Final = "github-actions[bot]"
# GitHub refuses comment bodies over 65536 characters (HTTP 422).
MAX_BODY_CHARS: Final = 65536
_SERVICE: Final = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_TRUNCATED: Final = "\n\n… (truncated: GitHub caps comments; the job summary has the full report)\n"

Action = Literal["created", "updated", "unchanged", "skipped"]


@dataclass(frozen=True)
class CommentResult:
    url: str | None
    action: Action
    note: str | None = None


def marker(service: str) -> str:
    """The hidden first line that identifies `service`'s comment."""
    if not _SERVICE.fullmatch(service):
        raise UsageError(f"service name {service!r} cannot be put in a comment marker")
    return MARKER.format(service=service)


def upsert_comment(
    client: GitHubClient,
    repo: str,
    number: int,
    service: str,
    body: str,
    *,
    bot_logins: Sequence[str] | None = None,
) -> CommentResult:
    """Create or update `service`'s comment on pull request `number`.

    `bot_logins`: whose marker comments count as ours; default the token's own login, or
    `github-actions[bot]` when GitHub will not say (an installation token). A GitHub App token must
    pass its `<app>[bot]` login, or a new comment is created on every run.

    A read-only token (a fork's pull request) gives action "skipped" with a note; any other API
    failure raises ExternalError.
    """
    text = _with_marker(marker(service), body)
    if bot_logins is None:
        login = client.authenticated_login()
        bot_logins = [login] if login else [DEFAULT_BOT]
    ours = {login.casefold() for login in bot_logins}
    found = [c for c in client.list_issue_comments(repo, number) if _is_ours(c, marker(service), ours)]
    try:
        if not found:
            created = client.create_issue_comment(repo, number, text)
            return CommentResult(_url(created), "created")
        # Several can exist (an older version, a lost race): keep editing the newest, leave the rest.
        newest = max(enumerate(found), key=lambda pair: (_id(pair[1]), pair[0]))[1]
        if _normalised(newest.get("body")) == _normalised(text):
            return CommentResult(_url(newest), "unchanged")
        updated = client.update_issue_comment(repo, _id(newest), text)
        return CommentResult(_url(updated) or _url(newest), "updated")
    except ReadOnlyTokenError:
        note = (
            f"the PR comment for {service} could not be posted: the token may only read "
            "(a pull request from a fork?); the job summary has the report"
        )
        return CommentResult(_url(found[-1]) if found else None, "skipped", note)


def _with_marker(line: str, body: str) -> str:
    """The body with the marker as its first line (added once), capped to what GitHub accepts."""
    text = body if body.split("\n", 1)[0].strip() == line else f"{line}\n{body}"
    if len(text) > MAX_BODY_CHARS:
        text = text[: MAX_BODY_CHARS - len(_TRUNCATED)] + _TRUNCATED
    return text


def _is_ours(comment: Mapping[str, Any], line: str, logins: set[str]) -> bool:
    user = comment.get("user")
    login = user.get("login") if isinstance(user, Mapping) else None
    body = comment.get("body")
    return (
        isinstance(login, str)
        and login.casefold() in logins
        and isinstance(body, str)
        and line in body
        and isinstance(comment.get("id"), int)
    )


def _id(comment: Mapping[str, Any]) -> int:
    return int(comment["id"])  # _is_ours checked it is an int


def _url(comment: Mapping[str, Any]) -> str | None:
    url = comment.get("html_url")
    return url if isinstance(url, str) else None


def _normalised(body: object) -> str | None:
    # GitHub may hand a body back with CRLF line ends; that is not a change worth an edit.
    return body.replace("\r\n", "\n") if isinstance(body, str) else None
