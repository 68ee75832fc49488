"""GitHubClient driven over real HTTP against the loopback fake of the GitHub REST API."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from gate import __version__
from gate.errors import ExternalError, UsageError
from gate.github import api
from gate.github.api import GitHubClient, GitHubHTTPError, PullFile
from gate.http import Deadline
from tests.support.fake_github import FakeGitHub
from tests.support.httpstub import Recorded, Reply, TrickleServer, closed_port

TOKEN = "ghs_s3cretT0kenValue1234567890"
REPO = "octo-org/app.v2"
NOW = 1_700_000_000.0  # the client's clock in these tests: rate-limit resets are measured from it


class Waits:
    """The client's sleep hook: records how long it was told to wait, never waits."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def waits() -> Waits:
    return Waits()


def client_for(gh: FakeGitHub, waits: Waits | None = None, **overrides: Any) -> GitHubClient:
    options: dict[str, Any] = {"api_url": gh.api_url, "sleep": waits or Waits(), "clock": lambda: NOW}
    options.update(overrides)
    return GitHubClient(TOKEN, **options)


def files(count: int) -> list[dict[str, Any]]:
    return [FakeGitHub.file(f"src/f{i:04d}.py", additions=i % 7) for i in range(count)]


# -- pagination --------------------------------------------------------------------------------


def test_files_across_three_pages_come_back_in_order(gh: FakeGitHub) -> None:
    gh.add_pull(REPO, 7, files=files(250))
    with client_for(gh) as client:
        got = client.pull_request_files(REPO, 7)
    assert [f.filename for f in got] == [f"src/f{i:04d}.py" for i in range(250)]
    assert got[3] == PullFile("src/f0003.py", "modified", 3, 0, "@@ -1 +1,2 @@\n x\n+y")
    requests = gh.requests
    assert len(requests) == 3
    assert requests[0].path == "/repos/octo-org/app.v2/pulls/7/files"
    assert requests[0].query == {"per_page": ["100"]}
    # Pages 2 and 3 are GitHub's own Link targets, followed verbatim (not rebuilt from the repo name).
    assert [r.query for r in requests[1:]] == [
        {"per_page": ["100"], "page": ["2"]},
        {"per_page": ["100"], "page": ["3"]},
    ]
    assert all(r.path.startswith("/repositories/") for r in requests[1:])


def test_every_request_carries_the_github_headers(gh: FakeGitHub) -> None:
    gh.add_pull(REPO, 1)
    with client_for(gh) as client:
        client.pull_request(REPO, 1)
    request = gh.requests[0]
    assert request.header("accept") == "application/vnd.github+json"
    assert request.header("x-github-api-version") == "2022-11-28"
    assert request.header("authorization") == f"Bearer {TOKEN}"
    assert request.header("user-agent") == f"slo-gate/{__version__}"


def test_without_a_token_no_authorization_header_is_sent() -> None:
    with FakeGitHub() as gh:
        gh.add_pull(REPO, 1)
        with GitHubClient(None, api_url=gh.api_url) as client:
            assert client.pull_request(REPO, 1)["number"] == 1
        assert gh.requests[0].header("authorization") is None


def test_a_3500_file_pull_request_lists_the_first_3000(gh: FakeGitHub) -> None:
    gh.add_pull(REPO, 9, files=files(3500), changed_files=3500)
    with client_for(gh) as client:
        got = client.pull_request_files(REPO, 9)
    assert len(got) == api.MAX_PULL_FILES == 3000
    assert got[-1].filename == "src/f2999.py"
    assert len(gh.requests) == 30


def test_commit_messages_all_pages_capped_at_250(gh: FakeGitHub) -> None:
    messages = [f"fix: thing {i}\n\nbody {i}" for i in range(260)]
    gh.add_pull(REPO, 3, commits=messages)
    with client_for(gh) as client:
        got = client.pull_request_commit_messages(REPO, 3)
    assert got == messages[:250]
    assert len(gh.requests) == 3


def test_paginate_stops_at_max_items(gh: FakeGitHub) -> None:
    gh.add_pull(REPO, 4, files=files(250))
    with client_for(gh) as client:
        got = client.paginate(f"/repos/{REPO}/pulls/4/files", {"per_page": 100}, max_items=120)
    assert len(got) == 120
    assert len(gh.requests) == 2


