"""PURE: what a deploy is expected to cost, from the audit log's settlements or the policy's figure.

The median measured cost of at least `MIN_SETTLED` settled deploys of the same service and risk, else
the policy's `gate.expected_cost`. The audit record models are loaded only when there is history to read,
so a check without an audit log does not pay for them.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gate.audit.record import AuditRecord

__all__ = ["MIN_SETTLED", "POLICY_EXPECTED_COST", "ExpectedCost", "expected_cost", "settled_costs"]

MIN_SETTLED = 5  # fewer settled deploys than this and a median says more about luck than about risk
POLICY_EXPECTED_COST = "policy gate.expected_cost"


@dataclass(frozen=True)
class ExpectedCost:
    """The budget fraction a deploy is expected to spend, and where that figure comes from.

    `samples` is how many settled deploys of this service and risk were found (also when there
    were too few to use and the policy's figure applies).
    """

    fraction: float
    source: str
    samples: int


def settled_costs(records: Sequence[AuditRecord], service: str, risk: str) -> list[float]:
    """Measured costs of settled deploys of `service` at `risk`; one per deploy (first settlement wins)."""
    if not records:
        return []
    from gate.audit.record import SettlementRecord  # only when there is history to read

    seen: set[str] = set()
    costs: list[float] = []
    for record in records:
        if not isinstance(record, SettlementRecord) or record.service != service:
            continue
        if record.deploy_risk != risk or record.cost is None:
            continue
        if record.deploy_id in seen:
            continue  # two settle runs raced: the deploy still happened once
        seen.add(record.deploy_id)
        costs.append(record.cost)
    return costs


def expected_cost(
    records: Sequence[AuditRecord], service: str, risk: str, policy_percent: float
) -> ExpectedCost:
    """The median settled cost of this service's `risk` deploys, or the policy's figure with too few."""
    costs = settled_costs(records, service, risk)
    if len(costs) >= MIN_SETTLED:
        # The median: one incident-sized outlier must not make every later deploy look unaffordable.
        source = f"median of {len(costs)} settled {risk} deploys of {service}"
        return ExpectedCost(statistics.median(costs), source, len(costs))
    return ExpectedCost(policy_percent / 100.0, POLICY_EXPECTED_COST, len(costs))
