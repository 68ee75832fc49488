"""`slo-gate objective`: options in, `ObjectiveSettings` out; gate/objective/command.py runs it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from gate.cli.options import format_option, model_options, policy_options, server_metrics_options
from gate.cli.root import finish, main, runtime

if TYPE_CHECKING:
    from gate.settings import MetricsSettings, ModelSettings, OutputFormat


@main.command()
@policy_options
@click.option(
    "--slo",
    envvar="SLO_GATE_SLO",
    show_envvar=True,
    help="The policy's SLO to judge (needed when it has several).",
)
@click.option(
    "--sli-error",
    metavar="QUERY",
    envvar="SLO_GATE_SLI_ERROR",
    show_envvar=True,
    help="Without a policy: PromQL counting bad events, with {{.window}} as its range.",
)
@click.option(
    "--sli-good",
    metavar="QUERY",
    envvar="SLO_GATE_SLI_GOOD",
    show_envvar=True,
    help="Without a policy: PromQL counting good events (instead of --sli-error).",
)
@click.option(
    "--sli-total",
    metavar="QUERY",
    envvar="SLO_GATE_SLI_TOTAL",
    show_envvar=True,
    help="Without a policy: PromQL counting every event, with {{.window}} as its range.",
)
@click.option(
    "--window",
    metavar="DURATION",
    envvar="SLO_GATE_OBJECTIVE_WINDOW",
    show_envvar=True,
    help="Rolling SLO window to judge over. Default: the policy's, else 30d.",
)
@click.option(
    "--latency-histogram",
    metavar="METRIC",
    envvar="SLO_GATE_LATENCY_HISTOGRAM",
    show_envvar=True,
    help='Also recommend a latency threshold from this histogram: NAME or NAME{label="value"}.',
)
@click.option(
    "--history",
    metavar="SPAN",
    envvar="SLO_GATE_OBJECTIVE_HISTORY",
    show_envvar=True,
    help="How much history to read, in whole days (e.g. 90d). Default: what the backend holds, up to 90d.",
)
@server_metrics_options
@format_option
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the document to FILE (checked before any query) and print one line instead.",
)
@model_options
def objective(
    policies: tuple[Path, ...],
    services: tuple[str, ...],
    slo: str | None,
    sli_error: str | None,
    sli_good: str | None,
    sli_total: str | None,
    window: str | None,
    latency_histogram: str | None,
    history: str | None,
    metrics: MetricsSettings,
    output_format: str,
    output: Path | None,
    model: ModelSettings,
) -> None:
    """Propose an SLO objective from the service's history, with a backtest of every candidate."""
    from gate.objective.command import ObjectiveSettings, objective
    from gate.settings import writable_file

    settings = ObjectiveSettings(
        policies=policies,
        services=services,
        slo=slo,
        error_query=sli_error,
        good_query=sli_good,
        total_query=sli_total,
        window=window,
        latency_histogram=latency_histogram,
        history=history,
        metrics=metrics,
        output_format=cast("OutputFormat", output_format),
        output=writable_file(output, "--output"),
        model=model,
    )
    with runtime() as rt:
        result = objective(settings, rt)
    finish(result)
