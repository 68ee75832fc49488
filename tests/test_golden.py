"""Golden files for what people read: the PR comment and job summary (Markdown) and the text report.

The run is the embedded demo (policies, a recorded snapshot, a sample diff), so every number is fixed.
After an intended change to a renderer, regenerate with `SLO_GATE_UPDATE_GOLDEN=1 pytest tests/test_golden.py`
and review the diff of tests/golden/ like code.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gate import report
from gate.action import comment_body
from gate.demo import demo_run
from gate.models import AuditEntry, GateRun, LLMReview, RiskLevel

GOLDEN = Path(__file__).parent / "golden"


def demo_with_receipts() -> GateRun:
    """The demo run plus what a CI run adds: an audit record and a model's (hostile) rationale."""
    run = demo_run()
    payments = run.services[1]
    review = LLMReview(
        model="claude-haiku-4-5",
        prompt_version="risk-v1",
        status="answered",
        risk=RiskLevel.MEDIUM,
        rationale="Changes how charges round. @admins please approve [now](https://evil.example) <b>x</b>",
        signals=["touches charge amounts"],
        input_tokens=1450,
        output_tokens=96,
        cost_usd=0.00193,
        input_tokens_estimate=1402,
        files=1,
        hunks_shown=1,
        hunks_total=1,
    )
    change = payments.change.model_copy(update={"llm": review, "llm_used": True})
    services = [run.services[0], payments.model_copy(update={"change": change}), run.services[2]]
    entry = AuditEntry(
        service="payments",
        location="git branch slo-gate-audit on origin, audit/payments.jsonl",
        id="3f9c2a1b7d4e5f60",
        seq=42,
        hash="a" * 64,
    )
    return run.model_copy(update={"services": services, "audit": [entry]})


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SLO_GATE_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with SLO_GATE_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text("utf-8"), (
        f"{name} changed: review, then regenerate with SLO_GATE_UPDATE_GOLDEN=1"
    )


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("summary.md", lambda run: report.render_markdown(run)),
        (
            "comment-payments.md",
            lambda run: comment_body(run, "payments", ["policies read from the base commit 1234567890ab"]),
        ),
        ("report.txt", lambda run: report.render_text(run)),
    ],
    ids=["summary", "comment", "text"],
)
def test_golden(name: str, render: object) -> None:
    assert callable(render)
    check_golden(name, render(demo_with_receipts()))
