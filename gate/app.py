"""Orchestration: load -> measure -> classify -> decide. Collaborators come in as arguments.

The CLI parses options and builds the collaborators (a metrics source, the diff text, the clock);
this module never reads the environment, the clock or the network itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from gate import decide as decide_mod
from gate.audit.costs import expected_cost
from gate.llm.background import in_background
from gate.measure import budget_history, measure_policies
from gate.metrics import MetricsSource
from gate.models import (
    ChangeRisk,
    GateRun,
    Override,
    RiskAssessment,
    RiskLevel,
    ServiceBudget,
    ServiceResult,
    max_risk,
)
from gate.policy import LoadedPolicy, OverrideConfig, RiskConfig
from gate.risk.diff import FileSpan, ParsedDiff, file_body
from gate.risk.material import ChangeMaterial, content_assessment
from gate.risk.rules import assess_rules
from gate.scope import scoped_indexes, select_policies

if TYPE_CHECKING:
    from gate.audit.record import AuditRecord
    from gate.risk.review import Answer, RiskAdvisor


@dataclass(frozen=True)
class ChangeInput:
    """What is known about the change: the parsed diff (None when no diff was given) and its labels.

    `material` is the change's text after stripping and redaction (gate.risk.material); the model
    reads only that. `llm_note` says why no model is asked (no key, --no-llm), if so.
    """

    diff: ParsedDiff | None
    labels: tuple[str, ...] = ()
    declared_risk: RiskLevel | None = None
    policy_files: tuple[str, ...] = ()
    llm_note: str | None = None
    material: ChangeMaterial | None = None
    notes: tuple[str, ...] = ()  # how the change was collected (a fallback, missing history): shown
    # Marker files known to exist in the repository (Chart.yaml, kustomization.yaml, …): their
    # folders are infrastructure even when the marker itself is not part of the change.
    markers: tuple[str, ...] = ()
    # Verification results for override/fix labels, keyed by label name (filled in GitHub Actions).
    verified_labels: Mapping[str, Override] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckOptions:
    at: float
    services: tuple[str, ...] = ()
    concurrency: int = 8
    metrics_source: str = ""
    # Records read from the audit log: settled deploys give the measured cost for budget impact.
    history: Sequence[AuditRecord] = ()
    charts: bool = False  # also read each rolling SLO's budget over its window (one range query each)


def rule_floor(config: RiskConfig, indexes: Sequence[int], change: ChangeInput) -> ChangeRisk:
    """The deterministic floor of the files at `indexes` (a policy's share): rules, labels and the
    content scans. The rules read each file's cleaned diff lines when the diff came as text."""
    diff = change.diff
    files = [diff.files[i] for i in indexes] if diff is not None else []
    bodies = None
    if diff is not None and change.material is not None and len(diff.spans) == len(diff.files):
        bodies = [file_body(change.material.lines, diff.spans[i]) for i in indexes]
    risk = assess_rules(
        files,
        change.labels,
        config,
        problems=diff.problems if diff is not None else [],
        incomplete=diff.incomplete if diff is not None else [],
        policy_files=change.policy_files,
        declared=change.declared_risk,
        bodies=bodies,
        markers=change.markers,
    )
    if change.notes:
        note = RiskAssessment(source="rules", risk=RiskLevel.LOW, reasons=list(change.notes))
        risk = risk.model_copy(update={"assessments": [*risk.assessments, note]})
    if change.material is not None:
        content = content_assessment(change.material, {f.path for f in files})
        if content is not None:
            floor = max_risk(risk.floor, content.risk)
            risk = risk.model_copy(
                update={"floor": floor, "risk": floor, "assessments": [*risk.assessments, content]}
            )
    return risk


def classify(
    config: RiskConfig,
    indexes: Sequence[int],
    change: ChangeInput,
    advisor: RiskAdvisor | None = None,
    answers: MutableMapping[str, Answer] | None = None,
) -> ChangeRisk:
    """The floor of the files at `indexes`, then the model's view of them when it may be asked.

    The policy's `llm.enabled: false` is checked first, whatever the advisor is: a policy that turned
    the model off says so, rather than the missing key or --no-llm that would also have stopped it.
    """
    diff = change.diff
    files = [diff.files[i] for i in indexes] if diff is not None else []
    risk = rule_floor(config, indexes, change)
    note = change.llm_note
    if not config.llm.enabled:
        note = "rules only: llm.enabled is false in the policy"
    elif advisor is not None:
        if diff is None or change.material is None:
            note = "rules only: no diff for the model to read"
        else:
            # Only now: the prompt, condensing and answer schema load when a model will read the diff.
            from gate.risk.review import review_change

            spans: list[FileSpan] = [diff.spans[i] for i in indexes] if diff.spans else []
            return review_change(
                risk,
                config,
                change.material,
                files,
                spans,
                advisor,
                policy_files=change.policy_files,
                answers=answers,
            )
    return risk.model_copy(update={"llm_note": note}) if note else risk


UNVERIFIABLE = "who applied it cannot be verified outside a GitHub pull request"


def label_override(
    kind: Literal["override", "fix"], label: str, change: ChangeInput, service: str = ""
) -> Override | None:
    """The verdict on an override or fix label, if the change carries it; unverified labels never count.

    Verdicts are keyed `service/label` (each policy judges by its own override settings) or `label`.
    """
    if label not in change.labels:
        return None
    verdict = change.verified_labels.get(f"{service}/{label}") or change.verified_labels.get(label)
    if verdict is not None:
        return verdict
    return Override(kind=kind, label=label, honoured=False, reason=UNVERIFIABLE)


def combined_change(results: Sequence[ServiceResult], change: ChangeInput) -> ChangeRisk:
    """The change as the strictest policy sees it (per-service views stay in each result)."""
    if results:
        return max((r.change for r in results), key=lambda c: c.risk.rank)
    indexes = range(len(change.diff.files)) if change.diff is not None else range(0)
    return rule_floor(RiskConfig(), indexes, change)  # no policy applies: built-in floors only


def override_help(config: OverrideConfig) -> str:
    """One sentence for the report: which label overrides the gate and whose label counts."""
    who = f"a collaborator with {config.min_permission} permission or more"
    if config.users:
        who += " or " + ", ".join(config.users)
    if config.bots:
        who += " (bots: " + ", ".join(config.bots) + ")"
    author = "" if config.allow_author else ", who is not the PR's author"
    return (
        f"break-glass: add the label {config.label} (or {config.fix_label} for a reliability or security fix); "
        f"it counts only when applied by {who}{author}, after the last push, and it is always audited"
    )


def run_check(
    policies: Sequence[LoadedPolicy],
    source: MetricsSource,
    change: ChangeInput,
    options: CheckOptions,
    advisor: RiskAdvisor | None = None,
    measuring: Callable[[], Sequence[ServiceBudget]] | None = None,
) -> GateRun:
    """One gate run. `advisor` is the model client (None: rules only, `change.llm_note` says why).

    The change's risk does not depend on the budgets, so it is classified on a second thread while
    the budgets are measured: the model's seconds overlap the queries instead of adding to them.
    `measuring` waits for budgets a caller started measuring early (before the change was cleaned);
    a chosen policy it did not measure is measured here, one it measured but no longer applies is
    dropped.
    """
    chosen, skipped, scopes = select_policies(policies, options.services, change.diff)

    def classify_all() -> list[ChangeRisk]:
        answers: dict[str, Answer] = {}
        risks = []
        for loaded in chosen:
            indexes = scoped_indexes(loaded, change.diff.files, policies) if change.diff is not None else []
            risks.append(classify(loaded.policy.gate.risk, indexes, change, advisor, answers))
        return risks

    classified = in_background(classify_all, name="slo-gate-classify")
    early = {b.service: b for b in measuring()} if measuring is not None else {}
    missing = [p for p in chosen if p.policy.service not in early]
    late = measure_policies(missing, source, options.at, concurrency=options.concurrency)
    measured = {**early, **{b.service: b for b in late}}
    budgets = [measured[p.policy.service] for p in chosen]
    risks = classified()
    results: list[ServiceResult] = []
    for loaded, service_budget, risk in zip(chosen, budgets, risks, strict=True):
        gate = loaded.policy.gate
        service = loaded.policy.service
        override = label_override("override", gate.override.label, change, service)
        fix = label_override("fix", gate.override.fix_label, change, service)
        decision = decide_mod.decide(gate, service_budget, risk, override, fix)
        cost = expected_cost(
            options.history, service_budget.service, risk.risk, getattr(gate.expected_cost, risk.risk.value)
        )
        impact = decide_mod.budget_impact(gate, service_budget, risk.risk, cost.fraction, cost.source)
        charts = (
            {
                slo.name: budget_history(slo, source, options.at, loaded.policy.prometheus.tenant)
                for slo in loaded.policy.slos
            }
            if options.charts
            else {}
        )
        results.append(
            ServiceResult(
                budgets=service_budget,
                change=risk,
                decision=decision,
                impact=impact,
                override_help=override_help(gate.override),
                history={name: points for name, points in charts.items() if points},
                scope=scopes.get(service),
            )
        )
    outcomes = [r.decision.outcome for r in results]
    return GateRun(
        evaluated_at=options.at,
        outcome=decide_mod.worst(outcomes),
        exit_code=decide_mod.overall_exit_code(outcomes),
        services=results,
        skipped=skipped,
        change=combined_change(results, change),
        override=next((r.decision.override for r in results if r.decision.override), None),
        fix=next((r.decision.fix for r in results if r.decision.fix), None),
        metrics_source=options.metrics_source,
    )


def run_status(
    policies: Sequence[LoadedPolicy], source: MetricsSource, at: float, *, concurrency: int = 8
) -> list[ServiceBudget]:
    return measure_policies(policies, source, at, concurrency=concurrency)
