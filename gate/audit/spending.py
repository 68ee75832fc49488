"""The `slo-gate audit report`: how each service's budget was spent over a period. PURE.

In: typed records (gate.audit.record, read and verified by the caller), the period [since, until] and,
optionally, each service's spend over that period measured by the caller (gate.audit.settle.period_spend).
Out: an `AuditReport` (decisions by outcome, deploys and what they cost per risk level, overrides,
burn no deploy explains) and its text, Markdown or JSON rendering.

Every report states the span its numbers cover and how much data it had: the period (with its length),
where the log's records start within it (so "3 d of data" in a 90 d period is visible), and the span
the measured spend was measured over. Nothing here reads a file, the clock or the network; text from
records (labels, actors, ids, service names) is untrusted and leaves only through `clean` (text) or
`md_escape` (Markdown).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

from gate.audit.history import OUTCOMES, align, fmt_cost
from gate.audit.record import AuditRecord, DecisionRecord, SettlementRecord
from gate.audit.settle import DAY, deploy_time, is_deploy
from gate.report import clean, md_escape, plural
from gate.times import iso

__all__ = [
    "REPORT_FORMATS",
    "AuditReport",
    "DeployCost",
    "OverrideUse",
    "RiskStats",
    "ServiceReport",
    "build_report",
    "render_report",
    "span_text",
]

REPORT_FORMATS: tuple[str, ...] = ("text", "json", "markdown")
RISK_ORDER: tuple[str, ...] = ("low", "medium", "high")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class RiskStats(Frozen):
    risk: str
    deploys: int
    settled: int
    median_cost: float | None
    total_cost: float


class OverrideUse(Frozen):
    """An honoured override or fix label: who let what through, when."""

    kind: str
    label: str
    actor: str | None
    time: str
    pr: int | None
    id: str
    outcome: str | None


class DeployCost(Frozen):
    """One deploy in the period and what it cost (None: not settled yet, or not measurable)."""

    id: str
    time: str
    risk: str
    pr: int | None
    head_sha: str | None
    cost: float | None
    settled: bool


class ServiceReport(Frozen):
    service: str
    decisions: dict[str, int]  # every outcome, zeros included
    deploys: int
    settled: int  # deploys with a measured cost
    unmeasured: int  # settled, but no SLO could be measured (no cost)
    total_cost: float  # sum of the settled deploys' costs (fractions of the budget)
    by_risk: list[RiskStats]
    overrides: list[OverrideUse]
    per_deploy: list[DeployCost] = Field(default_factory=list)
    spent: float | None = None  # measured over [spent_since, spent_until] by the caller
    spent_since: str | None = None
    spent_until: str | None = None
    unattributed: float | None = None  # max(0, spent - total_cost)
    overlapping: int = 0  # settled deploys within 24 h of another settled deploy
    records_from: str | None = None  # this service's first record at or before the period's end
    data_days: float = 0.0  # days of the period from its start (or the first record, if later) to its end
    notes: list[str] = Field(default_factory=list)


class AuditReport(Frozen):
    since: str
    until: str
    days: float = 0.0  # the period's length
    records_from: str | None = None  # the log's first record at or before the period's end
    data_days: float = 0.0  # days of the period the log covers (0: no record in it or before it)
    services: list[ServiceReport]


def span_text(days: float) -> str:
    """`90 d`, `2.5 d`, `18 h`, `40 min`: a span as the report prints it."""
    if days >= 1:
        return f"{days:.0f} d" if abs(days - round(days)) < 0.05 else f"{days:.1f} d"
    hours = days * 24
    return f"{hours:.0f} h" if hours >= 1 else f"{hours * 60:.0f} min"


# ---- building -----------------------------------------------------------------------------------


def _risk_key(risk: str) -> tuple[int, str]:
    return (RISK_ORDER.index(risk) if risk in RISK_ORDER else len(RISK_ORDER), risk)


def _overlapping(times: Sequence[float]) -> int:
    """How many of these deploys started within 24 h of another (their settlement windows overlap)."""
    ordered = sorted(times)
    shared: set[int] = set()
    for i in range(1, len(ordered)):
        if ordered[i] - ordered[i - 1] < DAY:
            shared.update((i - 1, i))
    return len(shared)


def _first_settlements(records: Iterable[AuditRecord]) -> dict[str, SettlementRecord]:
    """Settlement per deploy id; if two settle runs raced, the first one recorded counts."""
    found: dict[str, SettlementRecord] = {}
    for record in records:
        if isinstance(record, SettlementRecord):
            found.setdefault(record.deploy_id, record)
    return found


def _override_uses(record: DecisionRecord) -> list[OverrideUse]:
    return [
        OverrideUse(
            kind=item.kind,
            label=item.label,
            actor=item.actor,
            time=iso(record.at),
            pr=record.run.pr,
            id=record.id,
            outcome=record.outcome,
        )
        for item in record.honoured()
    ]


def _deploy_cost(deploy: DecisionRecord, settlement: SettlementRecord | None) -> DeployCost:
    return DeployCost(
        id=deploy.id,
        time=iso(deploy_time(deploy)),
        risk=deploy.change.risk.value,
        pr=deploy.run.pr,
        head_sha=deploy.run.head_sha,
        cost=settlement.cost if settlement is not None else None,
        settled=settlement is not None,
    )


def _risk_stats(per_deploy: Sequence[DeployCost]) -> list[RiskStats]:
    by_risk: dict[str, list[float | None]] = {}
    for deploy in per_deploy:
        by_risk.setdefault(deploy.risk, []).append(deploy.cost)
    stats = []
    for risk in sorted(by_risk, key=_risk_key):
        costs = [c for c in by_risk[risk] if c is not None]
        stats.append(
            RiskStats(
                risk=risk,
                deploys=len(by_risk[risk]),
                settled=len(costs),
                median_cost=statistics.median(costs) if costs else None,
                total_cost=sum(costs),
            )
        )
    return stats


def _service_report(
    service: str,
    decisions: Sequence[DecisionRecord],
    settlements: Mapping[str, SettlementRecord],
    *,
    first: float | None,
    data_days: float,
    spent: float | None,
    since: float,
    until: float,
) -> ServiceReport:
    outcomes = {o: 0 for o in OUTCOMES}
    for record in decisions:
        outcomes[record.outcome] = outcomes.get(record.outcome, 0) + 1
    deploys = [r for r in decisions if is_deploy(r)]
    per_deploy = [_deploy_cost(d, settlements.get(d.id)) for d in deploys]
    cost_times = [deploy_time(d) for d, c in zip(deploys, per_deploy, strict=True) if c.cost is not None]
    stats = _risk_stats(per_deploy)
    total = sum(s.total_cost for s in stats)
    overlapping = _overlapping(cost_times)
    notes = []
    if overlapping:
        notes.append(
            f"{overlapping} settled deploys were within 24 h of another: their 24 h windows overlap, so "
            "burn in the shared hours counts toward each of them and their costs add up to more than was "
            "spent (the part not attributable to any deploy is understated)"
        )
    period_days = (until - since) / DAY
    if spent is not None and first is not None and first > since:
        notes.append(
            f"the spend was measured over {span_text(period_days)} but this service's audit records "
            f"start at {iso(first)} ({span_text(data_days)} of data): deploys before then were not "
            "recorded, so the burn they caused counts as not attributable to any deploy"
        )
    return ServiceReport(
        service=service,
        decisions=outcomes,
        deploys=len(deploys),
        settled=len(cost_times),
        unmeasured=sum(1 for c in per_deploy if c.settled and c.cost is None),
        total_cost=total,
        by_risk=stats,
        overrides=[use for r in decisions for use in _override_uses(r)],
        per_deploy=per_deploy,
        spent=spent,
        spent_since=iso(since) if spent is not None else None,
        spent_until=iso(until) if spent is not None else None,
        unattributed=None if spent is None else max(0.0, spent - total),
        overlapping=overlapping,
        records_from=iso(first) if first is not None else None,
        data_days=data_days,
        notes=notes,
    )


def _first_times(records: Sequence[AuditRecord], now: float) -> tuple[float | None, dict[str, float]]:
    """The first record's time at or before `now`, over the whole log and per service."""
    first: float | None = None
    per_service: dict[str, float] = {}
    for record in records:
        if not isinstance(record, DecisionRecord | SettlementRecord) or record.at > now:
            continue
        first = record.at if first is None else min(first, record.at)
        per_service[record.service] = min(per_service.get(record.service, record.at), record.at)
    return first, per_service


