"""PURE: the postmortem draft as Markdown (the document people finish) or JSON (every figure in it).

Renderers read the `Postmortem` model only and compute nothing. Text from outside (label values,
actors, override reasons, the model's paragraph) leaves only through `md_escape` (gate.report), so it
cannot add markup, mentions or links. The sections for people are headings with one-line prompts,
left empty on purpose; the model may only have drafted the marked "what the data shows" paragraph.
"""

from __future__ import annotations

import json

from gate.postmortem.model import CapacityFacts, Postmortem
from gate.report import md_escape

__all__ = ["MARKER", "render_json", "render_markdown", "title"]

MARKER = "slo-gate-postmortem"  # the hidden marker that finds a draft again (one per incident)

PEOPLE_SECTIONS = (
    ("Root cause", "What made the error ratio rise, and why then? Link the evidence."),
    ("What went well", "What limited the damage: detection, rollback, people, tooling."),
    ("What went wrong", "What made it last longer or cost more than it had to."),
    ("Action items", "Owner, issue link and due date for each; prefer fixes that protect the budget."),
)


def _pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f} %"


def _hhmm(iso_time: str | None) -> str:
    return "—" if iso_time is None else iso_time[11:16]


def title(pm: Postmortem) -> str:
    inc = pm.incident
    return (
        f"Postmortem draft: {pm.service} {pm.slo}, {inc.start[:10]} {_hhmm(inc.start)}–{_hhmm(inc.end)} UTC "
        f"({_pct(pm.budget.window_pct)} of the {pm.budget.window} budget)"
    )


def marker(pm: Postmortem) -> str:
    return f"<!-- {MARKER}:{pm.service}:{pm.slo}:{pm.incident.start} -->"


def _impact(pm: Postmortem) -> list[str]:
    b, q = pm.budget, pm.budget.quarter
    lines = ["## Impact in budget", ""]
    lines.append(
        f"- **{_pct(b.window_pct)} of the {b.window} error budget** consumed: bad events in the incident / "
        f"(error budget × events in the {b.window} window ending at {_hhmm(pm.incident.end)} UTC)."
    )
    projected = "—" if q.events_projected is None else f"{q.events_projected:,.0f}"
    to_date = "—" if q.events_to_date is None else f"{q.events_to_date:,.0f}"
    lines.append(
        f"- **{_pct(b.quarter_pct)} of the calendar quarter's budget** ({q.start[:10]} → {q.end[:10]}): the "
        f"quarter's traffic is projected linearly from its first {q.elapsed_days:.1f} of {q.days:.0f} days "
        f"({to_date} events so far → {projected} for the quarter)."
    )
    if b.outage_minutes is not None and b.error_ratio is not None:
        lines.append(
            f"- **{b.outage_minutes:.1f} minutes of full outage** equivalent ({b.error_ratio * 100:.2f} % of "
            f"requests failed over {pm.incident.duration_minutes:.0f} minutes)."
        )
    lines.append(f"- Budget remaining after: **{_pct(b.remaining_after)}** of the {b.window} budget.")
    req = pm.postmortem
    verdict = "required" if req.required else "not required"
    lines.append(
        f"- Postmortem {verdict} by policy: one incident over {req.required_above:g} % of the window's budget "
        "(`postmortem.required_above`)."
    )
    if len(pm.slos) > 1:
        lines += [
            "",
            "| SLO | window | window budget | quarter budget | left after |",
            "|---|---|---:|---:|---:|",
        ]
        for row in pm.slos:
            lines.append(
                f"| {md_escape(row.name)} | {md_escape(row.window)} | {_pct(row.window_pct)} | "
                f"{_pct(row.quarter_pct)} | {_pct(row.remaining_after)} |"
            )
    return lines


def _capacity(capacity: CapacityFacts | None) -> list[str]:
    lines = ["", "### Release capacity left", ""]
    if capacity is None:
        return [*lines, "_No conclusive SLO at the incident's end: no budget to plan with._"]
    bound = f"above {capacity.tier_above:g} %" if capacity.tier_above is not None else "the lowest tier"
    allows = ", ".join(capacity.tier_allow) or "exempt changes only"
    lines.append(
        f"At {capacity.at} the lowest budget left was {capacity.remaining_pct:.1f} % ({bound}: allows {allows})."
    )
    if capacity.next_tier_allow is not None:
        nxt = ", ".join(capacity.next_tier_allow) or "exempt changes only"
        lines.append(f"The next tier down allows {nxt}.")
    lines += [
        "",
        "| risk | allowed now | cost per deploy | from | deploys before the next tier |",
        "|---|---|---:|---|---:|",
    ]
    for row in capacity.per_risk:
        fits = "no limit" if row.fits is None else str(row.fits)
        lines.append(
            f"| {row.risk} | {'yes' if row.allowed else 'no'} | {row.cost_pct:.2f} % | "
            f"{md_escape(row.cost_source)} | {fits} |"
        )
    return lines


