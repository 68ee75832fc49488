"""Assemble a postmortem draft: find the incident, measure what it cost, gather the decisions around
it, attribute the burn, and phrase the "what the data shows" paragraph.

In: one loaded policy, a metrics source that can run range queries, the typed audit records, a
`DraftRequest` (the span, or a moment to find the incident around; the evaluation time nothing after
which is read) and the run's model client. Out: a `Postmortem` (gate.postmortem.model) that the
renderers turn into Markdown or JSON without computing anything.

Every figure comes from the gate's own measuring code: the span from `measure_over` (with --around:
hourly over the search span to find the hot hours nearest the moment, then every minute of them, the
`1m` window added and the SLO window left out: a 30 d range at every minute costs a backend far more
than the answer is worth), the spend from one batched instant query (gate.postmortem.spend),
the budget left after from `measure_policies` at the incident's end, the capacity from the policy's
tiers and the expected costs the gate itself uses (gate.audit.settle.expected_cost).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from gate.audit.costs import expected_cost
from gate.audit.record import AuditRecord
from gate.errors import DataError, UsageError
from gate.llm.client import ToolCaller
from gate.measure import HistorySource, SLOPoint, measure_over, measure_policies
from gate.models import BURN_WINDOWS, Alert, RiskLevel, ServiceBudget
from gate.policy import SLO, LoadedPolicy
from gate.postmortem import span as spans
from gate.postmortem.capacity import release_capacity
from gate.postmortem.deploys import decisions_around
from gate.postmortem.impact import SpanImpact
from gate.postmortem.model import (
    BudgetFacts,
    CapacityFacts,
    CapacityRow,
    DeployFacts,
    IncidentFacts,
    NarrativeInfo,
    Postmortem,
    QuarterFacts,
    Requirement,
    SLOImpact,
    TimelineEvent,
)
from gate.postmortem.narrative import narrate
from gate.postmortem.spend import measure_span
from gate.postmortem.where import contributors
from gate.times import iso

__all__ = ["SEARCH", "DraftRequest", "build_postmortem", "find_incident", "fine_points"]

MINUTE = 60.0
DAY = 86400.0
SEARCH = 12 * 3600.0  # --around looks this far either side for an alert span
SCAN_STEP = 3600.0
FINE_WINDOWS = (*BURN_WINDOWS, spans.FINE_WINDOW)


@dataclass(frozen=True)
class DraftRequest:
    at: float  # the evaluation time: nothing after it is read
    start: float | None = None  # --from/--to: the span as given
    end: float | None = None
    around: float | None = None  # --around: find the incident near this moment
    slo: str | None = None  # only this SLO (default: the one whose incident cost the most)
    search: float = SEARCH


def _minute(t: float) -> float:
    return math.floor(t / MINUTE) * MINUTE


def fine_points(
    slo: SLO, source: HistorySource, start: float, end: float, tenant: str | None
) -> list[SLOPoint]:
    """The SLO at every minute of [start, end]: burn rates (1 m included) and alerts, no budget."""
    return measure_over(
        slo, source, _minute(start), _minute(end), MINUTE, tenant, windows=FINE_WINDOWS, budget_window=False
    )


def find_incident(
    slo: SLO, source: HistorySource, request: DraftRequest, tenant: str | None
) -> tuple[spans.IncidentSpan | None, list[SLOPoint]]:
    """The SLO's incident for the request (None: no alert held near --around), and the points read."""
    try:
        if request.start is not None and request.end is not None:
            points = fine_points(slo, source, request.start, request.end, tenant)
            return spans.given_span(points, request.start, request.end), points
        assert request.around is not None
        # Hourly first (every window at every minute of a day costs a backend dearly), then every
        # minute of the hot hours nearest the moment, from an hour before to an hour after them.
        first = request.around - request.search
        last = min(request.around + request.search, request.at)
        hourly = measure_over(
            slo, source, first, last, SCAN_STEP, tenant, windows=BURN_WINDOWS, budget_window=False
        )
        run = spans.choose_run(spans.hot_runs(hourly, SCAN_STEP), request.around)
        if run is None:
            return None, hourly
        points = fine_points(slo, source, run[0] - SCAN_STEP, min(run[1] + SCAN_STEP, request.at), tenant)
    except DataError as exc:
        raise DataError(f"SLO {slo.name}: the burn history could not be read: {exc.message}") from None
    chosen = spans.choose(spans.alert_spans(points, gap=spans.GAP), request.around)
    return (spans.widen(points, chosen) if chosen is not None else None), points


