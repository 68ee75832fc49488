"""Window templating and the one-query-per-SLO batch: built from policy text only."""

from __future__ import annotations

import pytest

from gate.errors import DataError
from gate.models import Sample
from gate.policy import SLI
from gate.promql import (
    PART_LABEL,
    WindowSpec,
    batch,
    batch_query,
    locate_error,
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


# --- where a Prometheus parse error is in the policy -------------------------------------------------

SPLIT = SLI(
    error_query='sum(rate(http_requests_total{job="café",code=~"5.."}[{{.window}}]))',
    total_query="sum(rate(http_requests_total[{{ .window }}]))\n  + sum(irate(x[{{.window}}]))",
)


def prometheus_says(text: str, offset: int, message: str) -> str:
    """The error body Prometheus sends for a parse error at character `offset` of `text`."""
    head = text[:offset].encode("utf-8")
    line = head.count(b"\n") + 1
    column = len(head) - (head.rfind(b"\n") + 1) + 1  # 1-based, in bytes, within the line
    return (
        f'HTTP 400 Bad Request from http://prom/api/v1/query: bad_data: invalid parameter "query": '
        f"{line}:{column}: parse error: {message}"
    )


def test_every_part_knows_where_its_query_is() -> None:
    built = batch(SPLIT, WINDOWS)
    assert built.text == batch_query(SPLIT, WINDOWS)
    assert [(p.field, p.window.name) for p in built.parts] == [
        ("error_query", "slo"),
        ("total_query", "slo"),
        ("error_query", "1h"),
        ("total_query", "1h"),
    ]
    for p in built.parts:
        assert built.text[p.query_start : p.query_end] == p.rendered.text
        assert built.text.startswith("label_replace(sum(", p.start)
    only_total = batch(SPLIT, WINDOWS[1:], kinds=("total",))
    assert (
        only_total.text
        == 'label_replace(sum(sum(rate(http_requests_total[1h]))\n  + sum(irate(x[1h]))), "slo_gate_part", "total:1h", "", "")'
    )


def where_in(template: str, token: str) -> str:
    """`column C` / `line L, column C` of `token` in `template`, counted by hand."""
    before = template[: template.index(token)]
    lines = before.split("\n")
    column = f"column {len(lines[-1]) + 1}"
    return column if "\n" not in template else f"line {len(lines)}, {column}"


@pytest.mark.parametrize(
    ("part", "in_batch", "in_policy"),
    [
        (0, "rate(", "rate("),
        (0, "30d]", "{{.window}}"),  # inside the substituted window: at its template
        (0, "code", "code"),  # after the two-byte é: Prometheus counts bytes, the policy characters
        (1, "irate", "irate"),
        (3, "irate", "irate"),
        (2, "))", "))"),  # past the rendered 1h: shifted back by the template's length
    ],
)
def test_a_prometheus_position_maps_to_the_policy_text(part: int, in_batch: str, in_policy: str) -> None:
    built = batch(SPLIT, WINDOWS)
    target = built.parts[part]
    offset = built.text.index(in_batch, target.query_start)
    fault = locate_error(built, prometheus_says(built.text, offset, 'unexpected identifier "x"'))
    template = SPLIT.error_query if target.kind == "bad" else SPLIT.total_query
    assert fault is not None and template is not None
    assert (fault.field, fault.window, fault.where) == (
        target.field,
        target.window,
        where_in(template, in_policy),
    )
    assert fault.message == 'unexpected identifier "x"'


def test_the_description_names_query_window_and_position() -> None:
    built = batch(SPLIT, WINDOWS)
    offset = built.text.index("irate", built.parts[3].query_start)
    fault = locate_error(built, prometheus_says(built.text, offset, 'unknown function with name "irate"'))
    assert fault is not None
    assert fault.describe() == (
        'total_query over 1h: Prometheus rejected it: parse error at line 2, column 9: unknown function with name "irate"'
    )
    offset = built.text.index("rate(", built.parts[0].query_start)
    fault = locate_error(built, prometheus_says(built.text, offset, "x"))
    assert fault is not None
    assert fault.describe().startswith(
        "error_query over the SLO window (30d): Prometheus rejected it: parse error at column 5"
    )


def test_the_older_char_position_and_the_wrapper() -> None:
    built = batch(ERR, WINDOWS)
    offset = built.text.index("rate(", built.parts[1].query_start)
    fault = locate_error(built, f"bad_data: parse error at char {offset + 1}: unexpected")
    assert fault is not None and (fault.field, fault.window.name, fault.where) == (
        "total_query",
        "slo",
        "column 5",
    )
    message = prometheus_says(
        built.text, built.parts[1].start + len("label_replace("), "expected type vector"
    )
    fault = locate_error(built, message)
    assert fault is not None and (fault.field, fault.where) == ("total_query", None)
    assert fault.describe().endswith("expected type vector (in the sum(...) slo-gate puts around the query)")


@pytest.mark.parametrize(
    "message",
    [
        "HTTP 503 Service Unavailable from http://prom/api/v1/query: unavailable",
        "bad_data: 99:1: parse error: past the last line",
        "bad_data: 1:99999: parse error: past the end",
        "1" * 100_000 + ":" + "2" * 100_000 + ": parse error: garbage",
    ],
    ids=["no-position", "no-such-line", "past-the-end", "hostile-digits"],
)
def test_a_message_without_a_usable_position_is_left_alone(message: str) -> None:
    assert locate_error(batch(ERR, WINDOWS), message) is None
