"""Measure every SLO of every policy: one batched query per SLO, sent with bounded concurrency.

All queries of a run use the same evaluation time, so the numbers in one report agree with each other.
A failed query makes its SLO inconclusive with the reason; when Prometheus placed a parse error in the
batch, the reason names the SLO, the query (error/good/total), the window and the position in the
policy's own text (`promql.locate_error`), and the query record keeps the server's own words.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from gate import budget, promql
from gate.errors import DataError
from gate.metrics import MetricsSource
from gate.models import BURN_WINDOWS, QueryRecord, Sample, ServiceBudget, SLOBudget, WindowCounts
from gate.policy import SLO, LoadedPolicy, parse_duration

if TYPE_CHECKING:
    from gate.prometheus import RangeSeries


def slo_windows(
    slo: SLO, at: float, windows: Sequence[str] = BURN_WINDOWS
) -> tuple[budget.SLOWindow, list[promql.WindowSpec]]:
    """The SLO window (named `slo`) followed by every burn-rate window (or only `windows`)."""
    window = budget.slo_window(slo.window, at)
    duration = slo.window if isinstance(slo.window, str) else promql.seconds_duration(window.measured_seconds)
    specs = [promql.WindowSpec(budget.SLO_WINDOW, duration, window.measured_seconds)]
    specs += [promql.WindowSpec(w, w, parse_duration(w)) for w in windows]
    return window, specs


def slo_query(slo: SLO, at: float) -> str:
    _, specs = slo_windows(slo, at)
    return promql.batch_query(slo.sli, specs)


def measure_slo(
    slo: SLO, source: MetricsSource, at: float, tenant: str | None, *, windows: Sequence[str] = BURN_WINDOWS
) -> SLOBudget:
    """The SLO at `at` as the gate measures it; `windows=()` reads the budget alone (a past budget)."""
    window, specs = slo_windows(slo, at, windows)
    spec = budget.SLOInput(
        name=slo.name,
        objective=slo.objective,
        window=window,
        min_events=slo.min_events,
        events_per_second=not promql.uses_increase(slo.sli.total_query),
    )
    batch = promql.batch(slo.sli, specs)
    expr = batch.text
    try:
        samples = source.instant(expr, at, tenant=tenant)
    except DataError as exc:
        record = QueryRecord(slo=slo.name, expr=expr, at=at, error=exc.message)
        return budget.inconclusive(spec, query_failure(slo, batch, exc), [record])
    record = QueryRecord(slo=slo.name, expr=expr, at=at, samples=samples)
    try:
        counts = promql.parse_batch(samples, slo.sli, specs)
    except DataError as exc:
        return budget.inconclusive(spec, exc.message, [record.model_copy(update={"error": exc.message})])
    return budget.evaluate_slo(spec, counts, [record])


def query_failure(slo: SLO, batch: promql.Batch, exc: DataError) -> str:
    """Why the SLO's query failed: a parse error Prometheus placed in the batch is told as the SLO,
    query, window and position in the policy's own text; anything else as the client said it."""
    fault = promql.locate_error(batch, exc.message)
    return exc.message if fault is None else f"SLO {slo.name}: {fault.describe()}"


def measure_policies(
    policies: Sequence[LoadedPolicy], source: MetricsSource, at: float, *, concurrency: int = 8
) -> list[ServiceBudget]:
    """Budgets for every policy, in policy order, SLOs in policy order."""
    jobs = [(loaded, slo) for loaded in policies for slo in loaded.policy.slos]
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = [
            pool.submit(measure_slo, slo, source, at, loaded.policy.prometheus.tenant) for loaded, slo in jobs
        ]
        results = [f.result() for f in futures]
    by_policy: dict[int, list[SLOBudget]] = {}
    for (loaded, _), result in zip(jobs, results, strict=True):
        by_policy.setdefault(id(loaded), []).append(result)
    return [
        ServiceBudget(
            service=loaded.policy.service,
            policy=loaded.path,
            policy_sha256=loaded.sha256,
            slos=by_policy.get(id(loaded), []),
        )
        for loaded in policies
    ]


