"""slo-gate against a second real backend: VictoriaMetrics single-node, through the same client and code.

Tolerance. VictoriaMetrics' ``rate``/``increase`` do not extrapolate: over ``(t-d, t]`` they take the
last sample at or before ``t`` minus the last sample at or before ``t-d`` (the one *before* the window),
with counter resets removed. The generator writes a sample on every window edge (60 s steps for the
last 4 days, 300 s before, one exactly at END_TIME, and October 1st on the 300 s grid), so that
difference is the generator's exact increase, and ``rate`` is it divided by exactly ``d``
(``test_increase_does_not_extrapolate`` shows the rule off the grid). What is left is storage
precision: VictoriaMetrics keeps about 13-14 significant digits of a counter, and a 5m burn rate is a
difference of counters near 7e4 that amounts to ~1 error event; the worst deviation measured over
every number below is 2.8e-9 relative. REL = 1e-6 leaves a margin of ~350x over that and still
catches any one-sample semantic slip: losing the sample before the window shifts the start of a 30d
window by one 300 s step (1.2e-4 relative) and a 5m window by one 60 s step (20 %); evaluating one
60 s sample off (tried: at END_TIME-30s) moves the 30d event count by 3e-5 and search's remaining
budget by 7.5e-4.
Alerts, statuses and reasons must match exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gate.measure import measure_policies
from gate.models import BURN_WINDOWS, SLOBudget
from gate.policy import LoadedPolicy, Policy, parse_duration
from gate.prometheus import PrometheusClient, PrometheusSettings
from tests.promfixture import scenarios as sc
from tests.promfixture.policies import scenario_policy as policy
from tests.promfixture.scenarios import DAY, END_TIME, OCTOBER_START, SCENARIOS
from tests.promfixture.server import FixturePrometheus
from tests.promfixture.victoria import FixtureVictoriaMetrics
from tests.support.cli import run_cli

REL = 1e-6

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
DEMO_DIFF = ROOT / "gate" / "data" / "demo" / "change.diff"

pytestmark = pytest.mark.slow  # starts VictoriaMetrics and imports the scenario data (seconds)


@pytest.fixture(scope="module")
def client(victoriametrics: FixtureVictoriaMetrics) -> Iterator[PrometheusClient]:
    with PrometheusClient(PrometheusSettings(url=victoriametrics.url)) as c:
        yield c


def measure(client: PrometheusClient, *policies: LoadedPolicy) -> list[SLOBudget]:
    return [slo for service in measure_policies(list(policies), client, END_TIME) for slo in service.slos]


# ---- the fixture itself ----------------------------------------------------------------------------


def test_every_sample_is_imported_at_its_time(victoriametrics: FixtureVictoriaMetrics) -> None:
    series = sc.all_series()
    assert len(series) == 24
    assert victoriametrics.samples == 24 * len(sc.sample_times()) == 352_536
    # Millisecond timestamps: the newest sample sits exactly at END_TIME (seconds would be January 1970).
    last = victoriametrics.query('timestamp(http_requests_total{job="checkout",code="200"})')
    assert [float(r["value"][1]) for r in last] == [END_TIME]
    count = victoriametrics.query_value('count(last_over_time({__name__=~"http_request.*"}[1h]))')
    assert count == 24
    assert victoriametrics.import_seconds < 30


def test_increase_does_not_extrapolate(victoriametrics: FixtureVictoriaMetrics) -> None:
    """Off the sample grid, increase over (t-5m, t] is last sample <= t minus last sample <= t-5m:
    at END_TIME-30s that is (END-360, END-60], never scaled up to 5 minutes as Prometheus would."""
    payments = SCENARIOS["payments"]
    at = END_TIME - 30
    got = victoriametrics.query_value('sum(increase(http_requests_total{job="payments"}[5m]))', at=at)
    assert got == pytest.approx(payments.expected_increase("total", END_TIME - 360, END_TIME - 60), rel=REL)
    # on the grid it is the exact increase
    on_grid = victoriametrics.query_value('sum(increase(http_requests_total{job="payments"}[5m]))')
    assert on_grid == pytest.approx(payments.expected_increase("total", END_TIME - 300, END_TIME), rel=REL)


# ---- budgets measured through slo-gate's client ------------------------------------------------------

CONCLUSIVE = ["checkout", "payments", "search", "ledger", "inventory", "sessions", "uneven", "billing"]


@pytest.mark.parametrize("job", CONCLUSIVE)
def test_budget_matches_the_generator(client: PrometheusClient, job: str) -> None:
    scenario = SCENARIOS[job]
    [slo] = measure(client, policy(job))
    assert slo.status == "ok", slo.reason
    assert slo.reason is None
    assert slo.budget_remaining == pytest.approx(scenario.remaining_budget(30 * DAY), rel=REL)
    assert slo.error_ratio == pytest.approx(scenario.error_ratio(30 * DAY), rel=REL)
    assert set(slo.burn_rates) == set(BURN_WINDOWS)
    for window in BURN_WINDOWS:
        expected = scenario.burn_rate(parse_duration(window))
        assert slo.burn_rates[window] == pytest.approx(expected, rel=REL), window
    assert slo.alert == scenario.expected_alert()
    events = scenario.expected_increase("total", END_TIME - 30 * DAY, END_TIME)
    assert slo.events == pytest.approx(events, rel=REL)
    remaining = scenario.remaining_budget(30 * DAY)
    burn_1h = scenario.burn_rate(3600)
    expected_hours = 0.0 if remaining <= 0 else remaining * 30 * 24 / burn_1h if burn_1h > 0 else None
    assert slo.exhaustion_hours == pytest.approx(expected_hours, rel=REL)


def test_named_budget_states(client: PrometheusClient) -> None:
    """The states the demo relies on, as plain numbers, from VictoriaMetrics."""
    names = ["checkout", "payments", "search", "ledger", "inventory"]
    by_job = dict(zip(names, measure(client, *(policy(n) for n in names)), strict=True))
    assert by_job["checkout"].budget_remaining == pytest.approx(0.85, rel=REL)
    assert by_job["checkout"].alert == "none"
    assert by_job["payments"].budget_remaining == pytest.approx(0.35, rel=REL)
    assert by_job["payments"].burn_rates["1h"] == pytest.approx(0.65, rel=REL)
    assert by_job["search"].alert == "page"
    assert by_job["search"].burn_rates["1h"] == pytest.approx(20.0, rel=REL)
    assert by_job["search"].burn_rates["5m"] == pytest.approx(20.0, rel=REL)
    assert by_job["ledger"].budget_remaining == pytest.approx(-0.6, rel=REL)
    assert by_job["ledger"].exhaustion_hours == 0.0
    assert by_job["ledger"].alert == "ticket"
    assert by_job["inventory"].alert == "ticket"
    assert by_job["inventory"].burn_rates["1d"] == pytest.approx(2.0, rel=REL)


def test_counter_resets_do_not_distort_the_budget(client: PrometheusClient) -> None:
    """Resets 3h and 30m before END_TIME: VictoriaMetrics' reset removal gives the true increase."""
    [slo] = measure(client, policy("sessions"))
    assert slo.budget_remaining == pytest.approx(0.5, rel=REL)
    for window in ("5m", "30m", "1h", "6h", "3d"):
        assert slo.burn_rates[window] == pytest.approx(0.5, rel=REL), window
    assert slo.events == pytest.approx(10.0 * 30 * DAY, rel=REL)


