"""`slo-gate report`: options in, `ReportSettings` out; gate/daily/command.py assembles the report.

(Not `slo-gate audit report`, which summarises the audit log's spend over a longer period.)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from gate.cli.options import (
    audit_sink_options,
    metrics_options,
    model_options,
    policy_options,
    slack_options,
    stacked,
)
from gate.cli.root import finish, main, runtime

if TYPE_CHECKING:
    from gate.daily.command import ReportFormat
    from gate.settings import MetricsSettings, ModelSettings


@main.command()
@policy_options
@metrics_options
@click.option(
    "--period",
    default="24h",
    show_default=True,
    envvar="SLO_GATE_REPORT_PERIOD",
    show_envvar=True,
    help="The span the report covers, ending at --at: 24h for a daily report, 7d for a weekly one.",
)
@stacked(
    audit_sink_options(
        "SINK",
        "Where the gate's decisions are read: none, git (each policy's audit.branch), git:BRANCH or "
        "file:PATH. Default: git in GitHub Actions, none elsewhere.",
    )
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown", "json", "html", "slack"]),
    default="text",
    show_default=True,
    envvar="SLO_GATE_REPORT_FORMAT",
    show_envvar=True,
    help="Output format; slack posts one digest message (--slack-webhook-url, or --slack-channel with "
    "SLO_GATE_SLACK_TOKEN).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report here instead of printing it (with slack: the message's JSON).",
)
@model_options
@slack_options
def report(
    policies: tuple[Path, ...],
    services: tuple[str, ...],
    metrics: MetricsSettings,
    period: str,
    audit: str | None,
    audit_remote: str,
    output_format: str,
    out: Path | None,
    model: ModelSettings,
    slack_webhook_url: str | None,
    slack_channel: str | None,
) -> None:
    """The daily (or weekly) reliability report: verdicts, budgets, incidents, deploys, a narrative."""
    from gate.daily.command import ReportSettings
    from gate.daily.command import report as run
    from gate.errors import UsageError
    from gate.settings import AuditSettings, NotifySettings, writable_file
    from gate.times import parse_span

    try:
        seconds = parse_span(period)
    except ValueError as exc:
        raise UsageError(f"--period: {exc}") from None
    if not 3600 <= seconds <= 31 * 86400:
        raise UsageError(f"--period {period}: give a span from 1h to 31d")
    settings = ReportSettings(
        policies=policies,
        services=services,
        metrics=metrics,
        audit=AuditSettings.from_options(audit, None, audit_remote),
        model=model,
        notify=NotifySettings(
            slack_webhook_url=slack_webhook_url or None, slack_channel=slack_channel or None
        ),
        period=seconds,
        period_label=period.strip(),
        output_format=cast("ReportFormat", output_format),
        out=writable_file(out, "--out"),
    )
    with runtime() as rt:
        result = run(settings, rt)
    finish(result)
