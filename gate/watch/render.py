"""PURE renderers of a watch round and of its notices: terminal text, the JSON document, the Slack
messages (first post, thread reply) and the generic webhook document.

Renderers read the models only and never recompute a number. Untrusted text (label values, PR titles,
model output, server messages in notes) reaches each sink through that sink's one escaping function:
`gate.report.clean` for the terminal (one printable line: no line can be forged, so no workflow
command either; in GitHub Actions the whole output is also printed between stop-commands markers),
`gate.notify.blocks.mrkdwn` for Slack (label values exact in code spans). JSON carries values as
they came (a JSON string cannot escape its quotes).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gate.incident.model import DeployInfo, IncidentReport, Summary, WhereLabel
from gate.models import BURN_WINDOWS
from gate.notify import blocks
from gate.notify.blocks import SlackMessage, mrkdwn
from gate.notify.notifier import Event, Notice
from gate.report import clean, fmt_burn, fmt_hours, fmt_objective, fmt_percent
from gate.times import iso
from gate.watch.result import RoundResult

__all__ = [
    "SCHEMA_VERSION",
    "incident_json",
    "notice",
    "render_json",
    "render_text",
    "slack_message",
    "slack_reply",
    "webhook_document",
]

SCHEMA_VERSION = 1
EMOJI = {"page": "🚨", "ticket": "⚠️", "resolved": "✅"}


@dataclass(frozen=True)
class Style:
    """How one sink shows untrusted values (`value`: exact, `prose`: words) and emphasis."""

    value: Callable[[str], str]
    prose: Callable[[str], str]
    bold: Callable[[str], str]


TEXT = Style(value=lambda v: '"' + clean(v, 200) + '"', prose=lambda t: clean(t, 600), bold=lambda s: s)
SLACK = Style(
    value=lambda v: mrkdwn(v, code=True, limit=200),
    prose=lambda t: mrkdwn(t, limit=600),
    bold=lambda s: f"*{s}*",
)


def clock(at: float, reference: float) -> str:
    """`14:32 UTC`, or `Oct 19 14:32 UTC` when not on the reference's UTC day."""
    moment = datetime.fromtimestamp(at, tz=UTC)
    same_day = moment.date() == datetime.fromtimestamp(reference, tz=UTC).date()
    return moment.strftime("%H:%M UTC" if same_day else "%b %d %H:%M UTC")


def title_line(report: IncidentReport, label: str) -> str:
    budget = report.budget
    return f"{label}  {report.service} · {report.slo} {fmt_objective(budget.objective)} ({budget.window})"


def severity_label(report: IncidentReport) -> str:
    if report.state == "resolved":
        return f"{EMOJI['resolved']} RESOLVED"
    return f"{EMOJI[report.severity]} {report.severity.upper()}"


# ---- lines shared by every sink -------------------------------------------------------------------


def budget_line(report: IncidentReport, style: Style) -> str:
    budget = report.budget
    if budget.status != "ok":
        return f"Measurement inconclusive: {style.prose(budget.reason or 'no reason given')}"
    allowed = (1.0 - budget.objective / 100.0) * budget.window_seconds / 60.0
    left = budget.budget_remaining
    parts = [f"{style.bold('Budget')} {fmt_percent(left)} left"]
    if left is not None and allowed > 0:
        parts[0] += f" ({left * allowed:.1f} of {allowed:.1f} min)"
    burns = [f"{fmt_burn(budget.burn_rates.get(w))} ({w})" for w in ("1h", "5m")]
    parts.append("burning " + " / ".join(burns))
    if budget.exhaustion_hours is not None:
        parts.append(
            "exhausted"
            if budget.exhaustion_hours == 0
            else f"exhausted in ~{fmt_hours(budget.exhaustion_hours)}"
        )
    return " · ".join(parts)


