"""The composition root: the one place clients are built and a command's run is assembled.

The CLI hands in typed settings (gate/settings.py) and the process environment; `Runtime` builds
each client at most once per process — the metrics source (Prometheus or a recorded snapshot), the
GitHub client (one for the whole run: the Actions edge, the change collector and comments share it),
the model advisor, the audit sinks — and the command functions (`check`, `status`) wire them into
gate.app's run. No stage builds a client and no stage reads the environment; secrets are read here,
from the environment only (never argv), and never stored in settings, reports or records.

Commands return a `CommandResult` (the text to print and the exit code); only gate/cli.py prints it
and exits. `Runtime.say` prints what must come first (Actions' `::add-mask::` lines); `Runtime.warn` warns.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gate import __version__
from gate.errors import UsageError

if TYPE_CHECKING:
    from gate.app import ChangeInput
    from gate.audit.record import AuditRecord
    from gate.audit.recorder import SinkPlan
    from gate.audit.sink import AuditSink
    from gate.change import ChangeRequest, RawChange
    from gate.github.api import GitHubClient
    from gate.github.context import GitHubContext
    from gate.incident.store import IncidentStore
    from gate.llm.client import ModelClient
    from gate.metrics import MetricsSource
    from gate.models import GateRun, Override, ServiceBudget
    from gate.notify.notifier import Notifier
    from gate.notify.slack import SlackNotifier
    from gate.notify.webhook import JsonWebhook
    from gate.policy import LoadedPolicy
    from gate.prometheus import PrometheusClient
    from gate.risk.review import RiskAdvisor
    from gate.settings import (
        AuditSettings,
        CheckSettings,
        MetricsSettings,
        ModelSettings,
        NotifySettings,
        StatusSettings,
    )
    from gate.watch.settings import StoreSpec

__all__ = [
    "CommandResult",
    "MetricsSession",
    "Runtime",
    "check",
    "collect_change",
    "load_all",
    "load_selected",
    "open_audit_sink",
    "status",
    "validate",
]

DEFAULT_POLICY_PATH = Path("policies")


@dataclass(frozen=True)
class CommandResult:
    text: str
    exit_code: int


@dataclass(frozen=True)
class MetricsSession:
    """The run's metrics source, a label for reports (no credentials) and its one evaluation time."""

    source: MetricsSource
    label: str
    at: float


