"""One watch round — measure, observe, plan, gather context, claim, summarise, notify,
settle — assembled from the clients the composition root built.

A round, in order:
1. every SLO of every policy is measured with the gate's own code at one evaluation time
   (gate.measure.measure_policies) and read as observations (gate.incident.evaluate);
2. the stored state is planned against them (gate.incident.state.plan) to learn which incidents to
   report; their context is gathered (gate.incident.context), in parallel, each part bounded;
3. unless it is a dry run, the notifications are claimed in the store (a compare-and-swap that plans
   again on the latest state, so a second watcher never claims what the first did);
4. each claimed notice gets a summary (the model through gate.llm when configured, else the facts)
   and is delivered to every sink; a resolution gets the incident's whole spend;
5. what was delivered is settled in the store; a sink that failed is retried next round.

Exit code (RoundResult.exit_code): 1 when a notification could not be delivered, else 3 when a
measurement was inconclusive, else 0. A dry run prints what it would send and never writes the state.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from gate.audit.record import AuditRecord
from gate.errors import GateError
from gate.incident.context import ContextSources, TitleSource, gather, spent_between
from gate.incident.evaluate import observe
from gate.incident.model import Context, Delivery, IncidentReport, Observation, Summary, incident_key
from gate.incident.state import Claim, IncidentState, Planned, SinkResult, WatchState, plan, settle
from gate.incident.store import IncidentStore
from gate.incident.summary import facts_summary, summarise
from gate.llm.client import ToolCaller
from gate.measure import measure_policies
from gate.metrics import MetricsSource
from gate.notify.notifier import Notifier
from gate.policy import SLO, LoadedPolicy
from gate.watch.render import notice, preview_text
from gate.watch.result import RoundResult

__all__ = ["ModelFor", "RoundOptions", "Watcher", "watcher_id"]

CONTEXT_WORKERS = 4
SUMMARY_WORKERS = 4
# The model client for a policy, its model id, and why there is none ("--no-llm given", ...).
ModelFor = Callable[[LoadedPolicy], tuple[ToolCaller | None, str, str]]


def watcher_id() -> str:
    """Who claims notifications: host, process and a random part (two watchers never share one)."""
    host = "".join(c for c in socket.gethostname() if c.isalnum() or c in "-.")[:40] or "host"
    return f"{host}:{os.getpid()}:{secrets.token_hex(4)}"


def _no_model(loaded: LoadedPolicy) -> tuple[ToolCaller | None, str, str]:
    return None, "", "no model configured"


@dataclass(frozen=True)
class RoundOptions:
    repeat_interval: float
    dry_run: bool = False
    concurrency: int = 8
    more: str | None = None  # a link to the run that sent a notice (GitHub Actions), for cut text


@dataclass(frozen=True)
class _Round:
    """One round's inputs, computed once."""

    at: float
    source: MetricsSource
    observations: tuple[Observation, ...]
    slos: Mapping[str, tuple[LoadedPolicy, SLO]]
    sinks: tuple[str, ...]
    services: tuple[str, ...]

    def observation(self, key: str) -> Observation | None:
        return next((o for o in self.observations if o.key == key), None)


