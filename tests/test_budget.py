"""DESIGN §3 budget math, table-driven. Every expected figure is derived from the formulas by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gate import budget
from gate.models import WindowCounts
from gate.policy import CalendarWindow

DAY = 86400.0
P30 = 30 * DAY


def counts(**windows: tuple[float | None, float | None]) -> dict[str, WindowCounts]:
    return {
        name: WindowCounts(window=name, seconds=0.0, bad=bad, total=total)
        for name, (bad, total) in windows.items()
    }


def spec(
    objective: float = 99.9, period: float = P30, min_events: int = 0, per_second: bool = False
) -> budget.SLOInput:
    return budget.SLOInput(
        name="availability",
        objective=objective,
        window=budget.SLOWindow("30d", period, period),
        min_events=min_events,
        events_per_second=per_second,
    )


def test_error_budget() -> None:
    assert budget.error_budget(99.9) == pytest.approx(0.001)
    assert budget.error_budget(99.95) == pytest.approx(0.0005)


@pytest.mark.parametrize(
    ("days", "expected"),
    [(30, (14.4, 6.0, 3.0, 1.0)), (28, (13.44, 5.6, 2.8, 0.9333333))],
)
def test_alert_thresholds_scale_with_the_window(days: int, expected: tuple[float, ...]) -> None:
    got = tuple(rule.threshold(days * DAY) for rule in budget.ALERT_RULES)
    assert got == pytest.approx(expected)


def test_budget_cost_of_a_page_hour_is_two_percent() -> None:
    assert budget.budget_cost(14.4, 3600, P30) == pytest.approx(0.02)


def test_remaining_burn_and_exhaustion() -> None:
    # r(30d) = 50/100000 = 0.0005 -> remaining = 1 - 0.5 = 0.5; r(1h) = 2/1000 -> b = 2 -> 0.5*720h/2 = 180h
    result = budget.evaluate_slo(
        spec(),
        counts(slo=(50, 100_000), **{"5m": (0, 100), "1h": (2, 1000), "6h": (3, 6000), "3d": (30, 50_000)}),
    )
    assert result.status == "ok"
    assert result.budget_remaining == pytest.approx(0.5)
    assert result.error_ratio == pytest.approx(0.0005)
    assert result.burn_rates["1h"] == pytest.approx(2.0)
    assert result.burn_rates["5m"] == pytest.approx(0.0)
    assert result.burn_rates["6h"] == pytest.approx(0.5)
    assert result.burn_rates["3d"] == pytest.approx(0.6)
    assert result.burn_rates["30m"] is None  # window not measured
    assert result.exhaustion_hours == pytest.approx(180.0)
    assert result.alert == "none"
    assert result.events == 100_000


def test_ratio_of_sums_not_average_of_ratios() -> None:
    # Two halves: 1000 req at 0.1% and 10 req at 50%: sums give 6/1010, averaging ratios would give 0.2505.
    result = budget.evaluate_slo(spec(), counts(slo=(1 + 5, 1000 + 10)))
    assert result.error_ratio == pytest.approx(6 / 1010)


@pytest.mark.parametrize(
    ("burns", "alert"),
    [
        ({"1h": 15, "5m": 15}, "page"),
        ({"1h": 15, "5m": 14}, "none"),
        ({"1h": 14, "5m": 20}, "none"),
        ({"6h": 6.5, "30m": 7}, "page"),
        ({"6h": 6.5, "30m": 5}, "none"),
        ({"1d": 3.5, "2h": 4}, "ticket"),
        ({"3d": 1.2, "6h": 1.1}, "ticket"),
        ({"3d": 1.2, "6h": 0.9}, "none"),
        ({"3d": 2, "6h": 7, "30m": 7}, "page"),  # page wins over ticket
    ],
)
def test_multiwindow_alerts(burns: dict[str, float], alert: str) -> None:
    got, reasons = budget.evaluate_alerts({k: float(v) for k, v in burns.items()}, P30)
    assert got == alert
    assert (len(reasons) > 0) == (alert != "none")


def test_alert_uses_scaled_thresholds_for_28d() -> None:
    # 14.0 is above the 28d threshold 13.44 but below the 30d threshold 14.4.
    assert budget.evaluate_alerts({"1h": 14.0, "5m": 14.0}, 28 * DAY)[0] == "page"
    assert budget.evaluate_alerts({"1h": 14.0, "5m": 14.0}, P30)[0] == "none"


def test_overspent_is_negative_and_exhausted() -> None:
    result = budget.evaluate_slo(spec(), counts(slo=(160, 100_000), **{"1h": (1, 1000)}))
    assert result.budget_remaining == pytest.approx(-0.6)
    assert result.exhaustion_hours == 0.0


def test_not_burning_has_no_exhaustion_time() -> None:
    result = budget.evaluate_slo(spec(), counts(slo=(10, 100_000), **{"1h": (0, 1000)}))
    assert result.exhaustion_hours is None


def test_error_series_absent_reads_as_zero_errors() -> None:
    result = budget.evaluate_slo(spec(), counts(slo=(None, 100_000)))
    assert result.status == "ok"
    assert result.budget_remaining == pytest.approx(1.0)


def test_absent_total_is_inconclusive() -> None:
    result = budget.evaluate_slo(spec(), counts(slo=(None, None)))
    assert result.status == "inconclusive"
    assert result.reason is not None and "no data" in result.reason
    assert result.budget_remaining is None


def test_zero_traffic_is_inconclusive() -> None:
    result = budget.evaluate_slo(spec(), counts(slo=(0, 0)))
    assert result.status == "inconclusive"
    assert result.reason == "no traffic over 30d"


def test_min_events_with_per_second_rates() -> None:
    # A rate of 0.0003/s over 30 days is 777.6 events, below min_events 1000.
    result = budget.evaluate_slo(spec(min_events=1000, per_second=True), counts(slo=(0, 0.0003)))
    assert result.events == pytest.approx(777.6)
    assert result.status == "inconclusive"
    assert result.reason is not None and "778 events" in result.reason and "min_events 1000" in result.reason
    assert result.budget_remaining == pytest.approx(1.0)  # still shown, but not trusted


def test_short_window_without_traffic_has_no_burn_rate() -> None:
    result = budget.evaluate_slo(spec(), counts(slo=(1, 10_000), **{"5m": (0, 0), "1h": (None, None)}))
    assert result.burn_rates["5m"] is None
    assert result.burn_rates["1h"] is None


def ts(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("kind", "at", "start", "end"),
    [
        ("month", ts(2026, 10, 20, 12), ts(2026, 10, 1), ts(2026, 11, 1)),
        ("month", ts(2026, 12, 31, 23, 59), ts(2026, 12, 1), ts(2027, 1, 1)),
        ("month", ts(2028, 2, 10), ts(2028, 2, 1), ts(2028, 3, 1)),
        ("quarter", ts(2026, 10, 20, 12), ts(2026, 10, 1), ts(2027, 1, 1)),
        ("quarter", ts(2026, 3, 31), ts(2026, 1, 1), ts(2026, 4, 1)),
        ("quarter", ts(2026, 4, 1), ts(2026, 4, 1), ts(2026, 7, 1)),
    ],
)
def test_calendar_bounds(kind: str, at: float, start: float, end: float) -> None:
    assert budget.calendar_bounds(CalendarWindow.model_validate({"calendar": kind}), at) == (start, end)


def test_calendar_window_measures_since_period_start() -> None:
    window = budget.slo_window(CalendarWindow(calendar="month"), ts(2026, 10, 20, 12))
    assert window.measured_seconds == pytest.approx(19.5 * DAY)
    assert window.period_seconds == pytest.approx(31 * DAY)
    assert window.label == "calendar month"


def test_rolling_window() -> None:
    window = budget.slo_window("28d", 0.0)
    assert window.period_seconds == window.measured_seconds == 28 * DAY


# ---- garbage counts: inconclusive in every window, never a budget --------------------------------


@pytest.mark.parametrize(
    ("windows", "fragments"),
    [
        ({"slo": (-50, 100)}, ["over 30d", "bad -50 of total 100", "negative"]),
        ({"slo": (10, -100)}, ["over 30d", "total -100", "negative"]),
        ({"slo": (150, 100)}, ["over 30d", "more bad events than events"]),
        ({"slo": (float("nan"), 100)}, ["over 30d", "bad nan"]),
        ({"slo": (1, 10_000), "5m": (-50, 100)}, ["over 5m", "bad -50 of total 100"]),
        ({"slo": (1, 10_000), "1h": (0, -3)}, ["over 1h", "total -3"]),
        ({"slo": (1, 10_000), "3d": (5, None)}, ["over 3d", "bad 5 of total none"]),
        ({"slo": (1, 10_000), "6h": (0, float("inf"))}, ["over 6h", "total inf"]),
    ],
    ids=[
        "negative-errors",
        "negative-total",
        "errors-above-total",
        "nan-errors",
        "negative-errors-in-a-burn-window",
        "negative-total-in-a-burn-window",
        "errors-without-a-total",
        "infinite-total-in-a-burn-window",
    ],
)
def test_implausible_counts_make_the_slo_inconclusive(
    windows: dict[str, tuple[float | None, float | None]], fragments: list[str]
) -> None:
    result = budget.evaluate_slo(spec(), counts(**windows))
    assert result.status == "inconclusive"
    assert result.budget_remaining is None and result.alert == "none"
    assert result.reason is not None and result.reason.startswith("implausible counts over ")
    for fragment in fragments:
        assert fragment in result.reason


def test_negative_errors_would_otherwise_read_as_a_budget_above_100_percent() -> None:
    # r = -50/100 = -0.5; 1 - (-0.5)/0.001 = 501: the number the gate used to trust.
    result = budget.evaluate_slo(spec(), counts(slo=(-50, 100)))
    assert result.budget_remaining is None
    assert budget.implausible(WindowCounts(window="slo", seconds=0.0, bad=0, total=0)) is None
    assert budget.implausible(WindowCounts(window="slo", seconds=0.0, bad=None, total=None)) is None
