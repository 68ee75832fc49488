"""Ask the model about a change and fold its answer into the risk: it can raise risk, never lower it.

The advisor (the Claude client, or a test double) is passed in; this module decides whether to ask,
what to send (the condensed, redacted change) and what the answer means:

- final risk = max(rule floor, model risk); the model's category is advisory and never exempts;
- a failed answer (timeout, API error, refusal, no or several tool calls, invalid input, cut off)
  counts as high, with the reason, and the run still completes.

The model is asked even when the floor is already high: it cannot change the verdict then, but its
rationale tells the reviewer and the audit log what makes the change risky.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import Protocol

from gate.models import ChangedFile, ChangeRisk, LLMReview, RiskAssessment, RiskLevel, max_risk
from gate.policy import RiskConfig
from gate.risk.condense import condense
from gate.risk.diff import FileSpan
from gate.risk.material import ChangeMaterial
from gate.risk.prompt import PROMPT_VERSION, PromptMaterial, build_prompt, context_tokens
from gate.risk.rules import path_sensitivity
from gate.risk.verdict import ModelVerdict, Prompt

__all__ = ["Answer", "RiskAdvisor", "apply_answer", "review_change"]


class Answer(Protocol):
    """What an advisor returns (gate.risk.claude.ModelAnswer, a gate.llm ToolCallResult, has this shape)."""

    @property
    def model(self) -> str: ...
    @property
    def value(self) -> ModelVerdict | None: ...
    @property
    def failure(self) -> str | None: ...
    @property
    def input_tokens(self) -> int | None: ...
    @property
    def output_tokens(self) -> int | None: ...
    @property
    def cost_usd(self) -> float | None: ...
    @property
    def cached(self) -> bool: ...


class RiskAdvisor(Protocol):
    def classify(self, prompt: Prompt) -> Answer: ...


def apply_answer(risk: ChangeRisk, answer: Answer, review: LLMReview) -> ChangeRisk:
    """Fold a model answer into the rule result. PURE; the result is never below `risk.floor`."""
    verdict = answer.value
    if verdict is None:
        failure = answer.failure or "no usable answer"
        assessment = RiskAssessment(
            source="llm",
            risk=RiskLevel.HIGH,
            model=answer.model,
            input_tokens=answer.input_tokens,
            output_tokens=answer.output_tokens,
            cost_usd=answer.cost_usd,
            reasons=[f"model classification failed: {failure} → high"],
        )
        final = RiskLevel.HIGH
        note = f"model {answer.model} failed, so the change counts as high: {failure}"
        used = False
    else:
        level = RiskLevel(verdict.risk)
        final = max_risk(risk.risk, level)
        effect = "raises the risk" if final.rank > risk.risk.rank else "does not change the risk"
        assessment = RiskAssessment(
            source="llm",
            risk=level,
            category=verdict.category,
            model=answer.model,
            input_tokens=answer.input_tokens,
            output_tokens=answer.output_tokens,
            cost_usd=answer.cost_usd,
            reasons=[f"model {answer.model} rates it {level.value} → {effect} (floor {risk.floor.value})"],
        )
        note = f"model {answer.model}{' (cached answer)' if answer.cached else ''} rated it {level.value}"
        used = True
    return risk.model_copy(
        update={
            "risk": max_risk(final, risk.floor),
            "assessments": [*risk.assessments, assessment],
            "llm_used": used,
            "llm_note": note,
            "llm": review,
        }
    )


def _review_record(answer: Answer, prompt_tokens: int, stats: dict[str, object]) -> LLMReview:
    verdict = answer.value
    return LLMReview.model_validate(
        {
            "model": answer.model,
            "prompt_version": PROMPT_VERSION,
            "status": "answered" if verdict is not None else "failed",
            "risk": verdict.risk if verdict is not None else None,
            "category": verdict.category if verdict is not None else None,
            "rationale": verdict.rationale if verdict is not None else None,
            "signals": list(verdict.signals) if verdict is not None else [],
            "failure": None if verdict is not None else (answer.failure or "no usable answer"),
            "cached": answer.cached,
            "input_tokens": answer.input_tokens,
            "output_tokens": answer.output_tokens,
            "cost_usd": answer.cost_usd,
            "input_tokens_estimate": prompt_tokens,
            **stats,
        }
    )


def review_change(
    risk: ChangeRisk,
    config: RiskConfig,
    material: ChangeMaterial,
    files: Sequence[ChangedFile],
    spans: Sequence[FileSpan],
    advisor: RiskAdvisor,
    *,
    policy_files: Sequence[str] = (),
    answers: MutableMapping[str, Answer] | None = None,
) -> ChangeRisk:
    """Ask `advisor` about the change (files and spans: this policy's share) and apply the answer.

    `answers` memoises by prompt cache key within a run, so services that see the same change
    share one request.
    """
    llm = config.llm
    context = PromptMaterial(
        title=material.title, body=material.body, labels=material.labels, commits=material.commits
    )
    levels = [path_sensitivity(f, config, policy_files) for f in files]
    budget = max(llm.max_input_tokens - context_tokens(context), 0)
    condensed = condense(material.lines, files, spans, levels, budget)
    prompt = build_prompt(llm.model, context, condensed)
    answer = answers.get(prompt.cache_key) if answers is not None else None
    if answer is None:
        answer = advisor.classify(prompt)
        if answers is not None:
            answers[prompt.cache_key] = answer
    stats: dict[str, object] = {
        "files": condensed.files,
        "hunks_shown": condensed.hunks_shown,
        "hunks_total": condensed.hunks_total,
        "hunks_cut": condensed.hunks_cut,
        "summarised": list(condensed.summarised),
    }
    prompt_tokens = condensed.tokens + context_tokens(context)
    return apply_answer(risk, answer, _review_record(answer, prompt_tokens, stats))
