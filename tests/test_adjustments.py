"""Maintenance windows (`adjustments:`): when they fall (RFC 5545 rules, bounded), what excluding them
leaves (table-driven), and the budgets they give on the real Prometheus fixture, checked against the
generator's exact counts and Prometheus' own answer for the excluded spans."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gate import adjust
from gate.measure import measure_over, measure_slo
from gate.models import WindowCounts
from gate.policy import Policy
from gate.prometheus import PrometheusClient, PrometheusSettings
from gate.times import iso, parse_time
from tests.promfixture.scenarios import DAY, END_TIME, HOUR, MINUTE, SCENARIOS
from tests.promfixture.server import FixturePrometheus
from tests.promfixture.victoria import FixtureVictoriaMetrics
from tests.support.cli import run_cli

SUNDAY_2AM = parse_time("2026-09-06T02:00:00Z")  # a Sunday


# ---- when ------------------------------------------------------------------------------------------


def test_a_weekly_rule_repeats_from_its_start() -> None:
    weekly = adjust.Schedule(SUNDAY_2AM, 2 * HOUR, "db vacuum", "FREQ=WEEKLY;BYDAY=SU")
    starts = weekly.starts(parse_time("2026-09-20T00:00:00Z"), parse_time("2026-10-05T00:00:00Z"))
    assert [iso(s) for s in starts] == [
        "2026-09-20T02:00:00Z",
        "2026-09-27T02:00:00Z",
        "2026-10-04T02:00:00Z",
    ]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("FREQ=DAILY;COUNT=2", ["2026-09-06T02:00:00Z", "2026-09-07T02:00:00Z"]),
        ("FREQ=DAILY;UNTIL=20260908T000000Z", ["2026-09-06T02:00:00Z", "2026-09-07T02:00:00Z"]),
        ("RRULE:FREQ=MONTHLY;BYMONTHDAY=1", ["2026-10-01T02:00:00Z"]),
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU",
            ["2026-09-06T02:00:00Z", "2026-09-20T02:00:00Z", "2026-10-04T02:00:00Z"],
        ),
    ],
)
def test_rules_count_until_and_interval(rule: str, expected: list[str]) -> None:
    schedule = adjust.Schedule(SUNDAY_2AM, HOUR, "x", rule)
    starts = schedule.starts(SUNDAY_2AM - DAY, parse_time("2026-10-10T00:00:00Z"))
    assert [iso(s) for s in starts] == expected


def test_a_window_that_began_before_the_span_still_counts() -> None:
    once = adjust.Schedule(SUNDAY_2AM, 2 * HOUR, "x")
    assert once.starts(SUNDAY_2AM + HOUR, SUNDAY_2AM + DAY) == [SUNDAY_2AM]
    assert once.starts(SUNDAY_2AM + 2 * HOUR, SUNDAY_2AM + DAY) == []


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=SECONDLY", "repeats at most hourly"),
        ("FREQ=MINUTELY;INTERVAL=30", "repeats at most hourly"),
        ("BYDAY=SU", "needs FREQ"),
        ("FREQ=WEEKLY;DTSTART=20260101T000000Z", "DTSTART comes from `start`"),
        ("FREQ=WEEKLY;BYDAY=XX", "not a valid RRULE"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20261231T000000Z", "COUNT and UNTIL cannot both"),
        ("FREQ=DAILY;FREQ=WEEKLY", "FREQ is given twice"),
        ("FREQ=DAILY;" + "BYHOUR=1;" * 40, "an RRULE of 1 to 300 characters"),
        ("FREQ=DAILY;X-NAME=1", "is not KEY=VALUE"),
    ],
)
def test_rules_slo_gate_cannot_expand_safely_are_refused(rule: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        adjust.check_rule(rule, SUNDAY_2AM)


def test_expanding_a_rule_is_bounded() -> None:
    hourly_since_1990 = adjust.Schedule(parse_time("1990-01-01T00:00:00Z"), 600, "ancient", "FREQ=HOURLY")
    with pytest.raises(ValueError, match=r"walked over .* periods .* move `start` closer"):
        hourly_since_1990.starts(END_TIME - DAY, END_TIME)
    hourly = adjust.Schedule(END_TIME - 10 * DAY, 600, "every hour", "FREQ=HOURLY")
    with pytest.raises(ValueError, match="more than 100 occurrences"):
        hourly.starts(END_TIME - 10 * DAY, END_TIME)


def test_overlapping_windows_merge_and_keep_every_reason() -> None:
    schedules = [
        adjust.Schedule(1000.0, 100.0, "deploy"),
        adjust.Schedule(1050.0, 100.0, "failover"),
        adjust.Schedule(1150.0, 10.0, "deploy"),  # touches: merged
        adjust.Schedule(2000.0, 10.0, "later"),
    ]
    merged = adjust.merged_windows(schedules, 0.0, 1500.0)
    assert merged == [adjust.Excluded(1000.0, 1160.0, ("deploy", "failover"))]
    assert adjust.overlaps(merged, 1100.0, 1120.0) == [
        adjust.Excluded(1100.0, 1120.0, ("deploy", "failover"))
    ]


@pytest.mark.parametrize(
    ("counts", "removed", "per_second", "expected"),
    [
        # 600 s at 10/s (6000 events, 60 bad): remove 1200 events (30 bad) -> 4800 left, 30 bad
        ((0.1, 10.0, 600.0), [(30.0, 1200.0)], True, (30 / 600, 4800 / 600)),
        ((60.0, 6000.0, 600.0), [(30.0, 1200.0), (10.0, 800.0)], False, (20.0, 4000.0)),
        ((60.0, 6000.0, 600.0), [(60.0, 6000.0)], False, (0.0, 0.0)),  # all excluded: no traffic
        ((60.0, 6000.0, 600.0), [(70.0, 6010.0)], False, (0.0, 0.0)),  # skew: clamped, never below zero
        ((0.0, 6000.0, 600.0), [(5.0, 100.0)], False, (0.0, 5900.0)),
    ],
)
def test_excluding_takes_events_out_of_both_sides(
    counts: tuple[float, float, float],
    removed: list[tuple[float, float]],
    per_second: bool,
    expected: tuple[float, float],
) -> None:
    bad, total, seconds = counts
    result = adjust.exclude(
        WindowCounts(window="w", seconds=seconds, bad=bad, total=total), removed, per_second
    )
    assert (result.bad, result.total) == pytest.approx(expected)


# ---- the schema --------------------------------------------------------------------------------------


def test_adjustment_errors_point_at_their_line(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "apiVersion: slo-gate/v1\nservice: a\nslos:\n  - name: x\n    objective: 99\n    sli:\n"
        "      error_query: sum(rate(e[{{.window}}]))\n      total_query: sum(rate(t[{{.window}}]))\n"
        "adjustments:\n"
        "  - start: 2026-10-04T02:00:00Z\n    duration: 2h\n    rrule: FREQ=SECONDLY\n    reason: db\n"
        "  - start: '2026-10-04T02:00:00'\n    duration: 10s\n    reason: ''\n"
    )
    result = run_cli("validate", str(policy))
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"slo-gate: {policy}:12: adjustments[0].rrule: FREQ=SECONDLY: a maintenance window repeats at most "
        "hourly (HOURLY..YEARLY)",
        f"slo-gate: {policy}:14: adjustments[1].start: '2026-10-04T02:00:00' has no timezone; add Z or an offset",
        f"slo-gate: {policy}:15: adjustments[1].duration: a maintenance window lasts from 1m to 92d",
        f"slo-gate: {policy}:16: adjustments[1].reason: one line of 1 to 200 characters saying why "
        "(shown in reports)",
    ]


# ---- on the real Prometheus fixture ------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(prometheus: FixturePrometheus) -> Iterator[PrometheusClient]:
    with PrometheusClient(PrometheusSettings(url=prometheus.url)) as c:
        yield c


def search_policy(*adjustments: dict[str, Any]) -> Policy:
    return Policy.model_validate(
        {
            "apiVersion": "slo-gate/v1",
            "service": "search",
            "slos": [
                {
                    "name": "availability",
                    "objective": 99.9,
                    "window": "30d",
                    "sli": {
                        "error_query": 'sum(rate(http_requests_total{job="search",code=~"5.."}[{{.window}}]))',
                        "total_query": 'sum(rate(http_requests_total{job="search"}[{{.window}}]))',
                    },
                }
            ],
            "adjustments": list(adjustments),
        }
    )


FAILOVER = {"start": iso(END_TIME - 2 * HOUR), "duration": "2h", "reason": "planned failover"}
NIGHTLY = {
    "start": iso(END_TIME - 9 * DAY - 3 * HOUR),
    "duration": "3h",
    "rrule": "FREQ=DAILY;COUNT=3",
    "reason": "batch",
}


def expected_without(
    spans: list[tuple[float, float]], window: float, at: float = END_TIME
) -> tuple[float, float]:
    """(errors, events) over (at - window, at] minus `spans`, from the generator's exact counts."""
    scenario = SCENARIOS["search"]
    errors = scenario.expected_increase("errors", at - window, at)
    total = scenario.expected_increase("total", at - window, at)
    for start, end in spans:
        errors -= scenario.expected_increase("errors", start, end)
        total -= scenario.expected_increase("total", start, end)
    return errors, total


