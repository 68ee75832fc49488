"""Reading the audit log: `slo-gate audit log` rows and the `slo-gate audit report` summary. PURE.

Records come in as parsed JSON objects (already verified by the caller); nothing here reads a file,
the clock or the network. Text from records (labels, actors, reasons, service names) is untrusted:
renderers pass it through `clean` (text, CSV) or `md_escape` (Markdown), and CSV cells that a
spreadsheet would run as a formula are defused.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from gate.audit.settle import DAY, deploy_time, is_deploy
from gate.report import clean, md_escape, plural
from gate.times import iso, parse_iso

__all__ = [
    "LOG_FORMATS",
    "OUTCOMES",
    "REPORT_FORMATS",
    "AuditReport",
    "LogFilter",
    "LogRow",
    "OverrideUse",
    "RiskStats",
    "ServiceReport",
    "build_report",
    "csv_cell",
    "log_rows",
    "record_time",
    "render_log",
    "render_report",
]

OUTCOMES: tuple[str, ...] = ("pass", "warn", "fail", "inconclusive")
RISK_ORDER: tuple[str, ...] = ("low", "medium", "high")
LOG_FORMATS: tuple[str, ...] = ("text", "json", "csv")
REPORT_FORMATS: tuple[str, ...] = ("text", "json", "markdown")

_FORMULA_START = ("=", "+", "-", "@")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ---- --since ------------------------------------------------------------------------------------


# ---- records ------------------------------------------------------------------------------------


def record_time(record: Mapping[str, Any]) -> float:
    """When a decision was made, or when anything else (a settlement) was recorded."""
    if record.get("kind") == "decision":
        return deploy_time(record)
    return parse_iso(str(record.get("recorded_at") or record.get("evaluated_at")))


def _first_settlements(records: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Settlement per deploy id; if two settle runs raced, the first one recorded counts."""
    found: dict[str, Mapping[str, Any]] = {}
    for record in records:
        if record.get("kind") == "settlement" and record.get("deploy_id") is not None:
            found.setdefault(str(record["deploy_id"]), record)
    return found


