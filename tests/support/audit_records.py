"""Hand-built audit records for tests: complete, valid format-1 records with only the facts a test names.

`decision(...)` and `settlement(...)` build typed records (gate.audit.record) the way a gate would have
written them, with small defaults for everything else; `chain(records)` seals them into one hash
chain, as a sink would, and returns them as read back (`parse_record` of each stored object).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gate.audit.chain import GENESIS, seal
from gate.audit.record import (
    AuditRecord,
    DecisionRecord,
    RecordedChange,
    RecordedDecision,
    RecordedLLM,
    RecordedOverride,
    RecordedPolicy,
    RecordedReason,
    RunContext,
    SettledSLO,
    SettlementRecord,
    SettlementWindow,
    parse_record,
)
from gate.models import Category, RiskLevel
from gate.times import iso

DAY = 86400.0
SHA = "0123456789abcdef" * 2 + "01234567"
TIER_REASON = "80.0% budget left (above 50%) allows low, medium, high; change risk is low"


def decision(
    record_id: str,
    at: float,
    *,
    service: str = "checkout",
    outcome: str = "pass",
    event: str | None = "push",
    pr: int | None = None,
    risk: str = "low",
    category: str = "code",
    reason: str = TIER_REASON,
    override: dict[str, Any] | None = None,
    fix: dict[str, Any] | None = None,
    head_sha: str | None = SHA,
    advisory: bool = False,
    would_have: str | None = None,
    run_key: str | None = None,
    run_id: str | None = None,
    policy_text: str = "",
    policy_path: str = "policies/checkout.yaml",
) -> DecisionRecord:
    level = RiskLevel(risk)
    return DecisionRecord.model_validate(
        {
            "id": record_id,
            "service": service,
            "recorded_at": iso(at),
            "evaluated_at": iso(at),
            "evaluated_at_unix": at,
            "gate_version": "0.0.0-test",
            "run": RunContext(event=event, pr=pr, head_sha=head_sha, actor="ci", run_id=run_id),
            "run_key": run_key,
            "gate_mode": "advisory" if advisory else "enforce",
            "policy": RecordedPolicy(path=policy_path, sha256="0" * 64, text=policy_text),
            "metrics_source": "prometheus http://prometheus:9090",
            "queries": [],
            "budgets": [],
            "change": RecordedChange(
                risk=level,
                category=Category(category),
                floor=level,
                llm=RecordedLLM(used=False, note="--no-llm", review=None),
                files=1,
                lines_added=1,
                lines_removed=0,
                assessments=[],
            ),
            "override": RecordedOverride.model_validate({"actor": None, **override}) if override else None,
            "fix": RecordedOverride.model_validate({"actor": None, **fix}) if fix else None,
            "decision": RecordedDecision.model_validate(
                {
                    "outcome": outcome,
                    "exit_code": 1 if outcome == "fail" else 0,
                    "advisory": advisory,
                    "would_have": would_have,
                    "reasons": [
                        RecordedReason(code="tier", message=reason),
                        RecordedReason(code="x", message="second"),
                    ],
                    "tier": None,
                }
            ),
        }
    )


def settlement(
    record_id: str,
    deploy: DecisionRecord,
    cost: float | None,
    at: float,
    *,
    risk: str | None = None,
    service: str | None = None,
) -> SettlementRecord:
    """What `deploy` cost (`cost` as its one SLO's spend; None: not measurable), recorded at `at`."""
    return SettlementRecord(
        id=record_id,
        service=service or deploy.service,
        recorded_at=iso(at),
        gate_version="0.0.0-test",
        deploy_id=deploy.id,
        deploy_risk=RiskLevel(risk) if risk else deploy.change.risk,
        deploy_evaluated_at=deploy.evaluated_at,
        window=SettlementWindow(start=deploy.evaluated_at, end=iso(deploy.at + DAY)),
        metrics_source="prometheus http://prometheus:9090",
        slos=[
            SettledSLO(
                name="availability",
                objective=99.9,
                window="30d",
                window_seconds=30 * DAY,
                burn_rate_24h=None if cost is None else cost * 30,
                error_ratio_24h=None if cost is None else cost * 30 * 0.001,
                budget_spent=cost,
                status="ok" if cost is not None else "inconclusive",
                reason=None if cost is not None else "no traffic in the 24 h after the deploy",
                queries=[],
            )
        ],
        cost=cost,
    )


def sealed(records: Sequence[AuditRecord]) -> list[dict[str, Any]]:
    """The records sealed into one hash chain: the JSON objects a sink stores, in order."""
    stored, prev = [], GENESIS
    for seq, record in enumerate(records, start=1):
        item = seal(record.body(), seq, prev)
        stored.append(item)
        prev = item["hash"]
    return stored


def chain(records: Sequence[AuditRecord]) -> list[AuditRecord]:
    """The records sealed into one chain and read back, as `read_records` returns them."""
    return [parse_record(item) for item in sealed(records)]