def test_no_error_series_means_zero_errors(client: PrometheusClient) -> None:
    [slo] = measure(client, policy("static"))
    assert (slo.status, slo.budget_remaining, slo.alert) == ("ok", 1.0, "none")
    assert slo.burn_rates == dict.fromkeys(BURN_WINDOWS, 0.0)
    assert slo.exhaustion_hours is None
    expected = SCENARIOS["static"].expected_increase("total", END_TIME - 30 * DAY, END_TIME)
    assert slo.events == pytest.approx(expected, rel=REL)


def test_ratio_of_sums_not_average_of_ratios(client: PrometheusClient) -> None:
    scenario = SCENARIOS["uneven"]
    [slo] = measure(client, policy("uneven"))
    assert slo.error_ratio == pytest.approx(scenario.documented["ratio_of_sums_30d"], rel=REL)
    assert slo.budget_remaining == pytest.approx(0.40594059, rel=1e-6)
    assert scenario.documented["average_of_hourly_ratios_30d"] / (slo.error_ratio or 1) > 40


def test_calendar_month_measures_since_the_first(client: PrometheusClient) -> None:
    scenario = SCENARIOS["billing"]
    [monthly, rolling] = measure(client, policy("billing", window={"calendar": "month"}), policy("billing"))
    assert monthly.status == "ok"
    assert monthly.window == "calendar month"
    assert monthly.window_seconds == 31 * DAY
    assert monthly.budget_remaining == pytest.approx(scenario.remaining_budget_since(OCTOBER_START), rel=REL)
    assert monthly.budget_remaining == pytest.approx(0.8, rel=REL)
    assert monthly.events == pytest.approx(
        scenario.expected_increase("total", OCTOBER_START, END_TIME), rel=REL
    )
    assert rolling.budget_remaining == pytest.approx(scenario.remaining_budget(30 * DAY), rel=REL)
    assert rolling.budget_remaining == pytest.approx(0.2185366155, rel=REL)


def test_latency_histogram_sli(client: PrometheusClient) -> None:
    sli = {
        "good_query": 'sum(rate(http_request_duration_seconds_bucket{job="checkout",le="0.3"}[{{.window}}]))',
        "total_query": 'sum(rate(http_request_duration_seconds_count{job="checkout"}[{{.window}}]))',
    }
    spec = policy("checkout", sli=sli).policy.model_dump(by_alias=True)
    spec["slos"][0]["objective"] = 99.0
    latency = LoadedPolicy(policy=Policy.model_validate(spec), path="x", sha256="0" * 64)
    [slo] = measure(client, latency)
    assert slo.budget_remaining == pytest.approx(0.6, rel=REL)
    assert slo.burn_rates["5m"] == pytest.approx(0.4, rel=REL)


