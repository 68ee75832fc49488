"""PURE renderers for `slo-gate objective`: text for terminals, the Markdown objective document, JSON.

In: an `ObjectiveReport` (the target, the analyses, the policy block, the narrative). Out: text. No
number is computed here that the analysis did not compute (only formatted). Every value from outside
(service and SLO names, queries, histogram selectors, the narrative, finding messages that quote
them) passes `gate.report.clean` in text and `gate.report.md_escape` in Markdown; queries and the
policy block sit in fenced code blocks whose fence is longer than any run of backticks inside them.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from gate.llm.narrative import Narrative
from gate.llm.phrase import Phrased
from gate.objective.backtest import Backtest, tier_days_map
from gate.objective.latency import LatencyAnalysis
from gate.objective.recommend import (
    MAX_PAGES_PER_MONTH,
    MEDIAN_LEFT,
    MET_SHARE,
    Analysis,
    Candidate,
    Finding,
    objective_text,
    pct,
)
from gate.objective.series import Hour, Period
from gate.objective.target import Target, bound_text, selectors_of
from gate.policy import SLI
from gate.report import clean, fmt_cost, md_code, md_escape, plural
from gate.times import iso

__all__ = [
    "SCHEMA_VERSION",
    "ObjectiveReport",
    "render_json",
    "render_markdown",
    "render_text",
    "summary_line",
]

SCHEMA_VERSION = 1
_BACKTICKS = re.compile(r"`+")


@dataclass(frozen=True)
class ObjectiveReport:
    target: Target
    evaluated_at: float
    metrics_source: str
    analysis: Analysis | None  # None: a histogram alone, and no threshold could be chosen
    sli: SLI | None  # the SLI `analysis` judged (a histogram's: at the chosen threshold)
    latency: LatencyAnalysis | None
    policy_yaml: str | None
    narrative: Phrased[Narrative] | None

    @property
    def at_threshold(self) -> str | None:
        """The bucket bound the reported analysis was judged at, when the latency analysis chose it."""
        choice = self.latency.choice() if self.latency is not None else None
        return choice.bound if choice is not None and choice.analysis is self.analysis else None

    @property
    def exit_code(self) -> int:
        analysis = self.analysis
        return 0 if analysis is not None and analysis.history.windows else 3


def _date(at: float) -> str:
    return iso(at)[:10]


def _left(value: float | None) -> str:
    return "—" if value is None else pct(value)


def _labels(candidate: Candidate) -> str:
    return ", ".join(candidate.labels)


def _alert(tally_count: int, hours: float) -> str:
    return f"{tally_count} ({hours:g} h)"


def _budget(result: Backtest) -> str:
    return f"{result.budget_minutes:,.1f} min"


def _fence(text: str, info: str = "") -> list[str]:
    longest = max((len(m.group()) for m in _BACKTICKS.finditer(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{info}", text.rstrip("\n"), fence]


def _sli_queries(sli: SLI | None) -> list[tuple[str, str]]:
    if sli is None:
        return []
    found = [("total_query", sli.total_query)]
    if sli.error_query is not None:
        found.insert(0, ("error_query", sli.error_query))
    if sli.good_query is not None:
        found.insert(0, ("good_query", sli.good_query))
    return found


# ---- JSON -------------------------------------------------------------------------------------------


def _period_json(period: Period) -> dict[str, Any]:
    return {
        "start": iso(period.start),
        "end": iso(period.end),
        "events": period.total,
        "bad_events": period.bad,
        "sli": period.sli,
        "missing_hours": period.missing_hours,
    }


def _hour_json(hour: Hour) -> dict[str, Any]:
    if hour.total is None:
        return {"end": iso(hour.end), "events": None, "bad_events": None, "problem": hour.problem}
    return {"end": iso(hour.end), "events": hour.total, "bad_events": hour.bad}


def candidate_json(candidate: Candidate) -> dict[str, Any]:
    r = candidate.result
    return {
        "objective": candidate.objective,
        "labels": list(candidate.labels),
        "error_budget": r.error_budget,
        "budget_minutes": r.budget_minutes,
        "windows_total": r.windows_total,
        "windows_breached": r.windows_breached,
        "windows_met_share": r.met_share,
        "min_budget_remaining": r.min_budget_remaining,
        "min_budget_at": None if r.min_budget_at is None else iso(r.min_budget_at),
        "median_budget_remaining": r.median_budget_remaining,
        "tier_days": dict(tier_days_map(r)),
        "pages": r.pages.count,
        "page_hours": r.pages.hours,
        "first_page_at": None if r.pages.first is None else iso(r.pages.first),
        "pages_per_month": r.pages_per_month,
        "tickets": r.tickets.count,
        "ticket_hours": r.tickets.hours,
        "first_ticket_at": None if r.tickets.first is None else iso(r.tickets.first),
        "median_window_events": r.median_window_events,
        "allowed_bad_events": r.allowed_bad_events,
        "noise": r.noise,
        "meets_rule": candidate.eligible,
        "failures": list(candidate.failures),
    }


def analysis_json(analysis: Analysis, *, hourly: bool = True) -> dict[str, Any]:
    h = analysis.history
    rec = analysis.recommendation
    history: dict[str, Any] = {
        "start": iso(h.start),
        "end": iso(h.end),
        "asked_start": iso(h.asked_start),
        "days": len(h.days),
        "hours": len(h.hours),
        "hours_missing": h.missing_hours,
        "events": h.events,
        "bad_events": h.bad,
        "achieved": h.achieved,
        "days_low_traffic": len(h.low_days),
        "low_traffic_days": [_date(d.start) for d in h.low_days],
        "gap_days": [{"date": _date(d.start), "missing_hours": d.missing_hours} for d in h.gap_days],
        "daily": [_period_json(d) for d in h.days],
        "windows": [_period_json(w) for w in h.windows],
    }
    if hourly:
        history["hourly"] = [_hour_json(hour) for hour in h.hours]
    return {
        "window": analysis.window,
        "window_seconds": analysis.window_seconds,
        "history": history,
        "candidates": [candidate_json(c) for c in analysis.candidates],
        "recommended": {
            "objective": rec.objective,
            "window": analysis.window,
            "why": rec.why,
            "not_chosen": [{"objective": o, "why": why} for o, why in (*rec.above, *rec.below)],
        },
        "findings": [{"kind": f.kind, "message": f.message} for f in analysis.findings],
    }


def _latency_json(latency: LatencyAnalysis) -> dict[str, Any]:
    return {
        "histogram": latency.histogram,
        "threshold": latency.chosen,
        "current_threshold": latency.current_bound,
        "why": latency.why,
        "ignored_series": latency.ignored_series,
        "buckets": [
            {
                "le": b.bound,
                "share": b.share,
                "recommended": {"objective": b.objective, "why": b.analysis.recommendation.why},
                "candidates": [candidate_json(c) for c in b.analysis.candidates],
                "findings": [{"kind": f.kind, "message": f.message} for f in b.analysis.findings],
            }
            for b in latency.buckets
        ],
    }


def _narrative_json(narrative: Phrased[Narrative] | None) -> dict[str, Any] | None:
    if narrative is None:
        return None
    return {
        "source": narrative.source,
        "text": narrative.value.text,
        "note": narrative.note,
        "model": narrative.model,
        "input_tokens": narrative.input_tokens,
        "output_tokens": narrative.output_tokens,
        "cost_usd": narrative.cost_usd,
        "cached": narrative.cached,
    }


def render_json(report: ObjectiveReport) -> str:
    target = report.target
    sli = report.sli
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "service": target.service,
        "slo": target.slo,
        "source": target.source,
        "metrics_source": report.metrics_source,
        "evaluated_at": iso(report.evaluated_at),
        "current_objective": target.current_objective,
        "sli": dict(_sli_queries(sli)),
    }
    if report.analysis is not None:
        document.update(analysis_json(report.analysis))
    else:
        document.update({"history": None, "candidates": [], "recommended": {"objective": None, "why": ""}})
        document["findings"] = []
    document["latency"] = None if report.latency is None else _latency_json(report.latency)
    document["policy_yaml"] = report.policy_yaml
    document["narrative"] = _narrative_json(report.narrative)
    document["exit_code"] = report.exit_code
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)


def summary_line(report: ObjectiveReport) -> str:
    """One line: what was judged and what is recommended."""
    target = report.target
    analysis = report.analysis
    what = clean(f"{target.service}/{target.slo}", 300)
    if analysis is None or analysis.recommendation.objective is None:
        return f"objective {what}: no objective recommended"
    return f"objective {what}: {objective_text(analysis.recommendation.objective)} over {analysis.window} recommended"


# ---- text -------------------------------------------------------------------------------------------

_TEXT_HEADER = (
    "objective",
    "kind",
    "budget/window",
    "breached",
    "min left (window end)",
    "median left",
    "tier days",
    "pages (h)",
    "tickets (h)",
    "rule",
)


def _table(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def _tier_text(result: Backtest) -> str:
    return " ".join(f"≤{above:g}%:{days}" for above, days in result.tier_days) or "—"


def _candidate_row(candidate: Candidate, chosen: float | None) -> tuple[str, ...]:
    r = candidate.result
    worst = (
        "—"
        if r.min_budget_remaining is None
        else f"{pct(r.min_budget_remaining)} ({_date(r.min_budget_at or 0)})"
    )
    mark = "recommended" if candidate.objective == chosen else ("meets" if candidate.eligible else "fails")
    return (
        objective_text(candidate.objective),
        _labels(candidate),
        _budget(r),
        f"{r.windows_breached}/{r.windows_total}",
        worst,
        _left(r.median_budget_remaining),
        _tier_text(r),
        _alert(r.pages.count, r.pages.hours),
        _alert(r.tickets.count, r.tickets.hours),
        mark,
    )


def _history_lines(analysis: Analysis, escape: Callable[[str], str]) -> list[str]:
    h = analysis.history
    achieved = "—" if h.achieved is None else f"{h.achieved:.4f} %"
    lines = [
        f"history: {iso(h.start)} .. {iso(h.end)} ({h.length_days:g} d, {len(h.hours)} h, "
        f"{h.missing_hours} h unreadable); {h.events:,.0f} events, {h.bad:,.0f} bad; achieved {achieved}; "
        f"{plural(len(h.low_days), 'low-traffic day')}",
    ]
    judged = [w for w in h.windows if w.sli is not None]
    if judged:
        worst = min(judged, key=lambda w: (w.sli or 0.0, w.end))
        best = max(judged, key=lambda w: (w.sli or 0.0, -w.end))
        median = statistics.median(w.sli or 0.0 for w in judged)
        lines.append(
            f"rolling {analysis.window} windows: {len(h.windows)} ending at UTC midnights; worst "
            f"{worst.sli:.4f} % (ending {_date(worst.end)}), median {median:.4f} %, best {best.sli:.4f} %"
        )
    return [escape(line) for line in lines]


def _why_lines(analysis: Analysis, escape: Callable[[str], str], bullet: str) -> list[str]:
    rec = analysis.recommendation
    lines = []
    for objective, why in (*rec.above, *rec.below):
        lines.append(f"{bullet}{escape(objective_text(objective))}: {escape(why)}")
    return lines


def _analysis_text(analysis: Analysis) -> list[str]:
    lines = _history_lines(analysis, lambda s: clean(s, 2000))
    if analysis.candidates:
        chosen = analysis.recommendation.objective
        rows = [_TEXT_HEADER, *(_candidate_row(c, chosen) for c in analysis.candidates)]
        lines += ["", "backtest:", *_table(rows)]
    rec = analysis.recommendation
    head = "none" if rec.objective is None else f"{objective_text(rec.objective)} over {analysis.window}"
    lines += ["", f"recommended: {head}", f"  {clean(rec.why, 2000)}"]
    lines += _why_lines(analysis, lambda s: clean(s, 2000), "  not ")
    if analysis.findings:
        lines += ["", "findings:"]
        lines += [f"  - {f.kind}: {clean(f.message, 2000)}" for f in analysis.findings]
    return lines


def _latency_text(latency: LatencyAnalysis) -> list[str]:
    lines = ["", f"latency threshold ({clean(latency.histogram, 300)}):"]
    rows = [("le", "share at or under", "recommended objective")]
    for b in latency.buckets:
        share = "—" if b.share is None else f"{b.share * 100:.4f} %"
        objective = "none" if b.objective is None else objective_text(b.objective)
        rows.append((b.bound + (" (current)" if b.bound == latency.current_bound else ""), share, objective))
    lines += _table(rows)
    lines.append(
        f"  chosen: {'none' if latency.chosen is None else 'le=' + latency.chosen}: {clean(latency.why, 2000)}"
    )
    return lines


def _narrative_text(narrative: Phrased[Narrative] | None) -> list[str]:
    if narrative is None:
        return []
    return ["", f"narrative ({_narrative_note(narrative)}):", f"  {clean(narrative.value.text, 2000)}"]


def _narrative_note(narrative: Phrased[Narrative]) -> str:
    if narrative.source == "model":
        tokens = f"{narrative.input_tokens or 0} in / {narrative.output_tokens or 0} out tokens"
        cached = ", cached" if narrative.cached else ""
        return f"written by {narrative.model}, checked against the facts; {tokens}, {fmt_cost(narrative.cost_usd)}{cached}"
    note = narrative.note or "facts-only text used"
    if narrative.input_tokens is not None:
        note += f"; {narrative.input_tokens} in / {narrative.output_tokens or 0} out tokens, {fmt_cost(narrative.cost_usd)}"
    return note


def render_text(report: ObjectiveReport) -> str:
    target = report.target
    current = (
        ""
        if target.current_objective is None
        else f", current objective {objective_text(target.current_objective)}"
    )
    lines = [
        clean(f"objective: {target.service} / {target.slo} ({target.source}{current})", 2000),
        f"evaluated at {iso(report.evaluated_at)} against {clean(report.metrics_source, 500)}",
    ]
    for field, query in _sli_queries(report.sli):
        lines.append(clean(f"  {field}: {query}", 2000))
    if report.analysis is not None:
        lines += ["", *_analysis_text(report.analysis)]
    if report.latency is not None:
        lines += _latency_text(report.latency)
    lines += _narrative_text(report.narrative)
    if report.policy_yaml:
        lines += [
            "",
            "policy:",
            *("  " + clean(line, 4000) for line in report.policy_yaml.rstrip("\n").split("\n")),
        ]
    return "\n".join(lines) + "\n"


# ---- Markdown -----------------------------------------------------------------------------------------


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
            else f"{pct(r.min_budget_remaining)} ({_date(r.min_budget_at or 0)})"
        )
        objective = objective_text(c.objective)
        lines.append(
            _md_row(
                [
                    f"**{objective}**" if c.objective == chosen else objective,
                    _labels(c),
                    _budget(r),
                    share,
                    worst,
                    _left(r.median_budget_remaining),
                    *(str(days) for _, days in r.tier_days),
                    _alert(r.pages.count, r.pages.hours),
                    _alert(r.tickets.count, r.tickets.hours),
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
    for field, query in _sli_queries(sli):
        lines += [
            f"- {meaning[field]}: {_words(query)}.",
            "",
            *("  " + line for line in _fence(query, "promql")),
            "",
        ]
    if target.histogram is not None and sli.good_query is not None and target.sli is None:
        lines.append(
            f"Good means served at or under the chosen bucket of {md_code(target.histogram.shown())}."
        )
    return lines


def _history_markdown(analysis: Analysis) -> list[str]:
    lines = [f"- {line}" for line in _history_lines(analysis, md_escape)]
    h = analysis.history
    if h.low_days:
        lines.append(f"- Low-traffic days: {', '.join(_date(d.start) for d in h.low_days)}")
    if h.gap_days:
        gaps = ", ".join(f"{_date(d.start)} ({d.missing_hours} h)" for d in h.gap_days)
        lines.append(f"- Hours that could not be read: {gaps}")
    rows = [_md_row(["day (UTC)", "events", "bad", "SLI", "unreadable hours"]), "|---|---|---|---|---|"]
    for day in h.days:
        sli = "—" if day.sli is None else f"{day.sli:.4f} %"
        rows.append(
            _md_row([_date(day.start), f"{day.total:,.0f}", f"{day.bad:,.0f}", sli, str(day.missing_hours)])
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
            f"- The worst window (ending {_date(r.min_budget_at or 0)}) would have ended with "
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
        *(_why_lines(analysis, md_escape, "- ") or ["- There was no other candidate."]),
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
            f"_Proposed by slo-gate from {h.length_days:g} days of history ({_date(h.start)} to {_date(h.end)}) "
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
            f"<sub>{md_escape(_narrative_note(report.narrative))}</sub>",
        ]
    lines += ["", "## Method", "", *_method(analysis)]
    if report.policy_yaml:
        lines += ["", "## Policy", "", *_fence(report.policy_yaml, "yaml")]
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
            f"Error budget: {r.error_budget * 100:.4g} % of events, {_budget(r)} of full outage per "
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
