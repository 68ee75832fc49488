"""Measure the report: every SLO of every policy now, 24 h and 7 d ago, over the period, and the
gate's decisions in it; then the verdicts and the narrative.

In: loaded policies, a source that answers instant and range queries, the typed audit records, a
`ReportRequest` (evaluation time, period) and the run's model client. Out: a `DailyReport`.

Every figure comes from the gate's own measuring code, so the report agrees with `check` and
`status` to the digit: "now" from `measure_policies`; budget left and alerts over the period from one
`measure_over` of every window (hourly, at most STEPS steps), whose first point is also the budget
24 h (or 7 d) ago when the period is that long; other past budgets from `measure_slo` at that time
with the SLO window alone; the incidents from those points' alerts, with
1-minute edges as a postmortem finds them (gate.daily.incidents); the period's spend from the gate's
own answer for "now" when the period is its 1 d window, else from one batched query
(gate.postmortem.spend).
A query that fails makes that figure absent with a note, never a healthy zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gate import promql
from gate.budget import SLO_WINDOW, error_budget
from gate.daily.incidents import SCAN_STEP, find_incidents, scan
from gate.daily.model import DailyReport, IncidentEntry, Period, SeriesPoint, ServiceDaily, SLODaily
from gate.daily.narrative import narrative
from gate.daily.verdict import verdict
from gate.errors import DataError
from gate.llm.client import ToolCaller
from gate.measure import HistorySource, measure_policies, measure_slo, slo_windows
from gate.models import SLOBudget
from gate.policy import SLO, LoadedPolicy
from gate.postmortem.deploys import decisions_around
from gate.postmortem.impact import events
from gate.postmortem.model import NarrativeInfo
from gate.postmortem.spend import measure_span
from gate.times import iso

if TYPE_CHECKING:
    from gate.audit.record import AuditRecord

__all__ = ["STEPS", "ReportRequest", "build_report", "series_step"]

DAY = 86400.0
STEPS = 200  # points of a series at most


@dataclass(frozen=True)
class ReportRequest:
    at: float
    period: float  # seconds
    label: str  # how the period was given: 24h, 7d
    concurrency: int = 8


def series_step(period: float) -> float:
    """Hourly, or coarser (whole minutes) so the period has at most STEPS points: 25 over 24 h, 169
    over 7 d. Every step evaluates every burn window, so finer steps would cost the backend many times
    the gate's own query; the hours that need a closer look get one (gate.daily.incidents)."""
    return max(SCAN_STEP, math.ceil(period / (STEPS - 1) / 60.0) * 60.0)


@dataclass(frozen=True)
class _Measured:
    slo: SLODaily
    incidents: list[IncidentEntry]
    notes: list[str]


def _budget_at(slo: SLO, source: HistorySource, when: float, tenant: str | None) -> float | None:
    """Budget left at `when`, as the gate would have measured it then (the SLO window alone)."""
    measured = measure_slo(slo, source, when, tenant, windows=())
    return measured.budget_remaining if measured.status == "ok" else None


def _spent(
    slo: SLO, now: SLOBudget, source: HistorySource, request: ReportRequest, tenant: str | None
) -> float | None:
    """Percent of the window's budget spent over the period. A 24 h period is the gate's own 1 d
    window: read from the answer `measure_policies` already holds (no second query); any other
    period is measured (gate.postmortem.spend)."""
    answered = [q for q in now.queries if q.error is None]
    if request.period == DAY and now.status == "ok" and len(answered) == 1:
        _, specs = slo_windows(slo, request.at)
        counts = promql.parse_batch(answered[0].samples, slo.sli, specs)
        per_second = not promql.uses_increase(slo.sli.total_query)
        bad, _ = events(counts["1d"], per_second)
        _, window_events = events(counts[SLO_WINDOW], per_second)
        if bad is not None and window_events:
            return bad / (error_budget(slo.objective) * window_events) * 100.0
        return None
    return measure_span(
        slo, source, request.at - request.period, request.at, tenant, quarter=False
    ).window_pct


def _ago(
    slo: SLO, source: HistorySource, request: ReportRequest, tenant: str | None, series: Sequence[SeriesPoint]
) -> tuple[float | None, float | None]:
    """Budget left 24 h and 7 d ago: the series' first point when the period is exactly that long."""
    found: list[float | None] = []
    for span in (DAY, 7 * DAY):
        if series and abs(series[0].at - (request.at - span)) < 1e-6:
            found.append(series[0].budget_remaining)
        else:
            found.append(_budget_at(slo, source, request.at - span, tenant))
    return found[0], found[1]


def _history(
    loaded: LoadedPolicy, slo: SLO, source: HistorySource, request: ReportRequest
) -> tuple[list[SeriesPoint], str | None, list[IncidentEntry], list[str]]:
    """The series of budget left (rolling windows), why there is none, the incidents, and notes."""
    tenant = loaded.policy.prometheus.tenant
    series: list[SeriesPoint] = []
    note = None if isinstance(slo.window, str) else "a calendar window has no sliding series"
    try:
        points = scan(
            slo, source, request.at - request.period, request.at, series_step(request.period), tenant
        )
        if isinstance(slo.window, str):
            series = [
                SeriesPoint(
                    at=p.at, budget_remaining=p.budget.budget_remaining if p.budget.status == "ok" else None
                )
                for p in points
            ]
        required = loaded.policy.postmortem.required_above
        return series, note, find_incidents(slo, source, points, request.at, tenant, required=required), []
    except DataError as exc:
        why = f"the burn history could not be read: {exc.message}"
        return series, why, [], [f"{slo.name}: {why}; incidents are not shown"]


