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

from gate.errors import DataError
from gate.models import Sample, WindowCounts
from gate.policy import SLI
from gate.promql_text import Rendered, position
from gate.promql_text import render as render_mapped

PART_LABEL = "slo_gate_part"
_SAFE_WINDOW = re.compile(r"[a-z0-9]+")
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