def _pct(fraction: float | None) -> float | None:
    return None if fraction is None else fraction * 100.0


def _at(t: float | None) -> str | None:
    return None if t is None else iso(t)


def _incident(found: spans.IncidentSpan, request: DraftRequest) -> IncidentFacts:
    alert = found.alert
    return IncidentFacts(
        start=iso(found.start),
        end=iso(found.end),
        start_unix=found.start,
        end_unix=found.end,
        duration_minutes=found.minutes,
        peak_burn=found.peak_burn,
        peak_at=_at(found.peak_at),
        alert=alert.severity if alert is not None else "none",
        alert_start=_at(alert.start if alert else None),
        alert_end=_at(alert.end if alert else None),
        page_start=_at(alert.page_start if alert else None),
        ticket_start=_at(alert.ticket_start if alert else None),
        resolution=found.resolution,
        found_by="around" if request.around is not None else "given",
        around=_at(request.around),
        open_start=found.open_start,
        open_end=found.open_end,
    )


def _budget(impact: SpanImpact, remaining: float | None) -> BudgetFacts:
    return BudgetFacts(
        window=impact.window_label,
        window_pct=impact.window_pct,
        quarter_pct=impact.quarter_pct,
        remaining_after=_pct(remaining),
        outage_minutes=impact.outage_minutes,
        error_ratio=impact.error_ratio,
        bad_events=impact.bad,
        total_events=impact.total,
        window_events=impact.window_events,
        quarter=QuarterFacts(
            start=iso(impact.quarter_start),
            end=iso(impact.quarter_end),
            events_to_date=impact.quarter_events,
            events_projected=impact.quarter_projected,
            elapsed_days=(impact.end - impact.quarter_start) / DAY,
            days=(impact.quarter_end - impact.quarter_start) / DAY,
        ),
    )


def _capacity(
    loaded: LoadedPolicy, after: ServiceBudget, records: Sequence[AuditRecord], end: float
) -> CapacityFacts | None:
    remaining = [
        s.budget_remaining for s in after.slos if s.status == "ok" and s.budget_remaining is not None
    ]
    if not remaining:
        return None
    policy = loaded.policy
    costs = {}
    for level in RiskLevel:
        cost = expected_cost(
            records, policy.service, level.value, getattr(policy.gate.expected_cost, level.value)
        )
        costs[level.value] = (cost.fraction, cost.source)
    capacity = release_capacity(policy.gate, min(remaining), costs)
    return CapacityFacts(
        at=iso(end),
        remaining_pct=capacity.remaining * 100.0,
        tier_above=capacity.tier.above,
        tier_allow=[r.value for r in capacity.tier.allow],
        next_tier_above=capacity.next_tier.above if capacity.next_tier else None,
        next_tier_allow=[r.value for r in capacity.next_tier.allow] if capacity.next_tier else None,
        per_risk=[
            CapacityRow(
                risk=c.risk,
                allowed=c.allowed,
                cost_pct=c.cost * 100.0,
                cost_source=c.cost_source,
                fits=c.fits,
            )
            for c in capacity.per_risk
        ],
    )


def _timeline(found: spans.IncidentSpan, deploys: Sequence[DeployFacts]) -> list[TimelineEvent]:
    events: list[tuple[float, str, str]] = []
    for deploy in deploys:
        pr = f" PR #{deploy.pr}" if deploy.pr is not None else ""
        events.append(
            (deploy.at_unix, "deploy", f"gate {deploy.outcome}: {deploy.risk}-risk change{pr} ({deploy.id})")
        )
        if deploy.overridden:
            events.append(
                (
                    deploy.at_unix,
                    "override",
                    f"override label {deploy.override_label} by {deploy.override_actor or 'unknown'}",
                )
            )
    events.append(
        (
            found.start,
            "onset",
            "burn rate above 1x (1 m error ratio)"
            if found.resolution == "1m"
            else f"burn onset ({found.resolution})",
        )
    )
    alert = found.alert
    if alert is not None:
        if alert.ticket_start is not None:
            events.append((alert.ticket_start, "ticket", "ticket alert condition holds"))
        if alert.page_start is not None:
            events.append((alert.page_start, "page", "page alert condition holds"))
    if found.peak_at is not None and found.peak_burn is not None:
        events.append((found.peak_at, "peak", f"peak burn {found.peak_burn:.1f}x (5 m window)"))
    events.append((found.end, "recovery", "burn rate back at or below 1x"))
    if alert is not None:
        events.append(
            (alert.end, "alert-end", f"last minute an alert condition held (worst: {alert.severity})")
        )
    events.sort(key=lambda e: e[0])
    return [TimelineEvent(at=iso(t), at_unix=t, kind=kind, text=text) for t, kind, text in events]


