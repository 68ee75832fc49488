"""PURE: what to ask Prometheus for one SLO at one time, and what the answer says: raw or recorded.

In: an SLO, its windows (the SLO window, then the burn windows) and its maintenance windows already
placed in time (gate/adjust.py). Out: a `Plan` (one batched query) and, from its answer, the counts of
every window with the excluded events taken out, and the events of each excluded window.

- Raw: the policy's own queries over every window (gate/promql.py), plus, for each excluded span, the
  same queries over that span, pinned to its end with `@`.
- Recorded: the series `slo-gate rules` records (gate/recording.py): the burn-window ratios, the SLO
  window's ratio, event rate and coverage, and the info series naming the definition they record,
  read by a few selectors that serve every SLO of a policy at once (`recorded_selectors`; each series
  is tagged `<slo>/<part>`, and so is every raw part of a recorded plan). A window that overlaps a maintenance window, and a calendar SLO window (which no rule records), are
  read raw in the same query. The answer is refused with the reason (`Fallback`, and the caller reads
  raw instead) when the info series is absent or names another definition, a series is missing, the
  newest recording is older than 2.5 evaluation intervals, or the recordings cover less than
  `recording.MIN_COVERAGE` of the SLO window. A recorded ratio is NaN where its window had no traffic:
  the query reads such a ratio as -1 (its series' timestamp exists), which means no burn rate.

`group_samples` splits such an answer per SLO (`promql.Piece.group`).

No I/O: measure.py sends the plans and hands the answers back here.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from gate import adjust, promql
from gate import recording as rec
from gate.budget import SLO_WINDOW
from gate.errors import DataError
from gate.models import Sample, WindowCounts
from gate.policy import SLO

__all__ = [
    "Fallback",
    "Plan",
    "Reading",
    "exclusion_spans",
    "group_samples",
    "raw_plan",
    "read",
    "recorded_plan",
    "recorded_selectors",
    "span_counts",
    "span_plan",
]

STALE_INTERVALS = 2.5  # the newest recording may be this many evaluation intervals old
_RATIO_SLACK = 0.01  # a recorded ratio this far outside [0, 1] is garbage, not rounding


class Fallback(Exception):
    """The recorded series cannot stand in for the raw queries; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Spans:
    """Where maintenance windows fall: merged over the SLO window, and clipped to each measured window."""

    merged: tuple[adjust.Excluded, ...] = ()
    by_window: Mapping[str, tuple[adjust.Excluded, ...]] = field(default_factory=dict)

    def pieces(self) -> list[tuple[float, float]]:
        """Every distinct span whose events must be read, oldest first."""
        found = {(e.start, e.end) for spans in self.by_window.values() for e in spans}
        return sorted(found)


def exclusion_spans(slo: SLO, windows: Sequence[promql.WindowSpec], at: float) -> Spans:
    """The SLO's maintenance windows placed in each of `windows` (each ends at `at`). ValueError when a
    rule passes a bound (gate/adjust.py)."""
    context = slo.context
    if context is None or not context.adjustments:
        return Spans()
    earliest = at - max(w.seconds for w in windows)
    merged = adjust.merged_windows(context.adjustments, earliest, at)
    by_window = {w.name: tuple(adjust.overlaps(merged, at - w.seconds, at)) for w in windows}
    slo_window = next((w for w in windows if w.name == SLO_WINDOW), windows[0])
    return Spans(tuple(adjust.overlaps(merged, at - slo_window.seconds, at)), by_window)


def _span_windows(spans: Spans, at: float) -> dict[tuple[float, float], promql.WindowSpec]:
    windows = {}
    for index, (start, end) in enumerate(spans.pieces()):
        pin = None if end >= at else end
        windows[(start, end)] = promql.WindowSpec(
            f"x{index}", promql.millis_duration(end - start), end - start, at=pin
        )
    return windows


@dataclass(frozen=True)
class Plan:
    """One batched query for one SLO, and how to read its answer."""

    mode: Literal["raw", "recorded"]
    batch: promql.Batch
    windows: tuple[promql.WindowSpec, ...]  # the SLO window, then the burn windows
    spans: Spans
    span_windows: Mapping[tuple[float, float], promql.WindowSpec]
    raw_windows: tuple[str, ...]  # windows read from the policy's queries (all of them in raw mode)
    service: str = ""
    pieces: tuple[promql.Piece, ...] = ()  # what `batch` joins (to join several SLOs' into one query)
    slo: SLO | None = None


