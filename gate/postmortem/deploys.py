"""PURE: the gate's decisions around an incident, from the typed audit records.

In: records (gate.audit.record, read by the caller), the service and the incident's onset and end.
Out: `DeployFacts` for every decision of the service from LOOKBACK before the onset to the end, in
time order: passed, failed and overridden (who applied the label and the gate's verdict on it), with
the settled cost where a settlement exists. The last deploy before the onset is marked `nearest`:
the one to look at first, not a verdict that it caused anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gate.postmortem.model import DeployFacts
from gate.times import iso

if TYPE_CHECKING:
    from gate.audit.record import AuditRecord, SettlementRecord

__all__ = ["LOOKBACK", "decisions_around"]

LOOKBACK = 86400.0  # a deploy's settlement covers its first 24 h: older ones are not suspects


def _settlements(records: Sequence[AuditRecord]) -> dict[str, SettlementRecord]:
    from gate.audit.record import SettlementRecord

    found: dict[str, SettlementRecord] = {}
    for record in records:
        if isinstance(record, SettlementRecord):
            found.setdefault(record.deploy_id, record)  # two settle runs raced: the first counts
    return found


def decisions_around(
    records: Sequence[AuditRecord], service: str, onset: float, end: float, *, lookback: float = LOOKBACK
) -> list[DeployFacts]:
    if not records:
        return []  # no audit log read: nothing to load the record models for
    from gate.audit.record import DecisionRecord
    from gate.audit.settle import deploy_time, is_deploy

    settled = _settlements(records)
    chosen = [
        r
        for r in records
        if isinstance(r, DecisionRecord)
        and r.service == service
        and onset - lookback <= deploy_time(r) <= end
    ]
    chosen.sort(key=lambda r: (deploy_time(r), r.seq or 0))
    before = [r for r in chosen if is_deploy(r) and deploy_time(r) <= onset]
    nearest = before[-1].id if before else None
    facts = []
    for record in chosen:
        honoured = record.honoured()
        override = honoured[0] if honoured else record.override
        settlement = settled.get(record.id)
        cost = settlement.cost if settlement is not None else None
        facts.append(
            DeployFacts(
                id=record.id,
                at=iso(deploy_time(record)),
                at_unix=deploy_time(record),
                outcome=record.outcome,
                deploy=is_deploy(record),
                risk=record.change.risk.value,
                event=record.run.event,
                pr=record.run.pr,
                head_sha=record.run.head_sha,
                actor=record.run.actor,
                overridden=bool(honoured),
                override_label=override.label if override is not None else None,
                override_actor=override.actor if override is not None else None,
                override_reason=override.reason if override is not None else None,
                cost_pct=None if cost is None else cost * 100.0,
                settled=settlement is not None,
                minutes_before_onset=(onset - deploy_time(record)) / 60.0,
                nearest=record.id == nearest,
            )
        )
    return facts
