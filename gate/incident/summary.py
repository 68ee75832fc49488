"""The incident summary: the model phrases the measured facts (gate.llm), or the facts speak for
themselves.

In: the observation, its context and a model client (None: no key, `--no-llm`, or the policy's
`gate.risk.llm.enabled: false`). Out: a `Summary` of headline, likely cause, recommended action and
confidence, from the `summarise_incident` tool the request forces.

What the model is sent (`incident_facts`): figures slo-gate measured, pre-formatted as they may be
cited (`28.8%`, `14.9x`, `2026-10-20 14:32 UTC`), the deploys' PR numbers, SHAs, risks and times; and,
as untrusted data in a nonce-delimited block, scrubbed of secrets and invisible characters
(gate.risk.material.scrub): label values and PR titles. gate.llm.phrase checks the answer: every
number, time, PR, SHA and name it cites must be in those facts, else the deterministic summary
(`facts_summary`, built from the same facts) is used and the summary says why. Tokens and cost are
kept either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gate.incident.model import Context, DeployInfo, Observation, Summary, WhereLabel
from gate.llm.client import ToolCaller
from gate.llm.phrase import FactValue, PhraseRequest, phrase
from gate.llm.tools import ToolSpec, strict_object
from gate.report import fmt_burn, fmt_hours, fmt_objective, fmt_percent

__all__ = [
    "PURPOSE",
    "SUMMARY_TOOL",
    "IncidentSummaryPayload",
    "facts_summary",
    "incident_facts",
    "summarise",
    "when",
]

PURPOSE = "incident-summary-v1"
HEADLINE_MAX = 200
PART_MAX = 600

_INSTRUCTIONS = """\
You write the summary of an SLO burn alert for the on-call engineer who has to act on it now.
From the facts given: a one-line headline (how bad, how fast); the likely cause (a correlated deploy,
errors concentrated on one route or tenant, or "unclear" when the facts do not point anywhere); the
recommended next action; and your confidence in the likely cause (low, medium or high). Be concrete
and short. A deploy is only a likely cause when the facts mark it correlated."""


class IncidentSummaryPayload(BaseModel):
    """The `summarise_incident` input, re-validated."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    headline: str = Field(min_length=1, max_length=HEADLINE_MAX)
    likely_cause: str = Field(min_length=1, max_length=PART_MAX)
    recommended_action: str = Field(min_length=1, max_length=PART_MAX)
    confidence: Literal["low", "medium", "high"]


SUMMARY_TOOL: ToolSpec[IncidentSummaryPayload] = ToolSpec(
    name="summarise_incident",
    description="Record the incident summary. Call exactly once.",
    input_schema=strict_object(
        {
            "headline": {"type": "string", "description": f"One line, at most {HEADLINE_MAX} characters."},
            "likely_cause": {"type": "string", "description": f"At most {PART_MAX} characters."},
            "recommended_action": {"type": "string", "description": f"At most {PART_MAX} characters."},
            "confidence": {"type": "string", "enum": ["low", "medium", "high"]},
        }
    ),
    payload=IncidentSummaryPayload,
    task="summarise the incident",
)


def when(at: float) -> str:
    """A time as facts and messages cite it: `2026-10-20 14:32 UTC`."""
    return datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def incident_facts(
    obs: Observation, context: Context
) -> tuple[dict[str, FactValue], dict[str, str | Sequence[str]]]:
    """The trusted facts and the untrusted values (label values, PR titles) the model may cite."""
    budget = obs.budget
    facts: dict[str, FactValue] = {
        "service": obs.service,
        "slo": obs.slo,
        "objective": fmt_objective(budget.objective),
        "slo_window": budget.window,
        "severity": obs.severity or "none",
        "budget_remaining": fmt_percent(budget.budget_remaining),
        "exhaustion": fmt_hours(budget.exhaustion_hours),
    }
    for window in ("5m", "1h", "6h", "1d"):
        facts[f"burn_rate_{window}"] = fmt_burn(budget.burn_rates.get(window))
    untrusted: dict[str, str | Sequence[str]] = {}
    onset = context.onset
    if onset is not None:
        if onset.onset is not None:
            facts["burning_since"] = ("at least since " if not onset.onset_exact else "") + when(onset.onset)
        if onset.alert_since is not None:
            facts["alerting_since"] = when(onset.alert_since)
        if onset.spent_since_onset is not None:
            facts["budget_spent_since_onset"] = fmt_percent(onset.spent_since_onset)
    for where in context.where:
        for rank, value in enumerate(where.values, start=1):
            name = f"where_{where.label}_{rank}"
            untrusted[f"{name}_value"] = value.value
            facts[f"{name}_share_of_errors"] = fmt_percent(value.share)
            facts[f"{name}_burn_rate"] = fmt_burn(value.burn_rate)
        if where.concentrated is not None:
            facts[f"where_{where.label}_concentrated"] = "yes, the first value"
    for rank, deploy in enumerate(context.deploys, start=1):
        name = f"deploy_{rank}"
        if deploy.pr is not None:
            facts[f"{name}_pr"] = f"#{deploy.pr}"
        if deploy.sha:
            facts[f"{name}_sha"] = deploy.sha[:12]
        facts[f"{name}_time"] = when(deploy.time)
        facts[f"{name}_risk"] = deploy.risk
        facts[f"{name}_correlated"] = "yes" if deploy.correlated else "no"
        if onset is not None and onset.onset is not None and deploy.time <= onset.onset:
            facts[f"{name}_before_onset"] = _minutes(onset.onset - deploy.time)
        if deploy.title:
            untrusted[f"{name}_title"] = deploy.title
    return facts, untrusted


