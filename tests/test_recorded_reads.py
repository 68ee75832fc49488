"""Recorded reads (`sli.recorded: true`, `--use-recorded`): the gate reads what `slo-gate rules` records.

On the rules dataset with its recordings backfilled by promtool: the burn rates read from recordings are
the raw ones exactly (the recording is the same query); the SLO window is the ratio of the sums of the
5-minute recordings, checked against that sum computed from the generator's exact counts, and within a
hair of the raw ratio; and every way a recording cannot stand in (absent, stale, made from another
definition, covering too little of the window, a calendar window no rule records) reads raw instead,
with the reason. The same reads run against a real VictoriaMetrics holding the same recordings.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gate.measure import measure_over, measure_policies, measure_slo
from gate.metrics import PreferRecorded
from gate.models import BURN_WINDOWS, SLOBudget
from gate.policy import LoadedPolicy, Policy
from gate.prometheus import PrometheusClient, PrometheusSettings
from gate.times import iso
from tests.conftest import require
from tests.promfixture.rules_data import ALERTS_FROM, LEVEL1_FROM, POLICIES, RULES
from tests.promfixture.scenarios import DAY, END_TIME, HOUR, MINUTE
from tests.promfixture.server import FixturePrometheus, QueryableFixture
from tests.promfixture.victoria import find_binary
from tests.promfixture.victoria_recorded import running_victoriametrics_with_recordings
from tests.support.cli import run_cli
from tests.support.recorded_rules import last_evaluation, recorded_prometheus, write_policies

__all__ = ["recorded_prometheus"]

pytestmark = pytest.mark.slow
AT = END_TIME - 5 * HOUR
SHORT = {"steady": "r-steady", "slow": "r-slow", "fast": "r-fast", "quiet": "r-quiet"}


@pytest.fixture(scope="module")
def at(recorded_prometheus: FixturePrometheus) -> float:
    """5 h before the end, where the rules ran (not on the minute: see last_evaluation)."""
    return last_evaluation(recorded_prometheus, AT)


@pytest.fixture(scope="module")
def client(recorded_prometheus: FixturePrometheus) -> Iterator[PrometheusClient]:
    with PrometheusClient(PrometheusSettings(url=recorded_prometheus.url, deadline=600)) as c:
        yield c


def policy(service: str) -> LoadedPolicy:
    return next(p for p in POLICIES if p.policy.service == service)


def slo_of(service: str, name: str, recorded: bool = True) -> tuple[LoadedPolicy, int]:
    loaded = policy(service)
    index = next(i for i, s in enumerate(loaded.policy.slos) if s.name == name)
    return (loaded.with_recorded() if recorded else loaded), index


def measured(client: object, service: str, name: str, at: float, recorded: bool = True) -> SLOBudget:
    loaded, index = slo_of(service, name, recorded)
    return measure_slo(loaded.policy.slos[index], client, at, None)  # type: ignore[arg-type]


def recorded_ratio(prom: FixturePrometheus, service: str, job: str, at: float) -> tuple[float, float]:
    """What the 20h recordings read at `at` hold, asked of Prometheus itself: its raw 5m rates at every
    time the 5m rule ran within the 20h window of the last 20h evaluation, summed (errors / events) and
    averaged (events per second) here."""
    base = [("slo_gate_service", service), ("slo_gate_slo", "short")]
    window = "{" + ",".join(f'{k}="{v}"' for k, v in [*base, ("slo_gate_window", "20h")]) + "}"
    short = "{" + ",".join(f'{k}="{v}"' for k, v in [*base, ("slo_gate_window", "5m")]) + "}"
    evaluated = prom.query_value(f"timestamp(slo:sli_error:ratio_rate20h{window})", at)
    last = prom.query_value(f"timestamp(slo:sli_total:rate5m{short})", evaluated)
    first = last - 60 * math.floor((last - (evaluated - 20 * HOUR)) / 60)
    sums = []
    for matcher in (',code=~"5.."', ""):
        expr = f'sum(rate(http_requests_total{{job="{job}"{matcher}}}[5m]))'
        resp = httpx.get(
            f"{prom.url}/api/v1/query_range",
            params={"query": expr, "start": repr(first), "end": repr(last), "step": "60"},
            timeout=60,
        )
        values = [float(v) for _, v in resp.json()["data"]["result"][0]["values"]]
        assert len(values) == round((last - first) / 60) + 1
        sums.append((sum(values), len(values)))
    (errors, _), (events, count) = sums
    return errors / events, events / count


@pytest.mark.parametrize("service", sorted(SHORT))
def test_a_recorded_read_equals_the_raw_one_and_the_recordings(
    recorded_prometheus: FixturePrometheus, client: PrometheusClient, at: float, service: str
) -> None:
    recorded = measured(client, service, "short", at)
    raw = measured(client, service, "short", at, recorded=False)
    assert (recorded.read_from, recorded.read_fallback, recorded.status) == ("recorded", None, "ok")
    assert raw.read_from == "raw"
    for window in BURN_WINDOWS:  # the recording is the gate's query: the very same double
        assert recorded.burn_rates[window] == raw.burn_rates[window], window
    assert (recorded.alert, recorded.alert_reasons) == (raw.alert, raw.alert_reasons)
    ratio, rate = recorded_ratio(recorded_prometheus, service, SHORT[service], at)
    assert recorded.error_ratio == pytest.approx(ratio, rel=1e-9)
    assert recorded.events == pytest.approx(rate * 20 * HOUR, rel=1e-9)
    assert recorded.budget_remaining == pytest.approx(raw.budget_remaining, abs=0.02)
    assert recorded.events == pytest.approx(raw.events, rel=0.01)


def test_the_slow_burn_window_is_read_from_recordings_across_its_onset(
    recorded_prometheus: FixturePrometheus, client: PrometheusClient
) -> None:
    """The 4x burn began 30 h before the end: 14 h before the end the 20h window is part burn, at the
    end all burn; the increase() SLI reads the same."""
    for at in (END_TIME - 14 * HOUR, END_TIME):
        ratio, rate = recorded_ratio(recorded_prometheus, "slow", "r-slow", at)
        for name in ("short", "counted"):
            slo = measured(client, "slow", name, at)
            assert slo.read_from == "recorded" and slo.error_ratio == pytest.approx(ratio, rel=1e-9)
            assert slo.events == pytest.approx(rate * 20 * HOUR, rel=1e-9)
    assert measured(client, "slow", "short", END_TIME).budget_remaining == pytest.approx(1 - 4.0, rel=1e-6)


def test_a_1d_window_reads_the_1d_burn_ratio(client: PrometheusClient, at: float) -> None:
    """A 1d SLO window is the 1d burn window: one series, the raw query's exact ratio."""
    slo = measured(client, "fast", "daily", at)
    raw = measured(client, "fast", "daily", at, recorded=False)
    assert (slo.read_from, slo.read_fallback) == ("recorded", None)
    assert slo.error_ratio == raw.error_ratio and slo.burn_rates == raw.burn_rates


