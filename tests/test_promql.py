"""Window templating and the one-query-per-SLO batch: built from policy text only."""

from __future__ import annotations

import pytest

from gate.errors import DataError
from gate.models import Sample
from gate.policy import SLI
from gate.promql import (
    PART_LABEL,
    WindowSpec,
    batch_query,
    parse_batch,
    render,
    seconds_duration,
    uses_increase,
)

ERR = SLI(error_query='sum(rate(x{code=~"5.."}[{{.window}}]))', total_query="sum(rate(x[{{ .window }}]))")
GOOD = SLI(
    good_query='sum(rate(h_bucket{le="0.3"}[{{.window}}]))', total_query="sum(rate(h_count[{{.window}}]))"
)
WINDOWS = [WindowSpec("slo", "30d", 2592000.0), WindowSpec("1h", "1h", 3600.0)]


def part(name: str, value: float) -> Sample:
    return Sample(labels={PART_LABEL: name}, value=value)


def test_render_accepts_sloth_spacing() -> None:
    assert render("rate(x[{{.window}}]) / rate(y[{{ .window }}])", "5m") == "rate(x[5m]) / rate(y[5m])"


def test_seconds_duration_is_whole_seconds() -> None:
    assert seconds_duration(1684800.7) == "1684800s"
    assert seconds_duration(0.2) == "1s"


def test_batch_query_tags_every_part() -> None:
    query = batch_query(ERR, WINDOWS)
    assert query.count(" or ") == 3
    assert 'label_replace(sum(sum(rate(x{code=~"5.."}[30d]))), "slo_gate_part", "bad:slo", "", "")' in query
    assert 'label_replace(sum(sum(rate(x[1h]))), "slo_gate_part", "total:1h", "", "")' in query
    assert "{{" not in query


def test_batch_query_refuses_unsafe_window_names() -> None:
    with pytest.raises(ValueError, match="safe label value"):
        batch_query(ERR, [WindowSpec('1h", "x', "1h", 3600.0)])


def test_parse_batch_error_form() -> None:
    got = parse_batch([part("bad:slo", 2.0), part("total:slo", 1000.0), part("total:1h", 10.0)], ERR, WINDOWS)
    assert (got["slo"].bad, got["slo"].total) == (2.0, 1000.0)
    assert (got["1h"].bad, got["1h"].total) == (0.0, 10.0)  # no error series + traffic = zero errors


def test_parse_batch_good_form() -> None:
    got = parse_batch([part("good:slo", 990.0), part("total:slo", 1000.0)], GOOD, WINDOWS)
    assert got["slo"].bad == pytest.approx(10.0)
    assert got["1h"].total is None and got["1h"].bad is None


def test_good_query_without_series_while_total_has_traffic_is_an_error() -> None:
    with pytest.raises(DataError, match="good_query returned no series over slo"):
        parse_batch([part("total:slo", 1000.0)], GOOD, WINDOWS)


def test_good_slightly_above_total_is_clamped_to_zero_bad() -> None:
    got = parse_batch([part("good:slo", 1000.5), part("total:slo", 1000.0)], GOOD, WINDOWS)
    assert got["slo"].bad == 0.0


def test_bad_far_above_total_is_an_error() -> None:
    with pytest.raises(DataError, match="bad events exceed total"):
        parse_batch([part("bad:slo", 50.0), part("total:slo", 10.0)], ERR, WINDOWS)


def test_unlabelled_or_duplicate_series_are_errors() -> None:
    with pytest.raises(DataError, match="without the slo_gate_part label"):
        parse_batch([Sample(labels={"job": "x"}, value=1.0)], ERR, WINDOWS)
    with pytest.raises(DataError, match="two series came back for total:slo"):
        parse_batch([part("total:slo", 1.0), part("total:slo", 2.0)], ERR, WINDOWS)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sum(increase(x[{{.window}}]))", True),
        ("sum(rate(x[{{.window}}]))", False),
        ("sum(irate(x[5m]))", False),
    ],
)
def test_uses_increase(query: str, expected: bool) -> None:
    assert uses_increase(query) is expected
