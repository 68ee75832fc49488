"""The versioned policy schema (apiVersion slo-gate/v1) as frozen pydantic models, and loading it.

The YAML is parsed into plain data by a safe loader that remembers each node's line (policy_yaml.py),
then validated here; `slo-gate/v1` is the only spec version today, and the internal model is what every
stage reads. Loading reports every problem in every file as `FILE:LINE: field: message`.

Loading API:
- `load_policy_bytes(data, path)` / `load_policy_file(path)`: one file -> `LoadedPolicy`.
- `discover_policy_files(paths)`: a file is taken as is; a folder contributes every `*.yaml` / `*.yml`
  below it, recursively (monorepos keep one policy per team folder), skipping hidden folders and files
  (`.git`, `.github`, ...), sorted by path within each folder; duplicates are dropped.
- `load_policies(paths)`: all of the above, collecting every error across every file before raising;
  two files declaring the same `service` are an error naming both.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from gate import globs
from gate.errors import PolicyError, PolicyErrors
from gate.models import Category, RiskLevel
from gate.policy_yaml import (
    MAX_POLICY_BYTES,
    LineMap,
    field_name,
    line_for,
    parse_yaml,
    sort_errors,
    too_large,
    validation_errors,
)

__all__ = [
    "API_VERSION",
    "MAX_POLICY_BYTES",
    "SLI",
    "SLO",
    "WINDOW_TEMPLATE",
    "AuditConfig",
    "CalendarWindow",
    "ExpectedCost",
    "GateConfig",
    "LLMConfig",
    "LoadedPolicy",
    "OverrideConfig",
    "Policy",
    "PrometheusConfig",
    "RiskConfig",
    "RiskRule",
    "Tier",
    "discover_policy_files",
    "load_policies",
    "load_policy_bytes",
    "load_policy_file",
    "parse_duration",
]

API_VERSION = "slo-gate/v1"
POLICY_SUFFIXES = (".yaml", ".yml")

_DURATION_PART = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
_DURATION = re.compile(r"^(?:\d+(?:ms|y|w|d|h|m|s))+$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Sloth-compatible templating: `{{.window}}`, spaces allowed inside the braces, is the only variable.
WINDOW_TEMPLATE = re.compile(r"\{\{\s*\.window\s*\}\}")
_ANY_TEMPLATE = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _error_at(at: tuple[str | int, ...], message: str) -> PydanticCustomError:
    """A validation error the loader pins to a node below the validated one (its `at` path)."""
    return PydanticCustomError("policy", message, {"at": at})


def check_query(text: str) -> str:
    """Validate one SLI query's text and templating; return it unchanged or raise ValueError."""
    if not text.strip():
        raise ValueError("must not be empty")
    control = _CONTROL.search(text)
    if control:
        raise ValueError(f"contains control character U+{ord(control.group()):04X}")
    others = [m.group() for m in _ANY_TEMPLATE.finditer(text) if not WINDOW_TEMPLATE.fullmatch(m.group())]
    if others:
        shown = ", ".join(others)
        raise ValueError(f"unknown template {shown}: the only template variable is {{{{.window}}}}")
    if "{{" in _ANY_TEMPLATE.sub("", text) or "}}" in _ANY_TEMPLATE.sub("", text):
        raise ValueError("unbalanced '{{' / '}}': the only template is {{.window}}")
    if not WINDOW_TEMPLATE.search(text):
        raise ValueError(
            "must use {{.window}} as its range, e.g. rate(x[{{.window}}]), so each window measures its span"
        )
    return text


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

    @field_validator("error_query", "good_query", "total_query")
    @classmethod
    def _query(cls, value: str | None) -> str | None:
        return None if value is None else check_query(value)

    @model_validator(mode="after")
    def _one_of_error_or_good(self) -> SLI:
        if self.error_query is not None and self.good_query is not None:
            raise _error_at(
                ("good_query",), "set error_query or good_query, not both (bad = error, or total - good)"
            )
        if self.error_query is None and self.good_query is None:
            raise ValueError("needs error_query or good_query (plus total_query)")
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

    @field_validator("window", mode="before")
    @classmethod
    def _window_shape(cls, value: Any) -> Any:
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
        last = len(tiers) - 1
        if tiers[last].above is not None:
            raise _error_at(
                (last, "above"), "the last tier must have no `above` (it catches everything below)"
            )
        previous: float | None = None
        for index, tier in enumerate(tiers[:last]):
            if tier.above is None:
                raise _error_at((index,), "only the last tier may omit `above`")
            if previous is not None and tier.above >= previous:
                raise _error_at(
                    (index, "above"),
                    f"tier `above` values must strictly decrease ({tier.above:g} follows {previous:g})",
                )
            previous = tier.above
        return tiers


