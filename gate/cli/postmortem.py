"""`slo-gate postmortem`: options in, `PostmortemSettings` out; gate/postmortem/command.py assembles it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

import click

from gate.cli.options import (
    POLICY_OPTION,
    audit_sink_options,
    gate_defaults_option,
    metrics_options,
    model_options,
    stacked,
)
from gate.cli.root import finish, main, runtime

if TYPE_CHECKING:
    from gate.settings import MetricsSettings, ModelSettings


@main.command()
@click.option("--service", required=True, envvar="SLO_GATE_SERVICE", show_envvar=True, help="The service.")
@POLICY_OPTION
@gate_defaults_option
@click.option("--slo", help="Only this SLO (default: the one whose incident consumed the most budget).")
@metrics_options
@click.option(
    "--from", "from_text", metavar="TIME", help="Incident start (RFC 3339 or unix seconds), with --to."
)
@click.option("--to", "to_text", metavar="TIME", help="Incident end, with --from.")
@click.option(
    "--around",
    "around_text",
    metavar="TIME",
    help="A moment in the incident: the span where a page or ticket condition held nearest to it "
    "(within 12 h), widened to where the 1-minute burn rate first and last exceeded 1x.",
)
@stacked(
    audit_sink_options(
        "SINK",
        "Where the gate's decisions are read: none, git (the policy's audit.branch), git:BRANCH or "
        "file:PATH. Default: git in GitHub Actions, none elsewhere.",
    )
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
    help="Output format (the JSON carries every number the Markdown shows).",
)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write the draft here.")
@model_options
def postmortem(
    service: str,
    policies: tuple[Path, ...],
    slo: str | None,
    metrics: MetricsSettings,
    from_text: str | None,
    to_text: str | None,
    around_text: str | None,
    audit: str | None,
    audit_remote: str,
    output_format: str,
    out: Path | None,
    model: ModelSettings,
) -> None:
    """Draft a postmortem for one incident, in budget: impact, timeline, where, release capacity."""
    from gate.postmortem.command import PostmortemSettings
    from gate.postmortem.command import postmortem as run
    from gate.settings import AuditSettings, at_option, writable_file

    settings = PostmortemSettings(
        policies=policies,
        service=service,
        slo=slo,
        metrics=metrics,
        start=at_option(from_text, "--from"),
        end=at_option(to_text, "--to"),
        around=at_option(around_text, "--around"),
        audit=AuditSettings.from_options(audit, None, audit_remote),
        model=model,
        output_format=cast("Literal['markdown', 'json']", output_format),
        out=writable_file(out, "--out"),
    )
    with runtime() as rt:
        result = run(settings, rt)
    finish(result)
