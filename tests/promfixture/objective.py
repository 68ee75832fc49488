"""The objective recommender's own fixture data: 90 days of hourly counters for three kinds of service.

`OBJECTIVE` is a `Dataset` with its own cached TSDB and its own Prometheus (tests/promfixture/dataset.py),
so it never touches the gate's scenarios. Everything is integer event counts per hour, generated from
a seeded random source, and written as cumulative counters with one sample on every hour boundary from
`START` to `END` (both UTC midnights). `hourly(job)` is the analytic truth the tests recompute every
figure from: at Prometheus 2.x, `increase(x[1h])` evaluated on an hour boundary covers exactly the two
samples on its edges, so each hour's answer is the generator's count with no extrapolation.

- `steady`: about 1.4 M requests a day with a diurnal shape; each day's error ratio is drawn from a
  log-normal distribution (median 0.025 %); days 55-61 are a bad week (four times the errors) with a
  two-hour outage at 6 % errors on day 58; day 34 is a bad deploy (0.4 % errors all day); day 20 is a maintenance day at 5 % of the traffic (a
  low-traffic day); samples are missing for five hours on day 33 (a scrape gap: six hours unreadable).
  It also has a latency histogram (`http_request_duration_seconds`, buckets 0.1, 0.25, 0.5, 1, +Inf)
  whose shares under each bucket are drawn per day (slower during the bad week).
- `sparse`: about 240 requests a day, so a 30-day window holds ~7,200 events: too few for any
  objective of the ladder (99 % needs 10,000 to allow 100 bad events).
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from .dataset import Dataset, SeriesSamples

HOUR = 3600
DAY = 86400
END = int(datetime(2026, 10, 20, tzinfo=UTC).timestamp())
DAYS = 90
START = END - DAYS * DAY  # 2026-07-22T00:00:00Z
HOURS = DAYS * 24

REQUESTS = "http_requests_total"
LATENCY = "http_request_duration_seconds"
BUCKETS = ("0.1", "0.25", "0.5", "1", "+Inf")

BAD_WEEK = range(55, 62)  # day indexes (0 = the day starting at START)
OUTAGE_DAY, OUTAGE_HOURS, OUTAGE_RATIO = 58, (14, 15), 0.06
BAD_DAY, BAD_DAY_RATIO = 34, 0.004  # a bad deploy: a day at 0.4 % errors
LOW_DAY, LOW_SHARE = 20, 0.05
GAP_DAY, GAP_HOURS = 33, range(9, 14)  # samples missing at these hours of the day (09:00 .. 13:00)
SEED = 13

Hour = tuple[int, int]  # (bad, total) events in one hour


def _shape(hour_of_day: int) -> float:
    return 1 + 0.5 * math.sin(2 * math.pi * (hour_of_day - 6) / 24)


@functools.cache
def _steady() -> tuple[tuple[Hour, ...], tuple[tuple[int, ...], ...]]:
    """Hourly (bad, total) for `steady`, and per hour the cumulative histogram counts per bucket."""
    rng = random.Random(SEED)
    hours: list[Hour] = []
    buckets: list[tuple[int, ...]] = []
    for day in range(DAYS):
        ratio = math.exp(rng.gauss(math.log(0.00025), 0.45))
        if day in BAD_WEEK:
            ratio *= 4
        if day == BAD_DAY:
            ratio = BAD_DAY_RATIO
        fast = min(0.95, max(0.7, rng.gauss(0.85, 0.03)))
        shares = (fast, 0.9885 + rng.uniform(-0.002, 0.001), 0.9975 + rng.uniform(-0.001, 0.0008), 0.9997)
        if day in BAD_WEEK:
            shares = (fast - 0.1, 0.97, 0.994, 0.9992)
        for hour in range(24):
            total = round(16 * 3600 * _shape(hour) * (LOW_SHARE if day == LOW_DAY else 1.0))
            hour_ratio = OUTAGE_RATIO if day == OUTAGE_DAY and hour in OUTAGE_HOURS else ratio
            hours.append((round(total * hour_ratio), total))
            buckets.append((*(math.floor(total * s) for s in shares), total))
    return tuple(hours), tuple(buckets)


@functools.cache
def _sparse() -> tuple[Hour, ...]:
    rng = random.Random(SEED + 1)
    return tuple((1 if rng.random() < 0.02 else 0, 10) for _ in range(HOURS))


def _missing(job: str) -> frozenset[int]:
    """Sample times (unix seconds) the generator leaves out."""
    if job != "steady":
        return frozenset()
    return frozenset(START + GAP_DAY * DAY + h * HOUR for h in GAP_HOURS)


def _counts(job: str) -> tuple[Hour, ...]:
    return _steady()[0] if job == "steady" else _sparse()


def hourly(job: str) -> list[tuple[int, float, float] | tuple[int, None, None]]:
    """What each hour of the history should read as: (hour end, bad, total), or (hour end, None, None)
    when a sample on the hour's edges is missing (the hour cannot be read)."""
    missing = _missing(job)
    out: list[tuple[int, float, float] | tuple[int, None, None]] = []
    for index, (bad, total) in enumerate(_counts(job)):
        end = START + (index + 1) * HOUR
        if end in missing or end - HOUR in missing:
            out.append((end, None, None))
        else:
            out.append((end, float(bad), float(total)))
    return out


def bucket_hours(job: str = "steady") -> list[dict[str, float]]:
    """Per hour, the events at or under each bucket (`le` -> count), for the latency histogram."""
    return [dict(zip(BUCKETS, map(float, counts), strict=True)) for counts in _steady()[1]]


def _cumulative(values: Iterable[int], missing: frozenset[int]) -> Iterator[tuple[int, float]]:
    running = 0
    yield START, 0.0
    for index, value in enumerate(values):
        running += value
        t = START + (index + 1) * HOUR
        if t not in missing:
            yield t, float(running)


def _series() -> Iterator[SeriesSamples]:
    for job in ("steady", "sparse"):
        counts = _counts(job)
        missing = _missing(job)
        yield (
            REQUESTS,
            (("code", "200"), ("job", job)),
            list(_cumulative((t - b for b, t in counts), missing)),
        )
        yield REQUESTS, (("code", "500"), ("job", job)), list(_cumulative((b for b, _ in counts), missing))
    missing = _missing("steady")
    per_bucket = _steady()[1]
    for index, le in enumerate(BUCKETS):
        labels = (("job", "steady"), ("le", le))
        yield f"{LATENCY}_bucket", labels, list(_cumulative((c[index] for c in per_bucket), missing))
    yield f"{LATENCY}_count", (("job", "steady"),), list(_cumulative((c[-1] for c in per_bucket), missing))


OBJECTIVE = Dataset(
    name="objective",
    end_time=END,
    sources=(Path(__file__).resolve(),),
    series=_series,
)
