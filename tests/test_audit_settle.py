"""Settling deploys against the real Prometheus fixture, checked against the scenarios' exact event
counts (DESIGN §3: burning at b for 24 h costs b * 86400 / P), plus which decisions get settled and the
expected cost the gate uses for budget impact."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gate.app import ChangeInput, CheckOptions, run_check
from gate.audit.builder import decision_record
from gate.audit.costs import ExpectedCost, expected_cost
from gate.audit.record import AuditRecord, DecisionRecord, RecordedPolicy, RunContext, SettlementRecord
from gate.audit.settle import (
    DAY,
    deploys_to_settle,
    is_deploy,
    measured_spend,
    period_spend,
    service_spend,
    settle,
)
from gate.errors import AuditError, DataError
from gate.measure import measure_slo
from gate.models import RiskLevel, Sample
from gate.policy import LoadedPolicy
from gate.policy_load import load_policy_bytes
from gate.prometheus import PrometheusClient, PrometheusSettings
from gate.times import iso
from tests.promfixture.scenarios import END_TIME, SCENARIOS
from tests.promfixture.server import FixturePrometheus
from tests.support import audit_records

HOUR = 3600.0
REL = 1e-6  # backfilled samples sit on every window edge, so increase() over [1d] is exact

RATE = 'sum(rate(http_requests_total{{job="{job}"{sel}}}[{{{{.window}}}}]))'
INCREASE = 'sum(increase(http_requests_total{{job="{job}"{sel}}}[{{{{.window}}}}]))'


def sli(job: str, template: str = RATE) -> str:
    errors = template.format(job=job, sel=',code=~"5.."')
    total = template.format(job=job, sel="")
    return f"      error_query: '{errors}'\n      total_query: '{total}'\n"


# Five SLOs whose 24 h costs differ: windows of 30d, 28d and a calendar month (31 days in October),
# objectives 99.9 and 99.5, rate and increase queries, a job whose fast burn starts 2 h before the
# data ends, and one with no data at all (inconclusive, so on_inconclusive: warn lets deploys out).
POLICY = (
    "apiVersion: slo-gate/v1\n"
    "service: inventory\n"
    "gate:\n"
    "  on_inconclusive: warn\n"
    "slos:\n"
    "  - name: availability\n"
    "    objective: 99.9\n"
    "    window: 30d\n"
    "    sli:\n" + sli("inventory") + "  - name: availability-28d\n"
    "    objective: 99.5\n"
    "    window: 28d\n"
    "    sli:\n" + sli("inventory", INCREASE) + "  - name: monthly\n"
    "    objective: 99.9\n"
    "    window: {calendar: month}\n"
    "    sli:\n" + sli("inventory") + "  - name: search\n"
    "    objective: 99.9\n"
    "    sli:\n" + sli("search") + "  - name: absent\n"
    "    objective: 99.9\n"
    "    sli:\n" + sli("absent")
)
JOBS = {
    "availability": "inventory",
    "availability-28d": "inventory",
    "monthly": "inventory",
    "search": "search",
}
PERIOD = {"availability": 30 * DAY, "availability-28d": 28 * DAY, "monthly": 31 * DAY, "search": 30 * DAY}


@pytest.fixture(scope="module")
def client(prometheus: FixturePrometheus) -> Iterator[PrometheusClient]:
    with PrometheusClient(PrometheusSettings(url=prometheus.url)) as c:
        yield c


@pytest.fixture(scope="module")
def loaded() -> LoadedPolicy:
    return load_policy_bytes(POLICY.encode("utf-8"), "policies/inventory.yaml")


def deploy_record(
    loaded: LoadedPolicy, client: PrometheusClient, at: float, record_id: str = "d-1"
) -> DecisionRecord:
    """A decision record exactly as a real gate run at `at` writes it (a push to main, rules only)."""
    run = run_check([loaded], client, ChangeInput(diff=None), CheckOptions(at=at))
    [result] = run.services
    context = RunContext(repo="acme/shop", event="push", ref="refs/heads/main", head_sha="a" * 40, run_id="7")
    return decision_record(run, result, loaded, context, record_id=record_id, recorded_at=at)


def expected_spent(slo: str, start: float) -> float:
    """DESIGN §3 from the generator: r over the 24 h after the deploy / EB * 86400 / P."""
    scenario = SCENARIOS[JOBS[slo]]
    budget = 0.005 if slo == "availability-28d" else 0.001
    ratio = scenario.error_ratio_between(start, start + DAY)
    return ratio / budget * DAY / PERIOD[slo]


@pytest.mark.parametrize("age", [2 * DAY, 30 * 3600, DAY])
def test_settlement_matches_the_scenarios_exact_counts(
    client: PrometheusClient, loaded: LoadedPolicy, age: float
) -> None:
    start = END_TIME - age
    deploy = deploy_record(loaded, client, start)
    assert is_deploy(deploy), deploy.decision
    body = settle(deploy, client, "http://user:secret@prom:9090", now=END_TIME, record_id="s-1")

    assert (body.kind, body.deploy_id, body.service) == ("settlement", "d-1", "inventory")
    assert body.deploy_risk == deploy.change.risk
    assert (body.window.start, body.window.end) == (iso(start), iso(start + DAY))
    assert body.metrics_source == "http://prom:9090"
    slos = {s.name: s for s in body.slos}
    assert list(slos) == ["availability", "availability-28d", "monthly", "search", "absent"]
    for name in JOBS:
        spent = expected_spent(name, start)
        assert slos[name].status == "ok", slos[name]
        assert slos[name].budget_spent == pytest.approx(spent, rel=REL), name
        assert slos[name].window_seconds == PERIOD[name]
        ratio = SCENARIOS[JOBS[name]].error_ratio_between(start, start + DAY)
        assert slos[name].error_ratio_24h == pytest.approx(ratio, rel=REL)
        # The same figure from the gate's own measurement at t_end: b(1d) * 86400 / P.
        slo = next(s for s in loaded.policy.slos if s.name == name)
        measured = measure_slo(slo, client, start + DAY, None)
        burn = measured.burn_rates["1d"]
        assert burn is not None
        assert slos[name].burn_rate_24h == burn
        assert slos[name].budget_spent == pytest.approx(burn * DAY / measured.window_seconds, rel=1e-12)
    assert slos["absent"].status == "inconclusive"
    assert slos["absent"].budget_spent is None
    assert slos["absent"].reason == "no data: total_query returned no series over 30d"
    # The deploy's cost is its worst SLO's; the inconclusive one does not count.
    spent_per_slo = [slos[n].budget_spent for n in JOBS]
    assert body.cost == max(x for x in spent_per_slo if x is not None) and None not in spent_per_slo
    assert all(q.expr and q.at == start + DAY for s in body.slos for q in s.queries)


def test_the_fast_burn_after_a_deploy_is_its_cost(client: PrometheusClient, loaded: LoadedPolicy) -> None:
    """Deployed exactly 24 h before the data ends: search's last 2 h at 2% errors land in its window."""
    body = settle(deploy_record(loaded, client, END_TIME - DAY), client, "prom", now=END_TIME, record_id="s")
    search = next(s for s in body.slos if s.name == "search")
    quiet = settle(
        deploy_record(loaded, client, END_TIME - 2 * DAY), client, "prom", now=END_TIME, record_id="s"
    )
    before = next(s for s in quiet.slos if s.name == "search")
    assert before.burn_rate_24h == pytest.approx(0.1, rel=REL)  # 0.01% errors: b = 0.1
    assert search.burn_rate_24h is not None and search.burn_rate_24h > 1.5  # 2 h of 20x in 24 h
    assert body.cost == pytest.approx(search.budget_spent, rel=1e-12)


