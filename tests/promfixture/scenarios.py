"""Deterministic SLO scenarios for the real-Prometheus test fixture.

Every scenario is one ``job`` whose traffic is modelled as piecewise-constant per-second rates
(segments with a total rate and an error rate). Counters accumulate ``rate * dt`` at each sample
timestamp, so the exact increase over any window is known analytically
(:meth:`Scenario.expected_increase`) and tests can derive DESIGN.md §3 numbers from the generator.

Time is fixed: the data ends at ``END_TIME`` (2026-10-20T12:00:00Z), never the wall clock, and
starts 35 days earlier. Samples are every 300 s, then every 60 s for the last 4 days; there is a
sample exactly at ``END_TIME`` (so instant queries at ``END_TIME`` see it).

Counter resets (scenario ``sessions``) happen immediately after a sample: the next sample counts
from the reset instant. Prometheus' reset handling then reconstructs the true increase exactly, so
``expected_increase`` is the integral of the rate even across resets.

Metric contract (policies and the demo use these names):

* ``http_requests_total{job=<job>, code="200"|"500"}`` (errors are ``code=~"5.."``)
* ``http_request_duration_seconds_bucket{job="checkout", le="0.1"|"0.3"|"1"|"+Inf"}`` (cumulative)
  and ``http_request_duration_seconds_count{job="checkout"}``
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

MINUTE = 60
HOUR = 3600
DAY = 86400

END_TIME = int(datetime(2026, 10, 20, 12, 0, tzinfo=UTC).timestamp())  # 1792497600
START_TIME = END_TIME - 35 * DAY  # 2026-09-15T12:00:00Z
FINE_START = END_TIME - 4 * DAY
COARSE_STEP = 300
FINE_STEP = 60
OCTOBER_START = int(datetime(2026, 10, 1, tzinfo=UTC).timestamp())

REQUESTS = "http_requests_total"
BUCKET = "http_request_duration_seconds_bucket"
COUNT = "http_request_duration_seconds_count"


def sample_times() -> list[int]:
    """All sample timestamps (unix seconds): 300 s steps, then 60 s for the last 4 days, incl. END_TIME."""
    coarse = list(range(START_TIME, FINE_START, COARSE_STEP))
    fine = list(range(FINE_START, END_TIME + 1, FINE_STEP))
    return coarse + fine


@dataclass(frozen=True)
class Segment:
    """Constant rates (per second) over ``(start, end]``."""

    start: int
    end: int
    total_rate: float
    error_rate: float


@dataclass(frozen=True)
class Series:
    """One time series the generator writes: metric name, labels, and what it counts."""

    metric: str
    labels: tuple[tuple[str, str], ...]
    what: str  # argument for Scenario.expected_increase


class _Integral:
    """Cumulative integral of a piecewise-constant rate."""

    def __init__(self, segments: tuple[Segment, ...], rate: Callable[[Segment], float]) -> None:
        self._starts = [s.start for s in segments]
        self._segments = segments
        self._rate = rate
        self._cum = [0.0]
        for s in segments:
            self._cum.append(self._cum[-1] + rate(s) * (s.end - s.start))

    def at(self, t: float) -> float:
        """Integral of the rate from the data start to t (clamped to the data range)."""
        if not self._segments or t <= self._starts[0]:
            return 0.0
        i = bisect.bisect_right(self._starts, t) - 1
        seg = self._segments[i]
        if t >= seg.end:
            return self._cum[i + 1]
        return self._cum[i] + self._rate(seg) * (t - seg.start)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    segments: tuple[Segment, ...]
    objective: float = 99.9
    has_error_series: bool = True
    resets: tuple[int, ...] = ()
    # cumulative fraction of requests with latency <= le, ordered by le, ending with +Inf = 1.0
    latency_buckets: tuple[tuple[str, float], ...] = ()
    documented: dict[str, float] = field(default_factory=dict)

    # ---- identity -------------------------------------------------------------------------------
    @property
    def job(self) -> str:
        return self.name

    @property
    def has_data(self) -> bool:
        return bool(self.segments)

    @property
    def error_budget(self) -> float:
        return 1 - self.objective / 100

    # ---- analytic truth ------------------------------------------------------------------------
    @functools.cached_property
    def _integrals(self) -> tuple[_Integral, _Integral]:
        return (
            _Integral(self.segments, lambda s: s.total_rate),
            _Integral(self.segments, lambda s: s.error_rate),
        )

    def expected_increase(self, what: str, start: float, end: float) -> float:
        """Exact number of events in ``(start, end]``.

        ``what``: ``"total"``, ``"errors"`` (or ``"500"``), ``"good"`` (or ``"200"``),
        ``"le:<bound>"`` for a latency bucket (e.g. ``"le:0.3"``, ``"le:+Inf"``), ``"count"``
        for the histogram count.
        """
        total_i, err_i = self._integrals
        total = total_i.at(end) - total_i.at(start)
        errors = err_i.at(end) - err_i.at(start)
        if what == "total":
            return total
        if what in ("errors", "500"):
            return errors
        if what in ("good", "200"):
            return total - errors
        if what == "count" or what.startswith("le:"):
            if not self.latency_buckets:
                raise ValueError(f"scenario {self.name} has no latency histogram")
            if what == "count":
                return total
            return total * self.latency_fraction(what[3:])
        raise ValueError(f"unknown series kind {what!r}")

    def latency_fraction(self, le: str) -> float:
        for bound, frac in self.latency_buckets:
            if bound == le:
                return frac
        raise ValueError(f"no bucket le={le!r} in scenario {self.name}")

    def error_ratio(self, window_seconds: float, at: float = END_TIME) -> float:
        """Ratio of sums errors/total over ``(at - window, at]``; NaN when there is no traffic."""
        total = self.expected_increase("total", at - window_seconds, at)
        if total <= 0:
            return math.nan
        return self.expected_increase("errors", at - window_seconds, at) / total

    def error_ratio_between(self, start: float, end: float) -> float:
        total = self.expected_increase("total", start, end)
        if total <= 0:
            return math.nan
        return self.expected_increase("errors", start, end) / total

    def burn_rate(self, window_seconds: float, at: float = END_TIME) -> float:
        return self.error_ratio(window_seconds, at) / self.error_budget

    def remaining_budget(self, window_seconds: float = 30 * DAY, at: float = END_TIME) -> float:
        return 1 - self.error_ratio(window_seconds, at) / self.error_budget

    def remaining_budget_since(self, period_start: float, at: float = END_TIME) -> float:
        """Calendar SLO: remaining budget for the time since ``period_start`` (e.g. OCTOBER_START)."""
        return 1 - self.error_ratio_between(period_start, at) / self.error_budget

    def expected_alert(self, at: float = END_TIME) -> str:
        """DESIGN.md §3 multiwindow alert for a 30d SLO: "page", "ticket" or "none"."""

        def b(w: float) -> float:
            return self.burn_rate(w, at)

        if (b(HOUR) > 14.4 and b(5 * MINUTE) > 14.4) or (b(6 * HOUR) > 6 and b(30 * MINUTE) > 6):
            return "page"
        if (b(DAY) > 3 and b(2 * HOUR) > 3) or (b(3 * DAY) > 1 and b(6 * HOUR) > 1):
            return "ticket"
        return "none"

    def average_of_hourly_ratios(self, window_seconds: float = 30 * DAY, at: float = END_TIME) -> float:
        """Mean of 1h error ratios evaluated every hour in ``(at - window, at]`` (the WRONG way)."""
        ratios = []
        t = at - window_seconds + HOUR
        while t <= at:
            r = self.error_ratio(HOUR, t)
            if not math.isnan(r):
                ratios.append(r)
            t += HOUR
        return sum(ratios) / len(ratios)

    # ---- what the generator writes -------------------------------------------------------------
    def series(self) -> list[Series]:
        if not self.has_data:
            return []
        out = [Series(REQUESTS, (("code", "200"), ("job", self.job)), "200")]
        if self.has_error_series:
            out.append(Series(REQUESTS, (("code", "500"), ("job", self.job)), "500"))
        for le, _ in self.latency_buckets:
            out.append(Series(BUCKET, (("job", self.job), ("le", le)), f"le:{le}"))
        if self.latency_buckets:
            out.append(Series(COUNT, (("job", self.job),), "count"))
        return out

    def counter_values(self, what: str, times: list[int]) -> Iterator[tuple[int, float]]:
        """Counter value at each sample time, honouring resets (a reset at r zeroes the counter
        right after the sample at r)."""
        resets = sorted(self.resets)
        for t in times:
            i = bisect.bisect_left(resets, t) - 1  # last reset strictly before t
            since = resets[i] if i >= 0 else START_TIME
            yield t, self.expected_increase(what, since, t)


# ---- scenario construction ---------------------------------------------------------------------


def _shape(hour_start: int) -> float:
    """Deterministic diurnal shape with a little pseudo-random jitter (no RNG)."""
    hour_of_day = (hour_start % DAY) / HOUR
    diurnal = 1 + 0.35 * math.sin(2 * math.pi * (hour_of_day - 6) / 24)
    h = hour_start // HOUR
    jitter = ((h * 2654435761) % 2**32) / 2**32 - 0.5
    return diurnal + 0.1 * jitter


def _hourly(
    base_rate: float | Callable[[int], float],
    ratio: Callable[[int], float],
    shaped: bool = True,
) -> tuple[Segment, ...]:
    segs = []
    for t in range(START_TIME, END_TIME, HOUR):
        base = base_rate(t) if callable(base_rate) else base_rate
        total = base * (_shape(t) if shaped else 1.0)
        segs.append(Segment(t, t + HOUR, total, total * ratio(t)))
    return tuple(segs)


def _const(r: float) -> Callable[[int], float]:
    return lambda _t: r


def _is_day(t: int) -> bool:
    return 6 <= (t % DAY) // HOUR < 18


def _build() -> dict[str, Scenario]:
    sc: list[Scenario] = [
        Scenario(
            "checkout",
            "healthy: error ratio 0.015% (remaining 0.85, no alert); latency 99.6% <= 0.3 s "
            "(a 99% latency SLO has remaining 0.6)",
            _hourly(50.0, _const(0.00015)),
            latency_buckets=(("0.1", 0.80), ("0.3", 0.996), ("1", 0.999), ("+Inf", 1.0)),
        ),
        Scenario(
            "payments",
            "tier-limited: constant error ratio 0.065% -> remaining 0.35, every burn rate 0.65",
            _hourly(30.0, _const(0.00065)),
        ),
        Scenario(
            "search",
            "fast burn: 0.01% errors, then the last 2 h at 2% (20x budget) -> page; 30d remaining ~0.84",
            _hourly(20.0, lambda t: 0.02 if t >= END_TIME - 2 * HOUR else 0.0001),
        ),
        Scenario(
            "ledger",
            "overspent: steady 0.16% errors (1.6x budget) -> remaining -0.6; no page "
            "(the slow-burn ticket b(3d)>1 and b(6h)>1 does fire)",
            _hourly(15.0, _const(0.0016)),
        ),
        Scenario(
            "inventory",
            "slow burn: 0.03% errors, last 3 days at 0.2% (2x) -> ticket, no page; remaining ~0.53",
            _hourly(25.0, lambda t: 0.002 if t >= END_TIME - 3 * DAY else 0.0003),
        ),
        Scenario(
            "sessions",
            "counter resets: steady 10 req/s at 0.05% errors (remaining 0.5); counters reset "
            "5 times, incl. within the last 6 h and the last 1 h",
            (Segment(START_TIME, END_TIME, 10.0, 10.0 * 0.0005),),
            resets=(
                END_TIME - 20 * DAY,
                END_TIME - 9 * DAY,
                END_TIME - 2 * DAY,
                END_TIME - 3 * HOUR,
                END_TIME - 30 * MINUTE,
            ),
        ),
        Scenario(
            "static",
            "no error series at all: only code=200 exists (zero errors, remaining 1.0)",
            _hourly(5.0, _const(0.0)),
            has_error_series=False,
        ),
        Scenario(
            "cron",
            "low traffic: 100 requests in 30 days with 1 error (r=1%, b=10, which alone would page); "
            "below min_events 1000, so it must be inconclusive",
            (Segment(START_TIME, END_TIME, 100 / (30 * DAY), 1 / (30 * DAY)),),
        ),
        Scenario("absent", "no series at all", ()),
        Scenario(
            "uneven",
            "uneven traffic: day (06-18 UTC) 100 req/s at 0.01% errors, night 1 req/s at 5%. "
            "30d ratio of sums ~0.000594 (remaining ~0.41); average of hourly ratios ~0.02505 "
            "(remaining ~-24): a factor ~42 apart",
            _hourly(
                lambda t: 100.0 if _is_day(t) else 1.0,
                lambda t: 0.0001 if _is_day(t) else 0.05,
                shaped=False,
            ),
        ),
        Scenario(
            "billing",
            "calendar month: September 30 req/s at 0.15% errors (bad), October 20 req/s at 0.02% "
            "(good). Month-to-date (since 2026-10-01) remaining 0.8; rolling 30d remaining ~0.22",
            _hourly(
                lambda t: 20.0 if t >= OCTOBER_START else 30.0,
                lambda t: 0.0002 if t >= OCTOBER_START else 0.0015,
            ),
        ),
    ]
    out = {s.name: s for s in sc}
    uneven = out["uneven"]
    uneven.documented["ratio_of_sums_30d"] = uneven.error_ratio(30 * DAY)
    uneven.documented["average_of_hourly_ratios_30d"] = uneven.average_of_hourly_ratios(30 * DAY)
    return out


SCENARIOS: dict[str, Scenario] = _build()


def all_series() -> list[tuple[Scenario, Series]]:
    return [(s, ser) for s in SCENARIOS.values() for ser in s.series()]
