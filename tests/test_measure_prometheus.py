"""Budgets measured by slo-gate from a real Prometheus, checked two ways: against Prometheus' own answer
for the same expression, and against DESIGN §3 applied to the generator's exact event counts."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from gate.measure import measure_policies
from gate.models import BURN_WINDOWS, SLOBudget
from gate.policy import LoadedPolicy, parse_duration
from gate.prometheus import PrometheusClient, PrometheusSettings
from tests.promfixture.policies import scenario_policy as policy
from tests.promfixture.scenarios import DAY, OCTOBER_START, SCENARIOS
from tests.promfixture.server import FixturePrometheus

# Backfilled samples sit on every window edge, so Prometheus' increase() is exact (see test_fixture_data).
REL = 1e-6


@pytest.fixture(scope="module")
def client(prometheus: FixturePrometheus) -> Iterator[PrometheusClient]:
    with PrometheusClient(PrometheusSettings(url=prometheus.url)) as c:
        yield c


def measure(client: PrometheusClient, at: float, *policies: LoadedPolicy) -> list[SLOBudget]:
    return [slo for service in measure_policies(list(policies), client, at) for slo in service.slos]


def prometheus_burn(prometheus: FixturePrometheus, job: str, window: str) -> float:
    """Prometheus' own error ratio / EB for one window, computed with increase()."""
    expr = (
        f'sum(increase(http_requests_total{{job="{job}",code=~"5.."}}[{window}]))'
        f' / sum(increase(http_requests_total{{job="{job}"}}[{window}])) / 0.001'
    )
    return prometheus.query_value(expr)


CONCLUSIVE = ["checkout", "payments", "search", "ledger", "inventory", "sessions", "uneven", "billing"]


@pytest.mark.parametrize("job", CONCLUSIVE)
def test_budget_matches_prometheus_and_design(
    prometheus: FixturePrometheus, client: PrometheusClient, job: str
) -> None:
    scenario = SCENARIOS[job]
    [slo] = measure(client, prometheus.end_time, policy(job))
    assert slo.status == "ok", slo.reason
    own = 1 - prometheus_burn(prometheus, job, "30d")
    assert slo.budget_remaining == pytest.approx(own, rel=REL)
    assert slo.budget_remaining == pytest.approx(scenario.remaining_budget(30 * DAY), rel=REL)
    for window in BURN_WINDOWS:
        expected = scenario.burn_rate(parse_duration(window))
        assert slo.burn_rates[window] == pytest.approx(expected, rel=REL, abs=1e-9), window
        assert slo.burn_rates[window] == pytest.approx(
            prometheus_burn(prometheus, job, window), rel=REL, abs=1e-9
        )
    assert slo.alert == scenario.expected_alert()
    events = scenario.expected_increase("total", prometheus.end_time - 30 * DAY, prometheus.end_time)
    assert slo.events == pytest.approx(events, rel=REL)
    remaining = scenario.remaining_budget(30 * DAY)
    burn_1h = scenario.burn_rate(3600)
    expected_hours = 0.0 if remaining <= 0 else remaining * 30 * 24 / burn_1h if burn_1h > 0 else None
    assert slo.exhaustion_hours == pytest.approx(expected_hours, rel=REL)


def test_named_budget_states(prometheus: FixturePrometheus, client: PrometheusClient) -> None:
    """The states the demo and the decision tests rely on, as plain numbers."""
    names = ["checkout", "payments", "search", "ledger", "inventory"]
    by_job = dict(zip(names, measure(client, prometheus.end_time, *(policy(n) for n in names)), strict=True))
    assert by_job["checkout"].budget_remaining == pytest.approx(0.85, abs=1e-6)
    assert 0.25 < (by_job["payments"].budget_remaining or 0) < 0.5
    assert by_job["search"].alert == "page"
    assert (by_job["search"].burn_rates["1h"] or 0) == pytest.approx(20.0, rel=REL)
    assert by_job["ledger"].budget_remaining == pytest.approx(-0.6, rel=REL)
    assert by_job["ledger"].exhaustion_hours == 0.0
    assert by_job["inventory"].alert == "ticket"


def test_ratio_of_sums_not_average_of_ratios(prometheus: FixturePrometheus, client: PrometheusClient) -> None:
    scenario = SCENARIOS["uneven"]
    [slo] = measure(client, prometheus.end_time, policy("uneven"))
    assert slo.error_ratio == pytest.approx(scenario.documented["ratio_of_sums_30d"], rel=REL)
    average = scenario.documented["average_of_hourly_ratios_30d"]
    assert average / (slo.error_ratio or 1) > 40  # the wrong method would call this budget -24x overspent


