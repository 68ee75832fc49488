"""Partial answers: VictoriaMetrics' `isPartial: true` and Thanos' `warnings` make a figure inconclusive
with the reason, for raw queries, recorded reads (which then read raw) and the maintenance-window parts,
through the real client against the loopback stub."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gate.errors import DataError
from gate.measure import measure_slo
from gate.policy import Policy
from gate.prometheus import PrometheusClient, PrometheusSettings
from tests.support.httpstub import HTTPStub, Reply

AT = 1_792_497_600.0
PARTIAL = "the answer is partial (isPartial: some storage nodes did not answer"
THANOS = ["receive 10.0.3.4:10901 unavailable", "partial response: 1 of 3 stores"]


def answer(parts: dict[str, float], **extra: Any) -> Reply:
    result = [{"metric": {"slo_gate_part": k}, "value": [AT, repr(v)]} for k, v in parts.items()]
    return Reply.json({"status": "success", "data": {"resultType": "vector", "result": result}, **extra})


def raw_parts() -> dict[str, float]:
    windows = ["slo", "5m", "30m", "1h", "2h", "6h", "1d", "3d"]
    return {f"{kind}:{w}": value for w in windows for kind, value in (("bad", 0.01), ("total", 100.0))}


def policy(recorded: bool = False, **extra: Any) -> Policy:
    return Policy.model_validate(
        {
            "apiVersion": "slo-gate/v1",
            "service": "api",
            "slos": [
                {
                    "name": "availability",
                    "objective": 99.9,
                    "sli": {
                        "error_query": 'sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))',
                        "total_query": "sum(rate(http_requests_total[{{.window}}]))",
                        "recorded": recorded,
                    },
                }
            ],
            **extra,
        }
    )


@pytest.fixture
def stub() -> Iterator[HTTPStub]:
    with HTTPStub() as server:
        yield server


@pytest.fixture
def client(stub: HTTPStub) -> Iterator[PrometheusClient]:
    with PrometheusClient(PrometheusSettings(url=stub.url, retries=0)) as c:
        yield c


def test_the_answers_are_whole_by_default(stub: HTTPStub, client: PrometheusClient) -> None:
    stub.enqueue(answer(raw_parts(), isPartial=False))
    slo = measure_slo(policy().slos[0], client, AT, None)
    assert slo.status == "ok" and slo.budget_remaining == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"isPartial": True}, PARTIAL),
        ({"isPartial": "yes"}, PARTIAL),  # not a boolean: not trusted either
        ({"warnings": THANOS}, "Prometheus returned warnings (partial or unreliable data): receive 10.0.3.4"),
    ],
    ids=["victoriametrics", "garbage-flag", "thanos"],
)
def test_a_partial_answer_makes_the_slo_inconclusive_with_the_reason(
    stub: HTTPStub, client: PrometheusClient, extra: dict[str, Any], reason: str
) -> None:
    stub.enqueue(answer(raw_parts(), **extra))
    slo = measure_slo(policy().slos[0], client, AT, None)
    assert slo.status == "inconclusive" and slo.budget_remaining is None
    assert slo.reason is not None and reason in slo.reason


def test_a_partial_recorded_read_reads_raw_and_says_why(stub: HTTPStub, client: PrometheusClient) -> None:
    stub.enqueue(answer({"present:meta": 8}, isPartial=True), answer(raw_parts()))
    slo = measure_slo(policy(recorded=True).slos[0], client, AT, None)
    assert (slo.status, slo.read_from) == ("ok", "raw")
    assert slo.read_fallback is not None and slo.read_fallback.startswith(
        "the recorded series could not be read: "
    )
    assert PARTIAL in slo.read_fallback
    assert len(stub.requests) == 2


def test_partial_everywhere_is_inconclusive(stub: HTTPStub, client: PrometheusClient) -> None:
    stub.enqueue(answer({}, warnings=THANOS), answer(raw_parts(), warnings=THANOS))
    slo = measure_slo(policy(recorded=True).slos[0], client, AT, None)
    assert slo.status == "inconclusive" and "warnings" in (slo.reason or "")
    assert "warnings" in (slo.read_fallback or "")


def test_the_client_raises_on_a_partial_range_answer(stub: HTTPStub, client: PrometheusClient) -> None:
    stub.enqueue(
        Reply.json({"status": "success", "isPartial": True, "data": {"resultType": "matrix", "result": []}})
    )
    with pytest.raises(DataError, match="isPartial"):
        client.range("up", AT - 60, AT, 60)
