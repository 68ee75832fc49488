"""Build audit records from a run's models. PURE.

- `decision_record(run, result, loaded, context, ...)`: one gate run for one service, with everything
  needed to re-run the decision offline: the policy's exact text, every query with its answer, the
  change's risk as assessed (rules, content, labels, the model with tokens and cost), overrides, the
  decision and its reasons.
- `settlement_record(deploy, slos, ...)`: what a passed deploy cost (see gate.audit.settle).

The mapping from gate.models onto the record schema (gate.audit.record) lives here and only here, so
the run's models and the report's JSON can change without changing a byte of what the chain stores.
Nothing secret goes in: `public_source` strips credentials from the metrics source's URL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from gate import __version__
from gate.audit.record import (
    DecisionRecord,
    RecordedAssessment,
    RecordedBudget,
    RecordedChange,
    RecordedDecision,
    RecordedLLM,
    RecordedOverride,
    RecordedPolicy,
    RecordedQuery,
    RecordedReason,
    RecordedReview,
    RecordedSample,
    RecordedTier,
    RunContext,
    SettledSLO,
    SettlementRecord,
    SettlementWindow,
)
from gate.models import (
    BURN_WINDOWS,
    ChangeRisk,
    Decision,
    GateRun,
    LLMReview,
    Override,
    QueryRecord,
    RiskAssessment,
    ServiceResult,
    SLOBudget,
)
from gate.policy import LoadedPolicy
from gate.times import iso

__all__ = [
    "decision_record",
    "public_source",
    "recorded_budget",
    "recorded_change",
    "recorded_query",
    "settlement_record",
]

_USERINFO = re.compile(r"(?<=://)[^/\s]*@")  # greedy to the last '@' before the path


def public_source(label: str) -> str:
    """A metrics source label with any `user:password@` removed from URLs (also a password with '@')."""
    return _USERINFO.sub("", label)


def recorded_query(query: QueryRecord) -> RecordedQuery:
    return RecordedQuery(
        slo=query.slo,
        expr=query.expr,
        at=query.at,
        samples=[RecordedSample(labels=dict(s.labels), value=s.value) for s in query.samples],
        error=query.error,
    )


def recorded_budget(slo: SLOBudget) -> RecordedBudget:
    failed = next((q for q in slo.queries if q.error), None)
    return RecordedBudget(
        name=slo.name,
        objective=slo.objective,
        window=slo.window,
        budget_remaining=slo.budget_remaining,
        error_ratio=slo.error_ratio,
        burn_rates={w: slo.burn_rates.get(w) for w in BURN_WINDOWS},
        alert=slo.alert,
        alert_reasons=list(slo.alert_reasons),
        exhaustion_hours=slo.exhaustion_hours,
        events=slo.events,
        status=slo.status,
        reason=slo.reason,
        query=failed.expr if failed is not None else None,
    )


def _assessment(item: RiskAssessment) -> RecordedAssessment:
    return RecordedAssessment(
        source=item.source,
        risk=item.risk,
        category=item.category,
        reasons=list(item.reasons),
        model=item.model,
        input_tokens=item.input_tokens,
        output_tokens=item.output_tokens,
        cost_usd=item.cost_usd,
    )


def _review(review: LLMReview) -> RecordedReview:
    # Field by field: a field the run's model gains is not recorded until the format says so.
    return RecordedReview(
        model=review.model,
        prompt_version=review.prompt_version,
        status=review.status,
        risk=review.risk,
        category=review.category,
        rationale=review.rationale,
        signals=list(review.signals),
        failure=review.failure,
        cached=review.cached,
        input_tokens=review.input_tokens,
        output_tokens=review.output_tokens,
        cost_usd=review.cost_usd,
        input_tokens_estimate=review.input_tokens_estimate,
        files=review.files,
        hunks_shown=review.hunks_shown,
        hunks_total=review.hunks_total,
        hunks_cut=review.hunks_cut,
        summarised=list(review.summarised),
    )


def recorded_change(change: ChangeRisk) -> RecordedChange:
    review = _review(change.llm) if change.llm is not None else None
    return RecordedChange(
        risk=change.risk,
        category=change.category,
        floor=change.floor,
        llm=RecordedLLM(used=change.llm_used, note=change.llm_note, review=review),
        files=len(change.files),
        lines_added=change.lines_added,
        lines_removed=change.lines_removed,
        assessments=[_assessment(a) for a in change.assessments],
    )


def _override(item: Override | None) -> RecordedOverride | None:
    if item is None:
        return None
    return RecordedOverride(
        kind=item.kind, label=item.label, honoured=item.honoured, actor=item.actor, reason=item.reason
    )


def _decision(decision: Decision) -> RecordedDecision:
    tier = decision.tier
    return RecordedDecision(
        outcome=decision.outcome,
        exit_code=decision.exit_code,
        advisory=decision.advisory,
        would_have=decision.would_have,
        reasons=[RecordedReason(code=r.code, message=r.message) for r in decision.reasons],
        tier=RecordedTier(index=tier.index, above=tier.above, allow=list(tier.allow)) if tier else None,
    )


def decision_record(
    run: GateRun,
    result: ServiceResult,
    loaded: LoadedPolicy,
    context: RunContext,
    *,
    record_id: str,
    recorded_at: float,
) -> DecisionRecord:
    """The decision record of `result` (one service of `run`), not yet sealed into a chain."""
    decision = result.decision
    budgets = result.budgets
    return DecisionRecord(
        id=record_id,
        service=budgets.service,
        recorded_at=iso(recorded_at),
        evaluated_at=iso(run.evaluated_at),
        evaluated_at_unix=run.evaluated_at,
        gate_version=__version__,
        run=context,
        # Two checks in one job (matrix legs, several steps) differ by policy or outcome: both recorded.
        run_key=f"{context.run_key}/{loaded.sha256[:16]}/{decision.outcome}" if context.run_key else None,
        gate_mode=loaded.policy.gate.mode,
        policy=RecordedPolicy(path=loaded.path, sha256=loaded.sha256, text=loaded.source),
        metrics_source=public_source(run.metrics_source),
        queries=[recorded_query(q) for slo in budgets.slos for q in slo.queries],
        budgets=[recorded_budget(slo) for slo in budgets.slos],
        change=recorded_change(result.change),
        override=_override(decision.override),
        fix=_override(decision.fix),
        decision=_decision(decision),
    )


def settlement_record(
    deploy: DecisionRecord,
    slos: Sequence[SettledSLO],
    *,
    record_id: str,
    recorded_at: float,
    window_start: float,
    window_end: float,
    metrics_source: str,
) -> SettlementRecord:
    """What `deploy` cost: each SLO's share of its budget spent in the window, the worst one as the cost."""
    spent = [s.budget_spent for s in slos if s.budget_spent is not None]
    return SettlementRecord(
        id=record_id,
        service=deploy.service,
        recorded_at=iso(recorded_at),
        gate_version=__version__,
        deploy_id=deploy.id,
        deploy_risk=deploy.change.risk,
        deploy_evaluated_at=deploy.evaluated_at,
        window=SettlementWindow(start=iso(window_start), end=iso(window_end)),
        metrics_source=public_source(metrics_source),
        slos=list(slos),
        cost=max(spent) if spent else None,
    )
