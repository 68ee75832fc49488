"""`slo-gate objective` against a real Prometheus backfilled with 90 days of hourly counters
(tests/promfixture/objective.py): every figure of the backtest is recomputed here, independently,
from the generator's own hourly counts (plain loops over days and hours, thresholds written out from
DESIGN §3), and the recommender must match them exactly (pages within one, at window boundaries).
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

import pytest

from gate import measure
from gate.errors import DataError
from gate.objective.history import read_buckets, read_hours
from gate.objective.target import Histogram
from gate.policy import SLI
from gate.policy_load import load_policy_bytes
from gate.prometheus import PrometheusClient, PrometheusSettings
from tests.conftest import require
from tests.promfixture import objective as data
from tests.promfixture.server import FixturePrometheus, find_binaries, running_fixture_prometheus
from tests.support.cli import run_cli
from tests.support.fake_anthropic import FakeAnthropic, answer
from tests.support.httpstub import HTTPStub, Reply

DAY = 86400
HOUR = 3600
AT = "2026-10-20T06:30:00Z"  # mid-morning: the history ends at the midnight before
ERRORS = 'sum(rate(http_requests_total{{job="{job}",code=~"5.."}}[{{{{.window}}}}]))'
TOTAL = 'sum(rate(http_requests_total{{job="{job}"}}[{{{{.window}}}}]))'
KEY = "sk-ant-api03-" + "o" * 40


@pytest.fixture(scope="session")
def objective_prometheus() -> Iterator[FixturePrometheus]:
    """A real Prometheus on the objective dataset (its own cached TSDB and process)."""
    require("Prometheus", find_binaries)
    with running_fixture_prometheus(dataset=data.OBJECTIVE) as prom:
        yield prom


def queries(job: str) -> list[str]:
    return ["--sli-error", ERRORS.format(job=job), "--sli-total", TOTAL.format(job=job)]


def objective(
    prom: FixturePrometheus, *args: str, env: dict[str, str | None] | None = None
) -> tuple[int, str]:
    result = run_cli("objective", "--prometheus-url", prom.url, "--at", AT, *args, env=env)
    return result.exit_code, result.output


def objective_json(prom: FixturePrometheus, *args: str, **options: Any) -> dict[str, Any]:
    code, output = objective(prom, *args, "--format", "json", "--no-llm", **options)
    assert code == 0, output
    document: dict[str, Any] = json.loads(output)
    return document


# ---- the truth, from the generator -------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    objective: float
    windows: int
    breached: int
    min_left: float
    min_at: int
    median_left: float
    tier_days: dict[str, int]
    pages: int
    page_hours: int
    tickets: int
    ticket_hours: int


def windows_of(job: str, days: int = 30) -> list[tuple[int, float, float]]:
    """(end, bad, total) of each rolling window ending at a UTC midnight, from the generator's hours."""
    hours = data.hourly(job)
    out = []
    for end_day in range(days, data.DAYS + 1):
        chosen = [h for h in hours[(end_day - days) * 24 : end_day * 24] if h[2] is not None]
        out.append(
            (data.START + end_day * DAY, sum(h[1] or 0 for h in chosen), sum(h[2] or 0 for h in chosen))
        )
    return out


def alert_runs(job: str, budget: float, rules: list[tuple[int, int, float]]) -> tuple[int, int]:
    """Runs of hours (and hours) where any (long hours, short hours, threshold) rule fires."""
    hours = data.hourly(job)

    def burn(last: int, count: int) -> float | None:
        if last + 1 < count:
            return None
        span = [h for h in hours[last + 1 - count : last + 1] if h[2] is not None]
        total = sum(h[2] or 0 for h in span)
        return None if total <= 0 else sum(h[1] or 0 for h in span) / total / budget

    runs = firing = 0
    previous = False
    for index in range(len(hours)):
        fired = False
        for long, short, threshold in rules:
            a, b = burn(index, long), burn(index, short)
            fired |= a is not None and b is not None and a > threshold and b > threshold
        if fired:
            firing += 1
            runs += not previous
        previous = fired
    return runs, firing


