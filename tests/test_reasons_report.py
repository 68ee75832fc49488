"""Reasons say which one decided: `decisive` in JSON, a marker in text and Markdown, and a budget
impact that is phrased as context when something other than the tier decided."""

from __future__ import annotations

import json

import pytest

from gate import report
from gate.demo import demo_run
from gate.models import BudgetImpact, Category, ChangeRisk, Decision, Reason, RiskLevel, Tier

MEDIUM = ChangeRisk(risk=RiskLevel.MEDIUM, floor=RiskLevel.MEDIUM, category=Category.CODE)
OPEN_TIER = Tier(index=0, above=50.0, allow=[RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH])
IMPACT = BudgetImpact(
    remaining=0.827, cost=0.02, cost_source="policy gate.expected_cost", after=0.807, tier_after=OPEN_TIER,
    allowed_after=True,
)  # fmt: skip


def decided_by(code: str, outcome: str = "fail") -> Decision:
    reasons = [Reason(code=code, message="x", decisive=True), Reason(code="tier-allows", message="y")]
    return Decision.model_validate({"outcome": outcome, "exit_code": 1, "reasons": reasons})


def test_json_marks_the_freeze_decisive_and_the_tier_as_context() -> None:
    document = json.loads(report.render_json(demo_run()))
    search = next(s for s in document["services"] if s["service"] == "search")
    assert [(r["code"], r["decisive"]) for r in search["reasons"]] == [
        ("freeze", True),
        ("tier-allows", False),
    ]
    assert search["reasons"][1]["message"].startswith("the tier alone would allow this medium-risk change")
    for service in document["services"]:
        assert sum(r["decisive"] for r in service["reasons"]) == 1


def test_text_and_markdown_mark_each_reason() -> None:
    run = demo_run()
    text = report.render_text(run)
    assert "    1. decisive: active fast burn on availability (page); freeze_on=page\n" in text
    assert "    2. context: the tier alone would allow" in text
    markdown = report.render_markdown(run)
    assert "1. **Decisive:** active fast burn on availability \\(page\\)" in markdown
    assert "2. _Context:_ the tier alone would allow" in markdown


@pytest.mark.parametrize(
    ("code", "allowed", "ending"),
    [
        (
            "freeze",
            True,
            "which by itself would allow a medium-risk change; context only: the freeze decided",
        ),
        (
            "override",
            False,
            "which by itself would not allow a medium-risk change; context only: the override label decided",
        ),
        ("exempt", True, "context only: the exemption decided"),
        ("inconclusive", True, "context only: the inconclusive data decided"),
        ("tier-allows", True, "where a medium-risk change is allowed"),
        ("tier-blocks", False, "where a medium-risk change is not allowed"),
    ],
)
def test_budget_impact_is_context_unless_the_tier_decided(code: str, allowed: bool, ending: str) -> None:
    impact = IMPACT.model_copy(update={"allowed_after": allowed})
    sentence = report.impact_sentence(impact, MEDIUM, decided_by(code))
    assert sentence.endswith(ending)
    assert sentence.startswith(
        "if this medium-risk deploy spends 2.0% of the budget (policy gate.expected_cost)"
    )
    if not code.startswith("tier"):
        assert " is allowed" not in sentence and " is not allowed" not in sentence