class Runtime:
    """Builds and owns the clients of one command; `close()` releases them."""

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        say: Callable[[str], None] = lambda text: None,
        warn: Callable[[str], None] = lambda text: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.env = env
        self.say = say  # output that must come first (Actions' ::add-mask:: lines), to stdout
        self.warn = warn  # a problem that does not stop the command, to stderr
        self.clock = clock
        self._github: GitHubClient | None = None
        self._github_built = False
        self._context: GitHubContext | None = None
        self._context_read = False
        self._model: ModelClient | None = None
        self._model_why: str | None = None
        self._model_built = False
        self._closers: list[Callable[[], None]] = []

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()

    # -- where we run ----------------------------------------------------------------------------
    @property
    def in_actions(self) -> bool:
        from gate.github.context import in_github_actions

        return in_github_actions(self.env)

    def github_context(self) -> GitHubContext | None:
        if not self._context_read:
            from gate.github.context import GitHubContext

            self._context = GitHubContext.from_env(self.env)
            self._context_read = True
        return self._context

    # -- clients ---------------------------------------------------------------------------------
    def github(self) -> GitHubClient | None:
        """The run's one GitHub client (None without a token)."""
        if not self._github_built:
            self._github_built = True
            token = self.env.get("SLO_GATE_GITHUB_TOKEN") or self.env.get("GITHUB_TOKEN") or None
            if token:
                from gate.github.api import GitHubClient

                context = self.github_context()
                api_url = context.api_url if context is not None else "https://api.github.com"
                self._github = GitHubClient(token, api_url=api_url)
                self._closers.append(self._github.close)
        return self._github

    def model(self, settings: ModelSettings) -> tuple[ModelClient | None, str]:
        """The run's one model client, or None and why not (`--no-llm`, no key). The key comes only
        from the environment. Risk classification and every model-phrased text share it."""
        if not settings.enabled:
            return None, "--no-llm given"
        if not self._model_built:
            from gate.llm.client import model_client_from_env

            self._model, self._model_why = model_client_from_env(self.env, settings.timeout)
            self._model_built = True
        return self._model, self._model_why or ""

    def advisor(self, settings: ModelSettings) -> tuple[RiskAdvisor | None, str | None]:
        """The risk classifier on the run's model client, or None and the report's note."""
        client, why = self.model(settings)
        if client is None:
            return None, f"rules only: {why}"
        from gate.risk.claude import ClaudeClassifier

        return ClaudeClassifier(client), None

    def metrics_source(self, settings: MetricsSettings) -> tuple[MetricsSource, str, float | None]:
        """The source, a label for reports, and a replayed snapshot's own time."""
        if settings.snapshot is not None:
            from gate.metrics import SnapshotSource
            from gate.times import check_unix

            replay = SnapshotSource.from_file(settings.snapshot)
            try:
                at = check_unix(replay.snapshot.evaluated_at, f"{settings.snapshot}: evaluated_at")
            except ValueError as exc:
                raise UsageError(str(exc)) from None
            return replay, f"snapshot {settings.snapshot}", at
        client, label = self._prometheus(settings)
        self._closers.append(client.close)
        return client, label, None

    def _prometheus(self, settings: MetricsSettings) -> tuple[PrometheusClient, str]:
        """A Prometheus client whose --timeout deadline starts now, and its label (no credentials)."""
        if not settings.prometheus_url:
            raise UsageError(
                "--prometheus-url (or SLO_GATE_PROMETHEUS_URL) is required, or give --metrics-snapshot"
            )
        from gate.prometheus import PrometheusClient, PrometheusSettings, parse_header, redact_url

        lines = [
            line for line in self.env.get("SLO_GATE_PROMETHEUS_HEADERS", "").splitlines() if line.strip()
        ]
        user = self.env.get("SLO_GATE_PROMETHEUS_USERNAME")
        client = PrometheusClient(
            PrometheusSettings(
                url=settings.prometheus_url,
                token=self.env.get("SLO_GATE_PROMETHEUS_TOKEN") or None,
                basic_auth=(user, self.env.get("SLO_GATE_PROMETHEUS_PASSWORD", "")) if user else None,
                headers=tuple(parse_header(line) for line in [*lines, *settings.headers]),
                deadline=settings.timeout,
                concurrency=settings.concurrency,
            )
        )
        return client, f"prometheus {redact_url(settings.prometheus_url)}"

    def metrics_label(self, settings: MetricsSettings) -> str:
        """How reports name the metrics source (no credentials)."""
        if settings.snapshot is not None:
            return f"snapshot {settings.snapshot}"
        from gate.prometheus import redact_url

        return f"prometheus {redact_url(settings.prometheus_url or '')}"

    @contextmanager
    def metrics_round(self, settings: MetricsSettings) -> Iterator[MetricsSource]:
        """The source for one round of a long-running command (watch --every, serve): a Prometheus
        client whose --timeout deadline covers this round only, closed when the round ends (a
        snapshot is shared: it has no deadline)."""
        if settings.snapshot is not None:
            source, _, _ = self.metrics_source(settings)
            yield source
            return
        client, _ = self._prometheus(settings)
        try:
            yield client
        finally:
            client.close()

    @contextmanager
    def metrics(self, settings: MetricsSettings) -> Iterator[MetricsSession]:
        """The run's metrics session; with --record-snapshot, every answer is saved when it succeeds."""
        from gate.metrics import PreferRecorded

        source, label, snapshot_at = self.metrics_source(settings)
        at = settings.at if settings.at is not None else snapshot_at
        if settings.use_recorded:
            label += ", recorded series first"
        if at is None:
            at = self.clock()
        if settings.record_snapshot is None:
            yield MetricsSession(PreferRecorded(source) if settings.use_recorded else source, label, at)
            return
        from gate.metrics import RecordingSource

        recorder = RecordingSource(source)
        yield MetricsSession(PreferRecorded(recorder) if settings.use_recorded else recorder, label, at)
        try:
            recorder.save(
                settings.record_snapshot, note=f"recorded by slo-gate {__version__} with --record-snapshot"
            )
        except OSError as exc:
            raise UsageError(f"--record-snapshot {settings.record_snapshot}: {exc.strerror or exc}") from None

    # -- notifications and the watch's state (slo-gate watch, serve; report --format slack) ---------
    def slack(self, settings: NotifySettings) -> SlackNotifier | None:
        """The Slack client the settings and environment configure, or None. A bot token comes only
        from SLO_GATE_SLACK_TOKEN (with --slack-channel); an incoming webhook URL from
        --slack-webhook-url or SLO_GATE_SLACK_WEBHOOK_URL. SLO_GATE_SLACK_API_URL points the bot at
        another Web API base (a proxy, a test stand-in)."""
        from gate.notify.slack import DEFAULT_API_URL, SlackNotifier

        token = self.env.get("SLO_GATE_SLACK_TOKEN") or None
        if settings.slack_webhook_url and settings.slack_channel:
            raise UsageError(
                "give either a Slack webhook URL or --slack-channel (with SLO_GATE_SLACK_TOKEN), not both"
            )
        client: SlackNotifier | None = None
        if settings.slack_channel:
            if token is None:
                raise UsageError(
                    "--slack-channel needs a bot token in SLO_GATE_SLACK_TOKEN (never an option)"
                )
            api_url = self.env.get("SLO_GATE_SLACK_API_URL") or DEFAULT_API_URL
            client = SlackNotifier.bot_client(
                token, settings.slack_channel, api_url=api_url, timeout=settings.timeout
            )
        elif settings.slack_webhook_url:
            client = SlackNotifier.webhook_client(settings.slack_webhook_url, timeout=settings.timeout)
        if client is not None:
            self._closers.append(client.close)
        return client

    def notify_webhook(self, settings: NotifySettings) -> JsonWebhook | None:
        """The generic JSON webhook (--notify-webhook / SLO_GATE_NOTIFY_WEBHOOK), or None."""
        if not settings.notify_webhook:
            return None
        from gate.notify.webhook import JsonWebhook

        client = JsonWebhook(settings.notify_webhook, timeout=settings.timeout)
        self._closers.append(client.close)
        return client

    def notifiers(self, settings: NotifySettings) -> list[Notifier]:
        """Every sink the settings configure: Slack (threads with a bot token), the JSON webhook."""
        from gate.notify.notifier import SlackThreads, WebhookSink

        found: list[Notifier] = []
        slack = self.slack(settings)
        if slack is not None:
            found.append(SlackThreads(slack))
        webhook = self.notify_webhook(settings)
        if webhook is not None:
            found.append(WebhookSink(webhook))
        return found

    def incident_store(self, spec: StoreSpec | None, remote: str) -> IncidentStore:
        """Where the watch keeps its state: `git:BRANCH` (watch/state.json on that branch of `remote`,
        in the current repository), `file:PATH`, or (None) this process's memory."""
        from gate.incident.store import FileIncidentStore, GitIncidentStore, MemoryIncidentStore

        if spec is None:
            return MemoryIncidentStore()
        if spec.kind == "file":
            return FileIncidentStore(Path(spec.target), warn=self.warn)
        from gate.audit.sink import GitSink

        cwd = self.env.get("GITHUB_WORKSPACE") if self.in_actions else None
        return GitIncidentStore(GitSink(spec.target, remote=remote, cwd=cwd), warn=self.warn)

    def audit_records(self, spec: StoreSpec | None, remote: str) -> Callable[[], list[AuditRecord] | None]:
        """A reader of the audit log's typed records (read again at each call: the log grows), or of
        None when no log is given."""
        if spec is None:
            return lambda: None
        from gate.audit.recorder import read_records
        from gate.audit.sink import FileSink, GitSink

        cwd = self.env.get("GITHUB_WORKSPACE") if self.in_actions else None
        sink: AuditSink = (
            GitSink(spec.target, remote=remote, cwd=cwd)
            if spec.kind == "git"
            else FileSink(Path(spec.target))
        )
        return lambda: read_records(sink, warn=self.warn)

    def audit_plan(self, settings: AuditSettings, policies: Sequence[LoadedPolicy]) -> SinkPlan:
        from gate.audit.recorder import plan_sinks

        cwd = self.env.get("GITHUB_WORKSPACE") if self.in_actions else None
        return plan_sinks(
            settings.spec, policies, in_actions=self.in_actions, remote=settings.remote, cwd=cwd
        )


