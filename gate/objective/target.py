"""What the recommender measures: one SLI, the window it is judged over, the tiers, where it came from.

In: a loaded policy's SLO, queries given on the command line (each checked with
`gate.policy.check_query`: templating and PromQL syntax), or a latency histogram (`--latency-histogram
NAME{matchers}`, or a policy SLI whose good query reads one `NAME_bucket{..., le="X"}` selector).
Out: a frozen `Target`, and for a histogram a `Histogram` whose PromQL is built here from a parsed
selector only: a metric name and label names that match Prometheus' own patterns, values quoted as
PromQL strings, and `le` values that are numbers. No text from a query answer ever reaches PromQL.
PURE: no file, clock or network (policies arrive loaded).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gate import promql_syntax
from gate.errors import UsageError
from gate.policy import SLI, CalendarWindow, LoadedPolicy, Tier, check_query, parse_duration
from gate.promql import render

__all__ = [
    "DEFAULT_TIERS",
    "DEFAULT_WINDOW",
    "Histogram",
    "Target",
    "bound_text",
    "bucket_histogram",
    "is_bucket_bound",
    "parse_histogram",
    "selectors_of",
    "target_from_policy",
    "target_from_queries",
]

DEFAULT_WINDOW = "30d"
DEFAULT_MODEL = "claude-haiku-4-5"
DEFAULT_TIERS: tuple[float, ...] = (50.0, 25.0)
# Calendar periods judged as rolling windows of their usual length (a 90-day history holds no quarter).
CALENDAR_ROLLING = {"month": "30d", "quarter": "91d"}

_METRIC = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A bucket bound as Prometheus writes it (`0.3`, `1e+06`, `+Inf`): the only `le` text that reaches PromQL.
_BOUND = re.compile(r"(?:[+-]?(?:\d{1,20}(?:\.\d{0,20})?|\.\d{1,20})(?:[eE][+-]?\d{1,3})?|\+Inf)")
_OPS = {"Equal": "=", "NotEqual": "!=", "Re": "=~", "NotRe": "!~"}

Matcher = tuple[str, str, str]  # (label, operator, value)


def is_bucket_bound(text: str) -> bool:
    """True when `text` is a histogram bucket bound (`0.25`, `1e+06`, `+Inf`), short and plain."""
    return len(text) <= 48 and _BOUND.fullmatch(text) is not None


def bound_text(bound: str) -> str:
    """A bucket bound in seconds as people say it: `500 ms`, `1 s`."""
    value = float(bound)
    return f"{value * 1000:g} ms" if value < 1 else f"{value:g} s"


def _quote(value: str) -> str:
    """A PromQL string literal: JSON's escapes are PromQL's (quote, backslash, control characters)."""
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Histogram:
    """A latency histogram: `metric` without `_bucket`, the selector's matchers without `le`."""

    metric: str
    matchers: tuple[Matcher, ...] = ()
    current_bound: str | None = None  # the `le` a policy's SLI uses today

    def __post_init__(self) -> None:
        if not _METRIC.fullmatch(self.metric):
            raise ValueError(f"{self.metric!r} is not a metric name")
        for label, op, _ in self.matchers:
            if not _LABEL.fullmatch(label) or label in ("le", "__name__") or op not in _OPS.values():
                raise ValueError(f"matcher {label}{op} cannot select a histogram")

    def selector(self, bound: str | None = None) -> str:
        """`NAME_bucket{matchers[, le="bound"]}`."""
        parts = [f"{label}{op}{_quote(value)}" for label, op, value in self.matchers]
        if bound is not None:
            if not is_bucket_bound(bound):
                raise ValueError(f"{bound!r} is not a bucket bound")
            parts.append(f"le={_quote(bound)}")
        return f"{self.metric}_bucket{{{','.join(parts)}}}"

    def shown(self) -> str:
        """The histogram as a user would write it: `NAME{matchers}`."""
        parts = [f"{label}{op}{_quote(value)}" for label, op, value in self.matchers]
        return f"{self.metric}{{{','.join(parts)}}}" if parts else self.metric

    def bucket_query(self, duration: str) -> str:
        """Events per bucket over each `duration`: one series per `le`."""
        return f"sum by (le) (increase({self.selector()}[{duration}]))"

    def sli(self, bound: str) -> SLI:
        """The SLI `good = requests at or under bound`, `total = every request` (the +Inf bucket)."""
        good = f"sum(rate({self.selector(bound)}[{{{{.window}}}}]))"
        total = f"sum(rate({self.selector('+Inf')}[{{{{.window}}}}]))"
        return SLI(good_query=good, total_query=total)


