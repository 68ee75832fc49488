"""PURE: a history of hourly counts cut into days and rolling windows, with its gaps and quiet days.

In: `Hour` values (bad and total events of each hour, or unreadable with the reason), one per hour of
a span that starts and ends at UTC midnights. Out: `Period`s (a day, a rolling window) that are ratios
of sums of their readable hours, never averages of hourly ratios (DESIGN §3), each saying how many of
its hours could not be read. A rolling window of the SLO's length ends at every UTC midnight of the
history whose window lies wholly inside it (90 days hold 61 windows of 30 days). A low-traffic day has
fewer than `LOW_DAY_SHARE` of the median readable day's events. No clock, disk or network.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

__all__ = [
    "DAY",
    "HOUR",
    "LOW_DAY_SHARE",
    "Hour",
    "Period",
    "Prefix",
    "low_traffic_days",
    "midnight",
    "periods",
]

HOUR = 3600.0
DAY = 86400.0
LOW_DAY_SHARE = 0.10  # a day with under a tenth of the median day's events is a low-traffic day


def midnight(at: float) -> float:
    """The UTC midnight at or before `at`."""
    return at - at % DAY


@dataclass(frozen=True)
class Hour:
    """Events in the hour ending at `end`: `total` None when the hour could not be read (`problem` says why)."""

    end: float
    bad: float | None
    total: float | None
    problem: str | None = None

    @property
    def readable(self) -> bool:
        return self.total is not None


@dataclass(frozen=True)
class Period:
    """Events from `start` to `end` summed over the readable hours."""

    start: float
    end: float
    bad: float
    total: float
    hours: int
    missing_hours: int

    @property
    def ratio(self) -> float | None:
        """bad/total; None when nothing was counted (no traffic, or no readable hour)."""
        return self.bad / self.total if self.total > 0 else None

    @property
    def sli(self) -> float | None:
        """Percent of good events; None without traffic."""
        ratio = self.ratio
        return None if ratio is None else 100.0 * (1.0 - ratio)


class Prefix:
    """Running sums over the hours, so any run of hours is summed in constant time."""

    def __init__(self, hours: Sequence[Hour]) -> None:
        self.hours = tuple(hours)
        self.bad = [0.0, *accumulate((h.bad or 0.0) if h.readable else 0.0 for h in self.hours)]
        self.total = [0.0, *accumulate(h.total or 0.0 for h in self.hours)]
        self.missing = [0, *accumulate(0 if h.readable else 1 for h in self.hours)]

    def __len__(self) -> int:
        return len(self.hours)

    def period(self, first: int, last: int, start: float, end: float) -> Period:
        """Hours `first` .. `last - 1` (indexes) as one period from `start` to `end`."""
        return Period(
            start=start,
            end=end,
            bad=self.bad[last] - self.bad[first],
            total=self.total[last] - self.total[first],
            hours=last - first,
            missing_hours=self.missing[last] - self.missing[first],
        )

    def sums(self, last: int, count: int) -> tuple[float, float]:
        """(bad, total) over the `count` hours that end with hour index `last` (fewer at the start)."""
        first = max(0, last + 1 - count)
        return self.bad[last + 1] - self.bad[first], self.total[last + 1] - self.total[first]


def periods(prefix: Prefix, start: float, length: float, step: float = HOUR) -> list[Period]:
    """Periods of `length` seconds ending at every UTC midnight after `start` whose span lies wholly in
    the history (`length` = one day: the days; the SLO window: the rolling windows)."""
    span = round(length / step)
    per_day = round(DAY / step)
    found = []
    for last in range(span, len(prefix) + 1):
        end = start + last * step
        if (last - span) >= 0 and last % per_day == 0:
            found.append(prefix.period(last - span, last, end - length, end))
    return found


def low_traffic_days(days: Sequence[Period]) -> list[Period]:
    """Days with fewer than LOW_DAY_SHARE of the median day's events (median of days with readable hours)."""
    counted = [d.total for d in days if d.hours > d.missing_hours]
    if not counted:
        return []
    floor = LOW_DAY_SHARE * statistics.median(counted)
    return [d for d in days if d.hours > d.missing_hours and d.total < floor]
