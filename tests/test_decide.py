"""DESIGN §4: every path of the decision order, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from gate.decide import choose_tier, decide, overall_exit_code, worst
from gate.models import Category, ChangeRisk, Override, RiskLevel, ServiceBudget, SLOBudget
from gate.policy import GateConfig


def slo(
    remaining: float | None = 0.8, alert: str = "none", status: str = "ok", name: str = "availability"
) -> SLOBudget:
    return SLOBudget.model_validate(
        {
            "name": name,
            "objective": 99.9,
            "window": "30d",
            "window_seconds": 2592000.0,
            "budget_remaining": remaining,
            "alert": alert,
            "status": status,
            "reason": "no data" if status == "inconclusive" else None,
        }
    )


def service(*slos: SLOBudget) -> ServiceBudget:
    return ServiceBudget(
        service="checkout", policy="policies/checkout.yaml", policy_sha256="0" * 64, slos=list(slos)
    )


def change(risk: str = "medium", category: str = "code") -> ChangeRisk:
    level = RiskLevel(risk)
    return ChangeRisk(risk=level, floor=level, category=Category(category))


def gate(**kwargs: Any) -> GateConfig:
    return GateConfig.model_validate(kwargs)


OVERRIDE = Override(
    kind="override", label="slo-gate/override", honoured=True, actor="alice", reason="verified"
)
REFUSED = Override(
    kind="override", label="slo-gate/override", honoured=False, reason="applied by the PR author"
)
FIX = Override(kind="fix", label="slo-gate/fix", honoured=True, actor="bob", reason="verified")


def codes(decision: Any) -> list[str]:
    return [r.code for r in decision.reasons]


def test_override_passes_a_freeze_and_says_both() -> None:
    decision = decide(gate(), service(slo(0.1, alert="page")), change("high"), override=OVERRIDE)
    assert decision.outcome == "pass"
    assert decision.exit_code == 0
    assert codes(decision) == ["override", "freeze", "tier-blocks"]
    assert decision.override == OVERRIDE


def test_unverified_override_is_ignored_with_its_reason() -> None:
    decision = decide(gate(), service(slo(0.1)), change("medium"), override=REFUSED)
    assert decision.outcome == "fail"
    assert codes(decision) == ["override-ignored", "tier-blocks"]
    assert "PR author" in decision.reasons[0].message
    assert decision.override == REFUSED


@pytest.mark.parametrize("category", ["docs", "tests"])
def test_exempt_categories_pass_a_frozen_empty_budget(category: str) -> None:
    decision = decide(gate(), service(slo(-0.5, alert="page")), change("low", category))
    assert decision.outcome == "pass"
    assert codes(decision)[0] == "exempt"


def test_exempt_list_is_the_policys() -> None:
    decision = decide(gate(exempt=["tests"]), service(slo(0.1)), change("low", "docs"))
    assert decision.outcome == "fail"


def test_verified_fix_label_makes_the_change_exempt() -> None:
    decision = decide(gate(), service(slo(0.1)), change("medium"), fix=FIX)
    assert decision.outcome == "pass"
    assert "fix changes are exempt" in decision.reasons[0].message


def test_unverified_fix_label_is_not_exempt() -> None:
    refused = FIX.model_copy(update={"honoured": False, "reason": "bot"})
    decision = decide(gate(), service(slo(0.1)), change("medium"), fix=refused)
    assert decision.outcome == "fail"
    assert codes(decision) == ["fix-ignored", "tier-blocks"]


def test_inconclusive_fail_exits_3() -> None:
    decision = decide(
        gate(), service(slo(0.9), slo(None, status="inconclusive", name="latency")), change("low")
    )
    assert decision.outcome == "inconclusive"
    assert decision.exit_code == 3
    assert codes(decision) == ["inconclusive", "tier-allows"]
    assert "latency: no data" in decision.reasons[0].message


def test_inconclusive_warn_still_lets_a_freeze_fail() -> None:
    budgets = service(slo(0.9, alert="page"), slo(None, status="inconclusive", name="latency"))
    decision = decide(gate(on_inconclusive="warn"), budgets, change("low"))
    assert decision.outcome == "fail"
    assert codes(decision) == ["inconclusive", "freeze", "tier-allows"]


def test_inconclusive_warn_otherwise_warns() -> None:
    budgets = service(slo(0.9), slo(None, status="inconclusive", name="latency"))
    decision = decide(gate(on_inconclusive="warn"), budgets, change("low"))
    assert (decision.outcome, decision.exit_code) == ("warn", 0)


def test_inconclusive_pass_with_nothing_conclusive() -> None:
    decision = decide(gate(on_inconclusive="pass"), service(slo(None, status="inconclusive")), change("high"))
    assert decision.outcome == "pass"
    assert codes(decision) == ["inconclusive", "no-budget"]


@pytest.mark.parametrize(
    ("freeze_on", "alert", "outcome"),
    [
        ("page", "page", "fail"),
        ("page", "ticket", "pass"),
        ("ticket", "ticket", "fail"),
        ("ticket", "page", "fail"),
        ("none", "page", "pass"),
    ],
)
def test_freeze(freeze_on: str, alert: str, outcome: str) -> None:
    decision = decide(gate(freeze_on=freeze_on), service(slo(0.9, alert=alert)), change("low"))
    assert decision.outcome == outcome


@pytest.mark.parametrize(
    ("remaining", "risk", "outcome", "tier"),
    [
        (0.60, "high", "pass", 0),
        (0.50, "medium", "fail", 1),  # exactly 50% does not exceed `above: 50`
        (0.5001, "medium", "pass", 0),
        (0.40, "medium", "fail", 1),
        (0.40, "low", "pass", 1),
        (0.25, "low", "fail", 2),
        (0.10, "low", "fail", 2),
        (-0.3, "low", "fail", 2),
    ],
)
def test_tiers_by_lowest_budget(remaining: float, risk: str, outcome: str, tier: int) -> None:
    budgets = service(slo(0.99, name="latency"), slo(remaining))
    decision = decide(gate(), budgets, change(risk))
    assert decision.outcome == outcome
    assert decision.tier is not None and decision.tier.index == tier
    assert f"{remaining * 100:.1f}% budget left" in decision.reasons[-1].message


def test_choose_tier_custom_tiers() -> None:
    config = gate(tiers=[{"above": 90, "allow": ["high", "medium", "low"]}, {"allow": ["low"]}])
    assert choose_tier(config, 0.95).index == 0
    assert choose_tier(config, 0.90).index == 1


def test_advisory_turns_fail_into_warn() -> None:
    decision = decide(gate(mode="advisory"), service(slo(0.1, alert="page")), change("high"))
    assert (decision.outcome, decision.exit_code, decision.would_have) == ("warn", 0, "fail")
    assert codes(decision)[-1] == "advisory"


def test_advisory_turns_inconclusive_into_warn() -> None:
    decision = decide(gate(mode="advisory"), service(slo(None, status="inconclusive")), change("low"))
    assert (decision.outcome, decision.would_have) == ("warn", "inconclusive")


@pytest.mark.parametrize(
    ("outcomes", "worst_outcome", "code"),
    [
        ([], "pass", 0),
        (["pass", "warn"], "warn", 0),
        (["pass", "inconclusive"], "inconclusive", 3),
        (["inconclusive", "fail", "pass"], "fail", 1),
    ],
)
def test_overall(outcomes: list[Any], worst_outcome: str, code: int) -> None:
    assert worst(outcomes) == worst_outcome
    assert overall_exit_code(outcomes) == code


def test_inconclusive_slos_with_one_cause_are_named_together() -> None:
    budgets = service(slo(None, status="inconclusive", name="a"), slo(None, status="inconclusive", name="b"))
    decision = decide(gate(), budgets, change("low"))
    assert decision.reasons[0].message == "inconclusive (a, b: no data); on_inconclusive=fail"


# ---- which reason decided: exactly one, the first decisive step; the rest is context -------------


def decisive(decision: Any) -> list[str]:
    return [r.code for r in decision.reasons if r.decisive]


@pytest.mark.parametrize(
    ("config", "slos", "risk", "category", "labels", "expected"),
    [
        ({}, [slo(0.9, alert="page")], "medium", "code", {}, ("fail", "freeze")),
        ({}, [slo(0.1, alert="page")], "high", "code", {"override": OVERRIDE}, ("pass", "override")),
        ({}, [slo(0.1, alert="page")], "low", "docs", {}, ("pass", "exempt")),
        ({}, [slo(0.1)], "medium", "code", {"fix": FIX}, ("pass", "exempt")),
        ({}, [slo(0.1)], "low", "docs", {"override": OVERRIDE}, ("pass", "override")),
        ({}, [slo(0.1)], "medium", "code", {"override": REFUSED}, ("fail", "tier-blocks")),
        ({}, [slo(0.9)], "medium", "code", {}, ("pass", "tier-allows")),
        (
            {},
            [slo(0.9, alert="page"), slo(None, status="inconclusive")],
            "low",
            "code",
            {},
            ("inconclusive", "inconclusive"),
        ),
        (
            {"on_inconclusive": "warn"},
            [slo(0.9), slo(None, status="inconclusive")],
            "low",
            "code",
            {},
            ("warn", "inconclusive"),
        ),
        (
            {"on_inconclusive": "warn"},
            [slo(0.1), slo(None, status="inconclusive")],
            "high",
            "code",
            {},
            ("fail", "tier-blocks"),
        ),
        (
            {"on_inconclusive": "warn"},
            [slo(0.9, alert="page"), slo(None, status="inconclusive")],
            "low",
            "code",
            {},
            ("fail", "freeze"),
        ),
        (
            {"on_inconclusive": "pass"},
            [slo(0.9), slo(None, status="inconclusive")],
            "low",
            "code",
            {},
            ("pass", "tier-allows"),
        ),
        (
            {"on_inconclusive": "pass"},
            [slo(None, status="inconclusive")],
            "high",
            "code",
            {},
            ("pass", "inconclusive"),
        ),
        (
            {"on_inconclusive": "warn"},
            [slo(None, status="inconclusive")],
            "high",
            "code",
            {},
            ("warn", "inconclusive"),
        ),
        ({}, [], "low", "code", {}, ("pass", "no-budget")),
        ({"mode": "advisory"}, [slo(0.9, alert="page")], "low", "code", {}, ("warn", "freeze")),
    ],
    ids=[
        "freeze-over-an-allowing-tier",
        "override-over-freeze-and-tier",
        "exempt-over-freeze",
        "verified-fix-is-the-exemption",
        "override-over-exempt",
        "ignored-override-is-context",
        "tier-alone",
        "inconclusive-fail-over-freeze",
        "inconclusive-warn-makes-the-allowing-tier-a-warn",
        "blocking-tier-decides-under-inconclusive-warn",
        "freeze-decides-under-inconclusive-warn",
        "inconclusive-pass-leaves-it-to-the-tier",
        "inconclusive-pass-with-nothing-to-judge",
        "inconclusive-warn-with-nothing-to-judge",
        "no-slos",
        "advisory-keeps-the-freeze-decisive",
    ],
)
def test_exactly_one_reason_is_decisive(
    config: dict[str, Any],
    slos: list[SLOBudget],
    risk: str,
    category: str,
    labels: dict[str, Override],
    expected: tuple[str, str],
) -> None:
    decision = decide(gate(**config), service(*slos), change(risk, category), **labels)
    assert (decision.outcome, *decisive(decision)) == expected


def test_a_tier_that_did_not_decide_says_what_it_alone_would_do() -> None:
    # The search service in the demo: a page alert freezes a medium-risk change at 82.7% left.
    decision = decide(gate(), service(slo(0.827, alert="page")), change("medium"))
    assert decision.outcome == "fail"
    freeze, tier = decision.reasons
    assert (freeze.code, freeze.decisive, tier.code, tier.decisive) == ("freeze", True, "tier-allows", False)
    assert tier.message == (
        "the tier alone would allow this medium-risk change: 82.7% budget left (above 50%) allows low, medium, high"
    )
    blocked = decide(gate(), service(slo(0.3)), change("high"), override=OVERRIDE).reasons[-1]
    assert (
        blocked.message
        == "the tier alone would block this high-risk change: 30.0% budget left (above 25%) allows low"
    )
    deciding = decide(gate(), service(slo(0.9)), change("medium")).reasons[-1]
    assert deciding.message == "90.0% budget left (above 50%) allows low, medium, high; change risk is medium"


def test_every_combination_has_exactly_one_decisive_reason() -> None:
    combos = 0
    for on_inconclusive in ("fail", "warn", "pass"):
        for mode in ("enforce", "advisory"):
            for alert in ("none", "ticket", "page"):
                for remaining in (0.9, 0.3, 0.1, None):
                    for risk in ("low", "medium", "high"):
                        for category in ("code", "docs"):
                            for labels in ({}, {"override": OVERRIDE}, {"override": REFUSED}, {"fix": FIX}):
                                slos = [slo(None, status="inconclusive")] if remaining is None else []
                                slos += [slo(remaining or 0.5, alert=alert)] if remaining is not None else []
                                config = gate(on_inconclusive=on_inconclusive, mode=mode, freeze_on="ticket")
                                decision = decide(config, service(*slos), change(risk, category), **labels)
                                assert len(decisive(decision)) == 1, decision
                                combos += 1
    assert combos == 3 * 2 * 3 * 4 * 3 * 2 * 4
