"""The exported alerts give the gate's verdict: on backfilled data, each page/ticket alert expression,
evaluated at time T as an instant query over the recorded series, fires exactly when the gate (the
measuring code of `check`, and `check --at T` itself at a few instants) reports that alert for the SLO.

The data (tests/promfixture/rules_data.py) holds a healthy service, a slow burn, a fast burn that
recovered and a day-only service whose short windows are empty at night; the policies judge them over
30d, 20h, 1d, a calendar month and a calendar quarter, with error and good queries, rate and increase. The
times are every 20 minutes over the last 20 hours, across every onset and recovery. The gate's alerts
are also checked against DESIGN §3 applied to the generator's exact counts, so the comparison is
between two correct answers, not two copies of one mistake.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.measure import measure_policies
from gate.prometheus import PrometheusClient, PrometheusSettings
from tests.promfixture.rules_data import ALERTS_FROM, POLICIES, SCENARIOS
from tests.promfixture.scenarios import DAY, END_TIME, HOUR, MINUTE
from tests.promfixture.server import FixturePrometheus
from tests.support.cli import run_cli
from tests.support.recorded_rules import last_evaluation, recorded_prometheus, rules_text, write_policies

__all__ = ["recorded_prometheus"]

pytestmark = pytest.mark.slow
GRID = list(range(ALERTS_FROM + 20 * MINUTE, END_TIME + 1, 20 * MINUTE))


@pytest.fixture(scope="module")
def times(recorded_prometheus: FixturePrometheus) -> list[float]:
    """Every 20 minutes over the last 20 hours, at the rules' own evaluation times (see last_evaluation)."""
    last = last_evaluation(recorded_prometheus, END_TIME)
    return [last - (END_TIME - t) for t in GRID]


JOBS = {"steady": "r-steady", "slow": "r-slow", "fast": "r-fast", "quiet": "r-quiet"}


@pytest.fixture(scope="module")
def client(recorded_prometheus: FixturePrometheus) -> Iterator[PrometheusClient]:
    with PrometheusClient(PrometheusSettings(url=recorded_prometheus.url, deadline=3600)) as c:
        yield c


def exported_alerts() -> dict[tuple[str, str, str], str]:
    """(service, SLO, severity) -> the alert's expression, from the rule file."""
    data = yaml.safe_load(rules_text())
    return {
        (r["labels"]["slo_gate_service"], r["labels"]["slo_gate_slo"], r["labels"]["severity"]): r["expr"]
        for g in data["groups"]
        for r in g["rules"]
        if "alert" in r
    }


def gate_alerts(client: PrometheusClient, at: float) -> dict[tuple[str, str, str], bool]:
    """What the gate reports at `at`: page when its alert is page; ticket when a ticket rule fired."""
    out = {}
    for service in measure_policies(list(POLICIES), client, at):
        for slo in service.slos:
            assert slo.status == "ok", (service.service, slo.name, slo.reason)
            out[(service.service, slo.name, "page")] = slo.alert == "page"
            out[(service.service, slo.name, "ticket")] = any(
                r.startswith("ticket:") for r in slo.alert_reasons
            )
    return out


Verdicts = dict[float, tuple[dict[Any, bool], dict[Any, bool]]]


@pytest.fixture(scope="module")
def verdicts(client: PrometheusClient, times: list[float]) -> Verdicts:
    """At every time: (the exported alerts that fire, the gate's alerts)."""
    alerts = exported_alerts()
    out = {}
    for at in times:
        fired = {key: bool(client.instant(expr, at)) for key, expr in alerts.items()}
        out[at] = (fired, gate_alerts(client, at))
    return out


def test_every_exported_alert_fires_exactly_when_the_gate_reports_it(
    verdicts: Verdicts,
) -> None:
    mismatches = [
        (at, key, fired[key], gate[key])
        for at, (fired, gate) in verdicts.items()
        for key in gate
        if fired[key] != gate[key]
    ]
    assert mismatches == []
    assert len(verdicts) == 60 and all(len(fired) == 28 for fired, _ in verdicts.values())
    assert all(at % 60 for at in verdicts)  # off the minute: where Prometheus evaluated the rules


