"""When a burn began, when its alert began, and what it has cost since: from Prometheus, through
gate.measure (the gate's own batched expression, the gate's own alert rules).

In: an SLO, a source that runs range queries, the evaluation time. Out: an `OnsetInfo`.

- The search goes back from the evaluation time at a 1-minute step, over at most LOOKBACK (3 days),
  in growing chunks (the last hour, then 6 h, 1 d, 3 d) and stops as soon as both answers are known,
  so a burn that began minutes ago costs one small range query. Only the burn windows are read
  (`measure_over(..., budget_window=False)`), never the whole SLO window at every step.
- onset: the first minute of the latest stretch in which the 5m burn rate was above 1x (minutes at
  the end where it has already dropped back are skipped: the burn being reported is the one before).
  A minute without traffic, or whose data cannot be trusted, is not burning.
- alert_since: the first minute of the stretch, ending at the evaluation time, in which the page or
  ticket condition held.
- A stretch that reaches back past the search is reported from where the search began, marked
  inexact ("at least since").
- spent_since_onset: `measure.budget_spent` from onset to the evaluation time.

A failed query raises DataError; the caller keeps the rest of the context and says why this part is
missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from gate.incident.model import OnsetInfo
from gate.measure import RangeSource, SLOPoint, budget_spent, measure_over
from gate.metrics import MetricsSource
from gate.policy import SLO
from gate.times import iso

__all__ = ["CHUNKS", "LOOKBACK", "STEP", "QuerySource", "find_onset"]

STEP = 60.0
CHUNKS = (3600.0, 6 * 3600.0, 86400.0, 3 * 86400.0)  # cumulative spans searched, in turn
LOOKBACK = CHUNKS[-1]
SHORT_WINDOW = "5m"


class QuerySource(MetricsSource, RangeSource, Protocol):
    """A source that answers instant and range queries (the Prometheus client; not a snapshot)."""


@dataclass
class _Search:
    """The walk back in time, one minute at a time, across chunks."""

    at: float
    started: bool = False  # the 5m burn has been seen above 1x (skipping the recovered minutes)
    onset: float | None = None
    onset_done: bool = False
    alert_since: float | None = None
    alert_done: bool = False

    def visit(self, point: SLOPoint) -> None:
        ok = point.budget.status == "ok"
        burn = point.budget.burn_rates.get(SHORT_WINDOW)
        burning = ok and burn is not None and burn > 1.0
        if not self.onset_done:
            if burning:
                self.started, self.onset = True, point.at
            elif self.started:
                self.onset_done = True
        if not self.alert_done:
            if ok and point.budget.alert != "none":
                self.alert_since = point.at
            else:
                self.alert_done = True

    @property
    def done(self) -> bool:
        return self.onset_done and self.alert_done


def find_onset(slo: SLO, source: QuerySource, at: float, tenant: str | None) -> OnsetInfo:
    """Onset, alert_since and the spend since onset (see the module docstring)."""
    search = _Search(at)
    newest = at
    searched_from = at
    for span in CHUNKS:
        oldest = at - span
        points = measure_over(slo, source, oldest, newest, STEP, tenant, budget_window=False)
        for point in reversed(points):
            search.visit(point)
            if search.done:
                break
        searched_from = oldest
        if search.done:
            break
        newest = oldest - STEP
    notes: list[str] = []
    onset_exact = search.onset_done
    if search.onset is None:
        notes.append(
            f"the {SHORT_WINDOW} burn rate was not above 1x at any minute since {iso(searched_from)}"
        )
    elif not onset_exact:
        notes.append(f"burning above 1x since before {iso(searched_from)}, where the search ends")
    spent = budget_spent(slo, source, search.onset, at, tenant) if search.onset is not None else None
    return OnsetInfo(
        onset=search.onset,
        onset_exact=onset_exact,
        alert_since=search.alert_since,
        alert_since_exact=search.alert_done,
        searched_from=searched_from,
        spent_since_onset=spent,
        note="; ".join(notes) or None,
    )
