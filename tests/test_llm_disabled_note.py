"""A policy with `llm: {enabled: false}` says so, whatever else would also have kept the model out
(no ANTHROPIC_API_KEY, --no-llm): the policy's setting is the reason a reader can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.app import ChangeInput, classify
from gate.policy import RiskConfig
from tests.promfixture.server import FixturePrometheus
from tests.support.fake_anthropic import FakeAnthropic
from tests.test_llm_e2e import ONE_LINE, POLICIES, gate, run_check

DISABLED = "rules only: llm.enabled is false in the policy"


@pytest.mark.parametrize(
    ("enabled", "why_not", "expected"),
    [
        (False, "rules only: no ANTHROPIC_API_KEY", DISABLED),
        (False, "rules only: --no-llm given", DISABLED),
        (True, "rules only: no ANTHROPIC_API_KEY", "rules only: no ANTHROPIC_API_KEY"),
        (True, "rules only: --no-llm given", "rules only: --no-llm given"),
    ],
    ids=["disabled-no-key", "disabled-no-llm", "enabled-no-key", "enabled-no-llm"],
)
def test_the_policy_setting_is_the_note_when_no_advisor_exists(
    enabled: bool, why_not: str, expected: str
) -> None:
    config = RiskConfig.model_validate({"llm": {"enabled": enabled}})
    risk = classify(config, [], ChangeInput(diff=None, llm_note=why_not), advisor=None)
    assert risk.llm_note == expected
    assert not risk.llm_used


def disabled_policy(tmp_path: Path) -> Path:
    policy = tmp_path / "payments.yaml"
    text = (POLICIES / "payments.yaml").read_text("utf-8")
    policy.write_text(text.replace("  risk:\n", "  risk:\n    llm: {enabled: false}\n", 1), encoding="utf-8")
    return policy


def test_without_a_key_the_report_names_the_policy_setting(
    prometheus: FixturePrometheus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("SLO_GATE_ANTHROPIC_API_KEY", raising=False)
    policy = disabled_policy(tmp_path)
    with FakeAnthropic() as fake:
        _, document = gate(prometheus, tmp_path, fake, ONE_LINE, policy=policy, key=None)
        _, text = run_check(
            prometheus, tmp_path, fake, ONE_LINE, policy=policy, key=None, output_format="text"
        )
        assert fake.requests == []
    assert document["change"]["llm"]["note"] == DISABLED
    assert f"[llm] {DISABLED}" in text
    assert "ANTHROPIC_API_KEY" not in text
