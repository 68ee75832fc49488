"""Budget left over the SLO window, from one range query against the real Prometheus fixture: every
point equals what an instant measurement at that time says (DESIGN §3), so the chart cannot drift
from the gate's own numbers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gate.measure import budget_history, measure_policies
from gate.metrics import SnapshotSource
from gate.prometheus import PrometheusClient, PrometheusSettings
from tests.promfixture.policies import scenario_policy
from tests.promfixture.server import FixturePrometheus


@pytest.fixture(scope="module")
def client(prometheus: FixturePrometheus) -> Iterator[PrometheusClient]:
    with PrometheusClient(PrometheusSettings(url=prometheus.url)) as c:
        yield c


@pytest.mark.parametrize("job", ["checkout", "payments", "search"])
def test_every_point_matches_an_instant_measurement(
    prometheus: FixturePrometheus, client: PrometheusClient, job: str
) -> None:
    loaded = scenario_policy(job)
    slo = loaded.policy.slos[0]
    history = budget_history(slo, client, prometheus.end_time, None, points=6)
    assert len(history) == 6
    assert history[-1][0] == prometheus.end_time
    assert [t for t, _ in history] == [prometheus.end_time - 5 * 86400 * 5 + i * 5 * 86400 for i in range(6)]
    for at, remaining in (history[0], history[3], history[-1]):
        [service] = measure_policies([loaded], client, at)
        assert remaining == pytest.approx(service.slos[0].budget_remaining, rel=1e-9)


def test_calendar_windows_and_snapshots_give_no_chart(
    prometheus: FixturePrometheus, client: PrometheusClient
) -> None:
    calendar = scenario_policy("payments", window={"calendar": "month"}).policy.slos[0]
    assert budget_history(calendar, client, prometheus.end_time, None) == []
    snapshot = SnapshotSource.from_text(
        '{"format": "slo-gate-snapshot/v1", "evaluated_at": 0, "queries": []}', label="s"
    )
    rolling = scenario_policy("payments").policy.slos[0]
    assert budget_history(rolling, snapshot, prometheus.end_time, None) == []
