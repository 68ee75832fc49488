"""The pure parts of reports and postmortems, table by table: incident edges from minute points,
release capacity, span impact, verdict rules, Slack's limits and escaping, the breakdown query, the
HTML chart, and the Slack client against a loopback webhook and API."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from gate.daily.html import chart, html_escape, render_html
from gate.daily.model import DailyReport, Period, SeriesPoint, ServiceDaily, SLODaily
from gate.daily.render import render_markdown, render_text, sparkline
from gate.daily.slack import digest
from gate.daily.verdict import verdict
from gate.measure import SLOPoint
from gate.models import Alert, SLOBudget
from gate.notify.blocks import header, message, mrkdwn, section
from gate.policy import GateConfig
from gate.postmortem.capacity import release_capacity
from gate.postmortem.impact import span_impact
from gate.postmortem.model import DeployFacts, NarrativeInfo
from gate.postmortem.span import alert_spans, choose, hot, hot_runs, widen

T0 = 1_800_000_000.0  # a whole minute
MIN = 60.0


def point(minute: int, *, fine: float | None, coarse: float | None = None, alert: Alert = "none") -> SLOPoint:
    rates: dict[str, float | None] = {"1m": fine, "5m": coarse if coarse is not None else fine}
    return SLOPoint(
        T0 + minute * MIN,
        SLOBudget(
            name="a", objective=99.9, window="30d", window_seconds=2_592_000, burn_rates=rates, alert=alert
        ),
    )


def seq(*runs: tuple[Alert, int]) -> list[Alert]:
    return [alert for alert, count in runs for _ in range(count)]


def minutes(fine: Sequence[float | None], alerts: Sequence[Alert]) -> list[SLOPoint]:
    return [point(i, fine=f, alert=a) for i, (f, a) in enumerate(zip(fine, alerts, strict=True))]


# ---- incident edges ----------------------------------------------------------------------------


def test_a_spike_reads_from_its_first_bad_minute_to_its_last_not_the_alerts_lag() -> None:
    # minutes 10..56 burn 200x (47 bad minutes); the page holds from 15 to 70
    fine = [0.2] * 10 + [200.0] * 47 + [0.2] * 30
    alerts: list[Alert] = seq(("none", 15), ("page", 56), ("none", 16))
    points = minutes(fine, alerts)
    span = widen(points, alert_spans(points)[0])
    assert (span.start, span.end) == (T0 + 9 * MIN, T0 + 56 * MIN)  # the minute ending at 10 began at 9
    assert span.minutes == 47 and span.resolution == "1m"
    assert span.peak_burn == 200.0 and span.alert is not None and span.alert.page_start == T0 + 15 * MIN


def test_a_quiet_stretch_under_five_minutes_does_not_split_an_incident() -> None:
    fine = [0.2] * 5 + [50.0] * 10 + [0.5] * 4 + [50.0] * 10 + [0.2] * 20
    alerts: list[Alert] = seq(("none", 8), ("page", 30), ("none", 11))
    points = minutes(fine, alerts)
    span = widen(points, alert_spans(points)[0])
    assert (span.start, span.end) == (T0 + 4 * MIN, T0 + 28 * MIN)


def test_without_one_minute_data_the_five_minute_window_stands_in() -> None:
    points = [
        point(i, fine=None, coarse=30.0 if 10 <= i < 30 else 0.1, alert="page" if 15 <= i < 35 else "none")
        for i in range(50)
    ]
    span = widen(points, alert_spans(points)[0])
    assert span.resolution == "5m" and (span.start, span.end) == (T0 + 5 * MIN, T0 + 29 * MIN)


def test_an_alert_without_elevated_minutes_is_its_own_span() -> None:
    alerts: list[Alert] = seq(("none", 5), ("ticket", 10), ("none", 5))
    points = minutes([0.5] * 20, alerts)
    span = widen(points, alert_spans(points)[0])
    assert span.resolution == "alert" and (span.start, span.end) == (T0 + 5 * MIN, T0 + 14 * MIN)


def test_the_alert_span_containing_the_moment_wins_else_the_nearest() -> None:
    alerts: list[Alert] = seq(("page", 5), ("none", 10), ("ticket", 5), ("none", 20))
    points = minutes([1.0] * 40, alerts)
    spans = alert_spans(points)
    assert len(spans) == 2 and spans[1].severity == "ticket"
    assert choose(spans, T0 + 17 * MIN) == spans[1]
    assert choose(spans, T0 + 30 * MIN) == spans[1]
    assert choose(spans, T0 + 8 * MIN) == spans[0]
    assert choose([], T0) is None


# ---- release capacity --------------------------------------------------------------------------

COSTS = {"low": (0.005, "policy"), "medium": (0.02, "policy"), "high": (0.05, "policy")}


@pytest.mark.parametrize(
    ("remaining", "costs", "expected"),
    [
        (0.548, COSTS, {"low": 9, "medium": 2, "high": 0}),  # 4.8 points above the 50 % tier
        (0.30, COSTS, {"low": 9, "medium": 0, "high": 0}),  # 25-50 %: low only
        (0.10, COSTS, {"low": 0, "medium": 0, "high": 0}),  # the last tier allows nothing
        (
            0.55,
            {**COSTS, "medium": (0.025, "m")},
            {"low": 9, "medium": 1, "high": 0},
        ),  # 52.5 > 50, then 50 is not
        (
            0.90,
            {**COSTS, "low": (0.0, "zero")},
            {"low": None, "medium": 19, "high": 7},
        ),  # a free deploy: no limit
    ],
)
def test_deploys_that_fit_before_the_next_tier(
    remaining: float, costs: dict[str, tuple[float, str]], expected: dict[str, int | None]
) -> None:
    capacity = release_capacity(GateConfig(), remaining, costs)
    assert {c.risk: c.fits for c in capacity.per_risk} == expected


def test_the_last_tier_allowing_a_risk_sets_no_limit() -> None:
    gate = GateConfig.model_validate(
        {"tiers": [{"above": 50, "allow": ["low", "medium", "high"]}, {"allow": ["low"]}]}
    )
    capacity = release_capacity(gate, 0.2, COSTS)
    assert [(c.risk, c.allowed, c.fits) for c in capacity.per_risk] == [
        ("low", True, None),
        ("medium", False, 0),
        ("high", False, 0),
    ]
    assert capacity.next_tier is None


# ---- span impact -------------------------------------------------------------------------------


def test_percentages_of_the_window_and_of_the_projected_quarter() -> None:
    impact = span_impact(
        objective=99.9,
        start=0.0,
        end=3000.0,
        span=(500.0, 10_000.0),
        window_label="30d",
        window_events=2_000_000.0,
        quarter=(-7000.0, 13_000.0),  # 10,000 of 20,000 seconds elapsed: the traffic so far doubles
        quarter_events=4_000_000.0,
    )
    assert impact.window_pct == pytest.approx(500 / (0.001 * 2_000_000) * 100)
    assert impact.quarter_projected == pytest.approx(8_000_000)
    assert impact.quarter_pct == pytest.approx(500 / (0.001 * 8_000_000) * 100)
    assert impact.outage_minutes == pytest.approx(0.05 * 50)


def test_no_traffic_is_no_percentage_not_zero() -> None:
    impact = span_impact(
        objective=99.9, start=0, end=60, span=(None, None), window_label="30d", window_events=None,
        quarter=(0, 100), quarter_events=None,
    )  # fmt: skip
    assert (impact.window_pct, impact.quarter_pct, impact.outage_minutes) == (None, None, None)


# ---- verdicts ----------------------------------------------------------------------------------


def slo(left: float | None = 0.8, *, alert: Alert = "none", burn_1d: float = 0.5, ago: float | None = None,
        exhaustion: float | None = None, status: str = "ok") -> SLODaily:  # fmt: skip
    return SLODaily.model_validate(
        {
            "name": "a", "objective": 99.9, "window": "30d", "status": status, "reason": "low traffic" if status != "ok" else None,
            "budget_remaining": left, "budget_remaining_24h_ago": ago, "budget_remaining_7d_ago": None,
            "burn_rates": {"1h": 0.5, "1d": burn_1d}, "alert": alert, "exhaustion_hours": exhaustion, "events": 1e6,
        }
    )  # fmt: skip


@pytest.mark.parametrize(
    ("slos", "incidents", "expected"),
    [
        ([slo()], 0, "healthy"),
        ([slo(burn_1d=1.2)], 0, "watch"),
        ([slo()], 1, "watch"),
        ([slo(0.70, ago=0.81)], 0, "watch"),  # fell 11 points in 24 h
        ([slo(alert="ticket")], 0, "at risk"),  # freeze_on: page
        ([slo(0.40)], 0, "at risk"),  # 25-50 % allows only low
        ([slo(exhaustion=100.0)], 0, "at risk"),
        ([slo(), slo(None, status="inconclusive")], 0, "at risk"),
        ([slo(alert="page")], 0, "frozen"),
        ([slo(-0.2)], 0, "frozen"),  # the last tier allows nothing
    ],
)
def test_verdict_rules(slos: list[SLODaily], incidents: int, expected: str) -> None:
    chosen, reasons = verdict(GateConfig(), slos, incidents)
    assert chosen == expected
    assert bool(reasons) == (expected != "healthy")


def test_a_ticket_freezes_when_the_policy_freezes_on_tickets() -> None:
    assert verdict(GateConfig(freeze_on="ticket"), [slo(alert="ticket")], 0)[0] == "frozen"


# The Slack client, Block Kit limits, mrkdwn and the breakdown query are the watcher's too: their
# tests are tests/test_slack_blocks.py, tests/test_slack_client.py and tests/test_promql_breakdown.py.


# ---- HTML and the sparkline --------------------------------------------------------------------


def daily(values: Sequence[float | None]) -> SLODaily:
    base = slo()
    series = [SeriesPoint(at=T0 + i * 480, budget_remaining=v) for i, v in enumerate(values)]
    return base.model_copy(update={"series": series, "name": "<b>api</b>"})


def test_the_chart_has_one_point_per_measured_step_and_breaks_at_gaps() -> None:
    svg = chart(daily([0.9, 0.8, None, 0.7, 0.6]), T0, T0 + 4 * 480)
    d = svg.split(' d="', 1)[1].split('"', 1)[0]
    assert d.count("M") == 2 and d.count("L") == 2
    assert 'data-points="4"' in svg
    assert "<b>api</b>" not in svg and "&lt;b&gt;api&lt;/b&gt;" in svg
    assert chart(daily([None, None]), T0, T0 + 480) == ""


def test_html_escape_is_one_line_and_inert() -> None:
    assert html_escape('<img src=x onerror="a">\n') == "&lt;img src=x onerror=&quot;a&quot;&gt;\\n"


def test_a_steady_budget_draws_a_flat_sparkline() -> None:
    assert len(set(sparkline([0.9] * 30))) == 1
    assert sparkline([1.0, None, 0.0]) == "█ ▁"
    assert len(sparkline([0.5] * 181)) <= 48


def test_the_digest_payload_is_json() -> None:
    built = message("t", [header("h"), section(mrkdwn("<!here>"))])
    assert "<!here>" not in json.dumps(built.payload())


# ---- the hourly scan ---------------------------------------------------------------------------


def hour(index: int, *, alert: Alert = "none", burn_1h: float = 0.5, burn_6h: float = 0.5) -> SLOPoint:
    rates: dict[str, float | None] = {"1h": burn_1h, "6h": burn_6h, "5m": 0.1}
    budget = SLOBudget(
        name="a", objective=99.9, window="30d", window_seconds=2_592_000, burn_rates=rates, alert=alert
    )
    return SLOPoint(T0 + index * 3600, budget)


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        (hour(0), False),
        (hour(0, alert="ticket"), True),
        (hour(0, burn_1h=7.3), True),  # above half the 1 h page threshold (14.4 / 2): a page may have held
        (hour(0, burn_1h=7.1), False),
        (hour(0, burn_6h=3.1), True),  # above half the 6 h page threshold (6 / 2)
    ],
)
def test_an_hour_is_looked_at_closer_when_a_page_may_have_held_in_it(point: SLOPoint, expected: bool) -> None:
    assert hot(point) is expected


def test_hot_hours_run_together_from_the_hour_before_the_first() -> None:
    points = [hour(0), hour(1, burn_1h=20), hour(2, alert="page"), hour(3), hour(4, alert="ticket")]
    assert hot_runs(points, 3600) == [(T0, T0 + 2 * 3600), (T0 + 3 * 3600, T0 + 4 * 3600)]


# ---- hostile text in every sink ----------------------------------------------------------------

HOSTILE = "<!channel> <@U1> @here <script>alert(1)</script>\n::error::x [link](http://evil) *b*"


def hostile_report() -> DailyReport:
    deploy = DeployFacts(
        id="id<x>", at="2026-11-10T01:00:00Z", at_unix=T0, outcome="pass", deploy=True, risk="low", event="push",
        pr=1, head_sha=None, actor=HOSTILE, overridden=True, override_label="slo-gate/override", override_actor=HOSTILE,
        override_reason=HOSTILE, cost_pct=None, settled=False, minutes_before_onset=0.0, nearest=False,
    )  # fmt: skip
    service = ServiceDaily(
        service="svc", policy="p.yaml", verdict="watch", verdict_reasons=["r"], slos=[daily([0.9, 0.8])],
        deploys=[deploy], passed=1,
    )  # fmt: skip
    period = Period(start="2026-11-09T12:00:00Z", end="2026-11-10T12:00:00Z", start_unix=T0, end_unix=T0 + 480,
                    label="24h", step_seconds=480)  # fmt: skip
    return DailyReport(
        generated_at=period.end, period=period, data="d", metrics_source="m", services=[service],
        narrative=NarrativeInfo(source="model", text=HOSTILE, model="m"), audit="a",
    )  # fmt: skip


def test_hostile_text_is_inert_in_every_format() -> None:
    report = hostile_report()
    text = render_text(report)
    assert "\n::error::" not in text
    markdown = render_markdown(report)
    assert "<script>" not in markdown and "<!channel>" not in markdown and "](http://evil)" not in markdown
    assert "@here" not in markdown  # a zero-width space keeps GitHub from notifying anyone
    page = render_html(report)
    assert "<script>" not in page and "&lt;script&gt;" in page
    payload = json.dumps(digest(report).payload())
    assert "<!channel>" not in payload and "<@U1>" not in payload and "<script>" not in payload
