"""The offline PromQL check: promql-parser's verdict, located in the text, bounded on hostile input."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gate import promql_syntax
from gate.promql_syntax import MAX_TOKENS, ParseBudget, check, parse_error, tokenize
from tests.promfixture.server import FixturePrometheus

ROOT = Path(__file__).resolve().parent.parent

VALID = [
    'sum(rate(http_requests_total{job="checkout",code=~"5.."}[5m]))',
    'sum by (route) (rate(x{a!="b", c!~"d|e"}[5m]))',
    "sum without (instance, pod) (increase(x[30d]))",
    'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{job="a"}[5m])))',
    "sum(rate(x[5m] offset 1h)) / sum(rate(y[5m] @ 1700000000))",
    "sum(rate(x[5m])) / on(job) group_left(team) sum(rate(y[5m]))",
    "(sum(rate(x[5m])) or vector(0)) / clamp_min(sum(rate(y[5m])), 1)",
    "sum(rate(x[5m])) > bool 0.5",
    'label_replace(sum(rate(x[5m])), "a", "$1", "b", "(.*)")',
    "avg_over_time((sum(rate(x[1m])) / sum(rate(y[1m])))[5m:1m])",
    'count(up{job="a"} == 0) * 60',
    'sum(increase(x{le="0.3"}[5m])) - -1',
    "topk(3, sum by (route) (rate(x[5m])))",
    "quantile(0.9, rate(x[5m]))",
    'sum(rate({__name__="x", job="a"}[5m]))',
    'absent_over_time(up{job="a"}[5m]) unless on() vector(1)',
    "sum(rate(x[5m])) # a comment",
    "sum(sum_over_time(x[5m:30s] offset 1m))",
    "1 - sum(rate(good[5m])) / sum(rate(total[5m]))",
    "sum(rate(x[1h30m]))",
    "sum(rate(x{a=`raw.d`}[5m]))",
    "sum(rate(x{a='single'}[5m]))",
    "sum(rate(x[5m])) * 1e3 + 0x1F - 2.5e-3",
    'count_values("v", x)',
    "sum(rate(x[5m])) and ignoring(a, b) sum(rate(y[5m]))",
    "sum(x) by (a) / ignoring(b) group_right sum(y) by (a, b)",
    "-sum(rate(x[5m]))",
    "sum(rate(x[5m])) ^ 2 % 3",
    "max(timestamp(x @ end()))",
    "sum(rate(x[5m]))\n  /\nsum(rate(y[5m]))",
    "holt_winters(sum(rate(x[5m]))[1h:5m], 0.5, 0.5)",
]

# (query, 1-based column, message). Lexical and grammar errors are where Prometheus reports them
# (test_grammar_errors_are_where_prometheus_reports_them); type errors point at the call they name.
BROKEN = [
    ("sum(rate(x[5m])", 16, "unclosed left parenthesis"),
    ("sum(rate(x[5m]))) + 1", 17, "unexpected right parenthesis ')'"),
    ('sum(rate(x{job="a" code="5"}[5m]))', 20, "unexpected 'code'"),
    ('sum(rate(x{job="a"}[5m])) by (route', 36, "unclosed left parenthesis"),
    ('sum(rate(x{job="a}[5m]))', 16, 'unterminated quoted string "'),
    ("sum(rate(x[5m])) $ 2", 18, "unexpected character: '$'"),
    ("sum(rate(x[5x]))", 12, "bad number or duration syntax: 5x"),
    ("sum(rate(x[5m])) bye (route)", 18, "unexpected 'bye'"),
    ("sum by route (rate(x[5m]))", 8, "unexpected 'route'"),
    ("sum(rate(x[5m])) / / sum(rate(y[5m]))", 20, "unexpected '/'"),
    ("sum(rate(x[5m] offset)) ", 22, "unexpected ')'"),
    ("sum(rate(x[5m])) unless", 24, "unexpected end of input"),
    ("(sum(rate(x[5m])) / sum(rate(y[5m]))", 37, "unclosed left parenthesis"),
    ("sum(mad_ovr_time(x[5m]))", 5, "unknown function with name 'mad_ovr_time'"),
    ("sum(rate(x[5m])) + rate(y)", 20, "expected type matrix in call to function 'rate', got vector"),
    ('label_replace(sum(x), "a")', 1, "expected 5 argument(s) in call to 'label_replace', got 2"),
    ("sum(x[5m])", 1, "expected type vector in aggregation expression, got matrix"),
    ("x[5m] + 1", 1, "binary expression must contain only scalar and instant vector types"),
    ("sum(x[5m] + 1)", 5, "binary expression must contain only scalar and instant vector types"),
    ("sum(rate(x[5m])) or on(a) group_left y", 1, "no grouping allowed for 'or' operation"),
    ("sum(rate(x{}[5m]))\n  / / x", 5 + len("sum(rate(x{}[5m]))\n"), "unexpected '/'"),
]


@pytest.mark.parametrize("query", VALID)
def test_valid_queries_pass(query: str) -> None:
    assert check(query) is None


@pytest.mark.parametrize("query", VALID)
def test_no_prefix_of_a_valid_query_is_taken_for_an_error(query: str) -> None:
    # The binary search relies on this: a prefix of valid PromQL can always be completed, so the
    # first prefix that cannot is where the error is.
    tokens = tokenize(query)
    locator = promql_syntax._Locator(query, tokens, ParseBudget(10**6), parse_error)
    assert [t.text for k, t in enumerate(tokens, 1) if not locator._viable(k)] == []


@pytest.mark.parametrize(("query", "column", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_errors_are_located(query: str, column: int, message: str) -> None:
    problem = check(query)
    assert problem is not None
    assert (problem.offset + 1 if problem.offset is not None else None, problem.message) == (column, message)


def prometheus_column(prometheus: FixturePrometheus, query: str) -> int:
    reply = httpx.post(f"{prometheus.url}/api/v1/query", data={"query": query}, timeout=30)
    found = re.search(r"(\d+):(\d+): parse error", reply.json()["error"])
    assert found is not None and found.group(1) == "1", reply.text
    return int(found.group(2))


@pytest.mark.parametrize(
    "query",
    [
        "sum(rate(x[5m])",
        'sum(rate(x{job="a" code="5"}[5m]))',
        'sum(rate(x{job="a"}[5m])) by (route',
        'sum(rate(x{job="a}[5m]))',
        "sum(rate(x[5m])) $ 2",
        "sum(rate(x[5m])) bye (route)",
        "sum by route (rate(x[5m]))",
        "sum(rate(x[5m])) / / sum(rate(y[5m]))",
        "sum(rate(x[5m] offset)) ",
        "sum(rate(x[5m])) unless",
        "sum(mad_ovr_time(x[5m]))",
        'label_replace(sum(x), "a")',
    ],
)
def test_grammar_errors_are_where_prometheus_reports_them(prometheus: FixturePrometheus, query: str) -> None:
    problem = check(query)
    assert problem is not None and problem.offset is not None
    assert problem.offset + 1 == prometheus_column(prometheus, query)


def test_deep_nesting_is_refused_before_the_parser_sees_it() -> None:
    # promql-parser overflows its stack (the process dies) at ~10000 nested parentheses, and its time
    # grows with the square of nesting: a query over MAX_TOKENS tokens is never handed to it.
    for text in ("(" * 10000 + "x" + ")" * 10000, "-" * 10000 + "x", "x" + " + x" * 5000):
        problem = check(text)
        assert problem is not None and problem.too_long
        assert problem.message.startswith(f"has {len(tokenize(text))} PromQL tokens; at most {MAX_TOKENS}")
    assert check("(" * 200 + "x" + ")" * 200) is None


def test_locating_spends_a_bounded_number_of_parses() -> None:
    calls: list[str] = []

    def counting(text: str) -> str | None:
        calls.append(text)
        return parse_error(text)

    text = "sum(rate(x[5m]))" + " + sum(rate(x[5m]))" * 40 + " bye"
    assert len(tokenize(text)) == 10 + 40 * 11 + 1
    problem = check(text, parse=counting)
    assert problem is not None and problem.offset == text.index("bye")
    assert len(calls) <= 1 + 9 * 4  # the check, then ceil(log2(451)) probes of at most 4 completions

    calls.clear()
    budget = ParseBudget(remaining=3 * len(text))  # characters: about three probes of this query
    problem = check(text, budget, parse=counting)
    assert problem is not None and (problem.offset, problem.message) == (None, "invalid promql query")
    assert 1 + 3 <= len(calls) <= 1 + 6 and budget.remaining == 0
    calls.clear()
    assert check("sum(x", budget, parse=counting) == promql_syntax.SyntaxProblem(
        "unclosed left parenthesis", None
    )
    assert len(calls) == 1


def test_help_does_not_load_the_parser_and_neither_does_importing_the_schema() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gate", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "slo-gate" in done.stdout and "promql_parser" not in done.stderr
    code = "import sys, gate.policy, gate.policy_load; print('promql_parser' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout == "False\n"


_PIECES = [*"()[]{}\"'`,:@+-*/%^=<>!~ #\n", "sum", "rate", "x", "by", "on", "offset", "5m", "1", "or"]
_PIECES += ["bool", "group_left", '{a="b"}', "[5m]", "label_replace", "é", "$", ".5", "1e-3"]


@pytest.mark.slow
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=60).map("".join))
@settings(max_examples=300, deadline=None)
def test_any_text_gets_a_verdict_and_a_position_inside_it(text: str) -> None:
    problem = check(text)
    if problem is not None and problem.offset is not None:
        assert 0 <= problem.offset <= len(text)
    assert (problem is None) == (parse_error(text) is None)
