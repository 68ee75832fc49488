"""Measure every SLO of every policy: one batched query per SLO, sent with bounded concurrency.

All queries of a run use the same evaluation time, so the numbers in one report agree with each other.
A failed query makes its SLO inconclusive with the reason; when Prometheus placed a parse error in the
batch, the reason names the SLO, the query (error/good/total), the window and the position in the
policy's own text (`promql.locate_error`), and the query record keeps the server's own words.

What to ask and how to read the answer is gate/reads.py's: SLOs read from recorded series (policy
`sli.recorded`, or the run's `--use-recorded` through `metrics.PreferRecorded`) share one query per
policy and fall back to their raw queries, with the reason, one by one; an SLO knows its service and
its policy's maintenance windows (`SLO.context`), whose events every figure here leaves out. The
signatures of `measure_slo`, `measure_policies` and `measure_over` are unchanged: callers get all of
this from the SLOs they pass.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from gate import budget, promql, reads
from gate.errors import DataError
from gate.metrics import MetricsSource, prefers_recorded
from gate.models import BURN_WINDOWS, Exclusion, QueryRecord, Sample, ServiceBudget, SLOBudget, WindowCounts
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


def _input(slo: SLO, window: budget.SLOWindow) -> budget.SLOInput:
    return budget.SLOInput(
        name=slo.name,
        objective=slo.objective,
        window=window,
        min_events=slo.min_events,
        events_per_second=not promql.uses_increase(slo.sli.total_query),
    )


def measure_slo(
    slo: SLO, source: MetricsSource, at: float, tenant: str | None, *, windows: Sequence[str] = BURN_WINDOWS
) -> SLOBudget:
    """The SLO at `at`: one batched query (two when recorded series were asked for and cannot stand in).
    `windows=()` reads the budget alone (a past budget, for a report's deltas).

    Recorded series are read when the policy says `sli.recorded: true` or the run prefers them
    (`--use-recorded`, gate.metrics.PreferRecorded), and the raw queries with the reason otherwise.
    The policy's maintenance windows are left out of every window's counts (gate/reads.py).
    """
    window, specs = slo_windows(slo, at, windows)
    spec = _input(slo, window)
    try:
        spans = reads.exclusion_spans(slo, specs, at)
    except ValueError as exc:
        return budget.inconclusive(spec, f"SLO {slo.name}: {exc}")
    fallback: str | None = None
    queries: list[QueryRecord] = []
    if _reads_recorded(slo, source):
        context = slo.context
        if context is None:
            fallback = "recorded series are named by the SLO's service, and this SLO came without its policy"
        else:
            plan = reads.recorded_plan(slo, context.service, specs, spans, at)
            outcome = _send(slo, plan, source, at, tenant, spec)
            queries.append(outcome.record)
            if outcome.reading is not None:
                return _finish(slo, spec, plan, outcome.reading, queries, None)
            fallback = outcome.problem
    return _measure_raw(slo, spec, specs, spans, source, at, tenant, queries, fallback)


def _reads_recorded(slo: SLO, source: MetricsSource) -> bool:
    return slo.sli.recorded or prefers_recorded(source)


def _measure_raw(
    slo: SLO,
    spec: budget.SLOInput,
    specs: Sequence[promql.WindowSpec],
    spans: reads.Spans,
    source: MetricsSource,
    at: float,
    tenant: str | None,
    queries: list[QueryRecord],
    fallback: str | None,
) -> SLOBudget:
    plan = reads.raw_plan(slo, specs, spans, at)
    outcome = _send(slo, plan, source, at, tenant, spec)
    queries.append(outcome.record)
    if outcome.reading is None:
        failed = budget.inconclusive(spec, outcome.problem or "no answer", queries)
        return failed.model_copy(update={"read_fallback": fallback})
    return _finish(slo, spec, plan, outcome.reading, queries, fallback)


@dataclass(frozen=True)
class _Prepared:
    slo: SLO
    spec: budget.SLOInput
    specs: list[promql.WindowSpec]
    spans: reads.Spans
    plan: reads.Plan


def measure_recorded(
    slos: Sequence[SLO], service: str, source: MetricsSource, at: float, tenant: str | None
) -> list[SLOBudget]:
    """Several recorded SLOs of one policy from one query (the service's recorded series selected once,
    each SLO's raw parts tagged with its name); an SLO whose recordings cannot stand in is then read raw
    on its own, with the reason. The joined query is recorded with the first SLO (the audit log keeps it
    once; replay sends it again)."""
    results: dict[int, SLOBudget] = {}
    prepared: dict[int, _Prepared] = {}
    for index, slo in enumerate(slos):
        window, specs = slo_windows(slo, at)
        spec = _input(slo, window)
        try:
            spans = reads.exclusion_spans(slo, specs, at)
        except ValueError as exc:
            results[index] = budget.inconclusive(spec, f"SLO {slo.name}: {exc}")
            continue
        plan = reads.recorded_plan(slo, service, specs, spans, at, selectors=False)
        prepared[index] = _Prepared(slo, spec, specs, spans, plan)
    expr = _joined(service, [item.plan for item in prepared.values()])
    groups: dict[str, list[Sample]] = {}
    problem: str | None = None
    record = QueryRecord(slo=slos[min(prepared)].name if prepared else "", expr=expr, at=at)
    if expr:
        try:
            samples = source.instant(expr, at, tenant=tenant)
            record = record.model_copy(update={"samples": samples})
            groups = reads.group_samples(samples)
        except DataError as exc:
            problem = f"the recorded series could not be read: {exc.message}"
            record = record.model_copy(update={"error": exc.message})
    first = True
    for index, item in prepared.items():
        queries = [record] if first else []
        first = False
        fallback = problem
        if problem is None:
            try:
                reading = reads.read(item.slo, item.plan, groups.get(item.slo.name, []), grouped=True)
            except reads.Fallback as exc:
                fallback = exc.reason
            except DataError as exc:
                fallback = f"the recorded series cannot be trusted: {exc.message}"
            else:
                results[index] = _finish(item.slo, item.spec, item.plan, reading, queries, None)
                continue
        results[index] = _measure_raw(
            item.slo, item.spec, item.specs, item.spans, source, at, tenant, queries, fallback
        )
    return [results[i] for i in range(len(slos))]


def _joined(service: str, plans: Sequence[reads.Plan]) -> str:
    """One query of several SLOs' plans: their raw parts, and the service's recorded series once."""
    if not plans:
        return ""
    reading = [(slo, plan.windows, plan.raw_windows) for slo, plan in zip(_slos(plans), plans, strict=True)]
    pieces = [piece for plan in plans for piece in plan.pieces]
    return promql.join([*pieces, *reads.recorded_selectors(service, reading)]).text


def _slos(plans: Sequence[reads.Plan]) -> list[SLO]:
    slos = [plan.slo for plan in plans]
    assert all(slo is not None for slo in slos)  # recorded plans name their SLO
    return [slo for slo in slos if slo is not None]


def recorded_query(slos: Sequence[SLO], service: str, at: float) -> str:
    """The query `measure_recorded` sends for these SLOs (no maintenance windows), e.g. for a benchmark."""
    plans = []
    for slo in slos:
        _, specs = slo_windows(slo, at)
        plans.append(reads.recorded_plan(slo, service, specs, reads.Spans(), at, selectors=False))
    return _joined(service, plans)


@dataclass(frozen=True)
class _Outcome:
    record: QueryRecord
    reading: reads.Reading | None = None
    problem: str | None = None


def _send(
    slo: SLO, plan: reads.Plan, source: MetricsSource, at: float, tenant: str | None, spec: budget.SLOInput
) -> _Outcome:
    expr = plan.batch.text
    recorded = plan.mode == "recorded"
    try:
        samples = source.instant(expr, at, tenant=tenant)
    except DataError as exc:
        record = QueryRecord(slo=slo.name, expr=expr, at=at, error=exc.message)
        reason = query_failure(slo, plan.batch, exc)
        return _Outcome(
            record, problem=f"the recorded series could not be read: {reason}" if recorded else reason
        )
    record = QueryRecord(slo=slo.name, expr=expr, at=at, samples=samples)
    try:
        return _Outcome(record, reading=reads.read(slo, plan, samples))
    except reads.Fallback as exc:
        return _Outcome(record, problem=exc.reason)
    except DataError as exc:
        record = record.model_copy(update={"error": exc.message})
        problem = f"the recorded series cannot be trusted: {exc.message}" if recorded else exc.message
        return _Outcome(record, problem=problem)


def _finish(
    slo: SLO,
    spec: budget.SLOInput,
    plan: reads.Plan,
    reading: reads.Reading,
    queries: list[QueryRecord],
    fallback: str | None,
) -> SLOBudget:
    result = budget.evaluate_slo(spec, reading.counts, queries)
    update: dict[str, object] = {"read_from": plan.mode, "read_fallback": fallback}
    if plan.spans.merged:
        update |= _exclusions(slo, spec, plan, reading)
    return result.model_copy(update=update)


def _exclusions(
    slo: SLO, spec: budget.SLOInput, plan: reads.Plan, reading: reads.Reading
) -> dict[str, object]:
    """Each maintenance window in the SLO window, its events and cost, and the budget left without it."""
    allowed = budget.error_budget(slo.objective)
    after = reading.counts.get(budget.SLO_WINDOW)
    scale = spec.window.measured_seconds if spec.events_per_second else 1.0
    events_after = (after.total or 0.0) * scale if after is not None else 0.0
    exclusions = []
    for window in plan.spans.by_window.get(budget.SLO_WINDOW, ()):
        bad, total = reading.span_events.get((window.start, window.end), (0.0, 0.0))
        cost = bad / (allowed * events_after) if events_after > 0 else None
        exclusions.append(
            Exclusion(
                start=window.start,
                end=window.end,
                reasons=list(window.reasons),
                bad=bad,
                total=total,
                budget_cost=cost,
            )
        )
    before = reading.before
    ratio = budget.error_ratio(before) if before is not None else None
    return {
        "exclusions": exclusions,
        "budget_remaining_unadjusted": None if ratio is None else 1.0 - ratio / allowed,
    }


def query_failure(slo: SLO, batch: promql.Batch, exc: DataError) -> str:
    """Why the SLO's query failed: a parse error Prometheus placed in the batch is told as the SLO,
    query, window and position in the policy's own text; anything else as the client said it."""
    fault = promql.locate_error(batch, exc.message)
    return exc.message if fault is None else f"SLO {slo.name}: {fault.describe()}"


def measure_policies(
    policies: Sequence[LoadedPolicy], source: MetricsSource, at: float, *, concurrency: int = 8
) -> list[ServiceBudget]:
    """Budgets for every policy, in policy order, SLOs in policy order.

    Raw SLOs are one query each; a policy's recorded SLOs share one query (`measure_recorded`)."""
    jobs: list[tuple[LoadedPolicy, list[int], Callable[[], list[SLOBudget]]]] = []
    for loaded in policies:
        tenant = loaded.policy.prometheus.tenant
        slos = loaded.policy.slos
        recorded = [i for i, slo in enumerate(slos) if _reads_recorded(slo, source)]
        if recorded:
            chosen = [slos[i] for i in recorded]
            service = loaded.policy.service
            jobs.append(
                (loaded, recorded, functools.partial(measure_recorded, chosen, service, source, at, tenant))
            )
        for index, slo in enumerate(slos):
            if index not in recorded:
                jobs.append((loaded, [index], functools.partial(_one, slo, source, at, tenant)))
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = [pool.submit(job) for _, _, job in jobs]
        results = [f.result() for f in futures]
    by_policy: dict[int, dict[int, SLOBudget]] = {}
    for (loaded, indices, _), found in zip(jobs, results, strict=True):
        by_policy.setdefault(id(loaded), {}).update(zip(indices, found, strict=True))
    return [
        ServiceBudget(
            service=loaded.policy.service,
            policy=loaded.path,
            policy_sha256=loaded.sha256,
            slos=[by_policy[id(loaded)][i] for i in range(len(loaded.policy.slos))],
        )
        for loaded in policies
    ]


def _one(slo: SLO, source: MetricsSource, at: float, tenant: str | None) -> list[SLOBudget]:
    return [measure_slo(slo, source, at, tenant)]


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


@runtime_checkable
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

    Like `measure_slo`: recorded series when asked for (all points read raw, with the reason, when
    any point cannot use them, or when a maintenance window falls in the span), and maintenance
    windows left out of every point's windows (their events read by pinned instant queries).
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
    times = [start + index * step for index in range(int((end - start) // step) + 1)]
    try:
        spans = {t: reads.exclusion_spans(slo, specs, t) for t in times}
    except ValueError as exc:
        return [SLOPoint(t, budget.inconclusive(spec, f"SLO {slo.name}: {exc}")) for t in times]
    fallback: str | None = None
    if slo.sli.recorded or prefers_recorded(source):
        context = slo.context
        if context is None:
            fallback = "recorded series are named by the SLO's service, and this SLO came without its policy"
        elif any(s.merged for s in spans.values()):
            fallback = "a maintenance window falls in the span: its events are read from the raw queries"
        else:
            plan = reads.recorded_plan(slo, context.service, specs, reads.Spans(), end)
            try:
                points = _points(slo, spec, plan, source, times, step, tenant, spans, {}, sliding)
            except (reads.Fallback, DataError) as exc:
                fallback = (
                    exc.reason if isinstance(exc, reads.Fallback) else f"the recorded series: {exc.message}"
                )
            else:
                return points
    plan = reads.raw_plan(slo, specs, reads.Spans(), end)
    events = _span_events(slo, source, sorted({k for s in spans.values() for k in s.pieces()}), end, tenant)
    points = _points(slo, spec, plan, source, times, step, tenant, spans, events, sliding)
    if fallback is not None:
        points = [SLOPoint(p.at, p.budget.model_copy(update={"read_fallback": fallback})) for p in points]
    return points


_SPANS_PER_QUERY = 40


def _span_events(
    slo: SLO, source: RangeSource, spans: Sequence[tuple[float, float]], at: float, tenant: str | None
) -> reads.SpanEvents:
    """The events of every excluded span, each pinned to its end, a few dozen per instant query."""
    events: reads.SpanEvents = {}
    instant = getattr(source, "instant", None)
    for index in range(0, len(spans), _SPANS_PER_QUERY):
        if not callable(instant):
            raise DataError("this metrics source cannot run the instant queries maintenance windows need")
        batch, keys = reads.span_plan(slo, spans[index : index + _SPANS_PER_QUERY])
        events |= reads.span_counts(slo, instant(batch.text, at, tenant=tenant), keys)
    return events


def _points(
    slo: SLO,
    spec: budget.SLOInput,
    plan: reads.Plan,
    source: RangeSource,
    times: Sequence[float],
    step: float,
    tenant: str | None,
    spans: Mapping[float, reads.Spans],
    events: reads.SpanEvents,
    sliding: bool,
) -> list[SLOPoint]:
    """Every point from range queries of `plan`; a recorded plan raises Fallback at its first bad point."""
    by_time = range_samples(source, plan.batch.text, times[0], times[-1], step, tenant)
    points = []
    for t in times:
        samples = by_time.get(round(t, 3), [])
        at_t = dataclasses.replace(plan, spans=spans.get(t, reads.Spans()))
        try:
            reading = reads.read(slo, at_t, samples, span_events=events)
        except DataError as exc:
            if plan.mode == "recorded":
                raise
            points.append(SLOPoint(t, budget.inconclusive(spec, exc.message)))
            continue
        point = _point(spec, reading.counts, sliding).model_copy(update={"read_from": plan.mode})
        points.append(SLOPoint(t, point))
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
