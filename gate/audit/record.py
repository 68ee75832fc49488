"""The audit record schema: typed, versioned models of what a chain line holds, and how a line is read. PURE.

A record is one JSON object: `kind` says what it is (`decision`, `settlement`), `format` which version of
that kind's shape it has, and every record carries `id`, `service`, `recorded_at`, `gate_version` and,
once sealed into a chain, `seq`, `prev_hash` and `hash` (gate.audit.chain). The audit package owns this
schema: builders (gate.audit.builder) map the run's models onto it, so the report's JSON or the run's
models can change without changing what the chain stores.

Versioning: every kind reads the formats in its `formats` and writes the newest. Any change to a kind's
shape (a key added, removed, renamed or given a new meaning, a new value allowed) is a new format; an
old format stays readable for as long as chains hold it. The models are exact: no unknown key
(`extra="forbid"`), every key the writer always writes is required (only the keys early format-1
writers lacked have defaults: `gate_mode`, `run.job`, `run.fork`), and keys are omitted exactly where
the writer omits them, so a record dumped again is byte-identical to the line it came from.

`parse_record` never raises: a known kind in a format it reads becomes its model; anything else — a
kind this slo-gate does not know (a newer gate's), a newer format, or a line that does not match its
schema (hand-made: the hash chain proves order, not authorship) — becomes an `UnknownRecord` holding
the raw object and why it was not read, so an old gate reading a newer log neither crashes nor misreads.

No secret goes in: the metrics source is recorded without credentials, the run context holds names
and ids only, and the change's text was redacted before any stage saw it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)

from gate.models import Category, RiskLevel
from gate.times import check_unix, parse_iso

__all__ = [
    "CHAIN_FIELDS",
    "FORMAT",
    "AuditRecord",
    "DecisionRecord",
    "RecordedAssessment",
    "RecordedBudget",
    "RecordedChange",
    "RecordedDecision",
    "RecordedLLM",
    "RecordedOverride",
    "RecordedPolicy",
    "RecordedQuery",
    "RecordedReason",
    "RecordedReview",
    "RecordedSample",
    "RecordedTier",
    "RunContext",
    "SettledSLO",
    "SettlementRecord",
    "SettlementWindow",
    "UnknownRecord",
    "idempotency_key",
    "parse_record",
]

FORMAT = 1  # the format this slo-gate writes for decision and settlement records
CHAIN_FIELDS = ("seq", "prev_hash", "hash")
_PROBLEM_MAX = 300


def _iso_time(text: str) -> str:
    """A time as slo-gate writes it: RFC 3339, within 1970..9999 (so every reader can turn it into a date)."""
    try:
        check_unix(parse_iso(text))
    except (ValueError, OverflowError):
        raise ValueError("not an RFC 3339 time within 1970..9999") from None  # the text is not echoed
    return text


IsoTime = Annotated[str, AfterValidator(_iso_time)]
UnixTime = Annotated[float, AfterValidator(check_unix)]


class Part(BaseModel):
    """A piece of a record: exact (no unknown keys), frozen, and dumped with the writer's key set.

    Keys in `omit_if_none` are left out when None, as the format writes them (not written as null).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    omit_if_none: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _omit_nones(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for name in self.omit_if_none:
            if name in data and data[name] is None:
                del data[name]
        return data


# ---- the run ----------------------------------------------------------------------------------------


class RunContext(Part):
    """Where a gate run happened: a CI run (GitHub Actions) or a local invocation (mostly None)."""

    repo: str | None = None
    event: str | None = None
    pr: int | None = None
    ref: str | None = None
    head_sha: str | None = None
    base_sha: str | None = None
    run_id: str | None = None
    run_attempt: str | None = None
    actor: str | None = None
    workflow: str | None = None
    job: str | None = None
    fork: bool = False  # a pull request from a fork: its token cannot push the audit branch

    @property
    def run_key(self) -> str | None:
        """Run id + attempt + job: with the policy and outcome, what makes a repeat write nothing new."""
        if not self.run_id:
            return None
        return f"{self.run_id}.{self.run_attempt or '1'}.{self.job or '-'}"


class RecordedPolicy(Part):
    """The policy exactly as the gate read it: replay and settle load this text again."""

    path: str
    sha256: str
    text: str


class RecordedSample(Part):
    labels: dict[str, str]
    value: float


class RecordedQuery(Part):
    """A query the gate sent and its answer (the samples, or the error)."""

    slo: str
    expr: str
    at: float
    samples: list[RecordedSample]
    error: str | None


class RecordedBudget(Part):
    """One SLO's budget as measured; `query` names the query that failed, when one did."""

    omit_if_none = frozenset({"query"})

    name: str
    objective: float
    window: str
    budget_remaining: float | None
    error_ratio: float | None
    burn_rates: dict[str, float | None]
    alert: Literal["none", "ticket", "page"]
    alert_reasons: list[str]
    exhaustion_hours: float | None
    events: float | None
    status: Literal["ok", "inconclusive"]
    reason: str | None
    query: str | None = None


# ---- the change -------------------------------------------------------------------------------------


class RecordedAssessment(Part):
    """One opinion about the change (rules, content, labels, the model); absent facts are left out."""

    omit_if_none = frozenset({"category", "model", "input_tokens", "output_tokens", "cost_usd"})

    source: Literal["rules", "labels", "content", "llm"]
    risk: RiskLevel
    category: Category | None = None
    reasons: list[str]
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None


class RecordedReview(Part):
    """What the model was asked and said (its text is untrusted: readers escape it)."""

    model: str
    prompt_version: str
    status: Literal["answered", "failed"]
    risk: RiskLevel | None
    category: Category | None
    rationale: str | None
    signals: list[str]
    failure: str | None
    cached: bool
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: float | None
    input_tokens_estimate: int
    files: int
    hunks_shown: int
    hunks_total: int
    hunks_cut: int
    summarised: list[str]


class RecordedLLM(Part):
    used: bool
    note: str | None
    review: RecordedReview | None


class RecordedChange(Part):
    """The change's risk as assessed: final risk, category, the rules' floor, and every assessment."""

    risk: RiskLevel
    category: Category
    floor: RiskLevel
    llm: RecordedLLM
    files: int
    lines_added: int
    lines_removed: int
    assessments: list[RecordedAssessment]


class RecordedOverride(Part):
    """The verdict on an override or fix label; only an honoured one let anything through."""

    kind: Literal["override", "fix"]
    label: str
    honoured: bool
    actor: str | None
    reason: str


# ---- the decision -----------------------------------------------------------------------------------


class RecordedReason(Part):
    code: str
    message: str


class RecordedTier(Part):
    index: int
    above: float | None
    allow: list[RiskLevel]


class RecordedDecision(Part):
    outcome: Literal["pass", "warn", "fail", "inconclusive"]
    exit_code: int
    advisory: bool
    would_have: Literal["pass", "warn", "fail", "inconclusive"] | None
    reasons: list[RecordedReason]
    tier: RecordedTier | None


# ---- records ----------------------------------------------------------------------------------------


class Sealed(Part):
    """What every record kind carries; `seq`/`prev_hash`/`hash` are None until the sink seals it."""

    omit_if_none = frozenset(CHAIN_FIELDS)
    kind: str
    formats: ClassVar[frozenset[int]] = frozenset({FORMAT})  # the formats of this kind this gate reads
    # Fields whose values make two records "the same" (a repeat writes nothing); None in any: always new.
    key_fields: ClassVar[tuple[str, ...]] = ()

    id: str
    service: str
    recorded_at: IsoTime
    gate_version: str
    seq: int | None = Field(default=None, ge=1)
    prev_hash: str | None = None
    hash: str | None = None

    def body(self) -> dict[str, Any]:
        """The JSON object to seal: everything but the chain fields."""
        data = self.model_dump(mode="json")
        for name in CHAIN_FIELDS:
            data.pop(name, None)
        return data

    def stored(self) -> dict[str, Any]:
        """The JSON object as a chain line holds it (with the chain fields once sealed)."""
        return self.model_dump(mode="json")


class DecisionRecord(Sealed):
    """One gate run for one service: everything needed to decide it again offline (gate.audit.replay)."""

    omit_if_none = Sealed.omit_if_none | {"gate_mode"}  # records made before --mode existed lack it
    key_fields = ("service", "run_key")

    format: Literal[1] = 1
    kind: Literal["decision"] = "decision"
    evaluated_at: IsoTime
    evaluated_at_unix: UnixTime
    run: RunContext
    # Run key + policy + outcome: a re-run of the same job with the same result writes nothing new.
    run_key: str | None
    gate_mode: Literal["enforce", "advisory"] | None = None
    policy: RecordedPolicy
    metrics_source: str
    queries: list[RecordedQuery]
    budgets: list[RecordedBudget]
    change: RecordedChange
    override: RecordedOverride | None
    fix: RecordedOverride | None
    decision: RecordedDecision

    @property
    def at(self) -> float:
        """When the gate decided (unix seconds): a deploy's time."""
        return self.evaluated_at_unix

    @property
    def outcome(self) -> str:
        return self.decision.outcome

    def honoured(self) -> list[RecordedOverride]:
        """The override and fix labels that were honoured, in that order."""
        return [item for item in (self.override, self.fix) if item is not None and item.honoured]


class SettledSLO(Part):
    """One SLO's share of its budget spent in the 24 h after a deploy (None: not measurable)."""

    name: str
    objective: float
    window: str
    window_seconds: float
    burn_rate_24h: float | None
    error_ratio_24h: float | None
    budget_spent: float | None
    status: Literal["ok", "inconclusive"]
    reason: str | None
    queries: list[RecordedQuery]


class SettlementWindow(Part):
    start: IsoTime
    end: IsoTime


class SettlementRecord(Sealed):
    """What a deploy (a decision record) cost, measured over the 24 h after it (gate.audit.settle)."""

    key_fields = ("deploy_id",)

    format: Literal[1] = 1
    kind: Literal["settlement"] = "settlement"
    deploy_id: str
    deploy_risk: RiskLevel
    deploy_evaluated_at: IsoTime
    window: SettlementWindow
    metrics_source: str
    slos: list[SettledSLO]
    # The deploy's cost is its worst SLO's: the tiers judge the lowest budget left.
    cost: float | None

    @property
    def at(self) -> float:
        """When the settlement was recorded (unix seconds)."""
        return parse_iso(self.recorded_at)


class UnknownRecord(BaseModel):
    """A chain line this slo-gate does not read as a record: kept whole, with why it was not read.

    `why`: `kind` (a kind this version does not know, e.g. a newer gate's), `format` (a newer format
    of a known kind) or `invalid` (the object does not match its kind's schema). The chain fields and
    the common keys are taken from the object when they have the right type, else None.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    kind: str | None
    why: Literal["kind", "format", "invalid"]
    problem: str
    data: dict[str, Any]
    id: str | None = None
    service: str | None = None
    recorded_at: str | None = None
    seq: int | None = None
    prev_hash: str | None = None
    hash: str | None = None

    @property
    def at(self) -> float | None:
        """`recorded_at` as unix seconds, when it is a usable time."""
        if self.recorded_at is None:
            return None
        try:
            return check_unix(parse_iso(self.recorded_at))
        except (ValueError, OverflowError):
            return None

    def body(self) -> dict[str, Any]:
        return {k: v for k, v in self.data.items() if k not in CHAIN_FIELDS}

    def stored(self) -> dict[str, Any]:
        return dict(self.data)


AuditRecord = DecisionRecord | SettlementRecord | UnknownRecord
KINDS: dict[str, type[DecisionRecord] | type[SettlementRecord]] = {
    "decision": DecisionRecord,
    "settlement": SettlementRecord,
}


def idempotency_key(data: Mapping[str, Any]) -> tuple[str, ...] | None:
    """What makes a stored object "the same" record as another: its kind and its kind's key fields.

    Read from the JSON object (as stored or about to be), so a sink compares a new record with the
    chain without parsing every line. None (always append): an unknown kind, or a key field that is
    None (a local run has no run key).
    """
    kind = data.get("kind")
    model = KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        return None
    values = [data.get(name) for name in model.key_fields]
    if any(value is None for value in values):
        return None
    return (str(kind), *(str(value) for value in values))


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False, include_input=False, include_context=False)[0]
    where = ".".join(str(part) for part in error["loc"]) or "record"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {error['msg']}{more}"[:_PROBLEM_MAX]


def _unknown(
    data: Mapping[str, Any], why: Literal["kind", "format", "invalid"], problem: str
) -> UnknownRecord:
    def text(name: str) -> str | None:
        value = data.get(name)
        return value if isinstance(value, str) else None

    seq = data.get("seq")
    kind = data.get("kind")
    return UnknownRecord(
        kind=kind if isinstance(kind, str) else None,
        why=why,
        problem=problem,
        data=dict(data),
        id=text("id"),
        service=text("service"),
        recorded_at=text("recorded_at"),
        seq=seq if isinstance(seq, int) and not isinstance(seq, bool) else None,
        prev_hash=text("prev_hash"),
        hash=text("hash"),
    )


def parse_record(data: Mapping[str, Any]) -> AuditRecord:
    """The typed record for one stored JSON object; never raises (see the module docstring)."""
    kind = data.get("kind")
    model = KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        shown = repr(kind)[:60] if kind is not None else "none"
        return _unknown(
            data, "kind", f"kind {shown} is not one this slo-gate reads (a newer slo-gate wrote it?)"
        )
    version = data.get("format")
    if version not in model.formats or isinstance(version, bool):
        newer = isinstance(version, int) and not isinstance(version, bool) and version > max(model.formats)
        readable = ", ".join(str(f) for f in sorted(model.formats))
        problem = f"{kind} record format {repr(version)[:20]}: this slo-gate reads format {readable}"
        return _unknown(
            data,
            "format" if newer else "invalid",
            problem + (" (a newer slo-gate wrote it)" if newer else ""),
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        return _unknown(data, "invalid", f"not a valid {kind} record: {_first_error(exc)}")
