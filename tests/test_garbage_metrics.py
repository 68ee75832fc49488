"""Garbage from the metrics backend is never a budget (issue 9, a security bug).

A negative error count, a negative total, or a good count above the total used to read as zero
errors: 100 % budget left and PASS. Now each makes the SLO inconclusive with a reason that names the
window and the numbers, in every window (the SLO window and each burn window) and for both SLI
forms, from parsing up to the CLI's exit code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gate.cli import main
from gate.errors import DataError
from gate.models import Sample
from gate.policy import SLI
from gate.promql import PART_LABEL, WindowSpec, parse_batch
from tests.support.httpstub import HTTPStub, Recorded, Reply

GOOD = SLI(
    good_query='sum(rate(h_bucket{le="0.3"}[{{.window}}]))', total_query="sum(rate(h_count[{{.window}}]))"
)
WINDOWS = [WindowSpec("slo", "30d", 2592000.0), WindowSpec("1h", "1h", 3600.0)]


def part(name: str, value: float) -> Sample:
    return Sample(labels={PART_LABEL: name}, value=value)


# ---- garbage values: never a budget, always a reason naming the window and the numbers ------------
#
# The scrape-skew allowance is 0.1 % of the window's total or one event, whichever is larger: with
# these totals (1000 events over 30d and 10 over 1h, both read as counts of `increase`), that is 1
# event for either window. Rates (`rate(...)`) get one event spread over the window's seconds.

ERR_COUNT = SLI(
    error_query='sum(increase(x{code=~"5.."}[{{.window}}]))', total_query="sum(increase(x[{{.window}}]))"
)
GOOD_COUNT = SLI(good_query="sum(increase(ok[{{.window}}]))", total_query="sum(increase(x[{{.window}}]))")


@pytest.mark.parametrize(
    ("sli", "parts", "fragments"),
    [
        (
            ERR_COUNT,
            {"bad:slo": -50.0, "total:slo": 100.0},
            ["error_query", "-50", "100", "SLO window (30d)"],
        ),
        (
            ERR_COUNT,
            {"bad:1h": -50.0, "total:1h": 100.0, "total:slo": 1000.0},
            ["error_query", "-50", "over 1h"],
        ),
        (ERR_COUNT, {"bad:slo": -1.5, "total:slo": 1000.0}, ["error_query", "-1.5"]),  # beyond one event
        (
            GOOD_COUNT,
            {"good:slo": 250.0, "total:slo": 100.0},
            ["good_query", "250", "100", "SLO window (30d)"],
        ),
        (
            GOOD_COUNT,
            {"good:1h": 250.0, "total:1h": 100.0, "good:slo": 1.0, "total:slo": 1000.0},
            ["250", "1h"],
        ),
        (GOOD_COUNT, {"good:slo": 1002.0, "total:slo": 1000.0}, ["good_query", "1002", "1000"]),
        (GOOD_COUNT, {"good:slo": -5.0, "total:slo": 1000.0}, ["good_query", "-5"]),
        (ERR_COUNT, {"bad:slo": 0.0, "total:slo": -100.0}, ["total_query", "-100", "SLO window (30d)"]),
        (ERR_COUNT, {"total:1h": -3.0, "total:slo": 1000.0}, ["total_query", "-3", "over 1h"]),
        (
            GOOD_COUNT,
            {"good:1h": 0.0, "total:1h": -100.0, "good:slo": 1.0, "total:slo": 1.0},
            ["total_query", "1h"],
        ),
        (
            ERR_COUNT,
            {"bad:1h": 5.0, "total:1h": 0.0, "total:slo": 1000.0},
            ["error_query", "5", "no events", "1h"],
        ),
        (ERR_COUNT, {"bad:slo": float("nan"), "total:slo": 1000.0}, ["bad:slo", "nan"]),
        (ERR_COUNT, {"total:slo": float("-inf")}, ["total:slo", "-inf"]),
    ],
    ids=[
        "negative-errors-slo-window",
        "negative-errors-burn-window",
        "slightly-negative-errors-beyond-one-event",
        "good-above-total-slo-window",
        "good-above-total-burn-window",
        "good-above-total-beyond-allowance",
        "negative-good",
        "negative-total-slo-window",
        "negative-total-burn-window",
        "negative-total-good-form",
        "errors-without-any-events",
        "nan-part",
        "infinite-part",
    ],
)
def test_garbage_values_are_errors_naming_window_and_numbers(
    sli: SLI, parts: dict[str, float], fragments: list[str]
) -> None:
    with pytest.raises(DataError) as caught:
        parse_batch([part(name, value) for name, value in parts.items()], sli, WINDOWS)
    for fragment in fragments:
        assert fragment in caught.value.message


@pytest.mark.parametrize(
    ("sli", "parts", "window", "bad"),
    [
        # within the allowance: scrape skew, read as zero errors
        (GOOD_COUNT, {"good:slo": 1000.9, "total:slo": 1000.0}, "slo", 0.0),
        (GOOD_COUNT, {"good:slo": 100_099.0, "total:slo": 100_000.0}, "slo", 0.0),  # 0.099 % of 100k
        (ERR_COUNT, {"bad:slo": -0.9, "total:slo": 1000.0}, "slo", 0.0),
        (ERR_COUNT, {"bad:slo": 0.0, "total:slo": -1e-9}, "slo", 0.0),
        # honest figures stay as they are
        (GOOD_COUNT, {"good:slo": 990.0, "total:slo": 1000.0}, "slo", 10.0),
        (ERR_COUNT, {"bad:1h": 0.0, "total:1h": 0.0, "total:slo": 1.0}, "1h", 0.0),
    ],
    ids=[
        "good-skew-one-event",
        "good-skew-0.099pct",
        "errors-skew",
        "total-noise",
        "honest-good",
        "quiet-hour",
    ],
)
def test_scrape_skew_within_the_allowance_reads_as_zero(
    sli: SLI, parts: dict[str, float], window: str, bad: float
) -> None:
    got = parse_batch([part(name, value) for name, value in parts.items()], sli, WINDOWS)
    assert got[window].bad == pytest.approx(bad)
    total = got[window].total
    assert total is not None and total >= 0


def test_good_above_total_beyond_0_1_percent_is_an_error() -> None:
    # 0.2 % above a 100k total is 200 events: far more than skew between two reads explains.
    with pytest.raises(DataError, match="good_query"):
        parse_batch([part("good:slo", 100_200.0), part("total:slo", 100_000.0)], GOOD_COUNT, WINDOWS)


def test_the_allowance_for_rates_is_one_event_over_the_window() -> None:
    # total is a rate: 1 event over 1h is 1/3600 per second. 0.5 events of skew pass, 2 do not.
    ok = parse_batch([part("good:1h", 1.0 + 0.5 / 3600), part("total:1h", 1.0)], GOOD, WINDOWS[1:])
    assert ok["1h"].bad == 0.0
    with pytest.raises(DataError, match="good_query"):
        parse_batch([part("good:1h", 0.01 + 2 / 3600), part("total:1h", 0.01)], GOOD, WINDOWS[1:])


# ---- end to end: the CLI against a loopback Prometheus that answers garbage ---------------------

AT = 1792497600.0  # 2026-10-20T12:00:00Z
_PART = re.compile(r'"slo_gate_part", "([a-z]+):([a-z0-9]+)"')

POLICY = """\
apiVersion: slo-gate/v1
service: shop
slos:
  - name: availability
    objective: 99.9
    window: 30d
    sli:
      {bad_key}: sum(rate(http_requests_total{{job="shop",code{op}"5.."}}[{{{{.window}}}}]))
      total_query: sum(rate(http_requests_total{{job="shop"}}[{{{{.window}}}}]))