def _hhmm(t: float) -> str:
    return iso(t)[11:16] + " UTC"


def _narrative(pm: Postmortem, client: ToolCaller | None, model: str, without_model: str) -> NarrativeInfo:
    b, inc = pm.budget, pm.incident
    facts: dict[str, str | float | int] = {
        "service": pm.service,
        "slo": pm.slo,
        "date": inc.start[:10],
        "onset": _hhmm(inc.start_unix),
        "recovery": _hhmm(inc.end_unix),
        "duration": f"{inc.duration_minutes:.0f} minutes",
    }
    sentences = [
        f"Between {facts['onset']} and {facts['recovery']} on {facts['date']} the {pm.slo} SLO of {pm.service} "
        f"burned its error budget for {facts['duration']}."
    ]
    if inc.peak_burn is not None:
        facts["peak_burn"] = f"{inc.peak_burn:.1f}x"
        sentences.append(f"The burn rate peaked at {facts['peak_burn']}.")
    if b.window_pct is not None:
        facts["window_budget_consumed"] = f"{b.window_pct:.1f}%"
        facts["window"] = b.window
        sentences.append(f"The incident consumed {facts['window_budget_consumed']} of the {b.window} budget.")
    if b.quarter_pct is not None:
        facts["quarter_budget_consumed"] = f"{b.quarter_pct:.1f}%"
        sentences.append(f"That is {facts['quarter_budget_consumed']} of the quarter's budget.")
    if b.remaining_after is not None:
        facts["budget_left_after"] = f"{b.remaining_after:.1f}%"
        sentences.append(f"{facts['budget_left_after']} of the budget was left afterwards.")
    nearest = next((d for d in pm.deploys if d.nearest), None)
    if nearest is not None:
        facts["nearest_deploy"] = nearest.id
        facts["nearest_deploy_minutes_before_onset"] = f"{nearest.minutes_before_onset:.0f} minutes"
        sentences.append(
            f"The last deploy before the onset was {nearest.id}, {facts['nearest_deploy_minutes_before_onset']} earlier."
        )
    untrusted: dict[str, list[str]] = {}
    for label, values in pm.where.items():
        if values:
            top = values[0]
            facts[f"top_{label}_share"] = f"{top.share * 100:.0f}%"
            untrusted[f"top_{label}"] = [top.value]
    return narrate(
        client,
        purpose="postmortem-data-v1",
        model=model,
        instructions=(
            "You draft the 'what the data shows' paragraph of a postmortem for site reliability engineers: "
            "3 to 6 plain sentences saying what happened to the error budget, in budget terms first."
        ),
        facts=facts,
        untrusted=untrusted,
        fallback=" ".join(sentences),
        without_model=without_model,
    )


def _slo_impact(
    slo: SLO,
    source: HistorySource,
    start: float,
    end: float,
    tenant: str | None,
    after: ServiceBudget,
    alert: Alert,
) -> tuple[SLOImpact, SpanImpact | None]:
    measured = next(s for s in after.slos if s.name == slo.name)
    remaining = measured.budget_remaining if measured.status == "ok" else None
    try:
        impact = measure_span(slo, source, start, end, tenant)
    except DataError as exc:
        return SLOImpact(
            name=slo.name, objective=slo.objective, window=slo.window_label, window_pct=None,
            quarter_pct=None, remaining_after=_pct(remaining), alert=alert, note=exc.message,
        ), None  # fmt: skip
    note = None if measured.status == "ok" else measured.reason
    row = SLOImpact(
        name=slo.name,
        objective=slo.objective,
        window=impact.window_label,
        window_pct=impact.window_pct,
        quarter_pct=impact.quarter_pct,
        remaining_after=_pct(remaining),
        alert=alert,
        note=note,
    )
    return row, impact