def since_line(report: IncidentReport, at: float, style: Style) -> str | None:
    onset = report.context.onset
    if onset is None:
        return None
    parts: list[str] = []
    verb = "paging" if report.severity == "page" else "ticket"
    if onset.onset is not None:
        lead = "Burning since" if onset.onset_exact else "Burning since before"
        parts.append(f"{style.bold(lead)} {clock(onset.onset, at)}")
    if onset.alert_since is not None:
        lead = f"{verb} since" if onset.alert_since_exact else f"{verb} since before"
        parts.append(f"{lead} {clock(onset.alert_since, at)}")
    text = ", ".join(parts)
    if onset.spent_since_onset is not None and onset.onset is not None:
        text += (
            f" · {fmt_percent(onset.spent_since_onset)} of the budget spent since {clock(onset.onset, at)}"
        )
    if onset.note:
        text += f" ({style.prose(onset.note)})"
    return text or None


def where_part(where: WhereLabel, style: Style) -> str:
    if not where.values:
        return f"{where.label}: {style.prose(where.note or 'no figures')}"
    shown = []
    for index, value in enumerate(where.values):
        text = f"{where.label}={style.value(value.value)} {fmt_percent(value.share)} of errors"
        if value.burn_rate is not None:
            text += f" ({fmt_burn(value.burn_rate)})"
        if index == 0 and where.concentrated is not None:
            text += " concentrated"
        shown.append(text)
    return ", ".join(shown)


def deploy_part(deploy: DeployInfo, at: float, style: Style) -> str:
    name = f"#{deploy.pr}" if deploy.pr is not None else "deploy"
    if deploy.title:
        name += " " + style.value(deploy.title)
    verb = "passed the gate (override)" if deploy.overridden else "passed the gate"
    details = [f"risk {deploy.risk}"] + ([f"sha {deploy.sha[:7]}"] if deploy.sha else [])
    text = f"{name} {verb} at {clock(deploy.time, at)} ({', '.join(details)})"
    return text + (" " + style.bold("correlated") if deploy.correlated else "")


def summary_lines(summary: Summary, style: Style) -> list[str]:
    return [
        f"{style.bold('Summary')} {style.prose(summary.headline)}",
        f"{style.bold('Likely cause')} {style.prose(summary.likely_cause)} (confidence {summary.confidence})",
        f"{style.bold('Next')} {style.prose(summary.recommended_action)}",
    ]


def summary_source(summary: Summary, style: Style) -> str:
    if summary.source == "model":
        used = f"summary by {summary.model}"
    else:
        used = "facts-only summary" + (f": {style.prose(summary.note)}" if summary.note else "")
    if summary.input_tokens is not None:
        cost = f", ${summary.cost_usd:.4f}" if summary.cost_usd is not None else ""
        used += f" ({summary.input_tokens} in / {summary.output_tokens or 0} out tokens{cost})"
    return used


def body_lines(report: IncidentReport, at: float, style: Style) -> list[str]:
    lines = [budget_line(report, style)]
    since = since_line(report, at, style)
    if since:
        lines.append(since)
    if report.context.where:
        lines.append(
            f"{style.bold('Where')} " + " · ".join(where_part(w, style) for w in report.context.where)
        )
    if report.context.deploys:
        shown = report.context.deploys[:5]
        lines.append(f"{style.bold('Deploys')} " + " · ".join(deploy_part(d, at, style) for d in shown))
    return lines


# ---- Slack ------------------------------------------------------------------------------------------


def _context_block(report: IncidentReport, at: float) -> dict[str, Any]:
    parts = [f"slo-gate watch · evaluated {iso(at)}"]
    if report.summary is not None:
        parts.append(summary_source(report.summary, SLACK))
    parts += [mrkdwn(note, limit=300) for note in report.context.notes[:3]]
    return blocks.context(*parts)


def slack_message(report: IncidentReport, at: float, *, more: str | None = None) -> SlackMessage:
    """The incident's main message: posted first, then updated in place as it changes."""
    items: list[dict[str, Any]] = [blocks.header(title_line(report, severity_label(report)))]
    if report.state == "resolved":
        items.append(blocks.section(resolved_line(report, at), more=more))
    items += [blocks.section(line, more=more) for line in body_lines(report, at, SLACK)]
    if report.summary is not None:
        items.append(blocks.section("\n".join(summary_lines(report.summary, SLACK)), more=more))
    items.append(_context_block(report, at))
    return blocks.message(_fallback(report), items, more=more)


def resolved_line(report: IncidentReport, at: float) -> str:
    text = f"*Resolved* at {clock(at, at)}: no page or ticket condition holds"
    if report.spent_total is not None:
        text += f" · the incident spent {fmt_percent(report.spent_total)} of the budget"
    return text


