"""The report's model: what `slo-gate report` measured, as frozen values every renderer reads.

Budget left is a fraction of the budget (as in `check --format json`: 0.62 = 62 % left, negative when
overspent); spends are percentages of a budget, 0-100 (bad events / (error budget x events in the SLO
window ending at the span's end)). Times are RFC 3339 UTC; series points carry unix seconds.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gate.models import Alert
from gate.postmortem.model import DeployFacts, NarrativeInfo

__all__ = [
    "VERDICTS",
    "DailyReport",
    "IncidentEntry",
    "Period",
    "SLODaily",
    "SeriesPoint",
    "ServiceDaily",
    "Verdict",
]

Verdict = Literal["healthy", "watch", "at risk", "frozen"]
VERDICTS: tuple[Verdict, ...] = ("healthy", "watch", "at risk", "frozen")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SeriesPoint(Frozen):
    at: float
    budget_remaining: float | None  # None: that step could not be measured


class SLODaily(Frozen):
    name: str
    objective: float
    window: str
    status: Literal["ok", "inconclusive"]
    reason: str | None = None
    budget_remaining: float | None
    budget_remaining_24h_ago: float | None
    budget_remaining_7d_ago: float | None
    burn_rates: dict[str, float | None]
    alert: Alert
    alert_reasons: list[str] = Field(default_factory=list)
    exhaustion_hours: float | None
    events: float | None
    spent_pct: float | None = None  # percent of the window's budget spent over the period
    series: list[SeriesPoint] = Field(default_factory=list)
    series_note: str | None = None  # why there is no series (calendar window, a failed query)

    @property
    def delta_24h(self) -> float | None:
        if self.budget_remaining is None or self.budget_remaining_24h_ago is None:
            return None
        return self.budget_remaining - self.budget_remaining_24h_ago

    @property
    def delta_7d(self) -> float | None:
        if self.budget_remaining is None or self.budget_remaining_7d_ago is None:
            return None
        return self.budget_remaining - self.budget_remaining_7d_ago


class IncidentEntry(Frozen):
    """A page or ticket condition that held in the period, its edges found at 1-minute resolution."""

    slo: str
    start: str
    end: str
    start_unix: float
    end_unix: float
    minutes: float
    alert: Alert
    peak_burn: float | None
    window_pct: float | None
    quarter_pct: float | None
    ongoing: bool  # still burning at the report's end
    began_before: bool = False  # an alert already held at the period's first step
    resolution: str  # 1m | 5m | alert: what the edges were read from
    postmortem_required: bool
    note: str | None = None


class ServiceDaily(Frozen):
    service: str
    policy: str
    verdict: Verdict
    verdict_reasons: list[str]
    slos: list[SLODaily]
    incidents: list[IncidentEntry] = Field(default_factory=list)
    deploys: list[DeployFacts] = Field(default_factory=list)
    passed: int = 0
    failed: int = 0
    overridden: int = 0
    spent_pct: float | None = None  # the worst SLO's spend over the period
    deploys_cost_pct: float | None = None  # settled costs of the period's deploys, summed
    unattributed_pct: float | None = None  # spent - deploys' costs (never below 0)
    notes: list[str] = Field(default_factory=list)


class Period(Frozen):
    start: str
    end: str
    start_unix: float
    end_unix: float
    label: str  # 24h, 7d
    step_seconds: float  # of the series and incident detection


class DailyReport(Frozen):
    schema_version: int = 1
    generated_at: str
    period: Period
    data: str  # how much data the figures rest on
    metrics_source: str
    services: list[ServiceDaily]
    narrative: NarrativeInfo
    audit: str  # where deploys were read from (or why none are shown)

    def count(self, verdict: Verdict) -> int:
        return sum(1 for s in self.services if s.verdict == verdict)
