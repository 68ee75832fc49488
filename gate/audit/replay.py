"""Re-run a recorded decision offline and say whether today's code reaches the same verdict.

The record holds the policy's exact text, every query with its answer (or error) and the change's
risk as it was assessed; the budgets are recomputed from the recorded answers (through the same
measuring code as a live run) and decided again. The change's risk is taken as recorded: the
diff itself is not kept (it may be large, and it was redacted), and re-asking a model would not be a
replay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gate import decide
from gate.errors import DataError, UsageError
from gate.measure import measure_policies
from gate.models import Category, ChangeRisk, Override, RiskLevel, Sample
from gate.policy_load import load_policy_bytes

__all__ = ["Replay", "replay"]


@dataclass(frozen=True)
class Replay:
    record_id: str
    service: str
    recorded: str
    replayed: str
    differences: tuple[str, ...]

    @property
    def same(self) -> bool:
        return not self.differences


class _RecordedSource:
    """Answers each query as it was answered: the recorded samples, or the recorded error again."""

    def __init__(self, queries: Sequence[Mapping[str, Any]], record_id: str) -> None:
        self._answers = {q["expr"]: q for q in queries}
        self._record_id = record_id

    def instant(self, expr: str, at: float, *, tenant: str | None = None) -> list[Sample]:
        query = self._answers.get(expr)
        if query is None:
            raise DataError(f"audit record {self._record_id} holds no answer for this query", query=expr)
        if query.get("error"):
            raise DataError(str(query["error"]))
        return [Sample.model_validate(s) for s in query["samples"]]


def _override(data: Any) -> Override | None:
    return Override.model_validate(data) if isinstance(data, Mapping) else None


def replay(record: Mapping[str, Any]) -> Replay:
    """Decide `record` (a `decision` record) again from what it holds."""
    if record.get("kind") != "decision":
        raise UsageError(f"record {record.get('id')}: only decision records can be replayed")
    policy_data = record["policy"]
    loaded = load_policy_bytes(str(policy_data["text"]).encode("utf-8"), str(policy_data["path"]))
    mode = record.get("gate_mode")
    if mode in ("enforce", "advisory"):  # the run's --mode override
        loaded = loaded.with_mode(mode)
    at = float(record["evaluated_at_unix"])
    source = _RecordedSource(record["queries"], str(record["id"]))
    [budgets] = measure_policies([loaded], source, at, concurrency=1)
    change_data = record["change"]
    risk = RiskLevel(change_data["risk"])
    change = ChangeRisk(
        risk=risk, category=Category(change_data["category"]), floor=RiskLevel(change_data["floor"])
    )
    decision = decide.decide(
        loaded.policy.gate, budgets, change, _override(record.get("override")), _override(record.get("fix"))
    )
    recorded = record["decision"]
    differences: list[str] = []
    if decision.outcome != recorded["outcome"]:
        differences.append(f"outcome: recorded {recorded['outcome']}, replayed {decision.outcome}")
    recorded_reasons = [(r["code"], r["message"]) for r in recorded["reasons"]]
    replayed_reasons = [(r.code, r.message) for r in decision.reasons]
    if recorded_reasons != replayed_reasons:
        for index in range(max(len(recorded_reasons), len(replayed_reasons))):
            old = recorded_reasons[index] if index < len(recorded_reasons) else None
            new = replayed_reasons[index] if index < len(replayed_reasons) else None
            if old != new:
                differences.append(
                    f"reason {index + 1}: recorded {': '.join(old) if old else '(none)'}; "
                    f"replayed {': '.join(new) if new else '(none)'}"
                )
    recorded_slos = {b["name"]: b.get("budget_remaining") for b in record["budgets"]}
    for slo in budgets.slos:
        before = recorded_slos.get(slo.name)
        if before != slo.budget_remaining:
            differences.append(
                f"SLO {slo.name}: budget left recorded {before}, replayed {slo.budget_remaining}"
            )
    return Replay(
        record_id=str(record["id"]),
        service=str(record["service"]),
        recorded=str(recorded["outcome"]),
        replayed=decision.outcome,
        differences=tuple(differences),
    )
