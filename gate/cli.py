"""Command line: parse options (each also read from an SLO_GATE_* variable), call app, map errors to exits.

Heavy modules (pydantic models, httpx) are imported inside the commands so `slo-gate --help` stays fast.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from gate import __version__

if TYPE_CHECKING:
    from gate.app import ChangeInput
    from gate.audit.sink import AuditSink
    from gate.change import RawChange
    from gate.metrics import MetricsSource, RecordingSource
    from gate.models import GateRun, Override
    from gate.policy import LoadedPolicy
    from gate.risk.review import RiskAdvisor

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = click.Choice(["text", "json", "markdown"])


class GateGroup(click.Group):
    """Turns GateError into a clear message and its exit code; nothing else is caught."""

    def invoke(self, ctx: click.Context) -> Any:
        from gate.errors import GateError, PolicyErrors
        from gate.report import clean

        try:
            return super().invoke(ctx)
        except PolicyErrors as exc:
            from gate.github.context import in_github_actions

            in_actions = in_github_actions(os.environ)
            for error in exc.errors:
                click.echo(f"slo-gate: {clean(str(error), 2000)}", err=True)
                if in_actions:  # an annotation on the policy file's line in the PR's Files view
                    from gate.github.actions import error_annotation

                    click.echo(
                        error_annotation(
                            f"{error.field}: {error.message}" if error.field else error.message,
                            file=error.file,
                            line=error.line,
                            title="slo-gate policy",
                        ),
                        nl=False,
                    )
            ctx.exit(exc.exit_code)
        except GateError as exc:
            click.echo(f"slo-gate: error: {clean(str(exc), 2000)}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=GateGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="slo-gate")
def main() -> None:
    """slo-gate: SLO error budgets as a deploy gate.

    Reads each service's policy, measures remaining error budget and burn rates from Prometheus,
    classifies the change's risk and passes or fails by the policy's budget tiers.

    Exit codes: 0 pass or warn, 1 fail, 2 bad input or policy, 3 inconclusive under on_inconclusive: fail.
    """


# ---- shared options ---------------------------------------------------------------------------


def policy_options(func: F) -> F:
    func = click.option(
        "--service",
        "services",
        multiple=True,
        envvar="SLO_GATE_SERVICE",
        show_envvar=True,
        help="Only this service (repeatable).",
    )(func)
    return click.option(
        "--policy",
        "-p",
        "policies",
        multiple=True,
        type=click.Path(path_type=Path),
        envvar="SLO_GATE_POLICY",
        show_envvar=True,
        help="Policy file or folder (every *.yaml/*.yml in it). Repeatable. Default: policies",
    )(func)


@dataclass(frozen=True)
class MetricsOptions:
    """Where metrics come from and when they are read: the options check and status share."""

    prometheus_url: str | None
    prometheus_headers: tuple[str, ...]
    timeout: float
    concurrency: int
    at_text: str | None
    metrics_snapshot: Path | None
    record_snapshot: Path | None


def metrics_options(func: F) -> F:
    options = [
        click.option(
            "--prometheus-url",
            envvar="SLO_GATE_PROMETHEUS_URL",
            show_envvar=True,
            help="Prometheus-compatible API base URL (Thanos, Mimir with its /prometheus prefix, VictoriaMetrics). "
            "Token: SLO_GATE_PROMETHEUS_TOKEN; basic auth: SLO_GATE_PROMETHEUS_USERNAME/_PASSWORD.",
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

    @functools.wraps(func)
    def collect(*args: Any, **kwargs: Any) -> Any:
        fields = [f.name for f in dataclasses.fields(MetricsOptions)]
        kwargs["metrics"] = MetricsOptions(**{name: kwargs.pop(name) for name in fields})
        return func(*args, **kwargs)

    wrapped: Any = collect
    for option in reversed(options):
        wrapped = option(wrapped)
    return cast(F, wrapped)


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


# ---- helpers ----------------------------------------------------------------------------------


def parse_time(text: str | None, option: str = "--at") -> float | None:
    from gate.errors import UsageError
    from gate.times import parse_time as parse

    if text is None or text == "":
        return None
    try:
        return parse(text, option)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def load_policies(paths: Sequence[Path]) -> list[LoadedPolicy]:
    from gate.policy import load_policies as load

    return load(list(paths) or [Path("policies")])


def header_pairs(options: Sequence[str]) -> tuple[tuple[str, str], ...]:
    from gate.prometheus import parse_header

    env = os.environ.get("SLO_GATE_PROMETHEUS_HEADERS", "")
    lines = [line for line in env.splitlines() if line.strip()] + list(options)
    return tuple(parse_header(line) for line in lines)


def build_source(
    url: str | None, headers: Sequence[str], timeout: float, concurrency: int, snapshot: Path | None
) -> tuple[MetricsSource, str, float | None]:
    """The metrics source, a label for reports, and the snapshot's own time if replaying one."""
    from gate.errors import UsageError

    if snapshot is not None:
        from gate.metrics import SnapshotSource

        replay = SnapshotSource.from_file(snapshot)
        return replay, f"snapshot {snapshot}", replay.snapshot.evaluated_at
    if not url:
        raise UsageError(
            "--prometheus-url (or SLO_GATE_PROMETHEUS_URL) is required, or give --metrics-snapshot"
        )
    from gate.prometheus import PrometheusClient, PrometheusSettings

    user = os.environ.get("SLO_GATE_PROMETHEUS_USERNAME")
    password = os.environ.get("SLO_GATE_PROMETHEUS_PASSWORD", "")
    settings = PrometheusSettings(
        url=url,
        token=os.environ.get("SLO_GATE_PROMETHEUS_TOKEN") or None,
        basic_auth=(user, password) if user else None,
        headers=header_pairs(headers),
        deadline=timeout,
        concurrency=concurrency,
    )
    from gate.prometheus import redact_url

    return PrometheusClient(settings), f"prometheus {redact_url(url)}", None


