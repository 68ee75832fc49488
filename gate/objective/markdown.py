"""PURE: the objective document (`--format markdown`), the page engineering and product sign off.

In: an `ObjectiveReport`. Out: Markdown: the recommendation and why; the SLI written out (what counts
as an event and what counts as bad, from the queries, the series and matchers in words); the history
with its gaps and a day-by-day table; the backtest of every candidate; why not the others; risks;
findings; the latency threshold; the paragraph in words and which text it is; the method; the policy
block; sign-off lines. Values from outside (names, queries, selectors, the narrative, findings that
quote an answer) pass `gate.report.md_escape`, or `gate.report.md_code` in code spans; queries and the
policy block sit in fences longer than any run of backticks inside them. Nothing is computed here.
"""

from __future__ import annotations

from collections.abc import Sequence

from gate.objective.latency import LatencyAnalysis
from gate.objective.recommend import (
    MAX_PAGES_PER_MONTH,
    MEDIAN_LEFT,
    MET_SHARE,
    Analysis,
    Finding,
    objective_text,
    pct,
)
from gate.objective.render import (
    ObjectiveReport,
    alert_cell,
    budget_cell,
    fence,
    history_lines,
    iso_day,
    labels_cell,
    left_cell,
    narrative_note,
    sli_queries,
    why_lines,
)
from gate.objective.target import Target, bound_text, selectors_of
from gate.report import md_code, md_escape, plural
from gate.times import iso

__all__ = ["render_markdown"]


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _backtest_table(analysis: Analysis) -> list[str]:
    tiers = analysis.candidates[0].result.tier_days if analysis.candidates else ()
    header = [
        "objective",
        "kind",
        "budget per window (full outage)",
        "windows breached",
        "least budget left (window ending)",
        "median budget left",
        *(f"days ≤ {above:g} % left" for above, _ in tiers),
        "pages (hours)",
        "tickets (hours)",
        "meets the rule",
    ]
    lines = [_md_row(header), "|" + "---|" * len(header)]
    chosen = analysis.recommendation.objective
    for c in analysis.candidates:
        r = c.result
        share = (
            "—"
            if r.met_share is None
            else f"{r.windows_breached} of {r.windows_total} ({pct(1 - r.met_share)})"
        )
        worst = (
            "—"
            if r.min_budget_remaining is None
            else f"{pct(r.min_budget_remaining)} ({iso_day(r.min_budget_at or 0)})"
        )
        objective = objective_text(c.objective)
        lines.append(
            _md_row(
                [
                    f"**{objective}**" if c.objective == chosen else objective,
                    labels_cell(c),
                    budget_cell(r),
                    share,
                    worst,
                    left_cell(r.median_budget_remaining),
                    *(str(days) for _, days in r.tier_days),
                    alert_cell(r.pages.count, r.pages.hours),
                    alert_cell(r.tickets.count, r.tickets.hours),
                    "recommended" if c.objective == chosen else ("yes" if c.eligible else "no"),
                ]
            )
        )
    return lines


def _words(query: str) -> str:
    """The series a query reads, in words: `metric` where `label` is / matches `value`."""
    ops = {"=": "is", "!=": "is not", "=~": "matches", "!~": "does not match"}
    parts = []
    for name, matchers in selectors_of(query):
        conditions = " and ".join(
            f"{md_code(label)} {ops[op]} {md_code(value)}" for label, op, value in matchers
        )
        shown = md_code(name) if name else "series"
        parts.append(shown + (f" where {conditions}" if conditions else ""))
    return "; ".join(parts) or "(see the query)"


def _sli_markdown(report: ObjectiveReport) -> list[str]:
    target, sli = report.target, report.sli
    if sli is None:
        return ["No SLI could be defined: no latency threshold was chosen (see Latency)."]
    lines = []
    meaning = {
        "total_query": "**Events** (every request that counts) are what `total_query` counts",
        "error_query": "**Bad events** are what `error_query` counts; every other event is good",
        "good_query": "**Good events** are what `good_query` counts; bad events are events minus good ones",
    }
    for field, query in sli_queries(sli):
        lines += [
            f"- {meaning[field]}: {_words(query)}.",
            "",
            *("  " + line for line in fence(query, "promql")),
            "",
        ]
    if target.histogram is not None and sli.good_query is not None and target.sli is None:
        lines.append(
            f"Good means served at or under the chosen bucket of {md_code(target.histogram.shown())}."
        )
    return lines


