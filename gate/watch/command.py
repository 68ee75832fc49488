"""`slo-gate watch`, assembled: the clients come from the composition root (gate.compose.Runtime), the
round from gate.watch.round, the output from gate.watch.render.

`--once` runs one round and returns its text and exit code; `--every` runs rounds until SIGTERM or
SIGINT (gate.watch.loop), printing each round as it ends (`--format json`: one JSON document per
line), and returns exit code 0. In GitHub Actions the secrets are masked before anything is printed
and each round's text is printed between stop-commands markers.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, cast

from gate.errors import UsageError
from gate.watch.settings import WatchSettings, state_spec

if TYPE_CHECKING:
    from gate.audit.record import AuditRecord
    from gate.compose import CommandResult, Runtime
    from gate.incident.model import IncidentReport
    from gate.llm.client import ToolCaller
    from gate.measure import HistorySource
    from gate.metrics import MetricsSource
    from gate.policy import LoadedPolicy
    from gate.settings import ModelSettings
    from gate.watch.result import RoundResult
    from gate.watch.round import ModelFor, Watcher

__all__ = ["build_watcher", "model_for", "postmortem_drafts", "run_link", "watch"]

_REPO = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}")


def run_link(env: Mapping[str, str]) -> str | None:
    """The GitHub Actions run this process is (a link for cut messages), or None outside Actions."""
    server = env.get("GITHUB_SERVER_URL") or ""
    repo = env.get("GITHUB_REPOSITORY") or ""
    run = env.get("GITHUB_RUN_ID") or ""
    if not (
        re.fullmatch(r"https://[A-Za-z0-9.-]{1,200}", server) and _REPO.fullmatch(repo) and run.isdigit()
    ):
        return None
    return f"{server}/{repo}/actions/runs/{run}"


def model_for(
    settings: ModelSettings, rt: Runtime
) -> Callable[[LoadedPolicy], tuple[ToolCaller | None, str, str]]:
    """The model client for a policy's summaries, its model id (the policy's `gate.risk.llm.model`) and
    why there is none; a policy with `gate.risk.llm.enabled: false` sends nothing to a model."""

    def for_policy(loaded: LoadedPolicy) -> tuple[ToolCaller | None, str, str]:
        llm = loaded.policy.gate.risk.llm
        if not llm.enabled:
            return None, llm.model, f"the policy of {loaded.policy.service} disables the model"
        client, why = rt.model(settings)
        return client, llm.model, why

    return for_policy


def postmortem_drafts(
    settings: WatchSettings,
    rt: Runtime,
    loaded: Sequence[LoadedPolicy],
    label: str,
    model: ModelFor,
    records: Callable[[], list[AuditRecord] | None],
) -> Callable[[IncidentReport, float, MetricsSource], None]:
    """What a resolved incident triggers: its postmortem draft, opened once when it spent more than the
    policy's `postmortem.required_above` (a GitHub issue in the run's repository with a token, else a
    file under --postmortem-out). A draft that cannot be made is a warning, never a failed round."""
    from gate.errors import GateError
    from gate.postmortem.draft import draft_for_incident, open_draft

    by_service = {p.policy.service: p for p in loaded}
    context = rt.github_context()
    repo = context.repository if context is not None and context.repository else None

    def open_for(report: IncidentReport, at: float, source: MetricsSource) -> None:
        policy = by_service.get(report.service)
        github = rt.github() if repo is not None else None
        if policy is None or (github is None and settings.postmortem_out is None):
            return
        if not callable(getattr(source, "range", None)):  # a recorded snapshot answers no range query
            rt.warn(f"postmortem draft for {report.service}/{report.slo} not opened: no range queries")
            return
        onset = report.context.onset.onset if report.context.onset is not None else None
        try:
            client, _, why = model(policy)
            draft = draft_for_incident(
                policy,
                report.slo,
                cast("HistorySource", source),
                records() or [],
                onset=onset if onset is not None else report.opened_at,
                resolved=at,
                at=at,
                metrics_label=label,
                client=client,
                without_model=why,
            )
            opened = open_draft(draft, github=github, repo=repo, out_dir=settings.postmortem_out)
        except GateError as exc:
            rt.warn(f"postmortem draft for {report.service}/{report.slo} not opened: {exc}")
            return
        if opened is not None and opened.created:
            rt.warn(f"postmortem draft for {report.service}/{report.slo} opened: {opened.location}")

    return open_for


def build_watcher(settings: WatchSettings, rt: Runtime, label: str) -> Watcher:
    from gate.compose import load_selected
    from gate.watch.round import RoundOptions, Watcher

    loaded = load_selected(settings.policies, settings.services)
    spec = state_spec(settings.state, settings.audit)
    if spec is None and settings.every is None and not settings.dry_run:
        raise UsageError(
            "watch --once needs somewhere to remember what it told: --state file:PATH|git:BRANCH, "
            "or --audit git:BRANCH|file:PATH to keep the state beside the audit log"
        )
    if spec is None and settings.every is not None:
        rt.warn("no --state: incident state is kept in memory and lost when the process ends")
    notifiers = rt.notifiers(settings.notify)
    if not notifiers and not settings.dry_run:
        rt.warn(
            "no notifier configured (--slack-webhook-url, --slack-channel, --notify-webhook): incidents are only printed"
        )
    model = model_for(settings.model, rt)
    records = rt.audit_records(settings.audit, settings.audit_remote)
    return Watcher(
        on_resolved=postmortem_drafts(settings, rt, loaded, label, model, records),
        policies=loaded,
        metrics_label=label,
        store=rt.incident_store(spec, settings.audit_remote),
        notifiers=notifiers,
        options=RoundOptions(
            repeat_interval=settings.repeat_interval,
            dry_run=settings.dry_run,
            concurrency=settings.metrics.concurrency,
            more=run_link(rt.env),
        ),
        records=records,
        github=rt.github(),
        model=model,
        warn=rt.warn,
    )


def _render(result: RoundResult, settings: WatchSettings, rt: Runtime, *, lines: bool) -> str:
    from gate.watch.render import render_json, render_text

    if settings.output_format == "json":
        text = render_json(result)
        if lines:  # --every: one document per line
            import json

            text = json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":")) + "\n"
    else:
        text = render_text(result)
    if rt.in_actions:
        from gate.github.actions import stop_commands

        text = stop_commands(text)
    return text


def watch(
    settings: WatchSettings,
    rt: Runtime,
    *,
    emit: Callable[[str], None] = lambda text: None,
    stop: threading.Event | None = None,
) -> CommandResult:
    """`slo-gate watch`: one round (`--once`) or rounds until stopped (`--every`)."""
    from gate.compose import CommandResult

    if rt.in_actions:  # secrets are masked before anything else is printed
        from gate import action

        rt.say(action.mask_secrets(rt.env))
    if settings.every is None:
        with rt.metrics(settings.metrics) as session:
            watcher = build_watcher(settings, rt, session.label)
            result = watcher.round(session.at, session.source)
        return CommandResult(_render(result, settings, rt, lines=False), result.exit_code)
    from gate.watch.loop import run_every, stop_on_signals

    watcher = build_watcher(settings, rt, rt.metrics_label(settings.metrics))
    stop = stop or threading.Event()
    fixed = settings.metrics.at

    def one(now: float) -> None:
        with rt.metrics_round(settings.metrics) as source:
            result = watcher.round(fixed if fixed is not None else now, source)
        emit(_render(result, settings, rt, lines=True))

    with stop_on_signals(stop):
        run_every(one, settings.every, stop=stop, clock=rt.clock, warn=rt.warn, rounds=settings.rounds)
    return CommandResult("", 0)