def test_a_window_the_recordings_cover_in_part_is_read_raw(client: PrometheusClient) -> None:
    for name, days in (("availability", 30), ("threeday", 3)):
        covered = (AT - LEVEL1_FROM) / (days * DAY)  # the 5m recordings start 2 days before the end
        slo = measured(client, "slow", name, AT)
        raw = measured(client, "slow", name, AT, recorded=False)
        assert slo.read_from == "raw" and slo.read_fallback is not None
        assert f"cover {covered:.1%}" in slo.read_fallback, slo.read_fallback
        assert slo.budget_remaining == raw.budget_remaining and slo.burn_rates == raw.burn_rates
        assert len(slo.queries) == 2  # the recorded read, then the raw one


def test_a_calendar_window_reads_its_burn_windows_recorded_and_its_period_raw(
    client: PrometheusClient, at: float
) -> None:
    for name in ("month", "quarter"):
        slo = measured(client, "fast", name, at)
        raw = measured(client, "fast", name, at, recorded=False)
        assert (slo.read_from, slo.read_fallback) == ("recorded", None)
        assert slo.budget_remaining == raw.budget_remaining and slo.burn_rates == raw.burn_rates
        assert len(slo.queries) == 1


def test_stale_recordings_are_not_read(client: PrometheusClient) -> None:
    at = END_TIME + 4 * MINUTE  # the newest recording is over 240 s old; the rules run every 60 s
    slo = measured(client, "steady", "short", at)
    assert slo.read_from == "raw"
    assert slo.read_fallback is not None and "stale: the newest is 2" in slo.read_fallback
    assert "s old (the rules run every 60s)" in slo.read_fallback


def test_before_the_rules_ran_there_is_nothing_to_read(client: PrometheusClient) -> None:
    slo = measured(client, "steady", "short", ALERTS_FROM - HOUR)
    assert slo.read_from == "raw" and slo.status == "ok"
    assert slo.read_fallback is not None and "no recorded series" in slo.read_fallback


