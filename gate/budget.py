"""PURE error-budget math (DESIGN §3). No I/O, no clock: every time comes in as an argument.

- Error budget EB = 1 - objective/100; error ratio r(w) = bad(w)/total(w), a ratio of sums.
- Remaining = 1 - r(P)/EB (P = SLO window, or the time since a calendar period began).
- Burn rate b(w) = r(w)/EB; consuming at b for t costs b*t/P of the budget.
- Multiwindow alerts (SRE Workbook) with thresholds scaled for P: budget_share * P / long_window.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from gate.models import BURN_WINDOWS, Alert, QueryRecord, SLOBudget, WindowCounts
from gate.policy import CalendarWindow, parse_duration

SLO_WINDOW = "slo"  # the name under which the whole SLO window is measured
HOUR = 3600.0


@functools.lru_cache(maxsize=64)
def _seconds(window: str) -> float:
    """A window's length; the same few names are asked for at every step of a backtest."""
    return parse_duration(window)


@dataclass(frozen=True)
class AlertRule:
    """Both windows must burn faster than `threshold` for the alert to fire."""

    severity: Alert
    long_window: str
    short_window: str
    budget_share: float

    def threshold(self, period_seconds: float) -> float:
        return self.budget_share * period_seconds / _seconds(self.long_window)

    def fires(self, burn_rates: Mapping[str, float | None], period_seconds: float) -> bool:
        """Both windows burn faster than the threshold; a window without a burn rate cannot fire."""
        threshold = self.threshold(period_seconds)
        long_burn = burn_rates.get(self.long_window)
        short_burn = burn_rates.get(self.short_window)
        return (
            long_burn is not None
            and short_burn is not None
            and long_burn > threshold
            and short_burn > threshold
        )


# SRE Workbook, table 5-8: 2% of budget in 1h, 5% in 6h (page); 10% in 1d, 10% in 3d (ticket).
ALERT_RULES: tuple[AlertRule, ...] = (
    AlertRule("page", "1h", "5m", 0.02),
    AlertRule("page", "6h", "30m", 0.05),
    AlertRule("ticket", "1d", "2h", 0.10),
    AlertRule("ticket", "3d", "6h", 0.10),
)


def error_budget(objective_percent: float) -> float:
    return 1.0 - objective_percent / 100.0


def implausible(counts: WindowCounts) -> str | None:
    """Why these counts cannot be a measurement (None when they can): 0 <= bad <= total must hold.

    Query answers are checked (with a scrape-skew allowance) when they are parsed; this guards every
    other producer, so a negative count never becomes more than 100 % budget left.
    """
    bad, total = counts.bad, counts.total
    problem = None
    if any(value is not None and not math.isfinite(value) for value in (bad, total)):
        problem = "not a number of events"
    elif total is not None and total < 0:
        problem = "a total cannot be negative"
    elif bad is not None and bad < 0:
        problem = "a count of bad events cannot be negative"
    elif bad is not None and bad > (total or 0.0):
        problem = "more bad events than events"
    if problem is None:
        return None
    return f"bad {_number(bad)} of total {_number(total)}: {problem}"


def _number(value: float | None) -> str:
    return "none" if value is None else f"{value:.6g}"


def error_ratio(counts: WindowCounts) -> float | None:
    """bad/total over the window; None when there was no traffic to judge."""
    if counts.total is None or counts.total <= 0:
        return None
    if counts.ratio is not None:
        return counts.ratio
    return (counts.bad or 0.0) / counts.total


def burn_rate(ratio: float | None, budget: float) -> float | None:
    return None if ratio is None else ratio / budget


def remaining_budget(ratio: float, budget: float) -> float:
    """Share of the error budget left after an error ratio `ratio` over the SLO window (< 0: overspent)."""
    return 1.0 - ratio / budget


def budget_cost(burn: float, seconds: float, period_seconds: float) -> float:
    """Fraction of the whole budget spent burning at `burn` for `seconds` (14.4x for 1h of 30d = 0.02)."""
    return burn * seconds / period_seconds


def evaluate_alerts(burn_rates: Mapping[str, float | None], period_seconds: float) -> tuple[Alert, list[str]]:
    """The most severe multiwindow alert that fires, and a sentence for every rule that fired."""
    fired: list[str] = []
    severity: Alert = "none"
    for rule in ALERT_RULES:
        if rule.fires(burn_rates, period_seconds):
            fired.append(
                f"{rule.severity}: burn {burn_rates[rule.long_window]:.2f}x over {rule.long_window} and "
                f"{burn_rates[rule.short_window]:.2f}x over {rule.short_window} exceed "
                f"{rule.threshold(period_seconds):.4g}x"
            )
            if rule.severity == "page" or severity == "none":
                severity = rule.severity
    return severity, fired