def build_report(
    records: Sequence[AuditRecord],
    since: float,
    now: float,
    *,
    measured_spend: Mapping[str, float] | None = None,
) -> AuditReport:
    """Per service, the decisions made in [since, now] and what the deploys among them cost.

    A deploy's settlement may be recorded after `now`'s window closes; it is looked up in all of
    `records`. `measured_spend[service]` is the budget fraction the service spent over [since, now]
    (measured by the caller, see gate.audit.settle.period_spend).
    """
    spend = measured_spend or {}
    settlements = _first_settlements(records)
    first, first_by_service = _first_times(records, now)

    def days_from(start: float | None) -> float:
        return 0.0 if start is None else max(0.0, now - max(since, start)) / DAY

    in_range: dict[str, list[DecisionRecord]] = {service: [] for service in spend}
    decisions = [r for r in records if isinstance(r, DecisionRecord)]
    for record in sorted(decisions, key=lambda r: (deploy_time(r), r.seq or 0)):
        if since <= deploy_time(record) <= now:
            in_range.setdefault(record.service, []).append(record)
    services = []
    for service in sorted(in_range):
        start = first_by_service.get(service)
        services.append(
            _service_report(
                service,
                in_range[service],
                settlements,
                first=start,
                data_days=days_from(start),
                spent=spend.get(service),
                since=since,
                until=now,
            )
        )
    return AuditReport(
        since=iso(since),
        until=iso(now),
        days=(now - since) / DAY,
        records_from=iso(first) if first is not None else None,
        data_days=days_from(first),
        services=services,
    )


