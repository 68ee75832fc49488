"""PURE: Pyrra `pyrra.dev/v1alpha1` `ServiceLevelObjective` objects -> drafts (one SLO each).

Pyrra's metrics have no window: a ratio or latency SLO's counters become `sum(rate(<selector>[{{.window}}]))`
(errors, or good = the latency bucket, and total); a `bool_gauge` (a 0/1 series such as probe_success)
becomes the ratio of sums good = sum_over_time, total = count_over_time. `target` is a percent as
text; `window` a Prometheus duration. The service is the `pyrra.dev/service` label, else the object's
namespace, else its name. Refused: `grouping` (one SLO per label value, each with its own budget: not
one SLO), `latencyNative` (a native histogram's fraction below a bound is interpolated, not counted).
"""

from __future__ import annotations

from typing import Any

from gate.importers.spec import Doc, Draft, Refused, wrap_counter, wrap_gauge
from gate.policy_yaml import NodePath, field_name

__all__ = ["API", "KIND", "convert"]

API = "pyrra.dev/v1alpha1"
KIND = "ServiceLevelObjective"
_TOP = ("apiVersion", "kind", "metadata", "spec", "status")
_SPEC = ("description", "target", "window", "indicator", "alerting", "partial_response_strategy")
_INDICATORS = ("ratio", "latency", "latencyNative", "bool_gauge")


def convert(doc: Doc, refusals: list[Refused]) -> list[Draft]:
    try:
        return [_convert(doc)]
    except Refused as refused:
        refusals.append(refused)
        return []


def _service(doc: Doc) -> tuple[str, NodePath]:
    labels = doc.mapping(("metadata", "labels"), required=False)
    if isinstance(labels.get("pyrra.dev/service"), str):
        return labels["pyrra.dev/service"], ("metadata", "labels", "pyrra.dev/service")
    for key in ("namespace", "name"):
        value = doc.text(("metadata", key), required=key == "name")
        if value:
            return value, ("metadata", key)
    raise doc.refuse(("metadata",), "no name", "give metadata.name")  # pragma: no cover - required above


def _convert(doc: Doc) -> Draft:
    doc.only((), _TOP)
    doc.only(("spec",), _SPEC)
    service, service_at = _service(doc)
    draft = Draft(service=service, path=doc.path, kind=doc.kind)
    draft.put(("service",), service, doc.line(service_at), field_name(service_at))
    indicator_at: NodePath = ("spec", "indicator")
    doc.only(indicator_at, _INDICATORS)
    indicator = doc.mapping(indicator_at)
    kinds = [k for k in _INDICATORS if k in indicator]
    if len(kinds) != 1:
        raise doc.refuse(
            indicator_at, "needs exactly one of ratio, latency, latencyNative, bool_gauge", "keep one"
        )
    kind = kinds[0]
    at: NodePath = (*indicator_at, kind)
    if kind == "latencyNative":
        raise doc.refuse(
            at,
            "a native histogram's share of requests below a latency is interpolated within a bucket, not counted",
            "use a classic histogram: latency with success (the le bucket) and total (_count) metrics",
        )
    if doc.get((*at, "grouping")):
        raise doc.refuse(
            (*at, "grouping"),
            "grouping makes one SLO per label value, each with its own budget; slo-gate judges one SLO",
            "remove grouping (the SLO then sums every group), or import one SLO per value with its matcher",
        )
    sli, lines, fields = _sli(doc, kind, at)
    objective = _target(doc)
    slo: dict[str, Any] = {"name": doc.text(("metadata", "name")), "objective": objective, "sli": sli}
    window = doc.text(("spec", "window"))
    slo["window"] = window
    description = doc.text(("spec", "description"), required=False)
    if description:
        slo["description"] = description
    lines |= {
        (): doc.line(("metadata", "name")),
        ("name",): doc.line(("metadata", "name")),
        ("objective",): doc.line(("spec", "target")),
        ("window",): doc.line(("spec", "window")),
    }
    fields |= {"name": "metadata.name", "objective": "spec.target", "window": "spec.window"}
    draft.add_slo(slo, {k: v for k, v in lines.items() if v is not None}, fields)
    if doc.get(("spec", "alerting")):
        draft.note("Pyrra's alerting settings (`slo-gate rules` writes the alerts)")
    if doc.get(("spec", "partial_response_strategy")) == "warn":
        draft.note("partial_response_strategy: warn (slo-gate never accepts a partial answer)")
    return draft


def _target(doc: Doc) -> float | str:
    text = doc.text(("spec", "target"))
    assert text is not None
    try:
        return float(text)
    except ValueError:
        raise doc.refuse(("spec", "target"), f"{text!r} is not a percent", 'write it like "99.9"') from None


def _sli(
    doc: Doc, kind: str, at: NodePath
) -> tuple[dict[str, str], dict[NodePath, int | None], dict[str, str]]:
    field = "spec.indicator." + kind
    if kind == "bool_gauge":
        metric_at = (*at, "metric")
        good, total = wrap_gauge(doc, metric_at, doc.text(metric_at) or "")
        lines: dict[NodePath, int | None] = {
            ("sli", "good_query"): doc.line(metric_at),
            ("sli", "total_query"): doc.line(metric_at),
        }
        fields = {"sli.good_query": f"{field}.metric", "sli.total_query": f"{field}.metric"}
        return {"good_query": good, "total_query": total}, lines, fields
    bad_key = "errors" if kind == "ratio" else "success"
    doc.only(at, (bad_key, "total", "grouping"))
    bad_at, total_at = (*at, bad_key, "metric"), (*at, "total", "metric")
    bad = wrap_counter(doc, bad_at, doc.text(bad_at) or "")
    total = wrap_counter(doc, total_at, doc.text(total_at) or "")
    query = "error_query" if kind == "ratio" else "good_query"
    pair: dict[NodePath, int | None] = {
        ("sli", query): doc.line(bad_at),
        ("sli", "total_query"): doc.line(total_at),
    }
    fields = {f"sli.{query}": f"{field}.{bad_key}.metric", "sli.total_query": f"{field}.total.metric"}
    return {query: bad, "total_query": total}, pair, fields