def slack_reply(report: IncidentReport, event: Event, at: float, *, more: str | None = None) -> SlackMessage:
    """What goes into the incident's thread on a later event."""
    if event == "resolved":
        first = f"{EMOJI['resolved']} {resolved_line(report, at)}"
    elif event == "escalated":
        first = f"{EMOJI['page']} *Escalated to PAGE* at {clock(at, at)}"
    else:
        first = f"{EMOJI[report.severity]} *Still firing* at {clock(at, at)}"
    items = [blocks.section(first)] + [
        blocks.section(line, more=more) for line in body_lines(report, at, SLACK)
    ]
    if report.summary is not None and event != "resolved":
        items.append(blocks.section("\n".join(summary_lines(report.summary, SLACK)), more=more))
    items.append(_context_block(report, at))
    return blocks.message(_fallback(report, event), items, more=more)


def _fallback(report: IncidentReport, event: Event | None = None) -> str:
    word = "RESOLVED" if report.state == "resolved" else report.severity.upper()
    if event == "escalated":
        word = "ESCALATED to PAGE"
    budget = report.budget
    return (
        f"{word} {report.service} {report.slo}: {fmt_percent(budget.budget_remaining)} of the budget left, "
        f"burning {fmt_burn(budget.burn_rates.get('1h'))} over 1h"
    )


def webhook_document(report: IncidentReport, event: Event, at: float) -> dict[str, Any]:
    """The generic webhook's body: the incident as `watch --format json` shows it, and the event."""
    return {
        "schema_version": SCHEMA_VERSION,
        "event": event,
        "evaluated_at": iso(at),
        "incident": incident_json(report),
    }


def notice(report: IncidentReport, event: Event, at: float, *, more: str | None = None) -> Notice:
    return Notice(
        key=report.key,
        event=event,
        message=slack_message(report, at, more=more),
        reply=slack_reply(report, event, at, more=more),
        document=webhook_document(report, event, at),
    )


# ---- JSON -------------------------------------------------------------------------------------------


def _time(value: float | None) -> str | None:
    return iso(value) if value is not None else None


def incident_json(report: IncidentReport) -> dict[str, Any]:
    budget, context = report.budget, report.context
    onset = context.onset
    summary = report.summary
    return {
        "service": report.service,
        "slo": report.slo,
        "policy": report.policy,
        "objective": budget.objective,
        "window": budget.window,
        "severity": report.severity,
        "state": report.state,
        "event": report.event,
        "opened_at": _time(report.opened_at),
        "onset": _time(onset.onset) if onset else None,
        "onset_exact": onset.onset_exact if onset else None,
        "alert_since": _time(onset.alert_since) if onset else None,
        "budget_spent_since_onset": onset.spent_since_onset if onset else None,
        "budget_spent_total": report.spent_total,
        "budget_remaining": budget.budget_remaining,
        "burn_rates": {w: budget.burn_rates.get(w) for w in BURN_WINDOWS},
        "exhaustion_hours": budget.exhaustion_hours,
        "status": budget.status,
        "reason": budget.reason,
        "where": {
            w.label: [
                {
                    "value": v.value,
                    "share": v.share,
                    "burn_rate": v.burn_rate,
                    "concentrated": w.concentrated is v,
                }
                for v in w.values
            ]
            for w in context.where
        },
        "where_notes": {w.label: w.note for w in context.where if w.note},
        "deploys": [
            {
                "pr": d.pr,
                "title": d.title,
                "sha": d.sha,
                "time": iso(d.time),
                "risk": d.risk,
                "outcome": d.outcome,
                "overridden": d.overridden,
                "correlated": d.correlated,
                "record_id": d.record_id,
            }
            for d in context.deploys
        ],
        "summary": None
        if summary is None
        else {
            "source": summary.source,
            "text": summary.text,
            "headline": summary.headline,
            "likely_cause": summary.likely_cause,
            "recommended_action": summary.recommended_action,
            "confidence": summary.confidence,
            "note": summary.note,
            "model": summary.model,
            "input_tokens": summary.input_tokens,
            "output_tokens": summary.output_tokens,
            "cost_usd": summary.cost_usd,
        },
        "notified": report.notified,
        "deliveries": [d.model_dump(mode="json") for d in report.deliveries],
        "skipped": report.skipped,
        "notes": list(context.notes),
    }


