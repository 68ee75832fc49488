"""PURE renderers for `slo-gate objective`: the report model, text for terminals, JSON, and the
formatting the Markdown document (gate/objective/markdown.py) shares.

In: an `ObjectiveReport` (the target, the analyses, the policy block, the narrative). Out: text. No
number is computed here that the analysis did not compute (only formatted). Every value from outside
(service and SLO names, queries, histogram selectors, the narrative, finding messages that quote an
answer) passes `gate.report.clean` in text; JSON carries values as data (json.dumps, no NaN).
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
    Analysis,
    Candidate,
    objective_text,
    pct,
)
from gate.objective.series import Hour, Period
from gate.objective.target import Target
from gate.policy import SLI
from gate.report import clean, fmt_cost, plural
from gate.times import iso

__all__ = [
    "SCHEMA_VERSION",
    "ObjectiveReport",
    "alert_cell",
    "budget_cell",
    "fence",
    "history_lines",
    "iso_day",
    "labels_cell",
    "left_cell",
    "narrative_note",
    "render_json",
    "render_text",
    "sli_queries",
    "summary_line",
    "why_lines",
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
        """0 when any rolling window was judged; 3 (inconclusive) when the history held none."""
        analyses = [self.analysis] if self.analysis is not None else []
        if self.latency is not None:
            analyses += [b.analysis for b in self.latency.buckets]
        return 0 if any(a.history.windows for a in analyses) else 3


def iso_day(at: float) -> str:
    return iso(at)[:10]


def left_cell(value: float | None) -> str:
    return "—" if value is None else pct(value)


def labels_cell(candidate: Candidate) -> str:
    return ", ".join(candidate.labels)


def alert_cell(tally_count: int, hours: float) -> str:
    return f"{tally_count} ({hours:g} h)"


def budget_cell(result: Backtest) -> str:
    return f"{result.budget_minutes:,.1f} min"


def fence(text: str, info: str = "") -> list[str]:
    longest = max((len(m.group()) for m in _BACKTICKS.finditer(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{info}", text.rstrip("\n"), fence]


def sli_queries(sli: SLI | None) -> list[tuple[str, str]]:
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
        "low_traffic_days": [iso_day(d.start) for d in h.low_days],
        "gap_days": [{"date": iso_day(d.start), "missing_hours": d.missing_hours} for d in h.gap_days],
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
        "sli": dict(sli_queries(sli)),
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
        else f"{pct(r.min_budget_remaining)} ({iso_day(r.min_budget_at or 0)})"
    )
    mark = "recommended" if candidate.objective == chosen else ("meets" if candidate.eligible else "fails")
    return (
        objective_text(candidate.objective),
        labels_cell(candidate),
        budget_cell(r),
        f"{r.windows_breached}/{r.windows_total}",
        worst,
        left_cell(r.median_budget_remaining),
        _tier_text(r),
        alert_cell(r.pages.count, r.pages.hours),
        alert_cell(r.tickets.count, r.tickets.hours),
        mark,
    )


def history_lines(analysis: Analysis, escape: Callable[[str], str]) -> list[str]:
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
            f"{worst.sli:.4f} % (ending {iso_day(worst.end)}), median {median:.4f} %, best {best.sli:.4f} %"
        )
    return [escape(line) for line in lines]


def why_lines(analysis: Analysis, escape: Callable[[str], str], bullet: str) -> list[str]:
    rec = analysis.recommendation
    lines = []
    for objective, why in (*rec.above, *rec.below):
        lines.append(f"{bullet}{escape(objective_text(objective))}: {escape(why)}")
    return lines


def _analysis_text(analysis: Analysis) -> list[str]:
    lines = history_lines(analysis, lambda s: clean(s, 2000))
    if analysis.candidates:
        chosen = analysis.recommendation.objective
        rows = [_TEXT_HEADER, *(_candidate_row(c, chosen) for c in analysis.candidates)]
        lines += ["", "backtest:", *_table(rows)]
    rec = analysis.recommendation
    head = "none" if rec.objective is None else f"{objective_text(rec.objective)} over {analysis.window}"
    lines += ["", f"recommended: {head}", f"  {clean(rec.why, 2000)}"]
    lines += why_lines(analysis, lambda s: clean(s, 2000), "  not ")
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
    return ["", f"narrative ({narrative_note(narrative)}):", f"  {clean(narrative.value.text, 2000)}"]


def narrative_note(narrative: Phrased[Narrative]) -> str:
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
    for field, query in sli_queries(report.sli):
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