def _firing(verdicts: Verdicts, key: tuple[str, str, str]) -> list[float]:
    return [at for at, (fired, _) in verdicts.items() if fired[key]]


def test_the_data_crosses_every_threshold(verdicts: Verdicts, times: list[float]) -> None:
    """Not a comparison of silences: each alert turns on and off where the scenarios say."""
    assert _firing(verdicts, ("steady", "availability", "page")) == []
    assert _firing(verdicts, ("steady", "availability", "ticket")) == []
    # the slow burn: a ticket from its onset (19.7 h before the end) to the end, never a page
    assert _firing(verdicts, ("slow", "availability", "ticket")) == times
    assert _firing(verdicts, ("slow", "availability", "page")) == []
    # the fast burn (END-20h..END-18h): a page during it, then a ticket for ~6h more, then recovered
    page = _firing(verdicts, ("fast", "availability", "page"))
    assert page and END_TIME - 20 * HOUR < page[0] < page[-1] <= END_TIME - 17 * HOUR
    ticket = _firing(verdicts, ("fast", "availability", "ticket"))
    assert ticket and page[-1] < ticket[-1] <= END_TIME - 11 * HOUR
    assert verdicts[times[-1]][0][("fast", "availability", "ticket")] is False
    # a calendar quarter's thresholds are ~3x a month's (92 vs 31 days): 40x pages a month, not a quarter
    assert _firing(verdicts, ("fast", "month", "page"))
    assert _firing(verdicts, ("fast", "quarter", "page")) == []


def test_the_gate_agrees_with_the_generator(client: PrometheusClient) -> None:
    """The 30d SLOs' alerts from DESIGN §3 applied to the exact event counts of the scenarios (on the
    minute grid, where Prometheus' rates are the generator's exact increases)."""
    for at in GRID[::3]:
        gate = gate_alerts(client, at)
        for service, job in JOBS.items():
            expected = SCENARIOS[job].expected_alert(at)
            assert gate[(service, "availability", "page")] == (expected == "page"), (at, service)
            if expected == "ticket":
                assert gate[(service, "availability", "ticket")], (at, service)


def test_at_night_the_quiet_service_has_no_burn_rate_and_no_alert(client: PrometheusClient) -> None:
    at = END_TIME - 10 * HOUR  # 02:00 UTC: no traffic since 18:00
    [budgets] = [b for b in measure_policies(list(POLICIES), client, at) if b.service == "quiet"]
    slo = budgets.slos[0]
    assert slo.burn_rates["5m"] is None and slo.burn_rates["1h"] is None and slo.alert == "none"
    assert slo.burn_rates["3d"] == pytest.approx(5.0, rel=1e-6)
    assert math.isnan(SCENARIOS["r-quiet"].burn_rate(HOUR, at))


@pytest.mark.parametrize("hours_before_end", [19, 15, 0])
def test_check_at_t_reports_what_the_exported_alert_says(
    recorded_prometheus: FixturePrometheus,
    client: PrometheusClient,
    tmp_path: Path,
    hours_before_end: int,
) -> None:
    """The whole `check --at T` process, at a page, a ticket and a quiet instant."""
    at = last_evaluation(recorded_prometheus, END_TIME - hours_before_end * HOUR)
    policy_dir = tmp_path / "policies"
    policy_dir.mkdir()
    write_policies(policy_dir)
    result = run_cli(
        "check", "--policy", str(policy_dir), "--prometheus-url", recorded_prometheus.url,
        "--at", str(at), "--format", "json", "--no-llm", "--risk", "low", "--mode", "advisory",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    alerts = exported_alerts()
    for service in report["services"]:
        for slo in service["slos"]:
            for severity in ("page", "ticket"):
                fired = bool(client.instant(alerts[(service["service"], slo["name"], severity)], at))
                reported = (
                    slo["alert"] == "page"
                    if severity == "page"
                    else any(r.startswith("ticket:") for r in slo["alert_reasons"])
                )
                assert fired == reported, (at, service["service"], slo["name"], severity)


def test_the_day_is_long_enough_for_the_windows() -> None:
    """The judged times lie where every window of every rule has data and recordings."""
    assert ALERTS_FROM - 3 * DAY >= END_TIME - 4 * DAY
