"""Orchestration on the embedded snapshot: policy routing and per-service change scoping."""

from __future__ import annotations

from gate.app import ChangeInput, CheckOptions, run_check
from gate.demo import DEMO, demo_policies
from gate.metrics import SnapshotSource
from gate.risk.diff import parse_unified_diff


def diff_of(*paths: str, lines: int = 1) -> str:
    chunks = []
    for path in paths:
        body = "".join(f"+line {i}\n" for i in range(lines))
        chunks.append(
            f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -0,0 +1,{lines} @@\n{body}"
        )
    return "".join(chunks)


def check(diff: str, labels: tuple[str, ...] = ()) -> dict[str, tuple[str, str, int]]:
    source = SnapshotSource.from_text((DEMO / "snapshot.json").read_text("utf-8"), label="demo")
    policies = demo_policies()
    change = ChangeInput(
        diff=parse_unified_diff(diff), labels=labels, policy_files=tuple(p.path for p in policies)
    )
    run = run_check(policies, source, change, CheckOptions(at=source.snapshot.evaluated_at))
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
    assert "payments" not in got


def test_size_thresholds_apply_per_service() -> None:
    got = check(
        diff_of("services/checkout/api.py", lines=400) + diff_of("services/payments/api.py", lines=300)
    )
    assert got["checkout"] == ("low", "pass", 1)  # 400 lines of its own: low
    assert got["payments"] == ("low", "pass", 1)


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