def _timeline(pm: Postmortem) -> list[str]:
    lines = ["", "## Timeline (UTC)", "", "| time | event |", "|---|---|"]
    lines += [f"| {e.at.replace('T', ' ').rstrip('Z')} | {md_escape(e.text)} |" for e in pm.timeline]
    if pm.deploys:
        lines += [
            "",
            "| decision | time | outcome | risk | PR | override | settled cost |",
            "|---|---|---|---|---|---|---:|",
        ]
        for d in pm.deploys:
            override = (
                f"{md_escape(d.override_label)} by {md_escape(d.override_actor or 'unknown')}: "
                f"{md_escape(d.override_reason or '', 200)}"
                if d.override_label
                else "—"
            )
            nearest = " (last before onset)" if d.nearest else ""
            cost = (
                _pct(d.cost_pct, 2)
                if d.cost_pct is not None
                else ("unmeasured" if d.settled else "not settled")
            )
            lines.append(
                f"| {md_escape(d.id)}{nearest} | {d.at[11:16]} | {d.outcome} | {d.risk} | "
                f"{f'#{d.pr}' if d.pr is not None else '—'} | {override} | {cost} |"
            )
    return lines


def _where(pm: Postmortem) -> list[str]:
    lines = ["", "## Where", ""]
    if not pm.where:
        return [*lines, "_The SLO has no `breakdown` labels: add some to see where the errors came from._"]
    for label, values in pm.where.items():
        lines += [f"**{md_escape(label)}**", ""]
        if not values:
            lines += ["_No bad events by this label in the span._", ""]
            continue
        lines += ["| value | share of bad events | bad events |", "|---|---:|---:|"]
        lines += [
            f"| `{md_escape(c.value, 200) or '(none)'}` | {c.share * 100:.1f} % | {c.errors:,.0f} |"
            for c in values
        ]
        lines.append("")
    return lines


def _narrative(pm: Postmortem) -> list[str]:
    n = pm.narrative
    who = f"drafted by {md_escape(n.model or 'the model')}" if n.source == "model" else "facts-only text"
    lines = ["", f"## What the data shows ({who})", "", f"> {md_escape(n.text, 2000)}", ""]
    usage = []
    if n.note:
        usage.append(md_escape(n.note, 400))
    if n.input_tokens is not None:
        cost = f", ${n.cost_usd:.4f}" if n.cost_usd is not None else ""
        usage.append(f"{n.input_tokens} input / {n.output_tokens} output tokens{cost}")
    if usage:
        lines.append(f"<sub>{' · '.join(usage)}</sub>")
    return lines


def render_markdown(pm: Postmortem) -> str:
    inc = pm.incident
    lines = [marker(pm), f"# {md_escape(title(pm), 300)}", ""]
    lines.append(
        f"_Drafted by slo-gate at {pm.generated_at} from {md_escape(pm.metrics_source)}: incident from "
        f"{inc.start} to {inc.end} ({inc.duration_minutes:.0f} minutes; edges from the {inc.resolution} "
        f"{'burn' if inc.resolution in ('1m', '5m') else 'span'}); {pm.data}._"
    )
    lines += [
        "",
        f"Service **{md_escape(pm.service)}**, SLO **{md_escape(pm.slo)}** ({pm.objective:g} % over {md_escape(pm.window)}).",
    ]
    if inc.peak_burn is not None:
        lines.append(
            f"Peak burn **{inc.peak_burn:.1f}x** at {_hhmm(inc.peak_at)} UTC; worst alert: {inc.alert}."
        )
    lines += ["", *_impact(pm), *_capacity(pm.release_capacity), *_timeline(pm), *_where(pm), *_narrative(pm)]
    if pm.notes:
        lines += ["", *[f"> Note: {md_escape(n, 600)}" for n in pm.notes]]
    lines += ["", "## For people", ""]
    for heading, prompt in PEOPLE_SECTIONS:
        lines += [f"### {heading}", "", f"_{prompt}_", "", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def render_json(pm: Postmortem) -> str:
    return json.dumps(pm.model_dump(mode="json"), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
