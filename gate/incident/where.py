"""Where the errors are: for each label in `slos[].breakdown`, the top values by share of the SLO's
errors over the 5m window ending at the evaluation time, each with its own burn rate.

In: an SLO, an instant-query source, the evaluation time, and the SLO's budget as the gate measured
it at that time. Out: one `WhereLabel` per breakdown label. The query is `promql.breakdown_query`
(the policy's own SLI, rewritten to keep the label; never a label value or user text). A share is a
value's bad events over the bad events of every value; a value holding at least 60 % is called
concentrated (by the renderers, from `WhereLabel.concentrated`).

Nothing is shown that does not add up: when the split's grand total disagrees with the gate's own
5m error ratio (a query the rewrite could not keep exact), the label gets a note instead of shares.
A failed query or a garbage answer gives that label a note; the other labels are unaffected.
"""

from __future__ import annotations

from gate import budget, promql
from gate.errors import DataError
from gate.incident.model import WhereLabel, WhereValue
from gate.metrics import MetricsSource
from gate.models import SLOBudget
from gate.policy import SLO

__all__ = ["WINDOW", "breakdowns"]

WINDOW = "5m"
_AGREE_REL = 0.01  # the split's error ratio within 1 % of the gate's (plus a hair for float sums)


def breakdowns(
    slo: SLO, source: MetricsSource, at: float, tenant: str | None, measured: SLOBudget
) -> list[WhereLabel]:
    return [_one(slo, label, source, at, tenant, measured) for label in slo.breakdown]


def _one(
    slo: SLO, label: str, source: MetricsSource, at: float, tenant: str | None, measured: SLOBudget
) -> WhereLabel:
    try:
        query = promql.breakdown_query(slo.sli, label, WINDOW)
    except ValueError as exc:
        return WhereLabel(label=label, note=f"cannot split this SLI by {label}: {exc}")
    try:
        counts = promql.parse_breakdown(source.instant(query, at, tenant=tenant), label)
    except DataError as exc:
        return WhereLabel(label=label, note=f"the split by {label} failed: {exc.message[:300]}")
    if counts.bad_all <= 0 or not counts.top:
        return WhereLabel(label=label, note=f"no errors in the last {WINDOW}")
    allowed = budget.error_budget(slo.objective)
    problem = _disagrees(counts, measured, allowed)
    if problem is not None:
        return WhereLabel(label=label, note=problem)
    values = [
        WhereValue(
            value=item.value,
            share=item.bad / counts.bad_all,
            burn_rate=(item.bad / item.total) / allowed if item.total else None,
        )
        for item in counts.top
    ]
    return WhereLabel(label=label, window=WINDOW, values=values)


def _disagrees(counts: promql.BreakdownCounts, measured: SLOBudget, allowed: float) -> str | None:
    gate_burn = measured.burn_rates.get(WINDOW)
    if gate_burn is None or not counts.total_all:
        return None
    split_burn = counts.bad_all / counts.total_all / allowed
    if abs(split_burn - gate_burn) <= _AGREE_REL * max(gate_burn, 1e-9) + 1e-9:
        return None
    return (
        f"the split by {counts.label} adds up to a {WINDOW} burn of {split_burn:.2f}x, not the "
        f"{gate_burn:.2f}x the SLO measures; shares not shown"
    )
