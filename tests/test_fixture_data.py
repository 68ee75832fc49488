"""The real-Prometheus fixture serves exactly the data the generator describes.

Tolerance: every window below ends at a sample (END_TIME) and starts on one (window edges are
multiples of the 300 s / 60 s sample steps), and Prometheus 2.x range selectors are closed on both
ends, so ``increase()`` sees samples exactly at both edges and does not extrapolate: the result is
``last - first`` (+ reset corrections), which equals the analytic integral up to float rounding.
Hence a relative tolerance of 1e-9. The one test whose window is deliberately off the sample grid
checks Prometheus' extrapolation formula instead.
"""

from __future__ import annotations

import itertools
import math

import pytest

from tests.promfixture.scenarios import (
    DAY,
    END_TIME,
    HOUR,
    MINUTE,
    OCTOBER_START,
    SCENARIOS,
    sample_times,
)
from tests.promfixture.server import FixturePrometheus

REL = 1e-9
WINDOWS = {"5m": 5 * MINUTE, "30m": 30 * MINUTE, "1h": HOUR, "2h": 2 * HOUR, "6h": 6 * HOUR}
WINDOWS |= {"1d": DAY, "3d": 3 * DAY, "30d": 30 * DAY}
ERR = ',code=~"5.."'
OK = ',code="200"'
WITH_DATA = [name for name, s in SCENARIOS.items() if s.has_data]
WITH_ERRORS = [name for name, s in SCENARIOS.items() if s.has_data and s.has_error_series]


def _sel(job: str, extra: str = "") -> str:
    return f'http_requests_total{{job="{job}"{extra}}}'


# ---- the generator itself (pure) -------------------------------------------------------------


def test_time_grid_is_fixed_and_ends_exactly_at_end_time() -> None:
    times = sample_times()
    assert END_TIME == 1792497600  # 2026-10-20T12:00:00Z
    assert times[0] == END_TIME - 35 * DAY
    assert times[-1] == END_TIME
    assert times[-1] - times[-2] == 60
    assert times[1] - times[0] == 300
    assert all(b > a for a, b in itertools.pairwise(times))


@pytest.mark.parametrize(
    ("name", "low", "high", "alert"),
    [
        ("checkout", 0.8, 0.9, "none"),
        ("payments", 0.25, 0.5, "none"),
        ("search", 0.5, 1.0, "page"),
        ("ledger", -math.inf, 0.0, "ticket"),
        ("inventory", 0.0, 1.0, "ticket"),
        ("sessions", 0.0, 1.0, "none"),
        ("static", 1.0, 1.0, "none"),
        ("uneven", 0.3, 0.5, "none"),
        ("billing", 0.1, 0.3, "none"),
    ],
)
def test_scenario_budget_shapes(name: str, low: float, high: float, alert: str) -> None:
    s = SCENARIOS[name]
    assert low <= s.remaining_budget() <= high
    assert s.expected_alert() == alert


