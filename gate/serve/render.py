"""PURE: the Slack message and webhook document for one Alertmanager group, enriched per SLO.

One message per group (Alertmanager's grouping is respected): a header naming the worst severity and
the SLOs, then for each SLO the same lines `slo-gate watch` sends (budget, since when, where, deploys,
summary: gate.watch.render), then the alerts that name no SLO slo-gate knows (their labels shown as
exact values in code spans, escaped by gate.notify.blocks.mrkdwn), and a context line (receiver,
alert counts, truncation). A resolved group shows what resolved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gate.incident.model import IncidentReport
from gate.notify import blocks
from gate.notify.blocks import SlackMessage, mrkdwn
from gate.notify.notifier import Event, Notice
from gate.serve.alerts import Alert, AlertGroup
from gate.times import iso
from gate.watch.render import EMOJI, SLACK, body_lines, clock, incident_json, summary_lines, summary_source

__all__ = ["SloView", "group_notice"]

MAX_UNMATCHED = 5


@dataclass(frozen=True)
class SloView:
    """One SLO a group's alerts name: its report (None when it could not be had) or why not."""

    service: str
    slo: str
    severity: str  # page | ticket (the alert's, else the measurement's)
    alerts: int
    report: IncidentReport | None = None
    note: str | None = None


def _worst(views: Sequence[SloView], group: AlertGroup) -> str:
    if group.status == "resolved":
        return f"{EMOJI['resolved']} RESOLVED"
    if any(v.severity == "page" for v in views):
        return f"{EMOJI['page']} PAGE"
    return f"{EMOJI['ticket']} TICKET" if views else "🔔 ALERT"


def _header(views: Sequence[SloView], group: AlertGroup) -> str:
    names = ", ".join(f"{v.service} · {v.slo}" for v in views[:3])
    if len(views) > 3:
        names += f" and {len(views) - 3} more"
    if not views:
        names = f"{len(group.alerts)} alert{'s' if len(group.alerts) != 1 else ''}"
    return f"{_worst(views, group)}  {names}"


def _view_blocks(view: SloView, at: float) -> list[dict[str, Any]]:
    title = f"*{view.service} · {view.slo}* ({view.severity}, {view.alerts} alert{'s' if view.alerts != 1 else ''})"
    if view.report is None:
        return [blocks.section(f"{title}\n{mrkdwn(view.note or 'no context', limit=500)}")]
    lines = [title, *body_lines(view.report, at, SLACK)]
    items = [blocks.section("\n".join(lines))]
    if view.report.summary is not None:
        items.append(blocks.section("\n".join(summary_lines(view.report.summary, SLACK))))
    return items


def _unmatched(alerts: Sequence[Alert]) -> str:
    shown = []
    for alert in alerts[:MAX_UNMATCHED]:
        name = alert.labels.get("alertname", "alert")
        labels = ", ".join(f"{k}={mrkdwn(v, code=True, limit=80)}" for k, v in list(alert.labels.items())[:6])
        shown.append(f"{mrkdwn(name, code=True, limit=80)} {labels}")
    more = f"\n… and {len(alerts) - MAX_UNMATCHED} more" if len(alerts) > MAX_UNMATCHED else ""
    return "*Alerts naming no known SLO*\n" + "\n".join(shown) + more


def _message(
    group: AlertGroup, views: Sequence[SloView], unmatched: Sequence[Alert], at: float
) -> SlackMessage:
    items: list[dict[str, Any]] = [blocks.header(_header(views, group))]
    if group.status == "resolved":
        items.append(
            blocks.section(
                f"*Resolved* at {clock(at, at)}: Alertmanager reports every alert of this group resolved"
            )
        )
    for view in views:
        items += _view_blocks(view, at)
    if unmatched:
        items.append(blocks.section(_unmatched(unmatched)))
    context = [
        f"slo-gate serve · receiver {mrkdwn(group.receiver, code=True, limit=80)} · "
        f"{len(group.firing)} firing of {len(group.alerts)} alerts"
        + (f" ({group.truncated} more not sent by Alertmanager)" if group.truncated else ""),
        f"evaluated {iso(at)}",
    ]
    summaries = [v.report.summary for v in views if v.report is not None and v.report.summary is not None]
    if summaries:
        context.append(summary_source(summaries[0], SLACK))
    items.append(blocks.context(*context))
    word = "RESOLVED" if group.status == "resolved" else _worst(views, group).split()[-1]
    fallback = (
        f"{word} " + ", ".join(f"{v.service} {v.slo}" for v in views[:5]) if views else f"{word} alerts"
    )
    return blocks.message(fallback, items)


def group_notice(
    group: AlertGroup, views: Sequence[SloView], unmatched: Sequence[Alert], event: Event, at: float
) -> Notice:
    message = _message(group, views, unmatched, at)
    document = {
        "schema_version": 1,
        "event": event,
        "evaluated_at": iso(at),
        "group": {
            "id": group.group_id,
            "receiver": group.receiver,
            "status": group.status,
            "alerts": len(group.alerts),
            "firing": len(group.firing),
            "truncated": group.truncated,
        },
        "incidents": [incident_json(v.report) for v in views if v.report is not None],
    }
    return Notice(key=group.group_id, event=event, message=message, reply=message, document=document)