"""


def write_policy(tmp_path: Path, form: str) -> Path:
    path = tmp_path / f"{form}.yaml"
    bad_key, op = ("error_query", "=~") if form == "error" else ("good_query", "!~")
    path.write_text(POLICY.format(bad_key=bad_key, op=op), encoding="utf-8")
    return path


def prometheus_answering(garbage: dict[str, float]) -> HTTPStub:
    """A Prometheus-compatible server: every part healthy (1000/s, no errors) except `garbage`."""

    def answer(request: Recorded) -> Reply:
        result = []
        for kind, window in _PART.findall(request.form.get("query", "")):
            name = f"{kind}:{window}"
            value = garbage.get(name, 0.0 if kind == "bad" else 1000.0)
            result.append({"metric": {PART_LABEL: name}, "value": [AT, str(value)]})
        return Reply.json({"status": "success", "data": {"resultType": "vector", "result": result}})

    return HTTPStub(answer)


def check(policy: Path, url: str, output_format: str) -> Result:
    args = ["check", "--policy", str(policy), "--prometheus-url", url, "--at", str(AT)]
    args += ["--risk", "low", "--no-llm", "--format", output_format]
    return CliRunner().invoke(main, args, catch_exceptions=False)


@pytest.mark.parametrize(
    ("form", "garbage", "fragments"),
    [
        ("error", {}, []),
        (
            "error",
            {"bad:slo": -50.0, "total:slo": 100.0},
            ["error_query returned -50", "SLO window (30d)", "100"],
        ),
        ("error", {"bad:5m": -50.0, "total:5m": 100.0}, ["error_query returned -50 over 5m", "100"]),
        ("error", {"total:slo": -100.0}, ["total_query returned -100 over the SLO window (30d)"]),
        ("error", {"total:3d": -100.0}, ["total_query returned -100 over 3d"]),
        ("good", {}, []),
        (
            "good",
            {"good:slo": 250.0, "total:slo": 100.0},
            ["good_query returned 250", "SLO window (30d)", "100"],
        ),
        ("good", {"good:1h": 250.0, "total:1h": 100.0}, ["good_query returned 250 over 1h", "100"]),
    ],
    ids=[
        "error-form-honest",
        "negative-errors-slo-window",
        "negative-errors-5m",
        "negative-total-slo-window",
        "negative-total-3d",
        "good-form-honest",
        "good-above-total-slo-window",
        "good-above-total-1h",
    ],
)
def test_cli_never_passes_on_garbage(
    tmp_path: Path, form: str, garbage: dict[str, float], fragments: list[str]
) -> None:
    policy = write_policy(tmp_path, form)
    with prometheus_answering(garbage) as stub:
        as_json = check(policy, stub.url, "json")
        as_text = check(policy, stub.url, "text")
    document = json.loads(as_json.output)
    [service] = document["services"]
    [slo] = service["slos"]
    if not garbage:  # the control: the same server with honest numbers passes with the whole budget
        assert (as_json.exit_code, document["decision"], slo["budget_remaining"]) == (0, "pass", 1.0)
        assert "overall: PASS (exit 0)" in as_text.output
        return
    assert (as_json.exit_code, as_text.exit_code) == (3, 3)
    assert document["decision"] == service["decision"] == "inconclusive"
    assert (slo["status"], slo["budget_remaining"]) == ("inconclusive", None)
    assert [(r["code"], r["decisive"]) for r in service["reasons"]] == [("inconclusive", True)]
    for fragment in fragments:
        assert fragment in slo["reason"]
        assert fragment in service["reasons"][0]["message"]
        assert fragment in as_text.output
    assert "PASS" not in as_text.output
    assert "overall: INCONCLUSIVE (exit 3)" in as_text.output
