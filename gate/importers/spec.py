"""PURE: the pieces every importer shares: a spec document with its lines, typed reads that turn into
refusals with the source's own field names, drafts of slo-gate policy data, and metric wrapping.

A refusal is a `PolicyError` at the file and line of the offending value, with the field spelled as in
the spec (`slos[0].sli.plugin`, `spec.budgetingMethod`) and a message saying why slo-gate will not
read it and what to do instead. Importers collect refusals and keep going, so one run reports them all.

Metric wrapping (OpenSLO, Pyrra: their queries have no window): a counter's selector `x{a="b"}`, or its
`sum(...)` (any grouping: slo-gate sums it anyway), becomes `sum(rate(x{a="b"}[{{.window}}]))`; anything
else is refused, since `rate()` over an arbitrary expression is not the increase of a counter. The
selector is kept as written (out of a `sum`, by PromQL's own tokens) and checked to parse to the very
selector promql-parser found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gate.errors import PolicyError
from gate.policy_yaml import LineMap, NodePath, field_name, line_for

__all__ = ["Doc", "Draft", "Refused", "wrap_counter", "wrap_gauge"]


class Refused(Exception):
    """One refusal, raised inside a converter and collected by its caller."""

    def __init__(self, error: PolicyError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class Doc:
    """One object of a spec file: its data, its lines (relative to the object) and where it is."""

    path: str
    data: Mapping[str, Any]
    lines: LineMap
    kind: str  # what it is, for messages: "Sloth prometheus/v1", "OpenSLO v1 SLO", ...

    def line(self, at: NodePath) -> int | None:
        return line_for(self.lines, at)

    def refuse(self, at: NodePath, why: str, todo: str) -> Refused:
        return Refused(PolicyError(self.path, self.line(at), field_name(at), f"{why}; {todo}"))

    def get(self, at: NodePath) -> Any:
        node: Any = self.data
        for part in at:
            if isinstance(part, int):
                node = node[part] if isinstance(node, list) and part < len(node) else None
            else:
                node = node.get(part) if isinstance(node, Mapping) else None
            if node is None:
                return None
        return node

    def text(self, at: NodePath, *, required: bool = True) -> str | None:
        value = self.get(at)
        if value is None:
            if required:
                raise self.refuse(at, f"required by {self.kind}", "add it")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.refuse(at, f"must be text (got {type(value).__name__})", "write it as a string")
        return str(value)

    def mapping(self, at: NodePath, *, required: bool = True) -> Mapping[str, Any]:
        value = self.get(at)
        if value is None and not required:
            return {}
        if not isinstance(value, Mapping):
            raise self.refuse(at, "must be a mapping", f"see the {self.kind} schema")
        return value

    def items(self, at: NodePath) -> list[Any]:
        value = self.get(at)
        if not isinstance(value, list) or not value:
            raise self.refuse(at, "must be a non-empty list", f"see the {self.kind} schema")
        return value

    def only(self, at: NodePath, allowed: Sequence[str]) -> None:
        """Refuse keys of the mapping at `at` that slo-gate does not read (they may change the meaning)."""
        for key in self.mapping(at, required=False):
            if key not in allowed:
                where = (*at, key)
                raise self.refuse(
                    where,
                    f"{self.kind} key slo-gate does not know, and will not guess what it changes",
                    f"remove it or express the SLO in slo-gate's own policy (keys read here: {', '.join(allowed)})",
                )


@dataclass
class Draft:
    """A service's SLOs as plain slo-gate policy data, and for each value the source's line and field."""

    service: str
    path: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    lines: LineMap = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)  # slo-gate field -> the spec's field
    notes: list[str] = field(default_factory=list)  # what was not carried over, for the header

    def put(self, at: NodePath, value: Any, line: int | None, source_field: str | None = None) -> None:
        node = self.data
        for part in at[:-1]:
            node = node.setdefault(part, {}) if isinstance(part, str) else node[part]  # type: ignore[index]
        node[at[-1]] = value  # type: ignore[index]
        if line is not None:
            self.lines[at] = line
        if source_field is not None:
            self.fields[field_name(at)] = source_field

    def add_slo(self, slo: dict[str, Any], lines: Mapping[NodePath, int], fields: Mapping[str, str]) -> None:
        """Append an SLO (its lines and fields relative to it) to `slos`."""
        slos = self.data.setdefault("slos", [])
        index = len(slos)
        slos.append(slo)
        for at, line in lines.items():
            self.lines[("slos", index, *at)] = line
        for name, source in fields.items():
            self.fields[f"slos[{index}]{'.' if name and not name.startswith('[') else ''}{name}"] = source

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def rename(error: PolicyError, fields: Mapping[str, str]) -> PolicyError:
    """A validation error of converted data, with its field spelled as in the spec where known."""
    best = ""
    for name in fields:
        if (error.field == name or error.field.startswith((name + ".", name + "["))) and len(name) > len(
            best
        ):
            best = name
    if not best:
        return error
    return PolicyError(error.file, error.line, fields[best] + error.field[len(best) :], error.message)


# ---- metrics ----------------------------------------------------------------------------------------


def _inner(query: str) -> str:
    """The text inside the outermost `sum [by|without (...)] ( ... ) [by|without (...)]` of `query`."""
    from gate.promql_syntax import tokenize

    tokens = tokenize(query)
    i = 1
    if i < len(tokens) and tokens[i].text in ("by", "without"):
        i += 1
        while i < len(tokens) and tokens[i].text != ")":
            i += 1
        i += 1
    if i >= len(tokens) or tokens[i].text != "(":
        return ""
    depth, start = 0, tokens[i].end
    for token in tokens[i:]:
        depth += {"(": 1, ")": -1}.get(token.text, 0) if token.kind in ("(", ")") else 0
        if depth == 0:
            return query[start : token.start]
    return ""


def _selector(doc: Doc, at: NodePath, query: str) -> str:
    """The counter selector a metric query names (itself, or inside a sum), as written: refused otherwise."""
    import promql_parser

    from gate.promql_syntax import check

    problem = check(query)
    if problem is not None:
        raise doc.refuse(at, f"not PromQL: {problem.message}", "fix the query")
    expr = promql_parser.parse(query)
    text = query.strip()
    if isinstance(expr, promql_parser.AggregateExpr):
        if str(expr.op).lower() != "sum" or expr.param is not None:
            raise doc.refuse(
                at,
                f"the {str(expr.op).lower()}(...) of a counter is not a count of events",
                'give the counter\'s selector, e.g. http_requests_total{job="api"}, or its sum(...)',
            )
        expr, text = expr.expr, _inner(text).strip()
    if not isinstance(expr, promql_parser.VectorSelector):
        raise doc.refuse(
            at,
            "not a selector: rate() of an expression is not the increase of a counter",
            'give the counter\'s selector, e.g. http_requests_total{job="api",code=~"5.."}',
        )
    if expr.at is not None or expr.offset is not None:
        raise doc.refuse(
            at, "an @ or offset modifier moves every window away from the time judged", "remove it"
        )
    try:  # the binding compares nodes by identity: compare their debug forms (every field, escapes kept)
        same = bool(text) and repr(promql_parser.parse(text)) == repr(expr)
    except ValueError:
        same = False
    if not same:  # pragma: no cover - the tokens are PromQL's own
        raise doc.refuse(
            at, "the selector cannot be read out of the query exactly", "write the selector alone"
        )
    return text


def wrap_counter(doc: Doc, at: NodePath, query: str) -> str:
    """`sum(rate(<selector>[{{.window}}]))` for a counter's selector (or its sum)."""
    return f"sum(rate({_selector(doc, at, query)}[{{{{.window}}}}]))"


def wrap_gauge(doc: Doc, at: NodePath, query: str) -> tuple[str, str]:
    """(good, total) for a 0/1 gauge: the sum of its samples over the window, and their count."""
    selector = _selector(doc, at, query)
    return (
        f"sum(sum_over_time({selector}[{{{{.window}}}}]))",
        f"sum(count_over_time({selector}[{{{{.window}}}}]))",
    )