# ---- rendering ----------------------------------------------------------------------------------


def _period_line(report: AuditReport) -> str:
    """`period A → B (90 d); records from C (3 d of data)`."""
    period = f"period {report.since} → {report.until} ({span_text(report.days)})"
    if report.records_from is None:
        return f"{period}; no audit records in it"
    if report.data_days >= report.days:
        return f"{period}; records from {report.records_from} (all {span_text(report.days)} covered)"
    return f"{period}; records from {report.records_from} ({span_text(report.data_days)} of data)"


def _coverage_line(report: ServiceReport, period: AuditReport) -> str | None:
    """A service's own data, when it starts later than the log's."""
    if report.records_from is None or report.records_from == period.records_from:
        return None
    if report.data_days >= period.days:
        return None
    return f"records from {report.records_from} ({span_text(report.data_days)} of data)"


def _decisions_line(report: ServiceReport) -> str:
    counts = ", ".join(f"{o} {report.decisions.get(o, 0)}" for o in OUTCOMES)
    return f"{plural(sum(report.decisions.values()), 'decision')} ({counts})"


def _deploys_line(report: ServiceReport) -> str:
    line = f"{plural(report.deploys, 'deploy')}, {report.settled} settled, measured cost {fmt_cost(report.total_cost)}"
    if report.unmeasured:
        line += f" ({report.unmeasured} settled without a measurable cost)"
    return line


def _spend_line(report: ServiceReport, period: AuditReport) -> str | None:
    if report.spent is None:
        return None
    return (
        f"budget spent over {report.spent_since} → {report.spent_until} ({span_text(period.days)}, measured): "
        f"{fmt_cost(report.spent)}; not attributable to any deploy {fmt_cost(report.unattributed)}"
    )


def _risk_cells(stats: RiskStats) -> tuple[str, ...]:
    return (
        stats.risk,
        str(stats.deploys),
        str(stats.settled),
        fmt_cost(stats.median_cost),
        fmt_cost(stats.total_cost),
    )