def _measure_slo(
    loaded: LoadedPolicy, slo: SLO, now: SLOBudget, source: HistorySource, request: ReportRequest
) -> _Measured:
    tenant = loaded.policy.prometheus.tenant
    series, series_note, incidents, notes = _history(loaded, slo, source, request)
    try:
        day, week = _ago(slo, source, request, tenant, series)
    except DataError as exc:
        day, week = None, None
        notes.append(f"{slo.name}: budget 24 h / 7 d ago could not be measured: {exc.message}")
    spent = None
    try:
        spent = _spent(slo, now, source, request, tenant)
    except DataError as exc:
        notes.append(f"{slo.name}: the period's spend could not be measured: {exc.message}")
    ok = now.status == "ok"
    daily = SLODaily(
        name=slo.name,
        objective=slo.objective,
        window=now.window,
        status=now.status,
        reason=now.reason,
        budget_remaining=now.budget_remaining if ok else None,
        budget_remaining_24h_ago=day,
        budget_remaining_7d_ago=week,
        burn_rates=dict(now.burn_rates),
        alert=now.alert,
        alert_reasons=list(now.alert_reasons),
        exhaustion_hours=now.exhaustion_hours,
        events=now.events,
        spent_pct=spent,
        series=series,
        series_note=series_note,
    )
    return _Measured(daily, incidents, notes)


def _service(
    loaded: LoadedPolicy,
    measured: Sequence[_Measured],
    records: Sequence[AuditRecord],
    request: ReportRequest,
) -> ServiceDaily:
    policy = loaded.policy
    slos = [m.slo for m in measured]
    incidents = sorted((i for m in measured for i in m.incidents), key=lambda i: i.start_unix)
    deploys = decisions_around(records, policy.service, request.at, request.at, lookback=request.period)
    deploys = [d.model_copy(update={"nearest": False}) for d in deploys]
    spends = [s.spent_pct for s in slos if s.spent_pct is not None]
    spent = max(spends) if spends else None
    costs = [d.cost_pct for d in deploys if d.deploy and d.cost_pct is not None]
    deploys_cost = sum(costs) if costs else (0.0 if deploys else None)
    chosen, reasons = verdict(policy.gate, slos, len(incidents))
    return ServiceDaily(
        service=policy.service,
        policy=loaded.path,
        verdict=chosen,
        verdict_reasons=reasons,
        slos=slos,
        incidents=incidents,
        deploys=deploys,
        passed=sum(1 for d in deploys if d.outcome in ("pass", "warn") and not d.overridden),
        failed=sum(1 for d in deploys if d.outcome in ("fail", "inconclusive")),
        overridden=sum(1 for d in deploys if d.overridden),
        spent_pct=spent,
        deploys_cost_pct=deploys_cost,
        unattributed_pct=None if spent is None else max(0.0, spent - (deploys_cost or 0.0)),
        notes=[n for m in measured for n in m.notes],
    )


def build_report(
    policies: Sequence[LoadedPolicy],
    source: HistorySource,
    records: Sequence[AuditRecord],
    request: ReportRequest,
    *,
    metrics_label: str,
    audit_label: str,
    client: ToolCaller | None = None,
    without_model: str = "no model configured",
) -> DailyReport:
    budgets = measure_policies(policies, source, request.at, concurrency=request.concurrency)
    jobs = [
        (loaded, slo, now)
        for loaded, b in zip(policies, budgets, strict=True)
        for slo, now in zip(loaded.policy.slos, b.slos, strict=True)
    ]
    with ThreadPoolExecutor(max_workers=max(1, request.concurrency)) as pool:
        futures = [pool.submit(_measure_slo, loaded, slo, now, source, request) for loaded, slo, now in jobs]
        results = [f.result() for f in futures]
    services = []
    for loaded in policies:
        measured = [r for (owner, _, _), r in zip(jobs, results, strict=True) if owner is loaded]
        services.append(_service(loaded, measured, records, request))
    step = series_step(request.period)
    points = sum(len(s.series) for svc in services for s in svc.slos)
    usable = sum(1 for svc in services for s in svc.slos for p in s.series if p.budget_remaining is not None)
    data = (
        f"{sum(len(s.slos) for s in services)} SLOs; budget left and alerts every {step / 60:g} min over the "
        f"period ({usable} of {points} points measured); incident edges at 1 min"
    )
    period = Period(
        start=iso(request.at - request.period),
        end=iso(request.at),
        start_unix=request.at - request.period,
        end_unix=request.at,
        label=request.label,
        step_seconds=step,
    )
    model = policies[0].policy.gate.risk.llm.model if policies else "claude-haiku-4-5"
    draft = DailyReport(
        generated_at=iso(request.at),
        period=period,
        data=data,
        metrics_source=metrics_label,
        services=services,
        narrative=narrative_placeholder(),
        audit=audit_label,
    )
    return draft.model_copy(update={"narrative": narrative(draft, client, model, without_model)})


def narrative_placeholder() -> NarrativeInfo:
    return NarrativeInfo(source="facts", text="")
