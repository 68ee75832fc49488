"""PURE: the report as text (terminals), Markdown (a job summary) and JSON (every figure).

Renderers read the `DailyReport` only and compute nothing but layout. Text from outside (deploy ids,
actors, override reasons, the model's narrative) leaves only through `clean` (text) or `md_escape`
(Markdown), both in gate.report. Every report states its span and how much data it had.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from gate.daily.model import VERDICTS, DailyReport, IncidentEntry, ServiceDaily, SLODaily
from gate.postmortem.model import DeployFacts
from gate.report import clean, fmt_burn, fmt_hours, md_escape

__all__ = [
    "SPARK_WIDTH",
    "render_json",
    "render_markdown",
    "render_text",
    "report_json",
    "slo_cells",
    "sparkline",
]

SPARK_WIDTH = 48
_BARS = "▁▂▃▄▅▆▇█"
_ICON = {"healthy": "🟢", "watch": "🟡", "at risk": "🟠", "frozen": "🔴"}


def sparkline(values: Sequence[float | None], width: int = SPARK_WIDTH) -> str:
    """Budget left as block characters on a fixed scale from 0 % (or the lowest value, if lower) to
    100 % (or the highest), so a steady budget draws a flat line; a step without data is a space. At most `width` characters (the last value of each bucket)."""
    if not values:
        return ""
    stride = max(1, -(-len(values) // width))
    picked = list(values[stride - 1 :: stride]) if stride > 1 else list(values)
    if stride > 1 and picked[-1] is not values[-1]:
        picked.append(values[-1])
    known = [v for v in picked if v is not None]
    if not known:
        return " " * len(picked)
    low, high = min(0.0, *known), max(1.0, *known)
    span = high - low
    return "".join(
        " "
        if v is None
        else _BARS[0 if span <= 0 else min(len(_BARS) - 1, int((v - low) / span * len(_BARS)))]
        for v in picked
    )


def pct(fraction: float | None) -> str:
    return "—" if fraction is None else f"{fraction * 100:.1f}%"


def points(delta: float | None) -> str:
    return "—" if delta is None else f"{round(delta * 100, 1) + 0.0:+.1f} pts"  # never "-0.0"


def when(iso_time: str) -> str:
    """`11-10 03:13` (UTC): a report's period spans two dates."""
    return f"{iso_time[5:10]} {iso_time[11:16]}"


def incident_span(i: IncidentEntry) -> str:
    """`11-10 03:13 → 11-10 04:00 UTC (47 min)`, saying when it began before the period or goes on."""
    start = f"before the period ({when(i.start)})" if i.began_before else when(i.start)
    end = "ongoing" if i.ongoing else when(i.end)
    length = f"{i.minutes:.0f} min" + (" in the period" if i.began_before else " so far" if i.ongoing else "")
    return f"{start} → {end} UTC ({length})"


def spend(percent: float | None) -> str:
    return "—" if percent is None else f"{percent:.1f}%"


def slo_cells(slo: SLODaily) -> tuple[str, ...]:
    """One SLO's table row as plain cells, unescaped (each renderer escapes for its sink). PURE."""
    if slo.status != "ok":
        return (slo.name, slo.window, "inconclusive", "—", "—", "—", "—", "—", "—", "—")
    return (
        slo.name,
        slo.window,
        pct(slo.budget_remaining),
        points(slo.delta_24h),
        points(slo.delta_7d),
        fmt_burn(slo.burn_rates.get("1h")),
        fmt_burn(slo.burn_rates.get("1d")),
        slo.alert,
        fmt_hours(slo.exhaustion_hours),
        spend(slo.spent_pct),
    )


_SLO_HEADER = ("SLO", "window", "left", "24h", "7d", "burn 1h", "burn 1d", "alert", "exhausted in", "spent")


def _deploy_text(d: DeployFacts, escape: Callable[[str, int], str]) -> str:
    pr = f" PR #{d.pr}" if d.pr is not None else ""
    override = (
        f"; override {escape(d.override_label or '', 80)} by {escape(d.override_actor or 'unknown', 80)}"
        f" ({escape(d.override_reason or '', 160)})"
        if d.override_label
        else ""
    )
    cost = (
        f"; cost {d.cost_pct:.2f}%"
        if d.cost_pct is not None
        else ("; settled, unmeasured" if d.settled else "")
    )
    return f"{d.at[11:16]} {d.outcome} {d.risk}{pr} {escape(d.id, 40)}{override}{cost}"


def _period_line(report: DailyReport) -> str:
    p = report.period
    return f"period {p.start} → {p.end} ({p.label}); {report.data}"


def _spend_line(service: ServiceDaily) -> str | None:
    if service.spent_pct is None:
        return None
    deploys = "—" if service.deploys_cost_pct is None else f"{service.deploys_cost_pct:.2f}%"
    left = "—" if service.unattributed_pct is None else f"{service.unattributed_pct:.1f}%"
    return (
        f"spent {service.spent_pct:.1f}% of the budget in the period (worst SLO); settled deploy costs {deploys}; "
        f"not attributable to any deploy {left}"
    )