def expected(job: str, objective: float) -> Expected:
    budget = 1 - objective / 100
    left = [(1 - bad / total / budget, end) for end, bad, total in windows_of(job)]
    worst = min(left)
    # DESIGN §3 for 30 days, 5m and 30m read over the last hour at hourly resolution
    pages = alert_runs(job, budget, [(1, 1, 14.4), (6, 1, 6.0)])
    tickets = alert_runs(job, budget, [(24, 2, 3.0), (72, 6, 1.0)])
    return Expected(
        objective=objective,
        windows=len(left),
        breached=sum(1 for v, _ in left if v < 0),
        min_left=worst[0],
        min_at=worst[1],
        median_left=statistics.median(v for v, _ in left),
        tier_days={"50": sum(1 for v, _ in left if v <= 0.5), "25": sum(1 for v, _ in left if v <= 0.25)},
        pages=pages[0],
        page_hours=pages[1],
        tickets=tickets[0],
        ticket_hours=tickets[1],
    )


def headroom(job: str) -> float:
    worst = max(bad / total for _, bad, total in windows_of(job))
    budget = Decimal(repr(worst)) / Decimal("0.75")
    exponent = budget.adjusted() - 1
    rounded = (budget / Decimal(10) ** exponent).to_integral_value(ROUND_CEILING) * Decimal(10) ** exponent
    return float(Decimal(100) - rounded * 100)


def by_objective(document: dict[str, Any]) -> dict[float, dict[str, Any]]:
    return {c["objective"]: c for c in document["candidates"]}


# ---- reading ---------------------------------------------------------------------------------------


def test_every_hour_reads_what_the_generator_wrote_and_gaps_stay_gaps(
    objective_prometheus: FixturePrometheus,
) -> None:
    sli = SLI(error_query=ERRORS.format(job="steady"), total_query=TOTAL.format(job="steady"))
    with PrometheusClient(PrometheusSettings(url=objective_prometheus.url)) as client:
        hours = read_hours(sli, client, data.START, data.END, None)
    truth = data.hourly("steady")
    assert [h.end for h in hours] == [t[0] for t in truth]
    for hour, (_, bad, total) in zip(hours, truth, strict=True):
        if total is None:
            assert hour.total is None and hour.problem
        else:
            assert hour.total == pytest.approx(total, rel=1e-9) and hour.bad == pytest.approx(bad, abs=1e-6)
    assert sum(1 for h in hours if h.total is None) == 6


def test_a_long_span_is_split_under_the_points_limit_and_reads_the_same(
    objective_prometheus: FixturePrometheus, monkeypatch: pytest.MonkeyPatch
) -> None:
    sli = SLI(error_query=ERRORS.format(job="sparse"), total_query=TOTAL.format(job="sparse"))
    calls: list[tuple[float, float]] = []
    with PrometheusClient(PrometheusSettings(url=objective_prometheus.url)) as client:
        whole = read_hours(sli, client, data.START, data.END, None)
        original = client.range

        def counting(expr: str, start: float, end: float, step: float, *, tenant: str | None = None) -> Any:
            calls.append((start, end))
            return original(expr, start, end, step, tenant=tenant)

        monkeypatch.setattr(client, "range", counting)
        monkeypatch.setattr(measure, "MAX_POINTS_PER_QUERY", 500)
        split = read_hours(sli, client, data.START, data.END, None)
    assert len(calls) == math.ceil(data.HOURS / 500) and all((e - s) / HOUR < 500 for s, e in calls)
    assert split == whole


# ---- the backtest ----------------------------------------------------------------------------------


