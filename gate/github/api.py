"""A small synchronous GitHub REST client: pull requests, their files and commits, issue comments,
the issue timeline, collaborator permissions and labels.

Built to be extended (comments, timeline, permissions): every call goes through gate.http (deadline,
retries, size caps, masking, error texts) via `_call`, with GitHub's own reading of rate limits in
`_GitHubRules`; every path is built by `_repo_path` from validated parts. GitHub Enterprise Server
works by passing its API root (`https://host/api/v3`).

Safety rules, each enforced here rather than left to callers:

- The token is sent only to `api_url`'s origin: redirects are never followed, and a pagination
  `Link` to another scheme, host or port stops the walk with an ExternalError.
- The token never appears in `repr`, in error texts or in anything else this module produces.
- Response bodies are capped; a body that is not JSON is an ExternalError, never a partial result.
- Every call ends by a deadline (`deadline`, shared with the run, or a budget per call), however
  slowly the server answers.
- A POST (it creates something) is not retried after an ambiguous failure (a timeout, a 5xx): the
  first attempt may have landed, and a second would create a duplicate. Rate limits are still waited
  out (up to `max_wait`), since GitHub refused those requests outright.
- An answer no retry would change (4xx, 501) is a GitHubHTTPError with its status; one GitHub may
  change its mind about (5xx after every retry, a rate limit longer than `max_wait`) is an
  ExternalError.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeGuard
from urllib.parse import quote, unquote

import httpx

from gate import http, safejson
from gate.errors import ExternalError, UsageError
from gate.http import (
    Deadline,
    Endpoint,
    HttpClient,
    HttpFailure,
    Reply,
    RetryPolicy,
    StatusRules,
    Verdict,
    location,
    parse_retry_after,
)
from gate.secrets import MASK
from gate.times import iso

__all__ = [
    "MAX_PULL_COMMITS",
    "MAX_PULL_FILES",
    "GitHubClient",
    "GitHubHTTPError",
    "PullFile",
    "ReadOnlyTokenError",
    "check_repo",
]

# GitHub's own limits: the files and commits endpoints of a pull request stop listing here.
MAX_PULL_FILES: Final = 3000
MAX_PULL_COMMITS: Final = 250
_PER_PAGE: Final = 100  # the maximum GitHub accepts

_API_VERSION: Final = "2022-11-28"
_MAX_BODY_BYTES: Final = 32 * 1024 * 1024
_MAX_PAGES: Final = 1000  # a server that never stops paginating must not keep us here forever
_BACKOFF: Final = 1.0  # seconds before the first retry of a 5xx or connection error, doubled after
_SECONDARY_WAIT: Final = 60.0  # GitHub: "otherwise, wait for at least one minute before retrying"

# Owner and repository names as GitHub allows them; "." and ".." are refused separately.
_NAME: Final = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
# An API path: slash-separated segments of unreserved characters or %XX escapes (a label name is
# quoted into one segment); no query, and no segment that is or decodes to "." or "..".
_PATH: Final = re.compile(r"^(?:/(?:[A-Za-z0-9._~-]|%[0-9A-F]{2})+)+/?$")
_WRITES: Final = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# What GitHub answers a write made with a token that may only read (GITHUB_TOKEN on a fork's PR).
_READ_ONLY_MESSAGE: Final = "resource not accessible by integration"
_LINK: Final = re.compile(r"<([^>]*)>([^<]*)")
_REL: Final = re.compile(r';\s*rel\s*=\s*"?([^";,]*)"?')
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


@dataclass(frozen=True)
class PullFile:
    """One entry of `GET /repos/{owner}/{repo}/pulls/{n}/files`; `patch` is None for binary or huge files."""

    filename: str
    status: str
    additions: int
    deletions: int
    patch: str | None
    previous_filename: str | None = None


class GitHubHTTPError(ExternalError):
    """GitHub answered with an HTTP error status; `status` lets callers treat e.g. a 404 as an answer."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ReadOnlyTokenError(GitHubHTTPError):
    """A write was refused because the token may only read (a pull request from a fork, typically).

    Distinct so callers can fall back (the job summary instead of a comment) instead of failing.
    """


def check_repo(repo: str) -> tuple[str, str]:
    """`owner/name` split and validated, so it can become two path segments."""
    owner, sep, name = repo.partition("/")
    for part in (owner, name):
        if not sep or not _NAME.fullmatch(part) or part in (".", ".."):
            raise UsageError(f"repository {repo!r} must look like owner/name (letters, digits, - _ .)")
    return owner, name