def open_audit_sink(branch: str | None, remote: str, audit_file: Path | None) -> AuditSink:
    """The sink `audit verify/log/replay/settle/report` read: a branch or a local file."""
    from gate.audit.sink import FileSink, GitSink

    if branch is not None and audit_file is None:
        return GitSink(branch, remote=remote)
    if audit_file is not None and branch is None:
        return FileSink(audit_file)
    raise UsageError("give either --branch BRANCH or --file PATH")


# ---- policies -----------------------------------------------------------------------------------


def load_selected(paths: Sequence[Path], services: Sequence[str]) -> list[LoadedPolicy]:
    """The policies under `paths` (default: policies/), narrowed to `services` (each must exist)."""
    loaded = load_all(paths, services)
    return [p for p in loaded if not services or p.policy.service in services]


def load_all(paths: Sequence[Path], services: Sequence[str]) -> list[LoadedPolicy]:
    """Every policy under `paths` (default: policies/); each of `services` must be one of them."""
    from gate.policy_load import load_policies

    loaded = load_policies(list(paths) or [DEFAULT_POLICY_PATH])
    known = {p.policy.service for p in loaded}
    unknown = [s for s in services if s not in known]
    if unknown:
        raise UsageError(
            f"--service {', '.join(unknown)}: no such service in the policies ({', '.join(sorted(known))})"
        )
    return loaded


