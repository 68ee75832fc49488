"""PURE: OpenSLO `openslo/v1` and `openslo/v1alpha` objects of one file -> drafts, one per service.

Read: `SLO` (its indicator inline, or by `indicatorRef` to an `SLI` of the same file), `SLI`,
`DataSource` (a `metricSourceRef` must name one of type Prometheus in the same file) and `Service`
(its description). Each objective becomes one slo-gate SLO (named after the SLO, or `<slo>-<objective>`
when there are several), with objective = target × 100 (or `targetPercent`).

An OpenSLO ratio metric has no window: counters (`counter: true`; v1alpha `counter`/`incremental`) are
wrapped as `sum(rate(<selector>[{{.window}}]))`. Windows: a rolling duration in m/h/d/w is a rolling
window; a calendar `1M` or `1Q` in UTC starting at the start of a month (quarter) is slo-gate's calendar
month (quarter). Refused, with what to do: a source other than Prometheus, Timeslices and
RatioTimeslices budgeting, threshold metrics, raw (precomputed) ratios, `counter: false`, rolling
months, quarters or years, calendar periods in another time zone or another length.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from gate.importers.spec import Doc, Draft, Refused, wrap_counter
from gate.policy_yaml import NodePath, field_name

__all__ = ["V1", "V1ALPHA", "convert"]

V1 = "openslo/v1"
V1ALPHA = "openslo/v1alpha"
_KINDS = ("SLO", "SLI", "DataSource", "Service", "AlertPolicy", "AlertCondition", "AlertNotificationTarget")
_DURATION = re.compile(r"(\d{1,6})([mhdwMQY])")
_ALPHA_UNITS = {
    "Second": "s",
    "Minute": "m",
    "Hour": "h",
    "Day": "d",
    "Week": "w",
    "Month": "M",
    "Quarter": "Q",
    "Year": "Y",
}
_UTC = ("UTC", "Etc/UTC", "GMT", "Etc/GMT", "Z", "Zulu")
_START = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?(?:Z|[+-]00:?00)?")


def convert(docs: Sequence[Doc], refusals: list[Refused]) -> list[Draft]:
    """Every SLO of the file's OpenSLO objects, grouped into one draft per service."""
    by_kind: dict[str, dict[str, Doc]] = {}
    for doc in docs:
        kind = str(doc.data.get("kind", ""))
        if kind not in _KINDS:
            refusals.append(
                doc.refuse(
                    ("kind",),
                    f"{doc.kind} kind {kind!r} is not one slo-gate reads",
                    f"use one of {', '.join(_KINDS)}",
                )
            )
            continue
        name = (
            doc.data.get("metadata", {}).get("name")
            if isinstance(doc.data.get("metadata"), Mapping)
            else None
        )
        by_kind.setdefault(kind, {})[str(name)] = doc
    drafts: dict[str, Draft] = {}
    for doc in by_kind.get("SLO", {}).values():
        try:
            _slo(doc, by_kind, drafts)
        except Refused as refused:
            refusals.append(refused)
    for name, draft in drafts.items():
        service = by_kind.get("Service", {}).get(name)
        if service is not None and isinstance(service.get(("spec", "description")), str):
            draft.put(
                ("description",), service.get(("spec", "description")), service.line(("spec", "description"))
            )
    if by_kind.get("AlertPolicy") or any(
        d.get(("spec", "alertPolicies")) for d in by_kind.get("SLO", {}).values()
    ):
        for draft in drafts.values():
            draft.note("OpenSLO alert policies (`slo-gate rules` writes the multiwindow alerts)")
    return list(drafts.values())