def test_the_fast_burn_left_out_is_exactly_the_rest(
    client: PrometheusClient, prometheus: FixturePrometheus
) -> None:
    """search burned 20x for its last 2 h; declared as a failover, the budget is what the other 29.9 days
    left (0.01% errors: 0.9), and no alert pages: the short windows hold no traffic but the failover's."""
    nightly = [(END_TIME - 9 * DAY - 3 * HOUR + k * DAY, END_TIME - 9 * DAY + k * DAY) for k in range(3)]
    slo = measure_slo(search_policy(FAILOVER, NIGHTLY).slos[0], client, END_TIME, None)
    errors, total = expected_without([(END_TIME - 2 * HOUR, END_TIME), *nightly], 30 * DAY)
    assert slo.status == "ok" and slo.alert == "none"
    assert slo.budget_remaining == pytest.approx(1 - errors / total / 0.001, rel=1e-9)
    assert slo.budget_remaining == pytest.approx(0.9, rel=1e-9)
    assert slo.budget_remaining_unadjusted == pytest.approx(
        SCENARIOS["search"].remaining_budget(30 * DAY), rel=1e-9
    )
    assert slo.burn_rates["1h"] is None and slo.burn_rates["5m"] is None  # nothing left in them
    assert slo.burn_rates["1d"] == pytest.approx(0.1, rel=1e-9)
    failover = slo.exclusions[-1]
    assert (failover.start, failover.end, failover.reasons) == (
        END_TIME - 2 * HOUR,
        END_TIME,
        ["planned failover"],
    )
    own = prometheus.query_value(
        f'sum(increase(http_requests_total{{job="search",code=~"5.."}}[2h] @ {END_TIME}))'
    )
    assert failover.bad == pytest.approx(own, rel=1e-9)
    assert failover.bad == pytest.approx(
        SCENARIOS["search"].expected_increase("errors", END_TIME - 2 * HOUR, END_TIME), rel=1e-9
    )
    assert failover.budget_cost == pytest.approx(failover.bad / (0.001 * total), rel=1e-9)
    assert [e.reasons for e in slo.exclusions] == [["batch"]] * 3 + [["planned failover"]]


