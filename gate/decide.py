"""PURE: the only home of pass/fail rules (DESIGN §4).

Order: verified override, exempt category, inconclusive data, freeze on an active burn alert, budget
tier. The first decisive step sets the outcome; every step that fired leaves a reason, in order, so
the report shows the whole picture (an override on top of a fast burn says both).
"""

from __future__ import annotations

from collections.abc import Sequence

from gate.errors import EXIT_FAIL, EXIT_INCONCLUSIVE, EXIT_PASS
from gate.models import (
    BudgetImpact,
    Category,
    ChangeRisk,
    Decision,
    Outcome,
    Override,
    Reason,
    RiskLevel,
    ServiceBudget,
    Tier,
)
from gate.policy import GateConfig

_SEVERITY: dict[Outcome, int] = {"pass": 0, "warn": 1, "inconclusive": 2, "fail": 3}
_EXIT: dict[Outcome, int] = {
    "pass": EXIT_PASS,
    "warn": EXIT_PASS,
    "fail": EXIT_FAIL,
    "inconclusive": EXIT_INCONCLUSIVE,
}


def exit_code(outcome: Outcome) -> int:
    return _EXIT[outcome]


def worst(outcomes: Sequence[Outcome]) -> Outcome:
    return max(outcomes, key=lambda o: _SEVERITY[o], default="pass")


def overall_exit_code(outcomes: Sequence[Outcome]) -> int:
    """A fail anywhere is 1; otherwise inconclusive anywhere is 3; otherwise 0."""
    return exit_code(worst(outcomes))


def choose_tier(gate: GateConfig, remaining: float) -> Tier:
    """The first tier whose `above` (percent of budget left) is exceeded; the last tier catches the rest."""
    percent = remaining * 100.0
    for index, tier in enumerate(gate.tiers):
        if tier.above is None or percent > tier.above:
            return Tier(index=index, above=tier.above, allow=list(tier.allow))
    last = gate.tiers[-1]  # unreachable for a valid policy (the last tier has no `above`)
    return Tier(index=len(gate.tiers) - 1, above=last.above, allow=list(last.allow))


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.1f}%"


def decide(
    gate: GateConfig,
    budgets: ServiceBudget,
    change: ChangeRisk,
    override: Override | None = None,
    fix: Override | None = None,
) -> Decision:
    reasons: list[Reason] = []
    outcome: Outcome | None = None
    tier: Tier | None = None

    # 1. Break-glass override, only when verified.
    if override is not None:
        if override.honoured:
            outcome = "pass"
            who = f" by {override.actor}" if override.actor else ""
            reasons.append(Reason(code="override", message=f"override label {override.label!r} applied{who}"))
        else:
            reasons.append(
                Reason(code="override-ignored", message=f"override label not honoured: {override.reason}")
            )

    # 2. Exempt categories: docs/tests by path rules, fix only through a verified label.
    category = change.category
    if fix is not None:
        if fix.honoured:
            category = Category.FIX
        else:
            reasons.append(Reason(code="fix-ignored", message=f"fix label not honoured: {fix.reason}"))
    if category.value in gate.exempt:
        reasons.append(Reason(code="exempt", message=f"{category.value} changes are exempt"))
        outcome = outcome or "pass"

    # 3. Inconclusive data. `fail` stops here; `warn`/`pass` let the conclusive SLOs still decide.
    inconclusive = [s for s in budgets.slos if s.status == "inconclusive"]
    pending: Outcome = "pass"
    if inconclusive:
        by_reason: dict[str, list[str]] = {}
        for slo in inconclusive:
            by_reason.setdefault(slo.reason or "no reason given", []).append(slo.name)
        names = "; ".join(f"{', '.join(slos)}: {why}" for why, slos in by_reason.items())
        reasons.append(
            Reason(
                code="inconclusive", message=f"inconclusive ({names}); on_inconclusive={gate.on_inconclusive}"
            )
        )
        if gate.on_inconclusive == "fail":
            outcome = outcome or "inconclusive"
        elif gate.on_inconclusive == "warn":
            pending = "warn"

    # 4. Freeze on an active multiwindow burn alert.
    frozen_levels = {"page": {"page"}, "ticket": {"page", "ticket"}, "none": set()}[gate.freeze_on]
    burning = [s for s in budgets.slos if s.status == "ok" and s.alert in frozen_levels]
    if burning:
        names = ", ".join(f"{s.name} ({s.alert})" for s in burning)
        reasons.append(
            Reason(code="freeze", message=f"active fast burn on {names}; freeze_on={gate.freeze_on}")
        )
        outcome = outcome or "fail"

    # 5. Tier by the lowest remaining budget among conclusive SLOs.
    conclusive = [
        s.budget_remaining for s in budgets.slos if s.status == "ok" and s.budget_remaining is not None
    ]
    if conclusive:
        lowest = min(conclusive)
        tier = choose_tier(gate, lowest)
        allowed = ", ".join(level.value for level in tier.allow) or "exempt changes only"
        bound = f"above {tier.above:g}%" if tier.above is not None else "lowest tier"
        message = (
            f"{_percent(lowest)} budget left ({bound}) allows {allowed}; change risk is {change.risk.value}"
        )
        if change.risk in tier.allow:
            reasons.append(Reason(code="tier-allows", message=message))
            outcome = outcome or pending
        else:
            reasons.append(Reason(code="tier-blocks", message=message))
            outcome = outcome or "fail"
    elif outcome is None:
        reasons.append(Reason(code="no-budget", message="no SLO produced a budget; nothing left to judge"))
    final: Outcome = outcome or pending

    advisory = gate.mode == "advisory"
    would_have: Outcome | None = None
    if advisory and final in ("fail", "inconclusive"):
        would_have = final
        reasons.append(Reason(code="advisory", message=f"advisory mode: would have been {final}"))
        final = "warn"
    return Decision(
        outcome=final,
        exit_code=exit_code(final),
        reasons=reasons,
        tier=tier,
        advisory=advisory,
        would_have=would_have,
        override=override,
        fix=fix,
    )


def budget_impact(
    gate: GateConfig, budgets: ServiceBudget, risk: RiskLevel, cost: float, cost_source: str
) -> BudgetImpact | None:
    """The budget left if this deploy spends `cost` (a fraction of the budget), and the tier then.

    None when no SLO is conclusive: there is no budget to subtract from.
    """
    remaining = [
        s.budget_remaining for s in budgets.slos if s.status == "ok" and s.budget_remaining is not None
    ]
    if not remaining:
        return None
    lowest = min(remaining)
    after = lowest - cost
    tier = choose_tier(gate, after)
    return BudgetImpact(
        remaining=lowest,
        cost=cost,
        cost_source=cost_source,
        after=after,
        tier_after=tier,
        allowed_after=risk in tier.allow,
    )
