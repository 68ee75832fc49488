"""`slo-gate audit ...`: verify, log, replay, settle and report over the audit log (a branch or a file)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gate.cli.options import audit_source_options, metrics_options
from gate.cli.root import emit, main, runtime, warn
from gate.compose import open_audit_sink

if TYPE_CHECKING:
    from gate.settings import MetricsSettings


@main.group()
def audit() -> None:
    """Read and maintain the audit log: verify, log, replay, settle, report."""


@audit.command()
@audit_source_options
@click.option(
    "--checkpoint",
    "checkpoints",
    multiple=True,
    metavar="[SERVICE:]SEQ:HASH",
    help="A record known to be in the log (from a PR comment or job summary); catches a cut tail. Repeatable.",
)
def verify(branch: str | None, remote: str, audit_file: Path | None, checkpoints: tuple[str, ...]) -> None:
    """Recompute every hash chain; exit 1 naming the first bad seq."""
    from gate.audit.chain import Checkpoint, parse_checkpoint, verify_lines
    from gate.errors import UsageError

    sink = open_audit_sink(branch, remote, audit_file)
    chains = sink.read()
    wanted: dict[str | None, list[Checkpoint]] = {}
    for text in checkpoints:
        service: str | None = None
        if text.count(":") == 2:
            service, _, text = text.partition(":")
        try:
            wanted.setdefault(service, []).append(parse_checkpoint(text))
        except ValueError as exc:
            raise UsageError(f"--checkpoint: {exc}") from None
    if audit_file is None:
        for service in (s for s in wanted if s is not None):
            if f"audit/{service}.jsonl" not in chains:
                click.echo(
                    f"BAD  audit/{service}.jsonl: a checkpoint names it, but the log has no such chain"
                )
                sys.exit(1)
    if not chains:
        if checkpoints:  # a deleted branch or file must not verify
            click.echo(f"BAD  no audit records at all, but {len(checkpoints)} checkpoint(s) say there were")
            sys.exit(1)
        click.echo("no audit records yet")
        return
    failed = False
    for name, lines in sorted(chains.items()):
        if audit_file is not None:  # one chain holds every service: every checkpoint applies to it
            points = [p for group in wanted.values() for p in group]
        else:
            service = name.removeprefix("audit/").removesuffix(".jsonl")
            points = wanted.get(service, []) + wanted.get(None, [])
        report = verify_lines(name, lines, points)
        if report.ok:
            click.echo(f"ok   {name}: {report.count} records, head {report.head}")
        else:
            failed = True
            click.echo(f"BAD  {name}: seq {report.bad_seq}: {report.problem}")
    sys.exit(1 if failed else 0)


@audit.command(name="log")
@audit_source_options
@click.option("--service", help="Only this service.")
@click.option("--since", metavar="WHEN", help="Only records since: 90d, 12h, 2w or an ISO date.")
@click.option(
    "--decision", type=click.Choice(["pass", "warn", "fail", "inconclusive"]), help="Only this outcome."
)
@click.option("--pr", type=int, help="Only this pull request.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
    help="Output format.",
)
def audit_log(
    branch: str | None,
    remote: str,
    audit_file: Path | None,
    service: str | None,
    since: str | None,
    decision: str | None,
    pr: int | None,
    output_format: str,
) -> None:
    """List audit records, filtered."""
    from gate.audit.history import LogFilter, log_rows, render_log
    from gate.audit.recorder import read_records
    from gate.errors import UsageError
    from gate.times import parse_since

    records = read_records(open_audit_sink(branch, remote, audit_file), warn=warn)
    try:
        since_at = parse_since(since, time.time()) if since else None
    except ValueError as exc:
        raise UsageError(f"--since: {exc}") from None
    rows = log_rows(records, LogFilter(service=service, since=since_at, decision=decision, pr=pr))
    emit(render_log(rows, output_format))


@audit.command()
@audit_source_options
@click.argument("record_id")
def replay(branch: str | None, remote: str, audit_file: Path | None, record_id: str) -> None:
    """Re-run a recorded decision offline; exit 1 if today's code decides differently."""
    from gate.audit.record import DecisionRecord
    from gate.audit.recorder import read_records
    from gate.audit.replay import replay as replay_record
    from gate.errors import UsageError

    records = read_records(open_audit_sink(branch, remote, audit_file), warn=warn)
    matches = [r for r in records if isinstance(r, DecisionRecord) and r.id.startswith(record_id)]
    if len(matches) != 1:
        found = "no decision record" if not matches else f"{len(matches)} decision records"
        raise UsageError(f"{found} with id {record_id!r}")
    result = replay_record(matches[0])
    if result.same:
        click.echo(
            f"same verdict: {result.service} {result.record_id} was {result.recorded}, replayed {result.replayed}"
        )
        return
    click.echo(
        f"DIFFERENT: {result.service} {result.record_id} was {result.recorded}, replayed {result.replayed}"
    )
    for difference in result.differences:
        click.echo(f"  - {difference}")
    sys.exit(1)


