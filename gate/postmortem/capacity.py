"""PURE: release capacity — how many deploys of each risk fit before the budget drops into the next tier.

In: the policy's gate settings (tiers), the budget left (the lowest conclusive SLO's, as the gate
judges it) and the expected cost of a deploy per risk level (gate.audit.settle.expected_cost: the
median of settled deploys, or the policy's `expected_cost`). Out: a `ReleaseCapacity`.

For the tier the budget is in (`above` A percent): a deploy of risk X costing c percent is allowed
when the tier allows X, and `fits` = the number of such deploys after which the budget is still above
A: the largest n with R - n c > A, i.e. ceil((R - A) / c) - 1. One more is still allowed (the gate
judges the budget before a deploy) but drops the budget into the next tier. In the last tier there is
no tier below (`fits` None: the budget does not limit it); a risk the tier does not allow fits 0; a
cost of zero fits without limit (None).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from gate.decide import choose_tier
from gate.models import RiskLevel, Tier
from gate.policy import GateConfig

__all__ = ["DeployCapacity", "ReleaseCapacity", "release_capacity"]


@dataclass(frozen=True)
class DeployCapacity:
    risk: str
    cost: float  # fraction of the budget one deploy is expected to spend
    cost_source: str
    allowed: bool
    fits: int | None  # deploys that keep the budget in this tier; None: no limit from the budget


@dataclass(frozen=True)
class ReleaseCapacity:
    remaining: float  # fraction of the budget left (lowest conclusive SLO)
    tier: Tier
    next_tier: Tier | None
    per_risk: tuple[DeployCapacity, ...]


def release_capacity(
    gate: GateConfig, remaining: float, costs: Mapping[str, tuple[float, str]]
) -> ReleaseCapacity:
    """`costs[risk]` = (fraction, where the figure comes from), for low, medium and high."""
    tier = choose_tier(gate, remaining)
    below = gate.tiers[tier.index + 1] if tier.index + 1 < len(gate.tiers) else None
    next_tier = Tier(index=tier.index + 1, above=below.above, allow=list(below.allow)) if below else None
    per_risk = []
    for level in RiskLevel:
        cost, source = costs[level.value]
        allowed = level in tier.allow
        fits: int | None
        if not allowed:
            fits = 0
        elif tier.above is None or cost <= 0:
            fits = None
        else:
            headroom = remaining * 100.0 - tier.above  # > 0: the tier was chosen for it
            fits = max(0, math.ceil(round(headroom / (cost * 100.0), 9)) - 1)
        per_risk.append(DeployCapacity(level.value, cost, source, allowed, fits))
    return ReleaseCapacity(remaining=remaining, tier=tier, next_tier=next_tier, per_risk=tuple(per_risk))
