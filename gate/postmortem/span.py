"""PURE: where an incident begins and ends, at one-minute resolution.

In: `SLOPoint`s at a one-minute step (gate.measure.measure_over with the `1m` window added) and the
moment asked about. Out: an `IncidentSpan`:

- the alert span: the points where a page or ticket condition held (merged across gaps of at most
  GAP seconds), the one containing the moment or else the nearest;
- widened to the elevated burn around it: the minutes whose 1 m burn rate exceeded 1x, merged across
  gaps of at most GAP seconds, that touch the alert span (or the GAP before it). The onset is the start
  of the first such minute and the recovery the end of the last, so a 47-minute spike reads 47 minutes
  (to a step either way), not the alert's lag behind it. Without 1 m data the 5 m window stands in,
  and the span says so (`resolution`);
- the peak: the highest 5 m burn rate between onset and recovery, and when.

No clock, no I/O; every function is one pass over the points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gate.budget import ALERT_RULES
from gate.measure import SLOPoint
from gate.models import Alert
from gate.policy import parse_duration

__all__ = [
    "FINE_WINDOW",
    "GAP",
    "PAGE_RULES",
    "AlertSpan",
    "IncidentSpan",
    "alert_spans",
    "choose",
    "choose_run",
    "given_span",
    "hot",
    "hot_runs",
    "widen",
]

FINE_WINDOW = "1m"
COARSE_WINDOW = "5m"  # stands in when the 1 m ratios have no data (scrapes slower than 30 s)
PEAK_WINDOW = "5m"
GAP = 300.0  # a quiet stretch this short does not split an incident (noise in 1 m ratios)
PAGE_RULES = tuple(rule for rule in ALERT_RULES if rule.severity == "page")


@dataclass(frozen=True)
class AlertSpan:
    """First and last point where an alert held; `severity` is the worst it reached."""

    start: float
    end: float
    severity: Alert
    page_start: float | None
    ticket_start: float | None


@dataclass(frozen=True)
class IncidentSpan:
    """An incident's edges (`start` = burn onset, `end` = recovery) and what happened inside."""

    start: float
    end: float
    resolution: str  # the window the edges were read from: 1m, 5m, or "given" (--from/--to)
    alert: AlertSpan | None
    peak_burn: float | None
    peak_at: float | None
    open_start: bool = False  # burn was already elevated at the first point measured
    open_end: bool = False  # ... and still elevated at the last one

    @property
    def minutes(self) -> float:
        return (self.end - self.start) / 60.0


def _runs(times: Sequence[float], step: float, gap: float) -> list[tuple[float, float]]:
    """Runs of sorted times, a new run where the distance exceeds `step + gap`."""
    runs: list[tuple[float, float]] = []
    for t in times:
        if runs and t - runs[-1][1] <= step + gap + 1e-6:
            runs[-1] = (runs[-1][0], t)
        else:
            runs.append((t, t))
    return runs


def _step(points: Sequence[SLOPoint]) -> float:
    return points[1].at - points[0].at if len(points) > 1 else 60.0


def alert_spans(points: Sequence[SLOPoint], gap: float = 0.0) -> list[AlertSpan]:
    """Every span where a page or ticket condition held on a conclusive point, in time order."""
    firing = [p for p in points if p.budget.status == "ok" and p.budget.alert != "none"]
    spans = []
    for start, end in _runs([p.at for p in firing], _step(points), gap):
        inside = [p for p in firing if start <= p.at <= end]
        pages = [p.at for p in inside if p.budget.alert == "page"]
        tickets = [p.at for p in inside if p.budget.alert == "ticket"]
        spans.append(
            AlertSpan(
                start=start,
                end=end,
                severity="page" if pages else "ticket",
                page_start=pages[0] if pages else None,
                ticket_start=tickets[0] if tickets else None,
            )
        )
    return spans


def choose(spans: Sequence[AlertSpan], around: float) -> AlertSpan | None:
    """The span containing `around`, else the nearest one (the earlier on a tie)."""
    if not spans:
        return None

    def distance(span: AlertSpan) -> float:
        return (
            0.0 if span.start <= around <= span.end else min(abs(span.start - around), abs(span.end - around))
        )

    return min(spans, key=distance)


