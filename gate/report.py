"""PURE renderers: text tables for terminals, the JSON document (schema_version 1), Markdown.

Renderers read models only and never recompute a number. Untrusted text (file names from a diff,
labels, model output) passes through `clean` (no control characters, so no line can be forged) and,
in Markdown, `md_escape` (no markup, mentions or links) or `md_code` (verbatim in a code span).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from gate.models import (
    BURN_WINDOWS,
    AuditEntry,
    BudgetImpact,
    ChangeRisk,
    Decision,
    Exclusion,
    GateRun,
    LLMReview,
    Reason,
    Scope,
    ServiceBudget,
    ServiceResult,
    SLOBudget,
)
from gate.times import iso

SCHEMA_VERSION = 1
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u0085\u2028\u2029]|\n")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")
TABLE_BURNS = ("1h", "6h", "3d")


def clean(text: str, limit: int = 500) -> str:
    """One printable line: control characters shown as escapes, length capped."""
    text = _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def md_escape(text: str, limit: int = 500) -> str:
    """Untrusted text as inert Markdown: no markup, no @-mentions, no autolinks."""
    text = _MD_SPECIAL.sub(r"\\\1", clean(text, limit))
    text = text.replace("@", "@\u200b")  # a zero-width space stops GitHub from notifying anyone
    return re.sub(r"(?i)(https?|ftp)://", lambda m: m.group(1) + ":\u200b//", text)


def md_code(text: str, limit: int = 500) -> str:
    """Untrusted text as an inline Markdown code span: shown verbatim (no markup, mention or link works
    inside one), on one line, fenced by more backticks than any run inside it."""
    text = clean(text, limit)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def fmt_percent(fraction: float | None) -> str:
    return "—" if fraction is None else f"{fraction * 100:.1f}%"


def fmt_burn(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def fmt_hours(hours: float | None) -> str:
    if hours is None:
        return "—"
    if hours == 0:
        return "exhausted"
    if hours < 48:
        return f"{hours:.1f}h"
    return f"{hours / 24:.1f}d"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def fmt_objective(objective: float) -> str:
    return f"{objective:g}%"


def budget_bar(fraction: float | None, width: int = 10) -> str:
    if fraction is None:
        return "░" * width
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "░" * (width - filled)


# ---- JSON ---------------------------------------------------------------------------------------


def slo_json(slo: SLOBudget) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": slo.name,
        "objective": slo.objective,
        "window": slo.window,
        "budget_remaining": slo.budget_remaining,
        "error_ratio": slo.error_ratio,
        "burn_rates": {w: slo.burn_rates.get(w) for w in BURN_WINDOWS},
        "alert": slo.alert,
        "alert_reasons": slo.alert_reasons,
        "exhaustion_hours": slo.exhaustion_hours,
        "events": slo.events,
        "status": slo.status,
        "reason": slo.reason,
        "read_from": slo.read_from,
        "read_fallback": slo.read_fallback,
        "exclusions": [exclusion_json(e) for e in slo.exclusions],
        "budget_remaining_unadjusted": slo.budget_remaining_unadjusted,
    }
    failed = [q for q in slo.queries if q.error]
    if failed:
        data["query"] = failed[0].expr
    return data


def exclusion_json(exclusion: Exclusion) -> dict[str, Any]:
    return {
        "start": iso(exclusion.start),
        "end": iso(exclusion.end),
        "reasons": exclusion.reasons,
        "bad_events": exclusion.bad,
        "events": exclusion.total,
        "budget_cost": exclusion.budget_cost,
    }


def exclusion_sentence(slo: SLOBudget, exclusion: Exclusion) -> str:
    """`2026-10-19T16:00:00Z → 18:00:00Z (planned failover): 3827 of 191368 events bad, 7.5% of the budget`."""
    start, end = iso(exclusion.start), iso(exclusion.end)
    if start[:11] == end[:11]:
        end = end[11:]
    cost = (
        f"{fmt_percent(exclusion.budget_cost)} of the budget"
        if exclusion.budget_cost is not None
        else "cost unknown"
    )
    return (
        f"excluded {start} → {end} ({'; '.join(exclusion.reasons)}): "
        f"{exclusion.bad:.0f} of {exclusion.total:.0f} events bad, {cost}"
    )


def read_notes(slo: SLOBudget) -> list[str]:
    """What a reader should know about where an SLO's figures come from: raw instead of recorded series
    (and why), and each maintenance window left out, with the budget left had it counted."""
    notes = []
    if slo.read_fallback:
        notes.append(f"read raw: {slo.read_fallback}")
    for exclusion in slo.exclusions:
        notes.append(exclusion_sentence(slo, exclusion))
    if slo.exclusions and slo.budget_remaining_unadjusted is not None:
        notes.append(
            f"budget left counting the excluded windows: {fmt_percent(slo.budget_remaining_unadjusted)}"
        )
    return notes


def change_json(change: ChangeRisk) -> dict[str, Any]:
    return {
        "risk": change.risk.value,
        "category": change.category.value,
        "floor": change.floor.value,
        "llm": {
            "used": change.llm_used,
            "note": change.llm_note,
            "review": change.llm.model_dump(mode="json") if change.llm else None,
        },
        "files": len(change.files),
        "lines_added": change.lines_added,
        "lines_removed": change.lines_removed,
        "kinds": {kind.value: count for kind, count in change.kinds.items()},
        "file_risks": [f.model_dump(mode="json") for f in change.file_risks],
        "assessments": [a.model_dump(mode="json", exclude_none=True) for a in change.assessments],
    }


def service_json(result: ServiceResult) -> dict[str, Any]:
    decision = result.decision
    return {
        "service": result.budgets.service,
        "policy": result.budgets.policy,
        "policy_sha256": result.budgets.policy_sha256,
        "decision": decision.outcome,
        "exit_code": decision.exit_code,
        "advisory": decision.advisory,
        "would_have": decision.would_have,
        "reasons": [r.model_dump() for r in decision.reasons],
        "tier": decision.tier.model_dump(mode="json") if decision.tier else None,
        "risk": result.change.risk.value,
        "category": result.change.category.value,
        "change": change_json(result.change),
        "impact": result.impact.model_dump(mode="json") if result.impact else None,
        "slos": [slo_json(s) for s in result.budgets.slos],
        "scope": result.scope.model_dump() if result.scope is not None else None,
    }


def run_json(run: GateRun) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "decision": run.outcome,
        "exit_code": run.exit_code,
        "evaluated_at": iso(run.evaluated_at),
        "metrics_source": run.metrics_source,
        "services": [service_json(s) for s in run.services],
        "skipped": [s.model_dump() for s in run.skipped],
        "change": change_json(run.change),
        "override": run.override.model_dump() if run.override else None,
        "fix": run.fix.model_dump() if run.fix else None,
        "audit": [audit_json(entry) for entry in run.audit],
    }


def audit_json(entry: AuditEntry) -> dict[str, Any]:
    return {**entry.model_dump(mode="json"), "checkpoint": entry.checkpoint}


def render_json(run: GateRun) -> str:
    return json.dumps(run_json(run), indent=2, ensure_ascii=False, allow_nan=False)


def status_json(budgets: Sequence[ServiceBudget], at: float, source: str) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "evaluated_at": iso(at),
        "metrics_source": source,
        "services": [
            {
                "service": b.service,
                "policy": b.policy,
                "policy_sha256": b.policy_sha256,
                "slos": [slo_json(s) for s in b.slos],
            }
            for b in budgets
        ],
    }


def render_status_json(budgets: Sequence[ServiceBudget], at: float, source: str) -> str:
    return json.dumps(status_json(budgets, at, source), indent=2, ensure_ascii=False, allow_nan=False)


# ---- text ---------------------------------------------------------------------------------------

_TEXT_HEADER = (
    "SLO",
    "objective",
    "window",
    "budget left",
    *(f"burn {w}" for w in TABLE_BURNS),
    "alert",
    "exhaustion",
)


def _slo_row(slo: SLOBudget) -> tuple[str, ...]:
    return (
        slo.name,
        fmt_objective(slo.objective),
        slo.window,
        fmt_percent(slo.budget_remaining),
        *(fmt_burn(slo.burn_rates.get(w)) for w in TABLE_BURNS),
        slo.alert if slo.status == "ok" else "n/a",
        fmt_hours(slo.exhaustion_hours),
    )


def _table(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def budget_table_text(budgets: ServiceBudget) -> list[str]:
    lines = _table([_TEXT_HEADER, *(_slo_row(s) for s in budgets.slos)])
    for slo in budgets.slos:
        if slo.status == "inconclusive":
            lines.append(f"  ! {slo.name} inconclusive: {clean(slo.reason or '')}")
        for reason in slo.alert_reasons:
            lines.append(f"  ! {slo.name} {reason}")
        lines += [f"  ~ {slo.name} {clean(note)}" for note in read_notes(slo)]
    return lines


def fmt_cost(usd: float | None) -> str:
    return "cost unknown" if usd is None else f"${usd:.4f}"


def review_summary(review: LLMReview) -> str:
    """What the model saw and what it cost, in one line (all numbers, no untrusted text)."""
    seen = f"saw {review.hunks_shown} of {review.hunks_total} hunks"
    if review.hunks_cut:
        seen += f" ({review.hunks_cut} cut short)"
    if review.summarised:
        seen += f", {plural(len(review.summarised), 'file')} summarised"
    tokens = (
        f"{review.input_tokens} in / {review.output_tokens} out tokens"
        if review.input_tokens is not None
        else f"~{review.input_tokens_estimate} input tokens (estimate)"
    )
    cost = fmt_cost(review.cost_usd) + (
        " when first asked; this answer came from the cache" if review.cached else ""
    )
    return f"{review.model}, prompt {review.prompt_version}: {seen}; {tokens}; {cost}"


MAX_FILES_SHOWN = 20  # files listed one by one in text and Markdown (the JSON lists every file)


def kinds_summary(change: ChangeRisk) -> str:
    """Files per kind, most files first: `code 3, docs 1` (kinds come from a fixed list)."""
    ranked = sorted(change.kinds.items(), key=lambda item: -item[1])
    return ", ".join(f"{kind.value} {count}" for kind, count in ranked)


def _files_left_out(change: ChangeRisk) -> str | None:
    more = len(change.file_risks) - MAX_FILES_SHOWN
    return f"{more} more files (every file is listed in the JSON output)" if more > 0 else None


def file_kinds_text(change: ChangeRisk) -> list[str]:
    """Each file's floor, kind, name and the rule that set it: one line per file, capped."""
    if not change.file_risks:
        return []
    lines = [f"  files by kind: {kinds_summary(change)}"]
    for item in change.file_risks[:MAX_FILES_SHOWN]:
        lines.append(
            f"    {item.risk.value:<6}  {item.kind.value:<12}  {clean(item.path, 200)}: "
            f"{clean(item.rule, 200)}; {clean(item.because, 300)}"
        )
    if (left_out := _files_left_out(change)) is not None:
        lines.append(f"    … {left_out}")
    return lines


