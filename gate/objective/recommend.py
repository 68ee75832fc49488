"""PURE: from a history of hourly counts to candidates, their backtests, one recommendation and findings.

In: the hours of a span that starts and ends at UTC midnights, the rolling window, the tiers and the
current objective (if any). Out: an `Analysis`:
- the history: leading days the backend does not hold are dropped (the history starts at the first
  UTC midnight with data); days, rolling windows (`gate.objective.series`), gaps and low-traffic days;
- candidates: the ladder (`LADDER`), each rung kept only when at least one rolling window met it;
  "achieved-with-headroom", the objective at which the worst window would have ended with
  `HEADROOM_LEFT` of its budget left (the budget rounded up to two significant digits, so at least
  that much is left); and the current objective; each with its backtest (`gate.objective.backtest`);
- the recommendation: the tightest candidate met in at least `MET_SHARE` of the rolling windows, with a
  median budget left of at least `MEDIAN_LEFT` and fewer than `MAX_PAGES_PER_MONTH` pages a month,
  whose budget is not noise; and why each tighter and looser candidate was not chosen;
- findings (`kind`, `message`): a window too short for the traffic (`low_traffic`), low-traffic days,
  gaps, a history shorter than asked, few windows, a current objective that is breached, a calendar
  period judged as rolling windows.
No clock, disk or network.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from gate.objective.backtest import Backtest, BurnHistory, backtest
from gate.objective.series import DAY, HOUR, LOW_DAY_SHARE, Hour, Period, Prefix, low_traffic_days, periods
from gate.report import plural
from gate.times import iso

__all__ = [
    "HEADROOM_LEFT",
    "LADDER",
    "MAX_PAGES_PER_MONTH",
    "MEDIAN_LEFT",
    "MET_SHARE",
    "Analysis",
    "Candidate",
    "Finding",
    "HistorySummary",
    "Recommendation",
    "analyse",
    "headroom_objective",
]

LADDER = (99.0, 99.5, 99.9, 99.95, 99.99)
HEADROOM_LEFT = 0.25
MET_SHARE = 0.95
MEDIAN_LEFT = 0.25
MAX_PAGES_PER_MONTH = 2.0
FEW_WINDOWS = 20  # fewer rolling windows than this: the 95 % rule cannot tell one breach from chance
LISTED = 8  # dates a finding names before "and N more"


@dataclass(frozen=True)
class Finding:
    kind: str
    message: str


@dataclass(frozen=True)
class Candidate:
    objective: float
    labels: tuple[str, ...]  # ladder | headroom | current
    result: Backtest
    failures: tuple[str, ...]  # why the rule rejects it; empty: it meets the rule

    @property
    def eligible(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class Recommendation:
    objective: float | None
    why: str
    above: tuple[tuple[float, str], ...] = ()  # tighter candidates and why not
    below: tuple[tuple[float, str], ...] = ()  # looser candidates and why not


@dataclass(frozen=True)
class HistorySummary:
    asked_start: float
    start: float
    end: float
    hours: tuple[Hour, ...]
    days: tuple[Period, ...]
    windows: tuple[Period, ...]
    low_days: tuple[Period, ...]

    @property
    def events(self) -> float:
        return sum(d.total for d in self.days)

    @property
    def bad(self) -> float:
        return sum(d.bad for d in self.days)

    @property
    def missing_hours(self) -> int:
        return sum(d.missing_hours for d in self.days)

    @property
    def gap_days(self) -> tuple[Period, ...]:
        return tuple(d for d in self.days if d.missing_hours)

    @property
    def length_days(self) -> float:
        return (self.end - self.start) / DAY

    @property
    def achieved(self) -> float | None:
        """Percent of good events over the whole history."""
        return 100.0 * (1.0 - self.bad / self.events) if self.events > 0 else None

    def worst_window(self) -> Period | None:
        judged = [w for w in self.windows if w.ratio is not None]
        return max(judged, key=lambda w: (w.ratio or 0.0, -w.end), default=None)


@dataclass(frozen=True)
class Analysis:
    window: str
    window_seconds: float
    history: HistorySummary
    candidates: tuple[Candidate, ...]  # tightest first
    recommendation: Recommendation
    findings: tuple[Finding, ...]

    def candidate(self, objective: float | None) -> Candidate | None:
        return next((c for c in self.candidates if c.objective == objective), None)


def pct(value: float, digits: int = 1) -> str:
    return f"{value * 100:.{digits}f} %"


def objective_text(objective: float) -> str:
    return f"{objective:g} %"


# ---- candidates -------------------------------------------------------------------------------------


def headroom_objective(worst_ratio: float | None) -> float | None:
    """The objective at which a window with error ratio `worst_ratio` ends with HEADROOM_LEFT of its
    budget left, the budget rounded up to two significant digits (None when no budget was spent)."""
    if worst_ratio is None or worst_ratio <= 0:
        return None
    budget = worst_ratio / (1.0 - HEADROOM_LEFT)
    if budget >= 1.0:
        return None
    unit = 10.0 ** (math.floor(math.log10(budget)) - 1)
    rounded = math.ceil(budget / unit - 1e-9) * unit
    objective = round(100.0 * (1.0 - rounded), 10)
    return objective if 0.0 < objective < 100.0 else None


def _objectives(history: HistorySummary, current: float | None) -> list[tuple[float, tuple[str, ...]]]:
    best = min((w.ratio for w in history.windows if w.ratio is not None), default=None)
    labels: dict[float, list[str]] = {}
    if best is not None:
        for rung in LADDER:
            if best <= 1.0 - rung / 100.0:
                labels.setdefault(rung, []).append("ladder")
    worst = history.worst_window()
    headroom = headroom_objective(worst.ratio if worst else None)
    if headroom is not None:
        labels.setdefault(headroom, []).append("headroom")
    if current is not None:
        labels.setdefault(current, []).append("current")
    return sorted(((o, tuple(names)) for o, names in labels.items()), reverse=True)


def _failures(result: Backtest, window: str) -> tuple[str, ...]:
    if result.windows_total == 0:
        return (f"no rolling {window} window had traffic to judge",)
    found = []
    if result.noise:
        found.append(
            f"the budget is noise: a median {window} window holds {result.median_window_events:,.0f} events, "
            f"allowing {result.allowed_bad_events:,.1f} bad ones (needs {result.events_needed():,.0f} events "
            f"to allow 100)"
        )
    share = result.met_share or 0.0
    if share < MET_SHARE:
        found.append(
            f"met in {pct(share)} of the {result.windows_total} rolling windows (needs {MET_SHARE * 100:g} %)"
        )
    median = result.median_budget_remaining
    if median is not None and median < MEDIAN_LEFT:
        found.append(f"median budget left {pct(median)} (needs {MEDIAN_LEFT * 100:g} %)")
    if result.pages_per_month >= MAX_PAGES_PER_MONTH:
        found.append(
            f"{result.pages_per_month:.1f} pages a month ({result.pages.count} in {result.history_days:g} d; "
            f"needs fewer than {MAX_PAGES_PER_MONTH:g})"
        )
    return tuple(found)


# ---- the rule -----------------------------------------------------------------------------------------


def _meets(candidate: Candidate, window: str) -> str:
    result = candidate.result
    return (
        f"met in {pct(result.met_share or 0.0)} of the {result.windows_total} rolling {window} windows "
        f"(≥ {MET_SHARE * 100:g} %), a median of {pct(result.median_budget_remaining or 0.0)} of the budget "
        f"left (≥ {MEDIAN_LEFT * 100:g} %) and {result.pages_per_month:.1f} pages a month "
        f"(< {MAX_PAGES_PER_MONTH:g})"
    )


def recommend(candidates: Sequence[Candidate], window: str) -> Recommendation:
    """The tightest eligible candidate, and why every other one was not chosen."""
    chosen = next((c for c in candidates if c.eligible), None)
    if chosen is None:
        if candidates and all(c.result.noise for c in candidates):
            why = (
                f"no objective can be judged over {window} windows: the budget is noise at every candidate "
                "(see the low_traffic finding)"
            )
        elif candidates:
            why = "no candidate meets the rule; the loosest, " + (
                f"{objective_text(candidates[-1].objective)}, was {'; '.join(candidates[-1].failures)}"
            )
        else:
            why = f"no candidate: no rolling {window} window in the history had traffic"
        return Recommendation(None, why, tuple((c.objective, "; ".join(c.failures)) for c in candidates))
    why = f"{objective_text(chosen.objective)} is the tightest candidate {_meets(chosen, window)}"
    above = tuple((c.objective, "; ".join(c.failures)) for c in candidates if c.objective > chosen.objective)
    below = tuple(
        (
            c.objective,
            f"meets the rule too, but {objective_text(chosen.objective)} is tighter"
            if c.eligible
            else "; ".join(c.failures),
        )
        for c in candidates
        if c.objective < chosen.objective
    )
    return Recommendation(chosen.objective, why, above, below)


# ---- the history --------------------------------------------------------------------------------------


def _trim(hours: Sequence[Hour], start: float) -> tuple[list[Hour], float]:
    """Drop the leading days the backend does not hold: start at the first midnight with data."""
    first = next((i for i, h in enumerate(hours) if h.readable), None)
    if first is None:
        return [], start + len(hours) * HOUR
    begins = start + first * HOUR
    midnight = start + math.ceil((begins - start) / DAY - 1e-9) * DAY
    skip = round((midnight - start) / HOUR)
    return list(hours[skip:]), midnight


def summarise(hours: Sequence[Hour], start: float, window_seconds: float) -> tuple[HistorySummary, Prefix]:
    kept, begins = _trim(hours, start)
    prefix = Prefix(kept)
    days = periods(prefix, begins, DAY)
    summary = HistorySummary(
        asked_start=start,
        start=begins,
        end=begins + len(kept) * HOUR,
        hours=tuple(kept),
        days=tuple(days),
        windows=tuple(periods(prefix, begins, window_seconds)),
        low_days=tuple(low_traffic_days(days)),
    )
    return summary, prefix


def analyse(
    hours: Sequence[Hour],
    start: float,
    *,
    window: str,
    window_seconds: float,
    tiers: Sequence[float],
    current: float | None,
    window_note: str | None = None,
) -> Analysis:
    """Everything the recommender says about one SLI's history."""
    history, prefix = summarise(hours, start, window_seconds)
    burns = BurnHistory(prefix)
    candidates = []
    for objective, labels in _objectives(history, current):
        result = backtest(
            objective,
            history.windows,
            burns,
            window_seconds=window_seconds,
            tiers=tiers,
            history_days=history.length_days,
        )
        candidates.append(Candidate(objective, labels, result, _failures(result, window)))
    recommendation = recommend(candidates, window)
    findings = _findings(history, candidates, window, window_note)
    return Analysis(window, window_seconds, history, tuple(candidates), recommendation, tuple(findings))


