"""PURE: Sloth specs -> drafts: `version: prometheus/v1` files and `sloth.slok.dev/v1` `PrometheusServiceLevel`
objects (the same spec, camelCase, under `spec:`).

Sloth's SLI templating is slo-gate's (`{{.window}}`), so an events SLI's `error_query`/`total_query`
copy over unchanged. Sloth has no window in its spec (its CLI defaults to 30d): the draft leaves it
out, for `--gate-defaults`' `slo_defaults.window` or the policy default (30d). Refused: `raw`
(an error ratio without the events behind it cannot be summed over a window), `plugin` (code slo-gate
does not run), and keys slo-gate does not know. Labels, alerting and rule intervals are Sloth's rule
generation, not the SLO: they are named in the header as not carried over.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gate.importers.spec import Doc, Draft, Refused
from gate.policy_yaml import NodePath

__all__ = ["CRD_API", "CRD_KIND", "VERSION", "convert"]

VERSION = "prometheus/v1"
CRD_API = "sloth.slok.dev/v1"
CRD_KIND = "PrometheusServiceLevel"

# (snake_case spec, camelCase CRD) keys read on each level
_TOP = ("version", "service", "labels", "slos")
_CRD_TOP = ("apiVersion", "kind", "metadata", "spec", "status")
_SPEC = ("service", "labels", "slos")
_SLO = ("name", "objective", "description", "labels", "infoLabels", "sli", "alerting", "interval")
_SLI = ("events", "raw", "plugin")
_NOT_CARRIED = {
    "labels": "Sloth's labels on generated rules",
    "infoLabels": "Sloth's info labels",
    "alerting": "Sloth's alert names, labels and annotations (`slo-gate rules` writes the alerts)",
    "interval": "Sloth's rule group intervals (`slo-gate rules --interval`)",
}


def convert(doc: Doc, refusals: list[Refused]) -> list[Draft]:
    """The draft of one Sloth file or CRD object (one service)."""
    crd = doc.data.get("apiVersion") == CRD_API
    base: NodePath = ("spec",) if crd else ()
    try:
        doc.only((), _CRD_TOP if crd else _TOP)
        if crd:
            doc.only(base, _SPEC)
        service = doc.text((*base, "service"))
        assert service is not None
        slos = doc.items((*base, "slos"))
    except Refused as refused:
        refusals.append(refused)
        return []
    draft = Draft(service=service, path=doc.path, kind=doc.kind)
    draft.put(("service",), service, doc.line((*base, "service")), "spec.service" if crd else "service")
    if doc.get((*base, "labels")):
        draft.note(_NOT_CARRIED["labels"])
    for index in range(len(slos)):
        try:
            _slo(doc, draft, (*base, "slos", index), crd)
        except Refused as refused:
            refusals.append(refused)
    return [draft] if draft.data.get("slos") else []


def _slo(doc: Doc, draft: Draft, at: NodePath, crd: bool) -> None:
    doc.only(at, _SLO)
    sli_at = (*at, "sli")
    doc.only(sli_at, _SLI)
    raw_key = "errorRatioQuery" if crd else "error_ratio_query"
    if doc.get((*sli_at, "plugin")) is not None:
        raise doc.refuse(
            (*sli_at, "plugin"),
            "a Sloth SLI plugin is code slo-gate does not run, so its queries are unknown here",
            "write the plugin's error and total queries as sli.events (Sloth prints them with `sloth generate`)",
        )
    if doc.get((*sli_at, "raw")) is not None:
        raise doc.refuse(
            (*sli_at, "raw", raw_key),
            "a raw error ratio has no events behind it: a window's ratio cannot be summed from it exactly",
            "give sli.events with an error query and a total query that count events",
        )
    events_at = (*sli_at, "events")
    keys = ("errorQuery", "totalQuery") if crd else ("error_query", "total_query")
    doc.only(events_at, keys)
    error = doc.text((*events_at, keys[0]))
    total = doc.text((*events_at, keys[1]))
    slo: dict[str, Any] = {
        "name": doc.text((*at, "name")),
        "objective": doc.get((*at, "objective")),
        "sli": {"error_query": error, "total_query": total},
    }
    description = doc.text((*at, "description"), required=False)
    if description:
        slo["description"] = description
    lines = {
        (): doc.line(at),
        ("name",): doc.line((*at, "name")),
        ("objective",): doc.line((*at, "objective")),
        ("description",): doc.line((*at, "description")),
        ("sli",): doc.line(sli_at),
        ("sli", "error_query"): doc.line((*events_at, keys[0])),
        ("sli", "total_query"): doc.line((*events_at, keys[1])),
    }
    prefix = "spec." if crd else ""
    fields = {
        "": f"{prefix}slos[{at[-1]}]",
        "sli.error_query": f"{prefix}slos[{at[-1]}].sli.events.{keys[0]}",
        "sli.total_query": f"{prefix}slos[{at[-1]}].sli.events.{keys[1]}",
    }
    draft.add_slo(slo, {k: v for k, v in lines.items() if v is not None}, fields)
    slo_data = doc.mapping(at)
    for key, what in _NOT_CARRIED.items():
        if isinstance(slo_data, Mapping) and slo_data.get(key):
            draft.note(what)