_RISK_HEADER = ("risk", "deploys", "settled", "median cost", "total cost")
_DEPLOY_HEADER = ("deploy", "time", "risk", "PR", "sha", "cost")


def _deploy_cells(deploy: DeployCost) -> tuple[str, ...]:
    cost = (
        fmt_cost(deploy.cost)
        if deploy.cost is not None
        else ("unmeasured" if deploy.settled else "not settled")
    )
    return (
        deploy.id,
        deploy.time,
        deploy.risk,
        f"#{deploy.pr}" if deploy.pr is not None else "—",
        (deploy.head_sha or "—")[:12],
        cost,
    )


def _override_text_line(use: OverrideUse) -> str:
    who = f" by {use.actor}" if use.actor else ""
    pr = f" PR #{use.pr}" if use.pr is not None else ""
    return f"{use.time} {use.kind} {use.label}{who}{pr} ({use.outcome}, {use.id})"


def _summary_lines(service: ServiceReport, report: AuditReport) -> list[str]:
    """The service's summary lines, in both text and Markdown (they hold no record text)."""
    lines = [line for line in (_coverage_line(service, report),) if line]
    lines += [_decisions_line(service), _deploys_line(service)]
    spend = _spend_line(service, report)
    return lines + ([spend] if spend else [])


def _report_text(report: AuditReport) -> str:
    lines = ["slo-gate audit report", _period_line(report), ""]
    if not report.services:
        lines.append("no decisions in this period")
    for service in report.services:
        lines.append(clean(service.service))
        lines += [f"  {line}" for line in _summary_lines(service, report)]
        if service.by_risk:
            lines += [
                "  " + line for line in align([_RISK_HEADER, *(_risk_cells(s) for s in service.by_risk)])
            ]
        if service.per_deploy:
            cells = [tuple(clean(c) for c in _deploy_cells(d)) for d in service.per_deploy]
            lines.append("  per deploy:")
            lines += ["    " + line for line in align([_DEPLOY_HEADER, *cells])]
        if service.overrides:
            lines.append("  overrides:")
            lines += [f"    {clean(_override_text_line(u))}" for u in service.overrides]
        lines += [f"  note: {note}" for note in service.notes]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _overrides_markdown(uses: Sequence[OverrideUse]) -> list[str]:
    lines = ["", "| when | kind | label | by | PR | decision | record |", "|---|---|---|---|---|---|---|"]
    for use in uses:
        cells = [
            use.time,
            md_escape(use.kind),
            md_escape(use.label),
            md_escape(use.actor) if use.actor else "—",
            f"#{use.pr}" if use.pr is not None else "—",
            md_escape(use.outcome or "—"),
            md_escape(use.id),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _report_markdown(report: AuditReport) -> str:
    lines = ["## slo-gate audit report", "", _period_line(report), ""]
    if not report.services:
        lines.append("_No decisions in this period._")
    for service in report.services:
        lines += [f"### {md_escape(service.service)}", ""]
        lines += [f"- {line}" for line in _summary_lines(service, report)]
        if service.by_risk:
            lines += ["", "| " + " | ".join(_RISK_HEADER) + " |", "|---|---:|---:|---:|---:|"]
            lines += [
                "| " + " | ".join([md_escape(s.risk), *_risk_cells(s)[1:]]) + " |" for s in service.by_risk
            ]
        if service.per_deploy:
            lines += ["", "| " + " | ".join(_DEPLOY_HEADER) + " |", "|---|---|---|---|---|---:|"]
            lines += [
                "| " + " | ".join(md_escape(c) for c in _deploy_cells(d)) + " |" for d in service.per_deploy
            ]
        if service.overrides:
            lines += _overrides_markdown(service.overrides)
        if service.notes:
            lines.append("")
            lines += [f"> {md_escape(note, 1000)}" for note in service.notes]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def render_report(report: AuditReport, fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(report.model_dump(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if fmt == "markdown":
        return _report_markdown(report)
    if fmt != "text":
        raise ValueError(f"format {fmt!r} is not one of {', '.join(REPORT_FORMATS)}")
    return _report_text(report)