@dataclass(frozen=True)
class Target:
    """One SLI to judge. `sli` is None when a latency histogram alone defines it (the threshold is
    recommended first). `window` is the rolling window the history is judged over; `policy_window`
    what a policy block writes (a calendar period stays one)."""

    service: str
    slo: str
    description: str
    sli: SLI | None
    window: str
    policy_window: str | CalendarWindow
    current_objective: float | None
    tiers: tuple[float, ...]
    tier_allows: tuple[tuple[str, ...], ...]  # what each tier below `tiers[i]` still allows
    tenant: str | None
    source: str
    loaded: LoadedPolicy | None = None
    histogram: Histogram | None = None
    model: str = DEFAULT_MODEL
    window_note: str | None = None  # how a calendar period was judged

    @property
    def window_seconds(self) -> float:
        return parse_duration(self.window)


def _tiers(tiers: Sequence[Tier]) -> tuple[tuple[float, ...], tuple[tuple[str, ...], ...]]:
    """Each tier's `above` and what the tier after it allows (what a budget at or below `above` permits)."""
    aboves, allows = [], []
    for index, tier in enumerate(tiers):
        if tier.above is None:
            continue
        aboves.append(float(tier.above))
        following = tiers[index + 1] if index + 1 < len(tiers) else None
        allows.append(tuple(str(level) for level in following.allow) if following else ())
    return tuple(aboves), tuple(allows)


def _window(window: str | None, policy_window: str | CalendarWindow) -> tuple[str, str | None]:
    """The rolling window to judge over, and a note when a calendar period was approximated."""
    if window is not None:
        return window, None
    if isinstance(policy_window, str):
        return policy_window, None
    rolling = CALENDAR_ROLLING[policy_window.calendar]
    note = f"the calendar {policy_window.calendar} is judged as rolling {rolling} windows ending at UTC midnights"
    return rolling, note


def check_window(window: str, where: str = "--window") -> str:
    """A rolling window the history can be cut into: a duration of whole hours, at least one hour."""
    try:
        seconds = parse_duration(window)
    except ValueError as exc:
        raise UsageError(f"{where}: {exc}") from None
    if seconds < 3600 or seconds % 3600:
        raise UsageError(
            f"{where} {window}: the history is judged in whole hours: give a window of whole hours, at "
            "least 1h (e.g. 28d, 30d, 4w)"
        )
    return window


def target_from_policy(
    loaded: LoadedPolicy, slo_name: str | None, *, window: str | None, histogram: Histogram | None
) -> Target:
    """The target for one SLO of a policy (`slo_name`, or its only SLO)."""
    policy = loaded.policy
    names = [s.name for s in policy.slos]
    if slo_name is None:
        if len(policy.slos) > 1:
            raise UsageError(
                f"service {policy.service} has {len(names)} SLOs ({', '.join(names)}): choose one with --slo"
            )
        slo = policy.slos[0]
    else:
        found = [s for s in policy.slos if s.name == slo_name]
        if not found:
            raise UsageError(
                f"--slo {slo_name}: service {policy.service} has no such SLO ({', '.join(names)})"
            )
        slo = found[0]
    judged, note = _window(window, slo.window)
    aboves, allows = _tiers(policy.gate.tiers)
    if histogram is None:
        histogram = bucket_histogram(slo.sli)
    return Target(
        service=policy.service,
        slo=slo.name,
        description=slo.description,
        sli=slo.sli,
        window=check_window(
            judged, "--window" if window else f"{loaded.path}: slos[{names.index(slo.name)}].window"
        ),
        policy_window=slo.window if window is None else window,
        current_objective=slo.objective,
        tiers=aboves,
        tier_allows=allows,
        tenant=policy.prometheus.tenant,
        source=f"policy {loaded.path}",
        loaded=loaded,
        histogram=histogram,
        model=policy.gate.risk.llm.model,
        window_note=note,
    )


