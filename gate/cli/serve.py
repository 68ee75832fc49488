"""`slo-gate serve`: the Alertmanager webhook receiver. Options in, typed settings out; starlette and
uvicorn are imported only when the command runs (the optional extra `slo-gate[serve]`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gate.cli.options import metrics_options, policy_options
from gate.cli.root import long_running, main, runtime
from gate.cli.watch import notify_options, notify_settings

if TYPE_CHECKING:
    from gate.settings import MetricsSettings, ModelSettings


@main.command()
@policy_options
@metrics_options
@click.option(
    "--listen",
    default="127.0.0.1:9095",
    show_default=True,
    metavar="HOST:PORT",
    envvar="SLO_GATE_LISTEN",
    show_envvar=True,
    help="Address to listen on (0.0.0.0:9095 inside a container).",
)
@click.option(
    "--queue-size",
    type=click.IntRange(1, 100_000),
    default=100,
    show_default=True,
    envvar="SLO_GATE_QUEUE_SIZE",
    show_envvar=True,
    help="Alert groups waiting to be handled; past it the receiver answers 503 and Alertmanager retries.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    envvar="SLO_GATE_WORKERS",
    show_envvar=True,
    help="Groups handled at once (one group's notifications always in order).",
)
@notify_options
def serve(
    policies: tuple[Path, ...],
    services: tuple[str, ...],
    metrics: MetricsSettings,
    listen: str,
    queue_size: int,
    workers: int,
    slack_webhook_url: str | None,
    slack_channel: str | None,
    notify_webhook: str | None,
    audit: str | None,
    audit_remote: str,
    state: str | None,
    model: ModelSettings,
    dry_run: bool,
) -> None:
    """Receive Alertmanager's webhook (payload v4) and post each burn-alert group to Slack, enriched
    with onset, where, deploys and a summary. Bearer token: SLO_GATE_RECEIVER_TOKEN."""
    from gate.serve import command
    from gate.watch.settings import ServeSettings, parse_listen, parse_sink

    settings = ServeSettings(
        policies=policies,
        services=services,
        metrics=metrics,
        notify=notify_settings(slack_webhook_url, slack_channel, notify_webhook),
        model=model,
        listen=parse_listen(listen),
        audit=parse_sink(audit, "--audit"),
        audit_remote=audit_remote,
        state=parse_sink(state, "--state"),
        queue_size=queue_size,
        workers=workers,
        dry_run=dry_run,
    )
    long_running()
    with runtime() as rt:
        result = command.serve(settings, rt)
    sys.exit(result.exit_code)  # the receiver logs as it goes; nothing is left to print