def test_the_history_counts_days_events_and_quiet_days_from_the_generator(
    objective_prometheus: FixturePrometheus,
) -> None:
    document = objective_json(objective_prometheus, *queries("steady"), "--service", "steady")
    history = document["history"]
    truth = [h for h in data.hourly("steady") if h[2] is not None]
    assert (history["start"], history["end"]) == ("2026-07-22T00:00:00Z", "2026-10-20T00:00:00Z")
    assert history["events"] == pytest.approx(sum(h[2] or 0 for h in truth), rel=1e-9)
    assert history["bad_events"] == pytest.approx(sum(h[1] or 0 for h in truth), rel=1e-9)
    assert (history["days"], history["hours"], history["hours_missing"]) == (90, 2160, 6)
    assert history["days_low_traffic"] == 1
    assert history["low_traffic_days"] == ["2026-08-11"]  # day 20: the maintenance day
    assert history["gap_days"] == [{"date": "2026-08-24", "missing_hours": 6}]  # day 33
    assert len(history["windows"]) == 61
    kinds = [f["kind"] for f in document["findings"]]
    assert kinds == ["low_traffic_days", "gaps"]


def test_every_candidate_matches_the_backtest_computed_from_the_generator(
    objective_prometheus: FixturePrometheus,
) -> None:
    document = objective_json(objective_prometheus, *queries("steady"), "--service", "steady")
    candidates = by_objective(document)
    room = headroom("steady")
    # 99.99 % was never met by any window: it is not a candidate
    assert list(candidates) == [99.95, 99.9, room, 99.5, 99.0] and room == 99.89
    assert candidates[room]["labels"] == ["headroom"]
    for objective, got in candidates.items():
        want = expected("steady", objective)
        assert (got["windows_total"], got["windows_breached"]) == (want.windows, want.breached), objective
        assert got["min_budget_remaining"] == pytest.approx(want.min_left, abs=1e-9)
        assert got["min_budget_at"] == f"{_day(want.min_at)}T00:00:00Z"
        assert got["median_budget_remaining"] == pytest.approx(want.median_left, abs=1e-9)
        assert got["tier_days"] == want.tier_days, objective
        assert abs(got["pages"] - want.pages) <= 1, objective
        assert got["page_hours"] == want.page_hours and got["ticket_hours"] == want.ticket_hours
        assert got["tickets"] == want.tickets, objective
        assert got["budget_minutes"] == pytest.approx((1 - objective / 100) * 30 * 24 * 60)
    # the scenario itself: the two-hour outage pages once at 99.9 %; the bad week breaches 99.95 %
    assert expected("steady", 99.9).pages == 1 and expected("steady", 99.9).page_hours == 2
    assert expected("steady", 99.95).breached == 30


def _day(at: int) -> str:
    from gate.times import iso

    return iso(at)[:10]


def test_the_recommendation_is_the_candidate_the_rule_selects(
    objective_prometheus: FixturePrometheus,
) -> None:
    document = objective_json(objective_prometheus, *queries("steady"), "--service", "steady")
    qualifying = []
    for objective in by_objective(document):
        want = expected("steady", objective)
        pages_a_month = want.pages * 30 / 90
        if (
            (want.windows - want.breached) / want.windows >= 0.95
            and want.median_left >= 0.25
            and pages_a_month < 2
        ):
            qualifying.append(objective)
    assert document["recommended"]["objective"] == max(qualifying) == 99.9
    why = document["recommended"]["why"]
    assert "61 rolling 30d windows" in why
    not_chosen = {n["objective"]: n["why"] for n in document["recommended"]["not_chosen"]}
    assert "met in 50.8 % of the 61 rolling windows (needs 95 %)" in not_chosen[99.95]
    assert not_chosen[99.5] == "meets the rule too, but 99.9 % is tighter"