def raw_plan(slo: SLO, windows: Sequence[promql.WindowSpec], spans: Spans, at: float) -> Plan:
    span_windows = _span_windows(spans, at)
    batch = promql.join(promql.sli_pieces(slo.sli, [*windows, *span_windows.values()]))
    names = tuple(w.name for w in windows)
    return Plan("raw", batch, tuple(windows), spans, span_windows, names)


def recorded_plan(
    slo: SLO,
    service: str,
    windows: Sequence[promql.WindowSpec],
    spans: Spans,
    at: float,
    *,
    selectors: bool = True,
) -> Plan:
    """The recorded series of `slo` (`service`'s), with what no rule records read raw in the same query.
    Every part is tagged with the SLO's name (`<slo>/<part>`). `selectors=False` leaves out the recorded
    selectors, for a query that reads several SLOs of the service (`recorded_selectors`)."""
    span_windows = _span_windows(spans, at)
    rolling = isinstance(slo.window, str)
    raw = [w for w in windows if spans.by_window.get(w.name) and w.name != SLO_WINDOW]
    if not rolling:
        raw.insert(0, windows[0])
    pieces = promql.sli_pieces(slo.sli, [*raw, *span_windows.values()])
    pieces = [dataclasses.replace(piece, group=slo.name) for piece in pieces]
    raw_names = {w.name for w in raw}
    if selectors:
        pieces += recorded_selectors(service, [(slo, tuple(windows), tuple(raw_names))])
    batch = promql.join(pieces)
    return Plan(
        "recorded", batch, tuple(windows), spans, span_windows, tuple(raw_names), service, tuple(pieces), slo
    )


ReadWindows = tuple[SLO, Sequence[promql.WindowSpec], Sequence[str]]  # an SLO, its windows, those read raw


def recorded_selectors(service: str, slos: Sequence[ReadWindows]) -> list[promql.Piece]:
    """Four or five selectors reading the recorded series of every SLO in `slos` (all of `service`),
    each series tagged `<slo>/<part>` from its own labels: the error ratios of the recorded windows
    (`ratio:<window>`; -1 for a NaN one, whose timestamp still exists), the rolling SLO windows' event
    rate and coverage (`rtotal:<window>`, `rcoverage:<window>`), the info series
    (`info:<fingerprint>`) and the age of the newest 5m recording (`age:meta`). One SLO is selected by
    its name; several by a regex of their names (`recording.selectors`)."""
    labels = rec.selectors(service, [slo.name for slo, _, _ in slos])
    inner = labels[1:-1]
    ratio_windows = dict.fromkeys(
        _series_window(slo, w) for slo, windows, raw in slos for w in windows if w.name not in raw
    )
    totals = dict.fromkeys(
        slo.window for slo, _, raw in slos if isinstance(slo.window, str) and SLO_WINDOW not in raw
    )
    group = rec.SLO_LABEL
    ratios = f'{{__name__=~"slo:sli_error:ratio_rate({"|".join(ratio_windows)})",{inner}}}'
    short = f'{rec.TOTAL_RATE}{{{inner},{rec.WINDOW_LABEL}="{rec.SHORT_WINDOW}"}}'
    texts = [
        promql.tagged(
            f"({ratios} > -Inf) or (timestamp({ratios}) * 0 - 1)", "ratio:$1", rec.WINDOW_LABEL, "(.+)", group
        ),
        promql.tagged(f"{rec.INFO}{labels}", "info:$1", rec.SLI_LABEL, "(.+)", group),
        promql.tagged(f"time() - timestamp({short})", "age:meta", "", "", group),
    ]
    if totals:
        names = "|".join(f"{rec.total_rate_name(w)}|{rec.coverage_name(w)}" for w in totals)
        series = f'{{__name__=~"{names}",{inner}}}'
        texts.append(
            promql.tagged(series, "r$1:$2", "__name__", "slo:sli_(total|coverage):(?:rate|ratio)(.+)", group)
        )
    meta = promql.WindowSpec("meta", "0s", 0.0)
    return [promql.expression("recorded", meta, text, labelled=True) for text in texts]


