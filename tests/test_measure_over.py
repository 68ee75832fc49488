"""`measure_over`: the SLO at every step of a span, from range queries of the gate's own batched
expression. Each point must equal what `measure_slo` reports at that instant (same query, same math)
and the generator's exact counts (DESIGN §3 applied to the scenario)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import pytest

from gate.measure import MAX_POINTS_PER_QUERY, measure_over, measure_slo, range_points
from gate.prometheus import PrometheusClient, PrometheusSettings
from tests.promfixture.policies import scenario_policy
from tests.promfixture.scenarios import DAY, HOUR, MINUTE, OCTOBER_START, SCENARIOS
from tests.promfixture.server import FixturePrometheus

REL = 1e-6


@pytest.fixture(scope="module")
def client(prometheus: FixturePrometheus) -> Iterator[PrometheusClient]:
    with PrometheusClient(PrometheusSettings(url=prometheus.url)) as c:
        yield c


def test_each_point_is_what_the_gate_reports_at_that_instant(
    client: PrometheusClient, prometheus: FixturePrometheus
) -> None:
    slo = scenario_policy("search").policy.slos[0]
    end = prometheus.end_time
    start = end - 3 * HOUR
    points = measure_over(slo, client, start, end, 15 * MINUTE, None)
    assert [p.at for p in points] == [start + i * 15 * MINUTE for i in range(13)]
    for point in points[::4]:
        instant = measure_slo(slo, client, point.at, None)
        assert point.budget.alert == instant.alert
        assert point.budget.budget_remaining == pytest.approx(instant.budget_remaining, rel=REL)
        for window, burn in instant.burn_rates.items():
            assert point.budget.burn_rates[window] == pytest.approx(burn, rel=REL)


def test_the_fast_burn_pages_from_the_minute_both_windows_cross(
    client: PrometheusClient, prometheus: FixturePrometheus
) -> None:
    """search burns 20x for the last 2 h: the page (1h & 5m over 14.4) starts once enough of the last
    hour is bad, which the generator's exact counts say to the minute."""
    scenario = SCENARIOS["search"]
    slo = scenario_policy("search").policy.slos[0]
    end = prometheus.end_time
    start = end - 3 * HOUR
    points = measure_over(slo, client, start, end, MINUTE, None)
    for point in points:
        assert point.budget.alert == scenario.expected_alert(point.at), point.at
        expected = scenario.burn_rate(HOUR, point.at)
        assert point.budget.burn_rates["1h"] == pytest.approx(expected, rel=REL)
    first_page = next(p.at for p in points if p.budget.alert == "page")
    assert start < first_page < end


def test_a_calendar_slo_has_burn_rates_but_no_sliding_budget(
    client: PrometheusClient, prometheus: FixturePrometheus
) -> None:
    slo = scenario_policy("billing", window={"calendar": "month"}).policy.slos[0]
    end = prometheus.end_time
    points = measure_over(slo, client, end - 2 * HOUR, end, HOUR, None)
    assert len(points) == 3
    for point in points:
        assert point.budget.budget_remaining is None
        assert point.budget.burn_rates["1d"] == pytest.approx(
            SCENARIOS["billing"].burn_rate(DAY, point.at), rel=REL
        )
        # the alert is judged from the burn rates alone, exactly as the gate judges it at that instant
        instant = measure_slo(slo, client, point.at, None)
        assert (point.budget.status, point.budget.alert) == ("ok", instant.alert)
    assert end > OCTOBER_START


def test_without_the_budget_a_rolling_slo_still_has_its_alerts(
    client: PrometheusClient, prometheus: FixturePrometheus
) -> None:
    slo = scenario_policy("search").policy.slos[0]
    end = prometheus.end_time
    full = measure_over(slo, client, end - HOUR, end, 15 * MINUTE, None)
    lean = measure_over(slo, client, end - HOUR, end, 15 * MINUTE, None, budget_window=False)
    for a, b in zip(full, lean, strict=True):
        assert b.budget.budget_remaining is None
        assert (b.budget.status, b.budget.alert) == (a.budget.status, a.budget.alert)
        assert b.budget.burn_rates == pytest.approx(a.budget.burn_rates, rel=REL)


def test_a_span_longer_than_the_points_limit_is_split_and_joined_seamlessly() -> None:
    chunks = range_points(0.0, 25_000.0, 1.0)
    assert chunks[0] == (0.0, float(MAX_POINTS_PER_QUERY - 1))
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(chunks))
    assert chunks[-1][1] == 25_000.0
    assert sum(int(e - s) + 1 for s, e in chunks) == 25_001


def test_a_step_with_no_data_is_inconclusive_not_healthy(
    client: PrometheusClient, prometheus: FixturePrometheus
) -> None:
    slo = scenario_policy("absent").policy.slos[0]
    points = measure_over(slo, client, prometheus.end_time - HOUR, prometheus.end_time, HOUR, None)
    assert [p.budget.status for p in points] == ["inconclusive", "inconclusive"]
    assert all(p.budget.budget_remaining is None or math.isnan(p.budget.budget_remaining) for p in points)
