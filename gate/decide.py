"""PURE: the only home of pass/fail rules (DESIGN §4).

Order: verified override, exempt category, inconclusive data, freeze on an active burn alert, budget
tier. The first decisive step sets the outcome; every step that fired leaves a reason, in order, so
the report shows the whole picture (an override on top of a fast burn says both). Exactly one reason
is `decisive`; the others are context, and a tier that did not decide says what it alone would do.
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
    SLOBudget,
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


class _Reasons:
    """Reasons in the order they fired; exactly one of them is marked as the one that decided."""

    def __init__(self) -> None:
        self._items: list[Reason] = []
        self.decisive: int | None = None

    def add(self, code: str, message: str, *, decides: bool = False) -> int:
        self._items.append(Reason(code=code, message=message))
        index = len(self._items) - 1
        if decides and self.decisive is None:
            self.decisive = index
        return index

    def build(self) -> list[Reason]:
        return [r.model_copy(update={"decisive": i == self.decisive}) for i, r in enumerate(self._items)]


def _inconclusive_message(gate: GateConfig, slos: Sequence[SLOBudget]) -> str:
    by_reason: dict[str, list[str]] = {}
    for slo in slos:
        by_reason.setdefault(slo.reason or "no reason given", []).append(slo.name)
    causes = "; ".join(f"{', '.join(named)}: {why}" for why, named in by_reason.items())
    return f"inconclusive ({causes}); on_inconclusive={gate.on_inconclusive}"


def _tier_message(tier: Tier, lowest: float, risk: RiskLevel, decides: bool) -> str:
    """The tier's verdict when it decides; when something else did, what the tier alone would do."""
    allowed = ", ".join(level.value for level in tier.allow) or "exempt changes only"
    bound = f"above {tier.above:g}%" if tier.above is not None else "lowest tier"
    budget = f"{_percent(lowest)} budget left ({bound}) allows {allowed}"
    if decides:
        return f"{budget}; change risk is {risk.value}"
    verb = "allow" if risk in tier.allow else "block"
    return f"the tier alone would {verb} this {risk.value}-risk change: {budget}"


def decide(
    gate: GateConfig,
    budgets: ServiceBudget,
    change: ChangeRisk,
    override: Override | None = None,
    fix: Override | None = None,
) -> Decision:
    """The outcome and every reason that fired; the first step that set the outcome is `decisive`.

    A warn from `on_inconclusive: warn` is decided by the inconclusive step even though the tier
    (which allowed the change) comes later: the tier alone would have passed it.
    """
    reasons = _Reasons()
    outcome: Outcome | None = None
    tier: Tier | None = None

    # 1. Break-glass override, only when verified.
    if override is not None:
        if override.honoured:
            outcome = "pass"
            who = f" by {override.actor}" if override.actor else ""
            reasons.add("override", f"override label {override.label!r} applied{who}", decides=True)
        else:
            reasons.add("override-ignored", f"override label not honoured: {override.reason}")

    # 2. Exempt categories: docs/tests by path rules, fix only through a verified label.
    category = change.category
    if fix is not None:
        if fix.honoured:
            category = Category.FIX
        else:
            reasons.add("fix-ignored", f"fix label not honoured: {fix.reason}")
    if category.value in gate.exempt:
        reasons.add("exempt", f"{category.value} changes are exempt", decides=outcome is None)
        outcome = outcome or "pass"

    # 3. Inconclusive data. `fail` stops here; `warn`/`pass` let the conclusive SLOs still decide.
    inconclusive = [s for s in budgets.slos if s.status == "inconclusive"]
    pending: Outcome = "pass"
    inconclusive_at: int | None = None
    if inconclusive:
        stops = gate.on_inconclusive == "fail"
        message = _inconclusive_message(gate, inconclusive)
        inconclusive_at = reasons.add("inconclusive", message, decides=stops and outcome is None)
        if stops:
            outcome = outcome or "inconclusive"
        elif gate.on_inconclusive == "warn":
            pending = "warn"

    # 4. Freeze on an active multiwindow burn alert.
    frozen_levels = {"page": {"page"}, "ticket": {"page", "ticket"}, "none": set()}[gate.freeze_on]
    burning = [s for s in budgets.slos if s.status == "ok" and s.alert in frozen_levels]
    if burning:
        names = ", ".join(f"{s.name} ({s.alert})" for s in burning)
        reasons.add(
            "freeze", f"active fast burn on {names}; freeze_on={gate.freeze_on}", decides=outcome is None
        )
        outcome = outcome or "fail"

    # 5. Tier by the lowest remaining budget among conclusive SLOs.
    conclusive = [
        s.budget_remaining for s in budgets.slos if s.status == "ok" and s.budget_remaining is not None
    ]
    if conclusive:
        lowest = min(conclusive)
        tier = choose_tier(gate, lowest)
        allows = change.risk in tier.allow
        # An allowing tier under a pending warn does not decide: the warn comes from step 3.
        decides = outcome is None and not (allows and pending == "warn")
        code = "tier-allows" if allows else "tier-blocks"
        reasons.add(code, _tier_message(tier, lowest, change.risk, decides), decides=decides)
        outcome = outcome or (pending if allows else "fail")
    elif outcome is None:
        message = "no SLO produced a budget; nothing left to judge"
        reasons.add("no-budget", message, decides=inconclusive_at is None)
    if reasons.decisive is None:  # on_inconclusive warn/pass set the outcome through `pending`
        reasons.decisive = inconclusive_at
    final: Outcome = outcome or pending

    advisory = gate.mode == "advisory"
    would_have: Outcome | None = None
    if advisory and final in ("fail", "inconclusive"):
        would_have = final
        # Context, not the decision: the decisive reason still says why it would have been `final`.
        reasons.add("advisory", f"advisory mode: would have been {final}")
        final = "warn"
    return Decision(
        outcome=final,
        exit_code=exit_code(final),
        reasons=reasons.build(),
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
