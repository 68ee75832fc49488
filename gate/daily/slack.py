"""PURE: the report as one Slack message (a digest): the verdict counts, every service worst first
with its SLOs, incidents and decisions, and the narrative, within Block Kit's limits
(gate.notify.blocks). Every value from outside (deploy ids, actors, the model's text) goes through
`mrkdwn`; service and SLO names too, as they reach Slack from files anyone may edit.
"""

from __future__ import annotations

from typing import Any

from gate.daily.model import VERDICTS, DailyReport, ServiceDaily
from gate.daily.render import incident_span, pct, points, spend
from gate.notify.blocks import MAX_BLOCKS, SlackMessage, context, divider, header, message, mrkdwn, section
from gate.report import fmt_burn

__all__ = ["digest"]

_EMOJI = {
    "healthy": ":large_green_circle:",
    "watch": ":large_yellow_circle:",
    "at risk": ":large_orange_circle:",
    "frozen": ":red_circle:",
}
_ORDER = {v: i for i, v in enumerate(reversed(VERDICTS))}


def _service_text(s: ServiceDaily) -> str:
    lines = [f"{_EMOJI[s.verdict]} *{mrkdwn(s.service, limit=100)}*: {s.verdict}"]
    lines += [f"> {mrkdwn(r, limit=300)}" for r in s.verdict_reasons[:3]]
    for slo in s.slos:
        if slo.status != "ok":
            lines.append(
                f"• {mrkdwn(slo.name, limit=80)}: inconclusive ({mrkdwn(slo.reason or '', limit=200)})"
            )
            continue
        lines.append(
            f"• {mrkdwn(slo.name, limit=80)}: {pct(slo.budget_remaining)} left ({points(slo.delta_24h)} in 24h), "
            f"burn 1h {fmt_burn(slo.burn_rates.get('1h'))}, alert {slo.alert}"
        )
    for i in s.incidents[:3]:
        lines.append(
            f"• incident {mrkdwn(i.slo, limit=80)} {incident_span(i)}: {spend(i.window_pct)} of the window's budget"
        )
    if s.deploys:
        lines.append(f"• decisions: {s.passed} passed, {s.failed} failed, {s.overridden} overridden")
    return "\n".join(lines)


def digest(report: DailyReport) -> SlackMessage:
    p = report.period
    counts = ", ".join(f"{report.count(v)} {v}" for v in VERDICTS)
    blocks: list[dict[str, Any]] = [
        header(f"SLO report · {p.label} to {p.end[:16].replace('T', ' ')} UTC"),
        section(" · ".join(f"{_EMOJI[v]} {report.count(v)} {v}" for v in VERDICTS)),
        section(mrkdwn(report.narrative.text, limit=2500)),
        context(
            f"narrative: {'model' if report.narrative.source == 'model' else 'facts-only'}",
            mrkdwn(report.data, limit=400),
        ),
        divider(),
    ]
    ordered = sorted(report.services, key=lambda s: (_ORDER[s.verdict], s.service))
    room = MAX_BLOCKS - len(blocks) - 1
    shown = ordered if len(ordered) <= room else ordered[: room - 1]
    blocks += [section(_service_text(s)) for s in shown]
    if len(shown) < len(ordered):
        rest = ordered[len(shown) :]
        blocks.append(
            section("Also: " + ", ".join(f"{mrkdwn(s.service, limit=60)} ({s.verdict})" for s in rest))
        )
    return message(f"SLO report {p.label} to {p.end}: {counts}", blocks)
