"""Measure what a span cost: one batched instant query at the span's end (gate.promql's own batch).

In: an SLO, a metrics source, the span [start, end] and the tenant. Out: a `SpanImpact`
(gate.postmortem.impact) from one query holding the span, the SLO window ending at `end` and the
calendar quarter so far, bad and total each, so the three counts come from one evaluation. A query
that fails raises DataError naming the SLO; implausible counts do too (never a 0 % that is garbage).
"""

from __future__ import annotations

from gate import budget, promql
from gate.errors import DataError
from gate.measure import slo_windows
from gate.metrics import MetricsSource
from gate.policy import SLO, CalendarWindow
from gate.postmortem.impact import SpanImpact, events, span_impact

__all__ = ["measure_span"]


def measure_span(
    slo: SLO, source: MetricsSource, start: float, end: float, tenant: str | None, *, quarter: bool = True
) -> SpanImpact:
    """The span's cost; `quarter=False` leaves the quarter out (cheaper: its window can hold 92 days)."""
    if end <= start:
        raise DataError(f"SLO {slo.name}: a span must end after it starts")
    q_start, q_end = budget.calendar_bounds(CalendarWindow(calendar="quarter"), end)
    seconds = end - start
    window, window_specs = slo_windows(slo, end)
    to_date = max(end - q_start, seconds)
    specs = [
        promql.WindowSpec("span", promql.seconds_duration(seconds), seconds),
        promql.WindowSpec("slo", window_specs[0].duration, window.measured_seconds),
    ]
    if quarter:
        specs.append(promql.WindowSpec("quarter", promql.seconds_duration(to_date), to_date))
    try:
        samples = source.instant(promql.batch_query(slo.sli, specs), end, tenant=tenant)
        counts = promql.parse_batch(samples, slo.sli, specs)
    except DataError as exc:
        raise DataError(f"SLO {slo.name}: the span's spend could not be measured: {exc.message}") from None
    for name, found in counts.items():
        problem = budget.implausible(found)
        if problem is not None:
            raise DataError(f"SLO {slo.name}: implausible counts over the {name}: {problem}")
    per_second = not promql.uses_increase(slo.sli.total_query)
    _, window_events = events(counts["slo"], per_second)
    _, quarter_events = events(counts["quarter"], per_second) if quarter else (None, None)
    return span_impact(
        objective=slo.objective,
        start=start,
        end=end,
        span=events(counts["span"], per_second),
        window_label=window.label,
        window_events=window_events,
        quarter=(q_start, q_end),
        quarter_events=quarter_events,
    )
