"""A misbehaving Prometheus never yields a budget: each failure makes the SLO inconclusive, names
what went wrong and keeps the query, and the gate exits 3 under on_inconclusive: fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gate.measure import measure_policies
from gate.models import SLOBudget
from gate.policy import LoadedPolicy
from gate.policy_load import load_policy_file
from gate.prometheus import PrometheusClient, PrometheusSettings
from tests.support.httpstub import HTTPStub, Reply

ROOT = Path(__file__).resolve().parent.parent
AT = 1792497600.0


def vector(value: str) -> dict[str, object]:
    sample = {"metric": {"slo_gate_part": "total:slo"}, "value": [AT, value]}
    return {"status": "success", "data": {"resultType": "vector", "result": [sample]}}


@pytest.fixture(scope="module")
def search() -> LoadedPolicy:
    return load_policy_file(ROOT / "policies" / "search.yaml")


def measure_with(stub: HTTPStub, policy: LoadedPolicy, read_timeout: float = 5.0) -> SLOBudget:
    settings = PrometheusSettings(
        url=stub.url, retries=1, backoff=0.01, read_timeout=read_timeout, deadline=10
    )
    with PrometheusClient(settings, sleep=lambda _: None) as client:  # retries never wait for real
        [service] = measure_policies([policy], client, AT)
    [slo] = service.slos
    return slo


@pytest.mark.parametrize(
    ("reply", "fragment"),
    [
        (Reply.text("unavailable", status=503), "503"),
        (
            Reply.json({"status": "error", "errorType": "execution", "error": "query timed out"}, status=422),
            "query timed out",
        ),
        (Reply.json({**vector("1"), "warnings": ["store gateway unreachable"]}), "store gateway unreachable"),
        (Reply.text("<html>login</html>", content_type="text/html"), "not JSON"),
        (Reply.json(vector("NaN")), "NaN"),
        (Reply.json(vector("+Inf")), "Inf"),
        (Reply.stalled(2.0), "timed out waiting for the response"),
    ],
    ids=["503", "status-error", "warnings", "html", "nan", "inf", "stall"],
)
def test_failure_makes_the_slo_inconclusive(search: LoadedPolicy, reply: Reply, fragment: str) -> None:
    with HTTPStub(default=reply) as stub:
        slo = measure_with(stub, search, read_timeout=0.3)
    assert slo.status == "inconclusive"
    assert slo.budget_remaining is None
    assert slo.reason is not None and fragment.lower() in slo.reason.lower()
    [record] = slo.queries
    assert record.error == slo.reason
    assert record.expr.count("label_replace") == 16


def test_series_without_the_part_label_is_inconclusive(search: LoadedPolicy) -> None:
    payload = {
        "status": "success",
        "data": {"resultType": "vector", "result": [{"metric": {}, "value": [AT, "1"]}]},
    }
    with HTTPStub(default=Reply.json(payload)) as stub:
        slo = measure_with(stub, search)
    assert slo.status == "inconclusive"
    assert slo.reason is not None and "slo_gate_part" in slo.reason


@pytest.mark.slow
def test_ci_true_fails_instead_of_skipping_without_prometheus(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CI": "true",
        "SLO_GATE_PROMETHEUS_BIN": str(tmp_path / "no-prometheus"),
        "SLO_GATE_PROMTOOL_BIN": str(tmp_path / "no-promtool"),
    }
    test = "tests/test_measure_prometheus.py::test_absent_series_is_inconclusive"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout
    assert "CI=true but the Prometheus fixture is unavailable" in done.stdout
    assert "1 error" in done.stdout or "1 failed" in done.stdout
