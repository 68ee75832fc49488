"""PURE: a latency threshold from a histogram's buckets, and the objective to hold at it.

In: events per bucket for every hour of the history (`gate.objective.history.BucketHistory`), the
rolling window, tiers and the current threshold (a policy's `le`), if any. Out: a `LatencyAnalysis`:
for every finite bucket bound, the share of the history's requests at or under it and the full
analysis of the SLI "good = at or under the bound" (`gate.objective.recommend.analyse`: candidates,
backtests, recommendation). The threshold chosen is the fastest bound whose recommended objective is
at least `LATENCY_FLOOR` (the lowest rung of the ladder): a faster bound only holds a looser objective,
a slower one promises less about speed. No clock, disk or network.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from gate.objective.history import BucketHistory
from gate.objective.recommend import Analysis, analyse, objective_text
from gate.objective.target import bound_text

__all__ = ["LATENCY_FLOOR", "BucketChoice", "LatencyAnalysis", "analyse_latency", "bucket_shares"]

LATENCY_FLOOR = 99.0


@dataclass(frozen=True)
class BucketChoice:
    bound: str
    share: float | None  # of the history's requests at or under the bound
    analysis: Analysis

    @property
    def objective(self) -> float | None:
        return self.analysis.recommendation.objective


@dataclass(frozen=True)
class LatencyAnalysis:
    histogram: str  # as the user would write it
    buckets: tuple[BucketChoice, ...]  # fastest first, +Inf left out
    chosen: str | None
    why: str
    current_bound: str | None
    ignored_series: int = 0

    def choice(self) -> BucketChoice | None:
        return next((b for b in self.buckets if b.bound == self.chosen), None)


def bucket_shares(history: BucketHistory, bounds: Sequence[str]) -> dict[str, float | None]:
    """Share of the history's events at or under each bound (readable hours only)."""
    under = dict.fromkeys(bounds, 0.0)
    everything = 0.0
    for _, counts, _ in history.hours:
        if counts is None:
            continue
        everything += counts["+Inf"]
        for bound in bounds:
            under[bound] += min(counts.get(bound, 0.0), counts["+Inf"])
    return {b: (under[b] / everything if everything > 0 else None) for b in bounds}


def analyse_latency(
    buckets: BucketHistory,
    start: float,
    *,
    histogram: str,
    window: str,
    window_seconds: float,
    tiers: Sequence[float],
    current_bound: str | None,
    current_objective: float | None,
) -> LatencyAnalysis:
    bounds = [b for b in buckets.bounds if b != "+Inf" and math.isfinite(float(b))]
    shares = bucket_shares(buckets, bounds)
    choices = []
    for bound in bounds:
        analysis = analyse(
            buckets.hour_counts(bound),
            start,
            window=window,
            window_seconds=window_seconds,
            tiers=tiers,
            current=current_objective if bound == current_bound else None,
        )
        choices.append(BucketChoice(bound, shares[bound], analysis))
    chosen = next((c for c in choices if c.objective is not None and c.objective >= LATENCY_FLOOR), None)
    if chosen is None:
        why = (
            f"no bucket supports an objective of at least {objective_text(LATENCY_FLOOR)}: "
            "the histogram's bounds are too fast for this service, or the history is too short or quiet"
            if choices
            else "the histogram returned no finite bucket bounds"
        )
        return LatencyAnalysis(histogram, tuple(choices), None, why, current_bound, buckets.ignored)
    faster = [c for c in choices if float(c.bound) < float(chosen.bound)]
    why = (
        f"le={chosen.bound} ({bound_text(chosen.bound)}) is the fastest bucket whose history supports an "
        f"objective of at least {objective_text(LATENCY_FLOOR)}: {objective_text(chosen.objective or 0.0)} "
        f"of requests at or under it"
    )
    if faster:
        slowest_faster = faster[-1]
        held = slowest_faster.objective
        why += f"; le={slowest_faster.bound} held " + (
            f"only {objective_text(held)}" if held is not None else "no recommendable objective"
        )
    return LatencyAnalysis(histogram, tuple(choices), chosen.bound, why, current_bound, buckets.ignored)
