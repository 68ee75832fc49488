"""A query the offline grammar accepts but the server rejects: the error names its SLO, query, window
and the position in the policy's own text, at run time (an inconclusive SLO) and with
`validate --prometheus-url` (a policy error). Against the real Prometheus fixture (2.42, which lacks
functions and syntax the offline parser knows from Prometheus 3) and a loopback stub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gate import promql
from gate.cli import main
from gate.errors import DataError
from gate.measure import measure_policies, slo_windows
from gate.policy import LoadedPolicy
from gate.policy_load import load_policy_bytes
from gate.prometheus import PrometheusClient, PrometheusSettings
from gate.promql_syntax import check
from gate.validate import server_check
from tests.promfixture.server import FixturePrometheus
from tests.support.httpstub import HTTPStub, Reply

# mad_over_time and quoted metric names are Prometheus 3; the fixture's 2.42 refuses both.
ERRORS = 'sum(mad_over_time(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))'
TOTAL = 'sum(rate(http_requests_total{job="checkout"}[{{.window}}]))\n  + 0 * sum(rate({"http_requests_total"}[{{.window}}]))'
GOOD_TOTAL = 'sum(rate(http_requests_total{job="checkout"}[{{.window}}]))'

POLICY = f"""\
apiVersion: slo-gate/v1
service: checkout
slos:
  - name: healthy
    objective: 99.9
    sli:
      error_query: 'sum(rate(http_requests_total{{job="checkout",code=~"5.."}}[{{{{.window}}}}]))'
      total_query: '{GOOD_TOTAL}'
  - name: availability
    objective: 99.9
    sli:
      error_query: '{ERRORS}'
      total_query: |
        {TOTAL.replace(chr(10), chr(10) + "        ")}
