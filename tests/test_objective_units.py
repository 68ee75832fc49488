"""The objective recommender's pure parts, table by table: the headroom objective, days and rolling
windows, trimming what the backend does not hold, alert runs at hourly resolution, the rule, the
histogram selectors (hostile label values stay quoted data), the policy block and the renderers'
escaping. Expected numbers are written out or computed by hand in each case."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Sequence

import pytest

from gate import budget
from gate.errors import UsageError
from gate.objective.backtest import BurnHistory, backtest
from gate.objective.markdown import render_markdown
from gate.objective.recommend import (
    Analysis,
    Candidate,
    Finding,
    analyse,
    headroom_objective,
    recommend,
)
from gate.objective.render import ObjectiveReport, render_json, render_text
from gate.objective.series import DAY, HOUR, Hour, Prefix, low_traffic_days, periods
from gate.objective.target import (
    Histogram,
    Target,
    bucket_histogram,
    is_bucket_bound,
    parse_histogram,
    selectors_of,
    target_from_policy,
    target_from_queries,
)
from gate.policy import SLI, CalendarWindow, LoadedPolicy, Policy, check_query
from gate.policy_load import load_policy_bytes

START = 1_790_000_000 - 1_790_000_000 % 86400  # a UTC midnight
ERRORS = 'sum(rate(http_requests_total{job="api",code=~"5.."}[{{.window}}]))'
TOTAL = 'sum(rate(http_requests_total{job="api"}[{{.window}}]))'


def hours(counts: Sequence[tuple[float, float] | None], start: float = START) -> list[Hour]:
    """Hours from (bad, total) pairs; None is an unreadable hour."""
    return [
        Hour(start + (i + 1) * HOUR, None, None, "no data") if c is None else Hour(start + (i + 1) * HOUR, *c)
        for i, c in enumerate(counts)
    ]


def steady(days: int, bad: float = 1.0, total: float = 1000.0) -> list[tuple[float, float] | None]:
    return [(bad, total)] * (days * 24)


# ---- the headroom candidate ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("worst", "objective"),
    [
        (0.000788, 99.89),  # budget 0.0010507 -> 0.0011: 28.4 % left in the worst window
        (0.00075, 99.9),  # exactly 25 % left at 99.9
        (0.0062, 99.17),  # 0.0082667 -> 0.0083
        (0.03, 96.0),  # 0.04 exactly
        (0.0, None),  # a perfect history spent no budget: no headroom objective
        (None, None),
        (0.8, None),  # a budget above 100 %
    ],
)
def test_the_headroom_objective_leaves_a_quarter_of_the_worst_windows_budget(
    worst: float | None, objective: float | None
) -> None:
    got = headroom_objective(worst)
    assert got == objective
    if got is not None and worst is not None:
        left = 1 - worst / (1 - got / 100)
        assert 0.25 - 1e-9 <= left < 0.25 + 0.1 * 0.75 + 1e-9  # two significant digits: never under 25 %


# ---- days and windows ------------------------------------------------------------------------------


def test_ninety_days_hold_ninety_days_and_61_rolling_windows_of_30_days() -> None:
    prefix = Prefix(hours(steady(90)))
    days = periods(prefix, START, DAY)
    windows = periods(prefix, START, 30 * DAY)
    assert len(days) == 90 and len(windows) == 61
    assert windows[0].start == START and windows[0].end == START + 30 * DAY
    assert windows[-1].end == START + 90 * DAY
    assert all(w.total == 30 * 24 * 1000 and w.bad == 30 * 24 for w in windows)


def test_a_window_is_a_ratio_of_sums_and_counts_its_unreadable_hours() -> None:
    counts = steady(2, bad=0.0, total=100.0)
    counts[0] = (50.0, 10_000.0)  # a busy bad hour outweighs the quiet good ones
    counts[30] = None
    days = periods(Prefix(hours(counts)), START, DAY)
    assert days[0].ratio == pytest.approx(50 / (10_000 + 23 * 100))
    assert (days[0].missing_hours, days[1].missing_hours) == (0, 1)
    assert days[1].total == 23 * 100


def test_a_window_of_hours_that_are_not_whole_days_still_ends_at_midnights() -> None:
    windows = periods(Prefix(hours(steady(4))), START, 36 * HOUR)
    assert [w.end for w in windows] == [START + 2 * DAY, START + 3 * DAY, START + 4 * DAY]
    assert windows[0].start == START + 12 * HOUR


def test_low_traffic_days_are_under_a_tenth_of_the_median_day() -> None:
    counts = steady(5)
    counts[48:72] = [(0.0, 99.0)] * 24  # day 2: 2,376 events against a median of 24,000
    counts[72:96] = [(0.0, 100.0)] * 24  # day 3: 2,400, exactly a tenth: not low
    days = periods(Prefix(hours(counts)), START, DAY)
    assert [d.start for d in low_traffic_days(days)] == [START + 2 * DAY]


def test_the_days_the_backend_does_not_hold_are_dropped_from_the_start() -> None:
    counts = [None] * 6 + steady(40)[6:]  # data from 06:00 on the first day
    analysis = run_analysis(counts)
    assert analysis.history.start == START + DAY
    assert len(analysis.history.days) == 39 and len(analysis.history.windows) == 10
    assert analysis.history.missing_hours == 0
    assert [f.kind for f in analysis.findings][:2] == ["short_history", "few_windows"]


# ---- alerts at hourly resolution -------------------------------------------------------------------


def run_analysis(counts: Sequence[tuple[float, float] | None], **options: object) -> Analysis:
    settings: dict[str, object] = {
        "window": "30d",
        "window_seconds": 30 * DAY,
        "tiers": (50.0, 25.0),
        "current": None,
    }
    settings.update(options)
    return analyse(hours(counts), START, **settings)  # type: ignore[arg-type]


def test_a_two_hour_outage_is_one_page_of_two_hours_and_the_rules_wait_for_their_long_window() -> None:
    counts = steady(4, bad=0.0)
    counts[50] = counts[51] = (100.0, 1000.0)  # 10 % errors: 100x the 99.9 budget
    counts[2] = (100.0, 1000.0)  # hour 3: the 1h page rule can judge it, so it pages
    prefix = Prefix(hours(counts))
    result = backtest(99.9, [], BurnHistory(prefix), window_seconds=30 * DAY, tiers=(), history_days=4)
    assert (result.pages.count, result.pages.hours) == (2, 3.0)
    assert result.pages.first == START + 2 * HOUR
    # 1 % over 6h after the outage: b(6h) = 16.7 > 6, but the last hour (standing in for 30m) is clean
    assert result.tickets.count >= 1


def test_short_windows_are_read_over_the_last_hour() -> None:
    burns = BurnHistory(Prefix(hours(steady(1, bad=2.0))))
    assert burns.ratios["5m"][0] == burns.ratios["30m"][0] == burns.ratios["1h"][0] == pytest.approx(0.002)
    assert burns.ratios["6h"][4] is None and burns.ratios["6h"][5] == pytest.approx(0.002)


@pytest.mark.parametrize(
    ("burns", "period", "fires"),
    [
        ({"1h": 14.5, "5m": 14.5}, 30 * DAY, {"page"}),
        ({"1h": 14.4, "5m": 20.0}, 30 * DAY, set()),  # strictly above the threshold
        ({"1h": 14.0, "5m": 14.0}, 28 * DAY, {"page"}),  # 13.44 for 28 days
        ({"1d": 3.5, "2h": 3.5, "3d": 1.5, "6h": 0.5}, 30 * DAY, {"ticket"}),
        ({"1d": 3.5, "2h": None}, 30 * DAY, set()),  # no traffic in a window: that rule cannot fire
    ],
)
def test_alert_rules_fire_when_both_windows_burn_faster_than_the_scaled_threshold(
    burns: dict[str, float | None], period: float, fires: set[str]
) -> None:
    assert {r.severity for r in budget.ALERT_RULES if r.fires(burns, period)} == fires


# ---- the rule --------------------------------------------------------------------------------------


def test_the_history_decides_the_ladder_and_the_tightest_qualifying_candidate_wins() -> None:
    counts = steady(60, bad=0.4)  # 0.04 % errors every hour: every window at 99.96 %
    analysis = run_analysis(counts, current=99.99)
    objectives = [c.objective for c in analysis.candidates]
    # 99.99 is never met (kept only as the current objective); 99.95 is met with 20 % left; headroom:
    # 0.0004 / 0.75 = 0.000533 -> 0.00054 -> 99.946
    assert objectives == [99.99, 99.95, 99.946, 99.9, 99.5, 99.0]
    by = {c.objective: c for c in analysis.candidates}
    assert by[99.99].labels == ("current",) and by[99.946].labels == ("headroom",)
    assert by[99.95].result.windows_breached == 0
    assert by[99.95].failures == ("median budget left 20.0 % (needs 25 %)",)
    assert analysis.recommendation.objective == 99.946
    assert [o for o, _ in analysis.recommendation.above] == [99.99, 99.95]
    assert analysis.recommendation.below[0] == (99.9, "meets the rule too, but 99.946 % is tighter")
    # 720,000 events per window are too few for 99.99 % (1,000,000 allow 100 bad events)
    assert by[99.99].result.noise and not by[99.95].result.noise
    assert [f.kind for f in analysis.findings] == ["low_traffic", "current_breached"]


def test_too_many_pages_reject_a_candidate() -> None:
    counts = steady(31, bad=0.0)
    for day in range(0, 30, 3):  # a 20 % error hour every third day: 10 pages in 31 days at 99.5
        counts[day * 24 + 10] = (200.0, 1000.0)
    analysis = run_analysis(counts)
    by = {c.objective: c for c in analysis.candidates}
    assert by[99.0].result.pages.count == 10
    assert any("pages a month" in f for f in by[99.0].failures)


def test_a_quiet_service_gets_no_objective_and_the_window_too_short_finding() -> None:
    counts = steady(90, bad=0.0, total=10.0)
    counts[5] = (1.0, 10.0)
    analysis = run_analysis(counts)
    assert analysis.recommendation.objective is None
    assert all(c.result.noise for c in analysis.candidates)
    finding = next(f for f in analysis.findings if f.kind == "low_traffic")
    # 7,200 events per 30 days; 99 % needs 10,000: at 240 a day, 42 days
    assert "7,200 events" in finding.message and "at least 42d for 99 %" in finding.message


def test_no_candidate_meets_the_rule_and_the_recommendation_says_why() -> None:
    candidates = []
    for objective, failures in ((99.9, ("met in 50.0 % of the 10 rolling windows (needs 95 %)",)),):
        result = run_analysis(steady(31)).candidates[0].result
        candidates.append(Candidate(objective, ("ladder",), result, failures))
    rec = recommend(candidates, "30d")
    assert rec.objective is None and "the loosest, 99.9 %, was met in 50.0 %" in rec.why
    assert rec.above == ((99.9, "met in 50.0 % of the 10 rolling windows (needs 95 %)"),)


# ---- histograms and selectors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "metric", "matchers"),
    [
        ("http_request_duration_seconds", "http_request_duration_seconds", ()),
        (
            'rpc_latency_bucket{job="api",route!~"/health.*"}',
            "rpc_latency",
            (("job", "=", "api"), ("route", "!~", "/health.*")),
        ),
    ],
)
def test_a_histogram_is_a_name_with_matchers(
    text: str, metric: str, matchers: tuple[tuple[str, str, str], ...]
) -> None:
    histogram = parse_histogram(text)
    assert (histogram.metric, histogram.matchers) == (metric, matchers)


@pytest.mark.parametrize(
    "text",
    [
        'x{le="0.3"}',
        "x offset 5m",
        "x[5m]",
        "sum(x)",
        "x) or vector(1",
        '{__name__="x"}',
        "",
    ],
)
def test_anything_but_a_plain_selector_is_refused(text: str) -> None:
    with pytest.raises(UsageError, match="--latency-histogram"):
        parse_histogram(text)


def test_hostile_label_values_stay_quoted_data_in_every_query_built() -> None:
    value = 'a"} or vector(1) or x{b="\\'
    histogram = Histogram("lat", (("job", "=", value),))
    sli = histogram.sli("0.5")
    for query, bound in ((sli.good_query or "", "0.5"), (sli.total_query, "+Inf")):
        assert check_query(query) == query
        assert selectors_of(query) == [("lat_bucket", (("job", "=", value), ("le", "=", bound)))]
    with pytest.raises(ValueError, match="bucket bound"):
        histogram.selector('0.5"} or vector(1')


@pytest.mark.parametrize(
    ("bound", "ok"),
    [
        ("0.3", True),
        ("+Inf", True),
        ("1e+06", True),
        ("10", True),
        (".5", True),
        ("inf", False),
        ("0.3x", False),
        ("", False),
    ],
)
def test_only_numbers_are_bucket_bounds(bound: str, ok: bool) -> None:
    assert is_bucket_bound(bound) is ok


def test_a_bucket_based_sli_names_its_histogram_and_threshold() -> None:
    sli = SLI(
        good_query='sum(rate(http_request_duration_seconds_bucket{job="checkout",le="0.3"}[{{.window}}]))',
        total_query='sum(rate(http_request_duration_seconds_count{job="checkout"}[{{.window}}]))',
    )
    histogram = bucket_histogram(sli)
    assert histogram == Histogram("http_request_duration_seconds", (("job", "=", "checkout"),), "0.3")
    assert bucket_histogram(SLI(error_query=ERRORS, total_query=TOTAL)) is None


def test_command_line_queries_are_checked_before_anything_is_sent() -> None:
    with pytest.raises(UsageError, match=r"--sli-error: must use \{\{\.window\}\}"):
        target_from_queries(
            "api", None, error_query="sum(x)", good_query=None, total_query=TOTAL, window=None, histogram=None
        )
    with pytest.raises(UsageError, match="exactly one of --sli-error or --sli-good"):
        target_from_queries(
            "api", None, error_query=ERRORS, good_query=ERRORS, total_query=TOTAL, window=None, histogram=None
        )
    with pytest.raises(UsageError, match="whole hours"):
        target_from_queries(
            "api", None, error_query=ERRORS, good_query=None, total_query=TOTAL, window="90m", histogram=None
        )


# ---- what is shown ---------------------------------------------------------------------------------


def hostile_target() -> Target:
    return target_from_queries(
        "api",
        "availability",
        error_query=ERRORS.replace('"api"', '"<!channel> `x` @here"'),
        good_query=None,
        total_query=TOTAL,
        window=None,
        histogram=None,
    )


def report_for(target: Target, analysis: Analysis) -> ObjectiveReport:
    from gate.objective.command import _policy_yaml

    return ObjectiveReport(
        target=target,
        evaluated_at=START + 60 * DAY,
        metrics_source="prometheus http://prom.test",
        analysis=analysis,
        sli=target.sli,
        latency=None,
        policy_yaml=_policy_yaml(target, analysis, None, target.sli),
        narrative=None,
    )


def test_the_json_carries_the_interfaces_names() -> None:
    document = json.loads(render_json(report_for(hostile_target(), run_analysis(steady(60, bad=0.4)))))
    assert {"start", "end", "events", "days_low_traffic"} <= set(document["history"])
    candidate = document["candidates"][0]
    assert {
        "objective",
        "windows_total",
        "windows_breached",
        "min_budget_remaining",
        "median_budget_remaining",
        "tier_days",
        "pages",
        "tickets",
    } <= set(candidate)
    assert candidate["tier_days"] == {"50": 31, "25": 31}
    assert set(document["recommended"]) >= {"objective", "why"}
    assert document["findings"] == []


def outside_code(markdown: str) -> str:
    """The Markdown with fenced blocks and inline code spans removed: what renders as markup."""
    kept, fence = [], None
    for line in markdown.splitlines():
        stripped = line.strip()
        if fence is None and stripped.startswith("```"):
            fence = stripped[: len(stripped) - len(stripped.lstrip("`"))]
        elif fence is not None and stripped == fence:
            fence = None
        elif fence is None:
            kept.append(re.sub(r"(`+)(?:(?!\1).)+?\1", "", line))
    return "\n".join(kept)


def test_markdown_shows_hostile_values_only_as_code_never_as_markup() -> None:
    text = render_markdown(report_for(hostile_target(), run_analysis(steady(60, bad=0.4))))
    assert text.count("<!channel>") >= 2  # the query and the policy block show it verbatim...
    shown = outside_code(text)
    assert "<!channel>" not in shown and "@here" not in shown  # ...but never where it would render
    assert "| Engineering | | | |" in text and "| Product | | | |" in text


def test_the_policy_block_is_a_policy_the_gate_loads() -> None:
    report = report_for(hostile_target(), run_analysis(steady(60, bad=0.4)))
    assert report.policy_yaml is not None
    loaded = load_policy_bytes(report.policy_yaml.encode(), "block.yaml")
    slo = loaded.policy.slos[0]
    assert (loaded.policy.service, slo.objective, slo.window) == ("api", 99.946, "30d")
    assert slo.sli.error_query == hostile_target().sli.error_query  # type: ignore[union-attr]
    assert "policy:" in render_text(report)


def test_a_service_name_a_policy_would_refuse_is_refused_up_front() -> None:
    from gate.objective.policy_block import check_names

    with pytest.raises(UsageError, match="service"):
        check_names("bad name!", "availability")


def golden_report() -> ObjectiveReport:
    """60 days at 0.03 % errors, a bad day (1 %) on day 40 and a two-hour outage (20 %) on day 50."""
    counts = steady(60, bad=0.3)
    counts[40 * 24 : 41 * 24] = [(10.0, 1000.0)] * 24
    counts[50 * 24 + 14] = counts[50 * 24 + 15] = (200.0, 1000.0)
    counts[10 * 24 + 3] = None
    target = hostile_target()
    analysis = run_analysis(counts, current=99.95)
    from gate.llm.narrative import Narrative
    from gate.llm.phrase import Phrased
    from gate.objective.narrative import facts_only

    narrative = Phrased(
        "facts", Narrative(text=facts_only(target.service, target.slo, analysis)), note="--no-llm given"
    )
    return dataclasses.replace(report_for(target, analysis), narrative=narrative)


@pytest.mark.parametrize(
    ("name", "render"),
    [("objective.md", render_markdown), ("objective.txt", render_text)],
    ids=["markdown", "text"],
)
def test_golden_objective_document(name: str, render: Callable[[ObjectiveReport], str]) -> None:
    from tests.test_golden import check_golden

    check_golden(name, render(golden_report()))


def loaded(slos: list[dict[str, object]]) -> LoadedPolicy:
    spec = {"apiVersion": "slo-gate/v1", "service": "api", "slos": slos}
    return LoadedPolicy(policy=Policy.model_validate(spec), path="api.yaml", sha256="0" * 64)


def slo(name: str, window: object = "30d") -> dict[str, object]:
    return {
        "name": name,
        "objective": 99.9,
        "window": window,
        "sli": {"error_query": ERRORS, "total_query": TOTAL},
    }


def test_a_policy_with_several_slos_needs_slo_and_a_calendar_month_is_judged_as_30_days() -> None:
    policy = loaded([slo("availability"), slo("billing", {"calendar": "month"})])
    with pytest.raises(UsageError, match=r"2 SLOs \(availability, billing\): choose one with --slo"):
        target_from_policy(policy, None, window=None, histogram=None)
    with pytest.raises(UsageError, match="--slo nope: service api has no such SLO"):
        target_from_policy(policy, "nope", window=None, histogram=None)
    target = target_from_policy(policy, "billing", window=None, histogram=None)
    assert (target.window, target.policy_window, target.current_objective) == (
        "30d",
        CalendarWindow(calendar="month"),
        99.9,
    )
    assert target.tiers == (50.0, 25.0) and target.tier_allows == (("low",), ())
    analysis = run_analysis(steady(40), window_note=target.window_note)
    assert analysis.findings[-1] == Finding(
        "calendar_window", "the calendar month is judged as rolling 30d windows ending at UTC midnights"
    )
    assert target_from_policy(policy, "billing", window="7d", histogram=None).policy_window == "7d"
