"""PURE: one candidate objective replayed over a history: what it would have meant, window by window.

In: the history's hourly counts (`Prefix`), its rolling windows, the candidate objective, the SLO
window's length and the policy's tiers. Out: a `Backtest` with
- rolling windows breached (budget left below zero), the minimum budget left and the window it ended,
  the median budget left (DESIGN §3: remaining = 1 - r(P)/EB, `gate.budget.remaining_budget`);
- per tier, the days whose window ended at or below that tier's `above` (the gate then allows less);
- page and ticket alerts: DESIGN §3's multiwindow rules (`gate.budget.ALERT_RULES`, thresholds scaled to
  the window) evaluated at the end of every hour of the history. Windows are sums of whole hours, so a
  short window under one hour (5m, 30m) is read over the last hour: at hourly resolution the first page
  rule is `b(1h) > 14.4` and the second `b(6h) > 6 and b(1h) > 6` (30 d). A rule is evaluated from the
  first hour its long window lies wholly inside the history. An alert is a run of consecutive hours
  that fire; its hours are counted too;
- the error budget as minutes of full outage per window, and whether the budget is noise: fewer than
  `NOISE_BAD_EVENTS` bad events allowed per median window (events < 100 x 1/(1 - objective)).
No clock, disk or network.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from gate.budget import ALERT_RULES, burn_rate, error_budget, remaining_budget
from gate.models import BURN_WINDOWS, Alert
from gate.objective.series import DAY, HOUR, Period, Prefix
from gate.policy import parse_duration

__all__ = ["NOISE_BAD_EVENTS", "AlertTally", "Backtest", "BurnHistory", "backtest"]

NOISE_BAD_EVENTS = 100  # a window must allow at least this many bad events for its budget to mean anything
MONTH = 30 * DAY


@dataclass(frozen=True)
class AlertTally:
    """Alerts of one severity: how many runs of firing hours, how many hours, when the first began."""

    count: int
    hours: float
    first: float | None = None


def _peak(ratios: Iterable[float | None]) -> float | None:
    return max((r for r in ratios if r is not None), default=None)


class BurnHistory:
    """Error ratio at the end of every hour over each burn window (at least one hour long): the same
    for every candidate, so it is computed once. `None` where a window holds no traffic or does not
    yet lie wholly inside the history."""

    def __init__(self, prefix: Prefix, step: float = HOUR) -> None:
        self.step = step
        self.ends = [h.end for h in prefix.hours]
        self.ratios: dict[str, list[float | None]] = {}
        for window in BURN_WINDOWS:
            count = max(1, round(parse_duration(window) / step))
            column: list[float | None] = []
            for last in range(len(prefix)):
                bad, total = prefix.sums(last, count)
                column.append(bad / total if last + 1 >= count and total > 0 else None)
            self.ratios[window] = column
        # The highest ratio over any window at each hour: where even it is below the lowest threshold
        # no rule can fire, so a healthy hour costs one comparison per candidate.
        self.peaks = [_peak(c[i] for c in self.ratios.values()) for i in range(len(prefix))]

    def burn_rates(self, index: int, budget: float) -> dict[str, float | None]:
        return {w: burn_rate(column[index], budget) for w, column in self.ratios.items()}


@dataclass(frozen=True)
class Backtest:
    objective: float
    error_budget: float
    budget_minutes: float  # the error budget as minutes of full outage per window
    windows_total: int
    windows_breached: int
    min_budget_remaining: float | None
    min_budget_at: float | None  # end of the window with the least budget left
    median_budget_remaining: float | None
    tier_days: tuple[tuple[float, int], ...]  # (tier's `above` in percent, days at or below it)
    pages: AlertTally
    tickets: AlertTally
    history_days: float
    median_window_events: float | None

    @property
    def windows_met(self) -> int:
        return self.windows_total - self.windows_breached

    @property
    def met_share(self) -> float | None:
        return self.windows_met / self.windows_total if self.windows_total else None

    @property
    def pages_per_month(self) -> float:
        return self.pages.count * MONTH / (self.history_days * DAY) if self.history_days > 0 else 0.0

    @property
    def allowed_bad_events(self) -> float | None:
        """Bad events the budget allows in the median window."""
        events = self.median_window_events
        return None if events is None else events * self.error_budget

    @property
    def noise(self) -> bool:
        allowed = self.allowed_bad_events
        return allowed is not None and allowed < NOISE_BAD_EVENTS

    def events_needed(self) -> float:
        """Events a window needs for this budget to allow NOISE_BAD_EVENTS bad events."""
        return NOISE_BAD_EVENTS / self.error_budget


def _tally(firing: Sequence[bool], ends: Sequence[float], step: float) -> AlertTally:
    count, hours, first = 0, 0, None
    previous = False
    for fired, end in zip(firing, ends, strict=True):
        if fired:
            hours += 1
            if not previous:
                count += 1
                first = end - step if first is None else first
        previous = fired
    return AlertTally(count, hours * step / HOUR, first)


def _alerts(burns: BurnHistory, budget: float, period: float) -> dict[Alert, AlertTally]:
    firing: dict[Alert, list[bool]] = {"page": [], "ticket": []}
    # A margin so that rounding can never skip an hour `fires` would have judged as firing.
    lowest = min(rule.threshold(period) for rule in ALERT_RULES) * budget * (1 - 1e-9)
    for index, peak in enumerate(burns.peaks):
        fired: set[Alert] = set()
        if peak is not None and peak > lowest:
            rates = burns.burn_rates(index, budget)
            fired = {rule.severity for rule in ALERT_RULES if rule.fires(rates, period)}
        for severity, column in firing.items():
            column.append(severity in fired)
    return {severity: _tally(column, burns.ends, burns.step) for severity, column in firing.items()}


def backtest(
    objective: float,
    windows: Sequence[Period],
    burns: BurnHistory,
    *,
    window_seconds: float,
    tiers: Sequence[float],
    history_days: float,
) -> Backtest:
    """Replay `objective` over the history's rolling `windows` and its hours."""
    budget = error_budget(objective)
    judged = [(w, ratio) for w in windows if (ratio := w.ratio) is not None]
    left = [(remaining_budget(ratio, budget), w.end) for w, ratio in judged]
    worst = min(left, default=None)
    alerts = _alerts(burns, budget, window_seconds)
    return Backtest(
        objective=objective,
        error_budget=budget,
        budget_minutes=budget * window_seconds / 60.0,
        windows_total=len(left),
        windows_breached=sum(1 for value, _ in left if value < 0),
        min_budget_remaining=worst[0] if worst else None,
        min_budget_at=worst[1] if worst else None,
        median_budget_remaining=statistics.median(v for v, _ in left) if left else None,
        tier_days=tuple((above, sum(1 for v, _ in left if v * 100.0 <= above)) for above in tiers),
        pages=alerts["page"],
        tickets=alerts["ticket"],
        history_days=history_days,
        median_window_events=statistics.median(w.total for w, _ in judged) if judged else None,
    )


def tier_days_map(result: Backtest) -> Mapping[str, int]:
    """`tier_days` keyed as JSON shows it: the tier's `above` without a needless `.0`."""
    return {f"{above:g}": days for above, days in result.tier_days}