def change_text(change: ChangeRisk) -> list[str]:
    lines = [
        f"  change risk: {change.risk.value} (rule floor {change.floor.value}), category {change.category.value}, "
        f"{plural(len(change.files), 'file')}, +{change.lines_added}/-{change.lines_removed} lines"
    ]
    for assessment in change.assessments:
        for reason in assessment.reasons:
            lines.append(f"    - [{assessment.source}] {clean(reason)}")
    if change.llm_note:
        lines.append(f"    - [llm] {clean(change.llm_note)}")
    review = change.llm
    if review is not None:
        if review.rationale:
            lines.append(f"    - [llm] rationale (untrusted model text): {clean(review.rationale, 600)}")
        if review.signals:
            lines.append(f"    - [llm] signals: {clean('; '.join(review.signals), 600)}")
        if review.category is not None:
            lines.append(f"    - [llm] category {review.category.value} (advisory: never exempts a change)")
        lines.append(f"    - [llm] {clean(review_summary(review))}")
    return lines + file_kinds_text(change)


_TIER_CODES = ("tier-allows", "tier-blocks")
# What a reader calls the step that decided, for sentences that are context next to it.
_DECIDED_BY = {
    "override": "the override label",
    "exempt": "the exemption",
    "inconclusive": "the inconclusive data",
    "freeze": "the freeze",
    "no-budget": "the lack of any budget",
}