def hot(point: SLOPoint) -> bool:
    """An alert held at this step, or a page rule's long window burned above half its threshold: a
    page that held between two hourly steps leaves at least that much in one of the hours its long
    window tiles (with steady traffic), so coarse steps find where to look at every minute."""
    measured = point.budget
    if measured.status != "ok":
        return False
    if measured.alert != "none":
        return True
    for rule in PAGE_RULES:
        burn = measured.burn_rates.get(rule.long_window)
        if burn is not None and burn > rule.threshold(measured.window_seconds) / 2:
            return True
    return False


def hot_runs(points: Sequence[SLOPoint], step: float) -> list[tuple[float, float]]:
    """Runs of hot steps as (start of the hour before the first, last step)."""
    runs: list[tuple[float, float]] = []
    for point in points:
        if not hot(point):
            continue
        if runs and point.at - runs[-1][1] <= step + 1e-6:
            runs[-1] = (runs[-1][0], point.at)
        else:
            runs.append((point.at - step, point.at))
    return runs


def choose_run(runs: Sequence[tuple[float, float]], around: float) -> tuple[float, float] | None:
    """The run containing `around`, else the nearest one (the earlier on a tie)."""
    if not runs:
        return None
    return min(
        runs, key=lambda r: 0.0 if r[0] <= around <= r[1] else min(abs(r[0] - around), abs(r[1] - around))
    )


def _elevated(points: Sequence[SLOPoint], window: str) -> list[float]:
    return [
        p.at for p in points if p.budget.status == "ok" and (p.budget.burn_rates.get(window) or 0.0) > 1.0
    ]


def _has(points: Sequence[SLOPoint], window: str) -> bool:
    return any(p.budget.burn_rates.get(window) is not None for p in points)


def _peak(points: Sequence[SLOPoint], start: float, end: float) -> tuple[float | None, float | None]:
    best: tuple[float | None, float | None] = (None, None)
    for point in points:
        burn = point.budget.burn_rates.get(PEAK_WINDOW)
        if start <= point.at <= end and burn is not None and (best[0] is None or burn > best[0]):
            best = (burn, point.at)
    return best


def widen(points: Sequence[SLOPoint], alert: AlertSpan, gap: float = GAP) -> IncidentSpan:
    """The incident around `alert`: its elevated-burn edges at the finest resolution the data has."""
    step = _step(points)
    window = FINE_WINDOW if _has(points, FINE_WINDOW) else COARSE_WINDOW
    seconds = parse_duration(window)
    runs = [
        (start, end)
        for start, end in _runs(_elevated(points, window), step, gap)
        if end >= alert.start - gap and start <= alert.end
    ]
    if runs:
        # A 1 m point at t covers (t - 1m, t]: the first elevated minute began one window earlier.
        start, end, resolution = runs[0][0] - seconds, runs[-1][1], window
    else:  # burn never rose above 1x in the fine window: the alert span is all there is
        start, end, resolution = alert.start, alert.end, "alert"
    first, last = points[0].at, points[-1].at
    start = max(start, first - seconds)
    peak, peak_at = _peak(points, start, end)
    return IncidentSpan(
        start=start,
        end=end,
        resolution=resolution,
        alert=alert,
        peak_burn=peak,
        peak_at=peak_at,
        open_start=bool(runs) and runs[0][0] <= first,
        open_end=bool(runs) and runs[-1][1] >= last,
    )


def given_span(points: Sequence[SLOPoint], start: float, end: float) -> IncidentSpan:
    """A span the user gave (--from/--to): its alert and peak are read from the points inside it."""
    inside = [p for p in points if start <= p.at <= end]
    spans = alert_spans(inside)
    alert = None
    if spans:
        pages = [s.page_start for s in spans if s.page_start is not None]
        tickets = [s.ticket_start for s in spans if s.ticket_start is not None]
        alert = AlertSpan(
            start=spans[0].start,
            end=spans[-1].end,
            severity="page" if pages else "ticket",
            page_start=pages[0] if pages else None,
            ticket_start=tickets[0] if tickets else None,
        )
    peak, peak_at = _peak(points, start, end)
    return IncidentSpan(
        start=start, end=end, resolution="given", alert=alert, peak_burn=peak, peak_at=peak_at
    )