def test_a_policy_judges_its_own_slo_and_reports_its_current_objective_as_breached(
    objective_prometheus: FixturePrometheus, tmp_path: Path
) -> None:
    policy = tmp_path / "steady.yaml"
    policy.write_text(
        "apiVersion: slo-gate/v1\nservice: steady\nslos:\n  - name: availability\n    objective: 99.95\n"
        f"    window: 30d\n    sli:\n      error_query: '{ERRORS.format(job='steady')}'\n"
        f"      total_query: '{TOTAL.format(job='steady')}'\n"
        "gate:\n  tiers:\n    - {above: 60, allow: [low, medium, high]}\n    - {above: 20, allow: [low]}\n"
        "    - {allow: []}\n"
    )
    document = objective_json(objective_prometheus, "--policy", str(policy), "--service", "steady")
    current = by_objective(document)[99.95]
    assert current["labels"] == ["ladder", "current"]
    budget = 0.0005
    left = [1 - bad / total / budget for _, bad, total in windows_of("steady")]
    assert current["tier_days"] == {"60": sum(v <= 0.6 for v in left), "20": sum(v <= 0.2 for v in left)}
    assert any(f["kind"] == "current_breached" and "30 of 61" in f["message"] for f in document["findings"])
    block = load_policy_bytes(document["policy_yaml"].encode(), "block.yaml").policy
    assert block.slos[0].objective == 99.9 and block.service == "steady"


def test_a_low_traffic_service_gets_the_window_too_short_finding(
    objective_prometheus: FixturePrometheus,
) -> None:
    document = objective_json(objective_prometheus, *queries("sparse"), "--service", "sparse")
    events = sum(h[2] or 0 for h in data.hourly("sparse")[:720])
    assert events == 7200  # 240 a day: 99 % needs 10,000 events a window to allow 100 bad ones
    finding = next(f for f in document["findings"] if f["kind"] == "low_traffic")
    assert "window too short" in finding["message"] and "at least 42d for 99 %" in finding["message"]
    assert "merge" in finding["message"]
    assert document["recommended"]["objective"] is None
    assert all(c["noise"] for c in document["candidates"])


def test_a_latency_histogram_gets_the_right_bucket(objective_prometheus: FixturePrometheus) -> None:
    document = objective_json(
        objective_prometheus,
        "--service",
        "steady",
        "--latency-histogram",
        'http_request_duration_seconds{job="steady"}',
    )
    latency = document["latency"]
    buckets = data.bucket_hours()
    readable = [
        b for b, h in zip(buckets, data.hourly("steady"), strict=True) if h[2] is not None
    ]  # the gap hours are unreadable for the histogram too
    total = sum(b["+Inf"] for b in readable)
    shares = {b["le"]: b["share"] for b in latency["buckets"]}
    for bound in ("0.1", "0.25", "0.5", "1"):
        assert shares[bound] == pytest.approx(sum(b[bound] for b in readable) / total, rel=1e-9)
    # 0.25 holds only ~98.6 %: the fastest bucket that supports 99 % or better is 0.5
    assert latency["threshold"] == "0.5"
    assert document["recommended"]["objective"] >= 99.0
    assert document["sli"]["good_query"] == (
        'sum(rate(http_request_duration_seconds_bucket{job="steady",le="0.5"}[{{.window}}]))'
    )
    block = load_policy_bytes(document["policy_yaml"].encode(), "block.yaml").policy
    assert block.slos[0].name == "latency" and block.slos[0].objective == document["recommended"]["objective"]


def test_the_history_is_what_the_backend_holds(objective_prometheus: FixturePrometheus) -> None:
    document = objective_json(objective_prometheus, *queries("steady"), "--history", "120d")
    assert document["history"]["start"] == "2026-07-22T00:00:00Z"  # not 120 days back: no data there
    assert document["history"]["asked_start"] == "2026-06-22T00:00:00Z"
    finding = document["findings"][0]
    assert finding["kind"] == "short_history" and "90 d of the 120 d asked" in finding["message"]
    shorter = objective_json(objective_prometheus, *queries("steady"), "--history", "45d")
    assert (shorter["history"]["start"], len(shorter["history"]["windows"])) == ("2026-09-05T00:00:00Z", 16)
    assert next(f["kind"] for f in shorter["findings"]) == "few_windows"