def target_from_queries(
    service: str,
    slo_name: str | None,
    *,
    error_query: str | None,
    good_query: str | None,
    total_query: str | None,
    window: str | None,
    histogram: Histogram | None,
) -> Target:
    """The target for queries given on the command line (or a histogram alone)."""
    sli = None
    if error_query is not None or good_query is not None or total_query is not None:
        if total_query is None or (error_query is None) == (good_query is None):
            raise UsageError("give --sli-total with exactly one of --sli-error or --sli-good")
        checked = {}
        for option, text in (
            ("--sli-error", error_query),
            ("--sli-good", good_query),
            ("--sli-total", total_query),
        ):
            if text is not None:
                try:
                    checked[option] = check_query(text)
                except ValueError as exc:
                    raise UsageError(f"{option}: {exc}") from None
        sli = SLI(
            error_query=checked.get("--sli-error"),
            good_query=checked.get("--sli-good"),
            total_query=checked["--sli-total"],
        )
    elif histogram is None:
        raise UsageError(
            "nothing to measure: give --service with a policy, --sli-error/--sli-good with --sli-total, "
            "or --latency-histogram"
        )
    judged = check_window(window or DEFAULT_WINDOW)
    if sli is not None and histogram is None:
        histogram = bucket_histogram(sli)
    return Target(
        service=service,
        slo=slo_name or ("latency" if sli is None else "availability"),
        description="",
        sli=sli,
        window=judged,
        policy_window=judged,
        current_objective=None,
        tiers=DEFAULT_TIERS,
        tier_allows=(("low",), ()),
        tenant=None,
        source="command line",
        histogram=histogram,
    )


# ---- histograms -----------------------------------------------------------------------------------


def _parse(text: str) -> Any:
    """The promql-parser AST of `text`, after the bounded syntax check (None when it does not parse)."""
    if promql_syntax.check(text) is not None:
        return None
    import promql_parser

    try:
        return promql_parser.parse(text)
    except (ValueError, RuntimeError):
        return None


def _matchers(selector: Any) -> list[Matcher] | None:
    if getattr(selector.matchers, "or_matchers", None):
        return None
    found = []
    for matcher in selector.matchers.matchers:
        op = _OPS.get(str(matcher.op).rpartition(".")[2])
        if op is None:
            return None
        found.append((str(matcher.name), op, str(matcher.value)))
    return found


def parse_histogram(text: str) -> Histogram:
    """`--latency-histogram NAME` or `NAME{label="value",...}` (with or without `_bucket`)."""
    option = "--latency-histogram"
    node = _parse(text.strip())
    if node is None or type(node).__name__ != "VectorSelector":
        raise UsageError(
            f'{option}: give a metric name with optional matchers, e.g. http_request_duration_seconds{{job="api"}}'
        )
    if node.offset is not None or node.at is not None or not node.name:
        raise UsageError(f"{option}: a plain selector without offset or @, starting with the metric name")
    matchers = _matchers(node)
    if matchers is None:
        raise UsageError(f"{option}: only =, !=, =~ and !~ matchers (no `or`) are supported")
    if any(label in ("le", "__name__") for label, _, _ in matchers):
        raise UsageError(f"{option}: leave out `le` (slo-gate measures every bucket) and `__name__`")
    name = str(node.name)
    metric = name.removesuffix("_bucket")
    try:
        return Histogram(metric, tuple(matchers))
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def _selectors(node: Any) -> list[Any]:
    """Every vector selector in an AST, in order (a bounded tree: queries are capped at MAX_TOKENS)."""
    found: list[Any] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if item is None:
            continue
        kind = type(item).__name__
        if kind == "VectorSelector":
            found.append(item)
            continue
        children = list(getattr(item, "args", None) or [])
        for attribute in ("expr", "lhs", "rhs", "param", "vector_selector"):
            child = getattr(item, attribute, None)
            if child is not None and not isinstance(child, int | float | str):
                children.append(child)
        stack.extend(reversed(children))  # popped in the order they appear
    return found


def bucket_histogram(sli: SLI) -> Histogram | None:
    """The histogram a bucket-based SLI reads: its good query holds exactly one `NAME_bucket` selector
    with `le="X"`; None for any other SLI."""
    if sli.good_query is None:
        return None
    node = _parse(render(sli.good_query, "5m"))
    selectors = [s for s in _selectors(node) if s.name and str(s.name).endswith("_bucket")] if node else []
    if len(selectors) != 1:
        return None
    matchers = _matchers(selectors[0])
    if matchers is None:
        return None
    bounds = [value for label, op, value in matchers if label == "le" and op == "="]
    rest = [m for m in matchers if m[0] != "le"]
    if len(bounds) != 1 or len(rest) != len(matchers) - 1 or not is_bucket_bound(bounds[0]):
        return None
    try:
        return Histogram(str(selectors[0].name).removesuffix("_bucket"), tuple(rest), current_bound=bounds[0])
    except ValueError:
        return None


def selectors_of(query: str) -> list[tuple[str, tuple[Matcher, ...]]]:
    """The series a query reads, as (metric name, matchers), in order; empty when it cannot be parsed."""
    node = _parse(render(query, "5m"))
    found = []
    for selector in _selectors(node) if node is not None else []:
        matchers = _matchers(selector)
        if matchers is not None:
            found.append((str(selector.name or ""), tuple(matchers)))
    return found
