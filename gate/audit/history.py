"""The `slo-gate audit log` listing: one row per record, filtered, as a text table, JSON or CSV. PURE.

In: typed records (gate.audit.record, read and verified by the caller). Out: `LogRow`s, oldest first,
and their rendering. Every record is listed, those this slo-gate does not read included (their kind
marked "(not read)", the reason in the reason column). Nothing here reads a file, the clock or the
network. Text from records (labels, actors, reasons, service names) is untrusted: renderers pass it
through `clean` (text, CSV), and CSV cells that a spreadsheet would run as a formula are defused.
The `audit report` lives in gate.audit.spending.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from gate.audit.record import AuditRecord, DecisionRecord, SettlementRecord, UnknownRecord
from gate.report import clean
from gate.times import iso

__all__ = [
    "LOG_FORMATS",
    "OUTCOMES",
    "LogFilter",
    "LogRow",
    "align",
    "csv_cell",
    "fmt_cost",
    "log_rows",
    "render_log",
]

OUTCOMES: tuple[str, ...] = ("pass", "warn", "fail", "inconclusive")
LOG_FORMATS: tuple[str, ...] = ("text", "json", "csv")

_FORMULA_START = ("=", "+", "-", "@")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


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


def _override_text(record: DecisionRecord) -> str:
    parts = []
    for item in record.honoured():
        parts.append(f"{item.label} by {item.actor}" if item.actor else item.label)
    return "; ".join(parts)


def _decision_row(record: DecisionRecord) -> LogRow:
    run, change, reasons = record.run, record.change, record.decision.reasons
    return LogRow(
        seq=record.seq,
        hash=record.hash or "",
        id=record.id,
        kind="decision",
        service=record.service,
        time=iso(record.at),
        event=run.event,
        pr=run.pr,
        head_sha=run.head_sha,
        risk=change.risk.value,
        category=change.category.value,
        decision=record.outcome,
        override=_override_text(record),
        reasons=reasons[0].message if reasons else "",
    )


def _settlement_reason(record: SettlementRecord) -> str:
    """Why a settlement has no cost: its first SLO that could not be measured."""
    if record.cost is not None:
        return ""
    for slo in record.slos:
        if slo.budget_spent is None:
            return f"{slo.name}: {slo.reason or 'not measured'}"
    return "no SLO measured"


def _settlement_row(record: SettlementRecord, deploys: Mapping[str, DecisionRecord]) -> LogRow:
    # A settlement shows its deploy's run (event, PR, commit), so `--pr` finds both.
    deploy = deploys.get(record.deploy_id)
    run = deploy.run if deploy is not None else None
    return LogRow(
        seq=record.seq,
        hash=record.hash or "",
        id=record.id,
        kind="settlement",
        service=record.service,
        time=iso(record.at),
        event=run.event if run else None,
        pr=run.pr if run else None,
        head_sha=run.head_sha if run else None,
        risk=record.deploy_risk.value,
        category=deploy.change.category.value if deploy is not None else None,
        cost=record.cost,
        reasons=_settlement_reason(record),
    )


def _unknown_row(record: UnknownRecord) -> LogRow:
    """A line this slo-gate does not read: shown with what can be told, and why it was not read."""
    at = record.at
    return LogRow(
        seq=record.seq,
        hash=record.hash or "",
        id=record.id or "",
        kind=f"{record.kind or '?'} (not read)",
        service=record.service or "",
        time=iso(at) if at is not None else "",
        reasons=record.problem,
    )


def _row(record: AuditRecord, deploys: Mapping[str, DecisionRecord]) -> LogRow:
    if isinstance(record, DecisionRecord):
        return _decision_row(record)
    if isinstance(record, SettlementRecord):
        return _settlement_row(record, deploys)
    return _unknown_row(record)


def _matches(row: LogRow, at: float | None, wanted: LogFilter) -> bool:
    if wanted.service is not None and row.service != wanted.service:
        return False
    if wanted.since is not None and (at is None or at < wanted.since):
        return False
    if wanted.decision is not None and row.decision != wanted.decision:
        return False
    return wanted.pr is None or row.pr == wanted.pr


def log_rows(records: Sequence[AuditRecord], wanted: LogFilter | None = None) -> list[LogRow]:
    """The records that match, oldest first (several services' logs interleave by time; a record
    whose time cannot be read comes first)."""
    wanted = wanted or LogFilter()
    deploys = {r.id: r for r in records if isinstance(r, DecisionRecord)}
    timed: list[tuple[float, str, int, LogRow]] = []
    for index, record in enumerate(records):
        row = _row(record, deploys)
        at = record.at
        if _matches(row, at, wanted):
            timed.append((at if at is not None else float("-inf"), row.service, index, row))
    timed.sort(key=lambda t: t[:3])
    return [row for *_, row in timed]


def fmt_cost(fraction: float | None) -> str:
    """A fraction of a budget as a percentage with two decimals, or — when unknown."""
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
        row.time or "—",
        text(row.service),
        text(row.kind),
        text(row.event),
        "—" if row.pr is None else f"#{row.pr}",
        text(row.head_sha[:7] if row.head_sha else None),
        text(row.risk),
        text(row.category),
        text(row.decision),
        fmt_cost(row.cost),
        text(row.override),
        text(row.reasons, 160),
    )


def align(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of cells as left-aligned columns two spaces apart (no trailing blanks)."""
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
    return "\n".join(align([_TEXT_COLUMNS, *(_text_cells(r) for r in rows)])) + "\n"