def policy_file_paths(policies: Sequence[LoadedPolicy]) -> tuple[str, ...]:
    """Policy paths relative to the working directory, as they appear in a diff."""
    paths = []
    for loaded in policies:
        path = Path(loaded.path)
        try:
            rel = path.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            rel = path
        paths.append(rel.as_posix())
    return tuple(paths)


def build_advisor(no_llm: bool, llm_timeout: float) -> tuple[RiskAdvisor | None, str | None]:
    """The Claude client, or None and why not. The key comes only from the environment (never argv)."""
    if no_llm:
        return None, "rules only: --no-llm given"
    from gate.llm.client import model_client_from_env
    from gate.risk.claude import ClaudeClassifier

    client, why_not = model_client_from_env(os.environ, llm_timeout)
    if client is None:
        return None, f"rules only: {why_not}"
    return ClaudeClassifier(client), None


def emit(text: str) -> None:
    click.echo(text, nl=not text.endswith("\n"))


def render(run: GateRun, output_format: str) -> str:
    from gate import report

    if output_format == "json":
        return report.render_json(run)
    if output_format == "markdown":
        return report.render_markdown(run)
    return report.render_text(run)


def select_services(loaded: Sequence[LoadedPolicy], services: Sequence[str]) -> list[LoadedPolicy]:
    from gate.errors import UsageError

    known = {p.policy.service for p in loaded}
    unknown = [s for s in services if s not in known]
    if unknown:
        raise UsageError(
            f"--service {', '.join(unknown)}: no such service in the policies ({', '.join(sorted(known))})"
        )
    return [p for p in loaded if not services or p.policy.service in services]


@contextmanager
def metrics_session(options: MetricsOptions) -> Iterator[tuple[MetricsSource, str, float]]:
    """The source, a label for reports and the run's one evaluation time; records on success."""
    source, label, snapshot_at = build_source(
        options.prometheus_url,
        options.prometheus_headers,
        options.timeout,
        options.concurrency,
        options.metrics_snapshot,
    )
    at = parse_time(options.at_text)
    if at is None:
        at = snapshot_at if snapshot_at is not None else time.time()
    recorder: RecordingSource | None = None
    if options.record_snapshot is not None:
        from gate.metrics import RecordingSource

        recorder = RecordingSource(source)
    try:
        yield (recorder or source), label, at
        if recorder is not None and options.record_snapshot is not None:
            recorder.save(
                options.record_snapshot, note=f"recorded by slo-gate {__version__} with --record-snapshot"
            )
    finally:
        close = getattr(source, "close", None)
        if callable(close):
            close()


