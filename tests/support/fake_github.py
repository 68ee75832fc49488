"""A loopback fake of the GitHub REST API, for driving the real GitHubClient over HTTP.

Usage::

    with FakeGitHub(token="t") as gh:
        gh.add_pull("octo/app", 7, files=[gh.file("a.py")] * 250)
        client = GitHubClient("t", api_url=gh.api_url)
        client.pull_request_files("octo/app", 7)
        assert len(gh.requests) == 3

Requests are answered from a route table (method + path regex -> handler), so a later endpoint
is one `gh.route(...)` call. List endpoints paginate as GitHub does: `per_page` (default 30, max
100) and `page`, absolute `Link` headers that point at `/repositories/{id}/...` (so a client must
follow them rather than rebuild URLs), and GitHub's own caps (3000 files, 250 commits).
`fail_next` answers the next N requests with a scripted reply (a 500, a rate limit) before any
routing; every request is recorded, failed or not.

Beyond pull requests: issue comments (stateful; a comment's author is the identity of the token
that wrote it, see `add_token`), the issue timeline (scripted with `labeled`, `committed`, ...),
collaborator permissions per login, label removal (which also appends an `unlabeled` event),
`GET /user` (refused for installation tokens, as GitHub refuses GITHUB_TOKEN) and
`GET /repos/{o}/{r}/commits/{sha}`. `read_only = True` answers every write with GitHub's 403
"Resource not accessible by integration", as for a fork's pull request.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import unquote

from tests.support.httpstub import HTTPStub, Recorded, Reply

__all__ = ["FakeGitHub", "FakeIdentity", "FakePull", "RouteHandler"]

RouteHandler = Callable[["FakeGitHub", Recorded, "re.Match[str]"], Reply]

GITHUB_FILES_CAP = 3000
GITHUB_COMMITS_CAP = 250
_DOCS = "https://docs.github.com/rest"
_REPO = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"
_BY_ID = r"/repositories/(?P<repo_id>\d+)"
_WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# The base role -> what the `permission` field says for it.
_LEGACY_PERMISSION = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
}


@dataclass
class FakePull:
    repo: str
    number: int
    data: dict[str, Any]
    files: list[dict[str, Any]] = field(default_factory=list)
    commits: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class FakeIdentity:
    """Who a token is. installation: GITHUB_TOKEN-like (`GET /user` is refused)."""

    login: str
    type: str = "User"
    installation: bool = False


def not_found(message: str = "Not Found") -> Reply:
    return Reply.json({"message": message, "documentation_url": _DOCS}, status=404)


def not_accessible() -> Reply:
    return Reply.json({"message": "Resource not accessible by integration", "documentation_url": _DOCS}, 403)


class FakeGitHub:
    def __init__(self, *, prefix: str = "", token: str | None = None, link_base: str | None = None) -> None:
        """prefix: the API root path (`/api/v3` for GHES). token: when set, other credentials get 401.
        link_base: the scheme://host:port pagination links point at (default: this server)."""
        self.prefix = prefix.rstrip("/")
        self.token = token
        self.link_base = link_base
        self.pulls: dict[tuple[str, int], FakePull] = {}
        self.identities: dict[str, FakeIdentity] = {}
        if token is not None:
            self.identities[token] = FakeIdentity("github-actions[bot]", "Bot", installation=True)
        self.read_only = False
        self.comments: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.timelines: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.permissions: dict[tuple[str, str], dict[str, Any]] = {}
        self.git_commits: dict[tuple[str, str], dict[str, Any]] = {}
        self.issues: dict[str, list[dict[str, Any]]] = {}  # repo -> issues, oldest first
        self.now = "2024-05-01T12:00:00Z"  # the time stamped on comments and events the fake creates
        self._next_id = 1_000
        self._repo_ids: dict[str, int] = {}
        self._routes: list[tuple[str, re.Pattern[str], RouteHandler]] = []
        self._faults: deque[Reply] = deque()
        self._lock = threading.Lock()
        self.stub = HTTPStub(self._dispatch)
        self.route("GET", r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)/pulls/(?P<number>\d+)", _get_pull)
        for kind in ("files", "commits"):
            handler = _list_handler(kind)
            self.route(
                "GET", rf"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)/pulls/(?P<number>\d+)/{kind}", handler
            )
            self.route("GET", rf"/repositories/(?P<repo_id>\d+)/pulls/(?P<number>\d+)/{kind}", handler)
        for base in (_REPO, _BY_ID):
            self.route("GET", base + r"/issues/(?P<number>\d+)/comments", _list_comments)
            self.route("GET", base + r"/issues/(?P<number>\d+)/timeline", _timeline)
        self.route("POST", _REPO + r"/issues/(?P<number>\d+)/comments", _create_comment)
        self.route("PATCH", _REPO + r"/issues/comments/(?P<comment_id>\d+)", _update_comment)
        self.route("GET", _REPO + r"/collaborators/(?P<login>[^/]+)/permission", _permission)
        self.route("DELETE", _REPO + r"/issues/(?P<number>\d+)/labels/(?P<label>[^/]+)", _remove_label)
        self.route("GET", _REPO + r"/issues", _list_issues)
        self.route("POST", _REPO + r"/issues", _create_issue)
        self.route("GET", r"/user", _user)
        self.route("GET", _REPO + r"/commits/(?P<sha>[^/]+)", _commit)

    # -- set-up ----------------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: RouteHandler) -> None:
        """Answer `method` on paths (below the prefix) that fully match `pattern`; later routes win."""
        self._routes.insert(0, (method.upper(), re.compile(pattern), handler))

    def add_pull(
        self,
        repo: str,
        number: int,
        *,
        files: Sequence[dict[str, Any]] = (),
        commits: Sequence[dict[str, Any]] | Sequence[str] = (),
        **fields: Any,
    ) -> FakePull:
        """A pull request; `commits` may be plain messages. `fields` override the PR JSON."""
        repo_id = self.repo_id(repo)
        data: dict[str, Any] = {
            "number": number,
            "title": f"PR {number}",
            "body": None,
            "state": "open",
            "user": {"login": "octocat", "type": "User"},
            "labels": [],
            "base": {"ref": "main", "sha": "a" * 40, "repo": {"full_name": repo, "id": repo_id}},
            "head": {"ref": "feature", "sha": "b" * 40, "repo": {"full_name": repo, "id": repo_id}},
            "changed_files": min(len(files), GITHUB_FILES_CAP) if files else 0,
            "commits": len(commits),
        }
        data.update(fields)
        commit_entries = [
            c if isinstance(c, dict) else {"sha": f"{i:040x}", "commit": {"message": c}}
            for i, c in enumerate(commits)
        ]
        pull = FakePull(repo, number, data, list(files), commit_entries)
        self.pulls[(repo, number)] = pull
        return pull

    @staticmethod
    def file(
        filename: str,
        status: str = "modified",
        additions: int = 1,
        deletions: int = 0,
        patch: str | None = "@@ -1 +1,2 @@\n x\n+y",
        previous_filename: str | None = None,
    ) -> dict[str, Any]:
        """One files-endpoint entry; `patch=None` leaves the key out, as GitHub does for binaries."""
        entry: dict[str, Any] = {
            "sha": "c" * 40,
            "filename": filename,
            "status": status,
            "additions": additions,
            "deletions": deletions,
            "changes": additions + deletions,
        }
        if patch is not None:
            entry["patch"] = patch
        if previous_filename is not None:
            entry["previous_filename"] = previous_filename
        return entry

    def add_token(self, token: str, login: str, *, installation: bool = False) -> FakeIdentity:
        """Accept `token` as `login` (a `...[bot]` login is a Bot); comments it writes are by that login."""
        identity = FakeIdentity(login, "Bot" if login.endswith("[bot]") else "User", installation)
        self.identities[token] = identity
        return identity

    def add_comment(self, repo: str, number: int, body: str, login: str) -> dict[str, Any]:
        """A comment already on the issue, written by `login`."""
        return self._store_comment(repo, number, body, FakeIdentity(login, _user_type(login)))

    def set_timeline(self, repo: str, number: int, events: Sequence[dict[str, Any]]) -> None:
        self.timelines[(repo, number)] = list(events)

    def set_permission(self, repo: str, login: str, role: str, permission: str | None = None) -> None:
        """`login`'s role; a custom role needs `permission` (the base role it inherits)."""
        legacy = permission or _LEGACY_PERMISSION[role]
        self.permissions[(repo, login.casefold())] = {
            "permission": legacy,
            "role_name": role,
            "user": {"login": login, "type": _user_type(login)},
        }

    def add_commit(self, repo: str, sha: str, *, committed_at: str, message: str = "change") -> None:
        person = {"name": "Dev", "email": "dev@example.com", "date": committed_at}
        self.git_commits[(repo, sha)] = {
            "sha": sha,
            "commit": {"message": message, "author": person, "committer": person},
        }

    # -- timeline events -------------------------------------------------------------------------
    @staticmethod
    def labeled(
        label: str,
        login: str,
        at: str,
        *,
        user_type: str | None = None,
        app: str | None = None,
        event: str = "labeled",
    ) -> dict[str, Any]:
        """A `labeled` (or `unlabeled`) timeline event; `app` sets performed_via_github_app."""
        return {
            "id": abs(hash((label, login, at, event))) % 10**9,
            "event": event,
            "actor": {"login": login, "type": user_type or _user_type(login)},
            "created_at": at,
            "label": {"name": label, "color": "d73a4a"},
            "performed_via_github_app": (
                {"id": 1, "slug": app, "name": app, "owner": {"login": "some-org"}} if app else None
            ),
            "commit_id": None,
            "commit_url": None,
        }

    @classmethod
    def unlabeled(cls, label: str, login: str, at: str) -> dict[str, Any]:
        return cls.labeled(label, login, at, event="unlabeled")

    @staticmethod
    def committed(sha: str, at: str) -> dict[str, Any]:
        """A `committed` event: no actor or created_at, only the git dates."""
        person = {"name": "Dev", "email": "dev@example.com", "date": at}
        return {"event": "committed", "sha": sha, "author": person, "committer": person, "message": "c"}

    @staticmethod
    def force_pushed(login: str, at: str, sha: str = "f" * 40) -> dict[str, Any]:
        return {
            "event": "head_ref_force_pushed",
            "actor": {"login": login, "type": _user_type(login)},
            "commit_id": sha,
            "created_at": at,
            "performed_via_github_app": None,
        }

    def fail_next(self, reply: Reply, times: int = 1) -> None:
        """Answer the next `times` requests with `reply`, whatever they ask for."""
        with self._lock:
            self._faults.extend([reply] * times)

    def clear_faults(self) -> None:
        """Drop the scripted replies not used yet."""
        with self._lock:
            self._faults.clear()

    # -- canned failures -------------------------------------------------------------------------
    @staticmethod
    def server_error(status: int = 500) -> Reply:
        return Reply.json({"message": "Server Error"}, status=status)

    @staticmethod
    def rate_limited(reset: float, *, status: int = 403) -> Reply:
        """The primary rate limit: remaining 0, reset at `reset` (unix seconds)."""
        headers = {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": "5000",
            "x-ratelimit-reset": str(int(reset)),
            "x-ratelimit-resource": "core",
        }
        message = "API rate limit exceeded for installation ID 1. (But here's the good news: ...)"
        return Reply.json({"message": message, "documentation_url": _DOCS}, status=status, headers=headers)

    @staticmethod
    def retry_after(seconds: int, *, status: int = 429) -> Reply:
        """A secondary rate limit with `retry-after`."""
        message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
        return Reply.json(
            {"message": message, "documentation_url": _DOCS},
            status=status,
            headers={"retry-after": str(seconds)},
        )

    # -- access ----------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.stub.url

    @property
    def api_url(self) -> str:
        return self.stub.url + self.prefix

    @property
    def requests(self) -> list[Recorded]:
        return self.stub.requests

    def start(self) -> FakeGitHub:
        self.stub.start()
        return self

    def stop(self) -> None:
        self.stub.stop()

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- serving ---------------------------------------------------------------------------------
    def _dispatch(self, request: Recorded) -> Reply:
        with self._lock:
            if self._faults:
                return self._faults.popleft()
        if self.identities and self.identity(request) is None:
            return Reply.json({"message": "Bad credentials", "documentation_url": _DOCS}, status=401)
        if self.read_only and request.method in _WRITES:
            return not_accessible()
        path = request.path
        if not path.startswith(self.prefix + "/"):
            return not_found()
        path = path[len(self.prefix) :]
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match is not None and method == request.method:
                return handler(self, request, match)
        return not_found()

    def identity(self, request: Recorded) -> FakeIdentity | None:
        header = request.header("authorization") or ""
        return self.identities.get(header.removeprefix("Bearer ")) if header.startswith("Bearer ") else None

    def repo_of(self, match: re.Match[str]) -> str:
        groups = match.groupdict()
        if groups.get("repo_id") is not None:
            repos = [repo for repo, repo_id in self._repo_ids.items() if str(repo_id) == groups["repo_id"]]
            return repos[0] if repos else ""
        return f"{groups['owner']}/{groups['name']}"

    def repo_id(self, repo: str) -> int:
        return self._repo_ids.setdefault(repo, 1_000_000 + len(self._repo_ids))

    def _store_comment(self, repo: str, number: int, body: str, author: FakeIdentity) -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            comment_id = self._next_id
        comment = {
            "id": comment_id,
            "node_id": f"IC_{comment_id}",
            "url": f"{self.api_url}/repos/{repo}/issues/comments/{comment_id}",
            "html_url": f"https://github.com/{repo}/pull/{number}#issuecomment-{comment_id}",
            "body": body,
            "user": {"login": author.login, "type": author.type},
            "created_at": self.now,
            "updated_at": self.now,
            "author_association": "NONE",
        }
        self.comments.setdefault((repo, number), []).append(comment)
        return comment

    def find_pull(self, match: re.Match[str]) -> FakePull | None:
        groups = match.groupdict()
        if groups.get("repo_id") is not None:
            repos = [repo for repo, repo_id in self._repo_ids.items() if str(repo_id) == groups["repo_id"]]
            repo = repos[0] if repos else ""
        else:
            repo = f"{groups['owner']}/{groups['name']}"
        return self.pulls.get((repo, int(match["number"])))

    def page(self, request: Recorded, items: Sequence[Any], cap: int, link_path: str) -> Reply:
        """One page of `items` (at most `cap` of them are ever listed), with GitHub-style Link headers."""
        query = request.query
        try:
            per_page = min(max(int(query.get("per_page", ["30"])[-1]), 1), 100)
            number = max(int(query.get("page", ["1"])[-1]), 1)
        except ValueError:
            return Reply.json({"message": "Invalid request."}, status=422)
        listed = items[:cap]
        last = max(1, -(-len(listed) // per_page))
        base = (self.link_base or self.url) + self.prefix + link_path

        def link(page: int, rel: str) -> str:
            return f'<{base}?per_page={per_page}&page={page}>; rel="{rel}"'

        links = []
        if number > 1:
            links += [link(number - 1, "prev"), link(1, "first")]
        if number < last:
            links += [link(number + 1, "next"), link(last, "last")]
        headers = {"Link": ", ".join(links)} if links else {}
        body = listed[(number - 1) * per_page : number * per_page]
        return Reply.json(body, headers={**headers, "x-ratelimit-remaining": "4999"})


def _get_pull(gh: FakeGitHub, request: Recorded, match: re.Match[str]) -> Reply:
    pull = gh.find_pull(match)
    return not_found() if pull is None else Reply.json(pull.data)


def _list_handler(kind: str) -> RouteHandler:
    def handler(gh: FakeGitHub, request: Recorded, match: re.Match[str]) -> Reply:
        pull = gh.find_pull(match)
        if pull is None:
            return not_found()
        repo_id = gh._repo_ids[pull.repo]
        items, cap = (pull.files, GITHUB_FILES_CAP) if kind == "files" else (pull.commits, GITHUB_COMMITS_CAP)
        return gh.page(request, items, cap, f"/repositories/{repo_id}/pulls/{pull.number}/{kind}")

    return handler


def _user_type(login: str) -> str:
    return "Bot" if login.endswith("[bot]") else "User"


def _list_comments(gh: FakeGitHub, request: Recorded, match: re.Match[str]) -> Reply:
    repo, number = gh.repo_of(match), int(match["number"])
    items = gh.comments.get((repo, number), [])
    return gh.page(request, items, 10**9, f"/repositories/{gh.repo_id(repo)}/issues/{number}/comments")


def _timeline(gh: FakeGitHub, request: Recorded, match: re.Match[str]) -> Reply:
    repo, number = gh.repo_of(match), int(match["number"])
    if (repo, number) not in gh.timelines and (repo, number) not in gh.pulls:
        return not_found()
    items = gh.timelines.get((repo, number), [])
    return gh.page(request, items, 10**9, f"/repositories/{gh.repo_id(repo)}/issues/{number}/timeline")


def _create_comment(gh: FakeGitHub, request: Recorded, match: re.Match[str]) -> Reply:
    author = gh.identity(request)
    if author is None:
        return Reply.json({"message": "Requires authentication", "documentation_url": _DOCS}, status=401)
    body = request.json().get("body")
    if not isinstance(body, str):
        return Reply.json({"message": "Invalid request.", "documentation_url": _DOCS}, status=422)
    comment = gh._store_comment(gh.repo_of(match), int(match["number"]), body, author)
    return Reply.json(comment, status=201)


def _update_comment(gh: FakeGitHub, request: Recorded, match: re.Match[str]) -> Reply:
    # Like GitHub for a collaborator with write access: any comment can be edited, whoever wrote it,
    # so it is the client that must leave other people's comments alone.
    repo, comment_id = gh.repo_of(match), int(match["comment_id"])
    for (owner_repo, _), comments in gh.comments.items():
        for comment in comments:
            if owner_repo == repo and comment["id"] == comment_id:
                comment["body"] = request.json()["body"]
                comment["updated_at"] = gh.now
                return Reply.json(comment)
    return not_found()


def _permission(gh: FakeGitHub, request: Recorded, match: re.Match[str]) -> Reply:
    entry = gh.permissions.get((gh.repo_of(match), unquote(match["login"]).casefold()))
    return not_found() if entry is None else Reply.json(entry)


def _remove_label(gh: FakeGitHub, request: Recorded, match: re.Match[str]) -> Reply:
    pull = gh.find_pull(match)
    name = unquote(match["label"])
    if pull is None:
        return not_found()
    labels = pull.data.get("labels") or []
    kept = [label for label in labels if label.get("name") != name]
    if len(kept) == len(labels):
        return not_found("Label does not exist")
    pull.data["labels"] = kept
    actor = gh.identity(request) or FakeIdentity("ghost")
    event = FakeGitHub.unlabeled(name, actor.login, gh.now)
    gh.timelines.setdefault((pull.repo, pull.number), []).append(event)
    return Reply.json(kept)


def _user(gh: FakeGitHub, request: Recorded, match: re.Match[str]) -> Reply:
    identity = gh.identity(request)
    if identity is None:
        return Reply.json({"message": "Requires authentication", "documentation_url": _DOCS}, status=401)
    if identity.installation:
        return not_accessible()
    return Reply.json({"login": identity.login, "id": 1, "type": identity.type})


def _commit(gh: FakeGitHub, request: Recorded, match: re.Match[str]) -> Reply:
    entry = gh.git_commits.get((gh.repo_of(match), unquote(match["sha"])))
    return not_found("No commit found for SHA") if entry is None else Reply.json(entry)


def _list_issues(gh: FakeGitHub, request: Recorded, match: re.Match[str]) -> Reply:
    repo = gh.repo_of(match)
    wanted = [name for name in request.query.get("labels", [""])[-1].split(",") if name]
    state = request.query.get("state", ["open"])[-1]
    items = [
        issue
        for issue in reversed(gh.issues.get(repo, []))
        if all(name in [label["name"] for label in issue["labels"]] for name in wanted)
        and (state == "all" or issue["state"] == state)
    ]
    return gh.page(request, items, 10**9, f"/repos/{repo}/issues")


def _create_issue(gh: FakeGitHub, request: Recorded, match: re.Match[str]) -> Reply:
    author = gh.identity(request)
    if author is None:
        return Reply.json({"message": "Requires authentication", "documentation_url": _DOCS}, status=401)
    data = request.json()
    title, body, labels = data.get("title"), data.get("body"), data.get("labels", [])
    if not isinstance(title, str) or not title or not isinstance(body, str) or len(body) > 65536:
        return Reply.json({"message": "Validation Failed", "documentation_url": _DOCS}, status=422)
    repo = gh.repo_of(match)
    with gh._lock:
        gh._next_id += 1
        number = len(gh.issues.get(repo, [])) + 1
        issue = {
            "id": gh._next_id,
            "number": number,
            "title": title,
            "body": body,
            "state": "open",
            "labels": [{"name": str(name)} for name in labels],
            "html_url": f"https://github.com/{repo}/issues/{number}",
            "user": {"login": author.login, "type": author.type},
            "created_at": gh.now,
        }
        gh.issues.setdefault(repo, []).append(issue)
    return Reply.json(issue, status=201)
