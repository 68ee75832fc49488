"""Read a history: events per hour from range queries. The only part of the recommender that does I/O.

In: an SLI (policy text or command-line queries, already checked) or a `Histogram`; a range source
(`gate.measure.RangeSource`, the Prometheus client); a span on hour boundaries; the tenant.
Out: one `Hour` per hour ending at `start + 1h` ... `end`, or per hour the events at or under each
bucket. The SLI is read with the gate's own batched expression (`gate.promql.batch`) for one `1h`
window evaluated every hour and split back with `gate.promql.parse_batch`, so an hour holds what the
gate would have measured over that hour (an error query without series is zero errors; garbage makes
the hour unreadable, never zero). Each step reads one hour of samples, and spans longer than the
backend's points limit are split (`gate.measure.range_samples`). A query that fails raises DataError.
Bucket bounds from the answer are data: only ones that read as numbers are kept, and they never reach
a query.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gate import promql
from gate.errors import DataError
from gate.measure import RangeSource, range_points, range_samples
from gate.objective.series import HOUR, Hour
from gate.objective.target import Histogram, is_bucket_bound
from gate.policy import SLI

__all__ = ["BucketHistory", "hour_ends", "read_buckets", "read_hours"]

STEP = "1h"
MAX_BUCKETS = 100  # a histogram with more bounds than this is not a latency SLI we can judge


def hour_ends(start: float, end: float) -> list[float]:
    """The end of every hour in (start, end]."""
    return [start + HOUR * (i + 1) for i in range(round((end - start) / HOUR))]


def read_hours(sli: SLI, source: RangeSource, start: float, end: float, tenant: str | None) -> list[Hour]:
    """Bad and total events of every hour in (start, end], from the gate's batched query."""
    specs = [promql.WindowSpec(STEP, STEP, HOUR)]
    expr = promql.batch_query(sli, specs)
    scale = 1.0 if promql.uses_increase(sli.total_query) else HOUR
    grouped = range_samples(source, expr, start + HOUR, end, HOUR, tenant)
    hours = []
    for at in hour_ends(start, end):
        samples = grouped.get(round(at, 3), [])
        try:
            counts = promql.parse_batch(samples, sli, specs)[STEP]
        except DataError as exc:
            hours.append(Hour(at, None, None, exc.message))
            continue
        if counts.total is None:
            hours.append(Hour(at, None, None, "no data: total_query returned no series for this hour"))
        else:
            hours.append(Hour(at, (counts.bad or 0.0) * scale, counts.total * scale))
    return hours


@dataclass(frozen=True)
class BucketHistory:
    """Per hour, events at or under each bound (`None`: the hour could not be read); `bounds` in order,
    `+Inf` last; `ignored` counts series whose `le` is not a number."""

    bounds: tuple[str, ...]
    hours: tuple[tuple[float, dict[str, float] | None, str | None], ...]
    ignored: int = 0

    def hour_counts(self, bound: str) -> list[Hour]:
        """The SLI `good = at or under bound`, as bad and total events per hour."""
        out = []
        for at, counts, problem in self.hours:
            if counts is None or "+Inf" not in counts:
                out.append(
                    Hour(at, None, None, problem or "no data: the histogram has no +Inf bucket this hour")
                )
                continue
            total = counts["+Inf"]
            good = counts.get(bound, 0.0)
            allowance = promql.skew_allowance(total, 1.0)
            if good > total + allowance:
                out.append(Hour(at, None, None, f"bucket le={bound} counts more events than +Inf"))
                continue
            out.append(Hour(at, max(0.0, total - good), total))
        return out


def _bound_value(bound: str) -> float:
    return math.inf if bound == "+Inf" else float(bound)


def read_buckets(
    histogram: Histogram, source: RangeSource, start: float, end: float, tenant: str | None
) -> BucketHistory:
    """Events per bucket of every hour in (start, end], from one `sum by (le)` range query."""
    expr = histogram.bucket_query(STEP)
    per_bound: dict[str, dict[float, float]] = {}
    ignored = 0
    for chunk_start, chunk_end in range_points(start + HOUR, end, HOUR):
        for series in source.range(expr, chunk_start, chunk_end, HOUR, tenant=tenant):
            bound = series.labels.get("le", "")
            if not is_bucket_bound(bound):
                ignored += 1
                continue
            values = per_bound.setdefault(bound, {})
            for t, value in series.values:
                if round(t, 3) in values:
                    raise DataError(f"two series came back for le={bound}", query=expr)
                values[round(t, 3)] = value
            if len(per_bound) > MAX_BUCKETS:
                raise DataError(f"the histogram has more than {MAX_BUCKETS} buckets", query=expr)
    bounds = tuple(sorted(per_bound, key=_bound_value))
    hours: list[tuple[float, dict[str, float] | None, str | None]] = []
    for at in hour_ends(start, end):
        key = round(at, 3)
        counts = {b: per_bound[b][key] for b in bounds if key in per_bound[b]}
        problem = _bucket_problem(counts)
        hours.append((at, None if problem else counts, problem))
    return BucketHistory(bounds, tuple(hours), ignored)


def _bucket_problem(counts: dict[str, float]) -> str | None:
    """Why an hour's buckets cannot be read: none at all, no +Inf, or a negative count."""
    if not counts:
        return "no data: the histogram returned no buckets for this hour"
    if "+Inf" not in counts:
        return "no data: the histogram has no +Inf bucket this hour"
    if any(value < -promql.skew_allowance(counts["+Inf"], 1.0) for value in counts.values()):
        return "a bucket counts fewer than zero events"
    return None