# ---- commands ---------------------------------------------------------------------------------


@main.command()
@policy_options
@metrics_options
@click.option("--diff", "diff_path", metavar="FILE", help="Unified diff of the change ('-' reads stdin).")
@click.option(
    "--base",
    envvar="SLO_GATE_BASE",
    show_envvar=True,
    help="Base git ref: the change is `git diff BASE...HEAD`.",
)
@click.option("--head", envvar="SLO_GATE_HEAD", show_envvar=True, help="Head git ref (with --base).")
@click.option(
    "--labels", envvar="SLO_GATE_LABELS", show_envvar=True, default="", help="Comma-separated PR labels."
)
@click.option(
    "--title",
    envvar="SLO_GATE_PR_TITLE",
    show_envvar=True,
    help="PR title, for the model (in GitHub Actions: from the event).",
)
@click.option(
    "--body-file",
    metavar="FILE",
    envvar="SLO_GATE_PR_BODY_FILE",
    show_envvar=True,
    help="File holding the PR body, for the model (in GitHub Actions: from the event).",
)
@click.option(
    "--risk",
    "declared_risk",
    type=click.Choice(["low", "medium", "high"]),
    envvar="SLO_GATE_RISK",
    show_envvar=True,
    help="Declared risk: a floor the rules can only raise (for deploys without a diff).",
)
@click.option(
    "--mode",
    type=click.Choice(["enforce", "advisory"]),
    envvar="SLO_GATE_MODE",
    show_envvar=True,
    help="Override every policy's gate.mode (advisory never fails).",
)
@format_option
@click.option(
    "--report-file", type=click.Path(path_type=Path, dir_okay=False), help="Also write the JSON report here."
)
@click.option(
    "--no-llm",
    is_flag=True,
    envvar="SLO_GATE_NO_LLM",
    show_envvar=True,
    help="Rules decide alone; no model is called.",
)
@click.option(
    "--llm-timeout",
    type=click.FloatRange(min=1.0, max=600.0),
    default=60.0,
    show_default=True,
    envvar="SLO_GATE_LLM_TIMEOUT",
    show_envvar=True,
    help="Seconds to wait for the model per attempt (the SDK retries twice).",
)
@click.option(
    "--audit",
    metavar="SINK",
    envvar="SLO_GATE_AUDIT",
    show_envvar=True,
    help="Audit sink: none, git (each policy's audit.branch), git:BRANCH or file:PATH. "
    "Default: git in GitHub Actions, none elsewhere.",
)
@click.option(
    "--audit-remote",
    default="origin",
    show_default=True,
    envvar="SLO_GATE_AUDIT_REMOTE",
    show_envvar=True,
    help="Git remote the audit branch is pushed to.",
)
@click.option(
    "--audit-branch",
    metavar="BRANCH",
    envvar="SLO_GATE_AUDIT_BRANCH",
    show_envvar=True,
    help="Record on this branch (same as --audit git:BRANCH); 'none' records nothing.",
)
@click.option(
    "--comment/--no-comment",
    default=True,
    show_default=True,
    envvar="SLO_GATE_COMMENT",
    show_envvar=True,
    help="In a GitHub Actions pull-request run: upsert one PR comment per service.",
)
def check(
    policies: tuple[Path, ...],
    services: tuple[str, ...],
    metrics: MetricsOptions,
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
    no_llm: bool,
    llm_timeout: float,
    audit: str | None,
    audit_remote: str,
    audit_branch: str | None,
    comment: bool,
) -> None:
    """Measure budgets, classify the change, and pass or fail it."""
    from gate.app import CheckOptions, run_check
    from gate.audit import recorder
    from gate.change import gather_change
    from gate.errors import UsageError
    from gate.github.context import in_github_actions

    in_actions = in_github_actions(os.environ)
    if in_actions:  # secrets are masked before anything else is printed
        from gate import action

        click.echo(action.mask_secrets(os.environ), nl=False)
    if report_file is not None and not report_file.parent.is_dir():
        raise UsageError(f"--report-file {report_file}: the folder {report_file.parent} does not exist")
    loaded = load_policies(policies)
    select_services(loaded, services)
    state = client = None
    if in_actions:
        state, loaded, client = action.start(os.environ, loaded, [str(p) for p in policies])
    if mode is not None:
        loaded = [p.with_mode("advisory" if mode == "advisory" else "enforce") for p in loaded]
    if audit_branch is not None:
        if audit is not None:
            raise UsageError("give either --audit or --audit-branch, not both")
        audit = "none" if audit_branch == "none" else f"git:{audit_branch}"
    plan = recorder.plan_sinks(
        audit,
        loaded,
        in_actions=in_actions,
        remote=audit_remote,
        cwd=os.environ.get("GITHUB_WORKSPACE") if in_actions else None,
    )
    raw = gather_change(
        diff_path=diff_path,
        base=base,
        head=head,
        labels=labels,
        title=title,
        body_file=body_file,
        env=os.environ,
    )
    advisor, note = build_advisor(no_llm, llm_timeout)
    change = change_input(raw, declared_risk, loaded, note, state.verified if state is not None else {})
    with metrics_session(metrics) as (source, label, at):
        options = CheckOptions(
            at=at,
            services=tuple(services),
            concurrency=metrics.concurrency,
            metrics_source=label,
            history=recorder.history(plan),
            charts=in_actions or output_format == "markdown",
        )
        run = run_check(loaded, source, change, options, advisor)
    run = recorder.record_run(run, loaded, plan, recorder.run_context(os.environ))
    if report_file is None and in_actions:
        report_file = Path(os.environ.get("GITHUB_WORKSPACE") or ".") / "slo-gate-report.json"
    if report_file is not None:
        from gate.report import render_json

        try:
            report_file.write_text(render_json(run) + "\n", encoding="utf-8")
        except OSError as exc:  # the decision is made and recorded: report it anyway, then fail
            click.echo(f"slo-gate: error: --report-file {report_file}: {exc.strerror}", err=True)
            run = run.model_copy(update={"exit_code": max(run.exit_code, 2)})
    text = render(run, output_format)
    if state is not None:
        text = action.finish(
            run, state, os.environ, client=client, comment=comment, report_path=str(report_file), text=text
        )
    emit(text)
    sys.exit(run.exit_code)


