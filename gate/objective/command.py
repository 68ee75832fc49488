"""`slo-gate objective`: the assembly the CLI calls, with clients the composition root built.

In: `ObjectiveSettings` (typed options) and the `Runtime` (gate/compose.py: the metrics source and the
model client, each built once; secrets only from the environment). Out: a `CommandResult` (the text
and the exit code: 0 when at least one rolling window was judged, 3 when the history held none).
Order: settle what to measure (a policy's SLO, command-line queries, a histogram) and every option
before any query; read the history (one range query for the SLI, one for the histogram's buckets);
analyse (pure); phrase the narrative (optional model); build and check the policy block; render.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from gate.errors import EXIT_INCONCLUSIVE, DataError, UsageError
from gate.settings import MetricsSettings, ModelSettings, OutputFormat

if TYPE_CHECKING:
    from gate.compose import CommandResult, Runtime
    from gate.measure import RangeSource
    from gate.objective.history import BucketHistory
    from gate.objective.latency import LatencyAnalysis
    from gate.objective.recommend import Analysis
    from gate.objective.render import ObjectiveReport
    from gate.objective.series import Hour
    from gate.objective.target import Target
    from gate.policy import SLI

__all__ = ["DEFAULT_HISTORY_DAYS", "MAX_HISTORY_DAYS", "HistoryUnavailable", "ObjectiveSettings", "objective"]

DAY = 86400.0
DEFAULT_HISTORY_DAYS = 90
MAX_HISTORY_DAYS = 730


class HistoryUnavailable(DataError):
    """The history could not be read at all: nothing to judge (exit 3, like an inconclusive SLO)."""

    exit_code = EXIT_INCONCLUSIVE


@dataclass(frozen=True)
class ObjectiveSettings:
    policies: tuple[Path, ...] = ()
    services: tuple[str, ...] = ()
    slo: str | None = None
    error_query: str | None = None
    good_query: str | None = None
    total_query: str | None = None
    window: str | None = None
    latency_histogram: str | None = None
    history: str | None = None  # a span such as 90d; None: as much as the backend holds, up to 90 d
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    output_format: OutputFormat = "text"
    output: Path | None = None  # write the document here instead of printing it (checked up front)
    model: ModelSettings = field(default_factory=ModelSettings)

    @property
    def cli_queries(self) -> bool:
        return any(q is not None for q in (self.error_query, self.good_query, self.total_query))


def history_seconds(text: str | None) -> float:
    """`--history` as seconds: whole days, 1 .. MAX_HISTORY_DAYS."""
    if text is None:
        return DEFAULT_HISTORY_DAYS * DAY
    from gate.times import parse_span

    try:
        seconds = parse_span(text)
    except ValueError as exc:
        raise UsageError(f"--history: {exc}") from None
    if seconds % DAY or not DAY <= seconds <= MAX_HISTORY_DAYS * DAY:
        raise UsageError(f"--history {text}: give whole days from 1d to {MAX_HISTORY_DAYS}d (e.g. 90d, 12w)")
    return seconds


def resolve_target(settings: ObjectiveSettings) -> Target:
    """What to measure, from the options alone (policies are read here; no query is sent)."""
    from gate.objective.policy_block import check_names
    from gate.objective.target import parse_histogram, target_from_policy, target_from_queries

    histogram = parse_histogram(settings.latency_histogram) if settings.latency_histogram else None
    if len(settings.services) > 1:
        raise UsageError("give one --service: slo-gate objective judges one SLO at a time")
    service = settings.services[0] if settings.services else None
    if settings.cli_queries or (histogram is not None and not settings.policies):
        if settings.policies:
            raise UsageError("give either --policy or --sli-error/--sli-good/--sli-total, not both")
        target = target_from_queries(
            service or "service",
            settings.slo,
            error_query=settings.error_query,
            good_query=settings.good_query,
            total_query=settings.total_query,
            window=settings.window,
            histogram=histogram,
        )
        check_names(target.service, target.slo)
        return target
    from gate.compose import load_selected

    loaded = load_selected(settings.policies, settings.services)
    if len(loaded) != 1:
        names = ", ".join(sorted(p.policy.service for p in loaded)) or "none"
        raise UsageError(f"choose one service with --service (the policies hold: {names})")
    from gate.objective.target import check_window

    window = check_window(settings.window) if settings.window else None
    return target_from_policy(loaded[0], settings.slo, window=window, histogram=histogram)


def _range_source(source: object) -> RangeSource:
    if not callable(getattr(source, "range", None)):
        raise UsageError("slo-gate objective needs range queries: give --prometheus-url")
    return cast("RangeSource", source)


def _read(
    target: Target, source: RangeSource, start: float, end: float
) -> tuple[list[Hour] | None, BucketHistory | None]:
    """The SLI's hours and the histogram's buckets; the two range queries run side by side (the
    client is thread-safe and one deadline bounds both)."""
    from gate.llm.background import in_background
    from gate.objective.history import read_buckets, read_hours

    what = f"{target.service}/{target.slo}"
    histogram, sli = target.histogram, target.sli
    try:
        waiting = (
            in_background(
                lambda: read_buckets(histogram, source, start, end, target.tenant), name="slo-gate-buckets"
            )
            if histogram is not None
            else None
        )
        hours = read_hours(sli, source, start, end, target.tenant) if sli is not None else None
        buckets = waiting() if waiting is not None else None
    except DataError as exc:
        raise HistoryUnavailable(
            f"{what}: the history could not be read: {exc.message}", query=exc.query
        ) from None
    return hours, buckets


def _analyse(
    target: Target, hours: list[Hour] | None, buckets: BucketHistory | None, start: float
) -> tuple[Analysis | None, LatencyAnalysis | None, SLI | None]:
    """The analysis to report, the latency analysis, and the SLI the first one judged.

    A histogram alone, or a policy SLI that reads one bucket, is judged at the threshold the latency
    analysis chose (at its current bound when none was chosen); any other SLI as it is written.
    """
    from gate.objective.latency import analyse_latency
    from gate.objective.recommend import analyse

    latency = None
    histogram = target.histogram
    if buckets is not None and histogram is not None:
        latency = analyse_latency(
            buckets,
            start,
            histogram=histogram.shown(),
            window=target.window,
            window_seconds=target.window_seconds,
            tiers=target.tiers,
            current_bound=histogram.current_bound,
            current_objective=target.current_objective if histogram.current_bound else None,
        )
    choice = latency.choice() if latency is not None else None
    bucket_based = histogram is not None and (target.sli is None or histogram.current_bound is not None)
    if bucket_based and choice is not None and histogram is not None:
        return choice.analysis, latency, histogram.sli(choice.bound)
    if hours is None or target.sli is None:
        return None, latency, None
    analysis = analyse(
        hours,
        start,
        window=target.window,
        window_seconds=target.window_seconds,
        tiers=target.tiers,
        current=target.current_objective,
        window_note=target.window_note,
    )
    return analysis, latency, target.sli


def _policy_yaml(
    target: Target, analysis: Analysis | None, latency: LatencyAnalysis | None, sli: SLI | None
) -> str | None:
    """The block: the judged SLI at its recommended objective, plus a latency SLO when a histogram
    was given beside another SLI."""
    from gate.objective.policy_block import policy_block

    objective = analysis.recommendation.objective if analysis is not None else None
    extra = None
    choice = latency.choice() if latency is not None else None
    histogram = target.histogram
    beside = histogram is not None and histogram.current_bound is None and sli == target.sli
    if beside and histogram is not None and choice is not None and choice.objective is not None:
        extra = (histogram.sli(choice.bound), choice.objective, choice.bound)
    return policy_block(target, objective, sli, latency=extra)


def build_report(settings: ObjectiveSettings, rt: Runtime) -> ObjectiveReport:
    from gate.objective.narrative import narrate
    from gate.objective.render import ObjectiveReport
    from gate.objective.series import midnight
    from gate.risk.material import scrub

    target = resolve_target(settings)
    span = history_seconds(settings.history)
    if span < target.window_seconds:
        raise UsageError(
            f"--history {span / DAY:g}d is shorter than the {target.window} window: no rolling window fits "
            "(give a longer --history or a shorter --window)"
        )
    with rt.metrics(settings.metrics) as session:
        end = midnight(session.at)
        start = end - span
        hours, buckets = _read(target, _range_source(session.source), start, end)
    analysis, latency, sli = _analyse(target, hours, buckets, start)
    narrative = None
    if analysis is not None:
        client, why = rt.model(settings.model)
        narrative = narrate(
            client,
            analysis,
            service=target.service,
            slo=target.slo,
            model=target.model,
            scrub=scrub,
            without_model=why or "no model configured",
        )
    return ObjectiveReport(
        target=target,
        evaluated_at=session.at,
        metrics_source=session.label,
        analysis=analysis,
        latency=latency,
        sli=sli,
        policy_yaml=_policy_yaml(target, analysis, latency, sli),
        narrative=narrative,
    )


def objective(settings: ObjectiveSettings, rt: Runtime) -> CommandResult:
    from gate.compose import CommandResult
    from gate.objective import render

    report = build_report(settings, rt)
    if settings.output_format == "json":
        text = render.render_json(report)
    elif settings.output_format == "markdown":
        from gate.objective.markdown import render_markdown

        text = render_markdown(report)
    else:
        text = render.render_text(report)
    if settings.output is None:
        return CommandResult(text, report.exit_code)
    try:
        settings.output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--output {settings.output}: {exc.strerror or exc}") from None
    return CommandResult(f"{render.summary_line(report)}; written to {settings.output}\n", report.exit_code)
