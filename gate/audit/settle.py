"""Settle passed deploys: what each one actually cost, measured over the 24 h after it.

A deploy's cost is the fraction of each SLO's whole-window budget spent in the 24 h after the gate
let it through (DESIGN §3: burning at b for t costs b*t/P). The settled costs feed the gate's
expected cost for the next deploy of the same risk (`expected_cost`) and the audit report.

Which decisions are deploys (`is_deploy`):
- the outcome let the change through: pass or warn;
- the pass was not only an advisory-mode pass: a change the gate would have stopped (`would_have`
  set) went out only because the policy is advisory, and such a run says nothing about what a
  deploy the gate allows costs, so it is not settled (an advisory run that passed on its own is);
- the run was not a pull-request check (`PRE_MERGE_EVENTS`): a PR check judges a change before it merges,
  the deploy comes later (push, workflow_dispatch, deployment, ...) and is recorded then.
- A local run (`run.event` None, `slo-gate check` from a terminal) counts: the only way the gate
  is used outside CI is right before shipping by hand, and settling an extra run costs nothing
  but a record.

Everything here is pure except `settle` and `measured_spend`, which read metrics through the
`MetricsSource` they are given (no clock: `now` comes in as an argument).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gate import budget, promql
from gate.audit.builder import recorded_query, settlement_record
from gate.audit.record import AuditRecord, DecisionRecord, SettledSLO, SettlementRecord
from gate.errors import AuditError, DataError, PolicyErrors
from gate.github.context import PRE_MERGE_EVENTS
from gate.measure import measure_slo
from gate.metrics import MetricsSource
from gate.policy import SLO, LoadedPolicy
from gate.policy_load import load_policy_bytes
from gate.times import iso

__all__ = [
    "DAY",
    "DEPLOY_OUTCOMES",
    "deploy_time",
    "deploys",
    "deploys_to_settle",
    "is_deploy",
    "measured_spend",
    "period_spend",
    "service_spend",
    "settle",
]

DAY = 86400.0
DEPLOY_OUTCOMES = frozenset({"pass", "warn"})
SETTLE_WINDOW = "1d"  # the burn-rate window that covers exactly the 24 h after the deploy


# ---- which decisions are deploys --------------------------------------------------------------


def deploy_time(record: DecisionRecord) -> float:
    """When the gate let the deploy through (unix seconds)."""
    return record.evaluated_at_unix


def is_deploy(record: AuditRecord) -> bool:
    if not isinstance(record, DecisionRecord):
        return False
    decision = record.decision
    if decision.outcome not in DEPLOY_OUTCOMES:
        return False
    if decision.advisory and decision.would_have:
        return False  # only advisory mode let it through (see the module docstring)
    return record.run.event not in PRE_MERGE_EVENTS


def deploys(records: Sequence[AuditRecord]) -> list[DecisionRecord]:
    """The decision records that are deploys (`is_deploy`), in log order."""
    return [r for r in records if isinstance(r, DecisionRecord) and is_deploy(r)]


def _settled_ids(records: Sequence[AuditRecord]) -> set[str]:
    return {r.deploy_id for r in records if isinstance(r, SettlementRecord) and r.deploy_id}


def deploys_to_settle(
    records: Sequence[AuditRecord], now: float, *, min_age: float = DAY
) -> list[DecisionRecord]:
    """Deploys at least `min_age` seconds old with no settlement yet, oldest first."""
    settled = _settled_ids(records)
    due = [r for r in deploys(records) if r.id not in settled and now - deploy_time(r) >= min_age]
    return sorted(due, key=deploy_time)  # stable: records of the same second keep log order


# ---- settling one deploy ----------------------------------------------------------------------


def _deploy_policy(deploy: DecisionRecord) -> LoadedPolicy:
    """The policy exactly as the gate read it for this deploy (the record keeps its text)."""
    path = deploy.policy.path or "policy"
    try:
        return load_policy_bytes(deploy.policy.text.encode("utf-8"), path)
    except PolicyErrors as exc:
        raise AuditError(
            f"deploy {deploy.id}: its recorded policy {path} no longer loads, so it cannot be settled:\n{exc}"
        ) from None


def _settle_slo(slo: SLO, source: MetricsSource, end: float, tenant: str | None) -> SettledSLO:
    # measure_slo at t_end: its 1d window is an instant query of rate/increase over [1d] at t_end,
    # i.e. exactly the 24 h after the deploy, and it shares the gate's DataError/no-data handling.
    measured = measure_slo(slo, source, end, tenant)
    burn = measured.burn_rates.get(SETTLE_WINDOW)
    status, reason = measured.status, measured.reason
    if status == "ok" and burn is None:
        status, reason = "inconclusive", "no traffic in the 24 h after the deploy"
    spent = budget.budget_cost(burn, DAY, measured.window_seconds) if burn is not None else None
    return SettledSLO(
        name=slo.name,
        objective=slo.objective,
        window=measured.window,
        window_seconds=measured.window_seconds,
        burn_rate_24h=burn,
        error_ratio_24h=None if burn is None else burn * budget.error_budget(slo.objective),
        # An inconclusive SLO (low traffic over its window, broken data) settles nothing.
        budget_spent=spent if status == "ok" else None,
        status=status,
        reason=reason,
        queries=[recorded_query(q) for q in measured.queries],
    )


def settle(
    deploy: DecisionRecord, source: MetricsSource, metrics_label: str, *, now: float, record_id: str
) -> SettlementRecord:
    """The settlement record for one deploy (not yet sealed): each SLO's budget spent in the 24 h after it.

    Raises AuditError when the deploy's recorded policy no longer loads (a newer slo-gate dropped
    something it used) or when the 24 h are not over yet.
    """
    start = deploy_time(deploy)
    end = start + DAY
    if end > now:
        raise AuditError(f"deploy {deploy.id}: its 24 h are not over yet (they end at {iso(end)})")
    loaded = _deploy_policy(deploy)
    tenant = loaded.policy.prometheus.tenant
    slos = [_settle_slo(slo, source, end, tenant) for slo in loaded.policy.slos]
    return settlement_record(
        deploy,
        slos,
        record_id=record_id,
        recorded_at=now,
        window_start=start,
        window_end=end,
        metrics_source=metrics_label,
    )


# ---- expected cost ----------------------------------------------------------------------------


# ---- spend over a period (for the report) -----------------------------------------------------


def _spend(slo: SLO, source: MetricsSource, since: float, now: float, tenant: str | None) -> float | None:
    seconds = now - since
    spec = promql.WindowSpec("period", promql.seconds_duration(seconds), seconds)
    try:
        samples = source.instant(promql.batch_query(slo.sli, [spec]), now, tenant=tenant)
        counts = promql.parse_batch(samples, slo.sli, [spec])["period"]
    except DataError:
        return None
    burn = budget.burn_rate(budget.error_ratio(counts), budget.error_budget(slo.objective))
    if burn is None:
        return None
    # P is the SLO window; for a calendar SLO, the length of the period that contains `now`.
    period = budget.slo_window(slo.window, now).period_seconds
    return budget.budget_cost(burn, seconds, period)


def measured_spend(
    policy_text: str, source: MetricsSource, since: float, now: float, *, path: str = "policy"
) -> dict[str, float | None]:
    """Each SLO's budget fraction spent over [since, now]: r(range)/EB * range/P (DESIGN §3).

    One instant query per SLO at `now` over a `[<range>s]` window, so it is a ratio of sums over
    the whole range. None for an SLO whose data could not be read or had no traffic.
    """
    if now <= since:
        raise ValueError("the period must end after it starts")
    try:
        loaded = load_policy_bytes(policy_text.encode("utf-8"), path)
    except PolicyErrors as exc:
        raise AuditError(
            f"{path}: the policy does not load, so its spend cannot be measured:\n{exc}"
        ) from None
    tenant = loaded.policy.prometheus.tenant
    return {slo.name: _spend(slo, source, since, now, tenant) for slo in loaded.policy.slos}


def service_spend(per_slo: Mapping[str, float | None]) -> float | None:
    """A service's spend is its worst SLO's, as a deploy's cost is (settlement_record); None if none measured."""
    known = [v for v in per_slo.values() if v is not None]
    return max(known) if known else None


def period_spend(
    records: Sequence[AuditRecord], source: MetricsSource, since: float, now: float
) -> dict[str, float]:
    """Each service's spend over [since, now] (its worst SLO's), measured with its latest recorded policy.

    The latest decision at or before `now` carries the policy in force at the end of the period. A
    service whose policy no longer loads or whose spend cannot be measured is left out: the report
    then makes no claim about burn no deploy explains, rather than a wrong one.
    """
    if now <= since:
        return {}
    latest: dict[str, DecisionRecord] = {}
    for record in records:
        if not isinstance(record, DecisionRecord) or deploy_time(record) > now:
            continue
        if record.service not in latest or deploy_time(record) >= deploy_time(latest[record.service]):
            latest[record.service] = record
    spend: dict[str, float] = {}
    for service, record in sorted(latest.items()):
        try:
            per_slo = measured_spend(
                record.policy.text, source, since, now, path=record.policy.path or service
            )
        except AuditError:
            continue
        spent = service_spend(per_slo)
        if spent is not None:
            spend[service] = spent
    return spend