def decisive_reason(decision: Decision) -> Reason | None:
    """The one reason that set the decision's outcome (None only for decisions made before it was marked)."""
    return next((r for r in decision.reasons if r.decisive), None)


def reason_lines(decision: Decision, escape: Callable[[str], str], decisive: str, context: str) -> list[str]:
    """Numbered reasons, each marked as the one that decided or as context."""
    return [
        f"{i}. {decisive if r.decisive else context} {escape(r.message)}"
        for i, r in enumerate(decision.reasons, 1)
    ]


def impact_sentence(impact: BudgetImpact, change: ChangeRisk, decision: Decision) -> str:
    """What this deploy would leave. When something other than the tier decided, the tier's word is context."""
    tier = impact.tier_after
    bound = f"above {tier.above:g}%" if tier.above is not None else "the lowest tier"
    allowed = ", ".join(level.value for level in tier.allow) or "exempt changes only"
    risk = change.risk.value
    head = (
        f"if this {risk}-risk deploy spends {fmt_percent(impact.cost)} of the budget "
        f"({impact.cost_source}), {fmt_percent(impact.remaining)} → {fmt_percent(impact.after)} left; "
        f"the tier then is {bound} (allows {allowed}), "
    )
    decided = decisive_reason(decision)
    if decided is None or decided.code in _TIER_CODES:
        return (
            head + f"where a {risk}-risk change {'is allowed' if impact.allowed_after else 'is not allowed'}"
        )
    would = "would allow" if impact.allowed_after else "would not allow"
    by = _DECIDED_BY.get(decided.code, decided.code)
    return head + f"which by itself {would} a {risk}-risk change; context only: {by} decided"


