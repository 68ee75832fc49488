"""PURE: the report as one self-contained HTML file: inline CSS, inline SVG charts, no script.

The file fetches nothing (a Content-Security-Policy of `default-src 'none'` with inline styles and
`data:` images only says so to the browser too), reads well on a screen and prints on A4 (a print
stylesheet, no page break inside a service). Each rolling SLO gets a chart of budget left over the
period: one SVG path whose points are the series' measured steps (a step without data breaks the
line), with 0 %, 50 % and 100 % guides. `html_escape` is the one escaping function for this sink:
every value from outside (and every name) leaves through it.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from gate.daily.model import VERDICTS, DailyReport, ServiceDaily, SLODaily
from gate.daily.render import incident_span, pct, slo_cells, spend
from gate.postmortem.model import DeployFacts
from gate.report import clean

__all__ = ["CHART_HEIGHT", "CHART_WIDTH", "chart", "html_escape", "render_html"]

CHART_WIDTH = 640
CHART_HEIGHT = 140
_PAD = 28

_CSS = """
:root { --ink: #1d2330; --muted: #5b6474; --line: #d8dde6; --healthy: #1a7f37; --watch: #9a6700;
  --risk: #bc4c00; --frozen: #cf222e; --chart: #0969da; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  margin: 0 auto; max-width: 960px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 0 0 6px; }
.meta, .note, figcaption { color: var(--muted); font-size: 12px; }
.counts span { display: inline-block; margin-right: 14px; font-weight: 600; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 12px;
  font-weight: 600; text-transform: uppercase; vertical-align: middle; }
.healthy { background: var(--healthy); } .watch { background: var(--watch); }
.at-risk { background: var(--risk); } .frozen { background: var(--frozen); }
section.service { border-top: 1px solid var(--line); padding: 14px 0; break-inside: avoid; page-break-inside: avoid; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
blockquote { margin: 12px 0; padding: 8px 12px; border-left: 4px solid var(--line); background: #f6f8fa; }
figure { margin: 8px 0; } svg { width: 100%; height: auto; max-width: 640px; display: block; }
svg .guide { stroke: var(--line); stroke-width: 1; } svg .zero { stroke: var(--frozen); stroke-dasharray: 4 3; }
svg .budget { fill: none; stroke: var(--chart); stroke-width: 2; }
svg text { font-size: 10px; fill: var(--muted); }
ul { margin: 4px 0; padding-left: 20px; }
@page { size: A4; margin: 14mm; }
@media print { body { max-width: none; padding: 0; font-size: 11px; } blockquote { background: none; } }
"""


def html_escape(text: str, limit: int = 2000) -> str:
    """The one escaping for HTML: one printable line (gate.report.clean), then &, <, >, quotes."""
    return html.escape(clean(text, limit), quote=True)


def _y(value: float, low: float, high: float) -> float:
    return _PAD / 2 + (high - value) / (high - low) * (CHART_HEIGHT - _PAD)


def chart(slo: SLODaily, start: float, end: float) -> str:
    """An SVG line of budget left over [start, end]; '' when the SLO has no series."""
    known = [p.budget_remaining for p in slo.series if p.budget_remaining is not None]
    if not known:
        return ""
    low, high = min(0.0, *known), max(1.0, *known)
    span = max(end - start, 1.0)
    width = CHART_WIDTH - _PAD - 8
    commands: list[str] = []
    drawing = False
    for point in slo.series:
        if point.budget_remaining is None:
            drawing = False
            continue
        x = _PAD + (point.at - start) / span * width
        y = _y(point.budget_remaining, low, high)
        commands.append(f"{'L' if drawing else 'M'}{x:.1f} {y:.1f}")
        drawing = True
    guides = []
    for level in (0.0, 0.5, 1.0):
        y = _y(level, low, high)
        css = "zero" if level == 0.0 else "guide"
        guides.append(
            f'<line class="{css}" x1="{_PAD}" x2="{CHART_WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text x="2" y="{y + 3:.1f}">{level * 100:.0f}%</text>'
        )
    name = html_escape(slo.name, 100)
    return (
        f'<figure><svg viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" role="img" aria-label="budget left of {name}">'
        f"<title>Budget left: {name}</title>{''.join(guides)}"
        f'<path class="budget" data-points="{len(known)}" d="{" ".join(commands)}"/></svg>'
        f"<figcaption>{name}: budget left over the period, {pct(known[0])} → {pct(known[-1])} "
        f"({len(known)} of {len(slo.series)} steps measured)</figcaption></figure>"
    )


def _slo_row(slo: SLODaily) -> str:
    if slo.status != "ok":
        return (
            f"<tr><td>{html_escape(slo.name, 100)}</td><td>{html_escape(slo.window, 40)}</td>"
            f'<td colspan="8">inconclusive: {html_escape(slo.reason or "", 300)}</td></tr>'
        )
    cells = slo_cells(slo)[2:]  # name and window get their own, wider cells
    numbers = "".join(f'<td class="num">{html_escape(c, 40)}</td>' for c in cells)
    return f"<tr><td>{html_escape(slo.name, 100)}</td><td>{html_escape(slo.window, 40)}</td>{numbers}</tr>"


def _deploy(d: DeployFacts) -> str:
    pr = f" PR #{d.pr}" if d.pr is not None else ""
    text = f"{d.at[11:16]} UTC {d.outcome} {d.risk}{pr} ({d.id})"
    if d.override_label:
        text += f"; override {d.override_label} by {d.override_actor or 'unknown'}: {d.override_reason or ''}"
    if d.cost_pct is not None:
        text += f"; settled cost {d.cost_pct:.2f}%"
    return f"<li>{html_escape(text, 600)}</li>"


def _service(s: ServiceDaily, start: float, end: float) -> str:
    css = s.verdict.replace(" ", "-")
    parts = [
        f'<section class="service"><h2>{html_escape(s.service, 100)} <span class="badge {css}">{html_escape(s.verdict)}</span></h2>'
    ]
    if s.verdict_reasons:
        parts.append("<ul>" + "".join(f"<li>{html_escape(r, 400)}</li>" for r in s.verdict_reasons) + "</ul>")
    head = "".join(
        f'<th class="num">{h}</th>'
        for h in ("left", "24h", "7d", "burn 1h", "burn 1d", "alert", "exhausted in", "spent")
    )
    rows = "".join(_slo_row(slo) for slo in s.slos)
    parts.append(
        f"<table><thead><tr><th>SLO</th><th>window</th>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )
    for slo in s.slos:
        figure = chart(slo, start, end)
        if figure:
            parts.append(figure)
        elif slo.series_note:
            parts.append(
                f'<p class="note">{html_escape(slo.name, 100)}: {html_escape(slo.series_note, 300)}</p>'
            )
    if s.incidents:
        items = "".join(
            f"<li>{html_escape(i.slo, 100)} {html_escape(i.alert)}: {html_escape(incident_span(i))}, "
            f"{spend(i.window_pct)} of the window's budget, {spend(i.quarter_pct)} of the quarter's"
            f"{' — postmortem required' if i.postmortem_required else ''}</li>"
            for i in s.incidents
        )
        parts.append(f"<h3>Incidents</h3><ul>{items}</ul>")
    if s.deploys:
        parts.append(
            f"<h3>Gate decisions</h3><p>{s.passed} passed, {s.failed} failed, {s.overridden} overridden</p>"
            f"<ul>{''.join(_deploy(d) for d in s.deploys)}</ul>"
        )
    if s.spent_pct is not None:
        parts.append(
            f'<p class="note">Spent {spend(s.spent_pct)} of the budget in the period (worst SLO); not attributable '
            f"to any deploy {spend(s.unattributed_pct)}.</p>"
        )
    parts += [f'<p class="note">{html_escape(n, 500)}</p>' for n in s.notes]
    parts.append("</section>")
    return "".join(parts)


def _counts(report: DailyReport) -> str:
    return "".join(
        f'<span><span class="badge {v.replace(" ", "-")}">{report.count(v)}</span> {v}</span>'
        for v in VERDICTS
    )


def render_html(report: DailyReport) -> str:
    p = report.period
    n = report.narrative
    source = f"drafted by {n.model or 'the model'}" if n.source == "model" else "facts-only"
    services: Sequence[ServiceDaily] = report.services
    body = "".join(_service(s, p.start_unix, p.end_unix) for s in services)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>SLO report {html_escape(p.label)} to {html_escape(p.end)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>SLO report: {html_escape(p.label)} to {html_escape(p.end)}</h1>"
        f'<p class="meta">period {html_escape(p.start)} → {html_escape(p.end)}; {html_escape(report.data, 600)}; '
        f"{html_escape(report.metrics_source, 300)}; {html_escape(report.audit, 300)}</p>"
        f'<p class="counts">{_counts(report)}</p></header>'
        f"<blockquote>{html_escape(n.text, 3000)}"
        f'<br><span class="note">narrative: {html_escape(source)}{"; " + html_escape(n.note, 400) if n.note else ""}</span></blockquote>'
        f"<main>{body}</main></body></html>\n"
    )