def test_low_traffic_is_inconclusive(client: PrometheusClient) -> None:
    [slo] = measure(client, policy("cron", min_events=1000))
    assert slo.status == "inconclusive"
    assert slo.events == pytest.approx(100, rel=REL)
    assert slo.reason == "low traffic: 100 events over 30d, fewer than min_events 1000"


def test_absent_series_is_inconclusive(client: PrometheusClient) -> None:
    [slo] = measure(client, policy("absent"))
    assert slo.status == "inconclusive"
    assert slo.reason == "no data: total_query returned no series over 30d"
    assert slo.budget_remaining is None
    assert slo.events is None
    assert all(v is None for v in slo.burn_rates.values())


def test_one_batched_query_per_slo(victoriametrics: FixtureVictoriaMetrics) -> None:
    """VictoriaMetrics answers the 16-part label_replace/or batch with one tagged series per part."""
    sent: list[tuple[str, int]] = []

    class Counting(PrometheusClient):
        def instant(self, expr: str, at: float, *, tenant: str | None = None) -> Any:
            samples = super().instant(expr, at, tenant=tenant)
            sent.append((expr, len(samples)))
            return samples

    with Counting(PrometheusSettings(url=victoriametrics.url)) as counting:
        slos = measure(counting, policy("checkout"), policy("static"), policy("absent"))
    assert [s.status for s in slos] == ["ok", "ok", "inconclusive"]
    assert [expr.count("label_replace") for expr, _ in sent] == [16, 16, 16]
    # checkout: bad+total for 8 windows; static: no error series, so totals only; absent: nothing
    assert sorted(n for _, n in sent) == [0, 8, 16]


# ---- the CLI end to end ----------------------------------------------------------------------------


def check_json(url: str) -> tuple[int, dict[str, Any]]:
    result = run_cli(
        *[
            "check",
            "--policy",
            str(POLICIES),
            "--prometheus-url",
            url,
            "--at",
            str(END_TIME),
            "--diff",
            str(DEMO_DIFF),
            "--format",
            "json",
            "--no-llm",
        ],
        catch_exceptions=False,
    )
    return result.exit_code, json.loads(result.output)


def slo_numbers(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(svc["service"], slo["name"]): slo for svc in document["services"] for slo in svc["slos"]}


def test_cli_check_against_victoriametrics(victoriametrics: FixtureVictoriaMetrics) -> None:
    code, document = check_json(victoriametrics.url)
    assert code == 1
    assert (document["decision"], document["exit_code"]) == ("fail", 1)
    assert document["evaluated_at"] == "2026-10-20T12:00:00Z"
    decisions = {s["service"]: s["decision"] for s in document["services"]}
    assert decisions == {"checkout": "pass", "payments": "fail", "search": "fail"}
    services = {s["service"]: s for s in document["services"]}
    assert services["search"]["reasons"][0]["code"] == "freeze"
    assert services["payments"]["tier"]["index"] == 1
    slos = slo_numbers(document)
    assert slos["checkout", "availability"]["budget_remaining"] == pytest.approx(0.85, rel=REL)
    assert slos["checkout", "latency"]["budget_remaining"] == pytest.approx(0.6, rel=REL)
    assert slos["payments", "availability-30d"]["budget_remaining"] == pytest.approx(0.35, rel=REL)
    assert slos["search", "availability"]["alert"] == "page"
    assert slos["search", "availability"]["burn_rates"]["1h"] == pytest.approx(20.0, rel=REL)
    assert all(slo["status"] == "ok" for slo in slos.values())


def test_cli_same_answer_as_prometheus(
    victoriametrics: FixtureVictoriaMetrics, prometheus: FixturePrometheus
) -> None:
    """Both backends, the same command: identical decisions and reasons, numbers within REL."""
    vm_code, vm_doc = check_json(victoriametrics.url)
    prom_code, prom_doc = check_json(prometheus.url)
    assert vm_code == prom_code == 1

    def decisions(doc: dict[str, Any]) -> dict[str, Any]:
        return {s["service"]: (s["decision"], s["reasons"], s["tier"]) for s in doc["services"]}

    assert decisions(vm_doc) == decisions(prom_doc)
    vm_slos, prom_slos = slo_numbers(vm_doc), slo_numbers(prom_doc)
    assert vm_slos.keys() == prom_slos.keys()
    assert len(vm_slos) == 5
    for key, prom_slo in prom_slos.items():
        vm_slo = vm_slos[key]
        assert (vm_slo["status"], vm_slo["alert"], vm_slo["reason"]) == (
            prom_slo["status"],
            prom_slo["alert"],
            prom_slo["reason"],
        ), key
        for field in ("budget_remaining", "error_ratio", "events", "exhaustion_hours"):
            assert vm_slo[field] == pytest.approx(prom_slo[field], rel=REL), (key, field)
        for window, burn in prom_slo["burn_rates"].items():
            assert vm_slo["burn_rates"][window] == pytest.approx(burn, rel=REL), (key, window)
