"""Folding the model's answer into the risk: it may raise the floor, never lower it.

These use a scripted in-process advisor (the RiskAdvisor interface); tests/test_llm_e2e.py drives the
real anthropic SDK against a loopback Messages API.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given
from hypothesis import strategies as st

from gate.models import Category, ChangeRisk, LLMReview, RiskLevel
from gate.policy import LLMConfig, RiskConfig
from gate.risk.material import prepare_change
from gate.risk.review import apply_answer, review_change
from gate.risk.rules import assess_rules
from gate.risk.verdict import ModelVerdict, Prompt

LEVELS = list(RiskLevel)


@dataclass(frozen=True)
class Answer:
    model: str = "claude-haiku-4-5"
    value: ModelVerdict | None = None
    failure: str | None = None
    input_tokens: int | None = 900
    output_tokens: int | None = 60
    cost_usd: float | None = 0.0012
    cached: bool = False


@dataclass
class Advisor:
    answer: Answer
    prompts: list[Prompt] = field(default_factory=list)

    def classify(self, prompt: Prompt) -> Answer:
        self.prompts.append(prompt)
        return self.answer


def verdict(risk: str, category: str = "code") -> ModelVerdict:
    return ModelVerdict.model_validate(
        {"risk": risk, "category": category, "rationale": "why", "signals": ["s"]}
    )


def floor_of(level: RiskLevel) -> ChangeRisk:
    return ChangeRisk(risk=level, category=Category.CODE, floor=level)


def review_record() -> LLMReview:
    return LLMReview(model="claude-haiku-4-5", prompt_version="risk-v1", status="answered")


answers = st.one_of(
    st.builds(
        lambda r, c: Answer(value=verdict(r, c)),
        st.sampled_from(["low", "medium", "high"]),
        st.sampled_from([c.value for c in Category]),
    ),
    st.builds(lambda text: Answer(failure=text or None), st.text(max_size=40)),
)


@given(st.sampled_from(LEVELS), answers)
def test_final_risk_is_never_below_the_floor_whatever_the_model_says(
    floor: RiskLevel, answer: Answer
) -> None:
    result = apply_answer(floor_of(floor), answer, review_record())
    assert result.risk.rank >= floor.rank
    assert result.floor is floor
    if answer.value is None:
        assert result.risk is RiskLevel.HIGH
        assert not result.llm_used
    else:
        assert result.risk is max(floor, RiskLevel(answer.value.risk), key=lambda level: level.rank)
        assert result.category is Category.CODE  # the model's category is advisory only
        assert result.llm_used


def test_a_model_that_says_high_raises_a_low_floor() -> None:
    result = apply_answer(floor_of(RiskLevel.LOW), Answer(value=verdict("high")), review_record())
    assert result.risk is RiskLevel.HIGH and result.floor is RiskLevel.LOW
    assert result.assessments[-1].reasons == [
        "model claude-haiku-4-5 rates it high → raises the risk (floor low)"
    ]
    assert result.assessments[-1].cost_usd == 0.0012


def test_a_model_that_says_docs_does_not_make_a_code_change_exempt() -> None:
    result = apply_answer(floor_of(RiskLevel.MEDIUM), Answer(value=verdict("low", "docs")), review_record())
    assert result.category is Category.CODE and result.risk is RiskLevel.MEDIUM
    assert result.assessments[-1].category is Category.DOCS


def test_a_failed_answer_counts_as_high_and_says_why() -> None:
    result = apply_answer(
        floor_of(RiskLevel.LOW), Answer(failure="the model made 2 tool calls"), review_record()
    )
    assert result.risk is RiskLevel.HIGH
    assert result.assessments[-1].reasons == [
        "model classification failed: the model made 2 tool calls → high"
    ]


DIFF = "diff --git a/app/x.py b/app/x.py\n--- a/app/x.py\n+++ b/app/x.py\n@@ -1,0 +1,1 @@\n+x = 1\n"


def run_review(diff: str, advisor: Advisor, config: RiskConfig | None = None) -> ChangeRisk:
    config = config or RiskConfig()
    material, parsed = prepare_change(diff, title="t", body="b")
    assert parsed is not None
    risk = assess_rules(parsed.files, (), config)
    return review_change(risk, config, material, parsed.files, parsed.spans, advisor, answers={})


def test_the_model_is_asked_even_when_the_floor_is_high_and_cannot_lower_it() -> None:
    advisor = Advisor(Answer(value=verdict("low")))
    workflow = DIFF.replace("app/x.py", ".github/workflows/ci.yml")
    result = run_review(workflow, advisor)
    assert len(advisor.prompts) == 1
    assert result.risk is RiskLevel.HIGH and result.floor is RiskLevel.HIGH
    assert result.llm is not None and result.llm.risk is RiskLevel.LOW
    assert result.assessments[-1].reasons == [
        "model claude-haiku-4-5 rates it low → does not change the risk (floor high)"
    ]


def test_the_review_records_what_the_model_saw_and_cost() -> None:
    advisor = Advisor(Answer(value=verdict("medium")))
    config = RiskConfig(llm=LLMConfig(model="claude-sonnet-4-5", max_input_tokens=4000))
    result = run_review(DIFF, advisor, config)
    assert len(advisor.prompts) == 1 and advisor.prompts[0].model == "claude-sonnet-4-5"
    assert "+x = 1" in advisor.prompts[0].user
    review = result.llm
    assert review is not None
    assert (review.status, review.risk, review.hunks_shown, review.hunks_total) == (
        "answered",
        RiskLevel.MEDIUM,
        1,
        1,
    )
    assert (review.input_tokens, review.output_tokens, review.cost_usd) == (900, 60, 0.0012)
    assert result.risk is RiskLevel.MEDIUM and result.llm_used