def audit_sentence(entry: AuditEntry) -> str:
    if entry.error:
        required = "required: the gate fails" if entry.required else "not required: the gate goes on"
        return f"NOT RECORDED ({required}): {clean(entry.error)}"
    state = "recorded" if entry.created else "already recorded by this run"
    return f"{state} {entry.id} as seq {entry.seq} in {clean(entry.location)} (checkpoint {entry.checkpoint})"


def notable_scope(result: ServiceResult) -> Scope | None:
    """Why a path-scoped policy applies, when it is not simply because it owns changed files."""
    scope = result.scope
    if scope is not None and (scope.shared or scope.unsure or scope.own_policy_file):
        return scope
    return None


def scope_sentence(scope: Scope) -> str:
    """Why a path-scoped policy judges this change: `owns services/x/a.py; shared: Dockerfile`."""

    def names(paths: Sequence[str], limit: int = 5) -> str:
        shown = ", ".join(clean(p, 200) for p in paths[:limit])
        return shown + (f" (+{len(paths) - limit} more)" if len(paths) > limit else "")

    parts = []
    if scope.owned:
        parts.append(f"owns {names(scope.owned)}")
    if scope.shared:
        parts.append(f"shared: {names(scope.shared)}")
    if scope.own_policy_file:
        parts.append("the change edits this policy's own file")
    if scope.unsure:
        parts.append(f"the diff could not be fully read ({clean(scope.unsure, 200)})")
    return "; ".join(parts)


def render_text(run: GateRun) -> str:
    lines: list[str] = [f"slo-gate check at {iso(run.evaluated_at)} ({clean(run.metrics_source)})", ""]
    for result in run.services:
        decision = result.decision
        banner = decision.outcome.upper() + (
            f" (advisory; would have {decision.would_have})" if decision.would_have else ""
        )
        lines.append(f"{result.budgets.service}  [{clean(result.budgets.policy)}]  decision: {banner}")
        if (scope := notable_scope(result)) is not None:
            lines.append(f"  applies: {scope_sentence(scope)}")
        lines += budget_table_text(result.budgets)
        lines += change_text(result.change)
        lines.append("  reasons:")
        lines += ["    " + line for line in reason_lines(decision, clean, "decisive:", "context:")]
        if result.impact is not None:
            lines.append(f"  budget impact: {impact_sentence(result.impact, result.change, decision)}")
        lines += [
            f"  audit: {audit_sentence(entry)}"
            for entry in run.audit
            if entry.service == result.budgets.service
        ]
        lines.append("")
    for skipped in run.skipped:
        lines.append(f"skipped {skipped.service} [{clean(skipped.policy)}]: {clean(skipped.reason)}")
    if run.skipped:
        lines.append("")
    lines.append(f"overall: {run.outcome.upper()} (exit {run.exit_code})")
    return "\n".join(lines) + "\n"


