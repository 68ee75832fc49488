"""A loopback fake of the GitHub REST API, for driving the real GitHubClient over HTTP.

Usage::

    with FakeGitHub(token="t") as gh:
        gh.add_pull("octo/app", 7, files=[gh.file("a.py")] * 250)
        client = GitHubClient("t", api_url=gh.api_url)
        client.pull_request_files("octo/app", 7)
        assert len(gh.requests) == 3

Requests are answered from a route table (method + path regex -> handler), so a later endpoint
(comments, timeline, permissions) is one `gh.route(...)` call. List endpoints paginate as GitHub
does: `per_page` (default 30, max 100) and `page`, absolute `Link` headers that point at
`/repositories/{id}/...` (so a client must follow them rather than rebuild URLs), and GitHub's
own caps (3000 files, 250 commits). `fail_next` answers the next N requests with a scripted reply
(a 500, a rate limit) before any routing; every request is recorded, failed or not.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from tests.support.httpstub import HTTPStub, Recorded, Reply

__all__ = ["FakeGitHub", "FakePull", "RouteHandler"]

RouteHandler = Callable[["FakeGitHub", Recorded, "re.Match[str]"], Reply]

GITHUB_FILES_CAP = 3000
GITHUB_COMMITS_CAP = 250
_DOCS = "https://docs.github.com/rest"


@dataclass
class FakePull:
    repo: str
    number: int
    data: dict[str, Any]
    files: list[dict[str, Any]] = field(default_factory=list)
    commits: list[dict[str, Any]] = field(default_factory=list)


def not_found() -> Reply:
    return Reply.json({"message": "Not Found", "documentation_url": _DOCS}, status=404)


class FakeGitHub:
    def __init__(self, *, prefix: str = "", token: str | None = None, link_base: str | None = None) -> None:
        """prefix: the API root path (`/api/v3` for GHES). token: when set, other credentials get 401.
        link_base: the scheme://host:port pagination links point at (default: this server)."""
        self.prefix = prefix.rstrip("/")
        self.token = token
        self.link_base = link_base
        self.pulls: dict[tuple[str, int], FakePull] = {}
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
        repo_id = self._repo_ids.setdefault(repo, 1_000_000 + len(self._repo_ids))
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
        if self.token is not None and request.header("authorization") != f"Bearer {self.token}":
            return Reply.json({"message": "Bad credentials", "documentation_url": _DOCS}, status=401)
        path = request.path
        if not path.startswith(self.prefix + "/"):
            return not_found()
        path = path[len(self.prefix) :]
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match is not None and method == request.method:
                return handler(self, request, match)
        return not_found()

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