def _history_markdown(analysis: Analysis) -> list[str]:
    lines = [f"- {line}" for line in history_lines(analysis, md_escape)]
    h = analysis.history
    if h.low_days:
        lines.append(f"- Low-traffic days: {', '.join(iso_day(d.start) for d in h.low_days)}")
    if h.gap_days:
        gaps = ", ".join(f"{iso_day(d.start)} ({d.missing_hours} h)" for d in h.gap_days)
        lines.append(f"- Hours that could not be read: {gaps}")
    rows = [_md_row(["day (UTC)", "events", "bad", "SLI", "unreadable hours"]), "|---|---|---|---|---|"]
    for day in h.days:
        sli = "—" if day.sli is None else f"{day.sli:.4f} %"
        rows.append(
            _md_row([iso_day(day.start), f"{day.total:,.0f}", f"{day.bad:,.0f}", sli, str(day.missing_hours)])
        )
    lines += ["", "<details><summary>The SLI day by day</summary>", "", *rows, "", "</details>"]
    return lines


def _risks(analysis: Analysis, target: Target) -> list[str]:
    chosen = analysis.candidate(analysis.recommendation.objective)
    if chosen is None:
        return ["- No objective is recommended; see the findings."]
    r = chosen.result
    lines = []
    for (above, days), allows in zip(
        r.tier_days, (*target.tier_allows, *([()] * len(r.tier_days))), strict=False
    ):
        allowed = ", ".join(allows) if allows else "only exempt changes"
        lines.append(
            f"- On {days} of {r.windows_total} days the budget would have been at or below {above:g} % "
            f"(deploys then allowed: {allowed})."
        )
    if r.min_budget_remaining is not None:
        lines.append(
            f"- The worst window (ending {iso_day(r.min_budget_at or 0)}) would have ended with "
            f"{pct(r.min_budget_remaining)} of its budget left."
        )
    lines.append(
        f"- {plural(r.pages.count, 'page')} ({r.pages.hours:g} hours firing) and {plural(r.tickets.count, 'ticket')} "
        f"({r.tickets.hours:g} hours) in {r.history_days:g} days; {r.pages_per_month:.1f} pages a month."
    )
    lines.append(
        f"- The budget is {r.budget_minutes:,.1f} minutes of full outage per {analysis.window} "
        f"({r.allowed_bad_events or 0:,.0f} bad events in a median window)."
    )
    return lines


def _findings_markdown(findings: Sequence[Finding]) -> list[str]:
    if not findings:
        return ["None."]
    return [f"- **{f.kind}**: {md_escape(f.message, 2000)}" for f in findings]


def _analysis_markdown(analysis: Analysis, target: Target, heading: str) -> list[str]:
    rec = analysis.recommendation
    lines = [f"{heading} Backtest of every candidate", ""]
    lines += (
        _backtest_table(analysis) if analysis.candidates else ["No candidate: no rolling window had traffic."]
    )
    lines += [
        "",
        f"_Rule: the tightest candidate met in ≥ {MET_SHARE * 100:g} % of the rolling {analysis.window} windows, "
        f"with a median budget left ≥ {MEDIAN_LEFT * 100:g} % and fewer than {MAX_PAGES_PER_MONTH:g} pages a month, "
        "whose budget is not noise._",
        "",
        f"{heading} Why not the others",
        "",
        *(why_lines(analysis, md_escape, "- ") or ["- There was no other candidate."]),
        "",
        f"{heading} Risks",
        "",
        *_risks(analysis, target),
    ]
    if rec.objective is None:
        lines += ["", f"_{md_escape(rec.why, 2000)}_"]
    return lines


def _latency_markdown(latency: LatencyAnalysis, target: Target, at_threshold: bool) -> list[str]:
    lines = [
        "## Latency threshold",
        "",
        f"Histogram {md_code(latency.histogram)}: the share of requests at or under each bucket over the "
        "history, and the objective the history supports at that threshold.",
        "",
        _md_row(["le", "share at or under", "recommended objective"]),
        "|---|---|---|",
    ]
    for b in latency.buckets:
        share = "—" if b.share is None else f"{b.share * 100:.4f} %"
        bound = md_escape(b.bound) + (" (current)" if b.bound == latency.current_bound else "")
        chosen = f"**{bound}**" if b.bound == latency.chosen else bound
        lines.append(_md_row([chosen, share, "none" if b.objective is None else objective_text(b.objective)]))
    lines += ["", md_escape(latency.why, 2000)]
    choice = latency.choice()
    if choice is not None and not at_threshold:
        lines += ["", *_analysis_markdown(choice.analysis, target, "###")]
    if latency.ignored_series:
        lines += ["", f"_{latency.ignored_series} series whose `le` is not a number were left out._"]
    return lines


