"""The report's narrative: 5-8 sentences from the model when grounded in the facts, else facts-only.

In: the measured `DailyReport` (without its narrative), the model client and model name. Out: a
`NarrativeInfo` (gate.postmortem.narrative.narrate: the one phrasing path). The facts are the figures
the report shows, formatted as they may be cited; override actors are untrusted values. The
facts-only narrative is built from the same facts, names capped (a long list ends in "and N more"),
so it stays within the narrative's length limit.
"""

from __future__ import annotations

from collections.abc import Sequence

from gate.daily.model import VERDICTS, DailyReport, ServiceDaily
from gate.llm.client import ToolCaller
from gate.llm.narrative import NARRATIVE_MAX
from gate.llm.phrase import FactValue
from gate.postmortem.model import NarrativeInfo
from gate.postmortem.narrative import narrate

__all__ = ["narrative"]

NAMES = 4  # services named in one sentence; the rest are counted


def _names(items: Sequence[str]) -> str:
    shown = list(items[:NAMES])
    if len(items) > NAMES:
        shown.append(f"{len(items) - NAMES} more")
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _lowest(service: ServiceDaily) -> float | None:
    left = [s.budget_remaining for s in service.slos if s.budget_remaining is not None]
    return min(left) if left else None


def _pct(value: float) -> str:
    return f"{value:.1f}%"


def narrative(
    report: DailyReport, client: ToolCaller | None, model: str, without_model: str
) -> NarrativeInfo:
    services = report.services
    facts: dict[str, FactValue] = {
        "period": report.period.label,
        "period_end": report.period.end.replace("T", " ").removesuffix("Z") + " UTC",
        "services": len(services),
    }
    counts = {v: report.count(v) for v in VERDICTS}
    facts.update({f"{v} services": n for v, n in counts.items()})
    sentences = [
        f"Over the {facts['period']} to {facts['period_end']}, {len(services)} services were reported: "
        + ", ".join(f"{n} {v}" for v, n in counts.items())
        + "."
    ]
    for name in ("frozen", "at risk", "watch", "healthy"):
        group = [s for s in services if s.verdict == name]
        for service in group[:NAMES]:
            low = _lowest(service)
            if low is not None:
                facts[f"{service.service} lowest budget left"] = _pct(low * 100)
        if group:
            named = [
                f"{s.service} ({facts[f'{s.service} lowest budget left']} left)"
                if _lowest(s) is not None
                else s.service
                for s in group[:NAMES]
            ] + [s.service for s in group[NAMES:]]
            sentences.append(f"{name.capitalize()}: {_names(named)}.")
    incidents = [(s, i) for s in services for i in s.incidents]
    if incidents:
        service, worst = max(incidents, key=lambda item: item[1].window_pct or 0.0)
        facts["incidents"] = len(incidents)
        facts["worst incident"] = f"{service.service} {worst.slo}"
        facts["worst incident minutes"] = f"{worst.minutes:.0f} minutes"
        sentence = f"There {'was 1 incident' if len(incidents) == 1 else f'were {len(incidents)} incidents'}"
        if worst.window_pct is not None:
            facts["worst incident budget consumed"] = _pct(worst.window_pct)
            sentence += (
                f"; the worst, on {service.service} {worst.slo}, consumed {facts['worst incident budget consumed']} "
                f"of its window's budget in {facts['worst incident minutes']}"
            )
        sentences.append(sentence + ".")
    else:
        sentences.append("There were no incidents.")
    decided = sum(len(s.deploys) for s in services)
    passed, failed, overridden = (
        sum(getattr(s, k) for s in services) for k in ("passed", "failed", "overridden")
    )
    facts.update({"gate decisions": decided, "passed": passed, "failed": failed, "overridden": overridden})
    sentences.append(
        f"The gate made {decided} decisions: {passed} passed, {failed} failed and {overridden} were overridden."
    )
    unattributed = [s for s in services if (s.unattributed_pct or 0.0) >= 0.05]
    if unattributed:
        worst_service = max(unattributed, key=lambda s: s.unattributed_pct or 0.0)
        facts[f"{worst_service.service} burn not attributable to any deploy"] = _pct(
            worst_service.unattributed_pct or 0.0
        )
        sentences.append(
            f"The most burn not attributable to any deploy was on {worst_service.service}: "
            f"{_pct(worst_service.unattributed_pct or 0.0)} of its budget."
        )
    actors = sorted(
        {d.override_actor for s in services for d in s.deploys if d.overridden and d.override_actor}
    )
    text = " ".join(sentences[:8])
    if len(text) > NARRATIVE_MAX:
        text = text[: NARRATIVE_MAX - 1].rsplit(" ", 1)[0] + "…"
    return narrate(
        client,
        purpose="daily-report-v1",
        model=model,
        instructions=(
            "You write the narrative of a daily reliability report for site reliability engineers: 5 to 8 "
            "plain sentences. Lead with what needs attention (frozen, then at risk), speak in error budget "
            "(percent of budget consumed or left), then incidents and deploys."
        ),
        facts=facts,
        untrusted={"override actors": actors} if actors else {},
        fallback=text,
        without_model=without_model,
    )
