"""PURE: what one watch round produced, for the renderers (text, JSON) and the exit code."""

from __future__ import annotations

from dataclasses import dataclass, field

from gate.errors import EXIT_FAIL, EXIT_INCONCLUSIVE, EXIT_PASS
from gate.incident.model import IncidentReport, Observation

__all__ = ["RoundResult"]


@dataclass(frozen=True)
class RoundResult:
    evaluated_at: float
    metrics_source: str
    slos: int
    incidents: tuple[IncidentReport, ...]
    inconclusive: tuple[Observation, ...] = ()
    drift: tuple[Observation, ...] = ()
    dry_run: bool = False
    state_location: str | None = None
    sinks: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    # Each dry-run notice as it would be sent (rendered text), for `--dry-run` output.
    previews: tuple[str, ...] = ()

    @property
    def undelivered(self) -> bool:
        return any(not d.ok for report in self.incidents for d in report.deliveries)

    @property
    def exit_code(self) -> int:
        """1 when a notification could not be delivered, else 3 when a measurement was inconclusive."""
        if self.undelivered:
            return EXIT_FAIL
        if self.inconclusive:
            return EXIT_INCONCLUSIVE
        return EXIT_PASS

    @property
    def model_tokens(self) -> tuple[int, int, float | None]:
        """Input and output tokens and USD over every summary the model was asked for this round."""
        summaries = [r.summary for r in self.incidents if r.summary is not None and r.summary.model]
        cost = [s.cost_usd for s in summaries if s.cost_usd is not None]
        return (
            sum(s.input_tokens or 0 for s in summaries),
            sum(s.output_tokens or 0 for s in summaries),
            sum(cost) if cost else None,
        )
