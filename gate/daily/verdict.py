"""PURE: a service's headline verdict — healthy, watch, at risk or frozen — by fixed rules.

The first verdict with a rule that holds wins; every rule of that verdict that holds is a reason.

- **frozen** (the gate stops ordinary changes now): the policy's `freeze_on` alert is active on a
  conclusive SLO; or the tier at the lowest budget left allows no risk level.
- **at risk** (deploys are or soon will be restricted): an SLO is inconclusive now (the gate cannot
  judge it); an alert is active that does not freeze; the tier at the lowest budget left does not
  allow every risk level; the budget runs out within 7 days at the last hour's burn.
- **watch** (worth a look today): an incident (page or ticket) in the period; the 1 d burn rate is
  above 1x (spending faster than the window refills); budget left fell by 10 points or more in 24 h.
- **healthy**: none of the above.
"""

from __future__ import annotations

from collections.abc import Sequence

from gate.daily.model import SLODaily, Verdict
from gate.decide import choose_tier
from gate.models import RiskLevel
from gate.policy import GateConfig

__all__ = ["DROP_24H", "EXHAUSTION_HOURS", "verdict"]

EXHAUSTION_HOURS = 7 * 24.0
DROP_24H = 0.10
_FREEZES = {"page": {"page"}, "ticket": {"page", "ticket"}, "none": set()}


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.1f}%"


def verdict(gate: GateConfig, slos: Sequence[SLODaily], incidents: int) -> tuple[Verdict, list[str]]:
    conclusive = [s for s in slos if s.status == "ok"]
    left = [s for s in conclusive if s.budget_remaining is not None]
    lowest = min(left, key=lambda s: s.budget_remaining or 0.0) if left else None
    tier = choose_tier(gate, lowest.budget_remaining or 0.0) if lowest is not None else None

    frozen = [
        f"{s.name}: {s.alert} alert active (freeze_on {gate.freeze_on})"
        for s in conclusive
        if s.alert in _FREEZES[gate.freeze_on]
    ]
    if tier is not None and lowest is not None and not tier.allow:
        frozen.append(
            f"{lowest.name}: {_pct(lowest.budget_remaining or 0.0)} budget left: only exempt changes pass"
        )
    if frozen:
        return "frozen", frozen

    risk = [f"{s.name}: inconclusive ({s.reason or 'no reason given'})" for s in slos if s.status != "ok"]
    risk += [f"{s.name}: {s.alert} alert active" for s in conclusive if s.alert != "none"]
    if tier is not None and lowest is not None and set(tier.allow) != set(RiskLevel):
        allowed = ", ".join(r.value for r in tier.allow)
        risk.append(
            f"{lowest.name}: {_pct(lowest.budget_remaining or 0.0)} budget left allows only {allowed} changes"
        )
    risk += [
        f"{s.name}: budget exhausted in {s.exhaustion_hours:.0f} h at the last hour's burn"
        for s in conclusive
        if s.exhaustion_hours is not None and s.exhaustion_hours < EXHAUSTION_HOURS
    ]
    if risk:
        return "at risk", risk

    watch = [f"{incidents} incident{'s' if incidents != 1 else ''} in the period"] if incidents else []
    for s in conclusive:
        burn = s.burn_rates.get("1d")
        if burn is not None and burn > 1.0:
            watch.append(f"{s.name}: burning {burn:.2f}x over 1d")
        delta = s.delta_24h
        if delta is not None and delta <= -DROP_24H:
            watch.append(f"{s.name}: budget left fell {abs(delta) * 100:.1f} points in 24 h")
    if watch:
        return "watch", watch
    return "healthy", []
