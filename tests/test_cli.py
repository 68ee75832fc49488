"""The CLI end to end: real policies, a real Prometheus, real git, the real entry point."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.promfixture.server import FixturePrometheus
from tests.support.cli import run_cli
from tests.support.httpstub import closed_port, record_waits

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
DEMO_DIFF = ROOT / "gate" / "data" / "demo" / "change.diff"


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
    return run_cli(*args, stdin=stdin, env=env)


def check_json(prometheus: FixturePrometheus, *args: str) -> tuple[int, dict[str, Any]]:
    result = run(
        "check",
        "--policy",
        str(POLICIES),
        "--prometheus-url",
        prometheus.url,
        "--at",
        str(prometheus.end_time),
        "--format",
        "json",
        "--no-llm",
        *args,
    )
    return result.exit_code, json.loads(result.output)


def by_service(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services = document["services"]
    assert isinstance(services, list)
    return {s["service"]: s for s in services}


def test_check_json_contract(prometheus: FixturePrometheus) -> None:
    code, document = check_json(prometheus, "--diff", str(DEMO_DIFF))
    assert code == 1
    assert document["schema_version"] == 1
    assert document["decision"] == "fail"
    assert document["exit_code"] == 1
    assert document["evaluated_at"] == "2026-10-20T12:00:00Z"
    services = by_service(document)
    assert {name: s["decision"] for name, s in services.items()} == {
        "checkout": "pass",
        "payments": "fail",
        "search": "fail",
    }
    checkout = services["checkout"]
    assert len(str(checkout["policy_sha256"])) == 64
    slos = {s["name"]: s for s in checkout["slos"]}
    assert slos["availability"]["budget_remaining"] == pytest.approx(0.85, rel=1e-6)
    assert slos["latency"]["budget_remaining"] == pytest.approx(0.6, rel=1e-6)
    assert set(slos["availability"]["burn_rates"]) == {"5m", "30m", "1h", "2h", "6h", "1d", "3d"}
    for key in ("objective", "window", "alert", "exhaustion_hours", "events", "status", "reason"):
        assert key in slos["availability"]
    assert services["search"]["reasons"][0]["code"] == "freeze"
    assert services["payments"]["tier"]["index"] == 1
    change = document["change"]
    assert isinstance(change, dict)
    assert (change["risk"], change["category"], change["floor"]) == ("medium", "code", "medium")
    assert change["llm"]["note"] == "rules only: --no-llm given"
    assert document["override"] is None
    assert document["audit"] == []  # a local run records nothing unless --audit says where


def test_check_text_table(prometheus: FixturePrometheus) -> None:
    result = run(
        "check", "--policy", str(POLICIES / "search.yaml"), "--prometheus-url", prometheus.url,
        "--at", "2026-10-20T12:00:00Z", "--risk", "low", "--no-llm",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "search  [" in result.output and "decision: FAIL" in result.output
    header = next(line for line in result.output.splitlines() if line.strip().startswith("SLO"))
    for column in ("objective", "budget left", "burn 1h", "burn 6h", "burn 3d", "alert", "exhaustion"):
        assert column in header
    assert "82.7%" in result.output and "20.00x" in result.output and "page" in result.output
    assert "overall: FAIL (exit 1)" in result.output


def test_paths_route_a_monorepo_change(prometheus: FixturePrometheus, tmp_path: Path) -> None:
    diff = DEMO_DIFF.read_text().split("diff --git a/services/payments")[0]
    (tmp_path / "checkout.diff").write_text(diff)
    code, document = check_json(prometheus, "--diff", str(tmp_path / "checkout.diff"))
    assert code == 0
    assert [s["service"] for s in document["services"]] == ["checkout"]
    assert sorted(s["service"] for s in document["skipped"]) == ["payments", "search"]


def test_docs_only_change_passes_a_frozen_service(prometheus: FixturePrometheus, tmp_path: Path) -> None:
    diff = (
        "diff --git a/services/search/README.md b/services/search/README.md\n"
        "--- a/services/search/README.md\n+++ b/services/search/README.md\n"
        "@@ -1 +1,2 @@\n # Search\n+More words.\n"
    )
    result = run(
        "check", "--policy", str(POLICIES), "--prometheus-url", prometheus.url, "--at", str(prometheus.end_time),
        "--service", "search", "--diff", "-", "--format", "json", "--no-llm", stdin=diff,
    )  # fmt: skip
    document = json.loads(result.output)
    assert result.exit_code == 0
    [search] = document["services"]
    assert search["decision"] == "pass"
    assert [r["code"] for r in search["reasons"]] == ["exempt", "freeze", "tier-allows"]
    assert search["category"] == "docs"


def test_risk_label_raises_and_advisory_mode_warns(prometheus: FixturePrometheus) -> None:
    code, document = check_json(prometheus, "--service", "checkout", "--risk", "low", "--labels", "risk:high")
    assert code == 0  # 60% left allows high
    assert by_service(document)["checkout"]["risk"] == "high"
    code, document = check_json(prometheus, "--service", "payments", "--risk", "low", "--labels", "risk:high")
    assert code == 1
    code, document = check_json(
        prometheus, "--service", "payments", "--risk", "low", "--labels", "risk:high", "--mode", "advisory"
    )
    assert code == 0
    payments = by_service(document)["payments"]
    assert (payments["decision"], payments["would_have"]) == ("warn", "fail")


def test_override_label_cannot_be_verified_outside_github(prometheus: FixturePrometheus) -> None:
    code, document = check_json(
        prometheus, "--service", "payments", "--risk", "medium", "--labels", "slo-gate/override"
    )
    assert code == 1
    payments = by_service(document)["payments"]
    assert payments["reasons"][0]["code"] == "override-ignored"
    assert "cannot be verified outside a GitHub pull request" in payments["reasons"][0]["message"]
    assert document["override"]["honoured"] is False


def test_git_base_head(
    prometheus: FixturePrometheus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / "services" / "checkout" / "migrations").mkdir(parents=True)
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-C", str(repo)]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "services" / "checkout" / "app.py").write_text("print('v1')\n")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    subprocess.run([*git, "checkout", "-qb", "feature"], check=True)
    (repo / "services" / "checkout" / "migrations" / "0002_drop.sql").write_text("DROP TABLE carts;\n")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "drop"], check=True)
    monkeypatch.chdir(repo)
    code, document = check_json(prometheus, "--base", "main", "--head", "feature")
    assert code == 0  # checkout has 60% left: high is allowed
    checkout = by_service(document)["checkout"]
    assert checkout["risk"] == "high"
    assert document["change"]["lines_added"] == 1
    result = run("check", "--policy", str(POLICIES), "--metrics-snapshot", str(ROOT / "gate/data/demo/snapshot.json"),
                 "--base", "--upload-pack=evil", "--head", "feature")  # fmt: skip
    assert result.exit_code == 2
    assert "is not a git ref" in result.output


def test_record_and_replay_snapshot(prometheus: FixturePrometheus, tmp_path: Path) -> None:
    snapshot = tmp_path / "snap.json"
    code, live = check_json(prometheus, "--diff", str(DEMO_DIFF), "--record-snapshot", str(snapshot))
    replay = run(
        "check", "--policy", str(POLICIES), "--metrics-snapshot", str(snapshot), "--diff", str(DEMO_DIFF),
        "--format", "json", "--no-llm",
    )  # fmt: skip
    replayed = json.loads(replay.output)
    assert replay.exit_code == code == 1
    live.pop("metrics_source")
    replayed.pop("metrics_source")
    assert replayed == live


def test_status_formats(prometheus: FixturePrometheus) -> None:
    base = [
        "status",
        "--policy",
        str(POLICIES),
        "--prometheus-url",
        prometheus.url,
        "--at",
        str(prometheus.end_time),
    ]
    text = run(*base)
    assert text.exit_code == 0
    assert "payments" in text.output and "calendar quarter" in text.output
    document = json.loads(run(*base, "--format", "json").output)
    assert [s["service"] for s in document["services"]] == ["checkout", "payments", "search"]
    assert "decision" not in document
    markdown = run(*base, "--format", "markdown").output
    assert "| availability | 99.9% | 30d |" in markdown


def test_unreachable_prometheus_is_inconclusive_exit_3(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = record_waits(monkeypatch)  # the retries back off without sleeping
    result = run(
        "check", "--policy", str(POLICIES / "checkout.yaml"), "--prometheus-url", f"http://127.0.0.1:{closed_port()}",
        "--at", "1792497600", "--risk", "low", "--timeout", "3", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 3
    document = json.loads(result.output)
    [checkout] = document["services"]
    assert checkout["decision"] == "inconclusive"
    assert all(s["status"] == "inconclusive" for s in checkout["slos"])
    assert "127.0.0.1" in checkout["slos"][0]["reason"]
    assert "label_replace" in checkout["slos"][0]["query"]
    assert waits  # connection failures were retried


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "--policy", "policies", "--risk", "low"], "--prometheus-url"),
        (["check", "--policy", "policies", "--prometheus-url", "http://x", "--at", "yesterday"], "--at"),
        (
            ["check", "--policy", "policies", "--prometheus-url", "http://x", "--at", "2026-10-20T12:00:00"],
            "timezone",
        ),
        (
            ["check", "--policy", "policies", "--prometheus-url", "http://x", "--diff", "/nonexistent.diff"],
            "--diff",
        ),
        (
            ["check", "--policy", "policies", "--prometheus-url", "http://x", "--service", "nope"],
            "no such service",
        ),
        (
            ["check", "--policy", "policies", "--prometheus-url", "http://x", "--audit", "s3:bucket"],
            "--audit",
        ),
        (["check", "--policy", "policies", "--prometheus-url", "http://x", "--audit", "file:"], "--audit"),
        (["check", "--policy", "nope.yaml", "--prometheus-url", "http://x"], "nope.yaml"),
        (["check", "--policy", "policies", "--metrics-snapshot", "/nonexistent.json"], "/nonexistent.json"),
        (["check", "--policy", "policies", "--prometheus-url", "ftp://x"], "http"),
        (
            [
                "check",
                "--policy",
                "policies",
                "--prometheus-url",
                "http://x",
                "--prometheus-header",
                "X-A\nb: c",
            ],
            "header",
        ),
    ],
)
def test_bad_input_exits_2(args: list[str], message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = run_cli(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_validate(tmp_path: Path) -> None:
    ok = run("validate", str(POLICIES))
    assert ok.exit_code == 0
    assert "3 policies valid" in ok.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: slo-gate/v1\nservice: x\nslos:\n  - name: a\n    objective: 100\n    sli: {}\n"
    )
    result = run("validate", str(POLICIES), str(bad))
    assert result.exit_code == 2
    assert f"{bad}:5: slos[0].objective:" in result.output
    assert f"{bad}:6: slos[0].sli" in result.output


def test_entry_points_run_as_processes(tmp_path: Path) -> None:
    """`python -m gate` and the console script both run; the demo needs no network or keys."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC", "SLO_GATE", "GITHUB"))}
    env["HOME"] = str(tmp_path)
    demo = subprocess.run(
        [sys.executable, "-m", "gate", "demo"], capture_output=True, text=True, env=env, check=False
    )
    assert demo.returncode == 0, demo.stderr
    assert "checkout  [policies/checkout.yaml]  decision: PASS" in demo.stdout
    assert "payments  [policies/payments.yaml]  decision: FAIL" in demo.stdout
    assert "search  [policies/search.yaml]  decision: FAIL" in demo.stdout
    assert "35.0% budget left (above 25%) allows low; change risk is medium" in demo.stdout
    assert "active fast burn on availability (page)" in demo.stdout
    assert "what the PR comment would say" in demo.stdout
    script = shutil.which("slo-gate", path=str(Path(sys.executable).parent))
    assert script is not None
    version = subprocess.run([script, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == "slo-gate, version 0.1.0"


def test_demo_policies_are_the_examples() -> None:
    for packaged in (ROOT / "gate" / "data" / "demo" / "policies").iterdir():
        assert packaged.read_bytes() == (POLICIES / packaged.name).read_bytes(), (
            f"{packaged.name} differs from policies/: run scripts/record_demo_snapshot.py"
        )


def test_demo_json_is_the_pipeline() -> None:
    document = json.loads(run("demo", "--format", "json").output)
    assert {s["service"]: s["decision"] for s in document["services"]} == {
        "checkout": "pass",
        "payments": "fail",
        "search": "fail",
    }
    assert document["metrics_source"] == "embedded demo snapshot"