def test_a_window_in_the_past_is_read_pinned_to_its_end(client: PrometheusClient) -> None:
    """At the end, a 2 h window that ended 10 h ago: its events are counted at its own end (`@`)."""
    past = {"start": iso(END_TIME - 12 * HOUR), "duration": "2h", "reason": "x"}
    slo = measure_slo(search_policy(past).slos[0], client, END_TIME, None)
    errors, total = expected_without([(END_TIME - 12 * HOUR, END_TIME - 10 * HOUR)], 30 * DAY)
    assert slo.budget_remaining == pytest.approx(1 - errors / total / 0.001, rel=1e-9)
    errors_1d, total_1d = expected_without([(END_TIME - 12 * HOUR, END_TIME - 10 * HOUR)], DAY)
    assert slo.burn_rates["1d"] == pytest.approx(errors_1d / total_1d / 0.001, rel=1e-9)
    assert slo.burn_rates["6h"] == pytest.approx(SCENARIOS["search"].burn_rate(6 * HOUR), rel=1e-9)
    assert "@ " in slo.queries[0].expr and "last_over_time((" in slo.queries[0].expr


def test_measure_over_leaves_the_windows_out_at_every_point(client: PrometheusClient) -> None:
    """Each point equals what measure_slo reports at that instant, partial overlaps included."""
    slo = search_policy(FAILOVER).slos[0]
    points = measure_over(slo, client, END_TIME - 3 * HOUR, END_TIME, 15 * MINUTE, None)
    assert {p.budget.alert for p in points} == {"none"}
    for point in points[::3]:
        instant = measure_slo(slo, client, point.at, None)
        assert point.budget.budget_remaining == pytest.approx(instant.budget_remaining, rel=1e-9)
        for window, burn in instant.burn_rates.items():
            got = point.budget.burn_rates[window]
            if burn is None:  # the window held nothing but the failover
                assert got is None, (point.at, window)
            else:
                assert got == pytest.approx(burn, rel=1e-9, abs=1e-12), (point.at, window)