def test_scenario_details() -> None:
    s = SCENARIOS
    # search: page on both fast windows
    assert s["search"].burn_rate(HOUR) > 14.4
    assert s["search"].burn_rate(5 * MINUTE) > 14.4
    # payments: no burn over 1 in the last 3 days
    assert max(s["payments"].burn_rate(w) for w in WINDOWS.values()) <= 1
    # inventory: slow burn only
    inv = s["inventory"]
    assert inv.burn_rate(3 * DAY) > 1
    assert inv.burn_rate(6 * HOUR) > 1
    assert inv.burn_rate(HOUR) < 14.4 / 2
    assert inv.burn_rate(6 * HOUR) < 6
    # ledger: overspent but no fast burn
    assert s["ledger"].remaining_budget() == pytest.approx(-0.6)
    assert s["ledger"].burn_rate(HOUR) < 6
    # sessions: >= 3 resets, one in the last hour and one in the last 6 h (but before the last hour)
    resets = s["sessions"].resets
    assert len(resets) >= 3
    assert any(END_TIME - HOUR < r < END_TIME for r in resets)
    assert any(END_TIME - 6 * HOUR < r <= END_TIME - HOUR for r in resets)
    assert set(resets) <= set(sample_times())
    # cron: ~100 requests in 30 days
    assert s["cron"].expected_increase("total", END_TIME - 30 * DAY, END_TIME) == pytest.approx(100)
    # checkout latency SLO (99% under 0.3 s): remaining 0.6
    assert 1 - (1 - s["checkout"].latency_fraction("0.3")) / 0.01 == pytest.approx(0.6)
    # billing: month-to-date and rolling 30d clearly differ
    billing = s["billing"]
    assert billing.remaining_budget_since(OCTOBER_START) == pytest.approx(0.8)
    assert billing.remaining_budget() < 0.3
    # static has no error series; absent has nothing
    assert [x.what for x in s["static"].series()] == ["200"]
    assert s["absent"].series() == []
    assert math.isnan(s["absent"].error_ratio(30 * DAY))


def test_uneven_documents_both_numbers() -> None:
    u = SCENARIOS["uneven"]
    ros = u.documented["ratio_of_sums_30d"]
    aor = u.documented["average_of_hourly_ratios_30d"]
    # day 12h x 100/s x 0.01% + night 12h x 1/s x 5%  over  12h x 101/s
    assert ros == pytest.approx((100 * 0.0001 + 1 * 0.05) / 101)
    assert aor == pytest.approx((0.0001 + 0.05) / 2)
    assert aor / ros > 40


# ---- against the real Prometheus ---------------------------------------------------------------


def test_series_inventory(prometheus: FixturePrometheus) -> None:
    result = prometheus.query('count by (job) ({__name__=~"http_.*"})')
    counts = {r["metric"]["job"]: int(r["value"][1]) for r in result}
    expected = {name: len(s.series()) for name, s in SCENARIOS.items() if s.has_data}
    assert counts == expected
    assert counts["checkout"] == 7  # 2 request codes + 4 buckets + count
    assert counts["static"] == 1


@pytest.mark.parametrize("name", WITH_DATA)
@pytest.mark.parametrize("window", ["5m", "1h", "6h", "3d", "30d"])
def test_increase_matches_generator(prometheus: FixturePrometheus, name: str, window: str) -> None:
    s = SCENARIOS[name]
    seconds = WINDOWS[window]
    start = END_TIME - seconds
    for what, extra in (("total", ""), ("errors", ERR), ("good", OK)):
        expected = s.expected_increase(what, start, END_TIME)
        result = prometheus.query(f"sum(increase({_sel(s.job, extra)}[{window}]))")
        if what == "errors" and not s.has_error_series:
            assert result == []
            continue
        assert len(result) == 1
        got = float(result[0]["value"][1])
        assert got == pytest.approx(expected, rel=REL, abs=1e-9), (what, window)


@pytest.mark.parametrize("name", WITH_ERRORS)
def test_burn_rates_match_generator(prometheus: FixturePrometheus, name: str) -> None:
    s = SCENARIOS[name]
    for window, seconds in WINDOWS.items():
        expr = f"sum(rate({_sel(s.job, ERR)}[{window}])) / sum(rate({_sel(s.job)}[{window}]))"
        got = prometheus.query_value(expr) / s.error_budget
        assert got == pytest.approx(s.burn_rate(seconds), rel=1e-6), window


def test_fast_burn_and_slow_burn_seen_by_prometheus(prometheus: FixturePrometheus) -> None:
    def burn(job: str, window: str) -> float:
        err = _sel(job, ',code=~"5.."')
        return (
            prometheus.query_value(f"sum(rate({err}[{window}])) / sum(rate({_sel(job)}[{window}]))") / 0.001
        )

    assert burn("search", "1h") > 14.4
    assert burn("search", "5m") > 14.4
    assert burn("inventory", "3d") > 1
    assert burn("inventory", "6h") > 1
    assert burn("inventory", "1h") < 14.4
    assert burn("inventory", "6h") < 6
    assert burn("payments", "3d") <= 1
    assert burn("payments", "1h") <= 1