"""


def run_cli(args: list[str]) -> Result:
    return CliRunner().invoke(main, args, catch_exceptions=False)


def column_of(text: str, token: str) -> str:
    before = text[: text.index(token)]
    lines = before.split("\n")
    return (
        f"column {len(lines[-1]) + 1}"
        if "\n" not in text
        else f"line {len(lines)}, column {len(lines[-1]) + 1}"
    )


@pytest.fixture(scope="module")
def loaded() -> LoadedPolicy:
    assert check(ERRORS.replace("{{.window}}", "5m")) is None  # the offline grammar accepts them
    assert check(TOTAL.replace("{{.window}}", "5m")) is None
    return load_policy_bytes(POLICY.encode(), "checkout.yaml")


@pytest.fixture
def client(prometheus: FixturePrometheus) -> Iterator[PrometheusClient]:
    with PrometheusClient(PrometheusSettings(url=prometheus.url)) as c:
        yield c


def test_a_rejected_query_names_slo_query_window_and_position(
    loaded: LoadedPolicy, client: PrometheusClient, prometheus: FixturePrometheus
) -> None:
    [service] = measure_policies([loaded], client, prometheus.end_time)
    healthy, broken = service.slos
    assert healthy.status == "ok"
    assert broken.status == "inconclusive"
    assert broken.reason == (
        "SLO availability: error_query over the SLO window (30d): Prometheus rejected it: parse error at "
        f'{column_of(ERRORS, "mad_over_time")}: unknown function with name "mad_over_time"'
    )
    [record] = broken.queries
    at_in_batch = len("label_replace(sum(") + ERRORS.index("mad_over_time") + 1
    assert (
        record.error is not None
        and f'bad_data: invalid parameter "query": 1:{at_in_batch}: parse' in record.error
    )


def test_validate_asks_the_server_about_every_query(
    loaded: LoadedPolicy, client: PrometheusClient, prometheus: FixturePrometheus
) -> None:
    errors = server_check([loaded], client, prometheus.end_time)
    assert [str(e) for e in errors][:1] == [
        "checkout.yaml:12: slos[1].sli.error_query: Prometheus rejected it: parse error at "
        f'{column_of(ERRORS, "mad_over_time")}: unknown function with name "mad_over_time"'
    ]
    assert len(errors) == 2
    assert str(errors[1]).startswith(
        "checkout.yaml:13: slos[1].sli.total_query: Prometheus rejected it: parse error at "
        f"{column_of(TOTAL, chr(34) + 'http_requests_total')}: unexpected string "  # Prometheus shortens it
    )


def test_validate_command_with_a_server(
    tmp_path: Path, prometheus: FixturePrometheus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "checkout.yaml").write_text(POLICY)
    offline = run_cli(["validate", "checkout.yaml"])
    assert offline.exit_code == 0, offline.output
    online = run_cli(["validate", "checkout.yaml", "--prometheus-url", prometheus.url])
    assert online.exit_code == 2
    assert "slo-gate: checkout.yaml:12: slos[1].sli.error_query: Prometheus rejected it" in online.output
    assert "slo-gate: checkout.yaml:13: slos[1].sli.total_query: Prometheus rejected it" in online.output
    fine = tmp_path / "fine"
    fine.mkdir()
    (fine / "ok.yaml").write_text(POLICY.split("  - name: availability")[0])
    accepted = run_cli(["validate", "fine", "--prometheus-url", prometheus.url])
    assert accepted.exit_code == 0, accepted.output
    assert accepted.output.startswith(f"2 queries accepted by prometheus {prometheus.url}\n")


def bad_data(position: str, message: str) -> Reply:
    error = f'invalid parameter "query": {position}: parse error: {message}'
    return Reply.json({"status": "error", "errorType": "bad_data", "error": error}, status=400)


def test_a_position_in_a_later_part_names_that_query_and_window(loaded: LoadedPolicy) -> None:
    healthy = loaded.policy.slos[0]
    _, specs = slo_windows(healthy, 1792497600.0)
    built = promql.batch(healthy.sli, specs)
    part = next(p for p in built.parts if p.field == "total_query" and p.window.name == "1h")
    column = built.text.index("rate(", part.query_start) + 1  # one line: the column is the offset
    with (
        HTTPStub(default=bad_data(f"1:{column}", 'unexpected "x"')) as stub,
        PrometheusClient(PrometheusSettings(url=stub.url, retries=0)) as client,
    ):
        [service] = measure_policies([loaded], client, 1792497600.0)
    assert service.slos[0].reason == (
        "SLO healthy: total_query over 1h: Prometheus rejected it: parse error at "
        f'{column_of(GOOD_TOTAL, "rate(")}: unexpected "x"'
    )


def test_a_server_that_cannot_answer_is_not_a_policy_error(loaded: LoadedPolicy) -> None:
    with (
        HTTPStub(default=Reply.text("down", status=503)) as stub,
        PrometheusClient(PrometheusSettings(url=stub.url, retries=0)) as client,
        pytest.raises(DataError, match="503"),
    ):
        server_check([loaded], client, 1792497600.0)
    execution = Reply.json(
        {"status": "error", "errorType": "execution", "error": "query timed out"}, status=422
    )
    with (
        HTTPStub(default=execution) as stub,
        PrometheusClient(PrometheusSettings(url=stub.url, retries=0)) as client,
        pytest.raises(DataError, match="query timed out"),
    ):
        server_check([loaded], client, 1792497600.0)


def test_validate_sends_each_query_alone_for_a_short_window_with_the_tenant(loaded: LoadedPolicy) -> None:
    answer = Reply.json({"status": "success", "data": {"resultType": "vector", "result": []}})
    tenant = load_policy_bytes(
        POLICY.replace("slos:\n", "prometheus: {tenant: pay}\nslos:\n", 1).encode(), "t.yaml"
    )
    with HTTPStub(default=answer) as stub:
        with PrometheusClient(PrometheusSettings(url=stub.url)) as client:
            assert server_check([tenant], client, 1792497600.0) == []
        sent = [(r.form["query"], r.form["time"], r.header("X-Scope-OrgID")) for r in stub.requests]
    expected = [
        promql.batch(slo.sli, [promql.WindowSpec("5m", "5m", 300.0)], kinds=(kind,)).text
        for slo in tenant.policy.slos
        for kind in ("bad", "total")
    ]
    assert [query for query, _, _ in sent] == expected
    assert all("[5m]" in q and "{{" not in q and "30d" not in q for q in expected)
    assert {(at, org) for _, at, org in sent} == {("1792497600", "pay")}
