"""`slo-gate rules`: options in, typed settings out; gate/export/command.py writes the rules."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from gate.cli.options import policy_options
from gate.cli.root import finish, main


@main.command()
@policy_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["prometheus", "prometheus-operator"]),
    default="prometheus",
    show_default=True,
    envvar="SLO_GATE_RULES_FORMAT",
    show_envvar=True,
    help="A Prometheus rule file (groups:), or one prometheus-operator PrometheusRule per service.",
)
@click.option(
    "--compat",
    type=click.Choice(["sloth"]),
    help="Also label every series and alert the way Sloth does (sloth_id, sloth_service, sloth_slo, "
    "sloth_window, sloth_severity) and record Sloth's meta series, for dashboards made for Sloth.",
)
@click.option(
    "--out",
    type=click.Path(),
    metavar="FILE|DIR",
    help="Write to FILE, or one file per service into the folder DIR (it must exist). Default: stdout.",
)
@click.option(
    "--interval",
    default="1m",
    show_default=True,
    envvar="SLO_GATE_RULES_INTERVAL",
    show_envvar=True,
    help="Evaluation interval of the rule groups (a Prometheus duration).",
)
@click.option(
    "--runbook-url",
    envvar="SLO_GATE_RUNBOOK_URL",
    show_envvar=True,
    help="The runbook_url annotation of the alerts. Default: slo-gate's page on these rules.",
)
def rules(
    policies: tuple[Path, ...],
    services: tuple[str, ...],
    output_format: str,
    compat: str | None,
    out: str | None,
    interval: str,
    runbook_url: str | None,
) -> None:
    """Write Prometheus recording and alerting rules for the policies' SLOs: the same error ratios, and
    page/ticket alerts that fire exactly when `slo-gate check` reports them."""
    from gate.errors import UsageError
    from gate.export.command import RuleFormat, RulesSettings
    from gate.export.command import rules as run_rules
    from gate.export.rules import DOCS_URL, RuleOptions
    from gate.policy import parse_duration

    try:
        seconds = parse_duration(interval)
    except ValueError as exc:
        raise UsageError(f"--interval: {exc}") from None
    if not 1 <= seconds <= 3600:
        raise UsageError("--interval: between 1s and 1h")
    if runbook_url is not None and (
        not runbook_url.startswith(("https://", "http://")) or "\n" in runbook_url
    ):
        raise UsageError("--runbook-url: an http(s) URL")
    options = RuleOptions(
        compat_sloth=compat == "sloth", interval=interval, runbook_url=runbook_url or DOCS_URL
    )
    settings = RulesSettings(policies, services, cast("RuleFormat", output_format), options, out)
    finish(run_rules(settings))
