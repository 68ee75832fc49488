"""Where the change comes from: --diff, --base/--head, and in a GitHub Actions pull-request run the PR's
commits from git or, when the checkout lacks them, the REST API. Real git, real event payloads, and
a loopback GitHub API; the CLI runs against the real Prometheus fixture.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gate.change import ChangeRequest, RawChange
from gate.compose import Runtime, collect_change
from tests.promfixture.server import FixturePrometheus
from tests.support.cli import run_cli
from tests.support.fake_github import FakeGitHub
from tests.support.git import git
from tests.support.httpstub import Reply, record_waits

ROOT = Path(__file__).resolve().parent.parent
WEBHOOKS = ROOT / "tests" / "data" / "github-webhooks"
REPO = "octo/shop"


def collected(env: dict[str, str], request: ChangeRequest | None = None) -> RawChange:
    """The change as `check` collects it, through the composition root."""
    runtime = Runtime(env)
    try:
        return collect_change(request or ChangeRequest(), runtime)
    finally:
        runtime.close()


def rev(cwd: Path, ref: str = "HEAD") -> str:
    return git(cwd, "rev-parse", ref).strip()


def make_repo(path: Path) -> tuple[str, str]:
    """A repository with a base commit and a head commit that changes a payments file."""
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "services/payments/lib").mkdir(parents=True)
    (path / "services/payments/lib/format.py").write_text("PRECISION = 2\n")
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "base")
    base = rev(path)
    (path / "services/payments/lib/format.py").write_text("PRECISION = 2\nROUNDING = 'half-even'\n")
    git(path, "commit", "-q", "-am", "Round half-even\n\nMatches the ledger.")
    return base, rev(path)


def event_file(tmp_path: Path, base: str, head: str, number: int = 7, **pr: Any) -> Path:
    payload = json.loads((WEBHOOKS / "pull_request.opened.payload.json").read_text("utf-8"))
    payload["number"] = number
    payload["pull_request"]["number"] = number
    payload["pull_request"]["base"]["sha"] = base
    payload["pull_request"]["head"]["sha"] = head
    payload["pull_request"].update(pr)
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def actions_env(event: Path, workspace: Path, api_url: str = "http://127.0.0.1:9") -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": api_url,
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_SHA": "0" * 40,
        "GITHUB_RUN_ID": "1",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_TOKEN": "ghs_" + "t" * 36,
        "RUNNER_TEMP": str(workspace.parent),
    }


def test_a_pull_request_run_reads_the_change_from_git_when_the_checkout_has_it(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    base, head = make_repo(workspace)
    env = actions_env(event_file(tmp_path, base, head, title="Round half-even", body="Body text"), workspace)
    raw = collected(env)
    assert raw.origin == f"git diff {base[:12]}...{head[:12]} (PR #7)"
    assert raw.diff_text is not None and "+ROUNDING = 'half-even'" in raw.diff_text
    assert (raw.title, raw.body) == ("Round half-even", "Body text")
    assert raw.commits == ("Round half-even\n\nMatches the ledger.",)
    assert raw.parsed is None  # parsed later from the cleaned text


def test_without_history_the_change_comes_from_the_api(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    git(workspace, "init", "-q")  # a checkout that lacks the PR's commits
    with FakeGitHub(token="ghs_" + "t" * 36) as gh:
        gh.add_pull(
            REPO,
            7,
            files=[
                gh.file(
                    "services/payments/lib/format.py",
                    additions=1,
                    patch="@@ -1 +1,2 @@\n PRECISION = 2\n+R = 1",
                ),
                gh.file("services/payments/static/logo.png", additions=0, patch=None),
            ],
            commits=["Round half-even"],
        )
        env = actions_env(event_file(tmp_path, "a" * 40, "b" * 40), workspace, gh.api_url)
        raw = collected(env)
        auth = {r.header("authorization") for r in gh.requests}
    assert raw.origin == "GitHub API: PR #7 files (2)"
    assert raw.notes and raw.notes[0].startswith("git could not diff the PR's commits")
    assert raw.parsed is not None
    assert [(f.path, f.added, f.no_patch) for f in raw.parsed.files] == [
        ("services/payments/lib/format.py", 1, False),
        ("services/payments/static/logo.png", 0, True),
    ]
    assert raw.commits == ("Round half-even",)
    assert auth == {"Bearer ghs_" + "t" * 36}


def test_an_unreadable_change_is_judged_high_not_skipped(
    prometheus: FixturePrometheus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_waits(monkeypatch)  # GitHub's 500s are retried without sleeping
    workspace = tmp_path / "ws"
    workspace.mkdir()
    git(workspace, "init", "-q")
    git(workspace, "commit", "-q", "--allow-empty", "-m", "base")  # the base exists; the head does not
    with FakeGitHub() as gh:
        gh.fail_next(Reply.json({"message": "Server Error"}, status=500), times=20)
        env = actions_env(event_file(tmp_path, rev(workspace), "b" * 40), workspace, gh.api_url)
        result = run_cli(
            *[
                "check",
                "--policy",
                str(ROOT / "policies"),
                "--prometheus-url",
                prometheus.url,
                "--at",
                str(prometheus.end_time),
                "--format",
                "json",
                "--no-llm",
                "--audit",
                "none",
            ],
            env=env,
        )
    assert result.output.startswith("::add-mask::") or result.output.startswith("::stop-commands::")
    document = json.loads((workspace.parent / "slo-gate-report.json").read_text("utf-8"))
    change = document["change"]
    assert change["risk"] == "high"
    reasons = [r for a in change["assessments"] for r in a["reasons"]]
    assert any(
        r.startswith("the change of PR #7 could not be read from git or the GitHub API") for r in reasons
    )
    # the token is printed once, in the runner's ::add-mask:: command, and nowhere else
    assert [line for line in result.output.splitlines() if "ghs_" in line] == ["::add-mask::ghs_" + "t" * 36]


def test_base_and_head_bring_the_commit_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace = tmp_path / "ws"
    base, head = make_repo(workspace)
    monkeypatch.chdir(workspace)
    raw = collected({}, ChangeRequest(base=base, head=head, labels="a, b", title="T"))
    assert raw.commits == ("Round half-even\n\nMatches the ledger.",)
    assert raw.labels == ("a", "b") and raw.title == "T"
    assert raw.origin == f"git diff {base}...{head}"


def test_a_pull_request_event_without_its_payload_is_unreadable_not_empty(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "opened"}), encoding="utf-8")
    env = actions_env(event, tmp_path)
    raw = collected(env)
    assert raw.parsed is not None and raw.diff_text == ""
    assert raw.parsed.incomplete == [
        "the pull_request event carries no pull request, so the change could not be read"
    ]


def test_a_push_run_diffs_the_pushed_range(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    base, head = make_repo(workspace)
    payload = json.loads((WEBHOOKS / "push.payload.json").read_text("utf-8"))
    payload["before"], payload["after"] = base, head
    event = tmp_path / "push.json"
    event.write_text(json.dumps(payload), encoding="utf-8")
    env = {**actions_env(event, workspace), "GITHUB_EVENT_NAME": "push", "GITHUB_SHA": head}
    raw = collected(env)
    assert raw.origin == f"git diff {base[:12]}...{head[:12]} (push)"
    assert raw.diff_text is not None and "+ROUNDING = 'half-even'" in raw.diff_text
    # a shallow deploy checkout without the range: no diff, and a note saying how to get one
    payload["before"] = "1" * 40
    event.write_text(json.dumps(payload), encoding="utf-8")
    raw = collected(env)
    assert raw.diff_text is None and "fetch-depth: 0" in raw.notes[0]
