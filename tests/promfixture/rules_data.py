"""The rules dataset: 4 days of request counters shaped to cross every alert threshold, for `slo-gate rules`.

Scenarios (jobs), each a `Scenario` of piecewise-constant rates (tests/promfixture/scenarios.py's model,
so the exact increase over any window is known), ending at END_TIME and sampled every 60 s:

- `r-steady`: healthy, 40 req/s at 0.02 % errors (0.2x of a 99.9 % budget), with a latency histogram
  (99.5 % within 0.3 s) for a good_query SLO.
- `r-slow`: a slow burn: 0.05 % errors, then 0.4 % (4x) for the last 30 h: the 30d ticket alert starts
  (3d/6h clause about 19.7 h before the end, 1d/2h clause about 12.9 h before), no page.
- `r-fast`: a fast burn that recovered: 0.01 %, 4 % (40x) from 20 h to 18 h before the end, then 0.01 %
  again: page during the burn, ticket until 6 h after it, then nothing.
- `r-quiet`: traffic only 06-18 UTC (5 req/s at 0.5 %), none at night: every short window is empty at
  night (no burn rate, no alert) while the long ones are not.

`POLICIES` are the SLOs the rules tests export and judge: the 30d SRE thresholds, a 20h window (other
thresholds, and a window short enough to be recorded in full), a 1d window (the same series as the 1d
burn window), calendar month and quarter, a good_query latency SLO, a query that counts events with
increase(), and a 3d window the recordings only partly cover.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gate.policy import LoadedPolicy, Policy

from . import scenarios as sc
from .dataset import Dataset, SeriesSamples
from .scenarios import DAY, END_TIME, HOUR, Scenario, Segment

START = END_TIME - 4 * DAY
STEP = 60
LEVEL1_FROM = END_TIME - 2 * DAY  # the 5-minute recordings (a 20h SLO window needs 20h of them)
ALERTS_FROM = END_TIME - 20 * HOUR  # burn ratios, SLO windows and the times the tests judge


def _segments(rate: Any, ratio: Any) -> tuple[Segment, ...]:
    out = []
    for t in range(START, END_TIME, 600):
        total = rate(t) if callable(rate) else rate
        out.append(Segment(t, t + 600, total, total * ratio(t)))
    return tuple(out)


def _day(t: int) -> bool:
    return 6 <= (t % DAY) // HOUR < 18


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "r-steady",
            "healthy, 0.02% errors, latency 99.5% <= 0.3s",
            _segments(40.0, lambda t: 0.0002),
            latency_buckets=(("0.1", 0.9), ("0.3", 0.995), ("+Inf", 1.0)),
        ),
        Scenario(
            "r-slow",
            "slow burn: 0.05% errors, 0.4% for the last 30h",
            _segments(25.0, lambda t: 0.004 if t >= END_TIME - 30 * HOUR else 0.0005),
        ),
        Scenario(
            "r-fast",
            "fast burn that recovered: 4% from END-20h to END-18h, else 0.01%",
            _segments(20.0, lambda t: 0.04 if END_TIME - 20 * HOUR <= t < END_TIME - 18 * HOUR else 0.0001),
        ),
        Scenario(
            "r-quiet",
            "day-only traffic: 5 req/s at 0.5% from 06 to 18 UTC, nothing at night",
            _segments(lambda t: 5.0 if _day(t) else 0.0, lambda t: 0.005),
        ),
    )
}


def sample_times() -> list[int]:
    return list(range(START, END_TIME + 1, STEP))


def _series() -> Iterable[SeriesSamples]:
    times = sample_times()
    for scenario in SCENARIOS.values():
        for series in scenario.series():
            yield series.metric, series.labels, scenario.counter_values(series.what, times)


RULES = Dataset(
    name="rules",
    end_time=END_TIME,
    sources=(Path(__file__).resolve(), Path(sc.__file__).resolve()),
    series=_series,
    scenarios=SCENARIOS,
)


def _sli(job: str, counter: str = "rate") -> dict[str, str]:
    return {
        "error_query": f'sum({counter}(http_requests_total{{job="{job}",code=~"5.."}}[{{{{.window}}}}]))',
        "total_query": f'sum({counter}(http_requests_total{{job="{job}"}}[{{{{.window}}}}]))',
    }


def _slo(name: str, job: str, window: Any = "30d", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "objective": 99.9,
        "window": window,
        "sli": extra.pop("sli", None) or _sli(job),
        **extra,
    }


def _policy(service: str, *slos: dict[str, Any]) -> LoadedPolicy:
    spec = {"apiVersion": "slo-gate/v1", "service": service, "slos": list(slos)}
    return LoadedPolicy(policy=Policy.model_validate(spec), path=f"{service}.yaml", sha256="0" * 64)


LATENCY_SLI = {
    "good_query": 'sum(rate(http_request_duration_seconds_bucket{job="r-steady",le="0.3"}[{{.window}}]))',
    "total_query": 'sum(rate(http_request_duration_seconds_count{job="r-steady"}[{{.window}}]))',
}

POLICIES: tuple[LoadedPolicy, ...] = (
    _policy(
        "steady",
        _slo("availability", "r-steady"),
        _slo("latency", "r-steady", objective=99.0, sli=LATENCY_SLI),
        _slo("short", "r-steady", window="20h"),
    ),
    _policy(
        "slow",
        _slo("availability", "r-slow"),
        _slo("short", "r-slow", window="20h"),
        _slo("counted", "r-slow", window="20h", sli=_sli("r-slow", "increase")),
        _slo("threeday", "r-slow", window="3d"),
    ),
    _policy(
        "fast",
        _slo("availability", "r-fast"),
        _slo("short", "r-fast", window="20h"),
        _slo("daily", "r-fast", window="1d"),
        _slo("month", "r-fast", window={"calendar": "month"}),
        _slo("quarter", "r-fast", window={"calendar": "quarter"}),
    ),
    _policy("quiet", _slo("availability", "r-quiet"), _slo("short", "r-quiet", window="20h")),
)