def test_github_enterprise_base_path() -> None:
    with FakeGitHub(prefix="/api/v3", token=TOKEN) as gh:
        gh.add_pull(REPO, 5, files=files(150), title="GHES")
        assert gh.api_url.endswith("/api/v3")
        with client_for(gh) as client:
            assert client.pull_request(REPO, 5)["title"] == "GHES"
            assert len(client.pull_request_files(REPO, 5)) == 150
        paths = [r.path for r in gh.requests]
        assert paths[0] == "/api/v3/repos/octo-org/app.v2/pulls/5"
        assert paths[1] == "/api/v3/repos/octo-org/app.v2/pulls/5/files"
        assert paths[2].startswith("/api/v3/repositories/")


def test_a_next_link_to_another_host_is_refused_and_gets_no_token() -> None:
    with FakeGitHub() as elsewhere, FakeGitHub(token=TOKEN, link_base=elsewhere.url) as gh:
        gh.add_pull(REPO, 8, files=files(150))
        elsewhere.add_pull(REPO, 8, files=files(150))
        with client_for(gh) as client, pytest.raises(ExternalError) as caught:
            client.pull_request_files(REPO, 8)
        assert elsewhere.requests == []  # not one request, so the token never left
        assert len(gh.requests) == 1
    text = str(caught.value)
    assert "refusing to send the token" in text
    assert TOKEN not in text


def test_a_next_link_on_the_same_port_but_another_host_is_refused() -> None:
    with FakeGitHub(token=TOKEN) as gh:
        gh.link_base = gh.url.replace("127.0.0.1", "localhost")
        gh.add_pull(REPO, 8, files=files(150))
        with client_for(gh) as client, pytest.raises(ExternalError, match="localhost"):
            client.pull_request_files(REPO, 8)
        assert len(gh.requests) == 1


def test_a_next_link_that_loops_is_an_error(gh: FakeGitHub) -> None:
    def same_page(fake: FakeGitHub, request: Recorded, match: Any) -> Reply:
        return Reply.json([1], headers={"Link": f'<{fake.url}/loop>; rel="next"'})

    gh.route("GET", r"/loop", same_page)
    with client_for(gh) as client, pytest.raises(ExternalError, match="loops"):
        client.paginate("/loop")
    assert len(gh.requests) == 1  # the link points back at the page just read


def test_a_list_endpoint_that_returns_an_object_is_an_error(gh: FakeGitHub) -> None:
    gh.add_pull(REPO, 1)
    with client_for(gh) as client, pytest.raises(ExternalError, match="JSON array"):
        client.paginate(f"/repos/{REPO}/pulls/1")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('<https://x/a?page=2>; rel="next", <https://x/a?page=9>; rel="last"', "https://x/a?page=2"),
        ('<https://x/a?page=1>; rel="prev", <https://x/a?page=3>; rel="next"', "https://x/a?page=3"),
        ('<https://x/a?page=3>; rel="next last"', "https://x/a?page=3"),
        ("<https://x/a?page=3>; rel=next", "https://x/a?page=3"),
        ('<https://x/a?page=1>; rel="prev"', None),
        ("", None),
        (None, None),
    ],
)
def test_link_header_next(header: str | None, expected: str | None) -> None:
    assert api._next_link(header) == expected


# -- retries and rate limits -------------------------------------------------------------------


def test_two_server_errors_then_success(gh: FakeGitHub, waits: Waits) -> None:
    gh.add_pull(REPO, 1)
    gh.fail_next(FakeGitHub.server_error(500), times=2)
    with client_for(gh, waits) as client:
        assert client.pull_request(REPO, 1)["number"] == 1
    assert len(gh.requests) == 3
    # Jittered exponential backoff: each wait is within [base/2, base] of 1 s, then 2 s.
    assert len(waits.waits) == 2
    assert 0.5 <= waits.waits[0] <= 1.0
    assert 1.0 <= waits.waits[1] <= 2.0


def test_server_errors_forever_give_up_after_max_retries(gh: FakeGitHub, waits: Waits) -> None:
    gh.add_pull(REPO, 1)
    gh.fail_next(FakeGitHub.server_error(502), times=100)
    with client_for(gh, waits, max_retries=3) as client, pytest.raises(ExternalError) as caught:
        client.pull_request(REPO, 1)
    assert len(gh.requests) == 4
    assert len(waits.waits) == 3
    text = str(caught.value)
    assert f"GET /repos/{REPO}/pulls/1" in text
    assert "HTTP 502" in text
    assert "gave up after 4 attempts" in text