@audit.command()
@audit_source_options
@metrics_options
@click.option(
    "--min-age",
    type=click.FloatRange(min=24.0),
    default=24.0,
    show_default=True,
    help="Hours a deploy must be old (at least 24: its 24 h window must be over).",
)
def settle(
    branch: str | None, remote: str, audit_file: Path | None, metrics: MetricsSettings, min_age: float
) -> None:
    """Measure what each passed deploy older than 24 h cost, and record it (a settlement record)."""
    import secrets

    from gate.audit.recorder import read_records
    from gate.audit.settle import deploys_to_settle
    from gate.audit.settle import settle as settle_deploy
    from gate.errors import GateError
    from gate.report import clean

    sink = open_audit_sink(branch, remote, audit_file)
    records = read_records(sink, warn=warn)
    with runtime() as rt, rt.metrics(metrics) as session:
        source, label, at = session.source, session.label, session.at
        pending = deploys_to_settle(records, at, min_age=min_age * 3600)
        if not pending:
            click.echo("nothing to settle")
        failed = 0
        for deploy in pending:
            try:
                record = settle_deploy(deploy, source, label, now=at, record_id=secrets.token_hex(8))
                appended = sink.append(record)
            except GateError as exc:  # one unsettleable deploy must not hold back the others
                failed += 1
                click.echo(clean(f"NOT settled {deploy.service} deploy {deploy.id}: {exc}", 2000))
                continue
            cost = record.cost
            spent = "unknown (inconclusive)" if cost is None else f"{cost * 100:.2f}% of the budget"
            state = "settled" if appended.created else "already settled"
            line = f"{state} {record.service} deploy {record.deploy_id} ({record.deploy_risk.value}): {spent}"
            click.echo(clean(f"{line} as seq {appended.record.seq}", 2000))
    sys.exit(1 if failed else 0)


@audit.command()
@audit_source_options
@click.option(
    "--since", default="90d", show_default=True, metavar="WHEN", help="Period start: 90d, 2w or an ISO date."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--at", "at_text", metavar="TIME", help="End of the period (RFC 3339 or unix seconds; default now)."
)
@click.option(
    "--prometheus-url",
    envvar="SLO_GATE_PROMETHEUS_URL",
    show_envvar=True,
    help="Also measure each service's whole spend over the period (for burn no deploy explains).",
)
def report(
    branch: str | None,
    remote: str,
    audit_file: Path | None,
    since: str,
    output_format: str,
    at_text: str | None,
    prometheus_url: str | None,
) -> None:
    """How the budget was spent: per deploy, per risk level, overrides, burn no deploy explains."""
    from gate.audit.recorder import read_records
    from gate.audit.spending import build_report, render_report
    from gate.errors import UsageError
    from gate.settings import at_option
    from gate.times import iso, parse_since

    records = read_records(open_audit_sink(branch, remote, audit_file), warn=warn)
    now = at_option(at_text) or time.time()
    try:
        since_at = parse_since(since, now)
    except ValueError as exc:
        raise UsageError(f"--since: {exc}") from None
    if since_at >= now:
        raise UsageError(f"--since {since}: the period must start before its end ({iso(now)})")
    spend: dict[str, float] | None = None
    if prometheus_url:
        from gate.audit.settle import period_spend
        from gate.settings import MetricsSettings

        with runtime() as rt:
            source, _, _ = rt.metrics_source(MetricsSettings(prometheus_url=prometheus_url))
            spend = period_spend(records, source, since_at, now)
    emit(render_report(build_report(records, since_at, now, measured_spend=spend), output_format))