def render_json(result: RoundResult) -> str:
    tokens_in, tokens_out, cost = result.model_tokens
    document = {
        "schema_version": SCHEMA_VERSION,
        "evaluated_at": iso(result.evaluated_at),
        "metrics_source": result.metrics_source,
        "dry_run": result.dry_run,
        "state_location": result.state_location,
        "sinks": list(result.sinks),
        "slos": result.slos,
        "exit_code": result.exit_code,
        "incidents": [incident_json(report) for report in result.incidents],
        "inconclusive": [
            {"service": o.service, "slo": o.slo, "reason": o.budget.reason} for o in result.inconclusive
        ],
        "drift": [
            {
                "service": o.service,
                "slo": o.slo,
                "burn_rate_1d": o.budget.burn_rates.get("1d"),
                "budget_remaining": o.budget.budget_remaining,
            }
            for o in result.drift
        ],
        "model": {"input_tokens": tokens_in, "output_tokens": tokens_out, "cost_usd": cost},
        "notes": list(result.notes),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# ---- terminal text ----------------------------------------------------------------------------------


def _report_text(report: IncidentReport, at: float) -> list[str]:
    word = "RESOLVED" if report.state == "resolved" else report.severity.upper()
    sent = ", ".join(f"{d.sink} {'ok' if d.ok else 'FAILED'}" for d in report.deliveries)
    status = report.state + (f", {report.event} notice" if report.event else "")
    if report.deliveries:
        status += f": {sent}"
    elif report.notified:
        status += ": would be sent"
    if report.skipped:
        status += f" ({clean(report.skipped, 200)})"
    lines = [f"{title_line(report, word)}   [{status}]"]
    if report.state == "resolved":
        lines.append("  " + resolved_line(report, at).replace("*", ""))
    lines += ["  " + line for line in body_lines(report, at, TEXT)]
    if report.summary is not None:
        lines += ["  " + line for line in summary_lines(report.summary, TEXT)]
        lines.append("  (" + summary_source(report.summary, TEXT) + ")")
    lines += [f"  note: {clean(n, 300)}" for n in report.context.notes]
    lines += [f"  {d.sink}: {clean(d.error, 600)}" for d in report.deliveries if d.error]
    return lines


def render_text(result: RoundResult) -> str:
    at = result.evaluated_at
    head = f"slo-gate watch · {iso(at)} · {clean(result.metrics_source, 200)} · {result.slos} SLOs"
    incidents = [r for r in result.incidents]
    head += f" · {len(incidents)} incident{'s' if len(incidents) != 1 else ''}"
    if result.dry_run:
        head += " · dry run (nothing sent, state unchanged)"
    lines = [head]
    for report in incidents:
        lines += _report_text(report, at)
    for obs in result.inconclusive:
        lines.append(f"inconclusive: {obs.service}/{obs.slo}: {clean(obs.budget.reason or 'no reason', 500)}")
    for obs in result.drift:
        lines.append(
            f"drift: {obs.service}/{obs.slo} burning {fmt_burn(obs.budget.burn_rates.get('1d'))} over 1d "
            f"with {fmt_percent(obs.budget.budget_remaining)} of the budget left"
        )
    tokens_in, tokens_out, cost = result.model_tokens
    if tokens_in or tokens_out:
        lines.append(
            f"model: {tokens_in} input / {tokens_out} output tokens"
            + (f", ${cost:.4f}" if cost is not None else "")
        )
    lines += [f"note: {clean(n, 500)}" for n in result.notes]
    for preview in result.previews:
        lines.append(preview)
    if not incidents:
        lines.append("no incidents")
    return "\n".join(lines) + "\n"


def preview_text(message: SlackMessage, event: Event, key: str, sinks: Sequence[str]) -> str:
    """A dry run's notice as it would be sent: the Slack payload, one line of JSON (inert: a string)."""
    where = ", ".join(sinks) or "no sink configured"
    return f"would send {event} about {key} to {where}: " + json.dumps(message.payload(), ensure_ascii=True)