def test_no_retries_means_one_attempt(gh: FakeGitHub, waits: Waits) -> None:
    gh.fail_next(FakeGitHub.server_error(500), times=5)
    with client_for(gh, waits, max_retries=0) as client, pytest.raises(ExternalError, match="1 attempt\\)"):
        client.pull_request(REPO, 1)
    assert len(gh.requests) == 1
    assert waits.waits == []


def test_connection_errors_are_retried() -> None:
    waits = Waits()
    port = closed_port()
    client = GitHubClient(TOKEN, api_url=f"http://127.0.0.1:{port}", sleep=waits, max_retries=2)
    with client, pytest.raises(ExternalError) as caught:
        client.pull_request(REPO, 1)
    assert len(waits.waits) == 2
    assert str(caught.value) == (
        f"GitHub API GET /repos/{REPO}/pulls/1: cannot connect: connection refused (gave up after 3 attempts)"
    )
    assert TOKEN not in str(caught.value)


def test_429_retry_after_is_honoured(gh: FakeGitHub, waits: Waits) -> None:
    gh.add_pull(REPO, 1)
    gh.fail_next(FakeGitHub.retry_after(7))
    with client_for(gh, waits) as client:
        assert client.pull_request(REPO, 1)["number"] == 1
    assert waits.waits == [7.0]
    assert len(gh.requests) == 2


def test_403_secondary_limit_with_retry_after_is_honoured(gh: FakeGitHub, waits: Waits) -> None:
    gh.add_pull(REPO, 1)
    gh.fail_next(FakeGitHub.retry_after(3, status=403))
    with client_for(gh, waits) as client:
        client.pull_request(REPO, 1)
    assert waits.waits == [3.0]


def test_403_primary_limit_waits_until_the_reset(gh: FakeGitHub, waits: Waits) -> None:
    gh.add_pull(REPO, 1, files=files(5))
    gh.fail_next(FakeGitHub.rate_limited(NOW + 42))
    with client_for(gh, waits) as client:
        assert len(client.pull_request_files(REPO, 1)) == 5
    assert waits.waits == [42.0]
    assert len(gh.requests) == 2


def test_403_secondary_limit_without_headers_waits_a_minute(gh: FakeGitHub, waits: Waits) -> None:
    gh.add_pull(REPO, 1)
    message = {"message": "You have exceeded a secondary rate limit and have been temporarily blocked."}
    gh.fail_next(Reply.json(message, status=403))
    with client_for(gh, waits, max_wait=60) as client:
        client.pull_request(REPO, 1)
    assert waits.waits == [60.0]


def test_a_rate_limit_beyond_max_wait_fails_at_once_with_the_reset_time(gh: FakeGitHub, waits: Waits) -> None:
    gh.add_pull(REPO, 1)
    gh.fail_next(FakeGitHub.rate_limited(NOW + 3600), times=10)
    with client_for(gh, waits, max_wait=60) as client, pytest.raises(ExternalError) as caught:
        client.pull_request(REPO, 1)
    assert len(gh.requests) == 1
    assert waits.waits == []
    text = str(caught.value)
    assert "HTTP 403" in text
    assert "API rate limit exceeded" in text
    assert "resets at 2023-11-14T23:13:20Z (in 3600 s)" in text
    assert "60 s" in text


def test_a_429_retry_after_beyond_max_wait_fails_at_once(gh: FakeGitHub, waits: Waits) -> None:
    gh.fail_next(FakeGitHub.retry_after(600), times=10)
    with client_for(gh, waits, max_wait=30) as client, pytest.raises(ExternalError, match="in 600 s"):
        client.pull_request(REPO, 1)
    assert len(gh.requests) == 1


def test_a_403_that_is_not_a_rate_limit_fails_at_once(gh: FakeGitHub, waits: Waits) -> None:
    gh.fail_next(Reply.json({"message": "Resource not accessible by integration"}, status=403), times=5)
    with client_for(gh, waits) as client, pytest.raises(ExternalError) as caught:
        client.pull_request(REPO, 1)
    assert len(gh.requests) == 1
    assert waits.waits == []
    assert "HTTP 403" in str(caught.value)
    assert "Resource not accessible by integration" in str(caught.value)


