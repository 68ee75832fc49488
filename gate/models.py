"""Frozen result types shared by every stage. Policy types live in policy.py."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _RISK_RANK[self]


_RISK_RANK = {RiskLevel.LOW: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}


def max_risk(*levels: RiskLevel) -> RiskLevel:
    return max(levels, key=lambda level: level.rank, default=RiskLevel.LOW)


class Category(StrEnum):
    """What kind of change this is. Only docs, tests and (verified) fix can be exempt."""

    DOCS = "docs"
    TESTS = "tests"
    FIX = "fix"
    CODE = "code"
    CONFIG = "config"
    INFRA = "infra"
    DEPENDENCIES = "dependencies"
    MIGRATION = "migration"
    CI = "ci"


class FileKind(StrEnum):
    """What one changed file is, as the rules see it. Structural kinds (migration, infra, ci,
    container) set a high floor; sensitive sets at least medium; docs and tests are low."""

    MIGRATION = "migration"
    INFRA = "infra"
    CI = "ci"
    CONTAINER = "container"
    SENSITIVE = "sensitive"
    CONFIG = "config"
    DEPENDENCIES = "dependencies"
    CODE = "code"
    TESTS = "tests"
    DOCS = "docs"


Alert = Literal["none", "ticket", "page"]
SLOStatus = Literal["ok", "inconclusive"]
Outcome = Literal["pass", "warn", "fail", "inconclusive"]

# The burn-rate windows DESIGN §3 measures for every SLO, shortest first.
BURN_WINDOWS: tuple[str, ...] = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")


class Sample(Frozen):
    """One series of an instant-query result."""

    labels: dict[str, str]
    value: float


class QueryRecord(Frozen):
    """A query slo-gate sent and what came back: kept for the audit log and for replay."""

    slo: str
    expr: str
    at: float
    samples: list[Sample] = Field(default_factory=list)
    error: str | None = None


class WindowCounts(Frozen):
    """Bad and total events over one window, as read from the batched query.

    `total` is None when the total query returned no series at all (absent data).
    """

    window: str
    seconds: float
    bad: float | None
    total: float | None
    # The error ratio as read (a recorded series), kept exact: bad/total of a ratio times a total is
    # not always that ratio again in floating point. None: bad/total.
    ratio: float | None = None


class Exclusion(Frozen):
    """A maintenance window inside the SLO window: the events left out of the figures, and the share of
    the window's budget its bad events would have spent (bad / (error budget x the window's events))."""

    start: float
    end: float
    reasons: list[str]
    bad: float
    total: float
    budget_cost: float | None = None


class SLOBudget(Frozen):
    name: str
    objective: float
    window: str
    window_seconds: float
    budget_remaining: float | None = None
    error_ratio: float | None = None
    burn_rates: dict[str, float | None] = Field(default_factory=dict)
    alert: Alert = "none"
    alert_reasons: list[str] = Field(default_factory=list)
    exhaustion_hours: float | None = None
    events: float | None = None
    status: SLOStatus = "ok"
    reason: str | None = None
    queries: list[QueryRecord] = Field(default_factory=list)
    # Where the figures come from: the policy's queries, or the series `slo-gate rules` records; when
    # recorded series were asked for but could not be used, why (and the figures are raw).
    read_from: Literal["raw", "recorded"] = "raw"
    read_fallback: str | None = None
    # Maintenance windows left out of the SLO window, and the budget left had they been counted.
    exclusions: list[Exclusion] = Field(default_factory=list)
    budget_remaining_unadjusted: float | None = None


class ServiceBudget(Frozen):
    service: str
    policy: str
    policy_sha256: str
    slos: list[SLOBudget]


class ChangedFile(Frozen):
    path: str
    old_path: str | None = None
    added: int = 0
    removed: int = 0
    binary: bool = False
    # The diff had no content for it (GitHub sends no patch for binary or very large files).
    no_patch: bool = False
    status: Literal["added", "modified", "deleted", "renamed"] = "modified"


class FileRisk(Frozen):
    """One changed file as the rules see it: its kind and the rule or content signal that set it,
    and the floor the file sets by itself with why (the change's size and labels are not in it)."""

    path: str
    kind: FileKind
    rule: str
    risk: RiskLevel
    because: str


class RiskAssessment(Frozen):
    """One opinion about the change: the rules, the labels, or the model."""

    source: Literal["rules", "labels", "content", "llm"]
    risk: RiskLevel
    category: Category | None = None
    reasons: list[str] = Field(default_factory=list)
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None


class LLMReview(Frozen):
    """What the model was asked and said. Its text is untrusted: renderers escape and cap it."""

    model: str
    prompt_version: str
    status: Literal["answered", "failed"]
    risk: RiskLevel | None = None  # the model's own rating (None when it failed)
    category: Category | None = None  # advisory only: never grants an exemption
    rationale: str | None = None
    signals: list[str] = Field(default_factory=list)
    failure: str | None = None
    cached: bool = False
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    input_tokens_estimate: int = 0
    files: int = 0
    hunks_shown: int = 0
    hunks_total: int = 0
    hunks_cut: int = 0
    summarised: list[str] = Field(default_factory=list)


class ChangeRisk(Frozen):
    risk: RiskLevel
    category: Category
    floor: RiskLevel
    assessments: list[RiskAssessment] = Field(default_factory=list)
    files: list[ChangedFile] = Field(default_factory=list)
    lines_added: int = 0
    lines_removed: int = 0
    # Every changed file's kind and floor (diff order), and how many files have each kind.
    file_risks: list[FileRisk] = Field(default_factory=list)
    kinds: dict[FileKind, int] = Field(default_factory=dict)
    llm_used: bool = False
    llm_note: str | None = None
    llm: LLMReview | None = None

    @property
    def reasons(self) -> list[str]:
        return [reason for a in self.assessments for reason in a.reasons]


class Override(Frozen):
    """A label that asks the gate to let a change through; honoured only when verified."""

    kind: Literal["override", "fix"]
    label: str
    honoured: bool
    actor: str | None = None
    reason: str


class Reason(Frozen):
    code: str
    message: str
    # The one reason per decision that set its outcome; the others are context (what else fired).
    decisive: bool = False


class Tier(Frozen):
    index: int
    above: float | None
    allow: list[RiskLevel]


class Decision(Frozen):
    outcome: Outcome
    exit_code: int
    reasons: list[Reason]
    tier: Tier | None = None
    advisory: bool = False
    would_have: Outcome | None = None
    override: Override | None = None  # the verdict on an override label, honoured or not
    fix: Override | None = None


class BudgetImpact(Frozen):
    """What the budget would look like if this deploy costs what deploys like it cost."""

    remaining: float  # fraction of the budget left now (the lowest conclusive SLO)
    cost: float  # expected fraction of the budget the deploy spends
    cost_source: str  # "policy gate.expected_cost" or "median of N settled <risk> deploys of <service>"
    after: float  # remaining - cost (can go below zero)
    tier_after: Tier
    allowed_after: bool  # would a change of this risk still be allowed at that tier


class Scope(Frozen):
    """Why a policy with `paths` judges this change: the changed files it owns, and the shared ones
    (owned by no policy's `paths`: a root Dockerfile, CI, lockfiles), which every such policy judges."""

    owned: list[str] = Field(default_factory=list)
    shared: list[str] = Field(default_factory=list)
    unsure: str | None = None  # the diff could not be fully read: every policy judges it
    own_policy_file: bool = False  # the change edits this policy's own file


class ServiceResult(Frozen):
    """One policy's verdict: its budgets, the change as its rules see it, and the decision."""

    budgets: ServiceBudget
    change: ChangeRisk
    decision: Decision
    impact: BudgetImpact | None = None
    override_help: str | None = None  # how to override this service's gate, and who may
    # Budget left over each rolling SLO window (unix time, fraction), for the report's chart.
    history: dict[str, list[tuple[float, float]]] = Field(default_factory=dict)
    scope: Scope | None = None  # None: the policy has no `paths`, so it judges every change


class AuditEntry(Frozen):
    """Where a service's decision was recorded: its chain position is the checkpoint (`seq:hash`)."""

    service: str
    location: str
    id: str | None = None
    seq: int | None = None
    hash: str | None = None
    created: bool = True  # False: a re-run of the same job found its record already there
    error: str | None = None  # the record could not be written
    required: bool = True

    @property
    def checkpoint(self) -> str | None:
        return f"{self.seq}:{self.hash}" if self.seq is not None and self.hash else None


class SkippedPolicy(Frozen):
    service: str
    policy: str
    reason: str


class GateRun(Frozen):
    """Everything one `slo-gate check` produced; renderers and sinks read only this."""

    evaluated_at: float
    outcome: Outcome
    exit_code: int
    services: list[ServiceResult]
    skipped: list[SkippedPolicy] = Field(default_factory=list)
    change: ChangeRisk
    override: Override | None = None
    fix: Override | None = None
    metrics_source: str = ""
    audit: list[AuditEntry] = Field(default_factory=list)