def test_counter_resets(prometheus: FixturePrometheus) -> None:
    s = SCENARIOS["sessions"]
    for window, seconds in (("30d", 30 * DAY), ("6h", 6 * HOUR), ("1h", HOUR)):
        n = sum(1 for r in s.resets if END_TIME - seconds <= r < END_TIME)
        result = prometheus.query(f"resets({_sel('sessions')}[{window}])")
        assert sorted(r["metric"]["code"] for r in result) == ["200", "500"]
        assert all(int(float(r["value"][1])) == n for r in result), window
        assert n >= (5 if window == "30d" else 1)
    # the raw counter really dropped: the last sample is only 30 minutes' worth of requests
    raw = prometheus.query_value(f"{_sel('sessions', OK)}")
    assert raw == pytest.approx(30 * MINUTE * 10 * (1 - 0.0005))
    # and yet the 30d ratio is exactly what the rates imply
    ratio = prometheus.query_value(
        f"sum(increase({_sel('sessions', ERR)}[30d])) / sum(increase({_sel('sessions')}[30d]))"
    )
    assert ratio == pytest.approx(0.0005, rel=REL)


def test_static_has_no_error_series_but_traffic(prometheus: FixturePrometheus) -> None:
    assert prometheus.query(_sel("static", ',code=~"5.."')) == []
    total = prometheus.query_value(f"sum(increase({_sel('static')}[30d]))")
    assert total == pytest.approx(
        SCENARIOS["static"].expected_increase("total", END_TIME - 30 * DAY, END_TIME)
    )
    assert total > 1e7


def test_absent_job_returns_empty_vectors(prometheus: FixturePrometheus) -> None:
    assert prometheus.query(_sel("absent")) == []
    assert prometheus.query(f"sum(increase({_sel('absent')}[30d]))") == []
    assert prometheus.query('{job="absent"}') == []


def test_low_traffic_cron(prometheus: FixturePrometheus) -> None:
    total = prometheus.query_value(f"sum(increase({_sel('cron')}[30d]))")
    assert total == pytest.approx(100, rel=REL)
    assert total < 1000  # below the example policies' min_events


def test_latency_histogram_is_cumulative(prometheus: FixturePrometheus) -> None:
    s = SCENARIOS["checkout"]
    bounds = ["0.1", "0.3", "1", "+Inf"]
    raw = {
        r["metric"]["le"]: float(r["value"][1])
        for r in prometheus.query('http_request_duration_seconds_bucket{job="checkout"}')
    }
    assert set(raw) == set(bounds)
    values = [raw[b] for b in bounds]
    assert values == sorted(values)
    assert values[0] < values[-1]
    count = prometheus.query_value('http_request_duration_seconds_count{job="checkout"}')
    assert raw["+Inf"] == pytest.approx(count, rel=REL)
    # 30d: counts per bucket match the generator, and the 0.3 s SLO sees 99.6% good
    for le in bounds:
        got = prometheus.query_value(
            f'sum(increase(http_request_duration_seconds_bucket{{job="checkout",le="{le}"}}[30d]))'
        )
        assert got == pytest.approx(s.expected_increase(f"le:{le}", END_TIME - 30 * DAY, END_TIME), rel=REL)
    good = prometheus.query_value(
        'sum(increase(http_request_duration_seconds_bucket{job="checkout",le="0.3"}[30d])) '
        '/ sum(increase(http_request_duration_seconds_count{job="checkout"}[30d]))'
    )
    assert good == pytest.approx(0.996, rel=REL)
    p99 = prometheus.query_value(
        "histogram_quantile(0.99, sum by (le) "
        '(rate(http_request_duration_seconds_bucket{job="checkout"}[30d])))'
    )
    assert 0.1 < p99 <= 0.3
    # histogram count equals the request counter
    requests = prometheus.query_value(f"sum(increase({_sel('checkout')}[30d]))")
    assert requests == pytest.approx(s.expected_increase("count", END_TIME - 30 * DAY, END_TIME), rel=REL)


