"""PURE: what a span of time cost, in budget (the percentages every report states the same way).

In: bad and total event counts over the span, over the SLO window ending at the span's end, and over
the calendar quarter up to the span's end, with the SLO's objective. Out: a `SpanImpact`:

- `window_pct` = bad events in the span / (error budget x events in the SLO window ending at the
  span's end) x 100. For a calendar SLO the window is the period so far, as the gate measures it.
- `quarter_pct` = bad events in the span / (error budget x the calendar quarter's events) x 100, the
  quarter's events projected linearly from its traffic so far (quarter start to the span's end): the
  quarter is not over, and the projection is stated with the figure.
- `outage_minutes`: the span's error ratio x its length: the minutes of a full outage that would
  have cost the same.

Counts in a query's own units (a per-second rate) are turned into events by the caller
(`events`). Missing or empty counts give None, never zero: no traffic is not a healthy 0 %.
"""

from __future__ import annotations

from dataclasses import dataclass

from gate.budget import error_budget
from gate.models import WindowCounts

__all__ = ["SpanImpact", "events", "span_impact"]


def events(counts: WindowCounts, per_second: bool) -> tuple[float | None, float | None]:
    """(bad, total) events of a window's counts (a rate is multiplied by the window's seconds)."""
    factor = counts.seconds if per_second else 1.0
    total = None if counts.total is None else counts.total * factor
    bad = None if total is None else (counts.bad or 0.0) * factor
    return bad, total


@dataclass(frozen=True)
class SpanImpact:
    start: float
    end: float
    bad: float | None  # bad events in the span
    total: float | None  # events in the span
    window_label: str
    window_events: float | None  # events in the SLO window ending at `end`
    window_pct: float | None
    quarter_start: float
    quarter_end: float
    quarter_events: float | None  # events from the quarter's start to `end`
    quarter_projected: float | None  # ... projected linearly to the whole quarter
    quarter_pct: float | None

    @property
    def error_ratio(self) -> float | None:
        if self.bad is None or not self.total:
            return None
        return self.bad / self.total

    @property
    def outage_minutes(self) -> float | None:
        ratio = self.error_ratio
        return None if ratio is None else ratio * (self.end - self.start) / 60.0

    @property
    def quarter_elapsed(self) -> float:
        """Fraction of the quarter from its start to the span's end."""
        return (self.end - self.quarter_start) / (self.quarter_end - self.quarter_start)


def _pct(bad: float | None, allowed: float | None) -> float | None:
    if bad is None or allowed is None or allowed <= 0:
        return None
    return bad / allowed * 100.0


def span_impact(
    *,
    objective: float,
    start: float,
    end: float,
    span: tuple[float | None, float | None],
    window_label: str,
    window_events: float | None,
    quarter: tuple[float, float],
    quarter_events: float | None,
) -> SpanImpact:
    """The span's cost; `span` is (bad, total) events in it, `quarter` the quarter's (start, end)."""
    budget = error_budget(objective)
    bad, total = span
    q_start, q_end = quarter
    elapsed = max(end - q_start, 1.0)
    projected = None if quarter_events is None else quarter_events * (q_end - q_start) / elapsed
    return SpanImpact(
        start=start,
        end=end,
        bad=bad,
        total=total,
        window_label=window_label,
        window_events=window_events,
        window_pct=_pct(bad, None if window_events is None else budget * window_events),
        quarter_start=q_start,
        quarter_end=q_end,
        quarter_events=quarter_events,
        quarter_projected=projected,
        quarter_pct=_pct(bad, None if projected is None else budget * projected),
    )
