"""PURE: the versioned policy schema (apiVersion slo-gate/v1) as frozen pydantic models, and durations.

In: plain data (mappings, lists, scalars) as a loader produced it (`gate/policy_load.py` reads YAML
files; importers of other SLO specs produce the same models). Out: a validated `Policy`, or a pydantic
`ValidationError` carrying every problem: rules that span fields or list items (one of error_query /
good_query, unique SLO names, descending tiers, what a risk rule needs) are checked on the input as
given, so they are reported together with the other errors instead of after those are fixed.
Identifiers (service, SLO name, tenant, label names, durations, the audit branch) must match their
pattern in full: a trailing newline from a YAML block scalar is not part of a valid name.
SLI queries are checked offline: templating, then PromQL syntax (`gate/promql_syntax.py`), with the
error's line and column in the author's own text. No file, network or clock is touched here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic_core.core_schema import ErrorType

from gate import adjust, globs, promql_syntax
from gate.models import Category, RiskLevel
from gate.promql_text import WINDOW_TEMPLATE, find_templates, position, render

__all__ = [
    "API_VERSION",
    "PROMQL_BUDGET",
    "SLI",
    "SLO",
    "WINDOW_TEMPLATE",
    "Adjustment",
    "AuditConfig",
    "CalendarWindow",
    "ExpectedCost",
    "GateConfig",
    "GateDefaults",
    "LLMConfig",
    "LoadedPolicy",
    "OverrideConfig",
    "Policy",
    "PostmortemConfig",
    "PrometheusConfig",
    "RiskConfig",
    "RiskRule",
    "SLOContext",
    "SLODefaults",
    "Tier",
    "check_query",
    "parse_duration",
]

API_VERSION = "slo-gate/v1"
# The validation context key under which a loader passes one file's `promql_syntax.ParseBudget`.
PROMQL_BUDGET = "promql_budget"

_DURATION_PART = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
_DURATION = re.compile(r"(?:\d+(?:ms|y|w|d|h|m|s))+")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
_LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TENANT = re.compile(r"[A-Za-z0-9!._*'()|-]{1,150}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The duration a query is rendered with for the offline check: any duration parses the same.
_CHECK_DURATION = "5m"
_FLOAT: TypeAdapter[float] = TypeAdapter(float)
_KNOWN_ERRORS = frozenset(get_args(ErrorType))

CrossCheck = tuple[tuple[str | int, ...], str]


def _error_at(at: tuple[str | int, ...], message: str) -> PydanticCustomError:
    """A validation error the loader pins to a node below the validated one (its `at` path)."""
    return PydanticCustomError("policy", message, {"at": at})


def _template_problem(text: str) -> str | None:
    spans = find_templates(text)
    others = [text[start:end] for start, end in spans if not WINDOW_TEMPLATE.fullmatch(text, start, end)]
    if others:
        shown = ", ".join(others)
        return f"unknown template {shown}: the only template variable is {{{{.window}}}}"
    bounds = [0] + [i for span in spans for i in span] + [len(text)]
    outside = "".join(text[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2))
    if "{{" in outside or "}}" in outside:
        return "unbalanced '{{' / '}}': the only template is {{.window}}"
    if not WINDOW_TEMPLATE.search(text):
        return (
            "must use {{.window}} as its range, e.g. rate(x[{{.window}}]), so each window measures its span"
        )
    return None


def check_query(text: str, budget: promql_syntax.ParseBudget | None = None) -> str:
    """Validate one SLI query's text, templating and PromQL syntax; return it unchanged or raise ValueError.

    `budget` caps the text parsed to locate syntax errors in one file (a fresh one per call if None).
    """
    if not text.strip():
        raise ValueError("must not be empty")
    control = _CONTROL.search(text)
    if control:
        raise ValueError(f"contains control character U+{ord(control.group()):04X}")
    problem = _template_problem(text)
    if problem:
        raise ValueError(problem)
    rendered = render(text, _CHECK_DURATION)
    syntax = promql_syntax.check(rendered.text, budget)
    if syntax is None:
        return text
    if syntax.too_long:
        raise ValueError(syntax.message)
    if syntax.offset is None:
        raise ValueError(f"parse error: {syntax.message}")
    where = position(text, rendered.template_offset(syntax.offset))
    raise ValueError(f"parse error at {where}: {syntax.message}")


@functools.lru_cache(maxsize=512)  # every alert threshold at every step of a span asks again
def parse_duration(text: str) -> float:
    """Seconds in a Prometheus duration such as `30d`, `1h30m` or `5m`."""
    if not _DURATION.fullmatch(text):
        raise ValueError(f"{text!r} is not a Prometheus duration (e.g. 30d, 28d, 1h30m)")
    return float(sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(text)))


def _relayed(exc: ValidationError) -> list[InitErrorDetails]:
    """The errors of `exc`, ready to be raised again together with more."""
    out: list[InitErrorDetails] = []
    for error in exc.errors():
        ctx = error.get("ctx")
        if error["type"] in _KNOWN_ERRORS:  # pydantic's own types are re-created by name and context
            detail = InitErrorDetails(type=error["type"], loc=error["loc"], input=error["input"])
            if ctx is not None:
                detail["ctx"] = ctx
        else:
            custom = PydanticCustomError(error["type"], error["msg"], ctx)
            detail = InitErrorDetails(type=custom, loc=error["loc"], input=error["input"])
        out.append(detail)
    return out


class Strict(BaseModel):
    """Frozen, unknown keys rejected, and cross-field rules reported with every other error."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)

    @classmethod
    def cross_checks(cls, data: Mapping[str, Any]) -> list[CrossCheck]:
        """Rules that span fields or list items, checked on the input as given: (location, message).

        A model after-validator would run only when every field is valid; these run regardless, and
        must therefore accept any shape of input (they skip what the field checks will reject).
        """
        return []

    @model_validator(mode="wrap")
    @classmethod
    def _with_cross_checks(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        problems = cls.cross_checks(data) if isinstance(data, Mapping) else []
        if not problems:
            return handler(data)
        found = [
            InitErrorDetails(type=PydanticCustomError("policy", message), loc=loc, input=data)
            for loc, message in problems
        ]
        try:
            handler(data)
        except ValidationError as exc:
            found = _relayed(exc) + found
        raise ValidationError.from_exception_data(cls.__name__, found)


def _field(item: Any, key: str) -> Any:
    """`key` of a list item given as a mapping (from a file) or as a model (from code)."""
    if isinstance(item, Mapping):
        return item.get(key)
    return getattr(item, key, None)


class CalendarWindow(Strict):
    calendar: Literal["month", "quarter"]


class SLI(Strict):
    """Sloth-compatible SLI: `{{.window}}` is replaced by each window's duration.

    `recorded`: read the series `slo-gate rules` records for this SLO instead of these queries (they
    stay the definition, and the fallback when a recording is absent, stale or made from another one).
    """

    error_query: str | None = None
    good_query: str | None = None
    total_query: str
    recorded: bool = False

    @field_validator("error_query", "good_query", "total_query")
    @classmethod
    def _query(cls, value: str | None, info: ValidationInfo) -> str | None:
        context = info.context if isinstance(info.context, Mapping) else {}
        budget = context.get(PROMQL_BUDGET)
        if not isinstance(budget, promql_syntax.ParseBudget):
            budget = None
        return None if value is None else check_query(value, budget)

    @classmethod
    def cross_checks(cls, data: Mapping[str, Any]) -> list[CrossCheck]:
        error, good = data.get("error_query"), data.get("good_query")
        if error is not None and good is not None:
            return [
                (("good_query",), "set error_query or good_query, not both (bad = error, or total - good)")
            ]
        if error is None and good is None:
            return [((), "needs error_query or good_query (plus total_query)")]
        return []


@dataclass(frozen=True)
class SLOContext:
    """What an SLO knows about the policy it belongs to: the service (recorded series are labelled
    with it) and the policy's maintenance windows (their events are excluded from its figures)."""

    service: str
    adjustments: tuple[adjust.Schedule, ...] = ()


def _window_shape(value: Any) -> Any:
    # One clear error instead of one per union member (string / calendar mapping).
    if isinstance(value, dict):
        unknown = [k for k in value if k != "calendar"]
        if unknown:
            raise _error_at((unknown[0],), "unknown key (allowed: calendar)")
        if "calendar" not in value:
            raise ValueError("a calendar window needs `calendar: month` or `calendar: quarter`")
        if value["calendar"] not in ("month", "quarter"):
            raise _error_at(("calendar",), f"must be 'month' or 'quarter' (got {value['calendar']!r})")
        return value
    if not isinstance(value, str | CalendarWindow):
        raise ValueError(
            f"must be a Prometheus duration such as 30d, or {{calendar: month|quarter}} (got {value!r})"
        )
    return value


def _window_length(value: str | CalendarWindow) -> str | CalendarWindow:
    if isinstance(value, str):
        seconds = parse_duration(value)
        if seconds < 3600:
            raise ValueError("an SLO window shorter than 1h cannot hold a meaningful budget")
    return value


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
        if not _NAME.fullmatch(value):
            raise ValueError("use letters, digits, '.', '_' or '-' (at most 63 characters)")
        return value

    @field_validator("window", mode="before")
    @classmethod
    def _window_shape(cls, value: Any) -> Any:
        return _window_shape(value)

    @field_validator("window")
    @classmethod
    def _window(cls, value: str | CalendarWindow) -> str | CalendarWindow:
        return _window_length(value)

    @field_validator("breakdown")
    @classmethod
    def _breakdown(cls, value: list[str]) -> list[str]:
        for label in value:
            if not _LABEL_NAME.fullmatch(label):
                raise ValueError(f"{label!r} is not a valid Prometheus label name")
        return value

    # Set by the policy that holds this SLO (see `context`); not part of the schema.
    _context: SLOContext | None = PrivateAttr(default=None)

    @property
    def error_budget(self) -> float:
        return 1.0 - self.objective / 100.0

    @property
    def window_label(self) -> str:
        return self.window if isinstance(self.window, str) else f"calendar {self.window.calendar}"

    @property
    def context(self) -> SLOContext | None:
        """The service and maintenance windows of the policy this SLO was validated in (None for an
        SLO built on its own): every measuring function reads them from here, so all of them agree."""
        return self._context

    def with_recorded(self) -> SLO:
        """This SLO reading recorded series (`sli.recorded: true`); the context is kept."""
        if self.sli.recorded:
            return self
        return self.model_copy(update={"sli": self.sli.model_copy(update={"recorded": True})})


class Tier(Strict):
    above: float | None = Field(default=None, ge=0, le=100)
    allow: list[RiskLevel]


def _check_globs(patterns: list[str]) -> list[str]:
    """Reject a glob the matcher cannot use (empty, `..`), at load time with the policy's line."""
    for pattern in patterns:
        try:
            if pattern.startswith("!"):
                globs.compile_pattern(pattern[1:])
            else:
                globs.compile_pattern(pattern)
        except ValueError as exc:
            raise ValueError(str(exc)) from None
    return patterns


class RiskRule(Strict):
    """A deterministic floor: matching paths or labels set at least `risk` and/or a category."""

    paths: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    risk: RiskLevel | None = None
    category: Category | None = None

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        return _check_globs(value)

    @classmethod
    def cross_checks(cls, data: Mapping[str, Any]) -> list[CrossCheck]:
        problems: list[CrossCheck] = []
        if not data.get("paths") and not data.get("labels"):
            problems.append(((), "a risk rule needs paths or labels to match"))
        if data.get("risk") is None and data.get("category") is None:
            problems.append(((), "a risk rule needs a risk or a category"))
        return problems


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

    @classmethod
    def cross_checks(cls, data: Mapping[str, Any]) -> list[CrossCheck]:
        tiers = data.get("tiers")
        if not isinstance(tiers, list) or not tiers:
            return []
        aboves = [_above(tier) for tier in tiers]
        last = len(tiers) - 1
        problems: list[CrossCheck] = []
        if aboves[last] is not None:
            problems.append(
                (("tiers", last, "above"), "the last tier must have no `above` (it catches everything below)")
            )
        previous: float | None = None
        for index, above in enumerate(aboves[:last]):
            if above is None:
                problems.append((("tiers", index), "only the last tier may omit `above`"))
            elif isinstance(above, float) and previous is not None and above >= previous:
                problems.append(
                    (
                        ("tiers", index, "above"),
                        f"tier `above` values must strictly decrease ({above:g} follows {previous:g})",
                    )
                )
            previous = above if isinstance(above, float) else None
        return problems


def _above(tier: Any) -> float | Literal[False] | None:
    """A tier's `above` as pydantic will read it; False when it is not a number (its own error)."""
    value = _field(tier, "above")
    if value is None:
        return None
    try:
        return _FLOAT.validate_python(value)
    except ValidationError:
        return False


class PrometheusConfig(Strict):
    tenant: str | None = None

    @field_validator("tenant")
    @classmethod
    def _tenant(cls, value: str | None) -> str | None:
        if value is not None and not _TENANT.fullmatch(value):
            raise ValueError("tenant must be a valid X-Scope-OrgID value")
        return value


_REASON_MAX = 200
_MAX_ADJUSTMENTS = 50
# The longest maintenance window: longer than a quarter it is no longer maintenance but a new objective.
_MAX_ADJUSTMENT_SECONDS = 92 * 86400


class Adjustment(Strict):
    """A maintenance window: its events count for neither errors nor totals in budgets and burn rates.

    `start` (RFC 3339 with a zone) and `duration` (a Prometheus duration) place the first window;
    `rrule` (RFC 5545, e.g. `FREQ=WEEKLY;BYDAY=SU`) repeats it from `start`.
    """

    start: str
    duration: str
    rrule: str | None = None
    reason: str

    @field_validator("start", mode="before")
    @classmethod
    def _start_written(cls, value: Any) -> Any:
        # YAML reads an unquoted 2026-10-04T02:00:00Z as a date-time: take it back as RFC 3339 text.
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError(f"{value.isoformat()} has no timezone; add Z or an offset")
            return value.isoformat().replace("+00:00", "Z")
        return value

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        from gate.times import parse_time

        try:
            float(value)
        except ValueError:
            try:
                parse_time(value, "start")  # RFC 3339 with a zone, range-checked
            except ValueError as exc:
                raise ValueError(str(exc).removeprefix("start: ")) from None
            return value
        raise ValueError("an RFC 3339 time with a zone, e.g. 2026-10-04T02:00:00Z (not unix seconds)")

    @field_validator("duration")
    @classmethod
    def _duration(cls, value: str) -> str:
        seconds = parse_duration(value)
        if not 60 <= seconds <= _MAX_ADJUSTMENT_SECONDS:
            raise ValueError("a maintenance window lasts from 1m to 92d")
        return value

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if not value.strip() or len(value) > _REASON_MAX or _CONTROL.search(value) or "\n" in value:
            raise ValueError(f"one line of 1 to {_REASON_MAX} characters saying why (shown in reports)")
        return value

    @model_validator(mode="after")
    def _rule(self) -> Adjustment:
        if self.rrule is not None:
            try:
                adjust.check_rule(self.rrule, self.start_unix)
            except ValueError as exc:
                raise _error_at(("rrule",), str(exc)) from None
        return self

    @property
    def start_unix(self) -> float:
        from gate.times import parse_time

        return parse_time(self.start, "start")

    def schedule(self) -> adjust.Schedule:
        return adjust.Schedule(self.start_unix, parse_duration(self.duration), self.reason, self.rrule)


_BRANCH = re.compile(r"(?!.*\.\.)(?!.*//)(?!.*/\.)(?!.*@\{)[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}")


class AuditConfig(Strict):
    branch: str = "slo-gate-audit"  # "" disables the audit log
    required: bool = True

    @field_validator("branch")
    @classmethod
    def _branch(cls, value: str) -> str:
        # A conservative subset of git's ref rules: the name reaches git as data, never as an option.
        if value and (not _BRANCH.fullmatch(value) or value.endswith((".lock", "/", "."))):
            raise ValueError("not a usable git branch name (letters, digits, '.', '_', '-', '/'; no '..')")
        return value


class PostmortemConfig(Strict):
    """When an incident calls for a written postmortem (the SRE Workbook's rule of thumb)."""

    # Percent of the SLO window's budget one incident may consume before a postmortem is required.
    required_above: float = Field(default=20.0, gt=0, le=100)


class Policy(Strict):
    api_version: Literal["slo-gate/v1"] = Field(alias="apiVersion")
    service: str
    description: str = ""
    paths: list[str] = Field(default_factory=list)
    prometheus: PrometheusConfig = Field(default_factory=PrometheusConfig)
    slos: Annotated[list[SLO], Field(min_length=1)]
    adjustments: list[Adjustment] = Field(default_factory=list, max_length=_MAX_ADJUSTMENTS)
    gate: GateConfig = Field(default_factory=GateConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)
    postmortem: PostmortemConfig = Field(default_factory=PostmortemConfig)

    def model_post_init(self, context: Any, /) -> None:
        # Each SLO learns its service and the policy's maintenance windows (SLO.context).
        scope = SLOContext(self.service, tuple(a.schedule() for a in self.adjustments))
        for slo in self.slos:
            slo._context = scope

    def with_recorded(self) -> Policy:
        """Every SLO reading recorded series (`--use-recorded`)."""
        return self.model_copy(update={"slos": [slo.with_recorded() for slo in self.slos]})

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        return _check_globs(value)

    @field_validator("service")
    @classmethod
    def _service(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError("use letters, digits, '.', '_' or '-' (at most 63 characters)")
        return value

    @classmethod
    def cross_checks(cls, data: Mapping[str, Any]) -> list[CrossCheck]:
        slos = data.get("slos")
        if not isinstance(slos, list):
            return []
        problems: list[CrossCheck] = []
        first: dict[str, int] = {}
        for index, slo in enumerate(slos):
            name = _field(slo, "name")
            if not isinstance(name, str):
                continue
            if name in first:
                problems.append(
                    (
                        ("slos", index, "name"),
                        f"duplicate SLO name {name!r} (already used by slos[{first[name]}])",
                    )
                )
            else:
                first[name] = index
        return problems


class SLODefaults(Strict):
    """What a `--gate-defaults` file sets for every imported SLO whose spec does not say it itself."""

    window: str | CalendarWindow | None = None
    min_events: int | None = Field(default=None, ge=0)
    recorded: bool | None = None

    @field_validator("window", mode="before")
    @classmethod
    def _window_shape(cls, value: Any) -> Any:
        return None if value is None else _window_shape(value)

    @field_validator("window")
    @classmethod
    def _window(cls, value: str | CalendarWindow | None) -> str | CalendarWindow | None:
        return None if value is None else _window_length(value)


class GateDefaults(Strict):
    """A `--gate-defaults` file: the slo-gate settings an imported Sloth, OpenSLO or Pyrra spec lacks.

    Every key is optional; a key given here replaces the built-in default in each policy imported
    with it. `slo_defaults` fills in what a spec leaves open (Sloth has no window: 30d otherwise).
    """

    api_version: Literal["slo-gate/v1"] | None = Field(default=None, alias="apiVersion")
    kind: Literal["GateDefaults"] | None = None
    paths: list[str] | None = None
    prometheus: PrometheusConfig | None = None
    adjustments: list[Adjustment] | None = Field(default=None, max_length=_MAX_ADJUSTMENTS)
    gate: GateConfig | None = None
    audit: AuditConfig | None = None
    slo_defaults: SLODefaults | None = None

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _check_globs(value)


class LoadedPolicy(BaseModel):
    """A validated policy and where it came from (path and sha256 of the exact bytes read)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    policy: Policy
    path: str
    sha256: str
    # The exact text read (UTF-8): the audit log keeps it so a decision can be replayed offline. For a
    # Sloth/OpenSLO/Pyrra file it is the slo-gate policy it was converted to (sha256 is that text's).
    source: str = Field(default="", repr=False)
    # The --gate-defaults file merged into an imported spec, if any (a change to it is a policy change).
    defaults: str | None = None

    def with_recorded(self) -> LoadedPolicy:
        """This policy with every SLO reading recorded series (the run's `--use-recorded`)."""
        return self.model_copy(update={"policy": self.policy.with_recorded()})

    def with_mode(self, mode: Literal["enforce", "advisory"]) -> LoadedPolicy:
        """This policy with `gate.mode` replaced (the run's `--mode` override); the text is unchanged."""
        if mode == self.policy.gate.mode:
            return self
        gate = self.policy.gate.model_copy(update={"mode": mode})
        return self.model_copy(update={"policy": self.policy.model_copy(update={"gate": gate})})