def _series_window(slo: SLO, window: promql.WindowSpec) -> str:
    """The window a recorded series of `window` is labelled with (the SLO window by its duration)."""
    if window.name == SLO_WINDOW and isinstance(slo.window, str):
        return slo.window
    return window.name


SpanEvents = dict[tuple[float, float], tuple[float, float]]  # (start, end) -> (bad, total) events


@dataclass(frozen=True)
class Reading:
    """Counts of every window (excluded events taken out), the SLO window's counts before that, and
    the events of each excluded span."""

    counts: dict[str, WindowCounts]
    before: WindowCounts | None
    span_events: SpanEvents


def _values(samples: Sequence[Sample]) -> dict[str, float]:
    values: dict[str, float] = {}
    for sample in samples:
        part = sample.labels.get(promql.PART_LABEL)
        if part is None:
            raise DataError(f"a series came back without the {promql.PART_LABEL} label")
        if part in values:
            raise DataError(f"two series came back for {part}")
        values[part] = sample.value
    return values


def _check_recorded(slo: SLO, plan: Plan, values: Mapping[str, float]) -> None:
    """Fallback when the recordings cannot stand in for the queries (see the module)."""
    where = f"{rec.SERVICE_LABEL}={plan.service!r}, {rec.SLO_LABEL}={slo.name!r}"
    interval = values.get(f"info:{rec.fingerprint(slo)}")
    if interval is None:
        if any(key.startswith("info:") for key in values):
            raise Fallback(
                f"the recorded series of {where} were generated from another definition of this SLO "
                "(its queries or window changed since `slo-gate rules` ran): regenerate the rules"
            )
        raise Fallback(f"no recorded series for {where}: load the rules `slo-gate rules` writes")
    absent = [
        rec.ratio_name(_series_window(slo, w))
        for w in plan.windows
        if w.name not in plan.raw_windows and values.get(f"ratio:{_series_window(slo, w)}") is None
    ]
    if absent:
        names = list(dict.fromkeys(absent))
        raise Fallback(f"{len(names)} recorded error ratios of {where} are absent: {', '.join(names)}")
    age = values.get("age:meta")
    if age is None:
        raise Fallback(f"{rec.TOTAL_RATE} of {where} is absent")
    if interval > 0 and age > STALE_INTERVALS * interval:
        raise Fallback(
            f"the recorded series of {where} are stale: the newest is {age:.0f}s old "
            f"(the rules run every {interval:.0f}s)"
        )
    if isinstance(slo.window, str) and SLO_WINDOW not in plan.raw_windows:
        coverage = values.get(f"rcoverage:{slo.window}")
        if coverage is None:
            raise Fallback(f"{rec.coverage_name(slo.window)} of {where} is absent")
        if coverage < rec.MIN_COVERAGE:
            raise Fallback(
                f"the recordings cover {coverage:.1%} of the {slo.window} window of {where} "
                f"(the rules ran for less than the window, or had gaps; at least {rec.MIN_COVERAGE:.0%} "
                "is needed)"
            )


def _recorded_counts(
    slo: SLO, window: promql.WindowSpec, values: Mapping[str, float], per_second: bool
) -> WindowCounts:
    ratio = values.get(f"ratio:{_series_window(slo, window)}")
    if ratio == -1:  # the series exists but is NaN: no traffic over the window
        ratio = None
    if window.name != SLO_WINDOW:
        if ratio is None:
            return WindowCounts(window=window.name, seconds=window.seconds, bad=0.0, total=0.0)
        return WindowCounts(
            window=window.name, seconds=window.seconds, bad=_clamped(ratio, window), total=1.0
        )
    rate = values.get(f"rtotal:{_series_window(slo, window)}")
    if rate is None:
        raise Fallback(f"{rec.total_rate_name(window.duration)} is absent")
    if not math.isfinite(rate) or rate < 0:
        raise DataError(f"the recorded event rate over the SLO window is {rate}, not a number of events")
    total = rate if per_second else rate * window.seconds
    if ratio is None:
        return WindowCounts(window=window.name, seconds=window.seconds, bad=0.0, total=total)
    exact = _clamped(ratio, window)
    return WindowCounts(
        window=window.name, seconds=window.seconds, bad=exact * total, total=total, ratio=exact
    )


