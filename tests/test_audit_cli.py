"""The audit log end to end: `check` records to a real git branch (bare remote, real clones), then
`audit verify|log|replay|settle|report` read it; budget impact learns from settled deploys. Metrics
come from the real Prometheus fixture.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from gate.audit.record import DecisionRecord, parse_record
from gate.audit.replay import replay
from tests.promfixture.server import FixturePrometheus
from tests.support.cli import run_cli
from tests.support.git import git

ROOT = Path(__file__).resolve().parent.parent
DAY = 86400.0
DIFF = (
    "diff --git a/services/payments/lib/format.py b/services/payments/lib/format.py\n"
    "--- a/services/payments/lib/format.py\n+++ b/services/payments/lib/format.py\n"
    "@@ -1,0 +1,1 @@\n+AMOUNT_PRECISION = 2\n"
)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clone of a bare remote, with the repository's policies committed and a local change pending."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(remote), str(work))
    (work / "policies").mkdir()
    for name in ("payments.yaml", "checkout.yaml", "search.yaml"):
        (work / "policies" / name).write_text((ROOT / "policies" / name).read_text("utf-8"), encoding="utf-8")
    (work / "change.diff").write_text(DIFF, encoding="utf-8")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "policies")
    git(work, "push", "-q", "origin", "main")
    (work / "notes.txt").write_text("uncommitted work\n", encoding="utf-8")
    monkeypatch.chdir(work)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    return work


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return run_cli(*args, env=env)


def gate_check(
    prometheus: FixturePrometheus,
    *extra: str,
    at: float | None = None,
    env: dict[str, str] | None = None,
    diff: str = "change.diff",
    output_format: str = "json",
) -> Result:
    """`slo-gate check` of the payments service on a one-line change, in the workspace."""
    return run(
        "check",
        "--policy",
        "policies",
        "--service",
        "payments",
        "--prometheus-url",
        prometheus.url,
        "--at",
        str(at if at is not None else prometheus.end_time),
        "--diff",
        diff,
        "--no-llm",
        "--format",
        output_format,
        *extra,
        env=env,
    )


def check(
    prometheus: FixturePrometheus, *extra: str, at: float | None = None, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    result = gate_check(prometheus, *extra, at=at, env=env)
    if (
        env and env.get("GITHUB_ACTIONS") == "true"
    ):  # stdout is wrapped in stop-commands: read the report file
        assert result.stdout.startswith("::stop-commands::") or "::add-mask::" in result.stdout
        return result.exit_code, json.loads((Path(env["RUNNER_TEMP"]) / "slo-gate-report.json").read_text())
    return result.exit_code, json.loads(result.stdout)


def status(work: Path) -> tuple[str, str, str]:
    return (
        git(work, "status", "--porcelain=v2", "--branch"),
        git(work, "rev-parse", "HEAD"),
        git(work, "for-each-ref", "refs/heads", "refs/tags", "refs/remotes"),
    )


def test_check_records_to_the_branch_and_verify_log_replay_read_it(
    prometheus: FixturePrometheus, workspace: Path
) -> None:
    before = status(workspace)
    code, document = check(prometheus, "--audit", "git:slo-gate-audit")
    assert code == 0 and document["decision"] == "pass"
    [entry] = document["audit"]
    assert (entry["service"], entry["seq"], entry["created"], entry["error"]) == ("payments", 1, True, None)
    assert entry["checkpoint"] == f"1:{entry['hash']}"
    assert status(workspace) == before  # branch, index, working tree and refs untouched

    verified = run(
        "audit", "verify", "--branch", "slo-gate-audit", "--checkpoint", f"payments:{entry['checkpoint']}"
    )
    assert verified.exit_code == 0, verified.output
    assert f"ok   audit/payments.jsonl: 1 records, head {entry['hash']}" in verified.output

    listed = run("audit", "log", "--branch", "slo-gate-audit", "--format", "json")
    [row] = json.loads(listed.output)
    assert (row["id"], row["service"], row["decision"], row["risk"]) == (
        entry["id"],
        "payments",
        "pass",
        "low",
    )

    replayed = run("audit", "replay", "--branch", "slo-gate-audit", entry["id"])
    assert replayed.exit_code == 0
    assert replayed.output.startswith(f"same verdict: payments {entry['id']} was pass, replayed pass")

    # what the record holds: the policy's exact text and every query with its answer
    git(workspace, "fetch", "-q", "origin", "slo-gate-audit")
    [line] = git(workspace, "show", "FETCH_HEAD:audit/payments.jsonl").splitlines()
    record = json.loads(line)
    assert record["policy"]["text"] == (workspace / "policies" / "payments.yaml").read_text("utf-8")
    assert {q["slo"] for q in record["queries"]} == {"availability", "availability-30d"}
    assert all(q["samples"] for q in record["queries"])
    assert record["metrics_source"] == f"prometheus {prometheus.url}"
    assert record["decision"]["outcome"] == "pass" and record["kind"] == "decision"


def test_a_rerun_of_the_same_job_writes_nothing_new(prometheus: FixturePrometheus, workspace: Path) -> None:
    env = {"SLO_GATE_AUDIT": "git:slo-gate-audit", "GITHUB_RUN_ID": "77", "GITHUB_RUN_ATTEMPT": "1"}
    actions = actions_env(workspace, env)
    _, first = check(prometheus, env=actions)
    _, second = check(prometheus, env=actions)
    assert first["audit"][0]["created"] is True and second["audit"][0]["created"] is False
    assert first["audit"][0]["hash"] == second["audit"][0]["hash"]
    log = run("audit", "log", "--branch", "slo-gate-audit", "--format", "json")
    assert len(json.loads(log.output)) == 1


def actions_env(workspace: Path, extra: dict[str, str]) -> dict[str, str]:
    event = workspace.parent / "event.json"
    event.write_text(
        json.dumps({"ref": "refs/heads/main", "before": "0" * 40, "after": "1" * 40}), encoding="utf-8"
    )
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "octo/shop",
        "GITHUB_SHA": "1" * 40,
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTOR": "deployer",
        "RUNNER_TEMP": str(workspace.parent),
        **extra,
    }


def test_a_refused_push_fails_the_gate_unless_the_record_is_optional(
    prometheus: FixturePrometheus, workspace: Path
) -> None:
    hook = workspace.parent / "remote.git" / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'audit branch is protected by policy' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    result = gate_check(prometheus, "--audit", "git:slo-gate-audit", output_format="text")
    assert result.exit_code == 1
    assert "audit: NOT RECORDED (required: the gate fails)" in result.output
    assert "audit branch is protected by policy" in result.output
    assert "overall: FAIL (exit 1)" in result.output

    policy = workspace / "policies" / "payments.yaml"
    policy.write_text(policy.read_text("utf-8") + "\naudit:\n  required: false\n", encoding="utf-8")
    code, document = check(prometheus, "--audit", "git:slo-gate-audit")
    assert code == 0 and document["decision"] == "pass"
    assert document["audit"][0]["required"] is False
    assert "the audit record was NOT written" in document["audit"][0]["error"]


@pytest.mark.slow
def test_settled_deploys_drive_budget_impact_and_the_report(
    prometheus: FixturePrometheus, workspace: Path
) -> None:
    end = prometheus.end_time
    first_code, first = check(prometheus, "--audit", "git:slo-gate-audit")
    assert first_code == 0
    impact = first["services"][0]["impact"]
    assert impact["cost_source"] == "policy gate.expected_cost" and impact["cost"] == pytest.approx(0.005)
    assert impact["after"] == pytest.approx(impact["remaining"] - 0.005)

    deploy_times = [end - DAY * 2 - hour * 3600 for hour in range(5)]
    for at in deploy_times:
        code, _ = check(prometheus, "--audit", "git:slo-gate-audit", at=at)
        assert code == 0
    settled = run(
        "audit", "settle", "--branch", "slo-gate-audit", "--prometheus-url", prometheus.url, "--at", str(end)
    )
    assert settled.exit_code == 0, settled.output
    assert settled.output.count("settled payments deploy") == 5  # the one at `end` is too young
    again = run(
        "audit", "settle", "--branch", "slo-gate-audit", "--prometheus-url", prometheus.url, "--at", str(end)
    )
    assert again.output.strip() == "nothing to settle"

    _, later = check(prometheus, "--audit", "git:slo-gate-audit")
    impact = later["services"][0]["impact"]
    assert impact["cost_source"] == "median of 5 settled low deploys of payments"
    costs = settlement_costs()
    assert impact["cost"] == pytest.approx(sorted(costs)[2])

    report = run(
        "audit",
        "report",
        "--branch",
        "slo-gate-audit",
        "--since",
        "30d",
        "--at",
        str(end),
        "--format",
        "json",
    )
    assert report.exit_code == 0, report.output
    [payments] = json.loads(report.stdout)["services"]
    assert (payments["deploys"], payments["settled"]) == (7, 5)
    assert payments["total_cost"] == pytest.approx(sum(costs))
    per_deploy = payments["per_deploy"]
    assert len(per_deploy) == 7 and sum(1 for d in per_deploy if d["cost"] is None) == 2
    assert sorted(d["cost"] for d in per_deploy if d["cost"] is not None) == pytest.approx(sorted(costs))
    [low] = payments["by_risk"]
    assert (low["risk"], low["median_cost"]) == ("low", pytest.approx(sorted(costs)[2]))
    verify = run("audit", "verify", "--branch", "slo-gate-audit")
    assert "ok   audit/payments.jsonl: 12 records" in verify.output


def settlement_costs() -> list[float]:
    git(Path.cwd(), "fetch", "-q", "origin", "slo-gate-audit")
    lines = git(Path.cwd(), "show", "FETCH_HEAD:audit/payments.jsonl").splitlines()
    return [json.loads(line)["cost"] for line in lines if json.loads(line)["kind"] == "settlement"]


def test_replay_reports_a_changed_verdict(prometheus: FixturePrometheus, workspace: Path) -> None:
    check(prometheus, "--audit", "file:audit.jsonl")
    record = parse_record(json.loads((workspace / "audit.jsonl").read_text("utf-8").splitlines()[0]))
    assert isinstance(record, DecisionRecord)
    assert replay(record).same
    # the same inputs under a stricter policy: nothing allowed at any budget
    text = record.policy.text.replace("\ngate:\n", "\ngate:\n  tiers:\n    - {allow: []}\n")
    record = record.model_copy(update={"policy": record.policy.model_copy(update={"text": text})})
    stricter = replay(record)
    assert not stricter.same and stricter.replayed == "fail"
    assert stricter.differences[0] == "outcome: recorded pass, replayed fail"


def test_verify_names_the_first_tampered_record(
    prometheus: FixturePrometheus, workspace: Path, tmp_path: Path
) -> None:
    for hour in range(3):
        check(prometheus, "--audit", "git:slo-gate-audit", at=prometheus.end_time - hour * 3600)
    other = tmp_path / "tamper"
    git(tmp_path, "clone", "-q", "-b", "slo-gate-audit", str(tmp_path / "remote.git"), str(other))
    chain = other / "audit" / "payments.jsonl"
    lines = chain.read_text("utf-8").splitlines()
    lines[1] = lines[1].replace('"outcome":"pass"', '"outcome":"fail"')
    chain.write_text("\n".join(lines) + "\n", encoding="utf-8")
    git(other, "commit", "-q", "-am", "fix the record")
    git(other, "push", "-q", "origin", "slo-gate-audit")
    result = run("audit", "verify", "--branch", "slo-gate-audit")
    assert result.exit_code == 1
    assert "BAD  audit/payments.jsonl: seq 2: seq 2: hash does not match its content" in result.output
    # and the gate refuses to append to a broken chain: the run fails, the decision is still reported
    code, document = check(prometheus, "--audit", "git:slo-gate-audit")
    assert code == 1 and document["services"][0]["decision"] == "pass"
    assert "seq 2" in document["audit"][0]["error"]


def test_a_sink_that_cannot_be_set_up_is_reported_not_fatal(
    prometheus: FixturePrometheus, workspace: Path
) -> None:
    code, document = check(prometheus, "--audit", "git:bad..branch")
    assert code == 1
    assert document["services"][0]["decision"] == "pass"
    assert document["audit"][0]["error"] == "'bad..branch' is not a valid git branch name for the audit log"
    assert document["audit"][0]["location"] == "git branch bad..branch on origin"


def test_no_secret_lands_in_a_record(prometheus: FixturePrometheus, workspace: Path) -> None:
    secrets = {
        "SLO_GATE_PROMETHEUS_TOKEN": "prom-" + "s3cr3t" * 4,
        "ANTHROPIC_API_KEY": "sk-ant-" + "k" * 40,
        "GITHUB_TOKEN": "ghs_" + "g" * 36,
    }
    header_secret = "hdr-" + "x9" * 10
    planted = "ghp_" + "Ab1" * 12
    (workspace / "secret.diff").write_text(
        DIFF.replace("+AMOUNT_PRECISION = 2", f"+TOKEN = '{planted}'"),
        encoding="utf-8",
    )
    result = gate_check(
        prometheus,
        "--prometheus-header",
        f"X-Api-Key: {header_secret}",
        "--audit",
        "file:audit.jsonl",
        diff="secret.diff",
        env=secrets,
    )
    assert result.exit_code == 1  # the planted token makes the change high: not allowed at 35 % left
    stored = (workspace / "audit.jsonl").read_text("utf-8")
    for value in [*secrets.values(), header_secret, planted]:
        assert value not in stored
        assert value not in result.output
    record = json.loads(stored)
    assert record["change"]["floor"] == "high"
    assert any("GitHub token" in reason for a in record["change"]["assessments"] for reason in a["reasons"])


def test_review_fixes_for_the_audit_trail(
    prometheus: FixturePrometheus, workspace: Path, tmp_path: Path
) -> None:
    # advisory mode never fails, not even when its audit record cannot be written
    code, document = check(prometheus, "--mode", "advisory", "--audit", "file:/proc/nope/audit.jsonl")
    assert code == 0 and document["audit"][0]["required"] is False and document["audit"][0]["error"]

    # two checks in one job that reach different decisions are both recorded; a true repeat is not
    env = actions_env(
        workspace, {"SLO_GATE_AUDIT": "file:audit.jsonl", "GITHUB_RUN_ID": "9", "GITHUB_JOB": "gate"}
    )
    _, first = check(prometheus, env=env)
    _, advisory = check(prometheus, "--risk", "high", "--mode", "advisory", env=env)
    _, repeat = check(prometheus, env=env)
    assert [first["audit"][0]["created"], advisory["audit"][0]["created"], repeat["audit"][0]["created"]] == [
        True,
        True,
        False,
    ]
    # a record made under --mode replays under that mode
    replayed = run("audit", "replay", "--file", "audit.jsonl", advisory["audit"][0]["id"])
    assert replayed.exit_code == 0, replayed.output
    assert "was warn, replayed warn" in replayed.output

    # a checkpoint against a log that is gone fails verification
    missing = run("audit", "verify", "--file", str(tmp_path / "gone.jsonl"), "--checkpoint", f"1:{'0' * 64}")
    assert missing.exit_code == 1 and "checkpoint(s) say there were" in missing.output
    # service-qualified checkpoints apply to a file's single chain
    point = f"payments:{first['audit'][0]['checkpoint']}"
    assert run("audit", "verify", "--file", "audit.jsonl", "--checkpoint", point).exit_code == 0

    # a policy that disables its audit branch says so instead of staying silent
    policy = workspace / "policies" / "payments.yaml"
    policy.write_text(policy.read_text("utf-8") + '\naudit:\n  branch: ""\n', encoding="utf-8")
    code, document = check(prometheus, "--audit", "git")
    assert code == 0
    assert document["audit"] == [
        {
            "service": "payments",
            "location": "none",
            "id": None,
            "seq": None,
            "hash": None,
            "created": True,
            "error": "not recorded: the policy's audit.branch is empty",
            "required": False,
            "checkpoint": None,
        }
    ]


def test_credentials_in_the_prometheus_url_are_never_shown_or_stored(
    prometheus: FixturePrometheus, workspace: Path
) -> None:
    url = prometheus.url.replace("http://", "http://alice:p@ss-w0rd@")
    result = run(
        "check", "--policy", "policies", "--service", "payments", "--prometheus-url", url,
        "--at", str(prometheus.end_time), "--diff", "change.diff", "--no-llm", "--audit", "file:audit.jsonl",
        "--format", "json",
    )  # fmt: skip
    assert "p@ss-w0rd" not in result.output and "ss-w0rd" not in result.output
    assert json.loads(result.stdout)["metrics_source"] == f"prometheus {prometheus.url}"
    assert "ss-w0rd" not in (workspace / "audit.jsonl").read_text("utf-8")
