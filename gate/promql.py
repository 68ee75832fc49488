"""PromQL text built from the policy only: window templating and batching every window into one query.

Nothing from a PR, a label or a diff ever reaches this module; the only inputs are policy queries
(reviewed on the base branch) and window names that match a strict duration pattern.

A `Batch` remembers where each part's query sits in the batched text, so an error Prometheus reports
at a position in the batch (`bad_data: 1:57: parse error: ...`) is mapped back by `locate_error` to
the query it is in (error/good/total), the window it was rendered for and the line and column in the
policy's own text. The server's message is read, never trusted: a bounded pattern, and a position
that lands nowhere useful leaves the message as it was.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gate.errors import DataError
from gate.models import Sample, WindowCounts
from gate.policy import SLI
from gate.promql_text import Rendered, position
from gate.promql_text import render as render_mapped

PART_LABEL = "slo_gate_part"
_SAFE_WINDOW = re.compile(r"[a-z0-9]+")
_LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SAFE_GROUP = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")  # an SLO name
QUERY_FIELDS = {"bad": "error_query", "good": "good_query", "total": "total_query"}
# Prometheus' parse error position: `LINE:COL: parse error: MSG` (2.x, 3.x, Thanos, Mimir) or the
# older `parse error at char N: MSG`. Bounded digit runs keep the search linear on any message.
_POSITION = re.compile(r"(?<![\d:])(\d{1,9}):(\d{1,9}): parse error: |parse error at char (\d{1,9}): ")


@dataclass(frozen=True)
class WindowSpec:
    """A window to measure: `name` is how results refer to it, `duration` the PromQL range.

    `at`: the window ends at this fixed time instead of the query's evaluation time (a maintenance
    window in the past: the query is wrapped in a one-step subquery pinned with `@`).
    """

    name: str
    duration: str
    seconds: float
    at: float | None = None


def render(template: str, duration: str) -> str:
    return render_mapped(template, duration).text


def seconds_duration(seconds: float) -> str:
    """A PromQL range for an arbitrary span (calendar windows): whole seconds, at least 1s."""
    return f"{max(1, math.floor(seconds))}s"


def millis_duration(seconds: float) -> str:
    """A PromQL range for a span to the millisecond (Prometheus' precision), at least 1ms."""
    return f"{max(1, round(seconds * 1000))}ms"


def timestamp(at: float) -> str:
    """A time as PromQL reads it after `@`: unix seconds, to the millisecond."""
    return f"{at:.3f}".rstrip("0").rstrip(".")


def _bad_part(sli: SLI) -> tuple[str, str]:
    if sli.error_query is not None:
        return "bad", sli.error_query
    assert sli.good_query is not None  # guaranteed by the SLI validator
    return "good", sli.good_query


@dataclass(frozen=True)
class BatchPart:
    """One query of one window inside a batch: `start`/`end` span its whole part, `query_*` the query."""

    kind: str  # bad | good | total
    window: WindowSpec
    start: int
    query_start: int
    query_end: int
    rendered: Rendered

    @property
    def field(self) -> str:
        return QUERY_FIELDS.get(self.kind, "recorded series")


@dataclass(frozen=True)
class Batch:
    """The batched query text and where each part of it came from."""

    text: str
    parts: tuple[BatchPart, ...]


_JOIN = " or "
# sum() collapses whatever the query returns to one series, so `or` cannot drop or merge parts.
_WRAP_HEAD = "label_replace(sum("


@dataclass(frozen=True)
class Piece:
    """One part of a batch before joining: its kind and window (the part's label is `kind:window`),
    the query text (`rendered`, mapped to the policy's template when it came from one) and what
    wraps it inside the `sum(...)`."""

    kind: str
    window: WindowSpec
    rendered: Rendered
    head: str = ""
    tail: str = ""
    group: str = ""  # several SLOs in one query: the part's label is `group/kind:window`
    # The text sets `slo_gate_part` itself, on each series it returns (several parts from one selector),
    # with GROUP_MARK where the group's `group/` goes; it is not wrapped in sum() or label_replace.
    labelled: bool = False


GROUP_MARK = "<group>"


def join(pieces: Sequence[Piece]) -> Batch:
    """One instant query of every piece, each collapsed by `sum()` and tagged `slo_gate_part=kind:window`."""
    texts: list[str] = []
    parts: list[BatchPart] = []
    length = 0
    for piece in pieces:
        names_ok = _SAFE_WINDOW.fullmatch(piece.window.name) and _SAFE_WINDOW.fullmatch(piece.kind)
        if not names_ok or (piece.group and not _SAFE_GROUP.fullmatch(piece.group)):
            raise ValueError(f"part {piece.group}/{piece.kind}:{piece.window.name} is not a safe label value")
        if texts:
            texts.append(_JOIN)
            length += len(_JOIN)
        if piece.labelled:
            text = piece.rendered.text.replace(GROUP_MARK, f"{piece.group}/" if piece.group else "")
            parts.append(
                BatchPart(piece.kind, piece.window, length, length, length + len(text), piece.rendered)
            )
            texts.append(text)
            length += len(text)
            continue
        head = _WRAP_HEAD + piece.head
        label = (
            f"{piece.group}/{piece.kind}:{piece.window.name}"
            if piece.group
            else f"{piece.kind}:{piece.window.name}"
        )
        tail = f'{piece.tail}), "{PART_LABEL}", "{label}", "", "")'
        query_start = length + len(head)
        query_end = query_start + len(piece.rendered.text)
        parts.append(BatchPart(piece.kind, piece.window, length, query_start, query_end, piece.rendered))
        texts += [head, piece.rendered.text, tail]
        length = query_end + len(tail)
    return Batch(text="".join(texts), parts=tuple(parts))


def sli_pieces(sli: SLI, windows: Sequence[WindowSpec], kinds: Sequence[str] | None = None) -> list[Piece]:
    """The bad (or good) and total pieces of every window; a window with `at` is pinned to that time."""
    bad_kind, bad_template = _bad_part(sli)
    pieces: list[Piece] = []
    for window in windows:
        head, tail = "", ""
        if window.at is not None:  # the value at `at`: a one-step subquery ending there
            head, tail = "last_over_time((", f")[1s:1s] @ {timestamp(window.at)})"
        for kind, template in ((bad_kind, bad_template), ("total", sli.total_query)):
            if kinds is None or kind in kinds:
                pieces.append(Piece(kind, window, render_mapped(template, window.duration), head, tail))
    return pieces


def expression(kind: str, window: WindowSpec, text: str, *, labelled: bool = False) -> Piece:
    """A piece that is not a policy query (a recorded series): errors in it are not the policy's.
    `labelled`: the text tags its series' parts itself (see Piece.labelled)."""
    return Piece(kind, window, Rendered(template=text, text=text, substitutions=()), labelled=labelled)


def tagged(selector: str, part: str, source_label: str, regex: str, group_label: str = "") -> str:
    """`selector`'s series, each tagged `slo_gate_part=<part>` where `$1`/`$2` in `part` are what `regex`
    captures of the series' `source_label` (label_replace). With `group_label`, the part is prefixed
    with that label's value and a `/` (label_join): one selector serves several SLOs of a query."""
    if not group_label:
        return f'label_replace({selector}, "{PART_LABEL}", "{GROUP_MARK}{part}", "{source_label}", "{regex}")'
    scratch = f"{PART_LABEL}_kind"
    replaced = f'label_replace({selector}, "{scratch}", "{part}", "{source_label}", "{regex}")'
    return f'label_join({replaced}, "{PART_LABEL}", "/", "{group_label}", "{scratch}")'


def batch(sli: SLI, windows: Sequence[WindowSpec], kinds: Sequence[str] | None = None) -> Batch:
    """One instant query returning bad (or good) and total for every window, each tagged by a label.

    `kinds` keeps only some parts (e.g. `("total",)`): used to send one query on its own.
    """
    return join(sli_pieces(sli, windows, kinds))


def batch_query(sli: SLI, windows: Sequence[WindowSpec]) -> str:
    """The text of `batch(sli, windows)`."""
    return batch(sli, windows).text


@dataclass(frozen=True)
class QueryFault:
    """A parse error Prometheus reported, placed in one query of the policy."""

    field: str  # error_query | good_query | total_query
    window: WindowSpec
    where: str | None  # `column C` / `line L, column C` in the query's own text; None: in slo-gate's wrapper
    message: str  # Prometheus' words after `parse error:`

    def describe(self) -> str:
        """`error_query over 1h: Prometheus rejected it: parse error at column 5: ...`."""
        over = (
            self.window.duration
            if self.window.name == self.window.duration
            else (f"the SLO window ({self.window.duration})")
        )
        if self.where is None:
            detail = f"{self.message} (in the sum(...) slo-gate puts around the query)"
        else:
            detail = f"parse error at {self.where}: {self.message}"
        return f"{self.field} over {over}: Prometheus rejected it: {detail}"


def _byte_offset(text: str, line: int, column: int) -> int | None:
    """The character offset of Prometheus' 1-based line and byte column in `text`."""
    data = text.encode("utf-8")
    start = 0
    for _ in range(line - 1):
        start = data.find(b"\n", start) + 1
        if start == 0:
            return None
    offset = start + column - 1
    if not start <= offset <= len(data):
        return None
    return len(data[:offset].decode("utf-8", "ignore"))


def locate_error(batch: Batch, message: str) -> QueryFault | None:
    """The query part a Prometheus parse error points into, or None when it names no position."""
    found = _POSITION.search(message)
    if found is None or not batch.parts:
        return None
    if found.group(3) is not None:
        offset = _byte_offset(batch.text, 1, int(found.group(3)))
    else:
        offset = _byte_offset(batch.text, int(found.group(1)), int(found.group(2)))
    if offset is None:
        return None
    part = next((p for p in reversed(batch.parts) if p.start <= offset), batch.parts[0])
    detail = message[found.end() :].strip()
    if not part.query_start <= offset <= part.query_end:
        return QueryFault(part.field, part.window, None, detail)
    in_template = part.rendered.template_offset(offset - part.query_start)
    return QueryFault(part.field, part.window, position(part.rendered.template, in_template), detail)


_COUNTING = ("increase(", "count_over_time(", "sum_over_time(")


def uses_increase(total_query: str) -> bool:
    """True when the total query already counts events (increase, or count_over_time / sum_over_time of
    a 0/1 series) rather than a per-second rate."""
    return any(f in total_query for f in _COUNTING) and "rate(" not in total_query


def parse_batch(
    samples: Sequence[Sample], sli: SLI, windows: Sequence[WindowSpec]
) -> dict[str, WindowCounts]:
    """Split a batched answer back into bad/total per window.

    An error query with no series while the total query has traffic is zero errors; a good query
    with no series while total has traffic is a broken SLI (every request would count as bad).
    Garbage is never a figure: a non-finite part, a count below zero, good above total or errors
    without any events (each beyond `SKEW_SHARE`/one event of scrape skew) is a DataError naming
    the window and the numbers, so the SLO is inconclusive rather than 100 % healthy.
    """
    bad_kind, _ = _bad_part(sli)
    per_second = not uses_increase(sli.total_query)
    values: dict[str, float] = {}
    for sample in samples:
        part = sample.labels.get(PART_LABEL)
        if part is None:
            raise DataError(f"a series came back without the {PART_LABEL} label: {sample.labels}")
        if part in values:
            raise DataError(f"two series came back for {part}")
        if not math.isfinite(sample.value):
            raise DataError(f"{part} is {sample.value}, not a number of events")
        values[part] = sample.value
    counts: dict[str, WindowCounts] = {}
    for window in windows:
        one_event = 1.0 / window.seconds if per_second and window.seconds > 0 else 1.0
        total = _total_events(values.get(f"total:{window.name}"), window, one_event)
        raw_bad = values.get(f"{bad_kind}:{window.name}")
        counts[window.name] = WindowCounts(
            window=window.name,
            seconds=window.seconds,
            bad=_bad_events(bad_kind, raw_bad, total, window, one_event),
            total=total,
        )
    return counts


def _bad_events(
    kind: str, value: float | None, total: float | None, window: WindowSpec, one_event: float
) -> float | None:
    if total is None:
        return None
    where = _over(window)
    allowance = skew_allowance(total, one_event)
    if kind == "bad":
        bad = 0.0 if value is None else value
        if bad < -allowance:
            raise DataError(
                f"error_query returned {bad:.6g} {where} against total_query's {total:.6g}: "
                "a count of errors cannot be negative"
            )
    else:
        if value is None:
            if total > 0:
                raise DataError(
                    f"good_query returned no series over {window.name} while total_query has traffic"
                )
            return 0.0
        if value < -allowance:
            raise DataError(
                f"good_query returned {value:.6g} {where} against total_query's {total:.6g}: "
                "a count of good events cannot be negative"
            )
        if value > total + allowance:
            raise DataError(
                f"good_query returned {value:.6g} {where}, {value - total:.6g} above total_query's "
                f"{total:.6g}: more than scrape skew explains (0.1 % of total or one event)"
            )
        bad = total - value
    # Within the allowance, a sliver below zero is scrape skew between two reads: zero errors.
    bad = max(bad, 0.0)
    if bad > max(total * 1.01, total + allowance):
        if total > 0:
            raise DataError(f"bad events exceed total events {where} ({bad:.6g} > {total:.6g})")
        # Only an error query gets here: total - good cannot exceed a total of zero.
        raise DataError(f"error_query returned {bad:.6g} {where} but total_query counts no events")
    return min(bad, total)


# Two counters are never scraped atomically: good may run ahead of total (and an error count computed
# as a difference dip below zero) by the requests finished between the two reads. 0.1 % of the
# window's traffic, or one event when that is more (quiet windows, short windows), covers that skew;
# anything beyond is a broken or hostile series, and reading it as "no errors" would pass a gate on
# garbage. Errors above total keep their older, looser 1 %: that direction can only look worse.
SKEW_SHARE = 0.001


def skew_allowance(total: float, one_event: float) -> float:
    """How far (in the query's own units) good may exceed total, or errors fall below zero."""
    return max(SKEW_SHARE * abs(total), one_event)


def _total_events(value: float | None, window: WindowSpec, one_event: float) -> float | None:
    if value is None or value >= 0:
        return value
    if value < -skew_allowance(value, one_event):
        raise DataError(
            f"total_query returned {value:.6g} {_over(window)}: a count of events cannot be negative"
        )
    return 0.0  # rounding noise from an expression such as a - b


def _over(window: WindowSpec) -> str:
    """How a reason names a window: `over 1h`, or `over the SLO window (30d)`."""
    if window.name == window.duration:
        return f"over {window.duration}"
    name = "SLO" if window.name == "slo" else window.name
    return f"over the {name} window ({window.duration})"


# ---- breakdown: an SLI's errors split by one label ------------------------------------------------
#
# "Where are the errors?" sums the SLI's bad events by one label (`slos[].breakdown`, a validated
# identifier) and keeps the top BREAKDOWN_TOP values. The policy's query usually aggregates every label
# away (`sum(rate(...))`), so its text is rewritten token by token to keep the label through every
# aggregation and vector match: `sum(x)` -> `sum by (route) (x)`, `by (job)` -> `by (job, route)`,
# `without (route)` -> `without ()`, `on (job)` -> `on (job, route)`, `ignoring (route)` -> `ignoring ()`.
# Nothing but the policy's text and the label name reaches the query; the rewrite refuses what it
# cannot keep the label through (topk, quantile, count_values...) rather than guess, and a rewritten
# query must still parse. The answer carries the rewritten query's grand totals next to the top
# values, so a caller can check that the split adds up to what the gate measured.

BREAKDOWN_TOP = 3
# Aggregations that sum over label sets: keeping one more label keeps them exact per value.
_KEEPING_AGGREGATIONS = frozenset({"sum", "avg", "count", "min", "max", "group", "stddev", "stdvar"})
# Aggregations whose result depends on the other series (or that take a parameter): no safe rewrite.
_UNSPLITTABLE = frozenset({"topk", "bottomk", "quantile", "count_values", "limitk", "limit_ratio"})
_RESERVED_LABEL = re.compile(r"__|slo_gate_")


@dataclass(frozen=True)
class BreakdownValue:
    """One value of the label: its bad and total events (in the query's units) over the window."""

    value: str
    bad: float
    total: float | None


@dataclass(frozen=True)
class BreakdownCounts:
    """The top values by bad events, and the rewritten query's totals over every value."""

    label: str
    top: tuple[BreakdownValue, ...]
    bad_all: float
    total_all: float | None


def breakdown_query(sli: SLI, label: str, duration: str) -> str:
    """One instant query: the top BREAKDOWN_TOP values of `label` by bad events over `duration`, their
    totals, and the grand totals, each part tagged by PART_LABEL (`bad`, `total`, `bad_all`,
    `total_all`). ValueError when the label is not a plain label name or the SLI cannot keep it."""
    if not _LABEL_NAME.fullmatch(label) or _RESERVED_LABEL.match(label):
        raise ValueError(f"{label!r} cannot be used as a breakdown label")
    if not _SAFE_WINDOW.fullmatch(duration):
        raise ValueError(f"{duration!r} is not a safe duration")
    total = keep_label(render(sli.total_query, duration), label)
    if sli.error_query is not None:
        bad = keep_label(render(sli.error_query, duration), label)
    else:
        assert sli.good_query is not None
        good = keep_label(render(sli.good_query, duration), label)
        bad = f"(sum by ({label}) ({total}) - sum by ({label}) ({good}))"
    by_value = f"sum by ({label}) ({bad})"
    top = f"topk({BREAKDOWN_TOP}, {by_value} > 0)"
    parts = [
        ("bad", top),
        ("total", f"sum by ({label}) ({total}) and on ({label}) {top}"),
        ("bad_all", f"sum({bad})"),
        ("total_all", f"sum({total})"),
    ]
    text = " or ".join(f'label_replace({expr}, "{PART_LABEL}", "{name}", "", "")' for name, expr in parts)
    from gate import promql_syntax

    problem = promql_syntax.check(text)
    if problem is not None:
        raise ValueError(f"the breakdown of this SLI by {label} is not valid PromQL: {problem.message}")
    return text


def parse_breakdown(samples: Sequence[Sample], label: str) -> BreakdownCounts:
    """The answer to `breakdown_query`: top values by bad events (largest first), with their totals.

    Label values are data from outside: kept as they came (capped at 1000 characters) for each sink
    to escape. Garbage (a non-finite or negative count, a part twice) is a DataError, never a share.
    """
    bad: dict[str, float] = {}
    totals: dict[str, float] = {}
    grand: dict[str, float] = {}
    for sample in samples:
        part = sample.labels.get(PART_LABEL)
        if part is None:
            raise DataError(f"a series came back without the {PART_LABEL} label")
        if not math.isfinite(sample.value) or sample.value < 0:
            raise DataError(f"{part} is {sample.value}, not a number of events")
        value = sample.labels.get(label, "")[:1000]
        target = {"bad": bad, "total": totals}.get(part)
        if target is not None:
            if value in target:
                raise DataError(f"two series came back for {part} of {label}={value[:60]!r}")
            target[value] = sample.value
        elif part in ("bad_all", "total_all"):
            if part in grand:
                raise DataError(f"two series came back for {part}")
            grand[part] = sample.value
        else:
            raise DataError(f"an unexpected part {part[:60]!r} came back")
    ranked = sorted(bad.items(), key=lambda item: (-item[1], item[0]))[:BREAKDOWN_TOP]
    top = tuple(BreakdownValue(value, count, totals.get(value)) for value, count in ranked)
    return BreakdownCounts(label, top, grand.get("bad_all", 0.0), grand.get("total_all"))


def keep_label(query: str, label: str) -> str:
    """`query` rewritten so that `label` survives every aggregation and vector match in it.

    Token by token (gate.promql_syntax.tokenize: one linear pass); label matchers and durations are
    left alone. ValueError when an aggregation cannot keep a label exactly (topk, quantile...).
    """
    from gate.promql_syntax import tokenize

    tokens = tokenize(query)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in the query's text
    depth = 0  # inside {...} or [...]: matchers and durations, never rewritten
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.kind in ("{", "["):
            depth += 1
        elif token.kind in ("}", "]"):
            depth -= 1
        elif depth == 0 and token.kind == "ident":
            word = token.text.lower()
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if word in _UNSPLITTABLE and following is not None and following.kind in ("(", "ident"):
                raise ValueError(f"{token.text}(...) cannot be split by a label")
            if word in _KEEPING_AGGREGATIONS and following is not None:
                index = _aggregation(tokens, index, label, edits)
                continue
            if word in ("on", "ignoring") and following is not None and following.kind == "(":
                index = _grouping(tokens, index + 1, label, keep=word == "on", edits=edits)
                continue
        index += 1
    out = query
    for start, end, replacement in sorted(edits, reverse=True):
        out = out[:start] + replacement + out[end:]
    return out


def _aggregation(tokens: Sequence[Any], at: int, label: str, edits: list[tuple[int, int, str]]) -> int:
    """Rewrite the aggregation whose keyword is tokens[at]; the index to continue scanning from."""
    following = tokens[at + 1]
    modifier = following.text.lower() if following.kind == "ident" else ""
    if modifier in ("by", "without"):
        return _grouping(tokens, at + 2, label, keep=modifier == "by", edits=edits)
    if following.kind != "(":
        return at + 1  # not an aggregation call (a label or metric that happens to be named so)
    from gate.promql_syntax import matching

    close = matching(tokens, at + 1)
    if close is None:
        raise ValueError(f"an unclosed {tokens[at].text}(...)")
    after = tokens[close + 1] if close + 1 < len(tokens) else None
    if after is not None and after.kind == "ident" and after.text.lower() in ("by", "without"):
        _grouping(tokens, close + 2, label, keep=after.text.lower() == "by", edits=edits)
    else:
        edits.append((tokens[at].end, tokens[at].end, f" by ({label}) "))
    return at + 1


def _grouping(
    tokens: Sequence[Any], opener: int, label: str, *, keep: bool, edits: list[tuple[int, int, str]]
) -> int:
    """Add `label` to (keep) or remove it from (not keep) the label list opened at tokens[opener]."""
    if opener >= len(tokens) or tokens[opener].kind != "(":
        raise ValueError("a grouping clause without its label list")
    from gate.promql_syntax import matching

    close = matching(tokens, opener)
    if close is None:
        raise ValueError("an unclosed label list")
    names = [t.text for t in tokens[opener + 1 : close] if t.kind in ("ident", "string")]
    names = [name.strip("\"'`") for name in names]
    if keep and label not in names:
        names.append(label)
    elif not keep:
        names = [name for name in names if name != label]
    edits.append((tokens[opener].start, tokens[close].end, "(" + ", ".join(names) + ")"))
    return close + 1
