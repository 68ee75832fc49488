"""`slo-gate check`, `status`, `validate` and `demo`: options in, typed settings out, the root runs them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from gate.cli.options import (
    FORMATS,
    apply,
    audit_sink_options,
    format_option,
    gate_defaults_option,
    metrics_options,
    model_options,
    policy_options,
)
from gate.cli.root import emit, finish, main, runtime

if TYPE_CHECKING:
    from gate.settings import MetricsSettings, ModelSettings, OutputFormat

F = TypeVar("F", bound=Callable[..., Any])

_CHANGE_OPTIONS = [
    click.option("--diff", "diff_path", metavar="FILE", help="Unified diff of the change ('-' reads stdin)."),
    click.option(
        "--base",
        envvar="SLO_GATE_BASE",
        show_envvar=True,
        help="Base git ref: the change is `git diff BASE...HEAD`.",
    ),
    click.option("--head", envvar="SLO_GATE_HEAD", show_envvar=True, help="Head git ref (with --base)."),
    click.option(
        "--labels", envvar="SLO_GATE_LABELS", show_envvar=True, default="", help="Comma-separated PR labels."
    ),
    click.option(
        "--title",
        envvar="SLO_GATE_PR_TITLE",
        show_envvar=True,
        help="PR title, for the model (in GitHub Actions: from the event).",
    ),
    click.option(
        "--body-file",
        metavar="FILE",
        envvar="SLO_GATE_PR_BODY_FILE",
        show_envvar=True,
        help="File holding the PR body, for the model (in GitHub Actions: from the event).",
    ),
    click.option(
        "--risk",
        "declared_risk",
        type=click.Choice(["low", "medium", "high"]),
        envvar="SLO_GATE_RISK",
        show_envvar=True,
        help="Declared risk: a floor the rules can only raise (for deploys without a diff).",
    ),
    click.option(
        "--mode",
        type=click.Choice(["enforce", "advisory"]),
        envvar="SLO_GATE_MODE",
        show_envvar=True,
        help="Override every policy's gate.mode (advisory never fails).",
    ),
]

_RUN_OPTIONS = [
    click.option(
        "--report-file",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Also write the JSON report here.",
    ),
    *audit_sink_options(
        "SINK",
        "Audit sink: none, git (each policy's audit.branch), git:BRANCH or file:PATH. "
        "Default: git in GitHub Actions, none elsewhere.",
        "Git remote the audit branch is pushed to.",
    ),
    click.option(
        "--audit-branch",
        metavar="BRANCH",
        envvar="SLO_GATE_AUDIT_BRANCH",
        show_envvar=True,
        help="Record on this branch (same as --audit git:BRANCH); 'none' records nothing.",
    ),
    click.option(
        "--comment/--no-comment",
        default=True,
        show_default=True,
        envvar="SLO_GATE_COMMENT",
        show_envvar=True,
        help="In a GitHub Actions pull-request run: upsert one PR comment per service.",
    ),
]


def change_options(func: F) -> F:
    return apply(func, _CHANGE_OPTIONS)


def run_options(func: F) -> F:
    return apply(func, _RUN_OPTIONS)


@main.command()
@policy_options
@metrics_options
@change_options
@format_option
@model_options
@run_options
def check(
    policies: tuple[Path, ...],
    services: tuple[str, ...],
    metrics: MetricsSettings,
    diff_path: str | None,
    base: str | None,
    head: str | None,
    labels: str,
    title: str | None,
    body_file: str | None,
    declared_risk: str | None,
    mode: str | None,
    output_format: str,
    report_file: Path | None,
    model: ModelSettings,
    audit: str | None,
    audit_remote: str,
    audit_branch: str | None,
    comment: bool,
) -> None:
    """Measure budgets, classify the change, and pass or fail it."""
    from gate import compose
    from gate.change import ChangeRequest
    from gate.settings import AuditSettings, CheckSettings, Mode, Risk, writable_file

    settings = CheckSettings(
        policies=policies,
        services=services,
        metrics=metrics,
        change=ChangeRequest(diff_path, base, head, labels, title, body_file),
        # click.Choice has already limited these to the Literal values
        declared_risk=cast("Risk | None", declared_risk),
        mode=cast("Mode | None", mode),
        output_format=cast("OutputFormat", output_format),
        report_file=writable_file(report_file, "--report-file"),
        model=model,
        audit=AuditSettings.from_options(audit, audit_branch, audit_remote),
        comment=comment,
    )
    with runtime() as rt:
        result = compose.check(settings, rt)
    finish(result)


@main.command()
@policy_options
@metrics_options
@format_option
def status(
    policies: tuple[Path, ...], services: tuple[str, ...], metrics: MetricsSettings, output_format: str
) -> None:
    """Show budgets and burn rates for every policy (no diff, no decision)."""
    from gate import compose
    from gate.settings import StatusSettings

    settings = StatusSettings(policies, services, metrics, cast("OutputFormat", output_format))
    with runtime() as rt:
        result = compose.status(settings, rt)
    finish(result)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@gate_defaults_option
@click.option(
    "--prometheus-url",
    help="Also send each SLI query to this Prometheus-compatible server and report those it rejects "
    "(its version's syntax and functions). Only when given: validate is offline otherwise. Auth as for check.",
)
@click.option(
    "--prometheus-header",
    "prometheus_headers",
    multiple=True,
    metavar="'NAME: VALUE'",
    help="Extra request header with --prometheus-url, repeatable. Also SLO_GATE_PROMETHEUS_HEADERS.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Overall deadline in seconds for the queries --prometheus-url sends.",
)
def validate(
    paths: tuple[Path, ...], prometheus_url: str | None, prometheus_headers: tuple[str, ...], timeout: float
) -> None:
    """Check policy files and folders offline (schema and PromQL syntax); report every error as
    FILE:LINE: field: message (exit 2). Sloth, OpenSLO and Pyrra files are checked as what they
    import to. With --prometheus-url, the server checks each query too."""
    from gate import compose
    from gate.settings import MetricsSettings

    settings = MetricsSettings(prometheus_url=prometheus_url, headers=prometheus_headers, timeout=timeout)
    with runtime() as rt:
        result = compose.validate(paths, settings if prometheus_url else None, rt)
    finish(result)


@main.command()
@click.option(
    "--format", "output_format", type=FORMATS, default="text", show_default=True, help="Output format."
)
def demo(output_format: str) -> None:
    """Run the real pipeline on the embedded example: three services, three budget states, no network."""
    from gate.demo import run_demo

    emit(run_demo(output_format))
