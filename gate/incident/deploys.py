"""PURE: the gated changes that went out around a burn's onset, from the audit log's typed records.

In: the records (gate.audit.recorder.read_records), the service, the onset (None when unknown) and
the evaluation time. Out: `DeployInfo`s, newest first, at most MAX_DEPLOYS: every decision record of
the service that let its change through (outcome pass or warn, overrides included: an honoured
override label passes) with a time (`evaluated_at`) from BEFORE (6 h) before the onset until the
evaluation time. Pull-request checks count too: on teams that gate only pull requests they are the
only record of what shipped, and the PR number is what an SRE looks up. Several decisions of one
change (re-runs, the PR check and the deploy) are one entry: the latest.

`correlated`: the burn began within CORRELATION (2 h) after the decision. PR titles are not in the
records; the caller may add them (untrusted text) from GitHub.
"""

from __future__ import annotations

from collections.abc import Sequence

from gate.audit.record import AuditRecord, DecisionRecord
from gate.audit.settle import DEPLOY_OUTCOMES
from gate.incident.model import DeployInfo

__all__ = ["BEFORE", "CORRELATION", "MAX_DEPLOYS", "deploys_around"]

BEFORE = 6 * 3600.0
CORRELATION = 2 * 3600.0
MAX_DEPLOYS = 10


def deploys_around(
    records: Sequence[AuditRecord], service: str, *, onset: float | None, at: float
) -> list[DeployInfo]:
    start = (onset if onset is not None else at) - BEFORE
    latest: dict[tuple[object, ...], DecisionRecord] = {}
    for record in records:
        if not isinstance(record, DecisionRecord) or record.service != service:
            continue
        if record.decision.outcome not in DEPLOY_OUTCOMES or not start <= record.at <= at:
            continue
        change = (
            (record.run.repo, record.run.pr, record.run.head_sha) if record.run.head_sha else (record.id,)
        )
        kept = latest.get(change)
        if kept is None or record.at >= kept.at:
            latest[change] = record
    ordered = sorted(latest.values(), key=lambda r: r.at, reverse=True)[:MAX_DEPLOYS]
    return [_info(record, onset) for record in ordered]


def _info(record: DecisionRecord, onset: float | None) -> DeployInfo:
    return DeployInfo(
        record_id=record.id,
        time=record.at,
        repo=record.run.repo,
        pr=record.run.pr,
        sha=record.run.head_sha,
        risk=record.change.risk.value,
        outcome=record.decision.outcome,
        overridden=any(item.kind == "override" for item in record.honoured()),
        event=record.run.event,
        correlated=onset is not None and 0.0 <= onset - record.at <= CORRELATION,
    )
