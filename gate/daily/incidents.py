"""A report's incidents: where a page or ticket condition held in the period, with 1-minute edges.

Reading every burn window at every few minutes of a day costs a backend many times what the gate's
own query costs, so the period is read in two passes, both with the gate's batched expression
(`measure_over`) and its alert rules:

1. a scan at hourly steps (or coarser for long periods) with every burn window: the alert the gate
   would have reported at each step; the same points carry the report's series of budget left. An
   hour is *hot* (gate.postmortem.span.hot) when an alert held at its step, or when a page rule's
   long window (1 h, 6 h) burned above half its threshold: its windows tile the hours, so a page that
   held between two steps leaves at least that much in one of them (with steady traffic);
2. for each run of hot hours up to REFINE_MAX long: the page windows and the `1m` window at every
   minute from an hour before it to half an hour after (never past the report's end). The page spans
   come from those minutes exactly, ticket states from the scan's steps; the edges are widened to the
   1-minute burn as a postmortem's are (gate.postmortem.span.widen), so both report the same span and
   the same spend. A longer run (a slow burn) keeps the scan's hourly edges (`resolution` "1h").

A hot hour where no alert held after all is no incident. The spend of each incident is measured in
one batched query (gate.postmortem.spend).
"""

from __future__ import annotations

from collections.abc import Sequence

from gate.daily.model import IncidentEntry
from gate.errors import DataError
from gate.measure import HistorySource, SLOPoint, measure_over
from gate.models import BURN_WINDOWS, Alert
from gate.policy import SLO
from gate.postmortem import span as spans
from gate.postmortem.spend import measure_span
from gate.times import iso

__all__ = ["REFINE_MAX", "SCAN_STEP", "find_incidents", "scan"]

SCAN_STEP = 3600.0
REFINE_MAX = 6 * 3600.0
MINUTE = 60.0
FINE_WINDOWS = (
    *dict.fromkeys(w for r in spans.PAGE_RULES for w in (r.short_window, r.long_window)),
    spans.FINE_WINDOW,
)


def _alert(
    fine: Sequence[SLOPoint], scanned: Sequence[SLOPoint], start: float, end: float
) -> spans.AlertSpan | None:
    """Page spans at 1-minute steps and the scan's alerts in [start, end], as one alert span."""
    pages = spans.alert_spans(fine, gap=spans.GAP)
    alerted = [(p.at, p.budget.alert) for p in scanned if start <= p.at <= end and p.budget.alert != "none"]
    times = [t for s in pages for t in (s.start, s.end)] + [t for t, _ in alerted]
    if not times:
        return None
    page_start = min([s.start for s in pages] + [t for t, a in alerted if a == "page"], default=None)
    ticket_start = min((t for t, a in alerted if a == "ticket"), default=None)
    severity: Alert = "page" if page_start is not None else "ticket"
    return spans.AlertSpan(min(times), max(times), severity, page_start, ticket_start)


def _entry(
    slo: SLO,
    source: HistorySource,
    tenant: str | None,
    edges: spans.IncidentSpan,
    ongoing: bool,
    required: float,
    began_before: bool = False,
) -> IncidentEntry:
    note, window_pct, quarter_pct = None, None, None
    try:
        impact = measure_span(slo, source, edges.start, max(edges.end, edges.start + MINUTE), tenant)
        window_pct, quarter_pct = impact.window_pct, impact.quarter_pct
    except DataError as exc:
        note = exc.message
    alert = edges.alert
    return IncidentEntry(
        slo=slo.name,
        start=iso(edges.start),
        end=iso(edges.end),
        start_unix=edges.start,
        end_unix=edges.end,
        minutes=(edges.end - edges.start) / 60.0,
        alert=alert.severity if alert is not None else "ticket",
        peak_burn=edges.peak_burn,
        window_pct=window_pct,
        quarter_pct=quarter_pct,
        ongoing=ongoing,
        resolution=edges.resolution,
        postmortem_required=(window_pct or 0.0) > required,
        began_before=began_before,
        note=note,
    )


def scan(
    slo: SLO, source: HistorySource, start: float, at: float, step: float, tenant: str | None
) -> list[SLOPoint]:
    """The gate's SLO at every `step` of [start, at] with every burn window (and the SLO window of a
    rolling SLO, so the same points give the report's series of budget left)."""
    return measure_over(slo, source, start, at, step, tenant, windows=BURN_WINDOWS)


def find_incidents(
    slo: SLO,
    source: HistorySource,
    scanned: Sequence[SLOPoint],
    at: float,
    tenant: str | None,
    *,
    required: float,
) -> list[IncidentEntry]:
    """The SLO's incidents in the span `scanned` covers (its points from `scan`, at SCAN_STEP or a
    coarser step); a query that fails raises DataError (the caller notes it)."""
    if not scanned:
        return []
    step = scanned[1].at - scanned[0].at if len(scanned) > 1 else SCAN_STEP
    found: list[IncidentEntry] = []
    for first, last in spans.hot_runs(scanned, step):
        if last - first > REFINE_MAX:
            alert = _alert([], scanned, first, last)
            if alert is not None:
                edges = spans.IncidentSpan(alert.start, alert.end, "1h", alert, None, None)
                began = alert.start <= scanned[0].at
                found.append(_entry(slo, source, tenant, edges, alert.end >= scanned[-1].at, required, began))
            continue
        fine = measure_over(
            slo, source, first - step, min(at, last + step / 2), MINUTE, tenant,
            windows=FINE_WINDOWS, budget_window=False,
        )  # fmt: skip
        alert = _alert(fine, scanned, first, last)
        if alert is None:
            continue  # hot, but no alert held: no incident
        edges = spans.widen(fine, alert)
        if found and edges.start <= found[-1].end_unix:
            continue
        found.append(_entry(slo, source, tenant, edges, edges.open_end and fine[-1].at >= at, required))
    return found
