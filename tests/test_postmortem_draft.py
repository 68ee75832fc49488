"""What `watch` wires in: `draft_for_incident` finds the edges at 1-minute resolution around the
watcher's coarse onset, and `open_draft` opens a required draft once per incident, as a GitHub issue
(a loopback GitHub through the real client) or as a file, and nothing for an incident under the bar."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gate.github.api import GitHubClient
from gate.policy import LoadedPolicy
from gate.policy_load import load_policy_bytes
from gate.postmortem.draft import POSTMORTEM_LABEL, draft_for_incident, open_draft
from gate.postmortem.model import Postmortem
from gate.prometheus import PrometheusClient, PrometheusSettings
from tests.promfixture.incident import INCIDENT_END, INCIDENT_START
from tests.promfixture.server import FixturePrometheus
from tests.support.fake_github import FakeGitHub

pytestmark = pytest.mark.slow  # minute-by-minute history from a real Prometheus

POLICY = Path(__file__).resolve().parent / "data" / "reports" / "checkout.yaml"
TOKEN = "ghs_" + "d" * 36


def policy(required_above: float = 20) -> LoadedPolicy:
    text = POLICY.read_text(encoding="utf-8").replace(
        "required_above: 20", f"required_above: {required_above:g}"
    )
    return load_policy_bytes(text.encode(), "checkout.yaml")


@pytest.fixture(scope="module")
def source(incident_prometheus: FixturePrometheus) -> Iterator[PrometheusClient]:
    with PrometheusClient(PrometheusSettings(url=incident_prometheus.url)) as client:
        yield client


def draft(source: PrometheusClient, at: float, required_above: float = 20) -> Postmortem:
    # The watcher saw the page from 03:18 and resolved it at 05:20 (its own, coarser times).
    return draft_for_incident(
        policy(required_above),
        "availability",
        source,
        [],
        onset=INCIDENT_START + 5 * 60,
        resolved=INCIDENT_END + 80 * 60,
        at=at,
        metrics_label="prometheus test",
    )


def test_the_watchers_coarse_span_becomes_the_minute_accurate_incident(
    source: PrometheusClient, incident_prometheus: FixturePrometheus
) -> None:
    pm = draft(source, incident_prometheus.end_time)
    assert (
        abs(pm.incident.start_unix - INCIDENT_START) <= 60 and abs(pm.incident.end_unix - INCIDENT_END) <= 60
    )
    assert pm.slo == "availability" and pm.postmortem.required


def test_a_required_draft_opens_one_issue_per_incident(
    source: PrometheusClient, incident_prometheus: FixturePrometheus
) -> None:
    pm = draft(source, incident_prometheus.end_time)
    with FakeGitHub(token=TOKEN) as gh, GitHubClient(TOKEN, api_url=gh.api_url) as client:
        first = open_draft(pm, github=client, repo="acme/shop")
        again = open_draft(pm, github=client, repo="acme/shop")
        issues = gh.issues["acme/shop"]
    assert first is not None and first.created
    assert again is not None and not again.created and again.location == first.location
    assert len(issues) == 1
    assert issues[0]["labels"] == [{"name": POSTMORTEM_LABEL}]
    assert issues[0]["title"].startswith("Postmortem draft: checkout availability")
    assert "## Impact in budget" in issues[0]["body"]


def test_a_required_draft_opens_one_file_per_incident(
    source: PrometheusClient, incident_prometheus: FixturePrometheus, tmp_path: Path
) -> None:
    pm = draft(source, incident_prometheus.end_time)
    first = open_draft(pm, out_dir=tmp_path)
    again = open_draft(pm, out_dir=tmp_path)
    assert first is not None and first.created and again is not None and not again.created
    assert [p.name for p in tmp_path.iterdir()] == ["postmortem-checkout-availability-20261110T031300Z.md"]


def test_an_incident_under_the_bar_opens_nothing(
    source: PrometheusClient, incident_prometheus: FixturePrometheus, tmp_path: Path
) -> None:
    pm = draft(source, incident_prometheus.end_time, required_above=50)
    assert not pm.postmortem.required
    assert open_draft(pm, out_dir=tmp_path) is None
    assert list(tmp_path.iterdir()) == []
