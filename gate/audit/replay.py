"""Re-run a recorded decision offline and say whether today's code reaches the same verdict.

The record holds the policy's exact text, every query with its answer (or error) and the change's
risk as it was assessed; the budgets are recomputed from the recorded answers (through the same
measuring code as a live run) and decided again. The change's risk is taken as recorded: the
diff itself is not kept (it may be large, and it was redacted), and re-asking a model would not be a
replay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gate import decide
from gate.audit.record import DecisionRecord, RecordedOverride, RecordedQuery
from gate.errors import DataError
from gate.measure import measure_policies
from gate.models import ChangeRisk, Override, Sample
from gate.policy import LoadedPolicy
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

    def __init__(self, queries: Sequence[RecordedQuery], record_id: str) -> None:
        self._answers = {q.expr: q for q in queries}
        self._record_id = record_id

    def instant(self, expr: str, at: float, *, tenant: str | None = None) -> list[Sample]:
        query = self._answers.get(expr)
        if query is None:
            raise DataError(f"audit record {self._record_id} holds no answer for this query", query=expr)
        if query.error:
            raise DataError(query.error)
        return [Sample(labels=s.labels, value=s.value) for s in query.samples]


def _override(item: RecordedOverride | None) -> Override | None:
    if item is None:
        return None
    return Override(
        kind=item.kind, label=item.label, honoured=item.honoured, actor=item.actor, reason=item.reason
    )


def _recorded_as_run(loaded: LoadedPolicy, record: DecisionRecord) -> LoadedPolicy:
    """The policy with the SLOs the run read from recorded series (its --use-recorded) marked so: the
    queries it holds show which (a recorded read names the info series and the SLO)."""
    from gate import recording

    names: set[str] = set()
    for query in record.queries:
        if recording.INFO in query.expr:
            names |= recording.slo_names(query.expr)
    if not names:
        return loaded
    slos = [slo.with_recorded() if slo.name in names else slo for slo in loaded.policy.slos]
    return loaded.model_copy(update={"policy": loaded.policy.model_copy(update={"slos": slos})})


def replay(record: DecisionRecord) -> Replay:
    """Decide `record` again from what it holds."""
    loaded = load_policy_bytes(record.policy.text.encode("utf-8"), record.policy.path)
    if record.gate_mode is not None:  # the run's --mode override
        loaded = loaded.with_mode(record.gate_mode)
    loaded = _recorded_as_run(loaded, record)
    source = _RecordedSource(record.queries, record.id)
    [budgets] = measure_policies([loaded], source, record.evaluated_at_unix, concurrency=1)
    recorded_change = record.change
    change = ChangeRisk(
        risk=recorded_change.risk, category=recorded_change.category, floor=recorded_change.floor
    )
    decision = decide.decide(
        loaded.policy.gate, budgets, change, _override(record.override), _override(record.fix)
    )
    recorded = record.decision
    differences: list[str] = []
    if decision.outcome != recorded.outcome:
        differences.append(f"outcome: recorded {recorded.outcome}, replayed {decision.outcome}")
    # Reasons are compared by what fired (their codes, in order), not by wording: a later gate may
    # phrase the same reason better, and that is not a different verdict.
    recorded_codes = [r.code for r in recorded.reasons]
    replayed_codes = [r.code for r in decision.reasons]
    recorded_reasons = [(r.code, r.message) for r in recorded.reasons]
    replayed_reasons = [(r.code, r.message) for r in decision.reasons]
    if recorded_codes != replayed_codes:
        for index in range(max(len(recorded_reasons), len(replayed_reasons))):
            old = recorded_reasons[index] if index < len(recorded_reasons) else None
            new = replayed_reasons[index] if index < len(replayed_reasons) else None
            if (old and old[0]) != (new and new[0]):
                differences.append(
                    f"reason {index + 1}: recorded {': '.join(old) if old else '(none)'}; "
                    f"replayed {': '.join(new) if new else '(none)'}"
                )
    recorded_slos = {b.name: b.budget_remaining for b in record.budgets}
    for slo in budgets.slos:
        before = recorded_slos.get(slo.name)
        if before != slo.budget_remaining:
            differences.append(
                f"SLO {slo.name}: budget left recorded {before}, replayed {slo.budget_remaining}"
            )
    return Replay(
        record_id=record.id,
        service=record.service,
        recorded=recorded.outcome,
        replayed=decision.outcome,
        differences=tuple(differences),
    )