def render_status_text(budgets: Sequence[ServiceBudget], at: float, source: str) -> str:
    lines = [f"slo-gate status at {iso(at)} ({clean(source)})", ""]
    for service in budgets:
        lines.append(f"{service.service}  [{clean(service.policy)}]")
        lines += budget_table_text(service)
        lines.append("")
    return "\n".join(lines)


# ---- Markdown -----------------------------------------------------------------------------------

_BANNER = {
    "pass": "✅ **PASS**",
    "warn": "⚠️ **WARN**",
    "fail": "❌ **FAIL**",
    "inconclusive": "❔ **INCONCLUSIVE**",
}


def budget_table_markdown(budgets: ServiceBudget) -> list[str]:
    header = "| SLO | objective | window | budget left | " + " | ".join(f"burn {w}" for w in TABLE_BURNS)
    lines = [header + " | alert | exhaustion |", "|" + "---|" * (len(TABLE_BURNS) + 6)]
    for slo in budgets.slos:
        left = f"`{budget_bar(slo.budget_remaining)}` {fmt_percent(slo.budget_remaining)}"
        burns = " | ".join(fmt_burn(slo.burn_rates.get(w)) for w in TABLE_BURNS)
        status = slo.alert if slo.status == "ok" else "inconclusive"
        lines.append(
            f"| {md_escape(slo.name)} | {fmt_objective(slo.objective)} | {slo.window} | {left} | {burns} | "
            f"{status} | {fmt_hours(slo.exhaustion_hours)} |"
        )
    for slo in budgets.slos:
        if slo.status == "inconclusive":
            lines.append(f"\n> {md_escape(slo.name)}: {md_escape(slo.reason or '')}")
        lines += [f"\n_{md_escape(slo.name)}: {md_escape(note)}_" for note in read_notes(slo)]
    return lines


def service_markdown(result: ServiceResult) -> str:
    decision = result.decision
    change = result.change
    banner = _BANNER[decision.outcome]
    if decision.would_have:
        banner += f" (advisory mode; would have been **{decision.would_have}**)"
    lines = [f"### slo-gate · {md_escape(result.budgets.service)} · {banner}", ""]
    if (scope := notable_scope(result)) is not None:
        lines += [f"_Applies: {md_escape(scope_sentence(scope))}_", ""]
    lines += budget_table_markdown(result.budgets)
    lines += [
        "",
        f"**Change risk:** {change.risk.value} (rule floor {change.floor.value}) · category {change.category.value}"
        f" · {plural(len(change.files), 'file')}, +{change.lines_added}/−{change.lines_removed}",
    ]
    for assessment in change.assessments:
        lines += [f"- _{assessment.source}_: {md_escape(reason)}" for reason in assessment.reasons]
    if change.llm_note:
        lines.append(f"- _llm_: {md_escape(change.llm_note)}")
    lines += review_markdown(change.llm)
    lines += file_kinds_markdown(change)
    lines += ["", "**Why:**"]
    lines += reason_lines(decision, md_escape, "**Decisive:**", "_Context:_")
    if result.impact is not None:
        lines += ["", f"**Budget impact:** {md_escape(impact_sentence(result.impact, change, decision))}"]
    if result.override_help and decision.outcome == "fail" and decision.override is None:
        lines += ["", f"**Override:** {md_escape(result.override_help)}"]
    lines += history_chart(result)
    return "\n".join(lines) + "\n"


