"""Audit record bodies (before they are sealed into the chain). PURE.

Two kinds, one JSON object each, `format: 1`:

- `decision`: every gate run, one per service, pass or fail. Everything needed to re-run the decision
  offline: the policy's exact text, every query with its answer, the change's risk as assessed (rules,
  content, labels, the model with tokens and cost), overrides, the decision and its reasons.
- `settlement`: what a passed deploy actually cost, measured 24 h after it (see gate.audit.settle).

No secret goes in: the metrics source is recorded without credentials, the run context holds names and
ids only, and the change's text was redacted before any stage saw it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from gate import __version__
from gate.models import GateRun, ServiceResult
from gate.policy import LoadedPolicy
from gate.report import change_json, slo_json
from gate.times import iso

__all__ = [
    "FORMAT",
    "RunContext",
    "decision_body",
    "public_source",
    "settlement_body",
]

FORMAT = 1
_USERINFO = re.compile(r"(?<=://)[^/\s]*@")  # greedy to the last '@' before the path


class RunContext(BaseModel):
    """Where a gate run happened: a CI run (GitHub Actions) or a local invocation (mostly None)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    repo: str | None = None
    event: str | None = None
    pr: int | None = None
    ref: str | None = None
    head_sha: str | None = None
    base_sha: str | None = None
    run_id: str | None = None
    run_attempt: str | None = None
    actor: str | None = None
    workflow: str | None = None
    job: str | None = None
    fork: bool = False  # a pull request from a fork: its token cannot push the audit branch

    @property
    def run_key(self) -> str | None:
        """Run id + attempt + job: with the policy and outcome, what makes a repeat write nothing new."""
        if not self.run_id:
            return None
        return f"{self.run_id}.{self.run_attempt or '1'}.{self.job or '-'}"


def public_source(label: str) -> str:
    """A metrics source label with any `user:password@` removed from URLs (also a password with '@')."""
    return _USERINFO.sub("", label)


def decision_body(
    run: GateRun,
    result: ServiceResult,
    loaded: LoadedPolicy,
    context: RunContext,
    *,
    record_id: str,
    recorded_at: float,
) -> dict[str, Any]:
    decision = result.decision
    budgets = result.budgets
    return {
        "format": FORMAT,
        "kind": "decision",
        "id": record_id,
        "service": budgets.service,
        "recorded_at": iso(recorded_at),
        "evaluated_at": iso(run.evaluated_at),
        "evaluated_at_unix": run.evaluated_at,
        "gate_version": __version__,
        "run": context.model_dump(),
        # Two checks in one job (matrix legs, several steps) differ by policy or outcome: both recorded.
        "run_key": f"{context.run_key}/{loaded.sha256[:16]}/{decision.outcome}" if context.run_key else None,
        "gate_mode": loaded.policy.gate.mode,
        "policy": {"path": loaded.path, "sha256": loaded.sha256, "text": loaded.source},
        "metrics_source": public_source(run.metrics_source),
        "queries": [q.model_dump(mode="json") for slo in budgets.slos for q in slo.queries],
        "budgets": [slo_json(slo) for slo in budgets.slos],
        "change": change_json(result.change),
        "override": decision.override.model_dump(mode="json") if decision.override else None,
        "fix": decision.fix.model_dump(mode="json") if decision.fix else None,
        "decision": {
            "outcome": decision.outcome,
            "exit_code": decision.exit_code,
            "advisory": decision.advisory,
            "would_have": decision.would_have,
            "reasons": [r.model_dump() for r in decision.reasons],
            "tier": decision.tier.model_dump(mode="json") if decision.tier else None,
        },
    }


def settlement_body(
    deploy: Mapping[str, Any],
    slos: Sequence[Mapping[str, Any]],
    *,
    record_id: str,
    recorded_at: float,
    window_start: float,
    window_end: float,
    metrics_source: str,
) -> dict[str, Any]:
    """What a deploy (a `decision` record) cost: each SLO's share of its budget spent in the window."""
    spent = [s["budget_spent"] for s in slos if s.get("budget_spent") is not None]
    return {
        "format": FORMAT,
        "kind": "settlement",
        "id": record_id,
        "service": deploy["service"],
        "recorded_at": iso(recorded_at),
        "gate_version": __version__,
        "deploy_id": deploy["id"],
        "deploy_risk": deploy["change"]["risk"],
        "deploy_evaluated_at": deploy["evaluated_at"],
        "window": {"start": iso(window_start), "end": iso(window_end)},
        "metrics_source": public_source(metrics_source),
        "slos": [dict(s) for s in slos],
        # The deploy's cost is its worst SLO's: the tiers judge the lowest budget left.
        "cost": max(spent) if spent else None,
    }
