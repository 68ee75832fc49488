"""Hostile or broken backends through the real CLI: nothing leaks, nothing crashes, nothing passes.

A Prometheus that echoes the request's credentials, answers with JSON nested 400 KB deep, or a
recorded snapshot holding NaN each make the affected figure inconclusive (or drop the decorative
chart) and never print, store or record a secret.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from click.testing import CliRunner, Result

from gate.cli import main
from gate.errors import DataError
from gate.measure import slo_query
from gate.metrics import Snapshot, SnapshotEntry, SnapshotSource
from gate.models import BURN_WINDOWS, Sample
from gate.policy_load import load_policy_file
from gate.prometheus import PrometheusClient, PrometheusSettings
from tests.support.httpstub import HTTPStub, Recorded, Reply

ROOT = Path(__file__).resolve().parent.parent
SEARCH = ROOT / "policies" / "search.yaml"
AT = 1792497600.0
USER = "reader"
PASSWORD = "pw-S3cret/with+odd=chars"
TOKEN = "tok-S3cretBearerValue-0123456789"
HOSTILE = b"[" * 400_000  # 400 KB of nesting: CPython's json recursion gives up long before the end
CLEAN_ENV = {
    "GITHUB_ACTIONS": "",
    "SLO_GATE_PROMETHEUS_TOKEN": "",
    "SLO_GATE_PROMETHEUS_USERNAME": "",
    "SLO_GATE_PROMETHEUS_PASSWORD": "",
    "SLO_GATE_PROMETHEUS_HEADERS": "",
}


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env={**CLEAN_ENV, **(env or {})}, catch_exceptions=False)


def check(url: str, *extra: str, env: dict[str, str] | None = None) -> Result:
    return run(
        "check", "--policy", str(SEARCH), "--prometheus-url", url, "--at", str(AT),
        "--risk", "low", "--no-llm", "--timeout", "10", *extra, env=env,
    )  # fmt: skip


def healthy_vector() -> dict[str, Any]:
    """Every window of the search SLO with traffic and no errors: a clean pass on its own."""
    parts = [f"total:{w}" for w in ("slo", *BURN_WINDOWS)]
    result = [{"metric": {"slo_gate_part": p}, "value": [AT, "100"]} for p in parts]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


def healthy_matrix() -> dict[str, Any]:
    values = [[AT - 3600 * i, "100"] for i in range(3, -1, -1)]
    result = [{"metric": {"slo_gate_part": "total:slo"}, "values": values}]
    return {"status": "success", "data": {"resultType": "matrix", "result": result}}


# -- credentials echoed back by the backend ------------------------------------------------------


def echo_credentials(request: Recorded) -> Reply:
    """A misconfigured proxy: refuses the request and echoes its headers, decoded too, in the body."""
    auth = request.header("authorization") or ""
    scheme, _, credential = auth.partition(" ")
    decoded = base64.b64decode(credential).decode() if scheme == "Basic" else credential
    headers = "; ".join(f"{k}: {v}" for k, v in request.headers.items())
    body = (
        f"denied: {auth} | credential {credential} | decoded {decoded} | "
        f"encoded {quote(decoded, safe='')} {quote_plus(decoded)} | headers {headers}"
    )
    return Reply.text(body, status=401)


@pytest.mark.parametrize(
    ("env", "forbidden"),
    [
        (
            {"SLO_GATE_PROMETHEUS_USERNAME": USER, "SLO_GATE_PROMETHEUS_PASSWORD": PASSWORD},
            [
                PASSWORD,
                base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode(),
                quote(PASSWORD, safe=""),
                quote_plus(PASSWORD),
            ],
        ),
        ({"SLO_GATE_PROMETHEUS_TOKEN": TOKEN}, [TOKEN]),
    ],
    ids=["basic", "bearer"],
)
def test_echoed_credentials_never_reach_stdout_stderr_report_or_audit(
    tmp_path: Path, env: dict[str, str], forbidden: list[str]
) -> None:
    report, audit = tmp_path / "report.json", tmp_path / "audit.jsonl"
    with HTTPStub(echo_credentials) as stub:
        result = check(
            stub.url, "--audit", f"file:{audit}", "--report-file", str(report), "--format", "json", env=env
        )
        sent = stub.requests[0].header("authorization") or ""
    assert result.exit_code == 3, result.output
    document = json.loads(result.stdout)
    [service] = document["services"]
    reason = service["slos"][0]["reason"]
    assert "HTTP 401" in reason and "denied" in reason  # the backend's answer is shown, masked
    assert sent.split(" ")[0] in reason  # the scheme (Basic/Bearer) stays; the credential does not
    texts = {
        "stdout": result.stdout,
        "stderr": result.stderr,
        "report": report.read_text("utf-8"),
        "audit": audit.read_text("utf-8"),
    }
    for where, text in texts.items():
        for secret in forbidden:
            assert secret not in text, f"{secret!r} leaked into {where}"


# -- JSON nested deeper than any parser should follow ---------------------------------------------


def test_a_deeply_nested_instant_answer_makes_the_slo_inconclusive() -> None:
    with HTTPStub(default=Reply.text(HOSTILE, content_type="application/json")) as stub:
        result = check(stub.url, "--format", "json")
    assert result.exit_code == 3, result.output
    [service] = json.loads(result.stdout)["services"]
    [slo] = service["slos"]
    assert slo["status"] == "inconclusive"
    assert "nested deeper than" in slo["reason"]


@pytest.mark.parametrize("range_answer", ["hostile", "healthy"])
def test_a_deeply_nested_range_answer_only_drops_the_chart(range_answer: str) -> None:
    def answer(request: Recorded) -> Reply:
        if request.path == "/api/v1/query_range":
            if range_answer == "hostile":
                return Reply.text(HOSTILE, content_type="application/json")
            return Reply.json(healthy_matrix())
        return Reply.json(healthy_vector())

    with HTTPStub(answer) as stub:
        result = check(stub.url, "--format", "markdown")
        paths = [r.path for r in stub.requests]
    assert result.exit_code == 0, result.output
    assert "/api/v1/query_range" in paths
    assert "| availability | 99.9% | 30d |" in result.stdout
    # The control case draws the chart, so its absence below is the hostile answer's doing.
    assert ("xychart-beta" in result.stdout) is (range_answer == "healthy")


# -- recorded snapshots get the same checks as live answers ---------------------------------------


def snapshot_with(tmp_path: Path, value_json: str) -> Path:
    slo = load_policy_file(SEARCH).policy.slos[0]
    samples = [
        {"labels": {"slo_gate_part": f"total:{w}"}, "value": 100.0 if w != "slo" else "@VALUE@"}
        for w in ("slo", *BURN_WINDOWS)
    ]
    snapshot = {
        "format": "slo-gate-snapshot/v1",
        "evaluated_at": AT,
        "queries": [{"expr": slo_query(slo, AT), "samples": samples}],
    }
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(snapshot).replace('"@VALUE@"', value_json), "utf-8")
    return path


@pytest.mark.parametrize("value_json", ["NaN", '"NaN"', "Infinity", '"-Inf"'])
@pytest.mark.parametrize("output_format", ["json", "text"])
def test_a_snapshot_holding_nan_makes_the_slo_inconclusive(
    tmp_path: Path, value_json: str, output_format: str
) -> None:
    path = snapshot_with(tmp_path, value_json)
    result = run(
        "check", "--policy", str(SEARCH), "--metrics-snapshot", str(path), "--risk", "low",
        "--no-llm", "--format", output_format,
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "nan%" not in result.output.lower()
    assert "inf%" not in result.output.lower()
    if output_format == "json":
        [service] = json.loads(result.stdout)["services"]
        [slo] = service["slos"]
        assert slo["status"] == "inconclusive"
        assert slo["budget_remaining"] is None
        assert "non-finite values (NaN/Inf) in 1 series" in slo["reason"]
        assert 'slo_gate_part="total:slo"' in slo["reason"]
    else:
        assert "non-finite values (NaN/Inf)" in result.stdout


def test_a_snapshot_with_finite_values_still_measures(tmp_path: Path) -> None:
    result = run(
        "check", "--policy", str(SEARCH), "--metrics-snapshot", str(snapshot_with(tmp_path, "100")),
        "--risk", "low", "--no-llm", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [service] = json.loads(result.stdout)["services"]
    assert service["slos"][0]["status"] == "ok"
    assert service["slos"][0]["budget_remaining"] == 1.0


def test_a_deeply_nested_snapshot_file_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.json"
    path.write_bytes(HOSTILE)
    result = run(
        "check", "--policy", str(SEARCH), "--metrics-snapshot", str(path), "--risk", "low", "--no-llm",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "nested deeper than" in result.stderr


@pytest.mark.parametrize(
    ("labels", "value", "reason"),
    [
        (
            {"slo_gate_part": "total:slo"},
            "NaN",
            'non-finite values (NaN/Inf) in 1 series: {slo_gate_part="total:slo"} = NaN',
        ),
        ({"": "x"}, "1", "malformed labels on a series: ['']"),
        ({"bad\nname": "x"}, "1", "malformed labels on a series: ['bad\\nname']"),
        ({"a": "x" * 500}, "+Inf", 'non-finite values (NaN/Inf) in 1 series: {a="' + "x" * 196 + "… = +Inf"),
    ],
    ids=["nan", "empty-name", "control-name", "huge-value"],
)
def test_replayed_and_live_answers_share_one_validation(
    labels: dict[str, str], value: str, reason: str
) -> None:
    snapshot = Snapshot(
        evaluated_at=AT,
        queries=[SnapshotEntry(expr="q", samples=[Sample(labels=labels, value=float(value))])],
    )
    with pytest.raises(DataError) as replayed:
        SnapshotSource(snapshot).instant("q", AT)
    result = [{"metric": labels, "value": [AT, value]}]
    payload = {"status": "success", "data": {"resultType": "vector", "result": result}}
    with (
        HTTPStub(default=Reply.json(payload)) as stub,
        PrometheusClient(PrometheusSettings(url=stub.url)) as client,
        pytest.raises(DataError) as live,
    ):
        client.instant("q", AT)
    assert replayed.value.message == reason
    assert live.value.message == reason