def policy_file_paths(policies: Sequence[LoadedPolicy]) -> tuple[str, ...]:
    """Policy paths relative to the working directory, as they appear in a diff (with the gate-defaults
    file of imported specs)."""
    paths: list[str] = []
    cwd = Path.cwd().resolve()
    for loaded in policies:
        for given in (loaded.path, loaded.defaults):  # an imported spec's --gate-defaults is policy too
            if given is None:
                continue
            path = Path(given)
            try:
                # os.path.realpath: what Path.resolve does, without its per-call overhead (1000s of files)
                rel = Path(os.path.realpath(path)).relative_to(cwd)
            except ValueError:
                rel = path
            if rel.as_posix() not in paths:
                paths.append(rel.as_posix())
    return tuple(paths)


def change_input(
    raw: RawChange,
    declared: str | None,
    loaded: Sequence[LoadedPolicy],
    llm_note: str | None,
    verified: Mapping[str, Override] | None = None,
) -> ChangeInput:
    """The change as the run reads it: redacted material, the parsed diff, labels and verdicts."""
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
        markers=raw.markers,
        verified_labels=dict(verified or {}),
    )


def collect_change(request: ChangeRequest, rt: Runtime) -> RawChange:
    """The change the options or the Actions event name, read from its source (git, a file, GitHub)."""
    from gate.change import choose_source, gather_change

    return gather_change(request, choose_source(request, rt.github_context(), rt.github))


def measure_early(
    loaded: Sequence[LoadedPolicy], settings: CheckSettings, raw: RawChange, session: MetricsSession
) -> Callable[[], list[ServiceBudget]]:
    """Start measuring the policies this change selects, on a daemon thread; returns the wait.

    Selection here reads the diff as collected (its file list is all it needs); the run selects
    again from the cleaned diff and measures or drops whatever differs, so this only saves time.
    """
    from gate.llm.background import in_background
    from gate.measure import measure_policies
    from gate.risk.diff import parse_unified_diff
    from gate.scope import select_policies

    diff = raw.parsed
    if diff is None and raw.diff_text is not None:
        diff = parse_unified_diff(raw.diff_text)
    chosen, _, _ = select_policies(loaded, settings.services, diff)
    concurrency = settings.metrics.concurrency
    return in_background(
        lambda: measure_policies(chosen, session.source, session.at, concurrency=concurrency),
        name="slo-gate-measure",
    )


# ---- commands -----------------------------------------------------------------------------------


def render(run: GateRun, output_format: str) -> str:
    from gate import report

    if output_format == "json":
        return report.render_json(run)
    if output_format == "markdown":
        return report.render_markdown(run)
    return report.render_text(run)


REPORT_NAME = "slo-gate-report.json"
_DOCKER_HOME = Path(
    "/github/home"
)  # a Docker action's $HOME: the runner mounts $RUNNER_TEMP/_github_home here


def report_location(env: Mapping[str, str]) -> tuple[Path, str]:
    """Where an Actions run writes its JSON report, and the path later steps read it at.

    Never the workspace (a later `git add -A` would commit it): $RUNNER_TEMP when this process can
    see it; inside a Docker action, which does not mount $RUNNER_TEMP, the mounted $HOME, whose path
    on the runner is $RUNNER_TEMP/_github_home; else the system's temporary folder.
    """
    import tempfile

    temp = env.get("RUNNER_TEMP", "")
    if temp and Path(temp).is_dir():
        return Path(temp) / REPORT_NAME, str(Path(temp) / REPORT_NAME)
    if temp and _DOCKER_HOME.is_dir() and env.get("GITHUB_WORKSPACE") == "/github/workspace":
        return _DOCKER_HOME / REPORT_NAME, str(Path(temp) / "_github_home" / REPORT_NAME)
    path = Path(tempfile.gettempdir()) / REPORT_NAME
    return path, str(path)


