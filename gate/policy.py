"""The versioned policy schema (apiVersion slo-gate/v1) as frozen pydantic models.

The YAML is parsed into plain data by a safe loader that remembers each node's line, then validated
here; `slo-gate/v1` is the only spec version today, and the internal model is what every stage reads.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gate.models import Category, RiskLevel

API_VERSION = "slo-gate/v1"
MAX_POLICY_BYTES = 64 * 1024

_DURATION_PART = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
_DURATION = re.compile(r"^(?:\d+(?:ms|y|w|d|h|m|s))+$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_duration(text: str) -> float:
    """Seconds in a Prometheus duration such as `30d`, `1h30m` or `5m`."""
    if not _DURATION.match(text):
        raise ValueError(f"{text!r} is not a Prometheus duration (e.g. 30d, 28d, 1h30m)")
    return float(sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(text)))


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class CalendarWindow(Strict):
    calendar: Literal["month", "quarter"]


class SLI(Strict):
    """Sloth-compatible SLI: `{{.window}}` is replaced by each window's duration."""

    error_query: str | None = None
    good_query: str | None = None
    total_query: str

    @model_validator(mode="after")
    def _one_of_error_or_good(self) -> SLI:
        if (self.error_query is None) == (self.good_query is None):
            raise ValueError("set exactly one of error_query or good_query (plus total_query)")
        for name in ("error_query", "good_query", "total_query"):
            value = getattr(self, name)
            if value is not None and "{{" in value and not re.search(r"\{\{\s*\.window\s*\}\}", value):
                raise ValueError(f"{name}: the only template variable is {{{{.window}}}}")
        return self


class SLO(Strict):
    name: str
    description: str = ""
    objective: float = Field(gt=0, lt=100, description="percent of good events, 0 < x < 100")
    window: str | CalendarWindow = "30d"
    sli: SLI
    min_events: int = Field(default=0, ge=0)
    breakdown: list[str] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("use letters, digits, '.', '_' or '-' (at most 63 characters)")
        return value

    @field_validator("window")
    @classmethod
    def _window(cls, value: str | CalendarWindow) -> str | CalendarWindow:
        if isinstance(value, str):
            seconds = parse_duration(value)
            if seconds < 3600:
                raise ValueError("an SLO window shorter than 1h cannot hold a meaningful budget")
        return value

    @field_validator("breakdown")
    @classmethod
    def _breakdown(cls, value: list[str]) -> list[str]:
        for label in value:
            if not _LABEL_NAME.match(label):
                raise ValueError(f"{label!r} is not a valid Prometheus label name")
        return value

    @property
    def error_budget(self) -> float:
        return 1.0 - self.objective / 100.0

    @property
    def window_label(self) -> str:
        return self.window if isinstance(self.window, str) else f"calendar {self.window.calendar}"


class Tier(Strict):
    above: float | None = Field(default=None, ge=0, le=100)
    allow: list[RiskLevel]


class RiskRule(Strict):
    """A deterministic floor: matching paths or labels set at least `risk` and/or a category."""

    paths: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    risk: RiskLevel | None = None
    category: Category | None = None

    @model_validator(mode="after")
    def _has_match_and_effect(self) -> RiskRule:
        if not self.paths and not self.labels:
            raise ValueError("a risk rule needs paths or labels to match")
        if self.risk is None and self.category is None:
            raise ValueError("a risk rule needs a risk or a category")
        return self


class LLMConfig(Strict):
    enabled: bool = True
    model: str = "claude-haiku-4-5"
    max_input_tokens: int = Field(default=12000, ge=1000, le=200_000)


class RiskConfig(Strict):
    rules: list[RiskRule] = Field(default_factory=list)
    llm: LLMConfig = Field(default_factory=LLMConfig)


class OverrideConfig(Strict):
    label: str = "slo-gate/override"
    fix_label: str = "slo-gate/fix"
    min_permission: Literal["write", "maintain", "admin"] = "maintain"
    users: list[str] = Field(default_factory=list)
    bots: list[str] = Field(default_factory=list)
    allow_author: bool = False


class ExpectedCost(Strict):
    """Percent of the error budget a deploy of each risk level is expected to spend."""

    low: float = Field(default=0.5, ge=0, le=100)
    medium: float = Field(default=2.0, ge=0, le=100)
    high: float = Field(default=5.0, ge=0, le=100)


ExemptCategory = Literal["docs", "tests", "fix"]
_DEFAULT_EXEMPT: tuple[ExemptCategory, ...] = ("docs", "tests", "fix")


def _default_tiers() -> list[Tier]:
    return [
        Tier(above=50, allow=[RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH]),
        Tier(above=25, allow=[RiskLevel.LOW]),
        Tier(above=None, allow=[]),
    ]


class GateConfig(Strict):
    mode: Literal["enforce", "advisory"] = "enforce"
    tiers: list[Tier] = Field(default_factory=_default_tiers, min_length=1)
    exempt: list[ExemptCategory] = Field(default_factory=lambda: list(_DEFAULT_EXEMPT))
    freeze_on: Literal["page", "ticket", "none"] = "page"
    on_inconclusive: Literal["fail", "warn", "pass"] = "fail"
    risk: RiskConfig = Field(default_factory=RiskConfig)
    override: OverrideConfig = Field(default_factory=OverrideConfig)
    expected_cost: ExpectedCost = Field(default_factory=ExpectedCost)

    @field_validator("tiers")
    @classmethod
    def _tiers_descend(cls, tiers: list[Tier]) -> list[Tier]:
        thresholds = [t.above for t in tiers]
        if thresholds[-1] is not None:
            raise ValueError("the last tier must have no `above` (it catches everything below)")
        if any(t is None for t in thresholds[:-1]):
            raise ValueError("only the last tier may omit `above`")
        numbers = [t for t in thresholds[:-1] if t is not None]
        if numbers != sorted(numbers, reverse=True) or len(set(numbers)) != len(numbers):
            raise ValueError("tier `above` values must strictly decrease")
        return tiers


class PrometheusConfig(Strict):
    tenant: str | None = None

    @field_validator("tenant")
    @classmethod
    def _tenant(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^[A-Za-z0-9!._*'()|-]{1,150}$", value):
            raise ValueError("tenant must be a valid X-Scope-OrgID value")
        return value


class AuditConfig(Strict):
    branch: str = "slo-gate-audit"
    required: bool = True


class Policy(Strict):
    api_version: Literal["slo-gate/v1"] = Field(alias="apiVersion")
    service: str
    description: str = ""
    paths: list[str] = Field(default_factory=list)
    prometheus: PrometheusConfig = Field(default_factory=PrometheusConfig)
    slos: Annotated[list[SLO], Field(min_length=1)]
    gate: GateConfig = Field(default_factory=GateConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)

    @field_validator("service")
    @classmethod
    def _service(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("use letters, digits, '.', '_' or '-' (at most 63 characters)")
        return value

    @model_validator(mode="after")
    def _unique_slo_names(self) -> Policy:
        names = [s.name for s in self.slos]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"SLO names must be unique; repeated: {', '.join(duplicates)}")
        return self


class LoadedPolicy(BaseModel):
    """A validated policy and where it came from (path and sha256 of the exact bytes read)."""

    model_config = ConfigDict(frozen=True)

    policy: Policy
    path: str
    sha256: str