# ---- findings -----------------------------------------------------------------------------------------


def _dates(periods_: Sequence[Period]) -> str:
    shown = ", ".join(iso(p.start)[:10] for p in periods_[:LISTED])
    more = len(periods_) - LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _noise_finding(candidates: Sequence[Candidate], history: HistorySummary, window: str) -> Finding | None:
    noisy = [c for c in candidates if c.result.noise]
    if not noisy:
        return None
    loosest = noisy[-1]
    events = loosest.result.median_window_events or 0.0
    readable = [d.total for d in history.days if d.hours > d.missing_hours]
    per_day = sum(readable) / len(readable) if readable else 0.0
    needs = ", ".join(
        f"{objective_text(c.objective)} needs {c.result.events_needed():,.0f}" for c in reversed(noisy[-3:])
    )
    message = (
        f"window too short for the traffic: a {window} window holds a median of {events:,.0f} events; "
        f"{needs} (100 × 1/(1 − objective), so the budget allows 100 bad events): the budget is noise at "
        f"{', '.join(objective_text(c.objective) for c in noisy)}."
    )
    if per_day > 0:
        days = math.ceil(loosest.result.events_needed() / per_day)
        fits = (
            ""
            if days <= history.length_days
            else f", longer than the {history.length_days:g} d history can judge"
        )
        message += (
            f" Use a longer window (at least {days}d for {objective_text(loosest.objective)} at "
            f"{per_day:,.0f} events a day{fits}) or merge this SLI with a related service's."
        )
    else:
        message += " Use a longer window or merge this SLI with a related service's."
    return Finding("low_traffic", message)