def file_kinds_markdown(change: ChangeRisk) -> list[str]:
    """Files per kind, then a collapsed table of each file's kind, the rule that set it and its floor."""
    if not change.file_risks:
        return []
    shown = change.file_risks[:MAX_FILES_SHOWN]
    lines = [
        "",
        f"**Files by kind:** {kinds_summary(change)}",
        "",
        f"<details><summary>Each file's kind and floor ({plural(len(change.file_risks), 'file')})</summary>",
        "",
        "| file | kind | set by | floor |",
        "|---|---|---|---|",
    ]
    for item in shown:
        lines.append(
            f"| {md_escape(item.path, 200)} | {item.kind.value} | {md_escape(item.rule, 200)} | "
            f"{md_escape(item.because, 300)} |"
        )
    if (left_out := _files_left_out(change)) is not None:
        lines += ["", f"_{md_escape(left_out)}_"]
    return [*lines, "", "</details>"]


def history_chart(result: ServiceResult) -> list[str]:
    """A collapsed Mermaid line chart per rolling SLO: budget left (%) over its window.

    The axis runs from -100% to 100%; a value outside it is drawn at the edge, and a note under the
    chart says so and gives the true extreme, so an overspent budget never looks merely empty.
    """
    lines: list[str] = []
    for name, points in result.history.items():
        if len(points) < 2:
            continue
        labels = ", ".join(
            f'"{datetime.fromtimestamp(t, tz=UTC).strftime("%m-%d %H:%M")}"' for t, _ in points
        )
        values = ", ".join(f"{max(-100.0, min(100.0, v * 100)):.1f}" for _, v in points)
        title = re.sub(r"[^A-Za-z0-9._ -]", "", name)
        lines += [
            "",
            f"<details><summary>Budget left over the window: {md_escape(name)}</summary>",
            "",
            "```mermaid",
            "xychart-beta",
            f'  title "{title}: budget left (%)"',
            f"  x-axis [{labels}]",
            '  y-axis "budget left %" -100 --> 100',
            f"  line [{values}]",
            "```",
            *_clamp_notes([v for _, v in points]),
            "",
            "</details>",
        ]
    return lines


def _clamp_notes(fractions: Sequence[float]) -> list[str]:
    notes = []
    lowest, highest = min(fractions), max(fractions)
    if lowest < -1.0:
        notes.append(f"Values below -100% are drawn at -100%; the lowest is {fmt_percent(lowest)}.")
    if highest > 1.0:
        notes.append(f"Values above 100% are drawn at 100%; the highest is {fmt_percent(highest)}.")
    return ["", f"_{' '.join(notes)}_"] if notes else []


def review_markdown(review: LLMReview | None) -> list[str]:
    if review is None:
        return []
    lines = [""]
    if review.status == "answered" and review.risk is not None:
        category = f" · category {review.category.value} (advisory)" if review.category else ""
        lines.append(f"**Model verdict:** {review.risk.value}{category}")
        if review.rationale:
            lines.append(f"> {md_escape(review.rationale, 600)}")
        if review.signals:
            lines.append("")
            lines.append("Signals: " + ", ".join(md_escape(s, 200) for s in review.signals))
    else:
        lines.append(
            f"**Model verdict:** none ({md_escape(review.failure or 'no usable answer')}), counted as high"
        )
    lines.append(f"<sub>{md_escape(review_summary(review))}</sub>")
    return lines


def render_markdown(run: GateRun) -> str:
    parts = [service_markdown(r) for r in run.services]
    if any(e.error and e.required for e in run.audit):
        parts.insert(
            0,
            f"{_BANNER['fail']} overall: an audit record that is required could not be written (see Audit below)\n",
        )
    if run.audit:
        rows = [f"- {md_escape(e.service)}: {md_escape(audit_sentence(e))}" for e in run.audit]
        parts.append("**Audit:**\n" + "\n".join(rows) + "\n")
    if run.skipped:
        skipped = ", ".join(md_escape(s.service) for s in run.skipped)
        parts.append(f"_Not affected by this change: {skipped}._\n")
    if not parts:
        parts.append("_No policy applies to this change._\n")
    return "\n".join(parts)


def render_status_markdown(budgets: Sequence[ServiceBudget], at: float) -> str:
    parts = [f"## SLO budgets at {iso(at)}", ""]
    for service in budgets:
        parts += [f"### {md_escape(service.service)}", "", *budget_table_markdown(service), ""]
    return "\n".join(parts)
