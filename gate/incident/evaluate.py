"""PURE: a round's budgets, as the gate measured them, read as observations for the incident state.

In: the loaded policies and `measure_policies`' budgets (the gate's own numbers, same code, same
evaluation time). Out: one `Observation` per SLO: its alert (DESIGN §3: page over ticket; none on
inconclusive data) and the 24 h drift view: burning faster than 1x over the last day while the budget
left is already below the policy's first tier (a slow leak that pages nobody but will narrow the gate).
"""

from __future__ import annotations

from collections.abc import Sequence

from gate.incident.model import Observation
from gate.models import ServiceBudget, SLOBudget
from gate.policy import LoadedPolicy, Policy

__all__ = ["drifting", "observe"]

DRIFT_WINDOW = "1d"


def drifting(budget: SLOBudget, policy: Policy) -> bool:
    """b(1d) > 1 and budget left below the first tier's `above` (a policy with one tier has no line)."""
    if budget.status != "ok" or budget.budget_remaining is None:
        return False
    burn = budget.burn_rates.get(DRIFT_WINDOW)
    first = policy.gate.tiers[0].above
    if burn is None or first is None:
        return False
    return burn > 1.0 and budget.budget_remaining * 100.0 <= first


def observe(policies: Sequence[LoadedPolicy], budgets: Sequence[ServiceBudget]) -> list[Observation]:
    """One observation per SLO, in policy order (budgets come from `measure_policies(policies, ...)`)."""
    observations: list[Observation] = []
    for loaded, service in zip(policies, budgets, strict=True):
        policy = loaded.policy
        for slo in service.slos:
            observations.append(
                Observation(
                    service=policy.service,
                    slo=slo.name,
                    policy=loaded.path,
                    tenant=policy.prometheus.tenant,
                    budget=slo,
                    drift=drifting(slo, policy),
                )
            )
    return observations