def budget_history(
    slo: SLO, source: MetricsSource, at: float, tenant: str | None, *, points: int = 24
) -> list[tuple[float, float]]:
    """Budget left over the SLO window, `points` samples up to `at`, from one range query.

    Rolling windows only (a calendar window restarts mid-chart), and only when the source can run
    range queries (a snapshot cannot); otherwise, or when the query fails, an empty list: the chart
    is decoration, never a reason to fail a run.
    """
    range_query = getattr(source, "range", None)
    if not callable(range_query) or not isinstance(slo.window, str):
        return []
    seconds = parse_duration(slo.window)
    spec = promql.WindowSpec(budget.SLO_WINDOW, slo.window, seconds)
    expr = promql.batch_query(slo.sli, [spec])
    step = seconds / points
    try:
        series = range_query(expr, at - seconds + step, at, step, tenant=tenant)
    except DataError:
        return []
    values: dict[str, dict[float, float]] = {}
    for item in series:
        part = item.labels.get(promql.PART_LABEL, "").partition(":")[0]
        values[part] = dict(item.values)
    total = values.get("total", {})
    allowed = budget.error_budget(slo.objective)
    history = []
    for t in sorted(total):
        if total[t] <= 0:
            continue
        bad = (
            values["bad"].get(t, 0.0)
            if "bad" in values
            else total[t] - values.get("good", {}).get(t, total[t])
        )
        history.append((t, 1.0 - (bad / total[t]) / allowed))
    return history


# ---- over a span of time --------------------------------------------------------------------------

MAX_POINTS_PER_QUERY = 10_000  # Prometheus refuses more than 11,000 points per series in one range query


class RangeSource(Protocol):
    def range(
        self, expr: str, start: float, end: float, step: float, *, tenant: str | None = None
    ) -> list[RangeSeries]: ...


class HistorySource(MetricsSource, RangeSource, Protocol):
    """A source that answers instant and range queries (a live backend; a snapshot cannot)."""


@dataclass(frozen=True)
class SLOPoint:
    """The SLO as `measure_slo` would have reported it at time `at` (same query, same math)."""

    at: float
    budget: SLOBudget


def range_points(start: float, end: float, step: float) -> list[tuple[float, float]]:
    """Split [start, end] into (start, end) chunks of at most MAX_POINTS_PER_QUERY steps each."""
    if not (step > 0 and end >= start):
        raise ValueError("a range needs step > 0 and end >= start")
    chunks: list[tuple[float, float]] = []
    span = step * (MAX_POINTS_PER_QUERY - 1)
    at = start
    while at <= end:
        chunk_end = min(end, at + span)
        chunks.append((at, chunk_end))
        at = chunk_end + step
    return chunks


def range_samples(
    source: RangeSource, expr: str, start: float, end: float, step: float, tenant: str | None
) -> dict[float, list[Sample]]:
    """Every sample of `expr` from `start` to `end` every `step`, grouped by time (rounded to the
    millisecond Prometheus keeps), from range queries split under the points limit."""
    by_time: dict[float, list[Sample]] = {}
    for chunk_start, chunk_end in range_points(start, end, step):
        for series in source.range(expr, chunk_start, chunk_end, step, tenant=tenant):
            for t, value in series.values:
                by_time.setdefault(round(t, 3), []).append(Sample(labels=series.labels, value=value))
    return by_time


