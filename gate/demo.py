"""`slo-gate demo`: the real pipeline on embedded policies, a recorded metrics snapshot and a sample diff.

The snapshot was recorded from the test suite's Prometheus (see scripts/record_demo_snapshot.py), so the
demo exercises exactly the code a live run does, minus the network.
"""

from __future__ import annotations

from importlib import resources

from gate import report
from gate.app import ChangeInput, CheckOptions, run_check
from gate.metrics import SnapshotSource
from gate.models import GateRun
from gate.policy import LoadedPolicy
from gate.policy_load import load_policy_bytes
from gate.risk.material import prepare_change

DEMO = resources.files("gate") / "data" / "demo"
DEMO_POLICIES = ("checkout.yaml", "payments.yaml", "search.yaml")


def demo_policies() -> list[LoadedPolicy]:
    folder = DEMO / "policies"
    return [load_policy_bytes((folder / name).read_bytes(), f"policies/{name}") for name in DEMO_POLICIES]


def demo_run() -> GateRun:
    source = SnapshotSource.from_text(
        (DEMO / "snapshot.json").read_text("utf-8"), label="embedded demo snapshot"
    )
    material, diff = prepare_change((DEMO / "change.diff").read_text("utf-8"))
    policies = demo_policies()
    change = ChangeInput(
        diff=diff,
        material=material,
        labels=(),
        policy_files=tuple(p.path for p in policies),
        llm_note="rules only: the demo never calls a model",
    )
    options = CheckOptions(at=source.snapshot.evaluated_at, metrics_source="embedded demo snapshot")
    return run_check(policies, source, change, options)


def run_demo(output_format: str = "text") -> str:
    run = demo_run()
    if output_format == "json":
        return report.render_json(run)
    if output_format == "markdown":
        return report.render_markdown(run)
    intro = (
        "slo-gate demo: three services, one change touching each service's handlers (rule floor: medium).\n"
        "Metrics come from a snapshot recorded from a real Prometheus; nothing here uses the network.\n\n"
    )
    comment = report.render_markdown(run)
    outro = (
        f"\n`slo-gate check` would exit {run.exit_code} for this change.\n"
        "\n---- what the PR comment would say ----\n\n" + comment
    )
    return intro + report.render_text(run) + outro