def _honoured(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Honoured override and fix labels of a decision record."""
    return [
        item
        for item in (record.get("override"), record.get("fix"))
        if isinstance(item, Mapping) and item.get("honoured")
    ]


def _optional_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


# ---- audit log rows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LogFilter:
    """Which records `audit log` shows; every field left None matches everything."""

    service: str | None = None
    since: float | None = None
    decision: str | None = None  # pass | warn | fail | inconclusive: decision records only
    pr: int | None = None

    def __post_init__(self) -> None:
        if self.decision is not None and self.decision not in OUTCOMES:
            raise ValueError(f"decision {self.decision!r} is not one of {', '.join(OUTCOMES)}")


class LogRow(Frozen):
    """One record as a line of `audit log`. `hash` and `head_sha` are full; the text table shortens them."""

    seq: int | None
    hash: str
    id: str
    kind: str
    service: str
    time: str
    event: str | None = None
    pr: int | None = None
    head_sha: str | None = None
    risk: str | None = None
    category: str | None = None
    decision: str | None = None
    override: str = ""
    cost: float | None = None
    reasons: str = ""


def _override_text(record: Mapping[str, Any]) -> str:
    parts = []
    for item in _honoured(record):
        actor = item.get("actor")
        parts.append(f"{item.get('label')} by {actor}" if actor else str(item.get("label")))
    return "; ".join(parts)


def _decision_row(record: Mapping[str, Any]) -> LogRow:
    run = record.get("run") or {}
    change = record.get("change") or {}
    decision = record.get("decision") or {}
    reasons = decision.get("reasons") or []
    return LogRow(
        seq=_optional_int(record.get("seq")),
        hash=str(record.get("hash") or ""),
        id=str(record.get("id") or ""),
        kind="decision",
        service=str(record.get("service") or ""),
        time=iso(record_time(record)),
        event=_optional_str(run.get("event")),
        pr=_optional_int(run.get("pr")),
        head_sha=_optional_str(run.get("head_sha")),
        risk=_optional_str(change.get("risk")),
        category=_optional_str(change.get("category")),
        decision=_optional_str(decision.get("outcome")),
        override=_override_text(record),
        reasons=str(reasons[0].get("message") or "") if reasons and isinstance(reasons[0], Mapping) else "",
    )


def _settlement_reason(record: Mapping[str, Any]) -> str:
    """Why a settlement has no cost: its first SLO that could not be measured."""
    if record.get("cost") is not None:
        return ""
    for slo in record.get("slos") or []:
        if slo.get("budget_spent") is None:
            return f"{slo.get('name')}: {slo.get('reason') or 'not measured'}"
    return "no SLO measured"


def _other_row(record: Mapping[str, Any], deploys: Mapping[str, Mapping[str, Any]]) -> LogRow:
    # A settlement shows its deploy's run (event, PR, commit), so `--pr` finds both.
    deploy = deploys.get(str(record.get("deploy_id")), {})
    run = deploy.get("run") or {}
    change = deploy.get("change") or {}
    cost = record.get("cost")
    return LogRow(
        seq=_optional_int(record.get("seq")),
        hash=str(record.get("hash") or ""),
        id=str(record.get("id") or ""),
        kind=str(record.get("kind") or ""),
        service=str(record.get("service") or ""),
        time=iso(record_time(record)),
        event=_optional_str(run.get("event")),
        pr=_optional_int(run.get("pr")),
        head_sha=_optional_str(run.get("head_sha")),
        risk=_optional_str(record.get("deploy_risk") or change.get("risk")),
        category=_optional_str(change.get("category")),
        cost=float(cost) if isinstance(cost, int | float) else None,
        reasons=_settlement_reason(record) if record.get("kind") == "settlement" else "",
    )


def _matches(row: LogRow, at: float, wanted: LogFilter) -> bool:
    if wanted.service is not None and row.service != wanted.service:
        return False
    if wanted.since is not None and at < wanted.since:
        return False
    if wanted.decision is not None and row.decision != wanted.decision:
        return False
    return wanted.pr is None or row.pr == wanted.pr


def log_rows(records: Sequence[Mapping[str, Any]], wanted: LogFilter | None = None) -> list[LogRow]:
    """The records that match, oldest first (several services' logs interleave by time)."""
    wanted = wanted or LogFilter()
    deploys = {str(r.get("id")): r for r in records if r.get("kind") == "decision"}
    timed: list[tuple[float, str, int, LogRow]] = []
    for index, record in enumerate(records):
        row = _decision_row(record) if record.get("kind") == "decision" else _other_row(record, deploys)
        at = record_time(record)
        if _matches(row, at, wanted):
            timed.append((at, row.service, index, row))
    timed.sort(key=lambda t: t[:3])
    return [row for *_, row in timed]


def _fmt_cost(fraction: float | None) -> str:
    return "—" if fraction is None else f"{fraction * 100:.2f}%"


_TEXT_COLUMNS = (
    "seq",
    "hash",
    "time",
    "service",
    "kind",
    "event",
    "pr",
    "sha",
    "risk",
    "category",
    "decision",
    "cost",
    "override",
    "reason",
)


def _text_cells(row: LogRow) -> tuple[str, ...]:
    def text(value: str | None, limit: int = 60) -> str:
        return clean(value, limit) if value else "—"

    return (
        "—" if row.seq is None else str(row.seq),
        row.hash[:12] or "—",
        row.time,
        text(row.service),
        text(row.kind),
        text(row.event),
        "—" if row.pr is None else f"#{row.pr}",
        text(row.head_sha[:7] if row.head_sha else None),
        text(row.risk),
        text(row.category),
        text(row.decision),
        _fmt_cost(row.cost),
        text(row.override),
        text(row.reasons, 160),
    )


def _align(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]


def csv_cell(value: object) -> str:
    """One CSV cell: one printable line, and never a formula when a spreadsheet opens it."""
    if value is None:
        return ""
    # clean() escapes every control character but tab; a leading tab is a formula trigger too.
    text = clean(str(value), 2000).replace("\t", "\\t")
    # OWASP CSV injection: a leading = + - @ makes Excel/Sheets evaluate the cell.
    return "'" + text if text.startswith(_FORMULA_START) else text


def render_log(rows: Sequence[LogRow], fmt: str = "text") -> str:
    """`fmt`: text (aligned table, short hashes), json (full values) or csv (full values, defused)."""
    if fmt == "json":
        return (
            json.dumps([r.model_dump() for r in rows], indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        )
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        fields = list(LogRow.model_fields)
        writer.writerow(fields)
        for row in rows:
            data = row.model_dump()
            writer.writerow([csv_cell(data[name]) for name in fields])
        return out.getvalue()
    if fmt != "text":
        raise ValueError(f"format {fmt!r} is not one of {', '.join(LOG_FORMATS)}")
    if not rows:
        return "no audit records match\n"
    return "\n".join(_align([_TEXT_COLUMNS, *(_text_cells(r) for r in rows)])) + "\n"


# ---- audit report -------------------------------------------------------------------------------


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
    spent: float | None = None  # measured over the whole period by the caller
    unattributed: float | None = None  # max(0, spent - total_cost)
    overlapping: int = 0  # settled deploys within 24 h of another settled deploy
    notes: list[str] = Field(default_factory=list)


class AuditReport(Frozen):
    since: str
    until: str
    services: list[ServiceReport]


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


def _override_uses(record: Mapping[str, Any]) -> list[OverrideUse]:
    run = record.get("run") or {}
    outcome = (record.get("decision") or {}).get("outcome")
    return [
        OverrideUse(
            kind=str(item.get("kind") or ""),
            label=str(item.get("label") or ""),
            actor=_optional_str(item.get("actor")),
            time=iso(record_time(record)),
            pr=_optional_int(run.get("pr")),
            id=str(record.get("id") or ""),
            outcome=_optional_str(outcome),
        )
        for item in _honoured(record)
    ]


def _service_report(
    service: str,
    decisions: Sequence[Mapping[str, Any]],
    settlements: Mapping[str, Mapping[str, Any]],
    spent: float | None,
) -> ServiceReport:
    outcomes = {o: 0 for o in OUTCOMES}
    for record in decisions:
        outcome = str((record.get("decision") or {}).get("outcome"))
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    deploys = [r for r in decisions if is_deploy(r)]
    by_risk: dict[str, list[float | None]] = {}
    cost_times: list[float] = []
    unmeasured = 0
    per_deploy: list[DeployCost] = []
    for deploy in deploys:
        risk = str((deploy.get("change") or {}).get("risk"))
        settlement = settlements.get(str(deploy.get("id")))
        cost = settlement.get("cost") if settlement is not None else None
        run = deploy.get("run") or {}
        per_deploy.append(
            DeployCost(
                id=str(deploy.get("id") or ""),
                time=iso(deploy_time(deploy)),
                risk=risk,
                pr=_optional_int(run.get("pr")),
                head_sha=_optional_str(run.get("head_sha")),
                cost=float(cost) if cost is not None else None,
                settled=settlement is not None,
            )
        )
        if settlement is not None and cost is None:
            unmeasured += 1
        by_risk.setdefault(risk, []).append(float(cost) if cost is not None else None)
        if cost is not None:
            cost_times.append(deploy_time(deploy))
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
    total = sum(s.total_cost for s in stats)
    overlapping = _overlapping(cost_times)
    notes = []
    if overlapping:
        notes.append(
            f"{overlapping} settled deploys were within 24 h of another: their 24 h windows overlap, so "
            "burn in the shared hours counts toward each of them and their costs add up to more than was "
            "spent (the part not attributable to any deploy is understated)"
        )
    unattributed = None if spent is None else max(0.0, spent - total)
    return ServiceReport(
        service=service,
        decisions=outcomes,
        deploys=len(deploys),
        settled=len(cost_times),
        unmeasured=unmeasured,
        total_cost=total,
        by_risk=stats,
        overrides=[use for r in decisions for use in _override_uses(r)],
        per_deploy=per_deploy,
        spent=spent,
        unattributed=unattributed,
        overlapping=overlapping,
        notes=notes,
    )


def build_report(
    records: Sequence[Mapping[str, Any]],
    since: float,
    now: float,
    *,
    measured_spend: Mapping[str, float] | None = None,
) -> AuditReport:
    """Per service, the decisions made in [since, now] and what the deploys among them cost.

    A deploy's settlement may be recorded after `now`'s window closes; it is looked up in all of
    `records`. `measured_spend[service]` is the budget fraction the service spent over the whole
    period (measured by the caller, see gate.audit.settle.measured_spend).
    """
    spend = measured_spend or {}
    settlements = _first_settlements(records)
    in_range: dict[str, list[Mapping[str, Any]]] = {service: [] for service in spend}
    for record in sorted(
        (r for r in records if r.get("kind") == "decision"), key=lambda r: (deploy_time(r), r.get("seq") or 0)
    ):
        if since <= deploy_time(record) <= now:
            in_range.setdefault(str(record.get("service")), []).append(record)
    return AuditReport(
        since=iso(since),
        until=iso(now),
        services=[
            _service_report(service, in_range[service], settlements, spend.get(service))
            for service in sorted(in_range)
        ],
    )


def _decisions_line(report: ServiceReport) -> str:
    counts = ", ".join(f"{o} {report.decisions.get(o, 0)}" for o in OUTCOMES)
    return f"{plural(sum(report.decisions.values()), 'decision')} ({counts})"


def _deploys_line(report: ServiceReport) -> str:
    line = f"{plural(report.deploys, 'deploy')}, {report.settled} settled, measured cost {_fmt_cost(report.total_cost)}"
    if report.unmeasured:
        line += f" ({report.unmeasured} settled without a measurable cost)"
    return line


def _spend_line(report: ServiceReport) -> str | None:
    if report.spent is None:
        return None
    return (
        f"budget spent over the period {_fmt_cost(report.spent)}; "
        f"not attributable to any deploy {_fmt_cost(report.unattributed)}"
    )


def _risk_cells(stats: RiskStats) -> tuple[str, ...]:
    return (
        stats.risk,
        str(stats.deploys),
        str(stats.settled),
        _fmt_cost(stats.median_cost),
        _fmt_cost(stats.total_cost),
    )


_RISK_HEADER = ("risk", "deploys", "settled", "median cost", "total cost")
_DEPLOY_HEADER = ("deploy", "time", "risk", "PR", "sha", "cost")


def _deploy_cells(deploy: DeployCost) -> tuple[str, ...]:
    cost = (
        _fmt_cost(deploy.cost)
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


def _report_text(report: AuditReport) -> str:
    lines = [f"slo-gate audit report {report.since} to {report.until}", ""]
    if not report.services:
        lines.append("no decisions in this period")
    for service in report.services:
        lines.append(clean(service.service))
        lines.append(f"  {_decisions_line(service)}")
        lines.append(f"  {_deploys_line(service)}")
        spend = _spend_line(service)
        if spend:
            lines.append(f"  {spend}")
        if service.by_risk:
            lines += [
                "  " + line for line in _align([_RISK_HEADER, *(_risk_cells(s) for s in service.by_risk)])
            ]
        if service.per_deploy:
            lines.append("  per deploy:")
            lines += [
                "    " + line
                for line in _align(
                    [_DEPLOY_HEADER, *(tuple(clean(c) for c in _deploy_cells(d)) for d in service.per_deploy)]
                )
            ]
        if service.overrides:
            lines.append("  overrides:")
            lines += [f"    {clean(_override_text_line(u))}" for u in service.overrides]
        lines += [f"  note: {note}" for note in service.notes]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _report_markdown(report: AuditReport) -> str:
    lines = [f"## slo-gate audit report · {report.since} to {report.until}", ""]
    if not report.services:
        lines.append("_No decisions in this period._")
    for service in report.services:
        lines += [f"### {md_escape(service.service)}", ""]
        lines.append(f"- {_decisions_line(service)}")
        lines.append(f"- {_deploys_line(service)}")
        spend = _spend_line(service)
        if spend:
            lines.append(f"- {spend}")
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
            lines += [
                "",
                "| when | kind | label | by | PR | decision | record |",
                "|---|---|---|---|---|---|---|",
            ]
            for use in service.overrides:
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