@dataclass
class Watcher:
    """Everything a round needs, built once by the composition root; `round(at, source)` runs one
    (a long-running watcher gets a fresh metrics source, and so a fresh deadline, every round)."""

    policies: Sequence[LoadedPolicy]
    metrics_label: str
    store: IncidentStore
    notifiers: Sequence[Notifier]
    options: RoundOptions
    records: Callable[[], Sequence[AuditRecord] | None] = lambda: None
    github: TitleSource | None = None
    model: ModelFor = _no_model
    warn: Callable[[str], None] = lambda text: None
    owner: str = field(default_factory=watcher_id)
    # Called once a resolution has been delivered everywhere (by the watcher that claimed it): the
    # hook for follow-ups such as a postmortem draft of incidents that spent enough of the budget.
    # It gets the report, the round's evaluation time and its metrics source.
    on_resolved: Callable[[IncidentReport, float, MetricsSource], None] | None = None

    def round(self, at: float, source: MetricsSource) -> RoundResult:
        budgets = measure_policies(self.policies, source, at, concurrency=self.options.concurrency)
        current = _Round(
            at=at,
            source=source,
            observations=tuple(observe(self.policies, budgets)),
            slos={
                incident_key(loaded.policy.service, slo.name): (loaded, slo)
                for loaded in self.policies
                for slo in loaded.policy.slos
            },
            sinks=tuple(n.name for n in self.notifiers),
            services=tuple(p.policy.service for p in self.policies),
        )
        notes: list[str] = []
        preview = self._plan(self.store.load(), current)
        contexts = self._contexts(preview, current, notes)
        if self.options.dry_run:
            planned = preview
        else:
            planned = self.store.update(lambda state: self._claim(state, current, contexts))
        reports, refs, previews = self._report(planned, current, contexts)
        if not self.options.dry_run and planned.claims:
            results = {
                report.key: {
                    d.sink: SinkResult(ref=refs.get((report.key, d.sink)), error=d.error)
                    for d in report.deliveries
                }
                for report in reports
                if report.event is not None
            }
            self.store.update(lambda state: (settle(state, self.owner, results, now=at), None))
        return RoundResult(
            evaluated_at=at,
            metrics_source=self.metrics_label,
            slos=len(current.observations),
            incidents=tuple(reports),
            inconclusive=tuple(o for o in current.observations if not o.conclusive),
            drift=tuple(o for o in current.observations if o.drift),
            dry_run=self.options.dry_run,
            state_location=self.store.location,
            sinks=current.sinks,
            notes=tuple(notes),
            previews=tuple(previews),
        )

    # -- planning and claiming -------------------------------------------------------------------
    def _plan(self, state: WatchState, current: _Round) -> Planned:
        return plan(
            state,
            current.observations,
            now=current.at,
            owner=self.owner,
            sinks=current.sinks,
            repeat_interval=self.options.repeat_interval,
            services=current.services,
        )

    def _claim(
        self, state: WatchState, current: _Round, contexts: Mapping[str, Context]
    ) -> tuple[WatchState, Planned]:
        """Plan again on the latest stored state (the compare-and-swap's `change`), remembering each
        new incident's onset so a later resolution can tell its whole spend."""
        planned = self._plan(state, current)
        incidents = dict(planned.state.incidents)
        for key, incident in incidents.items():
            onset = contexts[key].onset if key in contexts else None
            if incident.onset is None and onset is not None and onset.onset is not None:
                incidents[key] = incident.model_copy(update={"onset": onset.onset})
        next_state = planned.state.model_copy(update={"incidents": incidents})
        return next_state, Planned(next_state, planned.claims, planned.rows, planned.busy)

    # -- context -----------------------------------------------------------------------------------
    def _contexts(self, preview: Planned, current: _Round, notes: list[str]) -> dict[str, Context]:
        wanted: list[tuple[str, Observation]] = []
        for key, row in preview.rows.items():
            obs = current.observation(key)
            if row != "resolved" and obs is not None and obs.conclusive and key in current.slos:
                wanted.append((key, obs))
        if not wanted:
            return {}
        try:
            records = self.records()
        except GateError as exc:
            notes.append(f"the audit log could not be read, so no deploys are shown: {exc.message[:300]}")
            records = None
        sources = ContextSources(current.source, records, self.github)
        with ThreadPoolExecutor(max_workers=min(CONTEXT_WORKERS, len(wanted))) as pool:
            futures = {
                key: pool.submit(gather, obs, current.slos[key][1], sources, current.at)
                for key, obs in wanted
            }
            return {key: future.result() for key, future in futures.items()}

    # -- reports, summaries and delivery -----------------------------------------------------------
    def _report(
        self, planned: Planned, current: _Round, contexts: Mapping[str, Context]
    ) -> tuple[list[IncidentReport], dict[tuple[str, str], dict[str, str] | None], list[str]]:
        claims = {c.key: c for c in planned.claims}
        summaries = self._summaries(claims, current, contexts)
        reports: list[IncidentReport] = []
        refs: dict[tuple[str, str], dict[str, str] | None] = {}
        previews: list[str] = []
        for key, row in planned.rows.items():
            obs, incident = current.observation(key), planned.state.incidents.get(key)
            if obs is None or incident is None:
                continue
            context = contexts.get(key, Context())
            claim = claims.get(key)
            summary = summaries.get(key)
            if summary is None and obs.severity is not None:
                summary = facts_summary(obs, context)
            report = IncidentReport(
                service=obs.service,
                slo=obs.slo,
                policy=obs.policy,
                severity=obs.severity or incident.severity,
                state=row,
                budget=obs.budget,
                opened_at=incident.opened_at,
                context=context,
                summary=summary,
                event=claim.event if claim else None,
                skipped=planned.busy.get(key),
            )
            if claim is not None and claim.event == "resolved" and key in current.slos:
                start = incident.onset if incident.onset is not None else incident.opened_at
                spent = spent_between(current.slos[key][1], current.source, start, current.at, obs.tenant)
                report = report.model_copy(update={"spent_total": spent})
            if claim is not None:
                report = self._deliver(report, claim, incident, current.at, refs, previews)
                delivered = all(d.ok for d in report.deliveries)
                if claim.event == "resolved" and delivered and not self.options.dry_run and self.on_resolved:
                    self.on_resolved(report, current.at, current.source)
            reports.append(report)
        return reports, refs, previews

    def _summaries(
        self, claims: Mapping[str, Claim], current: _Round, contexts: Mapping[str, Context]
    ) -> dict[str, Summary]:
        wanted: list[tuple[str, Observation]] = []
        for key, claim in claims.items():
            obs = current.observation(key)
            if (
                claim.event != "resolved"
                and obs is not None
                and obs.severity is not None
                and key in current.slos
            ):
                wanted.append((key, obs))
        if not wanted:
            return {}

        def one(key: str, obs: Observation) -> Summary:
            client, model, why = self.model(current.slos[key][0])
            return summarise(obs, contexts.get(key, Context()), client, model, without_model=why)

        with ThreadPoolExecutor(max_workers=min(SUMMARY_WORKERS, len(wanted))) as pool:
            futures = {key: pool.submit(one, key, obs) for key, obs in wanted}
            return {key: future.result() for key, future in futures.items()}

    def _deliver(
        self,
        report: IncidentReport,
        claim: Claim,
        incident: IncidentState,
        at: float,
        refs: dict[tuple[str, str], dict[str, str] | None],
        previews: list[str],
    ) -> IncidentReport:
        rendered = notice(report, claim.event, at, more=self.options.more)
        by_name = {n.name: n for n in self.notifiers}
        if self.options.dry_run:
            first = not incident.refs.get("slack")
            sinks = [s for s in claim.sinks if s in by_name]
            previews.append(
                preview_text(rendered.message if first else rendered.reply, claim.event, report.key, sinks)
            )
            return report.model_copy(update={"notified": True})
        deliveries: list[Delivery] = []
        for sink in claim.sinks:
            notifier = by_name.get(sink)
            if notifier is None:  # no longer configured: nothing left to send there
                deliveries.append(Delivery(sink=sink, ok=True))
                continue
            try:
                refs[(report.key, sink)] = notifier.deliver(rendered, incident.refs.get(sink))
            except GateError as exc:
                self.warn(f"{report.key}: {exc.message}")
                deliveries.append(Delivery(sink=sink, ok=False, error=exc.message))
                continue
            deliveries.append(Delivery(sink=sink, ok=True))
        notified = any(d.ok for d in deliveries if d.sink in by_name)
        return report.model_copy(update={"deliveries": deliveries, "notified": notified})