def _short_history(history: HistorySummary, window: str) -> Finding | None:
    if history.start <= history.asked_start:
        return None
    asked = (history.end - history.asked_start) / DAY
    return Finding(
        "short_history",
        f"the backend holds {history.length_days:g} d of the {asked:g} d asked: the history starts at "
        f"{iso(history.start)}, the first UTC midnight with data",
    )


def _window_count(history: HistorySummary, window: str) -> Finding | None:
    if not history.windows:
        return Finding(
            "no_windows",
            f"no rolling {window} window lies wholly inside the {history.length_days:g} d history: "
            "give a longer --history or a shorter --window",
        )
    if len(history.windows) < FEW_WINDOWS:
        return Finding(
            "few_windows",
            f"only {len(history.windows)} rolling {window} windows fit in the history: the "
            f"{MET_SHARE * 100:g} % rule is coarse; a longer --history judges better",
        )
    return None


def _low_days(history: HistorySummary, window: str) -> Finding | None:
    if not history.low_days:
        return None
    return Finding(
        "low_traffic_days",
        f"{plural(len(history.low_days), 'day')} had fewer than {LOW_DAY_SHARE * 100:g} % of the median "
        f"day's events: {_dates(history.low_days)}",
    )


def _gaps(history: HistorySummary, window: str) -> Finding | None:
    if not history.gap_days:
        return None
    first = next((h.problem for h in history.hours if h.problem), None)
    return Finding(
        "gaps",
        f"{history.missing_hours} of {len(history.hours)} hours could not be read, on "
        f"{_dates(history.gap_days)}; their events are missing from every window that holds them"
        + (f" (first reason: {first})" if first else ""),
    )


def _current(candidates: Sequence[Candidate], window: str) -> Finding | None:
    current = next((c for c in candidates if "current" in c.labels), None)
    if current is None or not current.result.windows_breached:
        return None
    result = current.result
    return Finding(
        "current_breached",
        f"the current objective {objective_text(current.objective)} was breached in "
        f"{result.windows_breached} of {result.windows_total} rolling {window} windows",
    )


def _findings(
    history: HistorySummary,
    candidates: Sequence[Candidate],
    window: str,
    window_note: str | None,
) -> list[Finding]:
    found = [
        _short_history(history, window),
        _window_count(history, window),
        _noise_finding(candidates, history, window),
        _low_days(history, window),
        _gaps(history, window),
        _current(candidates, window),
        Finding("calendar_window", window_note) if window_note else None,
    ]
    return [f for f in found if f is not None]