class PrometheusConfig(Strict):
    tenant: str | None = None

    @field_validator("tenant")
    @classmethod
    def _tenant(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^[A-Za-z0-9!._*'()|-]{1,150}$", value):
            raise ValueError("tenant must be a valid X-Scope-OrgID value")
        return value


_BRANCH = re.compile(r"^(?!.*\.\.)(?!.*//)(?!.*/\.)(?!.*@\{)[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}$")


class AuditConfig(Strict):
    branch: str = "slo-gate-audit"  # "" disables the audit log
    required: bool = True

    @field_validator("branch")
    @classmethod
    def _branch(cls, value: str) -> str:
        # A conservative subset of git's ref rules: the name reaches git as data, never as an option.
        if value and (not _BRANCH.match(value) or value.endswith((".lock", "/", "."))):
            raise ValueError("not a usable git branch name (letters, digits, '.', '_', '-', '/'; no '..')")
        return value


class Policy(Strict):
    api_version: Literal["slo-gate/v1"] = Field(alias="apiVersion")
    service: str
    description: str = ""
    paths: list[str] = Field(default_factory=list)
    prometheus: PrometheusConfig = Field(default_factory=PrometheusConfig)
    slos: Annotated[list[SLO], Field(min_length=1)]
    gate: GateConfig = Field(default_factory=GateConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        return _check_globs(value)

    @field_validator("service")
    @classmethod
    def _service(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("use letters, digits, '.', '_' or '-' (at most 63 characters)")
        return value

    @field_validator("slos")
    @classmethod
    def _unique_slo_names(cls, slos: list[SLO]) -> list[SLO]:
        first: dict[str, int] = {}
        for index, slo in enumerate(slos):
            if slo.name in first:
                raise _error_at(
                    (index, "name"),
                    f"duplicate SLO name {slo.name!r} (already used by slos[{first[slo.name]}])",
                )
            first[slo.name] = index
        return slos


class LoadedPolicy(BaseModel):
    """A validated policy and where it came from (path and sha256 of the exact bytes read)."""

    model_config = ConfigDict(frozen=True)

    policy: Policy
    path: str
    sha256: str
    # The exact text read (UTF-8): the audit log keeps it so a decision can be replayed offline.
    source: str = Field(default="", repr=False)

    def with_mode(self, mode: Literal["enforce", "advisory"]) -> LoadedPolicy:
        """This policy with `gate.mode` replaced (the run's `--mode` override); the text is unchanged."""
        if mode == self.policy.gate.mode:
            return self
        gate = self.policy.gate.model_copy(update={"mode": mode})
        return self.model_copy(update={"policy": self.policy.model_copy(update={"gate": gate})})


# --- loading -----------------------------------------------------------------------------------------


def _load(data: bytes, path: str) -> tuple[LoadedPolicy, LineMap]:
    parsed = parse_yaml(data, path)
    raw, lines = parsed.data, parsed.lines
    version = raw.get("apiVersion")
    if version is not None and version != API_VERSION:
        # Another spec's schema: its other keys would only produce noise.
        raise PolicyErrors(
            [
                PolicyError(
                    path,
                    line_for(lines, ("apiVersion",)),
                    "apiVersion",
                    f"expected {API_VERSION} (got {version!r})",
                )
            ]
        )
    errors: list[PolicyError] = []
    if "api_version" in raw:  # populate_by_name would otherwise accept the Python spelling
        errors.append(
            PolicyError(
                path, line_for(lines, ("api_version",)), "api_version", "unknown key (use apiVersion)"
            )
        )
    try:
        policy = Policy.model_validate(raw)
    except ValidationError as exc:
        for error in validation_errors(exc, path, lines, Policy):
            if error.field == "apiVersion" and error.message == "required":
                error = PolicyError(error.file, error.line, error.field, f"required (expected {API_VERSION})")
            errors.append(error)
    if errors:
        raise PolicyErrors(sort_errors(errors))
    loaded = LoadedPolicy(
        policy=policy, path=path, sha256=hashlib.sha256(data).hexdigest(), source=data.decode("utf-8")
    )
    return loaded, lines


def load_policy_bytes(data: bytes, path: str) -> LoadedPolicy:
    """Validate one policy file's exact bytes; `path` is only used for display and error locations.

    Raises PolicyErrors carrying every problem found in the file.
    """
    return _load(data, path)[0]


def _read(path: Path | str) -> bytes:
    display = str(path)
    try:
        size = os.stat(path).st_size
        if size > MAX_POLICY_BYTES:
            raise PolicyErrors([too_large(display, size)])
        with open(path, "rb") as handle:
            return handle.read(MAX_POLICY_BYTES + 1)  # parse_yaml rejects a file that grew meanwhile
    except FileNotFoundError:
        raise PolicyErrors([PolicyError(display, None, "", "no such file")]) from None
    except IsADirectoryError:
        raise PolicyErrors([PolicyError(display, None, "", "is a folder; expected a policy file")]) from None
    except OSError as exc:
        raise PolicyErrors([PolicyError(display, None, "", f"cannot read: {exc.strerror or exc}")]) from None


def load_policy_file(path: Path | str) -> LoadedPolicy:
    """Read and validate one policy file; `LoadedPolicy.path` is `path` as given."""
    display = str(path)
    return load_policy_bytes(_read(path), display)


def _discover(paths: Sequence[Path | str]) -> tuple[list[Path], list[PolicyError]]:
    found: list[Path] = []
    errors: list[PolicyError] = []
    seen: set[Path] = set()

    def add(candidate: Path) -> None:
        key = candidate.resolve()
        if key not in seen:
            seen.add(key)
            found.append(candidate)

    for given in paths:
        path = Path(given)
        if path.is_file():
            add(path)
        elif path.is_dir():
            files: list[Path] = []
            for folder, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                files.extend(
                    Path(folder) / name
                    for name in filenames
                    if name.endswith(POLICY_SUFFIXES) and not name.startswith(".")
                )
            if not files:
                errors.append(
                    PolicyError(str(given), None, "", "no policy files (*.yaml, *.yml) in this folder")
                )
            for file in sorted(files, key=lambda p: p.relative_to(path).as_posix()):
                add(file)
        elif path.exists():
            errors.append(PolicyError(str(given), None, "", "not a regular file or folder"))
        else:
            errors.append(PolicyError(str(given), None, "", "no such file or folder"))
    return found, errors


def discover_policy_files(paths: Sequence[Path | str]) -> list[Path]:
    """Policy files named by `paths`: files as given, folders searched recursively for *.yaml / *.yml.

    Hidden files and folders are skipped. A missing path or a folder without policy files is an error;
    every such error is collected before raising PolicyErrors.
    """
    if not paths:
        raise PolicyErrors([PolicyError("policy paths", None, "", "none given")])
    found, errors = _discover(paths)
    if errors:
        raise PolicyErrors(errors)
    return found


def load_policies(paths: Sequence[Path | str]) -> list[LoadedPolicy]:
    """Load every policy under `paths`; collect all errors across all files, then raise PolicyErrors."""
    if not paths:
        raise PolicyErrors([PolicyError("policy paths", None, "", "none given")])
    files, errors = _discover(paths)
    sources: list[tuple[str, bytes]] = []
    for file in files:
        try:
            sources.append((str(file), _read(file)))
        except PolicyErrors as exc:
            errors.extend(exc.errors)
    return load_policy_sources(sources, errors)


def load_policy_sources(
    sources: Sequence[tuple[str, bytes]], errors: Sequence[PolicyError] = ()
) -> list[LoadedPolicy]:
    """Load policies given as (display path, bytes), e.g. read from a git commit; one service per policy."""
    found_errors = list(errors)
    loaded: list[LoadedPolicy] = []
    first: dict[str, tuple[LoadedPolicy, int | None]] = {}
    for path, data in sources:
        try:
            policy, lines = _load(data, path)
        except PolicyErrors as exc:
            found_errors.extend(exc.errors)
            continue
        service = policy.policy.service
        line = line_for(lines, ("service",))
        if service in first:
            other, other_line = first[service]
            where = f"{other.path}:{other_line}" if other_line is not None else other.path
            found_errors.append(
                PolicyError(
                    policy.path,
                    line,
                    field_name(("service",)),
                    f"service {service!r} is also defined in {where}; each service needs exactly one policy",
                )
            )
            continue
        first[service] = (policy, line)
        loaded.append(policy)
    if found_errors:
        raise PolicyErrors(found_errors)
    return loaded
