"""Reading Alertmanager's webhook (payload v4): bounded, type-checked, and which SLO an alert names."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gate.serve.alerts import MAX_ALERTS, MAX_BODY, PayloadError, parse_notification


def body(alerts: list[dict[str, Any]], **top: Any) -> bytes:
    data = {
        "version": "4",
        "receiver": "slo-gate",
        "status": "firing",
        "groupKey": '{}:{slo_gate_service="orders"}',
        "groupLabels": {"slo_gate_service": "orders"},
        "commonLabels": {},
        "alerts": alerts,
        "truncatedAlerts": 0,
        **top,
    }
    return json.dumps(data).encode()


def alert(labels: dict[str, str], status: str = "firing", **more: Any) -> dict[str, Any]:
    return {
        "status": status,
        "labels": labels,
        "annotations": {},
        "fingerprint": "abc",
        "startsAt": "2026-11-03T12:05:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        **more,
    }


def test_a_group_with_slo_gate_and_sloth_labels() -> None:
    group = parse_notification(
        body(
            [
                alert({"slo_gate_service": "orders", "slo_gate_slo": "availability", "severity": "page"}),
                alert(
                    {"sloth_service": "pay", "sloth_slo": "latency", "sloth_severity": "ticket"}, "resolved"
                ),
                alert({"alertname": "DiskFull"}),
            ]
        )
    )
    assert [a.slo_ref for a in group.alerts] == [("orders", "availability"), ("pay", "latency"), None]
    assert [a.severity for a in group.alerts] == ["page", "ticket", None]
    assert len(group.firing) == 2
    assert group.alerts[0].starts_at == 1793707500.0 and group.alerts[0].ends_at is None
    assert len(group.group_id) == 24 and group.group_id == parse_notification(body([])).group_id


@pytest.mark.parametrize(
    "labels",
    [
        {"slo_gate_service": "orders; rm -rf", "slo_gate_slo": "availability"},
        {"slo_gate_service": "orders", "slo_gate_slo": "x" * 100},
        {"slo_gate_service": "<!channel>", "slo_gate_slo": "a"},
    ],
)
def test_a_name_that_is_not_an_identifier_is_never_looked_up(labels: dict[str, str]) -> None:
    assert parse_notification(body([alert(labels)])).alerts[0].slo_ref is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"not json", "not JSON"),
        (b"[" * 10_000 + b"]" * 10_000, "not JSON"),
        (b"[]", "JSON object"),
        (json.dumps({"version": "3", "alerts": []}).encode(), "version 4"),
        (body([{"status": "maybe"}]), "firing or resolved"),
        (body([alert({"a": 1})]), "string"),  # type: ignore[dict-item]
        (body("nope"), "alerts must be a list"),  # type: ignore[arg-type]
        (body([], groupKey=7), "groupKey must be a string"),
    ],
)
def test_garbage_is_refused_with_a_reason_that_does_not_quote_it(raw: bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        parse_notification(raw)


def test_sizes_are_bounded() -> None:
    with pytest.raises(PayloadError, match="larger than"):
        parse_notification(b" " * (MAX_BODY + 1))
    many = parse_notification(
        body([alert({"alertname": str(i)}) for i in range(MAX_ALERTS + 50)], truncatedAlerts=3)
    )
    assert len(many.alerts) == MAX_ALERTS and many.truncated == 53
    long = parse_notification(body([alert({"route": "x" * 50_000})]))
    assert len(long.alerts[0].labels["route"]) == 1000
