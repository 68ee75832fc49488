"""`slo-gate watch`: options in, typed settings out (gate.watch.settings), the composition root runs it.

The notification, state and model options are shared with `slo-gate serve` (gate/cli/serve.py).
Secrets are never options: the Slack bot token comes from SLO_GATE_SLACK_TOKEN only; webhook URLs
are credentials too and are best given through their variables (the options are for local use).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from gate.cli.options import (
    SLACK_OPTIONS,
    apply,
    audit_sink_options,
    metrics_options,
    model_options,
    policy_options,
)
from gate.cli.root import emit, finish, long_running, main, runtime

if TYPE_CHECKING:
    from gate.settings import MetricsSettings, ModelSettings, NotifySettings

F = TypeVar("F", bound=Callable[..., Any])

_NOTIFY_OPTIONS = [
    *SLACK_OPTIONS,
    click.option(
        "--notify-webhook",
        metavar="URL",
        envvar="SLO_GATE_NOTIFY_WEBHOOK",
        show_envvar=True,
        help="Also POST each notice as JSON to this URL (a credential: prefer the variable).",
    ),
    *audit_sink_options(
        "git:BRANCH|file:PATH",
        "The audit log the gate writes: deploys around an onset come from it; the state is kept "
        "beside it unless --state says otherwise.",
        "Git remote holding the audit branch (and a git: state).",
    ),
    click.option(
        "--state",
        metavar="file:PATH|git:BRANCH",
        envvar="SLO_GATE_STATE",
        show_envvar=True,
        help="Where incident state lives between runs (git: watch/state.json on BRANCH).",
    ),
    click.option(
        "--dry-run",
        is_flag=True,
        envvar="SLO_GATE_DRY_RUN",
        show_envvar=True,
        help="Print the messages instead of sending them; the state is not written.",
    ),
]


def notify_options(func: F) -> F:
    """Where notifications go and where state lives, plus the model's options (`model=`)."""
    return model_options(apply(func, _NOTIFY_OPTIONS))


def notify_settings(
    slack_webhook_url: str | None, slack_channel: str | None, notify_webhook: str | None
) -> NotifySettings:
    from gate.settings import NotifySettings

    return NotifySettings(
        slack_webhook_url=slack_webhook_url or None,
        slack_channel=slack_channel or None,
        notify_webhook=notify_webhook or None,
    )


@main.command()
@policy_options
@metrics_options
@click.option(
    "--once", is_flag=True, help="Run one round and exit (cron, Kubernetes CronJob, GitHub schedule:)."
)
@click.option(
    "--every",
    metavar="DURATION",
    envvar="SLO_GATE_WATCH_EVERY",
    show_envvar=True,
    help="Run a round every DURATION (30s, 1m, 5m) until SIGTERM, which ends the round and exits 0.",
)
@click.option(
    "--rounds",
    type=click.IntRange(min=1),
    help="With --every: stop after this many rounds.",
)
@click.option(
    "--repeat-interval",
    default="4h",
    show_default=True,
    envvar="SLO_GATE_REPEAT_INTERVAL",
    show_envvar=True,
    metavar="DURATION",
    help="Tell a team again about an incident still firing after this long.",
)
@notify_options
@click.option(
    "--postmortem-out",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="SLO_GATE_POSTMORTEM_OUT",
    show_envvar=True,
    help="Write the postmortem drafts of resolved incidents that crossed the policy's "
    "postmortem.required_above here (in GitHub Actions with a token they open as issues instead).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    envvar="SLO_GATE_FORMAT",
    show_envvar=True,
    help="Output format.",
)
def watch(
    policies: tuple[Path, ...],
    services: tuple[str, ...],
    metrics: MetricsSettings,
    once: bool,
    every: str | None,
    rounds: int | None,
    repeat_interval: str,
    slack_webhook_url: str | None,
    slack_channel: str | None,
    notify_webhook: str | None,
    audit: str | None,
    audit_remote: str,
    state: str | None,
    model: ModelSettings,
    dry_run: bool,
    postmortem_out: Path | None,
    output_format: str,
) -> None:
    """Watch SLO burn: notify once per incident (with onset, where, deploys and a summary), by
    Slack or webhook, from a scheduled job (--once) or as a long-running process (--every).

    Exit codes: 0 measured and delivered, 1 a notification could not be delivered, 2 bad input,
    3 a measurement was inconclusive."""
    from gate.errors import UsageError
    from gate.watch import command
    from gate.watch.settings import WatchFormat, WatchSettings, parse_sink, span_option

    if once == (every is not None):
        raise UsageError("give exactly one of --once (one round) or --every DURATION (until stopped)")
    if rounds is not None and every is None:
        raise UsageError("--rounds goes with --every")
    if postmortem_out is not None and not postmortem_out.is_dir():
        raise UsageError(f"--postmortem-out {postmortem_out}: no such folder")
    settings = WatchSettings(
        policies=policies,
        services=services,
        metrics=metrics,
        notify=notify_settings(slack_webhook_url, slack_channel, notify_webhook),
        model=model,
        audit=parse_sink(audit, "--audit"),
        audit_remote=audit_remote,
        state=parse_sink(state, "--state"),
        once=once,
        every=span_option(every, "--every") if every is not None else None,
        rounds=rounds,
        repeat_interval=span_option(repeat_interval, "--repeat-interval"),
        dry_run=dry_run,
        output_format=cast("WatchFormat", output_format),
        postmortem_out=postmortem_out,
    )
    if every is not None:
        long_running()
    with runtime() as rt:
        result = command.watch(settings, rt, emit=emit)
    if not result.text:  # --every printed each round as it ended
        sys.exit(result.exit_code)
    finish(result)
