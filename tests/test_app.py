"""Orchestration on the embedded snapshot: policy routing and per-service change scoping."""

from __future__ import annotations

import pytest

from gate import report
from gate.app import ChangeInput, CheckOptions, run_check
from gate.demo import DEMO, demo_policies
from gate.metrics import SnapshotSource
from gate.models import GateRun
from gate.risk.diff import parse_unified_diff


def diff_of(*paths: str, lines: int = 1) -> str:
    chunks = []
    for path in paths:
        body = "".join(f"+line {i}\n" for i in range(lines))
        chunks.append(
            f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -0,0 +1,{lines} @@\n{body}"
        )
    return "".join(chunks)


def run_of(diff: str, labels: tuple[str, ...] = ()) -> GateRun:
    source = SnapshotSource.from_text((DEMO / "snapshot.json").read_text("utf-8"), label="demo")
    policies = demo_policies()
    change = ChangeInput(
        diff=parse_unified_diff(diff), labels=labels, policy_files=tuple(p.path for p in policies)
    )
    return run_check(policies, source, change, CheckOptions(at=source.snapshot.evaluated_at))


def check(diff: str, labels: tuple[str, ...] = ()) -> dict[str, tuple[str, str, int]]:
    run = run_of(diff, labels)
    return {
        r.budgets.service: (r.change.risk.value, r.decision.outcome, len(r.change.files))
        for r in run.services
    }


def test_each_service_judges_its_own_files() -> None:
    got = check(diff_of("services/payments/migrations/0007.sql", "services/checkout/handlers/cart.py"))
    # checkout sees only its handler (medium, allowed at 60% left); payments only its migration (high).
    assert got["checkout"] == ("medium", "pass", 1)
    assert got["payments"] == ("high", "fail", 1)
    assert "search" not in got


def test_shared_files_count_for_every_service() -> None:
    got = check(diff_of("services/checkout/handlers/cart.py", "services/search/api.py", "Dockerfile"))
    assert got["checkout"] == ("high", "pass", 2)  # Dockerfile is shared: high, allowed at 60% left
    assert got["search"] == ("high", "fail", 2)  # frozen by the page anyway
    # payments owns none of these files, but the shared Dockerfile is its to judge too (35% left: low only)
    assert got["payments"] == ("high", "fail", 1)


@pytest.mark.parametrize(
    "path", ["Dockerfile", ".github/workflows/deploy.yml", "go.mod", "Makefile", "deploy/k8s/app.yaml"]
)
def test_a_change_made_only_of_shared_files_is_judged_by_every_service(path: str) -> None:
    # the bypass: a change that no policy's `paths` own used to skip every service and exit 0 PASS
    run = run_of(diff_of(path))
    assert {r.budgets.service for r in run.services} == {"checkout", "payments", "search"}
    assert run.skipped == []
    for result in run.services:
        assert result.scope is not None and result.scope.shared == [path] and result.scope.owned == []
    # before the fix this run was PASS with no service judged; now search's page freezes it
    assert run.outcome == "fail"


def test_a_root_dockerfile_is_high_for_every_service_and_the_report_says_why() -> None:
    run = run_of(diff_of("Dockerfile"))
    assert {r.budgets.service: r.change.risk.value for r in run.services} == {
        "checkout": "high",
        "payments": "high",
        "search": "high",
    }
    text = report.render_text(run)
    assert text.count("applies: shared: Dockerfile") == 3
    assert report.run_json(run)["services"][0]["scope"]["shared"] == ["Dockerfile"]
    assert "Applies: shared: Dockerfile" in report.render_markdown(run)


def test_a_docs_only_change_outside_every_service_still_passes_as_exempt() -> None:
    run = run_of(diff_of("docs/runbook.md", "README.md"))
    assert {r.budgets.service for r in run.services} == {"checkout", "payments", "search"}
    assert {r.decision.outcome for r in run.services} == {"pass"}
    assert {r.change.category.value for r in run.services} == {"docs"}


def test_a_policy_file_belongs_to_its_own_service_not_to_everyone() -> None:
    run = run_of(diff_of("policies/payments.yaml"))
    assert [r.budgets.service for r in run.services] == ["payments"]
    assert run.services[0].scope is not None and run.services[0].scope.own_policy_file


def test_size_thresholds_apply_per_service() -> None:
    run = run_of(
        diff_of("services/checkout/api.py", lines=400) + diff_of("services/payments/api.py", lines=300)
    )
    got = {
        r.budgets.service: (r.change.risk.value, r.decision.outcome, len(r.change.files))
        for r in run.services
    }
    # 700 lines together, but each service judges only its own 400 or 300: no size floor fires.
    # Each is medium because code is medium unless the rules show it is low (not by its size).
    assert got["checkout"] == ("medium", "pass", 1)
    assert got["payments"] == ("medium", "fail", 1)
    for result in run.services:
        assert not [r for r in result.change.reasons if "more than 500" in r]
        assert any("code is medium unless the rules show it is low" in r for r in result.change.reasons)


def test_a_policy_change_is_high_for_everyone() -> None:
    got = check(diff_of("services/payments/api.py", "policies/payments.yaml"))
    assert got["payments"] == ("high", "fail", 2)


def test_a_diff_that_cannot_be_read_is_judged_by_every_policy() -> None:
    # fail safe: an unparsable or incomplete diff cannot prove that a service is untouched
    got = check("this is not a diff\n")
    assert set(got) == {"checkout", "payments", "search"}
    assert {service: (risk, outcome) for service, (risk, outcome, _) in got.items()} == {
        "checkout": ("high", "pass"),  # 60 % left allows high
        "payments": ("high", "fail"),
        "search": ("high", "fail"),
    }