# -- failures that are not retried -------------------------------------------------------------


def test_404_names_method_path_status_and_githubs_message(gh: FakeGitHub) -> None:
    with client_for(gh) as client, pytest.raises(ExternalError) as caught:
        client.pull_request(REPO, 404)
    assert str(caught.value) == f"GitHub API GET /repos/{REPO}/pulls/404: HTTP 404 Not Found: Not Found"
    assert len(gh.requests) == 1


def test_bad_credentials_is_401_without_the_token(gh: FakeGitHub) -> None:
    with GitHubClient("wrong-token", api_url=gh.api_url) as client, pytest.raises(ExternalError) as caught:
        client.pull_request(REPO, 1)
    assert "HTTP 401" in str(caught.value)
    assert "Bad credentials" in str(caught.value)
    assert "wrong-token" not in str(caught.value)


def test_githubs_message_is_capped_and_printable(gh: FakeGitHub) -> None:
    gh.fail_next(Reply.json({"message": "bad\x1b[31m thing\n" + "x" * 500}, status=422))
    with client_for(gh) as client, pytest.raises(ExternalError) as caught:
        client.pull_request(REPO, 1)
    text = str(caught.value)
    assert "\x1b" not in text
    assert "\n" not in text
    assert text.endswith("…")
    assert len(text) < 320


def test_a_redirect_is_refused(gh: FakeGitHub) -> None:
    location = "https://elsewhere.example/moved?access_token=abc123"
    gh.fail_next(Reply(status=301, headers=(("Location", location),)), times=5)
    with client_for(gh) as client, pytest.raises(ExternalError) as caught:
        client.pull_request(REPO, 1)
    text = str(caught.value)
    assert "redirects are not followed" in text
    assert "https://elsewhere.example/moved" in text
    assert "abc123" not in text
    assert len(gh.requests) == 1


def test_a_body_that_is_not_json_is_an_error(gh: FakeGitHub) -> None:
    gh.fail_next(Reply.text("<html>hello</html>", content_type="text/html"))
    with (
        client_for(gh) as client,
        pytest.raises(ExternalError, match="not JSON \\(content-type text/html\\)"),
    ):
        client.pull_request(REPO, 1)


def test_a_body_over_the_cap_is_an_error(gh: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "_MAX_BODY_BYTES", 1000)
    gh.add_pull(REPO, 1, files=files(100))
    with client_for(gh) as client, pytest.raises(ExternalError, match="1000-byte limit"):
        client.pull_request_files(REPO, 1)


def test_a_chunked_body_over_the_cap_is_an_error(gh: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "_MAX_BODY_BYTES", 1000)
    gh.fail_next(Reply.text(b"[" + b"1," * 2000 + b"1]", content_type="application/json", chunked=True))
    with client_for(gh) as client, pytest.raises(ExternalError, match="exceeds the 1000-byte limit"):
        client.pull_request(REPO, 1)


def test_a_malformed_file_entry_is_an_error(gh: FakeGitHub) -> None:
    gh.add_pull(REPO, 1, files=[{"filename": "a.py", "status": "modified", "additions": "1", "deletions": 0}])
    with client_for(gh) as client, pytest.raises(ExternalError, match="file entry 0"):
        client.pull_request_files(REPO, 1)


def test_patchless_and_renamed_entries_parse(gh: FakeGitHub) -> None:
    gh.add_pull(
        REPO,
        1,
        files=[
            FakeGitHub.file("logo.png", "added", 0, 0, patch=None),
            FakeGitHub.file("new.py", "renamed", 0, 0, patch=None, previous_filename="old.py"),
        ],
    )
    with client_for(gh) as client:
        got = client.pull_request_files(REPO, 1)
    assert got == [
        PullFile("logo.png", "added", 0, 0, None),
        PullFile("new.py", "renamed", 0, 0, None, "old.py"),
    ]


# -- input validation and secrecy --------------------------------------------------------------


@pytest.mark.parametrize(
    "repo", ["octo", "octo/", "/app", "octo/app/x", "../app", "octo/..", "octo/.", "o/a?b", "o/a b", "o/a%2f"]
)
def test_bad_repo_names_are_refused_before_any_request(gh: FakeGitHub, repo: str) -> None:
    with client_for(gh) as client, pytest.raises(UsageError, match="owner/name"):
        client.pull_request_files(repo, 1)
    assert gh.requests == []