def render_text(report: DailyReport) -> str:
    counts = ", ".join(f"{report.count(v)} {v}" for v in VERDICTS)
    lines = ["slo-gate report", _period_line(report), clean(report.metrics_source), counts, ""]
    for service in report.services:
        lines.append(f"{clean(service.service)}: {service.verdict.upper()}")
        lines += [f"  - {clean(r, 300)}" for r in service.verdict_reasons]
        rows = [_SLO_HEADER, *(tuple(clean(c, 60) for c in slo_cells(s)) for s in service.slos)]
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
        for slo in service.slos:
            if slo.series:
                lines.append(
                    f"  {clean(slo.name)} budget left: {sparkline([p.budget_remaining for p in slo.series])}"
                )
        for incident in service.incidents:
            lines.append(
                f"  incident {clean(incident.slo)} {incident.alert}: {incident_span(incident)}, "
                f"{spend(incident.window_pct)} of the window's budget, {spend(incident.quarter_pct)} of the quarter's"
            )
        if service.deploys:
            lines.append(
                f"  decisions: {service.passed} passed, {service.failed} failed, {service.overridden} overridden"
            )
            lines += [f"    {_deploy_text(d, clean)}" for d in service.deploys]
        line = _spend_line(service)
        if line:
            lines.append(f"  {line}")
        lines += [f"  note: {clean(n, 400)}" for n in service.notes]
        lines.append("")
    n = report.narrative
    lines += [
        f"narrative ({'model ' + clean(n.model or '') if n.source == 'model' else 'facts-only'}):",
        clean(n.text, 2000),
    ]
    if n.note:
        lines.append(f"({clean(n.note, 400)})")
    lines.append(f"deploys from: {clean(report.audit, 300)}")
    return "\n".join(lines) + "\n"


def render_markdown(report: DailyReport) -> str:
    p = report.period
    counts = " · ".join(f"{_ICON[v]} {report.count(v)} {v}" for v in VERDICTS)
    lines = [
        f"## SLO report: {p.label} to {p.end}",
        "",
        counts,
        "",
        f"_{_period_line(report)}_",
        "",
    ]
    lines += ["| service | verdict | why |", "|---|---|---|"]
    for s in report.services:
        why = "; ".join(md_escape(r, 200) for r in s.verdict_reasons[:3]) or "—"
        lines.append(f"| {md_escape(s.service)} | {_ICON[s.verdict]} {s.verdict} | {why} |")
    n = report.narrative
    source = f"drafted by {md_escape(n.model or 'the model')}" if n.source == "model" else "facts-only"
    lines += [
        "",
        f"> {md_escape(n.text, 2000)}",
        "",
        f"<sub>narrative: {source}" + (f" · {md_escape(n.note, 300)}" if n.note else "") + "</sub>",
    ]
    for s in report.services:
        lines += ["", f"### {_ICON[s.verdict]} {md_escape(s.service)}: {s.verdict}", ""]
        lines += [
            "| " + " | ".join(_SLO_HEADER) + " | series |",
            "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---|",
        ]
        for slo in s.slos:
            spark = sparkline([p.budget_remaining for p in slo.series]) if slo.series else "—"
            cells = slo_cells(slo)
            named = [md_escape(c, 80) for c in cells[:2]]
            lines.append("| " + " | ".join([*named, *cells[2:]]) + f" | {spark} |")
        for i in s.incidents:
            lines.append(
                f"- **incident** {md_escape(i.slo)} ({i.alert}) {incident_span(i)}: "
                f"{spend(i.window_pct)} of the window's budget, {spend(i.quarter_pct)} of the quarter's"
                + (" — postmortem required" if i.postmortem_required else "")
            )
        if s.deploys:
            lines.append(f"- decisions: {s.passed} passed, {s.failed} failed, {s.overridden} overridden")
            lines += [f"  - {_deploy_text(d, md_escape)}" for d in s.deploys]
        line = _spend_line(s)
        if line:
            lines.append(f"- {line}")
        lines += [f"- _note: {md_escape(note, 400)}_" for note in s.notes]
    lines += [
        "",
        f"<sub>deploys from {md_escape(report.audit, 300)}; metrics from {md_escape(report.metrics_source)}</sub>",
    ]
    return "\n".join(lines) + "\n"


def report_json(report: DailyReport) -> dict[str, Any]:
    data = report.model_dump(mode="json")
    for service, raw in zip(report.services, data["services"], strict=True):
        for slo, raw_slo in zip(service.slos, raw["slos"], strict=True):
            raw_slo["delta_24h"] = slo.delta_24h
            raw_slo["delta_7d"] = slo.delta_7d
    data["verdicts"] = {v: report.count(v) for v in VERDICTS}
    return data


def render_json(report: DailyReport) -> str:
    return json.dumps(report_json(report), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
