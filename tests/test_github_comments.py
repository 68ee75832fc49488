"""Sticky PR comments: the real GitHubClient over HTTP against the loopback GitHub fake."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gate.errors import ExternalError, UsageError
from gate.github.api import GitHubClient, ReadOnlyTokenError
from gate.github.comment import MAX_BODY_CHARS, CommentResult, marker, upsert_comment
from gate.github.context import PullRequestInfo
from tests.support.events import labeled_pull_request
from tests.support.fake_github import FakeGitHub
from tests.support.httpstub import Recorded, Reply, closed_port

TOKEN = "ghs_installationT0ken000000000000000000"  # GITHUB_TOKEN-like: comments as github-actions[bot]
USER_TOKEN = "ghp_userT0ken00000000000000000000000000"


def pull_request() -> PullRequestInfo:
    return labeled_pull_request()


PR = pull_request()
REPO = "Codertocat/Hello-World"


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub(token=TOKEN) as fake:
        fake.add_token(USER_TOKEN, "release-robot")
        yield fake


def client_for(gh: FakeGitHub, token: str = TOKEN, **options: Any) -> GitHubClient:
    return GitHubClient(token, api_url=gh.api_url, sleep=lambda _: None, **options)


def writes(gh: FakeGitHub) -> list[Recorded]:
    return [r for r in gh.requests if r.method in ("POST", "PATCH", "DELETE")]


def stored(gh: FakeGitHub) -> list[dict[str, Any]]:
    return gh.comments.get((REPO, PR.number), [])


def test_the_pull_request_comes_from_the_webhook_payload() -> None:
    assert (REPO, PR.number, PR.author) == ("Codertocat/Hello-World", 2, "Codertocat")


def test_first_run_creates_then_unchanged_then_updated_in_place(gh: FakeGitHub) -> None:
    with client_for(gh) as client:
        first = upsert_comment(client, REPO, PR.number, "checkout", "budget 80%\n")
        again = upsert_comment(client, REPO, PR.number, "checkout", "budget 80%\n")
        changed = upsert_comment(client, REPO, PR.number, "checkout", "budget 60%\n")
    assert first.action == "created"
    assert again == CommentResult(first.url, "unchanged")
    assert changed.action == "updated"
    assert first.url == changed.url and first.url is not None and "#issuecomment-" in first.url
    (comment,) = stored(gh)  # one comment after three runs
    assert comment["body"] == "<!-- slo-gate:comment service=checkout -->\nbudget 60%\n"
    assert comment["user"]["login"] == "github-actions[bot]"
    assert [(r.method, r.path) for r in writes(gh)] == [
        ("POST", f"/repos/{REPO}/issues/2/comments"),
        ("PATCH", f"/repos/{REPO}/issues/comments/{comment['id']}"),
    ]
    # GET /user is refused for an installation token, and asked only once per client.
    assert [r.path for r in gh.requests].count("/user") == 1


def test_the_marker_is_the_first_line_once_even_when_the_caller_adds_it(gh: FakeGitHub) -> None:
    with client_for(gh) as client:
        upsert_comment(client, REPO, PR.number, "checkout", marker("checkout") + "\nhello\n")
        result = upsert_comment(client, REPO, PR.number, "checkout", "hello\n")
    assert result.action == "unchanged"
    assert stored(gh)[0]["body"] == "<!-- slo-gate:comment service=checkout -->\nhello\n"


def test_each_service_gets_its_own_comment(gh: FakeGitHub) -> None:
    with client_for(gh) as client:
        upsert_comment(client, REPO, PR.number, "checkout", "a\n")
        upsert_comment(client, REPO, PR.number, "checkout-v2", "b\n")
        upsert_comment(client, REPO, PR.number, "checkout", "c\n")
    bodies = [c["body"] for c in stored(gh)]
    assert bodies == [
        "<!-- slo-gate:comment service=checkout -->\nc\n",
        "<!-- slo-gate:comment service=checkout-v2 -->\nb\n",
    ]


def test_a_comment_by_someone_else_with_the_marker_is_never_edited(gh: FakeGitHub) -> None:
    forged = gh.add_comment(REPO, PR.number, marker("checkout") + "\nall green, merge away", "mallory")
    with client_for(gh) as client:
        created = upsert_comment(client, REPO, PR.number, "checkout", "budget 10%\n")
        updated = upsert_comment(client, REPO, PR.number, "checkout", "budget 5%\n")
    assert (created.action, updated.action) == ("created", "updated")
    assert forged["body"] == marker("checkout") + "\nall green, merge away"
    assert all(r.path != f"/repos/{REPO}/issues/comments/{forged['id']}" for r in writes(gh))
    assert len(stored(gh)) == 2


def test_with_a_read_only_token_the_comment_is_skipped_with_a_note(gh: FakeGitHub) -> None:
    gh.read_only = True
    with client_for(gh) as client:
        result = upsert_comment(client, REPO, PR.number, "checkout", "budget 80%\n")
    assert result.action == "skipped" and result.url is None
    assert result.note is not None
    assert "could not be posted" in result.note and "job summary" in result.note
    assert stored(gh) == []


def test_read_only_with_an_existing_comment_is_skipped_too(gh: FakeGitHub) -> None:
    with client_for(gh) as client:
        first = upsert_comment(client, REPO, PR.number, "checkout", "old\n")
        gh.read_only = True
        result = upsert_comment(client, REPO, PR.number, "checkout", "new\n")
    assert result.action == "skipped" and result.url == first.url
    assert stored(gh)[0]["body"].endswith("old\n")


def test_the_marker_comment_on_page_three_is_found(gh: FakeGitHub) -> None:
    for i in range(210):
        gh.add_comment(REPO, PR.number, f"chatter {i}", "reviewer")
    ours = gh.add_comment(REPO, PR.number, marker("checkout") + "\nsame\n", "github-actions[bot]")
    with client_for(gh) as client:
        result = upsert_comment(client, REPO, PR.number, "checkout", "same\n")
    assert result == CommentResult(ours["html_url"], "unchanged")
    pages = [r for r in gh.requests if r.path.endswith("/comments")]
    assert len(pages) == 3
    assert pages[0].query == {"per_page": ["100"]}
    assert pages[2].query == {"per_page": ["100"], "page": ["3"]}
    assert writes(gh) == []


def test_of_several_the_newest_is_updated_and_the_rest_left(gh: FakeGitHub) -> None:
    old = gh.add_comment(REPO, PR.number, marker("checkout") + "\nv1\n", "github-actions[bot]")
    new = gh.add_comment(REPO, PR.number, marker("checkout") + "\nv2\n", "github-actions[bot]")
    with client_for(gh) as client:
        result = upsert_comment(client, REPO, PR.number, "checkout", "v3\n")
    assert result.action == "updated" and result.url == new["html_url"]
    assert old["body"].endswith("v1\n") and new["body"].endswith("v3\n")


def test_a_user_token_finds_its_own_comments_by_its_login(gh: FakeGitHub) -> None:
    gh.add_comment(REPO, PR.number, marker("checkout") + "\nby actions\n", "github-actions[bot]")
    with client_for(gh, USER_TOKEN) as client:
        assert client.authenticated_login() == "release-robot"
        created = upsert_comment(client, REPO, PR.number, "checkout", "mine\n")
        again = upsert_comment(client, REPO, PR.number, "checkout", "mine\n")
    assert (created.action, again.action) == ("created", "unchanged")
    assert stored(gh)[-1]["user"]["login"] == "release-robot"


def test_an_app_token_names_its_bot_login(gh: FakeGitHub) -> None:
    gh.add_token("ghs_appT0ken", "slo-gate-app[bot]", installation=True)
    with client_for(gh, "ghs_appT0ken") as client:
        first = upsert_comment(client, REPO, PR.number, "checkout", "x\n", bot_logins=["slo-gate-app[bot]"])
        again = upsert_comment(client, REPO, PR.number, "checkout", "x\n", bot_logins=["SLO-Gate-App[bot]"])
    assert (first.action, again.action) == ("created", "unchanged")


def test_a_body_over_githubs_limit_is_cut_with_a_pointer_to_the_summary(gh: FakeGitHub) -> None:
    with client_for(gh) as client:
        upsert_comment(client, REPO, PR.number, "checkout", "x" * 70_000)
    body = stored(gh)[0]["body"]
    assert len(body) == MAX_BODY_CHARS and body.endswith("the job summary has the full report)\n")


@pytest.mark.parametrize("service", ["", "a b", "x-->", "a/b", "é"])
def test_a_service_name_that_cannot_be_a_marker_is_refused(gh: FakeGitHub, service: str) -> None:
    with client_for(gh) as client, pytest.raises(UsageError):
        upsert_comment(client, REPO, PR.number, service, "x")
    assert gh.requests == []


def test_other_api_errors_are_raised_for_the_caller(gh: FakeGitHub) -> None:
    gh.fail_next(FakeGitHub.server_error(), times=5)
    with client_for(gh, max_retries=1) as client, pytest.raises(ExternalError, match="HTTP 500"):
        upsert_comment(client, REPO, PR.number, "checkout", "x")


# -- the client methods underneath ---------------------------------------------------------------


def test_a_write_with_a_read_only_token_is_a_read_only_token_error(gh: FakeGitHub) -> None:
    gh.read_only = True
    with client_for(gh) as client, pytest.raises(ReadOnlyTokenError, match="may only read") as caught:
        client.create_issue_comment(REPO, PR.number, "x")
    assert caught.value.status == 403
    assert len(gh.requests) == 1  # a permission problem is not retried


def test_a_create_that_fails_ambiguously_is_not_retried(gh: FakeGitHub) -> None:
    gh.fail_next(FakeGitHub.server_error(502))
    with client_for(gh) as client, pytest.raises(ExternalError, match="not retried"):
        client.create_issue_comment(REPO, PR.number, "x")
    assert len(gh.requests) == 1


def test_a_create_is_retried_only_when_it_never_reached_the_server(gh: FakeGitHub) -> None:
    gh.fail_next(Reply.close())  # the connection drops before any answer: ambiguous, not retried
    with client_for(gh) as client, pytest.raises(ExternalError, match="not retried"):
        client.create_issue_comment(REPO, PR.number, "x")
    assert len(gh.requests) == 1
    nowhere = f"http://127.0.0.1:{closed_port()}"
    with (
        GitHubClient(TOKEN, api_url=nowhere, sleep=lambda _: None) as client,
        pytest.raises(ExternalError, match="gave up after 4 attempts"),
    ):
        client.create_issue_comment(REPO, PR.number, "x")  # refused: nothing was sent, so retried


def test_an_update_is_retried_like_a_read(gh: FakeGitHub) -> None:
    comment = gh.add_comment(REPO, PR.number, "x", "github-actions[bot]")
    gh.fail_next(FakeGitHub.server_error(502))
    with client_for(gh) as client:
        updated = client.update_issue_comment(REPO, comment["id"], "y")
    assert updated["body"] == "y" and len(gh.requests) == 2


def test_authenticated_login_is_none_when_github_will_not_say(gh: FakeGitHub) -> None:
    with client_for(gh) as client:
        assert client.authenticated_login() is None  # 403 for an installation token
    with client_for(gh, "ghp_unknown") as client:
        assert client.authenticated_login() is None  # 401 bad credentials
    with GitHubClient(None, api_url=gh.api_url) as client:
        assert client.authenticated_login() is None
    assert [r.path for r in gh.requests] == ["/user", "/user"]  # anonymous: no request at all