def change_input(
    raw: RawChange,
    declared: str | None,
    loaded: Sequence[LoadedPolicy],
    llm_note: str | None,
    verified: Mapping[str, Override] | None = None,
) -> ChangeInput:
    from gate.app import ChangeInput
    from gate.models import RiskLevel
    from gate.risk.material import prepare_change

    material, parsed = prepare_change(
        raw.diff_text,
        title=raw.title,
        body=raw.body,
        labels=raw.labels,
        commits=raw.commits,
        parsed=raw.parsed,
    )
    return ChangeInput(
        diff=parsed,
        labels=raw.labels,
        declared_risk=RiskLevel(declared) if declared else None,
        policy_files=policy_file_paths(loaded),
        llm_note=llm_note,
        material=material,
        notes=raw.notes,
        verified_labels=dict(verified or {}),
    )


@main.command()
@policy_options
@metrics_options
@format_option
def status(
    policies: tuple[Path, ...], services: tuple[str, ...], metrics: MetricsOptions, output_format: str
) -> None:
    """Show budgets and burn rates for every policy (no diff, no decision)."""
    from gate import report
    from gate.app import run_status

    loaded = select_services(load_policies(policies), services)
    with metrics_session(metrics) as (source, label, at):
        budgets = run_status(loaded, source, at, concurrency=metrics.concurrency)
    if output_format == "json":
        emit(report.render_status_json(budgets, at, label))
    elif output_format == "markdown":
        emit(report.render_status_markdown(budgets, at))
    else:
        emit(report.render_status_text(budgets, at, label))
    inconclusive = any(s.status == "inconclusive" for b in budgets for s in b.slos)
    sys.exit(3 if inconclusive else 0)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check policy files and folders; report every error as FILE:LINE: field: message (exit 2)."""
    loaded = load_policies(paths)
    for policy in loaded:
        slos = ", ".join(s.name for s in policy.policy.slos)
        click.echo(f"ok  {policy.path}: service {policy.policy.service} ({slos})")
    click.echo(f"{len(loaded)} policies valid")


@main.command()
@click.option(
    "--format", "output_format", type=FORMATS, default="text", show_default=True, help="Output format."
)
def demo(output_format: str) -> None:
    """Run the real pipeline on the embedded example: three services, three budget states, no network."""
    from gate.demo import run_demo

    emit(run_demo(output_format))


# ---- audit ------------------------------------------------------------------------------------


@main.group()
def audit() -> None:
    """Read and maintain the audit log: verify, log, replay, settle, report."""


def audit_source_options(func: F) -> F:
    func = click.option(
        "--file",
        "audit_file",
        type=click.Path(path_type=Path, dir_okay=False),
        help="A local audit file (file:PATH sink).",
    )(func)
    func = click.option(
        "--remote",
        default="origin",
        show_default=True,
        envvar="SLO_GATE_AUDIT_REMOTE",
        show_envvar=True,
        help="Git remote holding the audit branch.",
    )(func)
    return click.option(
        "--branch", envvar="SLO_GATE_AUDIT_BRANCH", show_envvar=True, help="The audit branch (git sink)."
    )(func)


def open_sink(branch: str | None, remote: str, audit_file: Path | None) -> AuditSink:
    from gate.audit.sink import FileSink, GitSink
    from gate.errors import UsageError

    if (branch is None) == (audit_file is None):
        raise UsageError("give either --branch BRANCH or --file PATH")
    if audit_file is not None:
        return FileSink(audit_file)
    assert branch is not None
    return GitSink(branch, remote=remote)


def warn(message: str) -> None:
    click.echo(f"slo-gate: warning: {message}", err=True)


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

    sink = open_sink(branch, remote, audit_file)
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

    records = read_records(open_sink(branch, remote, audit_file), warn=warn)
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
    from gate.audit.recorder import read_records
    from gate.audit.replay import replay as replay_record
    from gate.errors import UsageError

    records = read_records(open_sink(branch, remote, audit_file), warn=warn)
    matches = [
        r for r in records if r.get("kind") == "decision" and str(r.get("id", "")).startswith(record_id)
    ]
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
    branch: str | None, remote: str, audit_file: Path | None, metrics: MetricsOptions, min_age: float
) -> None:
    """Measure what each passed deploy older than 24 h cost, and record it (a settlement record)."""
    import secrets

    from gate.audit.recorder import read_records
    from gate.audit.settle import deploys_to_settle
    from gate.audit.settle import settle as settle_deploy
    from gate.errors import GateError
    from gate.report import clean

    sink = open_sink(branch, remote, audit_file)
    records = read_records(sink, warn=warn)
    with metrics_session(metrics) as (source, label, at):
        pending = deploys_to_settle(records, at, min_age=min_age * 3600)
        if not pending:
            click.echo("nothing to settle")
        failed = 0
        for deploy in pending:
            try:
                body = settle_deploy(deploy, source, label, now=at, record_id=secrets.token_hex(8))
                appended = sink.append(body)
            except GateError as exc:  # one unsettleable deploy must not hold back the others
                failed += 1
                click.echo(
                    clean(f"NOT settled {deploy.get('service')} deploy {deploy.get('id')}: {exc}", 2000)
                )
                continue
            cost = body.get("cost")
            spent = "unknown (inconclusive)" if cost is None else f"{cost * 100:.2f}% of the budget"
            state = "settled" if appended.created else "already settled"
            click.echo(
                f"{state} {body['service']} deploy {body['deploy_id']} ({body['deploy_risk']}): {spent}"
                f" as seq {appended.record['seq']}"
            )
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
    from gate.audit.history import build_report, render_report
    from gate.audit.recorder import read_records
    from gate.errors import UsageError
    from gate.times import parse_since

    records = read_records(open_sink(branch, remote, audit_file), warn=warn)
    now = parse_time(at_text) or time.time()
    try:
        since_at = parse_since(since, now)
    except ValueError as exc:
        raise UsageError(f"--since: {exc}") from None
    spend: dict[str, float] | None = None
    if prometheus_url:
        from gate.audit.settle import period_spend

        source, _, _ = build_source(prometheus_url, (), 120.0, 8, None)
        spend = period_spend(records, source, since_at, now)
    emit(render_report(build_report(records, since_at, now, measured_spend=spend), output_format))


if __name__ == "__main__":  # pragma: no cover
    main()