def _check_number(number: int) -> int:
    # bool is an int subclass; True must not become pull request 1.
    if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
        raise UsageError(f"pull request number must be a positive integer, got {number!r}")
    return number


def _check_id(value: int, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise UsageError(f"{what} must be a positive integer, got {value!r}")
    return value


def _segment(text: str, what: str) -> str:
    """Free text (a label, a login, a sha) as exactly one path segment: "/" and "%" are escaped too."""
    if not isinstance(text, str) or not text or text in (".", "..") or not text.isprintable():
        raise UsageError(f"{what} {text!r} cannot be part of a GitHub API path")
    return quote(text, safe="")


class _GitHubRules(StatusRules):
    """GitHub's rate limits, as its documentation describes them.

    `retry-after` wins; else `x-ratelimit-remaining: 0` means wait until `x-ratelimit-reset`; else a
    429, or a 403 saying "rate limit" (secondary), means a minute. A 403 that is none of these is a
    permission problem and is not retried. Waiting longer than `max_wait` fails at once, naming the
    reset time. Rate-limited requests were refused outright, so even a POST is sent again.
    """

    def __init__(self, max_wait: float) -> None:
        self._max_wait = max_wait

    def verdict(self, method: str, reply: Reply, now: float, policy: RetryPolicy) -> Verdict:
        wait = self._rate_limit_wait(reply, now)
        if wait is None:
            return super().verdict(method, reply, now, policy)
        if wait > self._max_wait:
            return Verdict.give_up(
                f"; the rate limit resets at {iso(now + wait)} (in {math.ceil(wait)} s), "
                f"longer than the {self._max_wait:g} s this run may wait"
            )
        return Verdict.again(wait, refused=True)

    def _rate_limit_wait(self, reply: Reply, now: float) -> float | None:
        if reply.status not in (403, 429):
            return None
        retry_after = parse_retry_after(reply.headers.get("retry-after"), now)
        if retry_after is not None:
            return retry_after
        reset = reply.headers.get("x-ratelimit-reset", "").strip()
        if reply.headers.get("x-ratelimit-remaining", "").strip() == "0" and reset.isdigit():
            return max(0.0, int(reset) - now)
        if reply.status == 429 or "rate limit" in _github_message(reply.body).lower():
            return _SECONDARY_WAIT
        return None


class GitHubClient(http.Closing):
    """Synchronous GitHub REST client. Use as a context manager or call `close()`.

    `sleep` exists so tests can record retry waits instead of sleeping; `clock` (unix seconds) so they
    can pin the time `x-ratelimit-reset` is measured against; `pacing` sets both and more (default:
    gate.http.PACING). `deadline` is shared with the rest of the run; each call also gets its own
    budget, enough for every attempt and every wait the settings allow.
    """

    def __init__(
        self,
        token: str | None,
        *,
        api_url: str = "https://api.github.com",
        timeout: float = 30.0,
        max_retries: int = 3,
        max_wait: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        pacing: http.Pacing | None = None,
        deadline: Deadline | None = None,
    ) -> None:
        base = _check_api_url(api_url)
        if not (timeout > 0 and math.isfinite(timeout)):
            raise UsageError("GitHub API timeout must be a positive number of seconds")
        if max_retries < 0 or not (max_wait >= 0 and math.isfinite(max_wait)):
            raise UsageError("GitHub API max_retries and max_wait must not be negative")
        if token is not None and not token.strip():
            token = None  # an empty GITHUB_TOKEN means "anonymous", not "Bearer "
        if token is not None and not (token.isascii() and token.isprintable() and " " not in token):
            # Never echo the value: it is a credential.
            raise UsageError("GitHub token must be printable ASCII without spaces")
        self._base = str(base).rstrip("/")
        self._base_url = httpx.URL(self._base)
        self._origin = _origin(self._base_url)
        self._token = token
        pace = pacing or http.PACING
        if sleep is not None:
            pace = dataclasses.replace(pace, sleep=sleep)
        if clock is not None:
            pace = dataclasses.replace(pace, now=clock)
        endpoint = Endpoint(
            url=self._base,
            name="GitHub API",
            headers=(
                ("Accept", "application/vnd.github+json"),
                ("X-GitHub-Api-Version", _API_VERSION),
            ),
            token=token,
            show_path=True,
            connect_timeout=timeout,
            read_timeout=timeout,
            retry=RetryPolicy(retries=max_retries, backoff=_BACKOFF, max_backoff=max_wait, max_wait=max_wait),
            max_response_bytes=_MAX_BODY_BYTES,
        )
        self._http = HttpClient(
            endpoint,
            deadline=deadline,
            call_deadline=(timeout + max_wait) * (max_retries + 1),
            pacing=pace,
            rules=_GitHubRules(max_wait),
            transport=transport,
        )
        self._login: str | None = None
        self._login_known = False

    def __repr__(self) -> str:
        return f"GitHubClient(api_url={self._base!r}, token={None if self._token is None else MASK!r})"

    def close(self) -> None:
        self._http.close()

    # -- generic calls ---------------------------------------------------------------------------
    def get_json(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        """GET an API path (relative to `api_url`, e.g. `/repos/o/r/pulls/1`) and return its JSON."""
        payload, _ = self._call("GET", self._url(path), params)
        return payload

    def paginate(
        self, path: str, params: Mapping[str, str | int] | None = None, *, max_items: int | None = None
    ) -> list[Any]:
        """Every item of a list endpoint, following `Link: rel="next"` on the API's own origin only."""
        if max_items is not None and max_items <= 0:
            raise ValueError("max_items must be positive")
        url = self._url(path)
        seen = {url}
        items: list[Any] = []
        query: Mapping[str, str | int] | None = params
        for _ in range(_MAX_PAGES):
            payload, headers = self._call("GET", url, query)
            if not isinstance(payload, list):
                raise self._fail(f"{self._shown(url)}: expected a JSON array (a list page)")
            items.extend(payload)
            if max_items is not None and len(items) >= max_items:
                return items[:max_items]
            following = _next_link(headers.get("link"))
            if following is None:
                return items
            next_url = self._check_next(following, url)
            if next_url in seen:
                raise self._fail(f"{self._shown(url)}: pagination loops back to a page it sent")
            seen.add(next_url)
            # The next URL carries the whole query (page, per_page); sending params again would double it.
            url, query = next_url, None
        raise self._fail(f"{self._shown(self._url(path))}: more than {_MAX_PAGES} pages")

    # -- pull requests ---------------------------------------------------------------------------
    def pull_request(self, repo: str, number: int) -> dict[str, Any]:
        path = self._repo_path(repo, "pulls", str(_check_number(number)))
        payload = self.get_json(path)
        if not isinstance(payload, dict):
            raise self._fail(f"GitHub API GET {path}: expected a JSON object")
        return payload

    def pull_request_files(self, repo: str, number: int) -> list[PullFile]:
        """Every file the pull request changes, in GitHub's order (GitHub lists at most 3000)."""
        path = self._repo_path(repo, "pulls", str(_check_number(number)), "files")
        entries = self.paginate(path, {"per_page": _PER_PAGE}, max_items=MAX_PULL_FILES)
        return [self._pull_file(entry, index, path) for index, entry in enumerate(entries)]

    def pull_request_commit_messages(self, repo: str, number: int) -> list[str]:
        """The messages of the pull request's commits, oldest first (GitHub lists at most 250)."""
        path = self._repo_path(repo, "pulls", str(_check_number(number)), "commits")
        entries = self.paginate(path, {"per_page": _PER_PAGE}, max_items=MAX_PULL_COMMITS)
        messages = []
        for index, entry in enumerate(entries):
            commit = entry.get("commit") if isinstance(entry, dict) else None
            message = commit.get("message") if isinstance(commit, dict) else None
            if not isinstance(message, str):
                raise self._fail(f"GitHub API GET {path}: commit entry {index} has no commit.message")
            messages.append(message)
        return messages

    # -- issue comments --------------------------------------------------------------------------
    def list_issue_comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        """Every comment on an issue or pull request (not review comments), oldest first."""
        path = self._repo_path(repo, "issues", str(_check_number(number)), "comments")
        return self._objects(path, self.paginate(path, {"per_page": _PER_PAGE}))

    def create_issue_comment(self, repo: str, number: int, body: str) -> dict[str, Any]:
        path = self._repo_path(repo, "issues", str(_check_number(number)), "comments")
        return self._object(path, self._write("POST", path, {"body": body}))

    def update_issue_comment(self, repo: str, comment_id: int, body: str) -> dict[str, Any]:
        path = self._repo_path(repo, "issues", "comments", str(_check_id(comment_id, "comment id")))
        return self._object(path, self._write("PATCH", path, {"body": body}))

    # -- issues ----------------------------------------------------------------------------------
    def list_issues(
        self, repo: str, *, label: str, state: str = "all", max_items: int = 1000
    ) -> list[dict[str, Any]]:
        """Issues (not pull requests) carrying `label`, newest first, at most `max_items`."""
        if state not in ("open", "closed", "all"):
            raise UsageError(f"issue state {state!r}: expected open, closed or all")
        path = self._repo_path(repo, "issues")
        params: dict[str, str | int] = {"labels": label, "state": state, "per_page": _PER_PAGE}
        items = self._objects(path, self.paginate(path, params, max_items=max_items))
        return [item for item in items if "pull_request" not in item]

    def create_issue(self, repo: str, title: str, body: str, labels: list[str]) -> dict[str, Any]:
        """Open an issue (not retried after an ambiguous failure: it could exist twice)."""
        path = self._repo_path(repo, "issues")
        return self._object(path, self._write("POST", path, {"title": title, "body": body, "labels": labels}))

    # -- timeline, permissions, labels -----------------------------------------------------------
    def issue_timeline(self, repo: str, number: int) -> list[dict[str, Any]]:
        """Every timeline event of an issue or pull request, oldest first (labels, commits, pushes)."""
        path = self._repo_path(repo, "issues", str(_check_number(number)), "timeline")
        return self._objects(path, self.paginate(path, {"per_page": _PER_PAGE}))

    def collaborator_permission(self, repo: str, user: str) -> dict[str, Any]:
        """`{"permission": admin|write|read|none, "role_name": ..., "user": ...}` for one login."""
        path = self._repo_path(repo, "collaborators", _segment(user, "login"), "permission")
        try:
            return self._object(path, self.get_json(path))
        except GitHubHTTPError as exc:
            if exc.status != 404:
                raise
            # GitHub says 404 both for an unknown login and for a token that cannot see collaborators.
            raise GitHubHTTPError(
                self._http.mask(
                    f"cannot read {user}'s permission on {repo}: GitHub answered 404 (no such user, "
                    "or this token cannot read the repository's collaborators)"
                ),
                404,
            ) from None

    def remove_label(self, repo: str, number: int, label: str) -> None:
        """Take a label off an issue or pull request; a label that is already gone is not an error."""
        path = self._repo_path(repo, "issues", str(_check_number(number)), "labels", _segment(label, "label"))
        try:
            self._write("DELETE", path)
        except GitHubHTTPError as exc:
            if exc.status != 404:  # GitHub: "404 Not Found if the label does not exist" on the issue
                raise

    # -- users and commits -----------------------------------------------------------------------
    def authenticated_login(self) -> str | None:
        """The token's own login, or None when GitHub will not say.

        An installation token (GITHUB_TOKEN, a GitHub App) may not call `GET /user` (401/403); it
        then comments as `<app>[bot]`, which the caller has to know. Cached: it cannot change.
        """
        if self._token is None:
            return None
        if not self._login_known:
            try:
                payload = self.get_json("/user")
            except GitHubHTTPError as exc:
                if exc.status not in (401, 403):
                    raise
                payload = None
            login = payload.get("login") if isinstance(payload, dict) else None
            self._login = login if isinstance(login, str) and login else None
            self._login_known = True
        return self._login

    def commit(self, repo: str, sha: str) -> dict[str, Any]:
        """One commit as `GET /repos/{o}/{r}/commits/{sha}` returns it (`commit.committer.date`, ...)."""
        path = self._repo_path(repo, "commits", _segment(sha, "commit"))
        return self._object(path, self.get_json(path))

    # -- building blocks -------------------------------------------------------------------------
    def _repo_path(self, repo: str, *segments: str) -> str:
        """`/repos/{owner}/{name}/...` from a validated repo and fixed or numeric segments."""
        owner, name = check_repo(repo)
        return "/".join(("", "repos", owner, name, *segments))

    def _write(self, method: str, path: str, body: Any = None) -> Any:
        payload, _ = self._call(method, self._url(path), None, body)
        return payload

    def _object(self, path: str, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise self._fail(f"GitHub API {path}: expected a JSON object")
        return payload

    def _objects(self, path: str, items: list[Any]) -> list[dict[str, Any]]:
        if not all(isinstance(item, dict) for item in items):
            raise self._fail(f"GitHub API GET {path}: a list entry is not an object")
        return items

    def _url(self, path: str) -> str:
        if not _PATH.fullmatch(path) or any(unquote(part) in (".", "..") for part in path.split("/")):
            raise UsageError(f"GitHub API path {path!r} must be /segment/segment with no query or '..'")
        return self._base + path

    def _shown(self, url: str) -> str:
        """`GitHub API GET <path>`: the path relative to api_url, never the query or a credential."""
        return self._http.subject("GET", url)

    def _check_next(self, link: str, current: str) -> str:
        try:
            target = httpx.URL(link)
        except httpx.InvalidURL:
            raise self._fail(f"{self._shown(current)}: unparsable next-page link") from None
        if _origin(target) != self._origin or target.userinfo:
            where = f"{target.scheme}://{target.host}" if target.host else "a relative URL"
            raise self._fail(
                f"{self._shown(current)}: the next page is on {where}, not on "
                f"{self._origin[0]}://{self._origin[1]}; refusing to send the token there"
            )
        return str(target)

    def _pull_file(self, entry: Any, index: int, path: str) -> PullFile:
        def bad(what: str) -> ExternalError:
            return self._fail(f"GitHub API GET {path}: file entry {index} {what}")

        if not isinstance(entry, dict):
            raise bad("is not an object")
        filename, status = entry.get("filename"), entry.get("status")
        if not isinstance(filename, str) or not filename or not isinstance(status, str):
            raise bad("has no filename or status")
        additions, deletions = entry.get("additions"), entry.get("deletions")
        if not (_is_count(additions) and _is_count(deletions)):
            raise bad("has no valid additions/deletions")
        patch, previous = entry.get("patch"), entry.get("previous_filename")
        if patch is not None and not isinstance(patch, str):
            raise bad("has a patch that is not text")
        if previous is not None and (not isinstance(previous, str) or not previous):
            raise bad("has an invalid previous_filename")
        return PullFile(filename, status, additions, deletions, patch, previous)

    def _fail(self, text: str) -> ExternalError:
        return ExternalError(self._http.mask(text))

    # -- one call ----------------------------------------------------------------------------------
    def _call(
        self, method: str, url: str, params: Mapping[str, str | int] | None, body: Any = None
    ) -> tuple[Any, httpx.Headers]:
        """One API call through gate.http; its failures become this module's errors."""
        try:
            # A POST creates something; PATCH, PUT and DELETE here set a state, so repeating is safe.
            reply = self._http.send(method, url, params=params, json=body, idempotent=method != "POST")
            return self._http.json_of(reply), reply.headers
        except HttpFailure as exc:
            raise self._wrap(exc, method) from None

    def _wrap(self, exc: HttpFailure, method: str) -> ExternalError:
        if not exc.answered or exc.status is None:
            return ExternalError(exc.message)
        if exc.status == 403 and method in _WRITES and exc.detail.lower().startswith(_READ_ONLY_MESSAGE):
            return ReadOnlyTokenError(f"{exc.message} (the token may only read)", exc.status)
        return GitHubHTTPError(exc.message, exc.status)


def _check_api_url(api_url: str) -> httpx.URL:
    try:
        url = httpx.URL(api_url)
    except httpx.InvalidURL:
        raise UsageError("GitHub API URL is not a valid URL") from None
    if url.scheme not in _DEFAULT_PORTS or not url.host:
        raise UsageError(f"GitHub API URL must be http(s)://host[/prefix], got {location(api_url)!r}")
    if url.userinfo or url.query or url.fragment:
        raise UsageError("GitHub API URL must not carry credentials, a query string or a fragment")
    return url


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)


def _next_link(header: str | None) -> str | None:
    """The `rel="next"` target of an RFC 8288 Link header, if any."""
    if not header:
        return None
    for match in _LINK.finditer(header):
        rel = _REL.search(match.group(2))
        if rel is not None and "next" in rel.group(1).lower().split():
            return match.group(1).strip()
    return None


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _github_message(raw: bytes) -> str:
    """GitHub's `message` field, or "" when the body has none."""
    try:
        payload = safejson.loads(raw)
    except safejson.JSONError:
        return ""
    message = payload.get("message") if isinstance(payload, dict) else None
    return message if isinstance(message, str) else ""