def test_recordings_of_another_definition_are_not_read(client: PrometheusClient) -> None:
    loaded = policy("steady")
    data = loaded.policy.model_dump(mode="json", by_alias=True)
    short = next(s for s in data["slos"] if s["name"] == "short")
    short["sli"]["total_query"] += " * 1"  # the same numbers, but not the definition the rules record
    changed = Policy.model_validate(data).with_recorded()
    slo = measure_slo(next(s for s in changed.slos if s.name == "short"), client, AT, None)
    assert slo.read_from == "raw" and slo.read_fallback is not None
    assert "generated from another definition" in slo.read_fallback


def test_an_slo_without_its_policy_is_read_raw(client: PrometheusClient) -> None:
    bare = policy("steady").policy.slos[2].with_recorded().model_copy()  # "short"
    object.__setattr__(bare, "__pydantic_private__", {"_context": None})
    slo = measure_slo(bare, client, AT, None)
    assert slo.read_from == "raw" and "without its policy" in (slo.read_fallback or "")


def test_use_recorded_on_the_source_reads_every_slo_recorded(client: PrometheusClient) -> None:
    budgets = measure_policies([policy("steady")], PreferRecorded(client), AT)
    reads = {s.name: (s.read_from, s.read_fallback is None) for s in budgets[0].slos}
    assert reads == {"availability": ("raw", False), "latency": ("raw", False), "short": ("recorded", True)}


def test_measure_over_reads_recordings_at_every_point(
    recorded_prometheus: FixturePrometheus, client: PrometheusClient
) -> None:
    loaded, index = slo_of("fast", "short")
    slo = loaded.policy.slos[index]
    start = last_evaluation(recorded_prometheus, END_TIME - 19 * HOUR)
    points = measure_over(slo, client, start, start + 4 * HOUR, 20 * MINUTE, None)
    raw_points = measure_over(
        policy("fast").policy.slos[index], client, start, start + 4 * HOUR, 20 * MINUTE, None
    )
    assert [p.budget.read_from for p in points] == ["recorded"] * 13
    assert [p.budget.alert for p in points] == [p.budget.alert for p in raw_points]
    assert "page" in {p.budget.alert for p in points}
    for point, raw in zip(points, raw_points, strict=True):
        assert point.budget.burn_rates == raw.budget.burn_rates


