"""Range-reading commands (report, postmortem) accept a live backend and refuse a snapshot by name."""

from __future__ import annotations

import pytest

from gate.demo import DEMO
from gate.errors import UsageError
from gate.metrics import SnapshotSource
from gate.postmortem.command import history_source
from gate.prometheus import PrometheusClient, PrometheusSettings


def test_a_snapshot_is_refused_with_the_command_named() -> None:
    snapshot = SnapshotSource.from_text((DEMO / "snapshot.json").read_text("utf-8"), label="demo")
    with pytest.raises(UsageError, match=r"^slo-gate report reads burn history with range queries"):
        history_source(snapshot, "slo-gate report")


def test_a_live_client_is_its_own_history_source() -> None:
    client = PrometheusClient(PrometheusSettings(url="http://127.0.0.1:9"))
    try:
        assert history_source(client, "slo-gate postmortem") is client
    finally:
        client.close()
