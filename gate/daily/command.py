"""`slo-gate report`: settings in, the report in one format out (assembled from the Runtime's clients).

The CLI parses options into `ReportSettings`; `report(settings, rt)` loads the policies, reads the
audit log through the sinks the Runtime plans, measures through the Runtime's metrics session (a live
backend: range queries are needed), phrases the narrative with the Runtime's model client, renders,
and with `--format slack` posts the digest through the Runtime's Slack notifier.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from gate.compose import CommandResult, Runtime
    from gate.daily.model import DailyReport
    from gate.settings import AuditSettings, MetricsSettings, ModelSettings, NotifySettings

__all__ = ["ReportFormat", "ReportSettings", "render", "report"]

ReportFormat = Literal["text", "markdown", "json", "html", "slack"]


@dataclass(frozen=True)
class ReportSettings:
    policies: tuple[Path, ...]
    services: tuple[str, ...]
    metrics: MetricsSettings
    audit: AuditSettings
    model: ModelSettings
    notify: NotifySettings | None = None  # where --format slack posts
    period: float = 86400.0
    period_label: str = "24h"
    output_format: ReportFormat = "text"
    out: Path | None = None


def render(report: DailyReport, output_format: ReportFormat) -> str:
    from gate.daily import render as renderers

    if output_format == "json":
        return renderers.render_json(report)
    if output_format == "markdown":
        return renderers.render_markdown(report)
    if output_format == "html":
        from gate.daily.html import render_html

        return render_html(report)
    if output_format == "slack":
        from gate.daily.slack import digest

        return json.dumps(digest(report).payload(), indent=2, ensure_ascii=False) + "\n"
    return renderers.render_text(report)


def report(settings: ReportSettings, rt: Runtime) -> CommandResult:
    from gate.compose import CommandResult, load_selected
    from gate.daily.build import ReportRequest, build_report
    from gate.postmortem.command import audit_records, history_source, narrative_client

    loaded = load_selected(settings.policies, settings.services)
    notifier = None
    if settings.output_format == "slack":  # no destination: fail before measuring
        notifier = rt.slack(settings.notify) if settings.notify is not None else None
        if notifier is None:
            from gate.errors import UsageError

            raise UsageError(
                "--format slack needs --slack-webhook-url (SLO_GATE_SLACK_WEBHOOK_URL), or --slack-channel "
                "with a bot token in SLO_GATE_SLACK_TOKEN"
            )
    records = audit_records(rt, settings.audit, loaded)
    audit_label = _audit_label(settings.audit, rt, records)
    client, why = narrative_client(rt, settings.model, loaded)
    with rt.metrics(settings.metrics) as session:
        source = history_source(session.source, "report")
        request = ReportRequest(
            at=session.at,
            period=settings.period,
            label=settings.period_label,
            concurrency=settings.metrics.concurrency,
        )
        built = build_report(
            loaded,
            source,
            records,
            request,
            metrics_label=session.label,
            audit_label=audit_label,
            client=client,
            without_model=why,
        )
    text = render(built, settings.output_format)
    if settings.out is not None:
        try:
            settings.out.write_text(text, encoding="utf-8")
        except OSError as exc:
            from gate.errors import UsageError

            raise UsageError(f"--out {settings.out}: {exc.strerror or exc}") from None
    if notifier is not None:
        from gate.daily.slack import digest

        notifier.post(digest(built))
        return CommandResult(f"posted the {settings.period_label} report digest to Slack\n", 0)
    if settings.out is not None:
        return CommandResult(f"report written to {settings.out}\n", 0)
    return CommandResult(text, 0)


def _audit_label(audit: AuditSettings, rt: Runtime, records: Sequence[object]) -> str:
    spec = audit.spec or ("git" if rt.in_actions else "none")
    if spec == "none":
        return "no audit log (give --audit git:BRANCH or file:PATH to list deploys)"
    return f"audit log {spec} ({len(records)} records)"
