"""An optional paragraph about the recommendation, phrased by the model from computed facts only.

In: the analysis and the model client (None when there is none or `--no-llm`). Out: a `Phrased`
narrative (`gate.llm.phrase`): the model's paragraph only when every figure and name in it is one of
the facts built here, otherwise the deterministic facts-only paragraph, with a note saying which was
used and why. The facts are figures slo-gate computed, pre-formatted as they may be cited; the
service, SLO and window names come from the policy or the command line and pass as untrusted values
(scrubbed, in the nonce-delimited block) so nothing in them can act as an instruction. Never raises
for API or model problems.
"""

from __future__ import annotations

from collections.abc import Callable

from gate.llm.client import ToolCaller
from gate.llm.narrative import NARRATIVE, NARRATIVE_MAX, Narrative
from gate.llm.phrase import FactValue, Phrased, PhraseRequest, phrase
from gate.objective.recommend import Analysis, Candidate, objective_text, pct
from gate.report import plural
from gate.times import iso

__all__ = ["PURPOSE", "facts", "facts_only", "narrate"]

PURPOSE = "objective-recommendation-v1"
INSTRUCTIONS = """\
You write one paragraph for the engineering and product leads who will sign off an SLO objective.
Say which objective is recommended over which window and why, what it would have meant over the
history (windows breached, budget left, days with deploys limited, pages), and why the tighter
candidate was not chosen. Cite only the facts given; keep it under 120 words."""


def _candidate_line(candidate: Candidate) -> str:
    r = candidate.result
    tiers = ", ".join(f"{days} days at or below {above:g} %" for above, days in r.tier_days)
    median = "none" if r.median_budget_remaining is None else pct(r.median_budget_remaining)
    return (
        f"breached in {r.windows_breached} of {r.windows_total} windows; median budget left {median}; "
        f"{tiers}; {plural(r.pages.count, 'page')} ({r.pages_per_month:.1f} a month); "
        f"{plural(r.tickets.count, 'ticket')}"
    )


def facts(analysis: Analysis) -> dict[str, FactValue]:
    history = analysis.history
    found: dict[str, FactValue] = {
        "window": analysis.window,
        "history_start": iso(history.start)[:10],
        "history_end": iso(history.end)[:10],
        "history_days": f"{history.length_days:g}",
        "events": f"{history.events:,.0f}",
        "rolling_windows": len(history.windows),
    }
    if history.achieved is not None:
        found["achieved"] = f"{history.achieved:.3f} %"
    rec = analysis.recommendation
    found["recommended_objective"] = "none" if rec.objective is None else objective_text(rec.objective)
    found["recommended_why"] = rec.why
    for objective, why in rec.above[-1:]:
        found["tighter_candidate_not_chosen"] = f"{objective_text(objective)}: {why}"
    for candidate in analysis.candidates:
        found[f"candidate {objective_text(candidate.objective)}"] = _candidate_line(candidate)
    for finding in analysis.findings:
        found[f"finding {finding.kind}"] = finding.message
    return found


def facts_only(service: str, slo: str, analysis: Analysis) -> str:
    """The deterministic paragraph: the same facts, in fixed sentences."""
    history = analysis.history
    rec = analysis.recommendation
    achieved = "" if history.achieved is None else f" at {history.achieved:.3f} % good"
    text = (
        f"Over {history.length_days:g} days ({iso(history.start)[:10]} to {iso(history.end)[:10]}), "
        f"{service}/{slo} counted {history.events:,.0f} events{achieved}. "
    )
    if rec.objective is None:
        text += f"No objective is recommended: {rec.why}."
    else:
        chosen = analysis.candidate(rec.objective)
        text += f"Recommended: {objective_text(rec.objective)} over {analysis.window}"
        text += f" ({_candidate_line(chosen)})." if chosen else "."
        if rec.above:
            objective, why = rec.above[-1]
            text += f" {objective_text(objective)} was not chosen: {why}."
    return text[: NARRATIVE_MAX - 1] + "…" if len(text) > NARRATIVE_MAX else text


def narrate(
    client: ToolCaller | None,
    analysis: Analysis,
    *,
    service: str,
    slo: str,
    model: str,
    scrub: Callable[[str], str],
    without_model: str,
) -> Phrased[Narrative]:
    request = PhraseRequest(
        purpose=PURPOSE,
        model=model,
        instructions=INSTRUCTIONS,
        facts=facts(analysis),
        untrusted={"service": service, "slo": slo},
        tool=NARRATIVE,
        fallback=Narrative(text=facts_only(service, slo, analysis)),
    )
    return phrase(client, request, scrub=scrub, without_model=without_model)