# ---- formats, the narrative, failures ----------------------------------------------------------------


def test_the_markdown_document_has_what_sign_off_needs(objective_prometheus: FixturePrometheus) -> None:
    code, text = objective(
        objective_prometheus, *queries("steady"), "--service", "steady", "--format", "markdown", "--no-llm"
    )
    assert code == 0
    for heading in (
        "## Recommendation",
        "## Service level indicator",
        "## History",
        "## Backtest of every candidate",
        "## Why not the others",
        "## Risks",
        "## Findings",
        "## Policy",
        "## Sign-off",
    ):
        assert heading in text
    assert "**99.9 % of events good over a rolling 30d window**" in text
    assert "**Bad events** are what `error_query` counts" in text and "`code` matches `5..`" in text
    assert "| Engineering | | | |" in text


@pytest.mark.slow  # imports the anthropic SDK: a few seconds
def test_a_grounded_model_narrative_is_used_and_an_ungrounded_one_is_not(
    objective_prometheus: FixturePrometheus, tmp_path: Path
) -> None:
    good = "99.9 % over 30d was met in 61 of 61 windows; 99.95 % was breached in 30 of them."
    bad = "99.9 % would have paged 7 times."
    env: dict[str, str | None] = {"ANTHROPIC_API_KEY": KEY, "SLO_GATE_CACHE_DIR": str(tmp_path / "cache")}
    with FakeAnthropic(answer({"text": good}, usage=(900, 60)), answer({"text": bad})) as fake:
        env["ANTHROPIC_BASE_URL"] = fake.url
        code, output = objective(objective_prometheus, *queries("steady"), "--format", "json", env=env)
        narrative = json.loads(output)["narrative"]
        assert (code, narrative["source"], narrative["text"]) == (0, "model", good)
        assert (narrative["input_tokens"], narrative["output_tokens"]) == (900, 60)
        assert narrative["cost_usd"] == pytest.approx((900 * 1.0 + 60 * 5.0) / 1e6)
        code, output = objective(
            objective_prometheus, *queries("steady"), "--window", "28d", "--format", "json", env=env
        )
        narrative = json.loads(output)["narrative"]
        assert (
            narrative["source"] == "facts"
            and "7" in narrative["note"]
            and "not in the facts" in narrative["note"]
        )
        request = fake.messages_requests[0].body
        assert request["tool_choice"]["name"] == "write_narrative"
        assert "<untrusted-data-" in json.dumps(request)
    assert KEY not in output


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["--sli-error", "sum(x)", "--sli-total", TOTAL.format(job="steady")],
            2,
            "--sli-error: must use {{.window}}",
        ),
        ([*queries("steady"), "--history", "20d"], 2, "shorter than the 30d window"),
        ([*queries("steady"), "--history", "36h"], 2, "whole days"),
        ([*queries("steady"), "--latency-histogram", 'x{le="1"}'], 2, "leave out `le`"),
        ([*queries("nosuchjob")], 3, "no rolling 30d window"),
    ],
)
def test_bad_input_is_refused_before_querying_and_no_data_is_inconclusive(
    objective_prometheus: FixturePrometheus, args: list[str], code: int, message: str
) -> None:
    got, output = objective(objective_prometheus, *args, "--no-llm")
    assert got == code and message in output, output


def test_output_writes_the_document_and_prints_one_line(
    objective_prometheus: FixturePrometheus, tmp_path: Path
) -> None:
    out = tmp_path / "objective.md"
    code, text = objective(
        objective_prometheus,
        *queries("steady"),
        "--service",
        "steady",
        "--format",
        "markdown",
        "--no-llm",
        "--output",
        str(out),
    )
    assert (code, text) == (
        0,
        f"objective steady/availability: 99.9 % over 30d recommended; written to {out}\n",
    )
    assert out.read_text().startswith("# SLO objective: steady · availability")
    code, text = objective(
        objective_prometheus, *queries("steady"), "--output", str(tmp_path / "nope" / "x.md")
    )
    assert code == 2 and "does not exist" in text


