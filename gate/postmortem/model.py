"""The postmortem draft's model: every figure its Markdown shows, as frozen values (JSON: `render_json`).

Times are RFC 3339 UTC (gate.times.iso) with their unix seconds beside them; percentages of a budget
are 0-100 (DESIGN: bad events / (error budget x events) over the stated span). Strings that came from
outside (label values, actors, override reasons) are kept as they are here and escaped by each
renderer for its sink.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gate.models import Alert

__all__ = [
    "BudgetFacts",
    "CapacityFacts",
    "CapacityRow",
    "Contributor",
    "DeployFacts",
    "IncidentFacts",
    "NarrativeInfo",
    "Postmortem",
    "QuarterFacts",
    "Requirement",
    "SLOImpact",
    "TimelineEvent",
]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IncidentFacts(Frozen):
    start: str  # burn onset
    end: str  # recovery
    start_unix: float
    end_unix: float
    duration_minutes: float
    peak_burn: float | None
    peak_at: str | None
    peak_window: str = "5m"
    alert: Alert  # the worst alert that held ("none": none did in the span)
    alert_start: str | None
    alert_end: str | None
    page_start: str | None
    ticket_start: str | None
    resolution: str  # 1m | 5m | alert | given: how the edges were found
    found_by: Literal["around", "given"]
    around: str | None = None
    open_start: bool = False
    open_end: bool = False


class QuarterFacts(Frozen):
    start: str
    end: str
    events_to_date: float | None
    events_projected: float | None
    elapsed_days: float
    days: float


class BudgetFacts(Frozen):
    window: str
    window_pct: float | None
    quarter_pct: float | None
    remaining_after: float | None  # percent of the SLO window's budget left at the incident's end
    outage_minutes: float | None
    error_ratio: float | None
    bad_events: float | None
    total_events: float | None
    window_events: float | None
    quarter: QuarterFacts


class SLOImpact(Frozen):
    """Every SLO of the service over the same span (the draft's own SLO first)."""

    name: str
    objective: float
    window: str
    window_pct: float | None
    quarter_pct: float | None
    remaining_after: float | None
    alert: Alert
    note: str | None = None


class CapacityRow(Frozen):
    risk: str
    allowed: bool
    cost_pct: float
    cost_source: str
    fits: int | None  # deploys that keep the budget in this tier (None: not limited by the budget)


class CapacityFacts(Frozen):
    at: str
    remaining_pct: float
    tier_above: float | None
    tier_allow: list[str]
    next_tier_above: float | None
    next_tier_allow: list[str] | None
    per_risk: list[CapacityRow]


class TimelineEvent(Frozen):
    at: str
    at_unix: float
    kind: str  # deploy, override, onset, ticket, page, peak, recovery, alert-end
    text: str  # untrusted parts (actors, reasons) are escaped by the renderers


class DeployFacts(Frozen):
    id: str
    at: str
    at_unix: float
    outcome: str
    deploy: bool  # the gate let it through and it was not a pull-request check
    risk: str
    event: str | None
    pr: int | None
    head_sha: str | None
    actor: str | None
    overridden: bool  # an override or fix label was honoured (verified)
    override_label: str | None  # the label's verdict, honoured or not
    override_actor: str | None
    override_reason: str | None
    cost_pct: float | None  # settled: percent of the budget it spent in its first 24 h
    settled: bool
    minutes_before_onset: float
    nearest: bool  # the last deploy before the onset


class Contributor(Frozen):
    value: str
    share: float  # fraction of the span's bad events, 0-1
    errors: float


class NarrativeInfo(Frozen):
    """A model-written paragraph or the facts-only one, and which it is."""

    source: Literal["model", "facts"]
    text: str
    note: str | None = None
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    cached: bool = False


class Requirement(Frozen):
    required_above: float
    required: bool


class Postmortem(Frozen):
    schema_version: int = 1
    service: str
    policy: str
    slo: str
    objective: float
    window: str
    generated_at: str
    metrics_source: str
    incident: IncidentFacts
    budget: BudgetFacts
    slos: list[SLOImpact]
    release_capacity: CapacityFacts | None
    timeline: list[TimelineEvent]
    deploys: list[DeployFacts]
    where: dict[str, list[Contributor]]
    postmortem: Requirement
    narrative: NarrativeInfo
    data: str  # the span the points cover and how many were usable
    notes: list[str] = Field(default_factory=list)