def test_status_use_recorded_says_where_each_figure_comes_from(
    recorded_prometheus: FixturePrometheus, tmp_path: Path, at: float
) -> None:
    write_policies(tmp_path)
    args = [
        "status",
        "--policy",
        str(tmp_path),
        "--prometheus-url",
        recorded_prometheus.url,
        "--at",
        repr(at),
    ]
    result = run_cli(*args, "--use-recorded", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["metrics_source"].endswith(", recorded series first")
    reads = {
        (s["service"], slo["name"]): (slo["read_from"], slo["read_fallback"])
        for s in report["services"]
        for slo in s["slos"]
    }
    assert reads[("fast", "short")] == ("recorded", None)
    assert reads[("fast", "availability")][0] == "raw" and "cover" in reads[("fast", "availability")][1]
    text = run_cli(*args, env={"SLO_GATE_USE_RECORDED": "true"}).output
    assert "read raw:" in text and "recordings cover" in text


def test_maintenance_windows_are_left_out_of_a_recorded_window_too(client: PrometheusClient) -> None:
    """The fast burn declared a maintenance window: recorded and raw reads both leave it out."""
    data = policy("fast").policy.model_dump(mode="json", by_alias=True)
    data["adjustments"] = [
        {"start": iso(END_TIME - 20 * HOUR), "duration": "2h", "reason": "planned failover"}
    ]
    changed = Policy.model_validate(data)
    short = next(s for s in changed.slos if s.name == "short")
    raw = measure_slo(short, client, AT, None)  # on the minute, Prometheus' increases are exact
    recorded = measure_slo(short.with_recorded(), client, AT, None)
    assert recorded.read_from == "recorded" and raw.read_from == "raw"
    assert raw.budget_remaining == pytest.approx(1 - 0.1, rel=1e-9)  # 0.01% errors: 0.1x outside the window
    assert recorded.budget_remaining == pytest.approx(raw.budget_remaining, abs=0.002)
    assert [e.reasons for e in recorded.exclusions] == [["planned failover"]]
    assert recorded.exclusions[0].bad == pytest.approx(raw.exclusions[0].bad, rel=1e-9)


@pytest.fixture(scope="module")
def victoria(recorded_prometheus: FixturePrometheus) -> Iterator[QueryableFixture]:
    require("VictoriaMetrics", find_binary)
    with running_victoriametrics_with_recordings(RULES, recorded_prometheus, LEVEL1_FROM) as vm:
        yield vm


def test_victoriametrics_serves_the_same_recorded_reads(
    recorded_prometheus: FixturePrometheus, client: PrometheusClient, victoria: QueryableFixture, at: float
) -> None:
    """The recordings were copied at their own times: VictoriaMetrics reads them back exactly (the raw
    parts of a calendar SLO's period are within its usual tolerance, tests/test_victoriametrics.py)."""
    with PrometheusClient(PrometheusSettings(url=victoria.url, deadline=600)) as vm:
        for service in ("steady", "slow", "fast"):
            for when in (at, last_evaluation(recorded_prometheus, END_TIME)):
                on_vm = measured(vm, service, "short", when)
                on_prom = measured(client, service, "short", when)
                assert (on_vm.read_from, on_vm.read_fallback) == ("recorded", None), on_vm.read_fallback
                assert on_vm.budget_remaining == pytest.approx(on_prom.budget_remaining, rel=1e-9)
                assert on_vm.alert == on_prom.alert
                for window in BURN_WINDOWS:
                    assert on_vm.burn_rates[window] == pytest.approx(on_prom.burn_rates[window], rel=1e-9)
        stale = measured(vm, "steady", "short", END_TIME + 4 * MINUTE)
        assert stale.read_from == "raw" and "stale" in (stale.read_fallback or "")
        calendar = measured(vm, "fast", "month", at)
        assert calendar.read_from == "recorded" and calendar.status == "ok"
        expected = measured(client, "fast", "month", at).budget_remaining
        assert calendar.budget_remaining == pytest.approx(expected, rel=1e-6)


class Counting:
    """The client, counting the instant queries sent."""

    def __init__(self, inner: PrometheusClient) -> None:
        self.inner = inner
        self.sent: list[str] = []

    def instant(self, expr: str, at: float, *, tenant: str | None = None) -> list[Any]:
        self.sent.append(expr)
        return self.inner.instant(expr, at, tenant=tenant)


def test_a_policys_recorded_slos_share_one_query(client: PrometheusClient, at: float) -> None:
    """fast's five SLOs: one query reads them all; the 30d one (recordings cover 2 of 30 days) is then
    read raw on its own; every figure is what measuring the SLO alone gives."""
    counting = Counting(client)
    [budgets] = measure_policies([policy("fast")], PreferRecorded(counting), at, concurrency=1)
    shared = counting.sent[0]
    assert len(counting.sent) == 2
    # the service's recorded series selected once (four tagged selectors), the calendar periods raw
    assert shared.count("label_join(") == 4
    assert shared.count('slo_gate_slo=~"availability|short|daily|month|quarter"') == 5  # ratios twice
    assert '"month/bad:slo"' in shared and '"quarter/total:slo"' in shared
    alone = [measured(client, "fast", s.name, at) for s in policy("fast").policy.slos]
    for together, single in zip(budgets.slos, alone, strict=True):
        assert (together.read_from, together.budget_remaining, together.burn_rates, together.alert) == (
            single.read_from,
            single.budget_remaining,
            single.burn_rates,
            single.alert,
        )
    assert [s.read_from for s in budgets.slos] == ["raw", "recorded", "recorded", "recorded", "recorded"]
    assert [len(s.queries) for s in budgets.slos] == [
        2,
        0,
        0,
        0,
        0,
    ]  # the shared read (kept once) and a raw one


def test_a_decision_read_from_recordings_replays_to_the_same_verdict(
    recorded_prometheus: FixturePrometheus, tmp_path: Path, at: float
) -> None:
    write_policies(tmp_path)
    log = tmp_path / "audit.jsonl"
    result = run_cli(
        "check", "--policy", str(tmp_path / "fast.yaml"), "--prometheus-url", recorded_prometheus.url,
        "--at", repr(at), "--use-recorded", "--no-llm", "--risk", "low", "--audit", f"file:{log}", "--format", "json",
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    [entry] = json.loads(result.output)["audit"]
    replayed = run_cli("audit", "replay", "--file", str(log), entry["id"])
    assert replayed.exit_code == 0, replayed.output
    assert replayed.output.startswith("same verdict: fast ")
