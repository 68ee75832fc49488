"""The action end to end: `slo-gate check` with runner-like env (GITHUB_* variables, action.yml's env
names, a real webhook event file, output and summary files) against the loopback GitHub fake and the
real Prometheus fixture; the workspace is a real git repository whose base commit holds the policies.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.promfixture.server import FixturePrometheus
from tests.support.cli import run_cli
from tests.support.fake_github import FakeGitHub
from tests.support.git import git
from tests.support.httpstub import Reply, record_waits
from tests.support.runner import github_outputs

ROOT = Path(__file__).resolve().parent.parent
EVENT = ROOT / "tests" / "data" / "github-webhooks" / "pull_request.labeled.payload.json"
TOKEN = "ghs_" + "T0ken" * 7 + "x"
REPO = "Codertocat/Hello-World"
OVERRIDE = "slo-gate/override"
PUSHED, BEFORE, AFTER = "2024-05-01T10:00:00Z", "2024-05-01T09:00:00Z", "2024-05-01T11:00:00Z"


@pytest.fixture
def workspace(tmp_path: Path) -> dict[str, Any]:
    """A repository: base commit with the policies, head commit with a payments change."""
    work = tmp_path / "workspace"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "policies").mkdir()
    for name in ("payments.yaml", "checkout.yaml", "search.yaml"):
        (work / "policies" / name).write_text((ROOT / "policies" / name).read_text("utf-8"), encoding="utf-8")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "base")
    base = git(work, "rev-parse", "HEAD").strip()
    (work / "services/payments/lib").mkdir(parents=True)
    (work / "services/payments/lib/format.py").write_text("AMOUNT_PRECISION = 2\n", encoding="utf-8")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "Round amounts")
    head = git(work, "rev-parse", "HEAD").strip()
    return {"path": work, "base": base, "head": head}


def event(
    ws: dict[str, Any],
    tmp_path: Path,
    labels: list[str],
    action: str = "labeled",
    *,
    label: str | None = None,
    head_repo: str | None = None,
) -> Path:
    payload = json.loads(EVENT.read_text("utf-8"))
    payload["action"] = action
    pr = payload["pull_request"]
    pr["base"]["sha"], pr["head"]["sha"] = ws["base"], ws["head"]
    pr["labels"] = [{"name": name} for name in labels]
    if label is not None:
        payload["label"] = {"name": label}
    if head_repo is not None:
        pr["head"]["repo"]["full_name"] = head_repo
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def runner_env(
    ws: dict[str, Any], tmp_path: Path, gh: FakeGitHub, prometheus: FixturePrometheus, event_path: Path
) -> dict[str, str]:
    runner_temp = tmp_path / "runner_temp"
    runner_temp.mkdir(exist_ok=True)
    return {
        "GITHUB_ACTIONS": "true",
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": gh.api_url,
        "GITHUB_WORKSPACE": str(ws["path"]),
        "GITHUB_SHA": ws["head"],
        "GITHUB_RUN_ID": "4242",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        # action.yml's runs.env names
        "SLO_GATE_POLICY": "policies",
        "SLO_GATE_PROMETHEUS_URL": prometheus.url,
        "SLO_GATE_GITHUB_TOKEN": TOKEN,
        "SLO_GATE_AUDIT_BRANCH": "none",
        "SLO_GATE_COMMENT": "true",
        "SLO_GATE_AT": str(prometheus.end_time),
        "SLO_GATE_MODE": "",  # an unset input arrives as an empty string
        "SLO_GATE_ANTHROPIC_API_KEY": "",
    }


def run_action(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.chdir(env["GITHUB_WORKSPACE"])
    return run_cli("check", env=env)


@pytest.fixture
def gh() -> Any:
    with FakeGitHub(token=TOKEN) as fake:
        payload = json.loads(EVENT.read_text("utf-8"))
        author = payload["pull_request"]["user"]["login"]
        fake.add_pull(REPO, payload["number"], user={"login": author})
        fake.add_token(TOKEN, "github-actions[bot]", installation=True)
        fake.set_timeline(REPO, payload["number"], [])
        fake.set_permission(REPO, "alice", "maintain")
        fake.set_permission(REPO, "bob", "triage")
        fake.set_permission(REPO, author, "admin")
        yield fake


def test_one_comment_after_two_runs_with_outputs_and_summary(
    workspace: dict[str, Any],
    tmp_path: Path,
    gh: FakeGitHub,
    prometheus: FixturePrometheus,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    number = json.loads(EVENT.read_text("utf-8"))["number"]
    gh.timelines[(REPO, number)].append(FakeGitHub.committed(workspace["head"], PUSHED))
    env = runner_env(workspace, tmp_path, gh, prometheus, event(workspace, tmp_path, []))
    first = run_action(env, monkeypatch)
    second = run_action(env, monkeypatch)
    assert first.exit_code == second.exit_code == 0, first.output
    comments = gh.comments[(REPO, number)]
    assert len(comments) == 1  # updated in place, never duplicated
    body = comments[0]["body"]
    assert body.startswith("<!-- slo-gate:comment service=payments -->")
    assert "### slo-gate · payments · ✅ **PASS**" in body and "**Budget impact:**" in body
    assert "Budget left over the window: availability-30d" in body  # the Mermaid chart (rolling window)
    found = github_outputs((tmp_path / "output.txt").read_text("utf-8"))
    assert found["decision"] == "pass" and found["risk"] == "low" and found["category"] == "code"
    assert found["budget-remaining"] == "35.00"
    assert found["comment-url"] == comments[0]["html_url"]
    # under $RUNNER_TEMP, never in the workspace a later `git add -A` would commit
    assert Path(found["report"]) == Path(env["RUNNER_TEMP"]) / "slo-gate-report.json"
    assert not (workspace["path"] / "slo-gate-report.json").exists()
    assert json.loads(Path(found["report"]).read_text("utf-8"))["decision"] == "pass"
    summary = (tmp_path / "summary.md").read_text("utf-8")
    assert summary.count("### slo-gate · payments") == 2  # one per run, appended
    # secrets masked first; the report printed between stop-commands
    lines = first.output.splitlines()
    assert lines[0] == f"::add-mask::{TOKEN}"
    assert lines[1].startswith("::stop-commands::")
    token = lines[1].removeprefix("::stop-commands::")
    assert f"::{token}::" in lines
    assert "policies read from the base commit" in first.output


def test_a_pr_cannot_loosen_the_policy_that_judges_it(
    workspace: dict[str, Any],
    tmp_path: Path,
    gh: FakeGitHub,
    prometheus: FixturePrometheus,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    work = workspace["path"]
    policy = work / "policies" / "payments.yaml"
    base_text = policy.read_text("utf-8")
    policy.write_text(
        base_text + "\n# the PR's own policy would allow anything at any budget\n", encoding="utf-8"
    )
    git(work, "commit", "-q", "-am", "loosen")
    workspace["head"] = git(work, "rev-parse", "HEAD").strip()
    env = runner_env(workspace, tmp_path, gh, prometheus, event(workspace, tmp_path, []))
    run_action(env, monkeypatch)
    report = json.loads((Path(env["RUNNER_TEMP"]) / "slo-gate-report.json").read_text("utf-8"))
    import hashlib

    assert report["services"][0]["policy_sha256"] == hashlib.sha256(base_text.encode()).hexdigest()


@pytest.mark.parametrize(
    ("actor", "at", "honoured", "reason"),
    [
        ("bob", AFTER, False, "applied by @bob, who has triage; needs maintain"),
        ("AUTHOR", AFTER, False, "the PR author"),
        ("dependabot[bot]", AFTER, False, "bot"),
        ("alice", AFTER, True, "applied by @alice (maintain), not the author"),
        ("alice", BEFORE, False, "before the last push"),
    ],
    ids=["triage", "author", "bot", "maintainer", "stale"],
)
def test_override_labels_are_decided_by_who_applied_them_and_when(
    workspace: dict[str, Any],
    tmp_path: Path,
    gh: FakeGitHub,
    prometheus: FixturePrometheus,
    monkeypatch: pytest.MonkeyPatch,
    actor: str,
    at: str,
    honoured: bool,
    reason: str,
) -> None:
    payload = json.loads(EVENT.read_text("utf-8"))
    number = payload["number"]
    who = payload["pull_request"]["user"]["login"] if actor == "AUTHOR" else actor
    gh.timelines[(REPO, number)].extend(
        [FakeGitHub.committed(workspace["head"], PUSHED), FakeGitHub.labeled(OVERRIDE, who, at)]
    )
    env = runner_env(workspace, tmp_path, gh, prometheus, event(workspace, tmp_path, [OVERRIDE]))
    env["SLO_GATE_RISK"] = "high"  # high risk at 35 % left fails unless the override is honoured
    result = run_action(env, monkeypatch)
    report = json.loads((Path(env["RUNNER_TEMP"]) / "slo-gate-report.json").read_text("utf-8"))
    override = report["override"]
    assert override["honoured"] is honoured and reason in override["reason"]
    assert result.exit_code == (0 if honoured else 1)
    assert github_outputs((tmp_path / "output.txt").read_text("utf-8"))["override"].startswith(
        "honoured" if honoured else "ignored"
    )


def test_an_api_failure_never_honours_an_override(
    workspace: dict[str, Any],
    tmp_path: Path,
    gh: FakeGitHub,
    prometheus: FixturePrometheus,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits = record_waits(monkeypatch)  # GitHub's 500s are retried without sleeping
    number = json.loads(EVENT.read_text("utf-8"))["number"]
    gh.timelines[(REPO, number)].append(FakeGitHub.labeled(OVERRIDE, "alice", AFTER))
    gh.route(
        "GET",
        r"/repos/[^/]+/[^/]+/issues/\d+/timeline",
        lambda *_: Reply.json({"message": "boom"}, status=500),
    )
    env = runner_env(workspace, tmp_path, gh, prometheus, event(workspace, tmp_path, [OVERRIDE]))
    env["SLO_GATE_RISK"] = "high"
    result = run_action(env, monkeypatch)
    report = json.loads((Path(env["RUNNER_TEMP"]) / "slo-gate-report.json").read_text("utf-8"))
    assert report["override"]["honoured"] is False and "could not verify" in report["override"]["reason"]
    assert result.exit_code == 1
    assert waits


@pytest.mark.parametrize(
    ("action", "label", "head_repo", "honoured", "reason"),
    [
        ("synchronize", OVERRIDE, None, False, "new commits were pushed after it was applied"),
        ("labeled", "documentation", "evil/fork", False, "from a fork a label counts only in the run"),
        ("labeled", OVERRIDE, "evil/fork", True, "applied by @alice (maintain), not the author"),
    ],
    ids=["synchronize", "fork-other-event", "fork-own-labeled-event"],
)
def test_labels_cannot_outlive_a_push(
    workspace: dict[str, Any],
    tmp_path: Path,
    gh: FakeGitHub,
    prometheus: FixturePrometheus,
    monkeypatch: pytest.MonkeyPatch,
    action: str,
    label: str,
    head_repo: str | None,
    honoured: bool,
    reason: str,
) -> None:
    # the maintainer's label looks newer than the head only because the commit could be backdated
    number = json.loads(EVENT.read_text("utf-8"))["number"]
    gh.timelines[(REPO, number)].extend(
        [FakeGitHub.committed(workspace["head"], BEFORE), FakeGitHub.labeled(OVERRIDE, "alice", AFTER)]
    )
    path = event(workspace, tmp_path, [OVERRIDE], action, label=label, head_repo=head_repo)
    env = runner_env(workspace, tmp_path, gh, prometheus, path)
    env["SLO_GATE_RISK"] = "high"
    env["SLO_GATE_AUDIT_BRANCH"] = "none"
    result = run_action(env, monkeypatch)
    report = json.loads((Path(env["RUNNER_TEMP"]) / "slo-gate-report.json").read_text("utf-8"))
    assert report["override"]["honoured"] is honoured and reason in report["override"]["reason"]
    assert result.exit_code == (0 if honoured else 1)


def test_a_policy_folder_under_a_dot_directory_is_still_read_from_the_base(
    workspace: dict[str, Any],
    tmp_path: Path,
    gh: FakeGitHub,
    prometheus: FixturePrometheus,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    work = workspace["path"]
    (work / ".github").mkdir()
    git(work, "checkout", "-q", workspace["base"])
    git(work, "mv", "policies", ".github/slo")
    git(work, "commit", "-q", "-m", "policies under .github")
    base = git(work, "rev-parse", "HEAD").strip()
    policy = work / ".github" / "slo" / "payments.yaml"
    policy.write_text(
        policy.read_text("utf-8").replace("gate:\n", "gate:\n  mode: advisory\n", 1), encoding="utf-8"
    )
    git(work, "commit", "-q", "-am", "make my own gate advisory")
    workspace.update(base=base, head=git(work, "rev-parse", "HEAD").strip())
    env = runner_env(workspace, tmp_path, gh, prometheus, event(workspace, tmp_path, []))
    env["SLO_GATE_POLICY"] = ".github/slo"
    result = run_action(env, monkeypatch)
    report = json.loads((Path(env["RUNNER_TEMP"]) / "slo-gate-report.json").read_text("utf-8"))
    assert "policies read from the base commit" in result.output, result.output
    assert report["services"][0]["advisory"] is False  # the base's enforce mode judged the PR
    assert report["decision"] == "fail" and result.exit_code == 1