def render_markdown(report: ObjectiveReport) -> str:
    target = report.target
    analysis = report.analysis
    title = f"# SLO objective: {md_escape(target.service)} · {md_escape(target.slo)}"
    lines = [title, ""]
    if analysis is not None:
        h = analysis.history
        lines.append(
            f"_Proposed by slo-gate from {h.length_days:g} days of history ({iso_day(h.start)} to {iso_day(h.end)}) "
            f"read from {md_escape(report.metrics_source)} at {iso(report.evaluated_at)}; source: "
            f"{md_escape(target.source)}._"
        )
    lines += ["", "## Recommendation", ""]
    lines += _recommendation_markdown(report)
    lines += ["", "## Service level indicator", "", *_sli_markdown(report)]
    if analysis is not None:
        lines += [
            "",
            "## History",
            "",
            *_history_markdown(analysis),
            "",
            *_analysis_markdown(analysis, target, "##"),
        ]
        lines += ["", "## Findings", "", *_findings_markdown(analysis.findings)]
    if report.latency is not None:
        lines += ["", *_latency_markdown(report.latency, target, report.at_threshold is not None)]
    if report.narrative is not None:
        lines += [
            "",
            "## In words",
            "",
            "> " + md_escape(report.narrative.value.text, 2000),
            "",
            f"<sub>{md_escape(narrative_note(report.narrative))}</sub>",
        ]
    lines += ["", "## Method", "", *_method(analysis)]
    if report.policy_yaml:
        lines += ["", "## Policy", "", *fence(report.policy_yaml, "yaml")]
    lines += [
        "",
        "## Sign-off",
        "",
        "| role | name | decision | date |",
        "|---|---|---|---|",
        "| Engineering | | | |",
        "| Product | | | |",
    ]
    return "\n".join(lines) + "\n"


def _recommendation_markdown(report: ObjectiveReport) -> list[str]:
    analysis = report.analysis
    target = report.target
    if analysis is None or analysis.recommendation.objective is None:
        why = (
            analysis.recommendation.why
            if analysis is not None
            else (report.latency.why if report.latency else "")
        )
        return ["**No objective is recommended.**", "", md_escape(why, 2000)]
    rec = analysis.recommendation
    chosen = analysis.candidate(rec.objective)
    current = ""
    if target.current_objective is not None:
        within = ""
        if report.at_threshold is not None and target.histogram and target.histogram.current_bound:
            within = f" within {bound_text(target.histogram.current_bound)}"
        current = f" (today: {objective_text(target.current_objective)}{within})"
    what = (
        "events good"
        if report.at_threshold is None
        else f"requests served within {bound_text(report.at_threshold)}"
    )
    lines = [
        f"**{objective_text(rec.objective or 0.0)} of {what} over a rolling {analysis.window} window**{current}.",
        "",
        md_escape(rec.why, 2000) + ".",
    ]
    if chosen is not None:
        r = chosen.result
        lines += [
            "",
            f"Error budget: {r.error_budget * 100:.4g} % of events, {budget_cell(r)} of full outage per "
            f"{analysis.window}.",
        ]
    choice = report.latency.choice() if report.latency is not None else None
    if choice is not None and report.at_threshold is None:
        held = "no objective" if choice.objective is None else objective_text(choice.objective)
        lines += [
            "",
            f"Latency: requests within {bound_text(choice.bound)} (le={choice.bound}) at {held} (see Latency threshold).",
        ]
    elif report.at_threshold is not None and report.latency is not None:
        lines += ["", f"Threshold: {md_escape(report.latency.why, 2000)}."]
    return lines


def _method(analysis: Analysis | None) -> list[str]:
    window = analysis.window if analysis is not None else "SLO"
    return [
        "- Events are read per hour with range queries of the gate's own SLI expression (one hour each, "
        "every hour); days and windows are ratios of sums of those hours, never averages of ratios.",
        f"- A rolling {window} window ends at every UTC midnight whose window lies wholly inside the history; "
        "budget left = 1 − (bad / events) / (1 − objective).",
        "- Tier days count the days whose window ended at or below each tier's threshold.",
        "- Page and ticket alerts are the gate's multiwindow burn-rate rules, thresholds scaled to the "
        "window, evaluated at the end of every hour; a window shorter than an hour (5m, 30m) is read over "
        "the last hour. Consecutive firing hours are one alert.",
    ]