def test_settling_a_deploy_whose_window_is_not_over_is_refused(
    client: PrometheusClient, loaded: LoadedPolicy
) -> None:
    deploy = deploy_record(loaded, client, END_TIME - DAY)
    with pytest.raises(AuditError, match="d-1: its 24 h are not over"):
        settle(deploy, client, "prom", now=END_TIME - 1, record_id="s")


class Failing:
    def instant(self, expr: str, at: float, *, tenant: str | None = None) -> list[Sample]:
        raise DataError("Prometheus answered 503", query=expr)


def test_a_failed_query_settles_nothing(client: PrometheusClient, loaded: LoadedPolicy) -> None:
    deploy = deploy_record(loaded, client, END_TIME - 2 * DAY)
    body = settle(deploy, Failing(), "prom", now=END_TIME, record_id="s")
    assert body.cost is None
    assert {s.status for s in body.slos} == {"inconclusive"}
    assert {s.reason for s in body.slos} == {"Prometheus answered 503"}
    assert all(s.budget_spent is None for s in body.slos)


def test_a_policy_that_no_longer_loads_names_the_deploy(
    client: PrometheusClient, loaded: LoadedPolicy
) -> None:
    deploy = deploy_record(loaded, client, END_TIME - 2 * DAY, record_id="d-old")
    policy = deploy.policy.model_copy(update={"text": POLICY.replace("slo-gate/v1", "slo-gate/v9")})
    deploy = deploy.model_copy(update={"policy": policy})
    with pytest.raises(AuditError, match=r"deploy d-old: its recorded policy policies/inventory.yaml"):
        settle(deploy, client, "prom", now=END_TIME, record_id="s")


def test_measured_spend_over_a_period(client: PrometheusClient) -> None:
    since, now = END_TIME - 10 * DAY, float(END_TIME)
    spend = measured_spend(POLICY, client, since, now)
    inventory = SCENARIOS["inventory"].error_ratio_between(since, now)
    assert spend["availability"] == pytest.approx(inventory / 0.001 * (10 * DAY) / (30 * DAY), rel=REL)
    assert spend["availability-28d"] == pytest.approx(inventory / 0.005 * (10 * DAY) / (28 * DAY), rel=REL)
    assert spend["monthly"] == pytest.approx(inventory / 0.001 * (10 * DAY) / (31 * DAY), rel=REL)
    assert spend["absent"] is None
    assert service_spend(spend) == spend["availability"]
    assert service_spend({"a": None}) is None