def _slo(doc: Doc, objects: Mapping[str, Mapping[str, Doc]], drafts: dict[str, Draft]) -> None:
    alpha = doc.data.get("apiVersion") == V1ALPHA
    service = doc.text(("spec", "service"))
    assert service is not None
    method = doc.text(("spec", "budgetingMethod"), required=False) or "Occurrences"
    if method != "Occurrences":
        raise doc.refuse(
            ("spec", "budgetingMethod"),
            f"{method} budgets count good time slices, not events; slo-gate's budget is a share of events",
            "use budgetingMethod: Occurrences, or keep this SLO in a tool that budgets time slices",
        )
    window, window_at = (_alpha_window if alpha else _window)(doc)
    objectives = doc.items(("spec", "objectives"))
    name = doc.text(("metadata", "name"))
    assert name is not None
    draft = drafts.get(service)
    if draft is None:
        draft = drafts[service] = Draft(service=service, path=doc.path, kind=doc.kind)
        draft.put(("service",), service, doc.line(("spec", "service")), "spec.service")
    for index, objective in enumerate(objectives):
        at: NodePath = ("spec", "objectives", index)
        if not isinstance(objective, Mapping):
            raise doc.refuse(at, "must be a mapping", "see the OpenSLO schema")
        good, bad, total, sli_lines, sli_fields = (_alpha_ratio if alpha else _ratio)(doc, at, objects)
        slo_name = name if len(objectives) == 1 else f"{name}-{_slug(objective.get('displayName')) or index}"
        slo: dict[str, Any] = {"name": slo_name, "objective": _objective(doc, at), "window": window}
        slo["sli"] = {"total_query": total} | ({"error_query": bad} if bad else {"good_query": good})
        description = doc.text(("spec", "description"), required=False)
        if description:
            slo["description"] = description
        lines: dict[NodePath, int | None] = {
            (): doc.line(at),
            ("name",): doc.line(("metadata", "name")),
            ("window",): doc.line(window_at),
            ("objective",): doc.line((*at, "target")) or doc.line((*at, "targetPercent")),
        }
        lines |= sli_lines
        fields = {"name": "metadata.name", "window": field_name(window_at)} | sli_fields
        fields["objective"] = f"spec.objectives[{index}].target"
        draft.add_slo(slo, {k: v for k, v in lines.items() if v is not None}, fields)


def _slug(text: object) -> str:
    if not isinstance(text, str):
        return ""
    return re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-._")[:40]


def _objective(doc: Doc, at: NodePath) -> Any:
    for key in ("op", "value", "timeSliceTarget", "timeSliceWindow"):
        if doc.get((*at, key)) is not None:
            raise doc.refuse(
                (*at, key),
                f"{key} belongs to threshold or time-slice objectives; slo-gate counts good and bad events",
                "keep only target (or targetPercent) on a ratio objective",
            )
    percent = doc.get((*at, "targetPercent"))
    if percent is not None:
        return percent
    target = doc.get((*at, "target"))
    if isinstance(target, int | float) and not isinstance(target, bool):
        return round(float(target) * 100, 10)
    raise doc.refuse(
        (*at, "target"), "needs a target between 0 and 1 (or targetPercent)", "add it, e.g. target: 0.999"
    )


# ---- windows -----------------------------------------------------------------------------------------


def _window(doc: Doc) -> tuple[Any, NodePath]:
    items = doc.items(("spec", "timeWindow"))
    if len(items) != 1:
        raise doc.refuse(("spec", "timeWindow"), "slo-gate judges one window per SLO", "keep one time window")
    at: NodePath = ("spec", "timeWindow", 0)
    duration = doc.text((*at, "duration"))
    assert duration is not None
    match = _DURATION.fullmatch(duration)
    if match is None:
        raise doc.refuse(
            (*at, "duration"), f"{duration!r} is not an OpenSLO duration", "write it like 28d or 1M"
        )
    rolling = doc.get((*at, "isRolling")) is True and doc.get((*at, "calendar")) is None
    return _period(doc, at, int(match.group(1)), match.group(2), rolling), (*at, "duration")


def _alpha_window(doc: Doc) -> tuple[Any, NodePath]:
    items = doc.items(("spec", "timeWindows"))
    if len(items) != 1:
        raise doc.refuse(
            ("spec", "timeWindows"), "slo-gate judges one window per SLO", "keep one time window"
        )
    at: NodePath = ("spec", "timeWindows", 0)
    unit = doc.text((*at, "unit"))
    count = doc.get((*at, "count"))
    if unit not in _ALPHA_UNITS or not isinstance(count, int) or count < 1:
        raise doc.refuse(
            (*at, "unit"),
            f"{unit!r} x {count!r} is not a window",
            "give unit (Day, Week, Month...) and count",
        )
    rolling = doc.get((*at, "isRolling")) is True and doc.get((*at, "calendar")) is None
    return _period(doc, at, count, _ALPHA_UNITS[unit], rolling), (*at, "unit")


