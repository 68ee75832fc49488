"""The reports' own dataset: a 47-minute incident inside a calendar quarter with known traffic.

Four jobs, counters `http_requests_total{job, code}` (checkout also by `route`), piecewise-constant
rates so every count is known exactly (`increase`):

- checkout: /pay 3/s and /cart 5/s in October, 4/s and 6/s from November 1; a 0.02 % error ratio,
  except for 47 minutes from INCIDENT_START (2026-11-10T03:13:00Z), when /pay fails 35 % and /cart
  10 % of requests (20 % overall: a 200x burn of a 99.9 % SLO);
- search: 5/s at 0.01 % errors (healthy);
- billing: 4/s at 0.02 %, then 0.15 % for the last 3 days (a slow burn that tickets);
- legacy: 2/s at 0.12 % all along (a spent budget).

Samples every 300 s from 2026-09-30T00:00Z, every 60 s for the last 2 days (so 1-minute error ratios
exist around the incident); the data ends at END_TIME, 2026-11-10T12:00:00Z. Every sample time is
on its step's grid, so Prometheus' increase over any window between sample times is exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .dataset import Dataset, Labels, SeriesSamples


def _t(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


START_TIME = _t("2026-09-30T00:00:00")
NOVEMBER = _t("2026-11-01T00:00:00")
END_TIME = _t("2026-11-10T12:00:00")
FINE_START = END_TIME - 2 * 86400
INCIDENT_START = _t("2026-11-10T03:13:00")
INCIDENT_END = INCIDENT_START + 47 * 60
BILLING_BURN = END_TIME - 3 * 86400
QUARTER_START = _t("2026-10-01T00:00:00")
QUARTER_END = _t("2027-01-01T00:00:00")
BASE = 0.0002


@dataclass(frozen=True)
class Piece:
    """Rates per second over (start, end]."""

    start: int
    end: int
    total: float
    errors: float


def _pieces(job: str, route: str | None) -> list[Piece]:
    if job == "checkout":
        october, november, failing = {"/pay": (3.0, 4.0, 0.35), "/cart": (5.0, 6.0, 0.10)}[route or ""]
        return [
            Piece(START_TIME, NOVEMBER, october, october * BASE),
            Piece(NOVEMBER, INCIDENT_START, november, november * BASE),
            Piece(INCIDENT_START, INCIDENT_END, november, november * failing),
            Piece(INCIDENT_END, END_TIME, november, november * BASE),
        ]
    if job == "search":
        return [Piece(START_TIME, END_TIME, 5.0, 5.0 * 0.0001)]
    if job == "billing":
        return [
            Piece(START_TIME, BILLING_BURN, 4.0, 4.0 * BASE),
            Piece(BILLING_BURN, END_TIME, 4.0, 4.0 * 0.0015),
        ]
    if job == "legacy":
        return [Piece(START_TIME, END_TIME, 2.0, 2.0 * 0.0012)]
    raise ValueError(job)


SERIES: tuple[tuple[str, str | None], ...] = (
    ("checkout", "/pay"),
    ("checkout", "/cart"),
    ("search", None),
    ("billing", None),
    ("legacy", None),
)


def increase(job: str, what: str, start: float, end: float, route: str | None = None) -> float:
    """Exact events in (start, end]: `what` is total, errors or good; all routes unless `route`."""
    routes = [r for j, r in SERIES if j == job and (route is None or r == route)]
    found = 0.0
    for r in routes:
        for piece in _pieces(job, r):
            overlap = max(0.0, min(end, piece.end) - max(start, piece.start))
            rate = {"total": piece.total, "errors": piece.errors, "good": piece.total - piece.errors}[what]
            found += rate * overlap
    return found


def sample_times() -> list[int]:
    return list(range(START_TIME, FINE_START, 300)) + list(range(FINE_START, END_TIME + 1, 60))


def _series() -> Iterator[SeriesSamples]:
    times = sample_times()
    for job, route in SERIES:
        for code, what in (("200", "good"), ("500", "errors")):
            labels: Labels = (("job", job), *((("route", route),) if route else ()), ("code", code))
            values: Iterable[tuple[int, float]] = [
                (t, increase(job, what, START_TIME, t, route)) for t in times
            ]
            yield "http_requests_total", labels, values


INCIDENT = Dataset(
    name="incident",
    end_time=END_TIME,
    sources=(Path(__file__).resolve(),),
    series=_series,
)