def test_a_rule_that_cannot_be_expanded_makes_the_slo_inconclusive(client: PrometheusClient) -> None:
    ancient = {"start": "1990-01-01T00:00:00Z", "duration": "5m", "rrule": "FREQ=HOURLY", "reason": "noise"}
    slo = measure_slo(search_policy(ancient).slos[0], client, END_TIME, None)
    assert slo.status == "inconclusive"
    assert slo.reason is not None and "move `start` closer" in slo.reason


def test_reports_show_each_window_and_its_cost(prometheus: FixturePrometheus, tmp_path: Path) -> None:
    policy = tmp_path / "search.yaml"
    data = search_policy(FAILOVER).model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data["apiVersion"] = "slo-gate/v1"
    policy.write_text(json.dumps(data))
    args = ["status", "--policy", str(policy), "--prometheus-url", prometheus.url, "--at", str(END_TIME)]
    text = run_cli(*args).output
    assert "~ availability excluded 2026-10-20T10:00:00Z → 12:00:00Z (planned failover): 3827 of" in text
    assert "budget left counting the excluded windows: 82.7%" in text
    report = json.loads(run_cli(*args, "--format", "json").output)
    [slo] = report["services"][0]["slos"]
    assert slo["budget_remaining"] == pytest.approx(0.9, rel=1e-9)
    assert slo["exclusions"][0]["start"] == "2026-10-20T10:00:00Z"
    assert slo["exclusions"][0]["budget_cost"] > 0.07
    markdown = run_cli(*args, "--format", "markdown").output
    assert "_availability: excluded 2026-10-20T10:00:00Z → 12:00:00Z \\(planned failover\\)" in markdown


def test_victoriametrics_answers_the_pinned_windows_alike(
    client: PrometheusClient, victoriametrics: FixtureVictoriaMetrics
) -> None:
    """The `@`-pinned subqueries of maintenance windows run on the second backend too, to the same figures
    (the fixture's samples sit on every window edge, so neither backend extrapolates)."""
    slo = search_policy(FAILOVER, NIGHTLY).slos[0]
    on_prometheus = measure_slo(slo, client, END_TIME, None)
    with PrometheusClient(PrometheusSettings(url=victoriametrics.url)) as vm:
        on_vm = measure_slo(slo, vm, END_TIME, None)
    assert on_vm.status == "ok" and on_vm.alert == on_prometheus.alert
    assert on_vm.budget_remaining == pytest.approx(on_prometheus.budget_remaining, rel=1e-6)
    assert [(e.start, e.end) for e in on_vm.exclusions] == [
        (e.start, e.end) for e in on_prometheus.exclusions
    ]
    for mine, theirs in zip(on_vm.exclusions, on_prometheus.exclusions, strict=True):
        assert mine.bad == pytest.approx(theirs.bad, rel=1e-6) and mine.total == pytest.approx(
            theirs.total, rel=1e-6
        )
