"""What `slo-gate serve` does with one Alertmanager group, off the request path: enrich and notify.

For each SLO the group's alerts name (at most MAX_SLOS), the SLO is measured with the gate's own code
(gate.measure.measure_slo) at the evaluation time (now, or the fixed `--at` of a replay), its
context gathered and summarised exactly as `slo-gate watch` does (gate.incident), and one message is
sent for the group (gate.serve.render):

- the group's first firing notification is posted (with a bot token: its reference kept in the
  state, under the group's id);
- a later firing notification of a known group updates that message in place, and adds a thread
  reply only when the set of firing alerts changed (with an incoming webhook, which cannot update,
  nothing more is posted: one message per group);
- a resolved notification replies in the thread and updates the message (webhook: one resolved
  message), and the group is forgotten.

Which groups are known lives in memory and is written behind to the store (gate.serve.groups).

Enrichment is cached per SLO for CACHE_TTL seconds, so a storm of groups about the same SLOs costs one
measurement and one model call per SLO, not one per group. Nothing here raises for a metrics, model
or Slack problem: each is logged (JSON, no secrets) and the next group goes on.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from gate.audit.record import AuditRecord
from gate.errors import GateError
from gate.incident.context import ContextSources, TitleSource, gather
from gate.incident.model import Context, IncidentReport, Observation, incident_key
from gate.incident.state import GroupState
from gate.incident.summary import facts_summary, summarise
from gate.measure import measure_slo
from gate.metrics import MetricsSource
from gate.notify.notifier import Event, Notifier
from gate.policy import SLO, LoadedPolicy
from gate.serve.alerts import Alert, AlertGroup
from gate.serve.groups import GroupStates
from gate.serve.render import SloView, group_notice
from gate.watch.round import ModelFor

__all__ = ["CACHE_TTL", "MAX_SLOS", "GroupProcessor"]

MAX_SLOS = 10
CACHE_TTL = 60.0
CACHE_SIZE = 512


@dataclass
class GroupProcessor:
    policies: Sequence[LoadedPolicy]
    metrics: Callable[[], AbstractContextManager[MetricsSource]]  # a fresh source (and deadline) per group
    groups: GroupStates
    notifiers: Sequence[Notifier]
    model: ModelFor
    log: Callable[..., None]
    records: Callable[[], Sequence[AuditRecord] | None] = lambda: None
    github: TitleSource | None = None
    clock: Callable[[], float] = time.time
    at: float | None = None  # a replay's fixed evaluation time
    dry_run: bool = False

    def __post_init__(self) -> None:
        self._slos = {
            incident_key(p.policy.service, slo.name): (p, slo) for p in self.policies for slo in p.policy.slos
        }
        self._cache: OrderedDict[tuple[str, float], tuple[float, IncidentReport | None, str | None]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    # -- one group --------------------------------------------------------------------------------
    def handle(self, group: AlertGroup) -> list[str]:
        """Enrich and deliver one group; the sinks that failed (empty: all delivered)."""
        at = self.at if self.at is not None else self.clock()
        alerts = group.firing if group.status == "firing" else group.alerts
        views, unmatched = self._views(alerts, group.status == "firing", at)
        known = self.groups.get(group.group_id)
        fingerprints = sorted(a.fingerprint for a in group.firing)
        event: Event
        if group.status == "resolved":
            event = "resolved"
        elif known is None:
            event = "new"
        else:
            event = "repeat"
        notice = group_notice(group, views, unmatched, event, at)
        if self.dry_run:
            self.log(
                "notice",
                group=group.group_id,
                notice=event,
                sinks=[n.name for n in self.notifiers],
                sent=False,
            )
            return []
        refs = dict(known.refs) if known is not None else {}
        failed: list[str] = []
        changed = known is None or sorted(known.alerts) != fingerprints
        for notifier in self.notifiers:
            ref = refs.get(notifier.name)
            # A repeat of a known group: refresh in place; something new only when its alerts changed,
            # and never a second message from a Slack sink that cannot update (one message per group).
            quiet = event == "repeat" and (not changed or (notifier.name == "slack" and not notifier.updates))
            try:
                got = notifier.deliver(notice, ref, quiet=quiet)
            except GateError as exc:
                failed.append(notifier.name)
                self.log(
                    "delivery_failed",
                    level="error",
                    group=group.group_id,
                    sink=notifier.name,
                    error=exc.message[:500],
                )
                continue
            if got:
                refs[notifier.name] = got
        self._remember(group, event, refs, fingerprints, at)
        self.log(
            "notice",
            group=group.group_id,
            notice=event,
            slos=[f"{v.service}/{v.slo}" for v in views],
            failed=failed,
        )
        return failed

    def _remember(
        self, group: AlertGroup, event: Event, refs: dict[str, dict[str, str]], alerts: list[str], at: float
    ) -> None:
        if event == "resolved":
            self.groups.put(group.group_id, None)
            return
        known = self.groups.get(group.group_id)
        opened = known.opened_at if known is not None else at
        self.groups.put(group.group_id, GroupState(opened_at=opened, updated_at=at, refs=refs, alerts=alerts))

    # -- enrichment ---------------------------------------------------------------------------------
    def _views(self, alerts: Sequence[Alert], firing: bool, at: float) -> tuple[list[SloView], list[Alert]]:
        by_slo: dict[tuple[str, str], list[Alert]] = {}
        unmatched: list[Alert] = []
        for alert in alerts:
            ref = alert.slo_ref
            if ref is None:
                unmatched.append(alert)
            else:
                by_slo.setdefault(ref, []).append(alert)
        views = []
        for (service, slo), members in list(by_slo.items())[:MAX_SLOS]:
            severity = next((a.severity for a in members if a.severity == "page"), None) or next(
                (a.severity for a in members if a.severity), None
            )
            report, note = self._report(service, slo, firing, at)
            views.append(
                SloView(
                    service=service,
                    slo=slo,
                    severity=severity or (report.severity if report else "ticket"),
                    alerts=len(members),
                    report=report,
                    note=note,
                )
            )
        return views, unmatched

    def _report(
        self, service: str, slo_name: str, firing: bool, at: float
    ) -> tuple[IncidentReport | None, str | None]:
        key = incident_key(service, slo_name)
        found = self._slos.get(key)
        if found is None:
            return None, f"no loaded policy has service {service} with SLO {slo_name}: shown without context"
        cache_key = (key, at if self.at is not None else 0.0)
        now = self.clock()
        with self._lock:
            hit = self._cache.get(cache_key)
            if (
                hit is not None
                and now - hit[0] < CACHE_TTL
                and (hit[1] is None or (hit[1].state != "resolved") == firing)
            ):
                return hit[1], hit[2]
        report, note = self._measure(found[0], found[1], firing, at)
        with self._lock:
            self._cache[cache_key] = (now, report, note)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return report, note

    def _measure(
        self, loaded: LoadedPolicy, slo: SLO, firing: bool, at: float
    ) -> tuple[IncidentReport | None, str | None]:
        tenant = loaded.policy.prometheus.tenant
        try:
            with self.metrics() as source:
                budget = measure_slo(slo, source, at, tenant)
                obs = Observation(
                    service=loaded.policy.service,
                    slo=slo.name,
                    policy=loaded.path,
                    tenant=tenant,
                    budget=budget,
                )
                context = Context()
                if firing and obs.conclusive:
                    try:
                        records = self.records()
                    except GateError:
                        records = None
                    context = gather(obs, slo, ContextSources(source, records, self.github), at)
        except GateError as exc:
            return None, f"could not measure: {exc.message[:300]}"
        summary = None
        if firing and obs.conclusive:
            client, model, why = self.model(loaded)
            summary = (
                summarise(obs, context, client, model, without_model=why)
                if obs.severity
                else facts_summary(obs, context)
            )
        severity = obs.severity or "ticket"
        report = IncidentReport(
            service=obs.service,
            slo=obs.slo,
            policy=obs.policy,
            severity=severity,
            state="firing" if firing else "resolved",
            budget=budget,
            opened_at=at,
            context=context,
            summary=summary,
        )
        return report, None