def _deploy_phrase(deploy: DeployInfo, onset: float | None) -> str:
    name = f"PR #{deploy.pr}" if deploy.pr is not None else "a deploy"
    if deploy.title:
        name += f' "{deploy.title[:120]}"'
    detail = [f"risk {deploy.risk}"] + ([f"sha {deploy.sha[:7]}"] if deploy.sha else [])
    text = f"{name} ({', '.join(detail)}) passed the gate at {when(deploy.time)}"
    if onset is not None and deploy.time <= onset:
        text += f", {_minutes(onset - deploy.time)} before the burn began"
    return text


def _where_phrase(where: WhereLabel) -> str | None:
    top = where.concentrated
    if top is None:
        return None
    return f'{fmt_percent(top.share)} of errors are on {where.label} "{top.value[:120]}"'


def facts_summary(obs: Observation, context: Context) -> Summary:
    """The deterministic summary: the same facts, in fixed sentences."""
    budget = obs.budget
    severity = (obs.severity or "burn").upper()
    headline = (
        f"{obs.service} {obs.slo}: {severity}, burning {fmt_burn(budget.burn_rates.get('1h'))} over 1h, "
        f"{fmt_percent(budget.budget_remaining)} of the budget left"
    )
    onset = context.onset.onset if context.onset is not None else None
    correlated = [d for d in context.deploys if d.correlated]
    concentrated = [p for p in (_where_phrase(w) for w in context.where) if p]
    causes = [_deploy_phrase(d, onset) for d in correlated[:2]] + concentrated
    if causes:
        likely = "; ".join(causes) + "."
    elif context.deploys:
        likely = (
            "Unclear: no gated deploy in the 2 h before the burn began, and the errors are not concentrated."
        )
    else:
        likely = (
            "Unclear: no gated deploy of this service near the onset, and the errors are not concentrated."
        )
    actions = []
    if correlated:
        first = correlated[0]
        target = f"PR #{first.pr}" if first.pr is not None else "the correlated deploy"
        actions.append(f"Check {target} first and roll it back if the errors match its change.")
    if concentrated:
        actions.append("Start with the concentrated value above.")
    if obs.severity == "page":
        actions.append(f"Act now: at this rate the budget lasts {fmt_hours(budget.exhaustion_hours)}.")
    else:
        actions.append("Investigate today: the budget is burning faster than the SLO allows.")
    confidence: Literal["low", "medium", "high"] = "medium" if correlated else "low"
    return Summary(
        source="facts",
        headline=headline,
        likely_cause=likely,
        recommended_action=" ".join(actions),
        confidence=confidence,
    )


def summarise(
    obs: Observation, context: Context, client: ToolCaller | None, model: str, *, without_model: str
) -> Summary:
    """The model's summary when it is usable and grounded, else `facts_summary` with the reason."""
    from gate.risk.material import scrub

    fallback = facts_summary(obs, context)
    facts, untrusted = incident_facts(obs, context)
    payload = IncidentSummaryPayload(
        headline=fallback.headline[:HEADLINE_MAX],
        likely_cause=fallback.likely_cause[:PART_MAX],
        recommended_action=fallback.recommended_action[:PART_MAX],
        confidence=fallback.confidence,
    )
    request = PhraseRequest(
        purpose=PURPOSE,
        model=model,
        instructions=_INSTRUCTIONS,
        facts=facts,
        untrusted=untrusted,
        tool=SUMMARY_TOOL,
        fallback=payload,
        max_tokens=800,
    )
    result = phrase(client, request, scrub=scrub, without_model=without_model)
    value = result.value
    return Summary(
        source=result.source,
        headline=value.headline,
        likely_cause=value.likely_cause,
        recommended_action=value.recommended_action,
        confidence=value.confidence,
        note=result.note,
        model=result.model,
        input_tokens=result.input_tokens,
        output_tokens=result.output_tokens,
        cost_usd=result.cost_usd,
    )