def _primary(
    loaded: LoadedPolicy, source: HistorySource, request: DraftRequest
) -> tuple[SLO, spans.IncidentSpan, list[SLOPoint]]:
    """The SLO the draft is about, its incident and the points read; UsageError when none is found."""
    tenant = loaded.policy.prometheus.tenant
    slos = [s for s in loaded.policy.slos if request.slo is None or s.name == request.slo]
    if not slos:
        names = ", ".join(s.name for s in loaded.policy.slos)
        raise UsageError(f"--slo {request.slo}: {loaded.policy.service} has no such SLO ({names})")
    found: list[tuple[SLO, spans.IncidentSpan, list[SLOPoint]]] = []
    for slo in slos:
        incident, points = find_incident(slo, source, request, tenant)
        if incident is not None:
            found.append((slo, incident, points))
    if not found:
        assert request.around is not None  # a given span is always found
        hours = request.search / 3600
        raise UsageError(
            f"no page or ticket condition held on {loaded.policy.service} within {hours:g} h of "
            f"{iso(request.around)}; give the span with --from and --to"
        )
    if len(found) == 1:
        return found[0]

    def consumed(item: tuple[SLO, spans.IncidentSpan, list[SLOPoint]]) -> float:
        slo, incident, _ = item
        try:
            return measure_span(slo, source, incident.start, incident.end, tenant).window_pct or 0.0
        except DataError:
            return -1.0

    return max(found, key=consumed)


def build_postmortem(
    loaded: LoadedPolicy,
    source: HistorySource,
    records: Sequence[AuditRecord],
    request: DraftRequest,
    *,
    metrics_label: str,
    client: ToolCaller | None = None,
    without_model: str = "no model configured",
) -> Postmortem:
    policy = loaded.policy
    tenant = policy.prometheus.tenant
    slo, found, points = _primary(loaded, source, request)
    start, end = found.start, found.end
    if end <= start:
        raise UsageError(f"the span {iso(start)} → {iso(end)} is empty")
    after = measure_policies([loaded], source, end)[0]
    rows: list[SLOImpact] = []
    impact: SpanImpact | None = None
    for other in [slo, *(s for s in policy.slos if s.name != slo.name)]:
        alert: Alert = found.alert.severity if other.name == slo.name and found.alert else "none"
        row, measured = _slo_impact(other, source, start, end, tenant, after, alert)
        rows.append(row)
        if other.name == slo.name:
            impact = measured
    if impact is None:
        raise DataError(f"SLO {slo.name}: the incident's spend could not be measured: {rows[0].note}")
    primary_after = next(s for s in after.slos if s.name == slo.name)
    remaining = primary_after.budget_remaining if primary_after.status == "ok" else None
    deploys = decisions_around(records, policy.service, start, end)
    where, notes = contributors(slo, source, start, end, tenant)
    usable = sum(1 for p in points if p.budget.status == "ok")
    data = (
        f"burn history at a 1 minute step from {iso(points[0].at)} to {iso(points[-1].at)} "
        f"({len(points)} points, {usable} with data)"
        if points
        else "no burn history"
    )
    if found.open_start:
        notes.append(
            "burn was already above 1x at the first minute read: the incident may have begun earlier"
        )
    if found.open_end:
        notes.append("burn was still above 1x at the last minute read: the incident may not be over")
    draft = Postmortem(
        service=policy.service,
        policy=loaded.path,
        slo=slo.name,
        objective=slo.objective,
        window=slo.window_label,
        generated_at=iso(request.at),
        metrics_source=metrics_label,
        incident=_incident(found, request),
        budget=_budget(impact, remaining),
        slos=rows,
        release_capacity=_capacity(loaded, after, records, end),
        timeline=_timeline(found, deploys),
        deploys=deploys,
        where=where,
        postmortem=Requirement(
            required_above=policy.postmortem.required_above,
            required=(impact.window_pct or 0.0) > policy.postmortem.required_above,
        ),
        narrative=NarrativeInfo(source="facts", text=""),
        data=data,
        notes=notes,
    )
    narrative = _narrative(draft, client, policy.gate.risk.llm.model, without_model)
    return draft.model_copy(update={"narrative": narrative})
