"""Option groups shared by several commands, each collected into one typed settings value.

Every option can also come from an SLO_GATE_* variable (shown in --help). Secrets are never
options: tokens and passwords are read from the environment by the composition root.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import click

__all__ = [
    "FORMATS",
    "POLICY_OPTION",
    "SLACK_OPTIONS",
    "apply",
    "audit_sink_options",
    "audit_source_options",
    "format_option",
    "gate_defaults_option",
    "metrics_options",
    "model_options",
    "policy_options",
    "server_metrics_options",
    "slack_options",
    "stacked",
]

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = click.Choice(["text", "json", "markdown"])


def apply(func: F, options: list[Callable[[Any], Any]]) -> F:
    wrapped: Any = func
    for option in reversed(options):
        wrapped = option(wrapped)
    return cast(F, wrapped)


def stacked(options: list[Callable[[Any], Any]]) -> Callable[[F], F]:
    """A decorator applying `options` in order, for a list shared as `@stacked(...)`."""
    return lambda func: apply(func, options)


GATE_DEFAULTS_HELP = (
    "Gate settings (gate:, audit:, prometheus:, paths:, adjustments:, slo_defaults:) for Sloth, OpenSLO "
    "and Pyrra files given as policies; on a pull request read from its base commit."
)


def gate_defaults_option(func: F) -> F:
    """`--gate-defaults FILE`: the overlay imported specs take their gate settings from, for the whole
    command (gate.policy_load.gate_defaults_file); the command itself never sees the option."""

    @functools.wraps(func)
    def scoped(*args: Any, **kwargs: Any) -> Any:
        from gate.policy_load import gate_defaults_file

        with gate_defaults_file(kwargs.pop("gate_defaults")):
            return func(*args, **kwargs)

    return click.option(
        "--gate-defaults",
        "gate_defaults",
        type=click.Path(path_type=Path, dir_okay=False),
        envvar="SLO_GATE_GATE_DEFAULTS",
        show_envvar=True,
        help=GATE_DEFAULTS_HELP,
    )(cast(F, scoped))


POLICY_OPTION = click.option(
    "--policy",
    "-p",
    "policies",
    multiple=True,
    type=click.Path(path_type=Path),
    envvar="SLO_GATE_POLICY",
    show_envvar=True,
    help="Policy file or folder (every *.yaml/*.yml in it). Repeatable. Default: policies",
)


def policy_options(func: F) -> F:
    """`--policy` (repeatable), `--service` (repeatable) and `--gate-defaults`."""
    return apply(
        gate_defaults_option(func),
        [
            POLICY_OPTION,
            click.option(
                "--service",
                "services",
                multiple=True,
                envvar="SLO_GATE_SERVICE",
                show_envvar=True,
                help="Only this service (repeatable).",
            ),
        ],
    )


_METRICS_FIELDS = (
    "prometheus_url",
    "prometheus_headers",
    "timeout",
    "concurrency",
    "at_text",
    "metrics_snapshot",
    "record_snapshot",
    "use_recorded",
)


_SERVER_OPTIONS = [
    click.option(
        "--prometheus-url",
        envvar="SLO_GATE_PROMETHEUS_URL",
        show_envvar=True,
        help="Prometheus-compatible API base URL (Thanos, Mimir with its /prometheus prefix, "
        "VictoriaMetrics). Token: SLO_GATE_PROMETHEUS_TOKEN; basic auth: "
        "SLO_GATE_PROMETHEUS_USERNAME/_PASSWORD.",
    ),
    click.option(
        "--prometheus-header",
        "prometheus_headers",
        multiple=True,
        metavar="'NAME: VALUE'",
        help="Extra request header, repeatable. Also SLO_GATE_PROMETHEUS_HEADERS, one per line.",
    ),
    click.option(
        "--timeout",
        type=click.FloatRange(min=1),
        default=120.0,
        show_default=True,
        envvar="SLO_GATE_TIMEOUT",
        show_envvar=True,
        help="Overall deadline in seconds for all metric queries.",
    ),
    click.option(
        "--concurrency",
        type=click.IntRange(1, 64),
        default=8,
        show_default=True,
        envvar="SLO_GATE_CONCURRENCY",
        show_envvar=True,
        help="Queries in flight at once.",
    ),
    click.option(
        "--at",
        "at_text",
        envvar="SLO_GATE_AT",
        show_envvar=True,
        metavar="TIME",
        help="Evaluation time for every query (RFC 3339 or unix seconds). Default: now, "
        "or the snapshot's time with --metrics-snapshot.",
    ),
    click.option(
        "--use-recorded",
        is_flag=True,
        envvar="SLO_GATE_USE_RECORDED",
        show_envvar=True,
        help="Read the series `slo-gate rules` records instead of raw counters, for every SLO "
        "(per SLO: sli.recorded: true); raw queries, with the reason, where they are absent or stale.",
    ),
]

_SNAPSHOT_OPTIONS = [
    click.option(
        "--metrics-snapshot",
        type=click.Path(path_type=Path, dir_okay=False),
        envvar="SLO_GATE_METRICS_SNAPSHOT",
        show_envvar=True,
        help="Replay a snapshot recorded with --record-snapshot instead of querying Prometheus.",
    ),
    click.option(
        "--record-snapshot",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Write every query answer of this run to FILE (replay it with --metrics-snapshot).",
    ),
]


def _collect_metrics(func: F) -> F:
    """Gather the metrics options the command has into one `metrics=MetricsSettings` argument."""

    @functools.wraps(func)
    def collect(*args: Any, **kwargs: Any) -> Any:
        from gate.settings import MetricsSettings

        given = {name: kwargs.pop(name, None) for name in _METRICS_FIELDS}
        kwargs["metrics"] = MetricsSettings.from_options(
            prometheus_url=given["prometheus_url"],
            headers=given["prometheus_headers"],
            timeout=given["timeout"],
            concurrency=given["concurrency"],
            at_text=given["at_text"],
            snapshot=given["metrics_snapshot"],
            record_snapshot=given["record_snapshot"],
            use_recorded=bool(given["use_recorded"]),
        )
        return func(*args, **kwargs)

    return cast(F, collect)


def metrics_options(func: F) -> F:
    """The options of gate.settings.MetricsSettings; the command receives `metrics=MetricsSettings`."""
    return apply(_collect_metrics(func), [*_SERVER_OPTIONS, *_SNAPSHOT_OPTIONS])


def server_metrics_options(func: F) -> F:
    """The metrics options without snapshots, for commands that need range queries (a snapshot holds
    instant answers only); the command receives `metrics=MetricsSettings`."""
    return apply(_collect_metrics(func), _SERVER_OPTIONS)


def format_option(func: F) -> F:
    return click.option(
        "--format",
        "output_format",
        type=FORMATS,
        default="text",
        show_default=True,
        envvar="SLO_GATE_FORMAT",
        show_envvar=True,
        help="Output format.",
    )(func)


def model_options(func: F) -> F:
    """`--no-llm` and `--llm-timeout`; the command receives `model=ModelSettings` (gate.settings)."""

    @functools.wraps(func)
    def collect(*args: Any, **kwargs: Any) -> Any:
        from gate.settings import ModelSettings

        no_llm, timeout = kwargs.pop("no_llm"), kwargs.pop("llm_timeout")
        kwargs["model"] = ModelSettings(enabled=not no_llm, timeout=timeout)
        return func(*args, **kwargs)

    return apply(
        cast(F, collect),
        [
            click.option(
                "--no-llm",
                is_flag=True,
                envvar="SLO_GATE_NO_LLM",
                show_envvar=True,
                help="No model is called: rules and facts-only text.",
            ),
            click.option(
                "--llm-timeout",
                type=click.FloatRange(min=1.0, max=600.0),
                default=60.0,
                show_default=True,
                envvar="SLO_GATE_LLM_TIMEOUT",
                show_envvar=True,
                help="Seconds to wait for the model per attempt (the SDK retries twice).",
            ),
        ],
    )


# Where Slack messages go (watch, serve, report --format slack). The bot token is never an option.
SLACK_OPTIONS = [
    click.option(
        "--slack-webhook-url",
        metavar="URL",
        envvar="SLO_GATE_SLACK_WEBHOOK_URL",
        show_envvar=True,
        help="Slack incoming webhook (a credential: prefer the variable). No threads or updates.",
    ),
    click.option(
        "--slack-channel",
        metavar="CHANNEL",
        envvar="SLO_GATE_SLACK_CHANNEL",
        show_envvar=True,
        help="Post with a bot token (SLO_GATE_SLACK_TOKEN, never an option) to this channel id or #name; "
        "an incident's later notices go into its thread and update its first message.",
    ),
]


def slack_options(func: F) -> F:
    """`--slack-webhook-url` and `--slack-channel` (raw values; the Runtime builds the client)."""
    return apply(func, SLACK_OPTIONS)


def audit_sink_options(
    metavar: str, audit_help: str, remote_help: str = "Git remote holding the audit branch."
) -> list[Callable[[Any], Any]]:
    """`--audit SINK` and `--audit-remote R` (raw values; AuditSettings.from_options reads them).

    Commands differ only in what the sink is for, so they pass their own help texts.
    """
    return [
        click.option("--audit", metavar=metavar, envvar="SLO_GATE_AUDIT", show_envvar=True, help=audit_help),
        click.option(
            "--audit-remote",
            default="origin",
            show_default=True,
            envvar="SLO_GATE_AUDIT_REMOTE",
            show_envvar=True,
            help=remote_help,
        ),
    ]


def audit_source_options(func: F) -> F:
    """Where `audit` subcommands read: `--branch B [--remote R]` or `--file PATH`."""
    return apply(
        func,
        [
            click.option(
                "--branch",
                envvar="SLO_GATE_AUDIT_BRANCH",
                show_envvar=True,
                help="The audit branch (git sink).",
            ),
            click.option(
                "--remote",
                default="origin",
                show_default=True,
                envvar="SLO_GATE_AUDIT_REMOTE",
                show_envvar=True,
                help="Git remote holding the audit branch.",
            ),
            click.option(
                "--file",
                "audit_file",
                type=click.Path(path_type=Path, dir_okay=False),
                help="A local audit file (file:PATH sink).",
            ),
        ],
    )