def exhaustion_hours(remaining: float, burn_1h: float | None, period_seconds: float) -> float | None:
    """Hours until the budget is gone at the last hour's burn; 0 when overspent, None when not burning."""
    if remaining <= 0:
        return 0.0
    if burn_1h is None or burn_1h <= 0:
        return None
    return remaining * period_seconds / burn_1h / HOUR


# ---- calendar windows -------------------------------------------------------------------------


def _period_start(kind: str, moment: datetime) -> datetime:
    month = moment.month if kind == "month" else 3 * ((moment.month - 1) // 3) + 1
    return datetime(moment.year, month, 1, tzinfo=UTC)


def _add_months(start: datetime, months: int) -> datetime:
    index = start.month - 1 + months
    return datetime(start.year + index // 12, index % 12 + 1, 1, tzinfo=UTC)


def calendar_bounds(window: CalendarWindow, at: float) -> tuple[float, float]:
    """Start and end (unix seconds, UTC) of the calendar period containing `at`."""
    moment = datetime.fromtimestamp(at, tz=UTC)
    start = _period_start(window.calendar, moment)
    end = _add_months(start, 1 if window.calendar == "month" else 3)
    return start.timestamp(), end.timestamp()


@dataclass(frozen=True)
class SLOWindow:
    """How long the budget period is (P) and how much of it to measure now."""

    label: str
    period_seconds: float
    measured_seconds: float


def slo_window(window: str | CalendarWindow, at: float) -> SLOWindow:
    if isinstance(window, str):
        seconds = parse_duration(window)
        return SLOWindow(window, seconds, seconds)
    start, end = calendar_bounds(window, at)
    return SLOWindow(f"calendar {window.calendar}", end - start, at - start)


# ---- one SLO ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SLOInput:
    name: str
    objective: float
    window: SLOWindow
    min_events: int
    events_per_second: bool  # total query is a rate: events = value * seconds


def evaluate_slo(
    spec: SLOInput, counts: Mapping[str, WindowCounts], queries: Sequence[QueryRecord] = ()
) -> SLOBudget:
    """Budget, burn rates, alert and exhaustion for one SLO from measured counts (keyed by window name).

    Counts that cannot be a measurement in any window make the whole SLO inconclusive (garbage in a
    burn window could hide an alert as surely as garbage in the SLO window could hide a spent budget).
    """
    for name, window_counts in counts.items():
        problem = implausible(window_counts)
        if problem is not None:
            where = spec.window.label if name == SLO_WINDOW else name
            return inconclusive(spec, f"implausible counts over {where}: {problem}", queries)
    budget = error_budget(spec.objective)
    burn_rates = {w: burn_rate(error_ratio(counts[w]), budget) if w in counts else None for w in BURN_WINDOWS}
    result = SLOBudget(
        name=spec.name,
        objective=spec.objective,
        window=spec.window.label,
        window_seconds=spec.window.period_seconds,
        burn_rates=burn_rates,
        queries=list(queries),
    )
    whole = counts.get(SLO_WINDOW)
    if whole is None or whole.total is None:
        reason = f"no data: total_query returned no series over {spec.window.label}"
        return result.model_copy(update={"status": "inconclusive", "reason": reason})
    events = whole.total * spec.window.measured_seconds if spec.events_per_second else whole.total
    ratio = error_ratio(whole)
    if ratio is None:
        reason = f"no traffic over {spec.window.label}"
        return result.model_copy(update={"status": "inconclusive", "reason": reason, "events": events})
    remaining = remaining_budget(ratio, budget)
    alert, alert_reasons = evaluate_alerts(burn_rates, spec.window.period_seconds)
    result = result.model_copy(
        update={
            "budget_remaining": remaining,
            "error_ratio": ratio,
            "alert": alert,
            "alert_reasons": alert_reasons,
            "exhaustion_hours": exhaustion_hours(remaining, burn_rates.get("1h"), spec.window.period_seconds),
            "events": events,
        }
    )
    if events < spec.min_events:
        reason = (
            f"low traffic: {events:.0f} events over {spec.window.label}, "
            f"fewer than min_events {spec.min_events}"
        )
        return result.model_copy(update={"status": "inconclusive", "reason": reason})
    return result


def inconclusive(spec: SLOInput, reason: str, queries: Sequence[QueryRecord] = ()) -> SLOBudget:
    """An SLO whose data could not be read or trusted."""
    return SLOBudget(
        name=spec.name,
        objective=spec.objective,
        window=spec.window.label,
        window_seconds=spec.window.period_seconds,
        status="inconclusive",
        reason=reason,
        queries=list(queries),
    )