def _period(doc: Doc, at: NodePath, count: int, unit: str, rolling: bool) -> Any:
    if rolling:
        if unit in "MQY":
            raise doc.refuse(
                at,
                "a rolling month, quarter or year has no fixed length",
                "use a rolling duration in days (30d, 90d) or a calendar month/quarter",
            )
        return f"{count}{unit}"
    period = {("M", 1): "month", ("Q", 1): "quarter", ("M", 3): "quarter"}.get((unit, count))
    if period is None:
        raise doc.refuse(
            at,
            f"a calendar window of {count}{unit}: slo-gate's calendar periods are a month or a quarter",
            "use 1M or 1Q, or a rolling window",
        )
    _check_calendar(doc, (*at, "calendar"), period)
    return {"calendar": period}


def _check_calendar(doc: Doc, at: NodePath, period: str) -> None:
    zone = doc.text((*at, "timeZone"), required=False) or "UTC"
    if zone not in _UTC:
        raise doc.refuse(
            (*at, "timeZone"),
            f"slo-gate's calendar periods run in UTC, not {zone}",
            "use timeZone: UTC (periods then start at 00:00 UTC)",
        )
    start = doc.get((*at, "startTime"))
    if start is None:
        return
    match = _START.fullmatch(str(start).strip())
    months = range(1, 13) if period == "month" else (1, 4, 7, 10)
    aligned = (
        match is not None
        and int(match.group(3)) == 1
        and int(match.group(2)) in months
        and all(int(match.group(g) or 0) == 0 for g in (4, 5, 6))
    )
    if not aligned:
        raise doc.refuse(
            (*at, "startTime"),
            f"periods starting {start} do not start with the calendar {period} (UTC)",
            f"start at 00:00 on the first day of a {period}, e.g. 2026-01-01 00:00:00",
        )


# ---- indicators --------------------------------------------------------------------------------------

Ratio = tuple[str | None, str | None, str, dict[NodePath, int | None], dict[str, str]]


def _indicator(doc: Doc, at: NodePath, objects: Mapping[str, Mapping[str, Doc]]) -> tuple[Doc, NodePath]:
    """The SLI spec this objective measures: its own, the SLO's inline one, or the SLI it references."""
    for base in (at, ("spec",)):
        if doc.get((*base, "indicator")) is not None:
            return doc, (*base, "indicator", "spec")
        ref = doc.get((*base, "indicatorRef"))
        if ref is not None:
            sli = objects.get("SLI", {}).get(str(ref))
            if sli is None:
                raise doc.refuse(
                    (*base, "indicatorRef"),
                    f"no SLI named {ref!r} in this file",
                    "put the SLI in the same file (another YAML document) or inline it as indicator",
                )
            return sli, ("spec",)
    raise doc.refuse(("spec",), "needs an indicator or an indicatorRef", "add one")


def _ratio(doc: Doc, at: NodePath, objects: Mapping[str, Mapping[str, Doc]]) -> Ratio:
    source, base = _indicator(doc, at, objects)
    if source.get((*base, "thresholdMetric")) is not None:
        raise source.refuse(
            (*base, "thresholdMetric"),
            "a threshold metric judges values, not good and bad events",
            "use a ratioMetric of good (or bad) and total counters",
        )
    ratio_at = (*base, "ratioMetric")
    ratio = source.mapping(ratio_at)
    if ratio.get("raw") is not None or ratio.get("rawType") is not None:
        raise source.refuse(
            (*ratio_at, "raw"),
            "a raw (precomputed) ratio has no events behind it: a window's ratio cannot be summed from it",
            "give good (or bad) and total counters",
        )
    if ratio.get("counter") is not True:
        raise source.refuse(
            (*ratio_at, "counter"),
            "only counters (counter: true) are events slo-gate can count over a window",
            "point good/bad and total at counters and set counter: true",
        )
    queries: dict[str, str] = {}
    lines: dict[NodePath, int | None] = {}
    fields: dict[str, str] = {}
    for key in ("good", "bad", "total"):
        if ratio.get(key) is None:
            continue
        query_at = _query_at(source, (*ratio_at, key, "metricSource"), objects)
        query = source.text(query_at)
        queries[key] = wrap_counter(source, query_at, query or "")
        target = {"good": "good_query", "bad": "error_query", "total": "total_query"}[key]
        lines[("sli", target)] = source.line(query_at)
        fields[f"sli.{target}"] = field_name(query_at)
    return _checked(source, ratio_at, queries, lines, fields)