def test_uneven_ratio_of_sums_differs_from_average_of_ratios(prometheus: FixturePrometheus) -> None:
    u = SCENARIOS["uneven"]
    err = _sel("uneven", ',code=~"5.."')
    tot = _sel("uneven")
    ratio_of_sums = prometheus.query_value(f"sum(increase({err}[30d])) / sum(increase({tot}[30d]))")
    avg_of_ratios = prometheus.query_value(
        f"avg_over_time((sum(rate({err}[1h])) / sum(rate({tot}[1h])))[30d:1h])"
    )
    assert ratio_of_sums == pytest.approx(u.documented["ratio_of_sums_30d"], rel=REL)
    # Prometheus 2.x evaluates the subquery at every whole hour in [T-30d, T], both ends included
    # (721 points); the documented figure averages the 720 in (T-30d, T], 0.14% apart.
    points = [u.error_ratio(HOUR, END_TIME - 30 * DAY + h * HOUR) for h in range(721)]
    assert avg_of_ratios == pytest.approx(sum(points) / len(points), rel=1e-9)
    assert avg_of_ratios == pytest.approx(u.documented["average_of_hourly_ratios_30d"], rel=0.01)
    assert avg_of_ratios / ratio_of_sums > 40


def test_billing_month_to_date_differs_from_rolling(prometheus: FixturePrometheus) -> None:
    b = SCENARIOS["billing"]
    since = END_TIME - OCTOBER_START
    assert since == 19 * DAY + 12 * HOUR
    err = _sel("billing", ',code=~"5.."')
    tot = _sel("billing")
    mtd = prometheus.query_value(f"sum(increase({err}[{since}s])) / sum(increase({tot}[{since}s]))")
    rolling = prometheus.query_value(f"sum(increase({err}[30d])) / sum(increase({tot}[30d]))")
    assert 1 - mtd / b.error_budget == pytest.approx(b.remaining_budget_since(OCTOBER_START), rel=1e-6)
    assert 1 - rolling / b.error_budget == pytest.approx(b.remaining_budget(), rel=1e-6)
    assert (1 - mtd / b.error_budget) - (1 - rolling / b.error_budget) > 0.5


def test_instant_query_at_end_time_sees_the_last_sample(prometheus: FixturePrometheus) -> None:
    s = SCENARIOS["checkout"]
    got = prometheus.query_value(_sel("checkout", ',code="200"'))
    assert got == pytest.approx(s.expected_increase("200", END_TIME - 35 * DAY, END_TIME), rel=REL)
    # one second later the lookback delta still returns the END_TIME sample; 6 minutes later nothing
    assert prometheus.query_value(_sel("checkout", ',code="200"'), at=END_TIME + 1) == got
    assert prometheus.query(_sel("checkout", ',code="200"'), at=END_TIME + 6 * MINUTE) == []


def test_off_grid_window_follows_prometheus_extrapolation(prometheus: FixturePrometheus) -> None:
    """A 1h window shifted half a step off the 300 s grid: Prometheus extrapolates the sampled
    increase to the whole window (edges are within 1.1 average intervals)."""
    s = SCENARIOS["payments"]
    at = END_TIME - 10 * DAY + 150
    first, last = at - HOUR + 150, at - 150
    sampled = s.expected_increase("total", first, last)
    expected = sampled * HOUR / (last - first)
    got = prometheus.query_value(f"sum(increase({_sel('payments')}[1h]))", at=at)
    assert got == pytest.approx(expected, rel=1e-9)
    # and the true increase differs from that by less than one step's share of the window
    truth = s.expected_increase("total", at - HOUR, at)
    assert got == pytest.approx(truth, rel=300 / HOUR)