@pytest.mark.parametrize("number", [0, -1, True])
def test_bad_pull_numbers_are_refused(gh: FakeGitHub, number: int) -> None:
    with client_for(gh) as client, pytest.raises(UsageError, match="positive integer"):
        client.pull_request(REPO, number)
    assert gh.requests == []


@pytest.mark.parametrize(
    "path", ["repos/x", "/repos/../x", "/repos/x?y=1", "https://evil.example/x", "/a//b"]
)
def test_get_json_refuses_paths_that_are_not_plain(gh: FakeGitHub, path: str) -> None:
    with client_for(gh) as client, pytest.raises(UsageError):
        client.get_json(path)
    assert gh.requests == []


@pytest.mark.parametrize(
    "url",
    ["ftp://github.example", "https://", "https://user:hunter2@github.example", "https://h.example/?q=1"],
)
def test_bad_api_urls_are_refused_without_echoing_credentials(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        GitHubClient(TOKEN, api_url=url)
    assert "hunter2" not in str(caught.value)


def test_a_token_with_a_newline_is_refused_without_echo() -> None:
    with pytest.raises(UsageError) as caught:
        GitHubClient("abc\r\nX-Evil: 1")
    assert "abc" not in str(caught.value)


def test_the_token_never_shows(gh: FakeGitHub) -> None:
    client = client_for(gh)
    assert TOKEN not in repr(client)
    assert "***" in repr(client)
    texts = []
    # GitHub echoing the token back (it does not, but a proxy might) is masked too.
    for reply in (
        Reply.json({"message": f"token {TOKEN} is bad"}, status=401),
        FakeGitHub.server_error(),
        FakeGitHub.rate_limited(NOW + 10_000),
        Reply.text("not json"),
    ):
        gh.fail_next(reply, times=10)
        with pytest.raises(ExternalError) as caught:
            client.pull_request(REPO, 1)
        texts.append(str(caught.value))
        gh.clear_faults()
    client.close()
    assert all(TOKEN not in text for text in texts)
    assert "token *** is bad" in texts[0]


# -- issue 9 regressions: retry classes, the deadline, masking ------------------------------------


@pytest.mark.parametrize("status", [400, 401, 404, 422, 501])
def test_answers_another_attempt_cannot_fix_are_not_retried(
    gh: FakeGitHub, waits: Waits, status: int
) -> None:
    gh.add_pull(REPO, 1)
    gh.fail_next(Reply.json({"message": "no"}, status=status))
    with client_for(gh, waits) as client, pytest.raises(GitHubHTTPError) as caught:
        client.pull_request(REPO, 1)
    assert caught.value.status == status
    assert len(gh.requests) == 1
    assert waits.waits == []


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504])
def test_transient_answers_are_retried(gh: FakeGitHub, waits: Waits, status: int) -> None:
    gh.add_pull(REPO, 1)
    gh.fail_next(Reply.json({"message": "busy"}, status=status))
    with client_for(gh, waits) as client:
        assert client.pull_request(REPO, 1)["number"] == 1
    assert len(gh.requests) == 2
    assert len(waits.waits) == 1 and 0.5 <= waits.waits[0] <= 1.0


def test_a_trickling_server_is_cut_off_by_the_deadline(waits: Waits) -> None:
    clock = iter(range(10_000))  # one second passes per socket operation
    deadline = Deadline(3, clock=lambda: float(next(clock)))
    with TrickleServer(interval=0.01, limit=2000) as server:
        client = GitHubClient(TOKEN, api_url=server.url, timeout=5, sleep=waits, deadline=deadline)
        with client, pytest.raises(ExternalError) as caught:
            client.pull_request(REPO, 1)
        served = server.served
    assert "deadline of 3 s exceeded" in str(caught.value)
    assert served < server.limit
    assert waits.waits == []


def test_a_basic_credential_in_a_body_is_masked_too(gh: FakeGitHub) -> None:
    encoded = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    gh.fail_next(Reply.json({"message": f"bad Authorization: Basic {encoded} ({TOKEN})"}, status=401))
    with client_for(gh) as client, pytest.raises(GitHubHTTPError) as caught:
        client.pull_request(REPO, 1)
    assert encoded not in str(caught.value)
    assert TOKEN not in str(caught.value)