def _checked(
    source: Doc,
    at: NodePath,
    queries: Mapping[str, str],
    lines: dict[NodePath, int | None],
    fields: dict[str, str],
) -> Ratio:
    if "total" not in queries or ("good" in queries) == ("bad" in queries):
        raise source.refuse(at, "needs total and exactly one of good or bad", "give total and good (or bad)")
    return queries.get("good"), queries.get("bad"), queries["total"], lines, fields


def _query_at(doc: Doc, at: NodePath, objects: Mapping[str, Mapping[str, Doc]]) -> NodePath:
    """Where the PromQL of a metricSource is, after checking that the source is Prometheus."""
    kind = doc.get((*at, "type"))
    ref = doc.get((*at, "metricSourceRef"))
    if kind is None and ref is not None:
        source = objects.get("DataSource", {}).get(str(ref))
        if source is None:
            raise doc.refuse(
                (*at, "metricSourceRef"),
                f"no DataSource named {ref!r} in this file, so its type is unknown",
                "add type: Prometheus to the metricSource, or the DataSource to this file",
            )
        kind = source.get(("spec", "type"))
    if not isinstance(kind, str) or kind.lower() != "prometheus":
        raise doc.refuse(
            (*at, "type"),
            f"a {kind or 'missing'} metric source: slo-gate measures with Prometheus (and its API's kin)",
            "keep this SLO in a tool that reads that source, or give the same SLI as Prometheus counters",
        )
    for key in ("query", "promql"):
        if doc.get((*at, "spec", key)) is not None:
            return (*at, "spec", key)
    raise doc.refuse(
        (*at, "spec"), "no query (spec.query) in the metric source", "add the counter's selector as query"
    )


def _alpha_ratio(doc: Doc, at: NodePath, objects: Mapping[str, Mapping[str, Doc]]) -> Ratio:
    ratio_at = (*at, "ratioMetrics")
    if doc.get(ratio_at) is None:
        raise doc.refuse(
            (*at, "ratioMetrics")
            if doc.get(("spec", "indicator", "thresholdMetric")) is None
            else ("spec", "indicator", "thresholdMetric"),
            "a threshold metric judges values, not good and bad events",
            "give the objective ratioMetrics with good and total counters",
        )
    ratio = doc.mapping(ratio_at)
    if ratio.get("counter") is not True and ratio.get("incremental") is not True:
        raise doc.refuse(
            (*ratio_at, "counter"),
            "only counters (counter: true) are events slo-gate can count over a window",
            "point good and total at counters and set counter: true",
        )
    queries: dict[str, str] = {}
    lines: dict[NodePath, int | None] = {}
    fields: dict[str, str] = {}
    for key in ("good", "bad", "total"):
        if ratio.get(key) is None:
            continue
        spec_at = (*ratio_at, key)
        source = doc.text((*spec_at, "source"), required=False)
        if source is None or source.lower() != "prometheus":
            raise doc.refuse(
                (*spec_at, "source"),
                f"a {source or 'missing'} metric source: slo-gate measures with Prometheus (and its API's kin)",
                "keep this SLO in a tool that reads that source, or give the same SLI as Prometheus counters",
            )
        query_type = doc.text((*spec_at, "queryType"), required=False)
        if query_type is not None and query_type.lower() != "promql":
            raise doc.refuse(
                (*spec_at, "queryType"), f"queryType {query_type} is not PromQL", "use queryType: promql"
            )
        query_at = (*spec_at, "query")
        queries[key] = wrap_counter(doc, query_at, doc.text(query_at) or "")
        target = {"good": "good_query", "bad": "error_query", "total": "total_query"}[key]
        lines[("sli", target)] = doc.line(query_at)
        fields[f"sli.{target}"] = field_name(query_at)
    return _checked(doc, ratio_at, queries, lines, fields)
