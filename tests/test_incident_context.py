"""The pure parts of an incident's context and summary: deploys from typed audit records, the facts a
model is given, the deterministic summary, the drift view, and the `--every` loop's cadence."""

from __future__ import annotations

import threading

import pytest

from gate.audit.record import AuditRecord
from gate.errors import DataError
from gate.incident.deploys import deploys_around
from gate.incident.evaluate import drifting
from gate.incident.model import Context, DeployInfo, Observation, OnsetInfo, WhereLabel, WhereValue
from gate.incident.summary import SUMMARY_TOOL, facts_summary, incident_facts
from gate.models import SLOBudget
from gate.policy import Policy
from gate.watch.loop import run_every
from tests.support.audit_records import decision, settlement

ONSET = 1_793_707_200.0  # 2026-11-03T12:00:00Z
HOUR = 3600.0


def test_deploys_are_the_passed_changes_of_the_service_around_the_onset() -> None:
    first = decision("in-1", ONSET - 40 * 60, pr=1, head_sha="a" * 40, risk="medium")
    records: list[AuditRecord] = [
        first,
        decision("in-1-rerun", ONSET - 30 * 60, pr=1, head_sha="a" * 40, event="pull_request"),  # same change
        decision(
            "override",
            ONSET - 3 * HOUR,
            pr=2,
            head_sha="b" * 40,
            override={"kind": "override", "label": "slo-gate/override", "honoured": True, "reason": "ok"},
        ),
        decision("too-early", ONSET - 7 * HOUR, pr=3, head_sha="c" * 40),
        decision("failed", ONSET - 10 * 60, pr=4, head_sha="d" * 40, outcome="fail"),
        decision("warned", ONSET + 10 * 60, pr=5, head_sha="e" * 40, outcome="warn"),
        decision("other", ONSET - 10 * 60, service="payments", pr=6),
        decision("future", ONSET + 3 * HOUR, pr=7, head_sha="f" * 40),
    ]
    records.append(settlement("s", first, 0.01, ONSET))
    found = deploys_around(records, "checkout", onset=ONSET, at=ONSET + HOUR)
    assert [(d.pr, d.record_id, d.correlated) for d in found] == [
        (5, "warned", False),  # after the onset: not a cause of it
        (1, "in-1-rerun", True),
        (2, "override", False),
    ]
    assert found[2].overridden and found[1].event == "pull_request"
    assert deploys_around(records, "checkout", onset=None, at=ONSET) != []  # no onset: 6 h before now


def obs(**burns: float) -> Observation:
    budget = SLOBudget(
        name="availability", objective=99.9, window="7d", window_seconds=7 * 86400.0, budget_remaining=0.42,
        burn_rates={"5m": 19.6, "1h": 14.9, **burns}, alert="page", exhaustion_hours=11.6,
    )  # fmt: skip
    return Observation(service="orders", slo="availability", policy="orders.yaml", budget=budget)


CONTEXT = Context(
    onset=OnsetInfo(onset=ONSET, alert_since=ONSET + 180, searched_from=ONSET - HOUR, spent_since_onset=0.021),
    where=[WhereLabel(label="route", values=[WhereValue(value="/api/orders", share=0.71, burn_rate=40.0)])],
    deploys=[DeployInfo(record_id="d", time=ONSET - 40 * 60, pr=1234, title="retry <!here>", sha="3f1c2a9" + "0" * 33, risk="medium", outcome="pass", correlated=True)],
)  # fmt: skip


def test_the_facts_hold_figures_and_the_untrusted_block_holds_names_only() -> None:
    facts, untrusted = incident_facts(obs(), CONTEXT)
    assert facts["budget_remaining"] == "42.0%" and facts["burn_rate_1h"] == "14.90x"
    assert facts["burning_since"] == "2026-11-03 12:00 UTC" and facts["budget_spent_since_onset"] == "2.1%"
    assert facts["deploy_1_pr"] == "#1234" and facts["deploy_1_before_onset"] == "40 min"
    assert facts["where_route_1_share_of_errors"] == "71.0%" and facts["where_route_concentrated"]
    assert untrusted == {"where_route_1_value": "/api/orders", "deploy_1_title": "retry <!here>"}
    assert all("<!here>" not in str(v) for v in facts.values())


def test_the_facts_summary_names_the_correlated_deploy_and_the_concentration() -> None:
    summary = facts_summary(obs(), CONTEXT)
    assert summary.source == "facts" and summary.confidence == "medium"
    assert "PR #1234" in summary.likely_cause and "40 min before the burn began" in summary.likely_cause
    assert '71.0% of errors are on route "/api/orders"' in summary.likely_cause
    assert summary.recommended_action.startswith("Check PR #1234 first")
    quiet = facts_summary(obs(), Context())
    assert quiet.confidence == "low" and quiet.likely_cause.startswith("Unclear")


def test_the_summary_tool_is_strict_and_forced() -> None:
    definition = SUMMARY_TOOL.definition()
    assert definition["name"] == "summarise_incident" and definition["strict"] is True
    assert definition["input_schema"]["required"] == [
        "headline",
        "likely_cause",
        "recommended_action",
        "confidence",
    ]
    value, problem = SUMMARY_TOOL.parse(
        {"headline": "x", "likely_cause": "y", "recommended_action": "z", "confidence": "sure"}
    )
    assert value is None and problem is not None


@pytest.mark.parametrize(
    ("burn_1d", "left", "expected"),
    [(1.5, 0.30, True), (1.5, 0.60, False), (0.9, 0.30, False), (None, 0.30, False)],
)
def test_drift_is_a_day_of_burn_above_1x_below_the_first_tier(
    burn_1d: float | None, left: float, expected: bool
) -> None:
    policy = Policy.model_validate(
        {
            "apiVersion": "slo-gate/v1",
            "service": "s",
            "slos": [
                {
                    "name": "a",
                    "objective": 99.9,
                    "sli": {
                        "error_query": "sum(rate(e[{{.window}}]))",
                        "total_query": "sum(rate(t[{{.window}}]))",
                    },
                }
            ],
        }
    )
    budget = SLOBudget(
        name="a",
        objective=99.9,
        window="30d",
        window_seconds=2592000.0,
        budget_remaining=left,
        burn_rates={"1d": burn_1d},
    )
    assert drifting(budget, policy) is expected


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_loop_keeps_its_cadence_survives_a_bad_round_and_stops_after_the_round_in_progress() -> None:
    clock = FakeClock()
    stop = threading.Event()
    seen: list[float] = []
    warnings: list[str] = []

    def round_at(now: float) -> None:
        seen.append(now)
        clock.now += 70 if len(seen) == 2 else 5  # the second round overruns its 60 s slot
        if len(seen) == 3:
            raise DataError("prometheus down")
        if len(seen) == 5:
            stop.set()  # SIGTERM during the fifth round: it finishes, no sixth starts

    class Wait(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            clock.now += timeout or 0.0
            return stop.is_set()

    waiter = Wait()
    waiter.is_set = stop.is_set  # type: ignore[method-assign]
    done = run_every(round_at, 60.0, stop=waiter, clock=clock, warn=warnings.append)
    assert done == 5
    assert seen == [1000.0, 1060.0, 1180.0, 1240.0, 1300.0]  # the slot at 1120 was overrun: skipped
    assert warnings == ["round failed: prometheus down"]
