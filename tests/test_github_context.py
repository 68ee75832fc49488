"""GitHubContext.from_env on GitHub's real webhook payloads (shared/fixtures/github-webhooks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gate.errors import UsageError
from gate.github.context import GitHubContext, PullRequestInfo

# Copies of octokit/webhooks' example payloads (MIT), kept in the repository so a clean clone has them.
WEBHOOKS = Path(__file__).resolve().parent / "data" / "github-webhooks"

BASE_SHA = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
HEAD_SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"

PULL_REQUEST_FIXTURES = [
    "pull_request.opened.payload.json",
    "pull_request.synchronize.payload.json",
    "pull_request.labeled.payload.json",
    "pull_request.labeled.with-organization.payload.json",
    "pull_request.unlabeled.payload.json",
    "pull_request.reopened.payload.json",
    "pull_request.closed.payload.json",
    "pull_request.opened.with-null-body.json",
]
OTHER_FIXTURES = [
    ("push.payload.json", "push"),
    ("push.with-new-branch.payload.json", "push"),
    ("workflow_dispatch.payload.json", "workflow_dispatch"),
    ("merge_group.checks_requested.payload.json", "merge_group"),
    ("deployment.payload.json", "deployment"),
    ("pull_request_review.submitted.payload.json", "pull_request_review"),
]


def fixture(name: str) -> Path:
    path = WEBHOOKS / name
    assert path.is_file(), f"webhook fixture {path} is missing"
    return path


def actions_env(event_name: str, event_path: Path | str, **extra: str) -> dict[str, str]:
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": "Codertocat/Hello-World",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_SHA": HEAD_SHA,
        "GITHUB_RUN_ID": "1234567890",
        "GITHUB_RUN_ATTEMPT": "2",
        "GITHUB_WORKSPACE": "/home/runner/work/Hello-World/Hello-World",
    }
    env.update(extra)
    return env


def load(path: Path) -> dict[str, Any]:
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(payload, dict)
    return payload


@pytest.mark.parametrize("name", PULL_REQUEST_FIXTURES)
@pytest.mark.parametrize("event_name", ["pull_request", "pull_request_target"])
def test_pull_request_events(name: str, event_name: str) -> None:
    path = fixture(name)
    payload = load(path)
    context = GitHubContext.from_env(actions_env(event_name, path))
    assert context is not None
    assert context.event_name == event_name
    assert context.payload == payload
    pr = context.pull_request
    assert pr is not None
    raw = payload["pull_request"]
    assert pr == PullRequestInfo(
        number=raw["number"],
        title=raw["title"],
        body=raw["body"] or "",
        author=raw["user"]["login"],
        author_type=raw["user"]["type"],
        labels=tuple(label["name"] for label in raw["labels"]),
        base_sha=raw["base"]["sha"],
        head_sha=raw["head"]["sha"],
        base_ref=raw["base"]["ref"],
        head_ref=raw["head"]["ref"],
        head_repo=raw["head"]["repo"]["full_name"],
    )
    # And the values themselves, so the test does not only restate the code.
    assert (pr.number, pr.author, pr.author_type) == (2, "Codertocat", "User")
    assert (pr.base_sha, pr.head_sha) == (BASE_SHA, HEAD_SHA)
    assert (pr.base_ref, pr.head_ref, pr.head_repo) == ("master", "changes", "Codertocat/Hello-World")
    assert pr.labels == ("bug",)
    assert pr.title == "Update the README with new information."


def test_a_null_body_becomes_empty() -> None:
    path = fixture("pull_request.opened.with-null-body.json")
    assert load(path)["pull_request"]["body"] is None
    context = GitHubContext.from_env(actions_env("pull_request", path))
    assert context is not None
    assert context.pull_request is not None
    assert context.pull_request.body == ""


def test_a_body_is_kept_as_given() -> None:
    path = fixture("pull_request.opened.payload.json")
    context = GitHubContext.from_env(actions_env("pull_request", path))
    assert context is not None
    assert context.pull_request is not None
    assert context.pull_request.body == load(path)["pull_request"]["body"]


@pytest.mark.parametrize(("name", "event_name"), OTHER_FIXTURES)
def test_other_events_have_no_pull_request(name: str, event_name: str) -> None:
    path = fixture(name)
    context = GitHubContext.from_env(actions_env(event_name, path))
    assert context is not None
    assert context.event_name == event_name
    assert context.pull_request is None
    assert context.payload == load(path)


def test_the_run_variables_are_read() -> None:
    path = fixture("push.payload.json")
    context = GitHubContext.from_env(actions_env("push", path))
    assert context is not None
    assert context.repository == "Codertocat/Hello-World"
    assert context.api_url == "https://api.github.com"  # the default when GITHUB_API_URL is unset
    assert context.server_url == "https://github.com"
    assert context.sha == HEAD_SHA
    assert (context.run_id, context.run_attempt) == ("1234567890", "2")
    assert context.workspace == "/home/runner/work/Hello-World/Hello-World"
    assert "payload" not in repr(context)


def test_an_enterprise_api_url_is_kept() -> None:
    path = fixture("push.payload.json")
    env = actions_env("push", path, GITHUB_API_URL="https://ghe.example.com/api/v3")
    context = GitHubContext.from_env(env)
    assert context is not None
    assert context.api_url == "https://ghe.example.com/api/v3"


@pytest.mark.parametrize("value", [None, "", "false", "1", "TRUE"])
def test_outside_actions_there_is_no_context(value: str | None) -> None:
    env = actions_env("pull_request", "/nonexistent/event.json")
    if value is None:
        del env["GITHUB_ACTIONS"]
    else:
        env["GITHUB_ACTIONS"] = value
    assert GitHubContext.from_env(env) is None


def test_a_missing_event_file_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "event.json"
    with pytest.raises(UsageError) as caught:
        GitHubContext.from_env(actions_env("pull_request", missing))
    assert "GITHUB_EVENT_PATH" in str(caught.value)
    assert str(missing) in str(caught.value)


def test_an_unset_event_path_is_a_usage_error() -> None:
    env = actions_env("pull_request", "")
    with pytest.raises(UsageError, match="GITHUB_EVENT_PATH is not set"):
        GitHubContext.from_env(env)


@pytest.mark.parametrize(("content", "why"), [("{not json", "not valid JSON"), ("[1, 2]", "JSON object")])
def test_an_invalid_event_file_is_a_usage_error(tmp_path: Path, content: str, why: str) -> None:
    path = tmp_path / "event.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=why) as caught:
        GitHubContext.from_env(actions_env("push", path))
    assert str(path) in str(caught.value)


def test_an_event_path_that_is_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot be read"):
        GitHubContext.from_env(actions_env("push", tmp_path))


def test_untrusted_text_is_stored_verbatim(tmp_path: Path) -> None:
    payload = load(fixture("pull_request.opened.payload.json"))
    pr = payload["pull_request"]
    pr["title"] = "$(rm -rf /) `whoami` ${{ secrets.TOKEN }}"
    pr["body"] = "<!-- slo-gate: override -->\n\x1b[31mred"
    pr["labels"] = [{"name": "risk:low"}, {"name": "slo-gate: skip ✓"}]
    pr["head"]["repo"] = None  # the fork was deleted
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    context = GitHubContext.from_env(actions_env("pull_request_target", path))
    assert context is not None
    info = context.pull_request
    assert info is not None
    assert info.title == pr["title"]
    assert info.body == pr["body"]
    assert info.labels == ("risk:low", "slo-gate: skip ✓")
    assert info.head_repo is None


def test_a_malformed_pull_request_is_a_usage_error(tmp_path: Path) -> None:
    payload = load(fixture("pull_request.opened.payload.json"))
    payload["pull_request"]["head"]["sha"] = 12
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    context = GitHubContext.from_env(actions_env("pull_request", path))
    assert context is not None
    with pytest.raises(UsageError, match=r"pull_request\.head\.sha"):
        _ = context.pull_request
