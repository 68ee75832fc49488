"""PromQL text built from the policy only: window templating and batching every window into one query.

Nothing from a PR, a label or a diff ever reaches this module; the only inputs are policy queries
(reviewed on the base branch) and window names that match a strict duration pattern.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from gate.errors import DataError
from gate.models import Sample, WindowCounts
from gate.policy import SLI
from gate.promql_text import WINDOW_TEMPLATE

PART_LABEL = "slo_gate_part"
_SAFE_WINDOW = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class WindowSpec:
    """A window to measure: `name` is how results refer to it, `duration` the PromQL range."""

    name: str
    duration: str
    seconds: float


def render(template: str, duration: str) -> str:
    return WINDOW_TEMPLATE.sub(duration, template)


def seconds_duration(seconds: float) -> str:
    """A PromQL range for an arbitrary span (calendar windows): whole seconds, at least 1s."""
    return f"{max(1, math.floor(seconds))}s"


def _bad_part(sli: SLI) -> tuple[str, str]:
    if sli.error_query is not None:
        return "bad", sli.error_query
    assert sli.good_query is not None  # guaranteed by the SLI validator
    return "good", sli.good_query


def _labelled(expr: str, part: str, window: str) -> str:
    # sum() collapses whatever the query returns to one series, so `or` cannot drop or merge parts.
    return f'label_replace(sum({expr}), "{PART_LABEL}", "{part}:{window}", "", "")'


def batch_query(sli: SLI, windows: Sequence[WindowSpec]) -> str:
    """One instant query returning bad (or good) and total for every window, each tagged by a label."""
    bad_kind, bad_template = _bad_part(sli)
    parts: list[str] = []
    for window in windows:
        if not _SAFE_WINDOW.fullmatch(window.name):
            raise ValueError(f"window name {window.name!r} is not a safe label value")
        parts.append(_labelled(render(bad_template, window.duration), bad_kind, window.name))
        parts.append(_labelled(render(sli.total_query, window.duration), "total", window.name))
    return " or ".join(parts)


def uses_increase(total_query: str) -> bool:
    """True when the total query already counts events (increase) rather than a per-second rate."""
    return "increase(" in total_query and "rate(" not in total_query


def parse_batch(
    samples: Sequence[Sample], sli: SLI, windows: Sequence[WindowSpec]
) -> dict[str, WindowCounts]:
    """Split a batched answer back into bad/total per window.

    An error query with no series while the total query has traffic is zero errors; a good query
    with no series while total has traffic is a broken SLI (every request would count as bad).
    """
    bad_kind, _ = _bad_part(sli)
    values: dict[str, float] = {}
    for sample in samples:
        part = sample.labels.get(PART_LABEL)
        if part is None:
            raise DataError(f"a series came back without the {PART_LABEL} label: {sample.labels}")
        if part in values:
            raise DataError(f"two series came back for {part}")
        values[part] = sample.value
    counts: dict[str, WindowCounts] = {}
    for window in windows:
        total = values.get(f"total:{window.name}")
        raw_bad = values.get(f"{bad_kind}:{window.name}")
        counts[window.name] = WindowCounts(
            window=window.name,
            seconds=window.seconds,
            bad=_bad_events(bad_kind, raw_bad, total, window.name),
            total=total,
        )
    return counts


def _bad_events(kind: str, value: float | None, total: float | None, window: str) -> float | None:
    if total is None:
        return None
    if kind == "bad":
        bad = 0.0 if value is None else value
    else:
        if value is None:
            if total > 0:
                raise DataError(f"good_query returned no series over {window} while total_query has traffic")
            return 0.0
        bad = total - value
    # Scrapes of good and total are not atomic; a sliver below zero is noise, a large excess is a broken SLI.
    if bad < 0:
        bad = 0.0
    if total > 0 and bad > total * 1.01:
        raise DataError(f"bad events exceed total events over {window} ({bad:.6g} > {total:.6g})")
    return min(bad, total)