def test_counter_resets_do_not_distort_the_budget(
    prometheus: FixturePrometheus, client: PrometheusClient
) -> None:
    [slo] = measure(client, prometheus.end_time, policy("sessions"))
    assert slo.budget_remaining == pytest.approx(0.5, rel=REL)
    assert slo.burn_rates["1h"] == pytest.approx(0.5, rel=REL)  # a reset 30 minutes ago
    assert slo.burn_rates["5m"] == pytest.approx(0.5, rel=REL)


def test_no_error_series_means_zero_errors(prometheus: FixturePrometheus, client: PrometheusClient) -> None:
    [slo] = measure(client, prometheus.end_time, policy("static"))
    assert (slo.status, slo.budget_remaining, slo.alert) == ("ok", 1.0, "none")
    assert slo.burn_rates["5m"] == 0.0
    assert slo.exhaustion_hours is None


def test_low_traffic_is_inconclusive(prometheus: FixturePrometheus, client: PrometheusClient) -> None:
    [slo] = measure(client, prometheus.end_time, policy("cron", min_events=1000))
    assert slo.status == "inconclusive"
    assert slo.events == pytest.approx(100, rel=REL)
    assert slo.reason == "low traffic: 100 events over 30d, fewer than min_events 1000"


def test_absent_series_is_inconclusive(prometheus: FixturePrometheus, client: PrometheusClient) -> None:
    [slo] = measure(client, prometheus.end_time, policy("absent"))
    assert slo.status == "inconclusive"
    assert slo.reason == "no data: total_query returned no series over 30d"
    assert slo.budget_remaining is None
    assert all(v is None for v in slo.burn_rates.values())


def test_calendar_month_measures_since_the_first(
    prometheus: FixturePrometheus, client: PrometheusClient
) -> None:
    scenario = SCENARIOS["billing"]
    [monthly, rolling] = measure(
        client, prometheus.end_time, policy("billing", window={"calendar": "month"}), policy("billing")
    )
    assert monthly.window == "calendar month"
    assert monthly.window_seconds == 31 * DAY
    assert monthly.budget_remaining == pytest.approx(scenario.remaining_budget_since(OCTOBER_START), rel=REL)
    assert monthly.budget_remaining == pytest.approx(0.8, rel=1e-3)
    assert rolling.budget_remaining == pytest.approx(scenario.remaining_budget(30 * DAY), rel=REL)
    # Thresholds for a 31-day period: 0.02 * 744h / 1h = 14.88 for the fast page.
    months_events = scenario.expected_increase("total", OCTOBER_START, prometheus.end_time)
    assert monthly.events == pytest.approx(months_events, rel=REL)


def test_latency_histogram_sli(prometheus: FixturePrometheus, client: PrometheusClient) -> None:
    scenario = SCENARIOS["checkout"]
    sli = {
        "good_query": 'sum(rate(http_request_duration_seconds_bucket{job="checkout",le="0.3"}[{{.window}}]))',
        "total_query": 'sum(rate(http_request_duration_seconds_count{job="checkout"}[{{.window}}]))',
    }
    latency = policy("checkout", sli=sli, objective=99.0)
    [slo] = measure(client, prometheus.end_time, latency)
    expected = 1 - (1 - scenario.latency_fraction("0.3")) / 0.01
    assert slo.budget_remaining == pytest.approx(expected, rel=REL)
    assert slo.budget_remaining == pytest.approx(0.6, rel=1e-6)


def test_increase_and_rate_queries_agree(prometheus: FixturePrometheus, client: PrometheusClient) -> None:
    sli = {
        "error_query": 'sum(increase(http_requests_total{job="payments",code=~"5.."}[{{.window}}]))',
        "total_query": 'sum(increase(http_requests_total{job="payments"}[{{.window}}]))',
    }
    [by_increase, by_rate] = measure(
        client, prometheus.end_time, policy("payments", sli=sli), policy("payments")
    )
    assert by_increase.budget_remaining == pytest.approx(by_rate.budget_remaining, rel=REL)
    assert by_increase.events == pytest.approx(by_rate.events or math.nan, rel=REL)


def test_one_request_per_slo(prometheus: FixturePrometheus) -> None:
    """All windows of an SLO travel in one query: 3 SLOs, 3 requests."""
    sent: list[str] = []

    class Counting(PrometheusClient):
        def instant(self, expr: str, at: float, *, tenant: str | None = None) -> Any:
            sent.append(expr)
            return super().instant(expr, at, tenant=tenant)

    with Counting(PrometheusSettings(url=prometheus.url)) as counting:
        measure(counting, prometheus.end_time, policy("checkout"), policy("payments"), policy("search"))
    assert len(sent) == 3
    assert all(expr.count("label_replace") == 16 for expr in sent)