def _clamped(ratio: float, window: promql.WindowSpec) -> float:
    if not -_RATIO_SLACK <= ratio <= 1 + _RATIO_SLACK:
        raise DataError(f"the recorded error ratio over {window.duration} is {ratio:.6g}, not a ratio")
    return min(max(ratio, 0.0), 1.0)


def read(
    slo: SLO,
    plan: Plan,
    samples: Sequence[Sample],
    span_events: SpanEvents | None = None,
    *,
    grouped: bool = False,
) -> Reading:
    """The plan's answer as counts with excluded events taken out. DataError for garbage (the SLO is
    inconclusive); Fallback when recorded series cannot stand in (read raw instead).

    `span_events`: the events of the excluded spans when they were read apart (a range of points);
    otherwise they are in the plan's own answer. `grouped`: the samples are this SLO's share of a
    recorded answer already (`group_samples`).
    """
    if plan.mode == "recorded" and not grouped:  # parts are tagged `<slo>/`; other SLOs' may be there
        samples = group_samples(samples).get(slo.name, [])
    values = _values(samples)
    per_second = not promql.uses_increase(slo.sli.total_query)
    raw_windows = [w for w in plan.windows if w.name in plan.raw_windows]
    pinned = list(plan.span_windows.values()) if span_events is None else []
    counts = promql.parse_batch(samples, slo.sli, [*raw_windows, *pinned])
    events: SpanEvents = dict(span_events or {})
    for key, window in plan.span_windows.items():
        if span_events is None:
            found = counts.pop(window.name)
            scale = window.seconds if per_second else 1.0
            events[key] = ((found.bad or 0.0) * scale, (found.total or 0.0) * scale)
    if plan.mode == "recorded":
        _check_recorded(slo, plan, values)
        for window in plan.windows:
            if window.name not in plan.raw_windows:
                counts[window.name] = _recorded_counts(slo, window, values, per_second)
    before = counts.get(SLO_WINDOW)
    for window in plan.windows:
        spans = plan.spans.by_window.get(window.name, ())
        if spans and counts[window.name].total is not None:
            removed = [events[(s.start, s.end)] for s in spans]
            counts[window.name] = adjust.exclude(counts[window.name], removed, per_second)
    return Reading(counts, before, events)


def group_samples(samples: Sequence[Sample]) -> dict[str, list[Sample]]:
    """The answer to several plans joined with `group`s, per group, labelled as each plan's own answer."""
    out: dict[str, list[Sample]] = {}
    for sample in samples:
        group, slash, part = sample.labels.get(promql.PART_LABEL, "").partition("/")
        if not slash:
            raise DataError(f"a series came back without a group in its {promql.PART_LABEL} label")
        labels = {**sample.labels, promql.PART_LABEL: part}
        # Sample(), not model_construct: pydantic-core's validation is faster than its Python loop
        out.setdefault(group, []).append(Sample(labels=labels, value=sample.value))
    return out


def span_plan(
    slo: SLO, spans: Sequence[tuple[float, float]]
) -> tuple[promql.Batch, dict[str, tuple[float, float]]]:
    """One query for the events of `spans`, each pinned to its end (any evaluation time gives the same
    answer), and which part is which span."""
    windows = {
        f"x{i}": promql.WindowSpec(f"x{i}", promql.millis_duration(b - a), b - a, at=b)
        for i, (a, b) in enumerate(spans)
    }
    keys = {name: spans[i] for i, name in enumerate(windows)}
    return promql.join(promql.sli_pieces(slo.sli, list(windows.values()))), keys


def span_counts(slo: SLO, samples: Sequence[Sample], keys: Mapping[str, tuple[float, float]]) -> SpanEvents:
    """The events of each span from the answer to `span_plan`."""
    per_second = not promql.uses_increase(slo.sli.total_query)
    specs = [
        promql.WindowSpec(name, promql.millis_duration(b - a), b - a, at=b) for name, (a, b) in keys.items()
    ]
    counts = promql.parse_batch(samples, slo.sli, specs)
    out: SpanEvents = {}
    for spec in specs:
        found = counts[spec.name]
        scale = spec.seconds if per_second else 1.0
        out[keys[spec.name]] = ((found.bad or 0.0) * scale, (found.total or 0.0) * scale)
    return out
