"""PURE: the frozen values a watch round passes between its stages.

`Observation` (one SLO as this round measured it) -> `Context` (onset, where, deploys) and `Summary`
-> `IncidentReport` (what the round says and sends about one incident). The persisted state lives in
gate.incident.state. Label values and PR titles inside these models are untrusted text kept as it
came (capped): every renderer escapes them for its own sink.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gate.models import SLOBudget

__all__ = [
    "Confidence",
    "Context",
    "Delivery",
    "DeployInfo",
    "IncidentReport",
    "Observation",
    "OnsetInfo",
    "RowState",
    "Severity",
    "Summary",
    "WhereLabel",
    "WhereValue",
    "incident_key",
]

Severity = Literal["page", "ticket"]
RowState = Literal["new", "escalated", "firing", "resolved"]
Confidence = Literal["low", "medium", "high"]
CONCENTRATED = 0.6  # one value holding at least this share of the errors is called out


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def incident_key(service: str, slo: str) -> str:
    """`service/slo`: both are validated identifiers without `/`."""
    return f"{service}/{slo}"


class Observation(Frozen):
    """One SLO as a round measured it (the gate's own numbers) and what that means for an incident."""

    service: str
    slo: str
    policy: str
    tenant: str | None = None
    budget: SLOBudget
    drift: bool = False  # b(1d) > 1 while the budget is below the policy's first tier

    @property
    def key(self) -> str:
        return incident_key(self.service, self.slo)

    @property
    def conclusive(self) -> bool:
        return self.budget.status == "ok"

    @property
    def severity(self) -> Severity | None:
        """The alert that holds (page over ticket), None when none does or the data is inconclusive."""
        if not self.conclusive or self.budget.alert == "none":
            return None
        return self.budget.alert


class OnsetInfo(Frozen):
    """When this burn began and how much it has cost.

    `onset`: the first minute of the current stretch in which the 5m burn rate was above 1x (going back
    from the evaluation time, at a 1-minute step, at most `searched_from`); `alert_since`: the first
    minute of the current stretch in which a page or ticket condition held. `*_exact` False: the
    stretch reaches back past the search, so the time is where the search began ("at least since").
    `spent_since_onset`: the fraction of the SLO window's budget spent from onset to the evaluation.
    """

    onset: float | None = None
    onset_exact: bool = True
    alert_since: float | None = None
    alert_since_exact: bool = True
    searched_from: float
    spent_since_onset: float | None = None
    note: str | None = None


class WhereValue(Frozen):
    value: str  # untrusted: a label value from the metrics
    share: float  # of the SLO's errors over the window, 0-1
    burn_rate: float | None  # this value's own burn rate over the window


class WhereLabel(Frozen):
    label: str
    window: str = "5m"
    values: list[WhereValue] = Field(default_factory=list)
    note: str | None = None  # why this label has no figures (a query failed, the split does not add up)

    @property
    def concentrated(self) -> WhereValue | None:
        top = self.values[0] if self.values else None
        return top if top is not None and top.share >= CONCENTRATED else None


class DeployInfo(Frozen):
    """A gate decision that let a change of this service through around the onset."""

    record_id: str
    time: float  # the record's evaluated_at
    repo: str | None = None
    pr: int | None = None
    title: str | None = None  # untrusted; from the GitHub API when a token is at hand
    sha: str | None = None
    risk: str
    outcome: str
    overridden: bool = False
    event: str | None = None
    correlated: bool = False  # the burn began within 2 h after it


class Context(Frozen):
    """What the round found out about a burning SLO; every part optional, each with its reason."""

    onset: OnsetInfo | None = None
    where: list[WhereLabel] = Field(default_factory=list)
    deploys: list[DeployInfo] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class Summary(Frozen):
    """The incident in four parts: the model's words (checked against the facts) or the facts' own."""

    source: Literal["model", "facts"]
    headline: str
    likely_cause: str
    recommended_action: str
    confidence: Confidence
    note: str | None = None  # why the facts-only text was used
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None

    @property
    def text(self) -> str:
        return f"{self.headline} {self.likely_cause} {self.recommended_action}".strip()


class Delivery(Frozen):
    sink: str  # slack | webhook
    ok: bool
    error: str | None = None


class IncidentReport(Frozen):
    """One incident as a round reports it, and what was (or would be) sent about it."""

    service: str
    slo: str
    policy: str
    severity: Severity
    state: RowState
    budget: SLOBudget
    opened_at: float
    context: Context = Field(default_factory=Context)
    summary: Summary | None = None
    event: Literal["new", "escalated", "repeat", "resolved"] | None = None
    notified: bool = False
    deliveries: list[Delivery] = Field(default_factory=list)
    spent_total: float | None = None  # a resolved incident's whole spend (fraction of the budget)
    skipped: str | None = None  # why nothing was sent although something was due

    @property
    def key(self) -> str:
        return incident_key(self.service, self.slo)