def check(settings: CheckSettings, rt: Runtime) -> CommandResult:
    """`slo-gate check`: load -> (Actions: base policies, verified labels) -> measure + classify -> decide
    -> record -> report (-> Actions: comments, outputs, summary).

    The queries are sent as soon as the policies and the change's file list are known; the rest of
    the work (cleaning and scanning the change, the model, the audit history) happens while
    Prometheus answers.
    """
    if rt.in_actions:  # secrets are masked before anything else is printed
        from gate.action import mask_secrets

        rt.say(mask_secrets(rt.env))
    report_file, report_shown = settings.report_file, str(settings.report_file)
    if report_file is None and rt.in_actions:
        report_file, report_shown = report_location(rt.env)
    # Every policy, not only --service's: a file's owner is decided among all of them (shared files).
    loaded = load_all(settings.policies, settings.services)
    state = None
    if rt.in_actions:
        from gate import action

        state, loaded = action.start(
            rt.env, loaded, [str(p) for p in settings.policies or (DEFAULT_POLICY_PATH,)], rt.github()
        )
    if settings.mode is not None:
        loaded = [p.with_mode(settings.mode) for p in loaded]
    raw = collect_change(settings.change, rt)
    with rt.metrics(settings.metrics) as session:
        measuring = measure_early(loaded, settings, raw, session)
        from gate.app import CheckOptions, run_check
        from gate.audit import recorder

        plan = rt.audit_plan(settings.audit, loaded)
        advisor, note = rt.advisor(settings.model)
        verified = state.verified if state is not None else {}
        change = change_input(raw, settings.declared_risk, loaded, note, verified)
        options = CheckOptions(
            at=session.at,
            services=settings.services,
            concurrency=settings.metrics.concurrency,
            metrics_source=session.label,
            history=recorder.history(plan),
            charts=rt.in_actions or settings.output_format == "markdown",
        )
        run = run_check(loaded, session.source, change, options, advisor, measuring)
    run = recorder.record_run(run, loaded, plan, recorder.run_context(rt.env))
    if report_file is not None:
        from gate.report import render_json

        try:
            report_file.write_text(render_json(run) + "\n", encoding="utf-8")
        except OSError as exc:  # the decision is made and recorded: report it anyway, then fail
            rt.warn(f"report file {report_file}: {exc.strerror}; the decision stands but exits 2")
            run = run.model_copy(update={"exit_code": max(run.exit_code, 2)})
    text = render(run, settings.output_format)
    if state is not None:
        from gate import action

        text = action.finish(
            run,
            state,
            rt.env,
            client=rt.github(),
            comment=settings.comment,
            report_path=report_shown,
            text=text,
        )
    return CommandResult(text, run.exit_code)


def validate(paths: Sequence[Path], server: MetricsSettings | None, rt: Runtime) -> CommandResult:
    """`slo-gate validate`: every policy error at once (exit 2); with a server, it checks each query too."""
    loaded = load_selected(paths, ())
    lines = []
    if server is not None:
        from gate.errors import PolicyErrors
        from gate.validate import server_check

        source, label, _ = rt.metrics_source(server)
        rejected = server_check(loaded, source, rt.clock())
        if rejected:
            raise PolicyErrors(rejected)
        queries = sum(2 for p in loaded for _ in p.policy.slos)
        lines.append(f"{queries} queries accepted by {label}")
    for policy in loaded:
        slos = ", ".join(s.name for s in policy.policy.slos)
        lines.append(f"ok  {policy.path}: service {policy.policy.service} ({slos})")
    lines.append(f"{len(loaded)} policies valid")
    return CommandResult("\n".join(lines) + "\n", 0)


def status(settings: StatusSettings, rt: Runtime) -> CommandResult:
    """`slo-gate status`: budgets and burn rates for every policy (no change, no decision)."""
    from gate import report
    from gate.app import run_status

    loaded = load_selected(settings.policies, settings.services)
    with rt.metrics(settings.metrics) as session:
        budgets: list[ServiceBudget] = run_status(
            loaded, session.source, session.at, concurrency=settings.metrics.concurrency
        )
    if settings.output_format == "json":
        text = report.render_status_json(budgets, session.at, session.label)
    elif settings.output_format == "markdown":
        text = report.render_status_markdown(budgets, session.at)
    else:
        text = report.render_status_text(budgets, session.at, session.label)
    inconclusive = any(s.status == "inconclusive" for b in budgets for s in b.slos)
    return CommandResult(text, 3 if inconclusive else 0)