def measure_over(
    slo: SLO,
    source: RangeSource,
    start: float,
    end: float,
    step: float,
    tenant: str | None,
    *,
    windows: Sequence[str] = BURN_WINDOWS,
    budget_window: bool = True,
) -> list[SLOPoint]:
    """The SLO at every `step` from `start` to `end`: budget left (rolling windows), burn rates over
    `windows` and the multiwindow alert, from range queries of the same batched expression the gate
    sends (split to stay under the backend's points limit). One home for every "over time" figure:
    a watcher's onset, a report's incidents and sparkline, a postmortem's span and peak.

    `windows` may add windows the gate does not use (`1m` for a postmortem's edges); each gets a
    burn rate. `budget_window=False` leaves the SLO window out of the query (a 30 d range at every
    minute of a day costs a backend far more than the burn windows): its points then carry burn rates
    and alerts only, as a calendar SLO's always do (it has no fixed window to slide). A step whose
    answer cannot be trusted is an inconclusive point, never a healthy one; a query that fails raises
    DataError (the caller names what it was measuring).
    """
    specs = [promql.WindowSpec(w, w, parse_duration(w)) for w in windows]
    rolling = isinstance(slo.window, str)
    sliding = rolling and budget_window
    if rolling:
        assert isinstance(slo.window, str)
        seconds = parse_duration(slo.window)
        window = budget.SLOWindow(slo.window, seconds, seconds)
    else:
        window = budget.slo_window(slo.window, end)
    if sliding:
        specs.insert(0, promql.WindowSpec(budget.SLO_WINDOW, window.label, window.period_seconds))
    spec = budget.SLOInput(
        name=slo.name,
        objective=slo.objective,
        window=window,
        min_events=slo.min_events if sliding else 0,
        events_per_second=not promql.uses_increase(slo.sli.total_query),
    )
    expr = promql.batch_query(slo.sli, specs)
    by_time = range_samples(source, expr, start, end, step, tenant)
    points = []
    for index in range(int((end - start) // step) + 1):
        t = start + index * step
        samples = by_time.get(round(t, 3), [])
        try:
            counts = promql.parse_batch(samples, slo.sli, specs)
        except DataError as exc:
            points.append(SLOPoint(t, budget.inconclusive(spec, exc.message)))
            continue
        points.append(SLOPoint(t, _point(spec, counts, sliding)))
    return points


def _point(spec: budget.SLOInput, counts: dict[str, WindowCounts], sliding: bool) -> SLOBudget:
    """One step's SLO from its counts: the gate's math, plus a burn rate for every extra window asked
    for; without the SLO window, burn rates and the alert only."""
    point = budget.evaluate_slo(spec, counts)
    allowed = budget.error_budget(spec.objective)
    extra = {
        w: budget.burn_rate(budget.error_ratio(c), allowed)
        for w, c in counts.items()
        if w not in point.burn_rates and w != budget.SLO_WINDOW
    }
    if extra:
        point = point.model_copy(update={"burn_rates": {**point.burn_rates, **extra}})
    return point if sliding else _burn_only(point, spec)


def _burn_only(point: SLOBudget, spec: budget.SLOInput) -> SLOBudget:
    """A point measured without the SLO window's part: its burn rates and the alert they fire (the
    budget math needs the whole window, so budget left and exhaustion stay unknown)."""
    cleared: dict[str, object] = {
        "budget_remaining": None,
        "exhaustion_hours": None,
        "error_ratio": None,
        "events": None,
    }
    if not any(rate is not None for rate in point.burn_rates.values()):
        if point.burn_rates:  # measured, but no burn window saw traffic
            cleared["reason"] = "no traffic in any burn window"
        return point.model_copy(update=cleared)  # implausible counts keep their own reason
    alert, reasons = budget.evaluate_alerts(point.burn_rates, spec.window.period_seconds)
    update: dict[str, object] = {
        **cleared,
        "status": "ok",
        "reason": None,
        "alert": alert,
        "alert_reasons": reasons,
    }
    return point.model_copy(update=update)


SPAN_WINDOW = "span"


def budget_spent(
    slo: SLO, source: MetricsSource, start: float, end: float, tenant: str | None
) -> float | None:
    """The fraction of the SLO's whole budget spent from `start` to `end` (DESIGN §3's cost: burning at
    b for t spends b*t/P), from one instant query of the gate's batched expression at `end` over a
    window of exactly that span (whole seconds). None: no traffic in the span. Raises DataError when
    the query fails or its answer cannot be trusted. One home for "what did this stretch cost": a
    watcher's spend since onset, a resolved incident's total, a report's or postmortem's span.
    """
    seconds = float(max(1, int(end - start)))
    spec = promql.WindowSpec(SPAN_WINDOW, promql.seconds_duration(seconds), seconds)
    samples = source.instant(promql.batch_query(slo.sli, [spec]), end, tenant=tenant)
    counts = promql.parse_batch(samples, slo.sli, [spec])[SPAN_WINDOW]
    problem = budget.implausible(counts)
    if problem is not None:
        raise DataError(f"implausible counts over the span: {problem}")
    ratio = budget.error_ratio(counts)
    if ratio is None:
        return None
    burn = budget.burn_rate(ratio, budget.error_budget(slo.objective))
    assert burn is not None
    period = budget.slo_window(slo.window, end).period_seconds
    return budget.budget_cost(burn, seconds, period)