def test_a_bucket_based_policy_slo_is_judged_at_the_threshold_chosen(
    objective_prometheus: FixturePrometheus, tmp_path: Path
) -> None:
    policy = tmp_path / "steady.yaml"
    bucket = 'sum(rate(http_request_duration_seconds_bucket{job="steady",le="0.25"}[{{.window}}]))'
    count = 'sum(rate(http_request_duration_seconds_count{job="steady"}[{{.window}}]))'
    policy.write_text(
        "apiVersion: slo-gate/v1\nservice: steady\nslos:\n  - name: latency\n    objective: 99\n"
        f"    window: 30d\n    sli:\n      good_query: '{bucket}'\n      total_query: '{count}'\n"
    )
    document = objective_json(objective_prometheus, "--policy", str(policy))
    latency = document["latency"]
    assert (latency["current_threshold"], latency["threshold"]) == ("0.25", "0.5")
    current = next(b for b in latency["buckets"] if b["le"] == "0.25")
    assert 99.0 in {c["objective"] for c in current["candidates"] if "current" in c["labels"]}
    block = load_policy_bytes(document["policy_yaml"].encode(), "block.yaml").policy.slos[0]
    assert block.name == "latency" and 'le="0.5"' in (block.sli.good_query or "")
    assert block.objective == document["recommended"]["objective"]


def matrix(*series: tuple[dict[str, str], Sequence[tuple[float, str]]]) -> Reply:
    result = [{"metric": labels, "values": [[t, v] for t, v in values]} for labels, values in series]
    return Reply.json({"status": "success", "data": {"resultType": "matrix", "result": result}})


def test_a_hostile_backend_makes_hours_unreadable_or_the_history_inconclusive_never_healthy() -> None:
    start = data.END - 2 * DAY
    ends = [start + (i + 1) * HOUR for i in range(48)]
    total = [({"slo_gate_part": "total:1h"}, [(t, "10") for t in ends])]
    with HTTPStub() as stub:
        # an error query whose value exceeds the total at one hour: that hour is unreadable, not 100 % bad
        stub.enqueue(matrix(*total, ({"slo_gate_part": "bad:1h"}, [(ends[0], "50")])))
        # NaN anywhere: the whole answer cannot be trusted
        stub.enqueue(matrix(({"slo_gate_part": "total:1h"}, [(ends[0], "NaN")])))
        # bucket bounds that are not numbers are data to skip, never PromQL
        stub.enqueue(
            matrix(
                ({"le": "+Inf"}, [(t, "10") for t in ends]),
                ({"le": '0.5"} or vector(1) or x{a="'}, [(t, "9") for t in ends]),
                ({"le": "0.5"}, [(t, "9") for t in ends]),
            )
        )
        sli = SLI(error_query=ERRORS.format(job="x"), total_query=TOTAL.format(job="x"))
        with PrometheusClient(PrometheusSettings(url=stub.url, retries=0)) as client:
            hours = read_hours(sli, client, start, data.END, None)
            assert hours[0].total is None and "exceed" in (hours[0].problem or "")
            assert all(h.total == 36000.0 and h.bad == 0.0 for h in hours[1:])
            with pytest.raises(DataError, match="NaN"):
                read_hours(sli, client, start, data.END, None)
            buckets = read_buckets(Histogram("lat", (("job", "=", "x"),)), client, start, data.END, None)
    assert buckets.bounds == ("0.5", "+Inf") and buckets.ignored == 1
    assert all("or vector" not in r.form["query"] for r in stub.requests)