def test_period_spend_uses_each_services_latest_policy(
    client: PrometheusClient, loaded: LoadedPolicy
) -> None:
    since, now = END_TIME - 10 * DAY, float(END_TIME) - HOUR
    deploy = deploy_record(loaded, client, END_TIME - 2 * DAY)
    broken = RecordedPolicy(text="apiVersion: slo-gate/v9\n", path="old.yaml", sha256="0" * 64)
    older = deploy.model_copy(
        update={"id": "d-0", "evaluated_at_unix": END_TIME - 20 * DAY, "policy": broken}
    )
    after = deploy.model_copy(update={"id": "d-2", "evaluated_at_unix": now + 1, "policy": broken})
    gone = deploy.model_copy(update={"service": "retired", "policy": broken})
    spend = period_spend([older, deploy, after, gone], client, since, now)
    assert spend == {"inventory": service_spend(measured_spend(POLICY, client, since, now))}
    ratio = SCENARIOS["inventory"].error_ratio_between(since, now)
    assert spend["inventory"] == pytest.approx(ratio / 0.001 * (now - since) / (30 * DAY), rel=REL)
    assert period_spend([deploy], client, now, now) == {}


# ---- which decisions are deploys (hand-built records) ----------------------------------------------


NOW = 1_800_000_000.0


def decision(
    record_id: str,
    at: float,
    *,
    outcome: str = "pass",
    event: str | None = "push",
    advisory: bool = False,
    would_have: str | None = None,
    service: str = "checkout",
) -> DecisionRecord:
    return audit_records.decision(
        record_id, at, outcome=outcome, event=event, advisory=advisory, would_have=would_have, service=service
    )


def settlement(
    deploy_id: str, cost: float | None, *, risk: str = "medium", service: str = "checkout"
) -> SettlementRecord:
    deploy = decision(deploy_id, NOW - 3 * DAY, service=service)
    return audit_records.settlement(f"s-{deploy_id}", deploy, cost, NOW, risk=risk, service=service)


def test_deploys_to_settle_picks_old_unsettled_deploys_oldest_first() -> None:
    records: list[AuditRecord] = [
        decision("young", NOW - DAY + 1),
        decision("b", NOW - 2 * DAY),
        decision("settled", NOW - 3 * DAY),
        settlement("settled", 0.01),
        decision("pr-check", NOW - 3 * DAY, event="pull_request"),
        decision("pr-target", NOW - 3 * DAY, event="pull_request_target"),
        decision("queue", NOW - 3 * DAY, event="merge_group"),
        decision("failed", NOW - 3 * DAY, outcome="fail"),
        decision("inconclusive", NOW - 3 * DAY, outcome="inconclusive"),
        decision("would-fail", NOW - 3 * DAY, outcome="warn", advisory=True, would_have="fail"),
        decision("a", NOW - 4 * DAY),
        decision("exactly-a-day", NOW - DAY),
        decision("local", NOW - 2 * DAY, event=None),
        decision("warned", NOW - 2 * DAY, outcome="warn"),
        decision("advisory-pass", NOW - 2 * DAY, advisory=True),
        settlement("a-settlement-is-not-a-deploy", None),
    ]
    due = [r.id for r in deploys_to_settle(records, NOW)]
    assert due == ["a", "b", "local", "warned", "advisory-pass", "exactly-a-day"]
    assert [r.id for r in deploys_to_settle(records, NOW, min_age=3.5 * DAY)] == ["a"]


def test_expected_cost_needs_five_settled_deploys() -> None:
    others = [
        settlement("x1", 0.9, risk="high"),  # other risk
        settlement("x2", 0.9, service="payments"),  # other service
        settlement("x3", None),  # nothing measured
    ]
    four = [settlement(f"d{i}", cost) for i, cost in enumerate([0.01, 0.04, 0.02, 0.03])]
    assert expected_cost(others + four, "checkout", "medium", 2.0) == ExpectedCost(
        0.02, "policy gate.expected_cost", 4
    )
    five = [*four, settlement("d4", 0.5)]
    assert expected_cost(others + five, "checkout", "medium", 2.0) == ExpectedCost(
        0.03, "median of 5 settled medium deploys of checkout", 5
    )
    # A deploy settled twice (two settle runs raced) counts once.
    assert expected_cost([*four, settlement("d0", 0.01)], "checkout", "medium", 2.0).samples == 4
    assert expected_cost([], "checkout", "high", 5.0) == ExpectedCost(0.05, "policy gate.expected_cost", 0)
    by_enum = expected_cost(five, "checkout", RiskLevel.MEDIUM, 2.0)
    assert by_enum.source == "median of 5 settled medium deploys of checkout"
