"""`slo-gate postmortem`: settings in, a Markdown or JSON draft out (assembled from the Runtime's clients).

The CLI parses options into `PostmortemSettings`; `postmortem(settings, rt)` loads the service's
policy, reads the audit log through the sinks the Runtime plans, measures through the Runtime's
metrics session (a live backend: range queries are needed) and phrases the data paragraph with the
Runtime's one model client. `audit_records` and `history_source` are shared with `slo-gate report`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from gate.errors import UsageError

if TYPE_CHECKING:
    from gate.audit.record import AuditRecord
    from gate.compose import CommandResult, Runtime
    from gate.llm.client import ToolCaller
    from gate.measure import HistorySource
    from gate.metrics import MetricsSource
    from gate.policy import LoadedPolicy
    from gate.settings import AuditSettings, MetricsSettings, ModelSettings

__all__ = ["PostmortemSettings", "audit_records", "history_source", "narrative_client", "postmortem"]


@dataclass(frozen=True)
class PostmortemSettings:
    policies: tuple[Path, ...]
    service: str
    metrics: MetricsSettings
    audit: AuditSettings
    model: ModelSettings
    slo: str | None = None
    start: float | None = None  # --from
    end: float | None = None  # --to
    around: float | None = None
    output_format: Literal["markdown", "json"] = "markdown"
    out: Path | None = None
    search: float = field(default=12 * 3600.0)

    def __post_init__(self) -> None:
        span = self.start is not None or self.end is not None
        if span and self.around is not None:
            raise UsageError("give either --from and --to, or --around, not both")
        if span and (self.start is None or self.end is None):
            raise UsageError("--from and --to go together")
        if not span and self.around is None:
            raise UsageError("give the incident's span with --from and --to, or a moment in it with --around")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise UsageError("--to must be after --from")


def history_source(source: MetricsSource, command: str) -> HistorySource:
    """The source when it can answer range queries; a snapshot cannot (UsageError)."""
    from gate.measure import HistorySource

    if not isinstance(source, HistorySource):
        raise UsageError(
            f"{command} reads burn history with range queries: give --prometheus-url, not a snapshot"
        )
    return source


def audit_records(rt: Runtime, audit: AuditSettings, policies: Sequence[LoadedPolicy]) -> list[AuditRecord]:
    """Every record the planned sinks hold; an unreadable log is a warning (no deploys), not a failure."""
    from gate.audit.recorder import read_records
    from gate.errors import AuditError

    records: list[AuditRecord] = []
    for sink in rt.audit_plan(audit, policies).sinks:
        try:
            records.extend(read_records(sink, warn=rt.warn))
        except AuditError as exc:
            rt.warn(f"audit log {sink!r} unavailable, so no deploys are shown: {exc}")
    return records


def narrative_client(
    rt: Runtime, settings: ModelSettings, policies: Sequence[LoadedPolicy]
) -> tuple[ToolCaller | None, str]:
    """The run's model client for prose, or None and why (--no-llm, no key, a policy turned it off)."""
    if any(not p.policy.gate.risk.llm.enabled for p in policies):
        return None, "the policy sets gate.risk.llm.enabled: false"
    client, why = rt.model(settings)
    return client, why


def postmortem(settings: PostmortemSettings, rt: Runtime) -> CommandResult:
    from gate.compose import CommandResult, load_selected
    from gate.postmortem.build import DraftRequest, build_postmortem
    from gate.postmortem.render import render_json, render_markdown

    loaded = load_selected(settings.policies, (settings.service,))
    if len(loaded) != 1:
        raise UsageError(f"--service {settings.service}: {len(loaded)} policies name it")
    records = audit_records(rt, settings.audit, loaded)
    client, why = narrative_client(rt, settings.model, loaded)
    with rt.metrics(settings.metrics) as session:
        source = history_source(session.source, "postmortem")
        request = DraftRequest(
            at=session.at,
            start=settings.start,
            end=settings.end,
            around=settings.around,
            slo=settings.slo,
            search=settings.search,
        )
        if (settings.end or settings.around or 0.0) > session.at:
            raise UsageError("the incident must be before --at (the evaluation time)")
        draft = build_postmortem(
            loaded[0], source, records, request, metrics_label=session.label, client=client, without_model=why
        )
    text = render_json(draft) if settings.output_format == "json" else render_markdown(draft)
    if settings.out is not None:
        try:
            settings.out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--out {settings.out}: {exc.strerror or exc}") from None
        return CommandResult(f"postmortem draft written to {settings.out}\n", 0)
    return CommandResult(text, 0)
