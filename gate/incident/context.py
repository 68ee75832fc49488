"""Gather the context of a burning SLO: onset and cost (gate.incident.onset), where the errors are
(gate.incident.where), the deploys around it (gate.incident.deploys, plus PR titles from GitHub).

Every part is optional and bounded: a part that cannot be had (a failed query, a snapshot that
cannot answer range queries, no audit log given, no GitHub token) leaves a note saying why, and the
other parts still come. Nothing here raises for a metrics or API problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from gate.audit.record import AuditRecord
from gate.errors import GateError
from gate.incident.deploys import deploys_around
from gate.incident.model import Context, DeployInfo, Observation, OnsetInfo
from gate.incident.onset import QuerySource, find_onset
from gate.incident.where import breakdowns
from gate.metrics import MetricsSource
from gate.policy import SLO

__all__ = ["ContextSources", "TitleSource", "gather", "spent_between"]

MAX_TITLES = 5  # PR titles looked up per incident


class TitleSource(Protocol):
    """What can name a pull request (the GitHub client)."""

    def pull_request(self, repo: str, number: int) -> dict[str, Any]: ...


@dataclass
class ContextSources:
    """Where context comes from; `records` None: no audit log was given."""

    metrics: MetricsSource
    records: Sequence[AuditRecord] | None = None
    github: TitleSource | None = None
    _titles: dict[tuple[str, int], str | None] = field(default_factory=dict)

    def title(self, repo: str | None, pr: int | None) -> str | None:
        if self.github is None or repo is None or pr is None:
            return None
        key = (repo, pr)
        if key not in self._titles:
            try:
                found = self.github.pull_request(repo, pr).get("title")
            except GateError:
                found = None
            self._titles[key] = found[:300] if isinstance(found, str) else None
        return self._titles[key]


def _ranged(source: MetricsSource) -> QuerySource | None:
    return cast("QuerySource", source) if callable(getattr(source, "range", None)) else None


def gather(obs: Observation, slo: SLO, sources: ContextSources, at: float) -> Context:
    notes: list[str] = []
    onset: OnsetInfo | None = None
    ranged = _ranged(sources.metrics)
    if ranged is None:
        notes.append("onset: the metrics source cannot answer range queries (a snapshot)")
    else:
        try:
            onset = find_onset(slo, ranged, at, obs.tenant)
        except GateError as exc:
            notes.append(f"onset: {exc.message[:300]}")
    where = breakdowns(slo, sources.metrics, at, obs.tenant, obs.budget) if slo.breakdown else []
    deploys: list[DeployInfo] = []
    if sources.records is None:
        notes.append("deploys: no audit log given (--audit git:BRANCH or file:PATH)")
    else:
        found = deploys_around(sources.records, obs.service, onset=onset.onset if onset else None, at=at)
        deploys = [
            d.model_copy(update={"title": sources.title(d.repo, d.pr)}) if i < MAX_TITLES else d
            for i, d in enumerate(found)
        ]
    return Context(onset=onset, where=where, deploys=deploys, notes=notes)


def spent_between(
    slo: SLO, source: MetricsSource, start: float, at: float, tenant: str | None
) -> float | None:
    """A resolved incident's whole spend; None when it cannot be measured (never raises)."""
    from gate.measure import budget_spent

    try:
        return budget_spent(slo, source, start, at, tenant)
    except GateError:
        return None
