"""`promql.breakdown_query`: an SLI's errors split by one label, from the policy's own text only."""

from __future__ import annotations

import pytest

from gate import promql_syntax
from gate.errors import DataError
from gate.models import Sample
from gate.policy import SLI
from gate.promql import PART_LABEL, breakdown_query, keep_label, parse_breakdown

ERR = SLI(
    error_query='sum(rate(http_requests_total{job="orders",code=~"5.."}[{{.window}}]))',
    total_query='sum(rate(http_requests_total{job="orders"}[{{.window}}]))',
)
GOOD = SLI(
    good_query='sum(rate(h_bucket{le="0.3"}[{{.window}}]))', total_query="sum(rate(h_count[{{.window}}]))"
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sum(rate(x[5m]))", "sum by (route) (rate(x[5m]))"),
        ("sum by (job) (rate(x[5m]))", "sum by (job, route) (rate(x[5m]))"),
        ("sum(rate(x[5m])) by (job)", "sum(rate(x[5m])) by (job, route)"),
        ("sum without (route, instance) (rate(x[5m]))", "sum without (instance) (rate(x[5m]))"),
        ("sum by (route) (rate(x[5m]))", "sum by (route) (rate(x[5m]))"),
        ('sum(rate(x{by="sum",on="a"}[5m]))', 'sum by (route) (rate(x{by="sum",on="a"}[5m]))'),
        (
            "sum(rate(a[5m])) / on(job) group_left sum(rate(b[5m]))",
            "sum by (route) (rate(a[5m])) / on(job, route) group_left sum by (route) (rate(b[5m]))",
        ),
        ("rate(a[5m]) / ignoring(route, code) rate(b[5m])", "rate(a[5m]) / ignoring(code) rate(b[5m])"),
        ("count(max(up) by (instance))", "count by (route) (max(up) by (instance, route))"),
    ],
)
def test_keep_label_threads_the_label_through_every_aggregation(query: str, expected: str) -> None:
    assert keep_label(query, "route") == expected
    assert promql_syntax.check(expected) is None


@pytest.mark.parametrize(
    "query", ["topk(3, rate(x[5m]))", "quantile(0.9, rate(x[5m]))", 'count_values("v", x)']
)
def test_keep_label_refuses_aggregations_it_cannot_split_exactly(query: str) -> None:
    with pytest.raises(ValueError, match="cannot be split"):
        keep_label(query, "route")


def test_breakdown_query_has_four_tagged_parts_and_parses() -> None:
    text = breakdown_query(ERR, "route", "5m")
    for part in ("bad", "total", "bad_all", "total_all"):
        assert f'"{PART_LABEL}", "{part}"' in text
    assert "topk(3, sum by (route)" in text and "[5m]" in text and "{{" not in text
    assert promql_syntax.check(text) is None


def test_a_good_query_sli_splits_as_total_minus_good() -> None:
    text = breakdown_query(GOOD, "tenant", "5m")
    assert "sum by (tenant) (sum by (tenant) (rate(h_count[5m]))) - sum by (tenant) (" in text
    assert promql_syntax.check(text) is None


@pytest.mark.parametrize("label", ["__name__", "slo_gate_part", "a-b", "route}", ' route"', ""])
def test_only_plain_label_names_reach_the_query(label: str) -> None:
    with pytest.raises(ValueError, match="cannot be used as a breakdown label"):
        breakdown_query(ERR, label, "5m")


def test_a_duration_must_be_plain() -> None:
    with pytest.raises(ValueError, match="not a safe duration"):
        breakdown_query(ERR, "route", "5m]) or vector(1")


def part(name: str, value: float, **labels: str) -> Sample:
    return Sample(labels={PART_LABEL: name, **labels}, value=value)


def test_parse_breakdown_ranks_values_and_keeps_the_totals() -> None:
    counts = parse_breakdown(
        [
            part("bad", 1.0, route="/b"),
            part("bad", 3.0, route="/a"),
            part("total", 10.0, route="/a"),
            part("total", 20.0, route="/b"),
            part("bad_all", 4.5),
            part("total_all", 100.0),
        ],
        "route",
    )
    assert [(v.value, v.bad, v.total) for v in counts.top] == [("/a", 3.0, 10.0), ("/b", 1.0, 20.0)]
    assert (counts.bad_all, counts.total_all) == (4.5, 100.0)


@pytest.mark.parametrize(
    "samples",
    [
        [part("bad", float("nan"), route="/a")],
        [part("bad", -1.0, route="/a")],
        [part("bad", 1.0, route="/a"), part("bad", 2.0, route="/a")],
        [part("weird", 1.0)],
        [Sample(labels={"route": "/a"}, value=1.0)],
    ],
)
def test_garbage_is_a_data_error_never_a_share(samples: list[Sample]) -> None:
    with pytest.raises(DataError):
        parse_breakdown(samples, "route")


def test_a_huge_label_value_is_capped() -> None:
    counts = parse_breakdown([part("bad", 1.0, route="x" * 50_000), part("bad_all", 1.0)], "route")
    assert len(counts.top[0].value) == 1000
